package softphone

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

// lossResult is the share of 20 ms frames carrying the tone after a run
// through random packet loss.
type lossResult struct {
	Playout float64 // jitter buffer + playout with the codec's concealment
	Plain   float64 // the same packets decoded as they come, silence for lost ones
	Stats   PlayoutStats
	Dropped int
}

// lossRun sends seconds of a tone (freq) through enc, drops packets at
// random (probability loss, fixed seed), and plays the rest through a
// jitter buffer and playout with dec; the plain result decodes the same
// packets with a second decoder and puts silence where one is missing.
// The sequence numbers cross the 16-bit wrap on the way.
func lossRun(t testing.TB, enc, dec, plainDec Codec, freq, loss float64, seconds int, seed uint64) lossResult {
	t.Helper()
	rate := enc.SampleRate()
	src := &ToneSource{Freq: freq}
	_ = src.Start(rate)
	var out, plain Recorder
	_ = out.Start(rate)
	_ = plain.Start(rate)
	rng := rand.New(rand.NewPCG(seed, 1))
	jb := newJitterBuffer(enc.ClockRate())
	p := newPlayout(jb, dec, &out, rate)
	frame := make([]int16, rate/50)
	t0 := time.Unix(1000, 0)
	var r lossResult
	n := seconds * 50
	for i := range n {
		_ = src.Read(frame)
		payload, err := enc.Encode(frame)
		if err != nil {
			t.Fatal(err)
		}
		if rng.Float64() < loss {
			r.Dropped++
			_ = plain.Write(make([]int16, len(frame)))
		} else {
			pcm, err := plainDec.Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			_ = plain.Write(pcm)
			seq := uint16(65000 + i)
			jb.push(seq, uint32(i*len(frame)), payload, t0.Add(time.Duration(i)*frameDuration))
		}
		if err := p.tick(); err != nil {
			t.Fatal(err)
		}
	}
	ratio := func(rec *Recorder) float64 {
		s, rate := rec.Samples()
		return tone.Detector{SampleRate: rate, Freq: freq}.Detect(s).Ratio()
	}
	r.Playout, r.Plain, r.Stats = ratio(&out), ratio(&plain), p.stats()
	return r
}

func TestPCMUPlayoutUnderLoss(t *testing.T) {
	// 1 kHz fits 20 ms exactly (a repeated frame continues it seamlessly);
	// 440 Hz does not.
	for _, freq := range []float64{1000, 440} {
		for _, loss := range []float64{0.10, 0.20} {
			r := lossRun(t, PCMU{}, PCMU{}, PCMU{}, freq, loss, 10, 7)
			t.Logf("PCMU, %v Hz, %.0f%% loss (%d of 500 dropped): tone in %.1f%% of frames with concealment, %.1f%% without; %+v",
				freq, 100*loss, r.Dropped, 100*r.Playout, 100*r.Plain, r.Stats)
			if r.Playout <= 0.8 || r.Playout < r.Plain {
				t.Errorf("%v Hz, %.0f%% loss: %.1f%% with concealment, %.1f%% without", freq, 100*loss, 100*r.Playout, 100*r.Plain)
			}
			if r.Stats.Concealed < uint64(r.Dropped) || r.Stats.Lost == 0 || r.Stats.Late != 0 {
				t.Errorf("stats %+v for %d dropped", r.Stats, r.Dropped)
			}
		}
	}
}

