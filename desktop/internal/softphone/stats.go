package softphone

import (
	"math"
	"strings"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Stats is a call's live quality.
type Stats struct {
	Codec                        string        // "opus" | "PCMU"
	RTT                          time.Duration // from RTCP receiver reports (else ICE checks)
	Jitter                       time.Duration // of what we receive
	LossPercent                  float64       // received-side loss, 0..100
	MOS                          float64       // E-model estimate 1..4.5
	PacketsSent, PacketsReceived uint64
	Concealed                    uint64 // frames concealed by PLC/FEC
}

// statsInterceptors: RTCP sender/receiver reports (the peer's receiver
// reports give the round trip and its view of our loss) and pion's stats
// interceptor (GetStats' inbound-rtp, outbound-rtp, remote-inbound-rtp).
func statsInterceptors() (*interceptor.Registry, error) {
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureStatsInterceptor(ir); err != nil {
		return nil, err
	}
	return ir, nil
}

// Stats reads the call's quality from pion's statistics; zero before the
// call has media and once it has ended (its peer connection is closed).
func (c *Call) Stats() Stats {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	select {
	case <-c.ended:
		return Stats{}
	default:
	}
	if m == nil {
		return Stats{}
	}
	st := Stats{Codec: codecName(m.sendCodec())}
	var lost int64
	var iceRTT, rtcpRTT float64
	for _, s := range m.pc.GetStats() {
		switch v := s.(type) {
		case webrtc.InboundRTPStreamStats:
			if v.Kind == "audio" {
				st.PacketsReceived += uint64(v.PacketsReceived)
				lost += int64(v.PacketsLost)
				st.Jitter = max(st.Jitter, seconds(v.Jitter))
			}
		case webrtc.OutboundRTPStreamStats:
			st.PacketsSent += uint64(v.PacketsSent)
		case webrtc.RemoteInboundRTPStreamStats:
			if v.RoundTripTimeMeasurements > 0 {
				rtcpRTT = v.RoundTripTime
			}
		case webrtc.ICECandidatePairStats:
			if v.Nominated && v.CurrentRoundTripTime > 0 {
				iceRTT = v.CurrentRoundTripTime
			}
		}
	}
	if st.PacketsSent == 0 {
		st.PacketsSent = m.track.packetsSent()
	}
	st.RTT = seconds(iceRTT)
	if rtcpRTT > 0 {
		st.RTT = seconds(rtcpRTT)
	}
	if lost > 0 {
		st.LossPercent = 100 * float64(lost) / float64(int64(st.PacketsReceived)+lost)
	}
	st.Concealed = m.playoutStats().Concealed
	st.MOS = mos(st.Codec, st.RTT, st.Jitter, st.LossPercent)
	return st
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func codecName(c Codec) string {
	_, name, _ := strings.Cut(c.MimeType(), "/")
	if strings.EqualFold(name, "opus") {
		return "opus"
	}
	return name
}

// mos is an E-model estimate (ITU-T G.107, simplified as in Cole and
// Rosenbluth 2001, "Voice over IP performance monitoring"):
//
//	d      = RTT/2 + 2·jitter + 10 ms (one-way delay: network, jitter buffer, packetisation)
//	Id     = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)
//	Ie_eff = Ie + (95 − Ie)·Ppl / (Ppl + Bpl)   (G.107 §7.4, Ppl in %)
//	R      = 93.2 − Id − Ie_eff
//	MOS    = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R), 1 below R = 0, 4.5 above 100
//
// Ie and Bpl per codec from ITU-T G.113 Appendix I: G.711 with PLC Ie 0,
// Bpl 25.1; Opus (not in G.113) taken as Ie 0 with Bpl 20 at our bitrates,
// FEC being on.
func mos(codec string, rtt, jitter time.Duration, lossPercent float64) float64 {
	d := float64(rtt.Milliseconds())/2 + 2*float64(jitter.Milliseconds()) + 10
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ie, bpl := 0.0, 25.1
	if codec == "opus" {
		bpl = 20
	}
	ieEff := ie + (95-ie)*lossPercent/(lossPercent+bpl)
	r := 93.2 - id - ieEff
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return math.Min(4.5, 1+0.035*r+7e-6*r*(r-60)*(100-r))
}
