package mail

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
)

func fullData() map[string]string {
	return map[string]string{
		KeyTenantName:   "Acme Support",
		KeyDisplayName:  "Ana Souza",
		KeyLink:         "https://agentdesk.example.com/p/reset?token=abc123",
		KeyCode:         "482913",
		KeyExtension:    "4021",
		KeySIPUsername:  "ana.souza",
		KeyExpiresHours: "72",
		KeyEmail:        "ana@acme.example",
	}
}

func msg(template, locale string, data map[string]string) *domain.OutboxMessage {
	return &domain.OutboxMessage{ID: "m1", To: "ana@acme.example", Locale: locale, Template: template, Data: data}
}

func TestCatalogComplete(t *testing.T) {
	if missing := Catalog.Missing(); len(missing) > 0 {
		t.Fatalf("catalog gaps:\n%s", strings.Join(missing, "\n"))
	}
	for _, l := range i18n.Locales {
		if len(Catalog[l]) == 0 {
			t.Fatalf("locale %s has no messages", l)
		}
	}
}

func TestEveryTemplateHasASpec(t *testing.T) {
	if got := Templates(); !slices.Equal(got, domain.MailTemplates) {
		t.Fatalf("Templates() = %v, domain.MailTemplates = %v", got, domain.MailTemplates)
	}
	for _, tpl := range domain.MailTemplates {
		for _, k := range []string{tpl + ".subject", tpl + ".heading"} {
			if !Catalog.Has(k) {
				t.Errorf("catalog lacks %s", k)
			}
		}
		for _, b := range specs[tpl].blocks {
			if !Catalog.Has(b.key) {
				t.Errorf("%s: catalog lacks %s", tpl, b.key)
			}
		}
	}
}

func TestRenderEveryTemplateInEveryLocale(t *testing.T) {
	for _, tpl := range domain.MailTemplates {
		for _, loc := range i18n.Locales {
			t.Run(tpl+"/"+loc, func(t *testing.T) {
				e, err := Render(msg(tpl, loc, fullData()))
				if err != nil {
					t.Fatal(err)
				}
				if e.To != "ana@acme.example" || e.Subject == "" || e.Text == "" || e.HTML == "" {
					t.Fatalf("incomplete email: %+v", e)
				}
				for part, s := range map[string]string{"subject": e.Subject, "text": e.Text, "html": e.HTML} {
					if strings.ContainsAny(s, "{}") {
						t.Errorf("%s keeps a placeholder: %s", part, s)
					}
				}
				if !strings.Contains(e.Subject+e.Text, "Acme Support") || !strings.Contains(e.HTML, "Acme Support") {
					t.Errorf("tenant name missing")
				}
				if !strings.Contains(e.HTML, `<html lang="`+loc+`">`) {
					t.Errorf("html lang not %s", loc)
				}
				if !strings.Contains(e.Text, "Ana Souza") {
					t.Errorf("greeting lacks the display name")
				}
				// Every visible sentence comes from the locale's own catalog.
				heading := Catalog[loc][tpl+".heading"]
				if !strings.Contains(e.Text, strings.NewReplacer("{tenant_name}", "Acme Support").Replace(heading)) {
					t.Errorf("text lacks the %s heading %q", loc, heading)
				}
			})
		}
	}
}

