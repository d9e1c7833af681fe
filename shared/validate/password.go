package validate

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password problems, in the order they are checked. The desktop and the reset
// page explain each one as the user types.
const (
	PasswordOK          = ""
	PasswordTooShort    = "too_short"
	PasswordTooLong     = "too_long"
	PasswordCommon      = "common"
	PasswordRepetitive  = "repetitive"
	PasswordPersonal    = "personal"
	PasswordInvalidText = "invalid_text"
)

//go:embed common_passwords.txt
var commonList string

var common = func() map[string]struct{} {
	m := make(map[string]struct{}, 1024)
	for _, line := range strings.Split(commonList, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = struct{}{}
		}
	}
	return m
}()

// Password applies the NIST 800-63B policy: 8 to 128 characters, no
// composition rules, not on the common/breached list, not a run of one
// character or a keyboard sequence, and not the user's own email or name.
// personal lists words of the user (email, display name, tenant name).
func Password(pw string, personal ...string) string {
	if !utf8.ValidString(pw) {
		return PasswordInvalidText
	}
	n := utf8.RuneCountInString(pw)
	if n < MinPassword {
		return PasswordTooShort
	}
	if n > MaxPassword {
		return PasswordTooLong
	}
	folded := strings.ToLower(pw)
	if isCommon(folded) {
		return PasswordCommon
	}
	if repetitive(folded) {
		return PasswordRepetitive
	}
	if isPersonal(folded, personal) {
		return PasswordPersonal
	}
	return PasswordOK
}

// isCommon looks the lower-cased password up in the common list as typed,
// without symbols bolted on at the end ("Welcome2025!"), and without digits
// and symbols bolted on ("Password1!") when a word of 6+ letters remains.
func isCommon(folded string) bool {
	if _, ok := common[folded]; ok {
		return true
	}
	noSymbols := strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if _, ok := common[noSymbols]; ok {
		return true
	}
	word := strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })
	if _, ok := common[word]; ok && len(word) >= 6 {
		return true
	}
	return false
}

// isPersonal is true when a word of the user's (4+ characters) makes up at
// least half of the password. The words of a personal string are its
// letter-and-digit runs, the whole string, the local part of an email, and
// those with the separators removed ("jane.doe" -> "janedoe"); the password
// is compared as typed and with its separators removed.
func isPersonal(folded string, personal []string) bool {
	candidates := []string{folded}
	if c := compact(folded); c != folded && c != "" {
		candidates = append(candidates, c)
	}
	for _, p := range personal {
		p = strings.ToLower(strings.TrimSpace(p))
		ws := append(words(p), p, compact(p))
		if at := strings.LastIndexByte(p, '@'); at > 0 {
			ws = append(ws, p[:at], compact(p[:at]))
		}
		for _, w := range ws {
			if utf8.RuneCountInString(w) < 4 {
				continue
			}
			for _, c := range candidates {
				if strings.Contains(c, w) && len(w)*2 >= len(c) {
					return true
				}
			}
		}
	}
	return false
}

// compact keeps only the letters and digits of s.
func compact(s string) string {
	return strings.Join(words(s), "")
}

// repetitive is true for a short unit repeated over the whole password, or
// a run along the alphabet, digits or a keyboard row covering it.
func repetitive(s string) bool {
	r := []rune(s)
	// One character, or a unit of up to 4 repeated: "aaaaaaaa", "abababab",
	// "abcabcab", "passpass".
	for period := 1; period <= 4 && period < len(r); period++ {
		periodic := true
		for i := period; i < len(r); i++ {
			if r[i] != r[i-period] {
				periodic = false
				break
			}
		}
		if periodic {
			return true
		}
	}
	for _, seq := range []string{
		"abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
		"qwertzuiop", "azertyuiop", "1qaz2wsx3edc4rfv", "09876543210", "zyxwvutsrqponmlkjihgfedcba",
	} {
		if strings.Contains(strings.Repeat(seq, 3), s) {
			return true
		}
	}
	return false
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
