//go:build linux

// Command agentdesk-voicebench measures the desktop softphone and JsSIP in
// Debian's headless Chromium side by side, in one voice lab run, and writes
// docs/PERFORMANCE-voice.md: call setup time, tone frames surviving random
// loss, CPU and memory per active call, and the round trip through the
// lab's echo agent.
//
// It needs root (the lab is a network namespace); without root it says so
// and exits 0, so that `make bench` goes on. It starts the lab, then runs
// itself again inside the lab's namespace (pion and sipgo make their
// sockets on goroutines of their own, so entering the namespace from one
// thread is not enough), and stops the lab.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
	"github.com/agentdesk/agentdesk/infra/voice/browser"
)

// envLab carries the lab's settings to the run inside the namespace.
const envLab = "AGENTDESK_VOICEBENCH_LAB"

type labInfo struct {
	Netns, Dir string
	Env        map[string]string
}

type options struct {
	Setups  int           // calls per client for the setup time
	Listen  time.Duration // audio judged per call under loss
	Repeats int           // calls per client and loss level
	Calls   int           // concurrent calls for CPU and memory
	Busy    time.Duration // how long those calls are measured
	Bursts  int           // echo bursts per client
	Out     string        // the report
}

func main() {
	var o options
	flag.IntVar(&o.Setups, "setups", 10, "calls per client for the call setup time (median)")
	flag.DurationVar(&o.Listen, "listen", 3*time.Second, "audio judged per call under loss")
	flag.IntVar(&o.Repeats, "repeats", 4, "calls per client and loss level")
	flag.IntVar(&o.Calls, "calls", 5, "concurrent calls for CPU and memory per call")
	flag.DurationVar(&o.Busy, "busy", 5*time.Second, "how long the concurrent calls are measured")
	flag.IntVar(&o.Bursts, "bursts", 5, "tone bursts through the echo agent per client")
	flag.StringVar(&o.Out, "out", "", "report path (default <repo>/docs/PERFORMANCE-voice.md)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if raw := os.Getenv(envLab); raw != "" {
		var info labInfo
		if err := json.Unmarshal([]byte(raw), &info); err != nil {
			fail(log, "bad "+envLab, err)
		}
		if err := inside(log, &voice.Lab{Netns: info.Netns, Dir: info.Dir, Env: info.Env}, o); err != nil {
			fail(log, "benchmark", err)
		}
		return
	}

	if os.Geteuid() != 0 {
		fmt.Println("voice bench: skipped: it needs root (the voice lab is a network namespace); run it as root")
		return
	}
	if _, _, err := browser.Check(""); err != nil {
		fmt.Printf("voice bench: skipped: %v\n", err)
		return
	}
	if o.Out == "" {
		root, err := repoRoot()
		if err != nil {
			fail(log, "repository root", err)
		}
		o.Out = filepath.Join(root, "docs", "PERFORMANCE-voice.md")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "agentdesk-voicebench-")
	if err != nil {
		fail(log, "state directory", err)
	}
	defer os.RemoveAll(dir)
	lab, err := voice.Start(ctx, voice.Options{Netns: fmt.Sprintf("agentdesk-vbench-%d", os.Getpid()), Dir: dir})
	if errors.Is(err, voice.ErrUnsupported) {
		fmt.Printf("voice bench: skipped: %v\n", err)
		return
	}
	if err != nil {
		fail(log, "voice lab", err)
	}
	info, _ := json.Marshal(labInfo{Netns: lab.Netns, Dir: lab.Dir, Env: lab.Env})
	args := append([]string{}, os.Args[1:]...)
	args = append(args, "-out", o.Out)
	cmd := lab.Command(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), envLab+"="+string(info))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	runErr := cmd.Run()
	if err := lab.Stop(context.Background()); err != nil {
		log.Error("stopping the voice lab", "err", err)
	}
	if runErr != nil {
		// The lab's directory stays, for its logs.
		log.Error("the benchmark inside the lab", "err", runErr, "logs", filepath.Join(dir, "logs"))
		os.Exit(1)
	}
}

func fail(log *slog.Logger, what string, err error) {
	log.Error(what, "err", err)
	os.Exit(1)
}

// repoRoot is the nearest directory above the working one with go.work.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}