func TestLinkTemplatesCarryButtonAndRawURL(t *testing.T) {
	link := fullData()[KeyLink]
	for _, tpl := range []string{domain.MailInvitation, domain.MailResetLink, domain.MailVerifyEmail} {
		e, err := Render(msg(tpl, "en", fullData()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(e.HTML, `href="`+link+`"`) != 2 {
			t.Errorf("%s: want the button and the raw link in HTML:\n%s", tpl, e.HTML)
		}
		if !strings.Contains(e.HTML, ">"+link+"</a>") {
			t.Errorf("%s: raw URL not shown", tpl)
		}
		if !strings.Contains(e.Text, "\n"+link+"\n") {
			t.Errorf("%s: text lacks the link on its own line", tpl)
		}
	}
	e, _ := Render(msg(domain.MailInvitation, "en", fullData()))
	if !strings.Contains(e.Text, "valid for 72 hours") {
		t.Errorf("invitation lacks validity: %s", e.Text)
	}
	e, _ = Render(msg(domain.MailResetLink, "fr", fullData()))
	if !strings.Contains(e.Text, "ancien mot de passe ne fonctionne plus") {
		t.Errorf("reset_link must say the old password no longer works: %s", e.Text)
	}
}

func TestResetCodeShowsCode(t *testing.T) {
	for _, loc := range i18n.Locales {
		e, err := Render(msg(domain.MailResetCode, loc, fullData()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Text, "482913") || !strings.Contains(e.HTML, ">482913</span>") {
			t.Errorf("%s: code missing:\n%s", loc, e.Text)
		}
		if strings.Contains(e.Subject, "482913") {
			t.Errorf("%s: the code must not be in the subject (lock screens)", loc)
		}
		if !strings.Contains(e.Text, "10") {
			t.Errorf("%s: validity missing", loc)
		}
	}
}

func TestHostileTenantNameIsEscaped(t *testing.T) {
	d := fullData()
	d[KeyTenantName] = `<script>alert("x")</script> & "Co" <img src=x onerror=alert(1)>`
	d[KeyDisplayName] = `</p><a href="https://evil.example">click</a>`
	for _, tpl := range domain.MailTemplates {
		e, err := Render(msg(tpl, "en", d))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<img", `<a href="https://evil`, "</p><a"} {
			if strings.Contains(e.HTML, bad) {
				t.Fatalf("%s: unescaped %q in HTML:\n%s", tpl, bad, e.HTML)
			}
		}
		if !strings.Contains(e.HTML, "&lt;script&gt;") {
			t.Fatalf("%s: tenant name not shown escaped", tpl)
		}
		// The text part is plain text: shown verbatim.
		if !strings.Contains(e.Text, `<script>alert("x")</script>`) {
			t.Fatalf("%s: text should carry the name as typed", tpl)
		}
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	d := fullData()
	d[KeyTenantName] = "Acme\r\nBcc: victim@example.com"
	e, err := Render(msg(domain.MailPasswordChanged, "en", d))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(e.Subject, "\r\n") {
		t.Fatalf("subject has a line break: %q", e.Subject)
	}
}

func TestJavascriptLinkRefused(t *testing.T) {
	d := fullData()
	d[KeyLink] = "javascript:alert(1)"
	if _, err := Render(msg(domain.MailInvitation, "en", d)); !errors.Is(err, ErrBadLink) {
		t.Fatalf("err = %v, want ErrBadLink", err)
	}
}

func TestUnknownTemplate(t *testing.T) {
	_, err := Render(msg("nope", "en", fullData()))
	if !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("err = %v, want ErrUnknownTemplate", err)
	}
}

func TestMissingRequiredData(t *testing.T) {
	cases := map[string]string{
		domain.MailInvitation:        KeyLink,
		domain.MailResetLink:         KeyLink,
		domain.MailVerifyEmail:       KeyLink,
		domain.MailResetCode:         KeyCode,
		domain.MailExtensionAssigned: KeyExtension,
	}
	for tpl, key := range cases {
		d := fullData()
		delete(d, key)
		if _, err := Render(msg(tpl, "en", d)); !errors.Is(err, ErrMissingData) {
			t.Errorf("%s without %s: err = %v", tpl, key, err)
		}
	}
	m := msg(domain.MailPasswordChanged, "en", fullData())
	m.To = ""
	if _, err := Render(m); !errors.Is(err, ErrNoRecipient) {
		t.Errorf("no recipient: err = %v", err)
	}
}

func TestOptionalDataAndFallbacks(t *testing.T) {
	// Minimal data: no display name, no tenant, no SIP username, no email.
	e, err := Render(msg(domain.MailExtensionAssigned, "xx-YY", map[string]string{KeyExtension: "12"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.HTML, "<!DOCTYPE html>\n<html lang=\"en\">") {
		t.Errorf("unknown locale should fall back to en")
	}
	if strings.Contains(e.Text, "SIP username") || strings.ContainsAny(e.Text, "{}") {
		t.Errorf("optional SIP line or placeholder shown:\n%s", e.Text)
	}
	if !strings.Contains(e.Text, "Hello,\n") {
		t.Errorf("anonymous greeting expected:\n%s", e.Text)
	}
	// Locale spellings normalise.
	e, err = Render(msg(domain.MailEmailVerified, "pt_br", nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Text, "ana@acme.example") || !strings.Contains(e.HTML, `lang="pt-BR"`) {
		t.Errorf("pt_br should render pt-BR with the recipient address:\n%s", e.Text)
	}
}
