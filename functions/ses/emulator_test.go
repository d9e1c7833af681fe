package ses

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/mail"
	"github.com/agentdesk/agentdesk/infra/seslocal"
)

func TestSendThroughEmulator(t *testing.T) {
	srv := seslocal.StartForTest(t)
	ctx := context.Background()
	client, err := seslocal.NewClient(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(client, Config{From: "AgentDesk <no-reply@agentdesk.test>"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := mail.Render(&domain.OutboxMessage{
		To: "joao@acme.example", Locale: "pt-BR", Template: domain.MailResetCode,
		Data: map[string]string{"tenant_name": "Ação & Cia <Brasil>", "display_name": "João", "code": "402913"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, e); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, err := srv.WaitFor(ctx, "joao@acme.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != e.Subject || got.Body.Text != e.Text || got.Body.HTML != e.HTML {
		t.Fatalf("stored email differs:\nsubject %q\nwant    %q", got.Subject, e.Subject)
	}
	if !strings.Contains(got.Subject, "Ação & Cia <Brasil>") || !strings.Contains(got.Body.Text, "402913") {
		t.Fatalf("UTF-8 content mangled: %q", got.Subject)
	}
	if !strings.Contains(got.From, "no-reply@agentdesk.test") || !strings.Contains(got.From, "AgentDesk") {
		t.Fatalf("from %q", got.From)
	}
	if len(got.Recipients()) != 1 {
		t.Fatalf("recipients %v", got.Recipients())
	}
}

func TestEmulatorRejectionIsPermanent(t *testing.T) {
	srv := seslocal.StartForTest(t)
	ctx := context.Background()
	client, _ := seslocal.NewClient(ctx, srv.Endpoint())
	s, _ := New(client, Config{From: "no-reply@agentdesk.test"})
	// SES answers 400 to an email without a subject.
	err := s.Send(ctx, mail.Email{To: "ana@acme.example", Text: "hello"})
	if err == nil || !IsPermanent(err) {
		t.Fatalf("err = %v, permanent = %v", err, IsPermanent(err))
	}
	emails, _ := srv.Emails(ctx, time.Time{})
	if len(emails) != 0 {
		t.Fatalf("stored %d emails", len(emails))
	}
}

func TestUnreachableEndpointIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, _ := seslocal.NewClient(ctx, "http://"+addr)
	s, _ := New(client, Config{From: "no-reply@agentdesk.test"})
	err = s.Send(ctx, mail.Email{To: "ana@acme.example", Subject: "hi", Text: "hello"})
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, permanent = %v", err, IsPermanent(err))
	}
	var se *SendError
	if !errors.As(err, &se) || se.Code == "" {
		t.Fatalf("no code: %v", err)
	}
}
