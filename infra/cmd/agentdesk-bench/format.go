package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// commas puts thousands separators in a decimal number.
func commas(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	n := len(whole)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (n-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// num formats a per-hour or per-call figure.
func num(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v == math.Trunc(v):
		return commas(fmt.Sprintf("%.0f", v))
	case v >= 10:
		return commas(fmt.Sprintf("%.1f", v))
	case v >= 0.1:
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func dur(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d < time.Second && d%time.Millisecond == 0:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	default:
		return fmt.Sprintf("%g s", d.Seconds())
	}
}
