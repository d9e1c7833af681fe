// Command tonecheck judges a call recording for the desktop's voice e2e
// (desktop/e2e/softphone.test.mjs): which share of its 20 ms frames carry
// a tone, and the longest run without it between the first and the last
// frame that has it (a hold shows as such a gap) and how many frames carry
// it after that gap (the audio came back). It prints one JSON line:
//
//	tonecheck FILE.wav HZ
//	{"frames":512,"present":498,"ratio":0.97,"longest_gap_ms":3020,"after_gap":150,"duration_s":10.24}
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/agentdesk/agentdesk/infra/voice/tone"
)

type verdict struct {
	Frames       int     `json:"frames"`
	Present      int     `json:"present"`
	Ratio        float64 `json:"ratio"`
	LongestGapMs int     `json:"longest_gap_ms"`
	AfterGap     int     `json:"after_gap"` // frames with the tone after the longest gap
	DurationS    float64 `json:"duration_s"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tonecheck FILE.wav HZ")
		os.Exit(2)
	}
	hz, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil || hz <= 0 {
		fmt.Fprintln(os.Stderr, "tonecheck: HZ must be a positive number")
		os.Exit(2)
	}
	w, err := tone.ReadWAVFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tonecheck:", err)
		os.Exit(1)
	}
	d := tone.Detector{SampleRate: w.SampleRate, Freq: hz}
	r := d.Detect(w.Mono())
	v := verdict{Frames: len(r.Frames), Present: r.Present, Ratio: r.Ratio(), DurationS: w.Duration()}
	frameMs := 1000 * d.FrameSamples() / w.SampleRate
	first, last := -1, -1
	for i, f := range r.Frames {
		if f.Present {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	run, gapEnd := 0, 0
	for i := first; i >= 0 && i <= last; i++ {
		if r.Frames[i].Present {
			run = 0
			continue
		}
		run++
		if run*frameMs > v.LongestGapMs {
			v.LongestGapMs, gapEnd = run*frameMs, i+1
		}
	}
	for i := gapEnd; v.LongestGapMs > 0 && i < len(r.Frames); i++ {
		if r.Frames[i].Present {
			v.AfterGap++
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(v)
}
