package validate

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Email normalises an address for storage and lookup (trimmed, lower-cased)
// and reports whether it is a plain addr-spec with a dotted domain.
func Email(s string) (string, bool) {
	// Check UTF-8 first: ToLower would turn invalid bytes into U+FFFD.
	if !utf8.ValidString(s) {
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || !Length(s, MaxEmail) {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) == 0 || len(local) > 64 || !validDomain(domain) {
		return "", false
	}
	return s, true
}

// EmailDomain is the domain part of a normalised address.
func EmailDomain(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}

// Domain normalises and checks a DNS domain name (used for federated domains).
func Domain(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, validDomain(s)
}

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
