package validate

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Run one with e.g. `go test -fuzz=FuzzEmail -fuzztime=30s ./validate`.
// Without -fuzz, the seeds run as ordinary tests.

func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"ana@example.com", "  Ana.Silva@Example.COM ", "a+tag@sub.example.co.uk", "josé@example.com",
		"İ@example.com", "Ǆ@example.com", "ana@", "@x.y", `"a b"@example.com`, "Ana <ana@example.com>",
		"ana@example.com (c)", "\xffana@example.com", "a@b.c", "ana@[127.0.0.1]", strings.Repeat("a", 64) + "@x.io",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := Email(s)
		if !ok {
			if out != "" {
				t.Fatalf("Email(%q) invalid but returned %q", s, out)
			}
			return
		}
		if out == "" || !utf8.ValidString(out) || !Length(out, MaxEmail) {
			t.Fatalf("Email(%q) = %q breaks the limits", s, out)
		}
		if out != strings.TrimSpace(out) || out != strings.ToLower(out) {
			t.Fatalf("Email(%q) = %q is not trimmed and lower case", s, out)
		}
		at := strings.LastIndexByte(out, '@')
		if at <= 0 || at > 64 {
			t.Fatalf("Email(%q) = %q has a bad local part", s, out)
		}
		if d, ok := Domain(EmailDomain(out)); !ok || d != EmailDomain(out) {
			t.Fatalf("Email(%q) = %q has a bad domain", s, out)
		}
		if again, ok := Email(out); !ok || again != out {
			t.Fatalf("Email(%q) = %q, but Email(%q) = %q, %v", s, out, out, again, ok)
		}
	})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func FuzzDialNumber(f *testing.F) {
	for _, s := range []string{
		"+1 (415) 555-0100", "14155550100", "+44 20 7946 0958", "+0123456789", "++14155550100",
		"+1415555010O", "+1 415 555 0100 ext 23", "+1\u00a0415\u00a05550100", "+１４１５５５５０１００", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := DialNumber(s)
		if !ok {
			return
		}
		if !e164.MatchString(out) {
			t.Fatalf("DialNumber(%q) = %q is not E.164", s, out)
		}
		if !Length(s, MaxDialNumber) {
			t.Fatalf("DialNumber(%q) accepted input over %d characters", s, MaxDialNumber)
		}
		if again, ok := DialNumber(out); !ok || again != out {
			t.Fatalf("DialNumber(%q) = %q, but DialNumber(%q) = %q, %v", s, out, out, again, ok)
		}
		// Only separators were dropped: the digits are the input's digits.
		var digits strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits.WriteRune(r)
			}
		}
		if digits.String() != out[1:] {
			t.Fatalf("DialNumber(%q) = %q lost or invented digits", s, out)
		}
	})
}

func FuzzPassword(f *testing.F) {
	for _, s := range []string{
		"", "password", "Password1!", "Welcome2025!", "aaaaaaaa", "abababab", "12345678", "correct horse battery staple",
		"jane.doe@example.com", "ééééééé", "日本語のパスワード", strings.Repeat("x9", 65), "bad\xffutf8pass",
	} {
		f.Add(s, "jane.doe@example.com")
	}
	valid := map[string]bool{
		PasswordOK: true, PasswordTooShort: true, PasswordTooLong: true, PasswordCommon: true,
		PasswordRepetitive: true, PasswordPersonal: true, PasswordInvalidText: true,
	}
	f.Fuzz(func(t *testing.T, pw, personal string) {
		got := Password(pw, personal)
		if !valid[got] {
			t.Fatalf("Password(%q) = %q, not a known result", pw, got)
		}
		if again := Password(pw, personal); again != got {
			t.Fatalf("Password(%q) is not deterministic: %q then %q", pw, got, again)
		}
		if !utf8.ValidString(pw) {
			if got != PasswordInvalidText {
				t.Fatalf("Password(%q) = %q for invalid UTF-8", pw, got)
			}
			return
		}
		n := utf8.RuneCountInString(pw)
		switch {
		case n < MinPassword && got != PasswordTooShort,
			n > MaxPassword && got != PasswordTooLong,
			n >= MinPassword && n <= MaxPassword && (got == PasswordTooShort || got == PasswordTooLong):
			t.Fatalf("Password(%q) (%d characters) = %q", pw, n, got)
		}
		if got == PasswordOK {
			// Without personal words it stays acceptable.
			if again := Password(pw); again != PasswordOK {
				t.Fatalf("Password(%q) OK with personal words but %q without", pw, again)
			}
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"  Ana Silva ", "", "line\nbreak", "c1\u0085", "admin\u202egnp", "Zoë 🎧", "\xff", "👩‍💻"} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1024 {
			max %= 1025
			if max < 0 {
				max = -max
			}
		}
		out, ok := Text(s, max)
		if !ok {
			if out != "" {
				t.Fatalf("Text(%q, %d) invalid but returned %q", s, max, out)
			}
			return
		}
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > max {
			t.Fatalf("Text(%q, %d) = %q breaks the limit", s, max, out)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("Text(%q, %d) = %q is not trimmed", s, max, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("Text(%q, %d) = %q holds a control character", s, max, out)
			}
		}
		if again, ok := Text(out, max); !ok || again != out {
			t.Fatalf("Text(%q, %d) = %q, but again %q, %v", s, max, out, again, ok)
		}
	})
}
