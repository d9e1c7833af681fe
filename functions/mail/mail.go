// Package mail renders AgentDesk's outbox messages into localised emails
// (plain text and HTML). It knows nothing of SES or DynamoDB.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/i18n"
)

// Email is a rendered message, ready for a sender.
type Email struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Render errors. Each is permanent: retrying the same message cannot help.
var (
	ErrUnknownTemplate = errors.New("mail: unknown template")
	ErrMissingData     = errors.New("mail: missing template data")
	ErrNoRecipient     = errors.New("mail: no recipient")
	ErrBadLink         = errors.New("mail: link is not an absolute http(s) URL")
)

// Data keys an OutboxMessage may carry.
const (
	KeyTenantName   = "tenant_name"
	KeyDisplayName  = "display_name"
	KeyLink         = "link"
	KeyCode         = "code"
	KeyExtension    = "extension"
	KeySIPUsername  = "sip_username"
	KeyExpiresHours = "expires_hours"
	KeyEmail        = "email"
)

// dataKeys are every placeholder the catalog may use; Render always supplies
// each one so that no "{name}" can survive.
var dataKeys = []string{
	KeyTenantName, KeyDisplayName, KeyLink, KeyCode, KeyExtension,
	KeySIPUsername, KeyExpiresHours, KeyEmail,
}

// Block kinds of a mail body.
const (
	blockPara   = "para"   // a paragraph
	blockButton = "button" // a button-like link to {link}, then the raw URL
	blockCode   = "code"   // the one-time code, set large
	blockWarn   = "warn"   // a paragraph that stands out
	blockNote   = "note"   // a small paragraph
)

type block struct {
	kind string
	key  string // catalog key
	// when is a data key that must be non-empty for the block to show.
	when string
}

type spec struct {
	required []string // data keys that must be non-empty
	blocks   []block
}

var specs = map[string]spec{
	domain.MailInvitation: {
		required: []string{KeyLink, KeyExpiresHours},
		blocks: []block{
			{kind: blockPara, key: "invitation.intro"},
			{kind: blockPara, key: "invitation.action"},
			{kind: blockButton, key: "invitation.button"},
			{kind: blockNote, key: "common.validity"},
			{kind: blockPara, key: "invitation.after"},
			{kind: blockNote, key: "invitation.ignore"},
		},
	},
	domain.MailResetLink: {
		required: []string{KeyLink},
		blocks: []block{
			{kind: blockPara, key: "reset_link.intro"},
			{kind: blockPara, key: "reset_link.action"},
			{kind: blockButton, key: "reset_link.button"},
			{kind: blockNote, key: "common.validity", when: KeyExpiresHours},
			{kind: blockWarn, key: "reset_link.after"},
		},
	},
	domain.MailExtensionAssigned: {
		required: []string{KeyExtension},
		blocks: []block{
			{kind: blockPara, key: "extension_assigned.intro"},
			{kind: blockPara, key: "extension_assigned.sip", when: KeySIPUsername},
			{kind: blockPara, key: "extension_assigned.after"},
			{kind: blockNote, key: "extension_assigned.security"},
		},
	},
	domain.MailPasswordChanged: {
		blocks: []block{
			{kind: blockPara, key: "password_changed.intro"},
			{kind: blockPara, key: "password_changed.after"},
			{kind: blockWarn, key: "password_changed.warn"},
		},
	},
	domain.MailVerifyEmail: {
		required: []string{KeyLink},
		blocks: []block{
			{kind: blockPara, key: "verify_email.intro"},
			{kind: blockButton, key: "verify_email.button"},
			{kind: blockNote, key: "common.validity", when: KeyExpiresHours},
			{kind: blockNote, key: "verify_email.ignore"},
		},
	},
	domain.MailEmailVerified: {
		blocks: []block{
			{kind: blockPara, key: "email_verified.intro"},
			{kind: blockWarn, key: "email_verified.warn"},
		},
	},
	domain.MailResetCode: {
		required: []string{KeyCode},
		blocks: []block{
			{kind: blockPara, key: "reset_code.intro"},
			{kind: blockCode, key: "reset_code.code"},
			{kind: blockPara, key: "reset_code.valid"},
			{kind: blockWarn, key: "reset_code.warn"},
			{kind: blockNote, key: "reset_code.ignore"},
		},
	},
}

// Templates lists the templates Render knows (the same set as
// domain.MailTemplates; a test keeps them in step).
func Templates() []string {
	out := make([]string, 0, len(specs))
	for _, t := range domain.MailTemplates {
		if _, ok := specs[t]; ok {
			out = append(out, t)
		}
	}
	return out
}

// view is what the HTML layout and the text renderer read.
type view struct {
	Lang     string
	Subject  string
	Heading  string
	Greeting string
	Blocks   []viewBlock
	Footer   string
}

type viewBlock struct {
	Kind     string
	Text     string
	URL      string // button only
	Fallback string // button only: "copy this address" sentence
	Code     string // code only
}