func TestPCMUConcealmentFadesOut(t *testing.T) {
	var rec Recorder
	_ = rec.Start(8000)
	jb := newJitterBuffer(8000)
	p := newPlayout(jb, PCMU{}, &rec, 8000)
	loud := make([]int16, 160)
	for i := range loud {
		loud[i] = 10000
	}
	payload, _ := PCMU{}.Encode(loud)
	t0 := time.Unix(1000, 0)
	for i := range 3 { // 60 ms: more than the concealment's 48 ms history
		jb.push(uint16(1+i), uint32(160*i), payload, t0.Add(time.Duration(i)*frameDuration))
	}
	// 3 frames played, then the peer falls silent: the last period
	// repeated at full level for 10 ms, fading to silence at 60 ms, then
	// nothing at all (paused).
	for range 3 + maxUnderrun + 2 {
		_ = p.tick()
	}
	s, _ := rec.Samples()
	if len(s) != (3+maxUnderrun)*160 {
		t.Fatalf("%d samples, want %d frames", len(s), 3+maxUnderrun)
	}
	v := float64(DecodeULaw(EncodeULaw(10000)))
	// gain at each concealed frame's start and 10 ms in: 1 until 10 ms,
	// then −0.2 per 10 ms
	want := []float64{1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0, 0, 0} // the gap starts at 60 ms
	for k, g := range want {
		got := s[k*80] * 32768
		if d := got - g*v; d > 2 || d < -2 {
			t.Errorf("%d ms: %.0f, want %.0f", k*10, got, g*v)
		}
	}
	if st := p.stats(); st.Concealed != maxUnderrun || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestResample(t *testing.T) {
	up := resample([]int16{0, 600, 1200}, 8000, 48000)
	if len(up) != 18 || up[0] != 0 || up[3] != 300 || up[6] != 600 || up[17] != 1200 {
		t.Fatalf("8 → 48 kHz: %v", up)
	}
	if down := resample(make([]int16, 960), 48000, 8000); len(down) != 160 {
		t.Fatalf("48 → 8 kHz: %d samples", len(down))
	}
}

// BenchmarkPlayout: one 20 ms frame through the receive path (jitter
// buffer push and pop, PCMU decode, sink), per op.
func BenchmarkPlayout(b *testing.B) {
	benchPlayout(b, PCMU{}, PCMU{})
}

func benchPlayout(b *testing.B, enc, dec Codec) {
	rate := enc.SampleRate()
	src := &ToneSource{Freq: 1000}
	_ = src.Start(rate)
	frame := make([]int16, rate/50)
	payloads := make([][]byte, 50)
	for i := range payloads {
		_ = src.Read(frame)
		payloads[i], _ = enc.Encode(frame)
	}
	jb := newJitterBuffer(enc.ClockRate())
	p := newPlayout(jb, dec, discard{}, rate)
	t0 := time.Unix(1000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		jb.push(uint16(i), uint32(i*len(frame)), payloads[i%len(payloads)], t0.Add(time.Duration(i)*frameDuration))
		if err := p.tick(); err != nil {
			b.Fatal(err)
		}
	}
}

// firstWrite is a sink that notes how many frames the playout had
// concealed when its first frame came.
type firstWrite struct {
	p         *playout
	writes    int
	concealed uint64
	first     []int16
}

func (f *firstWrite) Start(int) error { return nil }
func (f *firstWrite) Close() error    { return nil }
func (f *firstWrite) Write(pcm []int16) error {
	if f.writes == 0 {
		f.concealed, f.first = f.p.concealed.Load(), append([]int16(nil), pcm...)
	}
	f.writes++
	return nil
}

// TestPlayoutFirstWriteIsDecoded: the speaker gets nothing until the
// jitter buffer has filled, and its first frame is the first packet
// decoded, never concealment, even when the packet after it was lost
// and the one before it came late (the benchmark's dial → audio played
// is the time to that first write).
func TestPlayoutFirstWriteIsDecoded(t *testing.T) {
	sink := &firstWrite{}
	p := newPlayout(newJitterBuffer(8000), PCMU{}, sink, 8000)
	sink.p = p
	t0 := time.Unix(1000, 0)
	frame := func(v int16) []byte {
		pcm := make([]int16, 160)
		for i := range pcm {
			pcm[i] = v
		}
		b, _ := PCMU{}.Encode(pcm)
		return b
	}
	for range 3 { // nothing yet
		_ = p.tick()
	}
	p.jb.push(21, 21*160, frame(3000), t0)
	_ = p.tick()                           // one frame: below the 40 ms floor
	p.jb.push(20, 20*160, frame(9000), t0) // came after 21: late, not played
	p.jb.push(23, 23*160, frame(5000), t0) // 22 lost
	if sink.writes != 0 {
		t.Fatalf("%d frames written before the buffer filled", sink.writes)
	}
	for range 3 {
		_ = p.tick()
	}
	want, _ := PCMU{}.Decode(frame(3000))
	if sink.writes != 3 || sink.concealed != 0 || sink.first[0] != want[0] {
		t.Errorf("%d frames written; the first after %d concealed, sample %d, want 3 written, the first decoded (%d), none concealed before",
			sink.writes, sink.concealed, sink.first[0], want[0])
	}
	if c := p.concealed.Load(); c != 1 {
		t.Errorf("%d concealed, want 1 (frame 22)", c)
	}
}

// TestFramesDue: the playout loop plays one frame per 20 ms of its clock,
// catches up on wake-ups that came late (up to maxCatchUp), and skips
// what is further behind.
func TestFramesDue(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		elapsed      time.Duration
		played       int64
		play         int
		accountedFor int64
	}{
		{20 * ms, 0, 1, 1},            // on time
		{21 * ms, 0, 1, 1},            // a little late
		{39 * ms, 1, 0, 1},            // an early tick: nothing due yet
		{60 * ms, 1, 2, 3},            // a tick missed
		{200 * ms, 3, maxCatchUp, 10}, // far behind: 5 played, 2 skipped
	}
	for _, c := range cases {
		play, acc := framesDue(c.elapsed, c.played)
		if play != c.play || acc != c.accountedFor {
			t.Errorf("framesDue(%v, %d) = %d, %d; want %d, %d", c.elapsed, c.played, play, acc, c.play, c.accountedFor)
		}
	}
}
