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
	if _, ok := common[folded]; ok {
		return PasswordCommon
	}
	// "Password1!" style: a common word with digits or symbols bolted on.
	if _, ok := common[strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })]; ok && len(strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })) >= 6 {
		return PasswordCommon
	}
	if repetitive(folded) {
		return PasswordRepetitive
	}
	for _, p := range personal {
		for _, w := range words(p) {
			if len(w) >= 4 && strings.Contains(folded, w) && len(w)*2 >= len(folded) {
				return PasswordPersonal
			}
		}
	}
	return PasswordOK
}

// repetitive is true for one repeated character, or a run along the
// alphabet, digits or a keyboard row covering the whole password.
func repetitive(s string) bool {
	r := []rune(s)
	same := true
	for i := 1; i < len(r); i++ {
		if r[i] != r[0] {
			same = false
			break
		}
	}
	if same {
		return true
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
