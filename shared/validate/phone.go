package validate

import (
	"strings"
	"unicode"
)

// DialNumber normalises a dial number the way Webex does — keep a leading
// '+' and the digits, drop the usual separators (spaces, '-', '.', '(', ')',
// '/') — and reports whether the result is valid E.164: '+', a country code
// not starting with 0, 8 to 15 digits. Any other character (a letter, a
// second '+', "ext 12") makes the number invalid rather than being dropped,
// so "+1 415 555 0100 ext 23" is not read as +1415555010023.
func DialNumber(s string) (string, bool) {
	if !Length(s, MaxDialNumber) {
		return "", false
	}
	s = strings.TrimSpace(s)
	var b strings.Builder
	valid := true
	for i, r := range s {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || unicode.IsSpace(r):
		default:
			valid = false
		}
	}
	n := b.String()
	if !valid || !strings.HasPrefix(n, "+") {
		return n, false
	}
	digits := n[1:]
	if len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
		return n, false
	}
	return n, true
}

// Extension checks an internal extension: 2 to 16 digits.
func Extension(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || len(s) > MaxExtension {
		return s, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return s, false
		}
	}
	return s, true
}
