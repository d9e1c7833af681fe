package validate

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	ok := map[string]string{
		"ana@example.com":                        "ana@example.com",
		"  Ana.Silva@Example.COM\t":              "ana.silva@example.com",
		"a+tag@sub.example.co.uk":                "a+tag@sub.example.co.uk",
		"o'brien@example.ie":                     "o'brien@example.ie",
		"x@a-b.example":                          "x@a-b.example",
		"user@xn--bcher-kva.ch":                  "user@xn--bcher-kva.ch",
		"josé@example.com":                       "josé@example.com",
		strings.Repeat("a", 64) + "@example.com": strings.Repeat("a", 64) + "@example.com",
	}
	for in, want := range ok {
		got, valid := Email(in)
		if !valid || got != want {
			t.Errorf("Email(%q) = %q, %v; want %q, true", in, got, valid, want)
		}
	}
	bad := []string{
		"", "   ", "ana", "ana@", "@example.com", "ana@example", "ana@localhost",
		"Ana <ana@example.com>", "ana@example.com (Ana)", `"ana"@example.com`, `"a b"@example.com`,
		"ana@@example.com", "a@b@example.com", "ana@example..com", "ana@.example.com", "ana@example.com.",
		"ana@-example.com", "ana@example-.com", "ana@exa_mple.com", "ana@exämple.com", "ana@[127.0.0.1]",
		".ana@example.com", "ana.@example.com", "a..na@example.com", "ana @example.com", "ana@exa mple.com",
		"ana\nx@example.com", "ana\x00@example.com", "\xffana@example.com", "ana@example.com\xff",
		strings.Repeat("a", 65) + "@example.com",
		"a@" + strings.Repeat("b", 64) + ".com",
		"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "com", // over 254 characters
	}
	for _, in := range bad {
		if got, valid := Email(in); valid {
			t.Errorf("Email(%q) = %q, valid; want invalid", in, got)
		}
	}
	if d := EmailDomain("ana@example.com"); d != "example.com" {
		t.Errorf("EmailDomain = %q", d)
	}
}

func TestDomain(t *testing.T) {
	if d, ok := Domain(" Contoso.COM "); !ok || d != "contoso.com" {
		t.Errorf("Domain = %q, %v", d, ok)
	}
	for _, in := range []string{"", "contoso", "contoso..com", "-contoso.com", "cont oso.com", "contoso.com."} {
		if _, ok := Domain(in); ok {
			t.Errorf("Domain(%q) valid", in)
		}
	}
}

func TestDialNumber(t *testing.T) {
	ok := map[string]string{
		"+1 (415) 555-0100":        "+14155550100",
		"+14155550100":             "+14155550100",
		" +44 20 7946 0958 ":       "+442079460958",
		"+33 1.23.45.67.89":        "+33123456789",
		"+55 11 91234-5678":        "+5511912345678",
		"+49/30/1234567":           "+49301234567",
		"+1\u00a0415\u00a05550100": "+14155550100",
		"+12345678":                "+12345678",        // 8 digits
		"+123456789012345":         "+123456789012345", // 15 digits
	}
	for in, want := range ok {
		got, valid := DialNumber(in)
		if !valid || got != want {
			t.Errorf("DialNumber(%q) = %q, %v; want %q, true", in, got, valid, want)
		}
	}
	bad := []string{
		"", "+",
		"14155550100",       // no +
		"(415) 555-0100",    // no +
		"001 415 555 0100",  // international prefix instead of +
		"+1234567",          // 7 digits
		"+1234567890123456", // 16 digits
		"+0 415 555 0100",   // country code starting with 0
		"1+4155550100",      // + not first
		"++14155550100",     // two +
		"+1415555010O",      // a letter O, not a zero
		"+1 415 555 0100 ext 23",
		"+1 415 555 0100 x23",
		"+1-800-FLOWERS",
		"+1 415 555 0100#",
		"+１４１５５５５０１００", // full-width digits
		"+1 (415) 555-0100" + strings.Repeat(" ", 20), // longer than MaxDialNumber before trimming
	}
	for _, in := range bad {
		if got, valid := DialNumber(in); valid {
			t.Errorf("DialNumber(%q) = %q, valid; want invalid", in, got)
		}
	}
}

