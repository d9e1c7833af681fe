//go:build linux

package voice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// TestSetLoss sends UDP datagrams inside a lab's namespace between an
// address in rtpengine's port range and an ephemeral one (the WebRTC leg),
// and between baresip's range and rtpengine's (the plain leg): SetLoss
// drops the share it is told on the first, both ways, and nothing on the
// second; SetLoss(0) drops nothing.
func TestSetLoss(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("voice lab: needs root to create a network namespace; run the tests as root to include it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lab, err := Start(ctx, Options{Netns: fmt.Sprintf("agentdesk-vloss-%d", os.Getpid()), Dir: t.TempDir()})
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("voice lab: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := lab.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	labIP, clientIP := lab.Env["VOICE_LAB_LAB_IP"], lab.Env["VOICE_LAB_CLIENT_IP"]
	rtp := listenIn(t, lab, labIP, 30990, 30999)      // as rtpengine
	webrtc := listenIn(t, lab, labIP, 0, 0)           // as a WebRTC client
	plain := listenIn(t, lab, clientIP, 31290, 31299) // as baresip
	defer rtp.Close()
	defer webrtc.Close()
	defer plain.Close()

	const n = 1000
	if err := lab.SetLoss(ctx, 30); err != nil {
		t.Fatal(err)
	}
	// 1000 sent at 30% loss: 700 ± 14.5 arrive (one standard deviation);
	// 600..800 is ±6.9 of them, a chance of failing by mistake below 1e-11.
	for _, leg := range []struct {
		name     string
		from, to *net.UDPConn
		lo, hi   int
	}{
		{"rtpengine -> WebRTC client", rtp, webrtc, 600, 800},
		{"WebRTC client -> rtpengine", webrtc, rtp, 600, 800},
		{"baresip -> rtpengine (plain leg)", plain, rtp, n, n},
		{"rtpengine -> baresip (plain leg)", rtp, plain, n, n},
	} {
		got := sendCount(t, leg.from, leg.to, n)
		t.Logf("30%% loss, %s: %d of %d arrived", leg.name, got, n)
		if got < leg.lo || got > leg.hi {
			t.Errorf("%s: %d of %d arrived, want %d..%d", leg.name, got, n, leg.lo, leg.hi)
		}
	}
	dropped, err := lab.Dropped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("iptables counted %d drops", dropped)
	if dropped < 400 || dropped > 800 {
		t.Errorf("iptables counted %d drops, want about 600", dropped)
	}

	if err := lab.SetLoss(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := sendCount(t, rtp, webrtc, n); got != n {
		t.Errorf("no loss: %d of %d arrived", got, n)
	}
	if err := lab.SetLoss(ctx, 100); err == nil {
		t.Error("SetLoss(100) accepted")
	}
}

// listenIn binds a UDP socket inside the lab's namespace on ip and the
// first free port of lo..hi (0: any).
func listenIn(t *testing.T, lab *Lab, ip string, lo, hi int) *net.UDPConn {
	t.Helper()
	var conn *net.UDPConn
	err := lab.InNetns(func() error {
		var err error
		for p := lo; p <= hi; p++ {
			if conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip), Port: p}); err == nil {
				return nil
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// sendCount sends n datagrams from one socket to the other, paced so that
// no socket buffer overflows, and counts those that arrive.
func sendCount(t *testing.T, from, to *net.UDPConn, n int) int {
	t.Helper()
	got := make(chan int)
	go func() {
		buf := make([]byte, 64)
		count := 0
		for {
			_ = to.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, _, err := to.ReadFromUDP(buf); err != nil {
				got <- count
				return
			}
			count++
		}
	}()
	dst := to.LocalAddr().(*net.UDPAddr)
	for i := range n {
		if _, err := from.WriteToUDP([]byte("agentdesk loss test"), dst); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			time.Sleep(time.Millisecond)
		}
	}
	return <-got
}

// TestToneShare: frames missing from a recording count against the
// call's length; a recording longer than that length counts as it is.
func TestToneShare(t *testing.T) {
	const rate = 8000
	two := tone.Sine(rate, 440, 0.5, 0, 2*rate) // 2 s: 100 frames
	for _, c := range []struct {
		lasted         time.Duration
		share          float64
		present, total int
	}{
		{0, 1, 100, 100},
		{time.Second, 1, 100, 100},
		{2500 * time.Millisecond, 0.8, 100, 125},
	} {
		share, present, total := ToneShare(two, rate, 440, c.lasted)
		if share != c.share || present != c.present || total != c.total {
			t.Errorf("lasted %v: %v (%d of %d), want %v (%d of %d)", c.lasted, share, present, total, c.share, c.present, c.total)
		}
	}
	if share, _, _ := ToneShare(two, rate, 1000, 0); share != 0 {
		t.Errorf("1000 Hz found in a 440 Hz tone: %v", share)
	}
	if share, _, total := ToneShare(nil, rate, 440, 0); share != 0 || total != 0 {
		t.Errorf("nothing: %v of %d", share, total)
	}
}
