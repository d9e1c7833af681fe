package audiodev

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestChoiceRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "devices.json")
	c, err := LoadChoice(path)
	if err != nil || c != (Choice{}) {
		t.Fatalf("missing file: %+v, %v; want the zero Choice", c, err)
	}
	want := Choice{Microphone: "6869", Speaker: "", Ringtone: "00"}
	if err := SaveChoice(path, want); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadChoice(path); err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	want.Speaker = "7a"
	if err := SaveChoice(path, want); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadChoice(path); err != nil || got != want {
		t.Fatalf("after overwrite: %+v, %v; want %+v", got, err, want)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v (%v), want 0600", fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestCorruptChoiceSaysSoAndGivesDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.json")
	for _, body := range []string{`{"microphone": "ab"`, "", "[1,2]"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadChoice(path)
		if err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("%q: error %v, want one saying corrupt", body, err)
		}
		if c != (Choice{}) {
			t.Fatalf("%q: %+v, want the zero Choice", body, c)
		}
	}
}

func TestSaveChoiceFailsWhereItCannotWrite(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory that is a file cannot hold the choice.
	if err := SaveChoice(filepath.Join(blocker, "devices.json"), Choice{}); err == nil {
		t.Fatal("no error")
	}
}
