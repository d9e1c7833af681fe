package seslocal

import (
	"context"
	"testing"
)

// StartForTest starts an emulator for one test on a free loopback port and
// stops it when the test ends. A missing installation fails the test with
// the hint to run `make setup`.
func StartForTest(t testing.TB) *Server {
	t.Helper()
	// aws-ses-v2-local 2.10.2 accepts --port 0 and prints the port it got,
	// so there is no window in which another process can take the port.
	s, err := Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