func TestExtension(t *testing.T) {
	for in, want := range map[string]string{"1001": "1001", " 42 ": "42", "0012": "0012", strings.Repeat("9", 16): strings.Repeat("9", 16)} {
		if got, ok := Extension(in); !ok || got != want {
			t.Errorf("Extension(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "1", "12a", "+1001", "10 01", "1001#", "１２", strings.Repeat("9", 17)} {
		if got, ok := Extension(in); ok {
			t.Errorf("Extension(%q) = %q, valid", in, got)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"  Ana Silva ", 128, "Ana Silva"},
		{"", 10, ""},
		{"   ", 10, ""},
		{"Zoë 🎧 São Paulo", 15, "Zoë 🎧 São Paulo"},
		{"été", 3, "été"},                  // runes, not bytes
		{"👩‍💻 Support", 20, "👩‍💻 Support"}, // ZWJ sequences are fine
		{"\tTabbed\t", 10, "Tabbed"},       // surrounding white space is trimmed
	} {
		got, ok := Text(c.in, c.max)
		if !ok || got != c.want {
			t.Errorf("Text(%q, %d) = %q, %v; want %q", c.in, c.max, got, ok, c.want)
		}
	}
	for _, c := range []struct {
		in  string
		max int
	}{
		{"abcd", 3},
		{"étéé", 3},
		{"line\nbreak", 100},
		{"tab\tinside", 100},
		{"nul\x00", 100},
		{"del\x7f", 100},
		{"c1\u0085control", 100},
		{"c1\u009bcsi", 100},
		{"line\u2028separator", 100},
		{"admin\u202egnp.exe", 100},
		{"isolate\u2066x\u2069", 100},
		{"bad \xff utf8", 100},
	} {
		if got, ok := Text(c.in, c.max); ok {
			t.Errorf("Text(%q, %d) = %q, valid; want invalid", c.in, c.max, got)
		}
	}
	if !Length("ééé", 3) || Length("éééé", 3) || Length("\xff", 10) {
		t.Error("Length counts runes of valid UTF-8")
	}
}

func TestPassword(t *testing.T) {
	const email, name, tenant = "jane.doe@example.com", "Jane Doe", "Acme Contact"
	for _, c := range []struct {
		pw   string
		want string
	}{
		// Length, in characters.
		{"", PasswordTooShort},
		{"Xk9#mQ2", PasswordTooShort},
		{"ééééééé", PasswordTooShort}, // 7 characters, 14 bytes
		{"Xk9#mQ2v", PasswordOK},
		{"日本語のパスワード", PasswordOK},                               // 9 characters
		{strings.Repeat("Xk9#mQ2v", 16), PasswordOK},            // 128
		{strings.Repeat("Xk9#mQ2v", 16) + "z", PasswordTooLong}, // 129
		{strings.Repeat("Öl9#mQ2v", 16), PasswordOK},            // 128 characters, 144 bytes
		{strings.Repeat("Öl9#mQ2v", 16) + "é", PasswordTooLong},
		{"bad\xffutf8pass", PasswordInvalidText},
		// Common, whatever the case, with digits or symbols bolted on.
		{"password", PasswordCommon},
		{"PASSWORD", PasswordCommon},
		{"PassWord", PasswordCommon},
		{"Password1!", PasswordCommon},
		{"password123!!", PasswordCommon},
		{"Welcome2025!", PasswordCommon},
		{"qwertyuiop", PasswordCommon},
		{"Contraseña", PasswordCommon},
		{"MotDePasse", PasswordCommon},
		{"iloveyou", PasswordCommon},
		// Repetitive or sequential.
		{"aaaaaaaa", PasswordRepetitive},
		{"ZZZZZZZZZZ", PasswordRepetitive},
		{"12345678", PasswordCommon}, // on the list first
		{"23456789", PasswordRepetitive},
		{"abcdefgh", PasswordCommon},
		{"bcdefghij", PasswordRepetitive},
		{"hgfedcba", PasswordRepetitive},
		{"asdfghjkl", PasswordCommon},
		{"wertyuio", PasswordRepetitive},
		{"abababab", PasswordRepetitive},
		{"abcabcabc", PasswordRepetitive},
		{"xyzxyzxy", PasswordRepetitive},
		{"éàéàéàéà", PasswordRepetitive},
		// The user's own email or name.
		{"jane.doe", PasswordPersonal},
		{"Jane.Doe", PasswordPersonal},
		{"janedoe1", PasswordPersonal},
		{"janedoe2024", PasswordPersonal},
		{"Jane-Doe-99", PasswordPersonal},
		{"jane.doe@example.com", PasswordPersonal},
		{"JANE.DOE@EXAMPLE.COM", PasswordPersonal},
		{"acmecontact1", PasswordPersonal},
		{"example.com!", PasswordPersonal},
		// Long passphrases pass, even with a personal word in them.
		{"correct horse battery staple", PasswordOK},
		{"Jane's violin sits by the window", PasswordOK},
		{"São Paulo à noite é linda demais", PasswordOK},
		{"tamanho não é documento", PasswordOK},
	} {
		if got := Password(c.pw, email, name, tenant); got != c.want {
			t.Errorf("Password(%q) = %q, want %q", c.pw, got, c.want)
		}
	}
	// Without personal words, a name-like password is only judged on the rest.
	if got := Password("janedoe2024"); got != PasswordOK {
		t.Errorf("no personal words: %q", got)
	}
	// Short personal words (under 4 characters) are not matched.
	if got := Password("lee-ann-tan-ok", "ann@x.io", "Ann Lee"); got != PasswordOK {
		t.Errorf("short personal words: %q", got)
	}
}
