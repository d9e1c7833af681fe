//go:build cgo && !windows

package softphone

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// TestFECFollowsReceiverReports: the encoder's expected loss follows the
// loss the peer reports about our stream (not about another one),
// smoothed, at most once a second, within [5, 40]%.
func TestFECFollowsReceiverReports(t *testing.T) {
	const ours, other = 0x1234, 0x9999
	enc := newOpus(t, &Opus{})
	var a fecAdapter
	t0 := time.Unix(1000, 0)
	frame := make([]int16, opusFrame)
	steps := []struct {
		after time.Duration
		pkt   rtcp.Packet
		want  int
	}{
		// Another stream's loss does not count; the first report is taken as is.
		{0, &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: other, FractionLost: 128}, {SSRC: ours, FractionLost: 51}}}, 20},
		// Within the second: noted, not applied.
		{500 * time.Millisecond, &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: ours, FractionLost: 0}}}, 20},
		// Falling loss is followed slowly: 0.2 → 0.16 → 0.128.
		{1500 * time.Millisecond, &rtcp.SenderReport{Reports: []rtcp.ReceptionReport{{SSRC: ours, FractionLost: 0}}}, 13},
		// Rising loss quickly, and no more than 40%.
		{2600 * time.Millisecond, &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: ours, FractionLost: 230}}}, 40},
	}
	for i, s := range steps {
		a.onRTCP([]rtcp.Packet{s.pkt}, ours, enc, t0.Add(s.after))
		if _, err := enc.Encode(frame); err != nil {
			t.Fatal(err)
		}
		got, err := enc.enc.PacketLossPerc()
		if err != nil {
			t.Fatal(err)
		}
		if got != s.want || enc.ExpectedLoss != s.want {
			t.Errorf("step %d: the encoder expects %d%% loss (ExpectedLoss %d), want %d%%", i, got, enc.ExpectedLoss, s.want)
		}
	}
	// A clean path still keeps the floor.
	var b fecAdapter
	if p, set := b.report(0, t0); !set || p != fecMinLoss {
		t.Errorf("no loss reported: %d%% (set %v), want %d%%", p, set, fecMinLoss)
	}
	// PCMU has no FEC: reports are ignored without harm.
	b.onRTCP([]rtcp.Packet{steps[0].pkt}, ours, PCMU{}, t0)
}
