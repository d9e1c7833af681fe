// Command tonecheck judges a call recording for the desktop's voice e2e
// (desktop/e2e/softphone.test.mjs): which share of its 20 ms frames carry
// a tone, and the longest run without it between the first and the last
// frame that has it (a hold shows as such a gap). It prints one JSON line:
//
//	tonecheck FILE.wav HZ
//	{"frames":512,"present":498,"ratio":0.97,"longest_gap_ms":3020,"duration_s":10.24}
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
	run := 0
	for i := first; i >= 0 && i <= last; i++ {
		if r.Frames[i].Present {
			run = 0
			continue
		}
		run++
		if run*frameMs > v.LongestGapMs {
			v.LongestGapMs = run * frameMs
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(v)
}
