//go:build linux

// Package labtest runs Go tests inside a voice lab. The lab's addresses
// exist only in its network namespace, and pion and sipgo make sockets on
// goroutines of their own, so a test cannot just switch namespaces: an
// outer test (Run) brings a lab up and re-runs the test binary inside the
// namespace (ip netns exec), where the inner test (Lab) finds it.
package labtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
)

// Run brings a lab up (namespace agentdesk-<name>-<pid>) and runs the tests
// matching run (a -test.run pattern) inside it, their verbose output going
// straight through; it fails when they fail. It skips, saying why, where
// the machine cannot run a lab (not root, no namespaces), and inside a lab.
func Run(t *testing.T, name, run string) {
	t.Helper()
	if os.Getenv(voice.HandoffEnv) != "" {
		t.Skip("inside the lab: the inner tests run")
	}
	if os.Geteuid() != 0 {
		t.Skip("voice lab: needs root to create a network namespace; run the tests as root to include it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lab, err := voice.Start(ctx, voice.Options{Netns: fmt.Sprintf("agentdesk-%s-%d", name, os.Getpid()), Dir: t.TempDir()})
	if errors.Is(err, voice.ErrUnsupported) {
		t.Skipf("voice lab: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("lab logs:\n%s", lab.Logs(15))
		}
		if err := lab.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	cmd := lab.Command(ctx, os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), lab.Handoff())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the tests inside the lab (%s): %v", run, err)
	}
}

// Lab returns the lab the test runs inside, and skips when it runs outside
// one (Run starts it).
func Lab(t *testing.T) *voice.Lab {
	t.Helper()
	lab, err := voice.FromHandoff()
	if err != nil {
		t.Fatal(err)
	}
	if lab == nil {
		t.Skip("runs inside a voice lab only (its outer test starts one)")
	}
	return lab
}
