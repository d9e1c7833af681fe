// Package validate holds the input rules both halves apply: limits on every
// string, email and E.164 normalisation, and the password policy.
package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits, in characters (runes), for every string the API accepts.
const (
	MaxEmail        = 254
	MaxDisplayName  = 128
	MaxPassword     = 128
	MinPassword     = 8
	MaxName         = 128
	MaxDescription  = 1024
	MaxID           = 64
	MaxDialNumber   = 32 // before normalisation; E.164 itself has at most 15 digits
	MaxExtension    = 16
	MaxSIPUsername  = 64
	MaxSIPPassword  = 128
	MaxURL          = 2048
	MaxBanner       = 500
	MaxToken        = 8192
	MaxDeviceName   = 128
	MaxPlatform     = 32
	MaxSearch       = 128
	MaxListItems    = 100
	MaxBodyBytes    = 64 << 10
	RecommendedPass = 15
)

// Length reports whether s is valid UTF-8 of at most max runes.
func Length(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max
}

// Text trims s and checks it is valid UTF-8, within max runes and free of
// control characters: C0 and C1 controls and DEL, the Unicode line and
// paragraph separators (single-line text has no line breaks), and the
// bidirectional embedding, override and isolate controls (they can make a
// name display as something else). Empty text is allowed; callers check
// required fields.
func Text(s string, max int) (string, bool) {
	s = strings.TrimSpace(s)
	if !Length(s, max) {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
			r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return "", false
		}
	}
	return s, true
}
