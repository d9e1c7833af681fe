package audiodev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Choice is the agent's devices, by Device.ID; "" is the system default.
type Choice struct {
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
	Ringtone   string `json:"ringtone"`
}

// LoadChoice reads a Choice saved by SaveChoice. A missing file is the
// zero Choice (all defaults). A file that does not parse gives an error
// that says so along with the zero Choice, so the app can carry on with
// the defaults.
func LoadChoice(path string) (Choice, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Choice{}, nil
	}
	if err != nil {
		return Choice{}, fmt.Errorf("audiodev: read device choice: %w", err)
	}
	var c Choice
	if err := json.Unmarshal(b, &c); err != nil {
		return Choice{}, fmt.Errorf("audiodev: device choice %s is corrupt, using the default devices: %w", path, err)
	}
	return c, nil
}

// SaveChoice writes c to path (mode 0600) through a temporary file and a
// rename, so a crash leaves the old choice or the new one, never half of
// one.
func SaveChoice(path string, c Choice) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audiodev: save device choice: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("audiodev: save device choice: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("audiodev: save device choice: %w", err)
	}
	return nil
}