// Render builds the email for m in m's locale (English when the locale is
// unknown). It fails with ErrUnknownTemplate, ErrMissingData, ErrNoRecipient
// or ErrBadLink; none of those succeed on retry.
func Render(m *domain.OutboxMessage) (Email, error) {
	sp, ok := specs[m.Template]
	if !ok {
		return Email{}, fmt.Errorf("%w: %q", ErrUnknownTemplate, m.Template)
	}
	to := strings.TrimSpace(m.To)
	if to == "" {
		return Email{}, ErrNoRecipient
	}
	args := make(map[string]string, len(dataKeys))
	for _, k := range dataKeys {
		args[k] = strings.TrimSpace(m.Data[k])
	}
	if args[KeyEmail] == "" {
		args[KeyEmail] = to
	}
	if args[KeyTenantName] == "" {
		args[KeyTenantName] = "AgentDesk"
	}
	for _, k := range sp.required {
		if args[k] == "" {
			return Email{}, fmt.Errorf("%w: %s for %s", ErrMissingData, k, m.Template)
		}
	}
	if args[KeyLink] != "" {
		u, err := url.Parse(args[KeyLink])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Email{}, ErrBadLink
		}
	}
	locale, _ := i18n.Normalize(m.Locale)

	t := func(key string) string { return Catalog.T(locale, key, args) }
	v := view{
		Lang:    locale,
		Subject: oneLine(t(m.Template + ".subject")),
		Heading: t(m.Template + ".heading"),
		Footer:  t("common.footer"),
	}
	if args[KeyDisplayName] != "" {
		v.Greeting = t("common.greeting")
	} else {
		v.Greeting = t("common.greeting_anon")
	}
	for _, b := range sp.blocks {
		if b.when != "" && args[b.when] == "" {
			continue
		}
		vb := viewBlock{Kind: b.kind, Text: t(b.key)}
		switch b.kind {
		case blockButton:
			vb.URL = args[KeyLink]
			vb.Fallback = t("common.fallback")
		case blockCode:
			vb.Code = args[KeyCode]
		}
		v.Blocks = append(v.Blocks, vb)
	}

	var h bytes.Buffer
	if err := layout.Execute(&h, v); err != nil {
		return Email{}, fmt.Errorf("mail: render %s: %w", m.Template, err)
	}
	return Email{To: to, Subject: v.Subject, Text: text(v), HTML: h.String()}, nil
}

// oneLine keeps user input from breaking a header (SES encodes the subject,
// but a newline in it is never what anyone meant).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func text(v view) string {
	var b strings.Builder
	b.WriteString(v.Heading)
	b.WriteString("\n\n")
	b.WriteString(v.Greeting)
	b.WriteString("\n\n")
	for _, bl := range v.Blocks {
		switch bl.Kind {
		case blockButton:
			b.WriteString(bl.Text + ":\n" + bl.URL + "\n\n")
		case blockCode:
			b.WriteString("    " + bl.Code + "\n\n")
		default:
			b.WriteString(bl.Text + "\n\n")
		}
	}
	b.WriteString("-- \n")
	b.WriteString(v.Footer)
	b.WriteString("\n")
	return b.String()
}

// layout is a single-column, table-based layout with inline styles only
// (mail clients drop <style> blocks), readable without images, with the
// language declared for screen readers. html/template escapes every value.
var layout = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:20px 32px 0 32px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;font-weight:bold;color:#1d4ed8;">AgentDesk</td></tr>
<tr><td style="padding:12px 32px 32px 32px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#1f2937;">
<h1 style="margin:0 0 16px 0;font-size:22px;line-height:30px;color:#111827;">{{.Heading}}</h1>
<p style="margin:0 0 16px 0;">{{.Greeting}}</p>
{{- range .Blocks}}
{{- if eq .Kind "button"}}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 16px 0;"><tr>
<td style="border-radius:6px;background-color:#1d4ed8;"><a href="{{.URL}}" style="display:inline-block;padding:12px 24px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">{{.Text}}</a></td>
</tr></table>
<p style="margin:0 0 16px 0;font-size:13px;line-height:20px;color:#4b5563;">{{.Fallback}}<br><a href="{{.URL}}" style="color:#1d4ed8;word-break:break-all;">{{.URL}}</a></p>
{{- else if eq .Kind "code"}}
<p style="margin:0 0 16px 0;" aria-label="{{.Text}}"><span style="display:inline-block;padding:12px 20px;font-family:Consolas,Menlo,monospace;font-size:28px;font-weight:bold;letter-spacing:6px;color:#111827;background-color:#f3f4f6;border:1px solid #d1d5db;border-radius:6px;">{{.Code}}</span></p>
{{- else if eq .Kind "warn"}}
<p style="margin:0 0 16px 0;padding:12px 16px;background-color:#fef3c7;border-left:4px solid #d97706;color:#78350f;">{{.Text}}</p>
{{- else if eq .Kind "note"}}
<p style="margin:0 0 16px 0;font-size:14px;line-height:21px;color:#4b5563;">{{.Text}}</p>
{{- else}}
<p style="margin:0 0 16px 0;">{{.Text}}</p>
{{- end}}
{{- end}}
</td></tr>
<tr><td style="padding:16px 32px 24px 32px;border-top:1px solid #e5e7eb;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#6b7280;">{{.Footer}}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`))
