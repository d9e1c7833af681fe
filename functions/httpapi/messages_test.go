package httpapi

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/functions/i18n"
	"github.com/agentdesk/agentdesk/shared/validate"
)

func TestEveryMessageInEveryLanguage(t *testing.T) {
	if missing := messages.Missing(); len(missing) > 0 {
		t.Fatalf("messages missing or inconsistent:\n%s", strings.Join(missing, "\n"))
	}
	for _, code := range Codes() {
		if !messages.Has(code) {
			t.Errorf("code %q has no localised message", code)
		}
	}
	for _, reason := range []string{validate.PasswordTooShort, validate.PasswordTooLong, validate.PasswordCommon,
		validate.PasswordRepetitive, validate.PasswordPersonal, validate.PasswordInvalidText} {
		if !messages.Has("reason." + reason) {
			t.Errorf("password reason %q has no localised explanation", reason)
		}
	}
	for _, l := range i18n.Locales {
		if l != "en" && messages.T(l, "invalid_credentials", nil) == messages.T("en", "invalid_credentials", nil) {
			t.Errorf("%s message is the English one", l)
		}
	}
}

func TestStatusOfEveryCode(t *testing.T) {
	for _, code := range Codes() {
		if s := StatusOf(code); s < 400 || s > 599 {
			t.Errorf("%s -> %d", code, s)
		}
	}
	if StatusOf("no_such_code") != 500 {
		t.Error("unknown codes must be 500")
	}
}
