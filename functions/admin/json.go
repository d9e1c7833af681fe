package admin

import (
	"bytes"
	"encoding/json"
)

// equalJSON compares two values of a settings struct by their API form.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
