//go:build linux

package voice

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// Media ports of the lab (scripts/voice-lab.sh): rtpengine's on the lab
// address, the baresip agents' on the client address.
const (
	rtpenginePorts = "30000:30999"
	baresipPorts   = "31000:31299"
	lossChain      = "AGENTDESK-LOSS"
)

// SetLoss drops percent % of the media packets, at random, on the leg
// between rtpengine and the WebRTC clients (the softphone, Chromium), in
// both directions; 0 removes the loss. ICE, DTLS and RTCP on that leg are
// dropped alike; the plain RTP leg to baresip is left alone.
//
// Every end runs in the namespace, so every packet is delivered locally
// and passes its INPUT chain once per hop: the rules sit there, in a chain
// of their own. (In OUTPUT, a DROP makes the sender's sendto fail with
// EPERM: the sender would know, which a lossy network never tells.) A
// packet from rtpengine to baresip (or back) is a second hop of the same
// audio, so the rules exclude baresip's ports: each packet is judged once,
// and the loss is percent % each way.
func (l *Lab) SetLoss(ctx context.Context, percent float64) error {
	if percent < 0 || percent >= 100 {
		return fmt.Errorf("voice lab: loss %v%% out of [0, 100)", percent)
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return fmt.Errorf("voice lab: loss needs iptables (apt-get install iptables): %w", err)
	}
	ipt := func(args ...string) error {
		out, err := l.Command(ctx, "iptables", append([]string{"-w"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	// The chain and its jump are made once; later calls only refill it.
	if ipt("-n", "-L", lossChain) != nil {
		if err := ipt("-N", lossChain); err != nil {
			return err
		}
		if err := ipt("-I", "INPUT", "-p", "udp", "-j", lossChain); err != nil {
			return err
		}
	}
	if err := ipt("-F", lossChain); err != nil {
		return err
	}
	if percent == 0 {
		return nil
	}
	p := strconv.FormatFloat(percent/100, 'f', 4, 64)
	drop := []string{"-m", "statistic", "--mode", "random", "--probability", p, "-j", "DROP"}
	// rtpengine -> WebRTC client, and WebRTC client -> rtpengine.
	if err := ipt(append([]string{"-A", lossChain, "-p", "udp", "--sport", rtpenginePorts, "!", "--dport", baresipPorts}, drop...)...); err != nil {
		return err
	}
	return ipt(append([]string{"-A", lossChain, "-p", "udp", "--dport", rtpenginePorts, "!", "--sport", baresipPorts}, drop...)...)
}

// Dropped returns how many packets the loss rules have dropped since the
// last SetLoss, for a test's report.
func (l *Lab) Dropped(ctx context.Context) (uint64, error) {
	out, err := l.Command(ctx, "iptables", "-w", "-n", "-v", "-x", "-L", lossChain).Output()
	if err != nil {
		return 0, fmt.Errorf("iptables -L %s: %w", lossChain, err)
	}
	var n uint64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "DROP" {
			v, _ := strconv.ParseUint(f[0], 10, 64)
			n += v
		}
	}
	return n, nil
}

// ToneShare is the share of the 20 ms frames of a call's audio that carry
// freq, counted against the frames that `lasted` holds when the recording
// is shorter: a receiver without concealment records only the packets that
// arrived, and the lost ones must still count as frames without the tone.
func ToneShare(samples []float64, rate int, freq float64, lasted time.Duration) (share float64, present, frames int) {
	r := tone.Detector{SampleRate: rate, Freq: freq}.Detect(samples)
	frames = max(len(r.Frames), int(lasted/tone.DefaultFrame))
	if frames == 0 {
		return 0, 0, 0
	}
	return float64(r.Present) / float64(frames), r.Present, frames
}
