package seslocal

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSendSimpleEmailAndReadItBack(t *testing.T) {
	srv := StartForTest(t)
	if !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %q", srv.Endpoint())
	}
	ctx := ctxT(t, 20*time.Second)
	client, err := NewClient(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	out, err := client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("AgentDesk <no-reply@example.com>"),
		Destination: &types.Destination{
			ToAddresses: []string{"Agent@Example.com"},
			CcAddresses: []string{"supervisor@example.com"},
		},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Réinitialisez votre mot de passe"), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("Code: 123456"), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String("<p>Code: <b>123456</b></p>"), Charset: aws.String("UTF-8")},
			},
			Headers: []types.MessageHeader{{Name: aws.String("X-AgentDesk-Kind"), Value: aws.String("reset")}},
		}},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v\n%s", err, srv.Output())
	}
	if aws.ToString(out.MessageId) == "" {
		t.Error("no message id")
	}

	got, err := srv.WaitFor(ctx, "agent@example.com", func(e Email) bool { return strings.Contains(e.Body.Text, "123456") })
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != aws.ToString(out.MessageId) {
		t.Errorf("message id %q, want %q", got.MessageID, aws.ToString(out.MessageId))
	}
	if got.Subject != "Réinitialisez votre mot de passe" || got.Body.HTML != "<p>Code: <b>123456</b></p>" || got.Body.Text != "Code: 123456" {
		t.Errorf("email %+v", got)
	}
	if got.From != "AgentDesk <no-reply@example.com>" {
		t.Errorf("from %q", got.From)
	}
	if !got.SentTo("supervisor@example.com") || got.SentTo("someone@example.com") {
		t.Errorf("recipients %v", got.Recipients())
	}
	if len(got.Headers) != 1 || got.Headers[0].Name != "X-AgentDesk-Kind" || got.Headers[0].Value != "reset" {
		t.Errorf("headers %+v", got.Headers)
	}
	if got.At.Before(before.Truncate(time.Second)) || got.At.After(time.Now()) {
		t.Errorf("at %v, sent after %v", got.At, before)
	}

	// since filters by the emulator's whole-second timestamps.
	all, err := srv.Emails(ctx, time.Time{})
	if err != nil || len(all) != 1 {
		t.Fatalf("emails %v %v", all, err)
	}
	later, err := srv.Emails(ctx, time.Now().Add(time.Hour))
	if err != nil || len(later) != 0 {
		t.Errorf("emails after an hour from now: %v %v", later, err)
	}

	if err := srv.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if all, err := srv.Emails(ctx, time.Time{}); err != nil || len(all) != 0 {
		t.Errorf("after clear: %v %v", all, err)
	}
}

func TestRawEmailAndWaitForTimeout(t *testing.T) {
	srv := StartForTest(t)
	ctx := ctxT(t, 20*time.Second)
	client, err := NewClient(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: AgentDesk <no-reply@example.com>\r\n" +
		"To: Ann Agent <ann@example.com>\r\n" +
		"Subject: Welcome\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"Hello Ann\r\n"
	_, err = client.SendEmail(ctx, &sesv2.SendEmailInput{
		Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := srv.WaitFor(ctx, "ANN@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Welcome" || !strings.Contains(got.Body.Text, "Hello Ann") {
		t.Errorf("raw email %+v", got)
	}

	// Nothing for bob: WaitFor gives up at the deadline.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = srv.WaitFor(short, "bob@example.com", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor without mail: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("WaitFor overran its deadline: %v", time.Since(start))
	}
}

func TestCloseStopsTheProcess(t *testing.T) {
	srv, err := Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := srv.Endpoint()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	default:
		t.Fatal("process still running after Close")
	}
	c := &http.Client{Timeout: time.Second}
	if resp, err := c.Get(endpoint + "/health-check"); err == nil {
		resp.Body.Close()
		t.Error("emulator still answers after Close")
	}
	_ = srv.Close() // idempotent
}

func TestCancelledContextStopsTheProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cancel()
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		srv.Close()
		t.Fatal("process still running 10s after its context was cancelled")
	}
}

func TestPortInUseIsReported(t *testing.T) {
	first := StartForTest(t)
	addr := strings.TrimPrefix(first.Endpoint(), "http://")
	_, err := Start(context.Background(), addr)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("second emulator on %s: %v", addr, err)
	}
}

func TestMissingInstallSaysRunMakeSetup(t *testing.T) {
	dir := t.TempDir()
	_, err := binScript(dir)
	if err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("binScript on an empty dir: %v", err)
	}
	pkg := filepath.Join(dir, "node_modules", PackageName)
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"bin":{"aws-ses-v2-local":"dist/cli.js"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := binScript(dir); err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("binScript without the script: %v", err)
	}
	real, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	script, err := binScript(real)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(script) != "cli.js" {
		t.Errorf("bin script %s", script)
	}
}

func TestBadArguments(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:http", "127.0.0.1:70000"} {
		if _, err := Start(context.Background(), addr); err == nil {
			t.Errorf("Start(%q) succeeded", addr)
		}
	}
	if _, err := NewClient(context.Background(), "localhost:8005"); err == nil {
		t.Error("endpoint without scheme accepted")
	}
}

func TestRecipientsParsing(t *testing.T) {
	e := Email{Destination: Destination{
		To:  []string{"Ann <ANN@example.com>", "bob@example.com"},
		Cc:  []string{"not an address"},
		Bcc: []string{"\"Carl, C.\" <carl@example.com>"},
	}}
	want := []string{"ann@example.com", "bob@example.com", "not an address", "carl@example.com"}
	got := e.Recipients()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("recipients %q", got)
	}
	if !e.SentTo(" Carl@Example.com ") {
		t.Error("SentTo bcc")
	}
}
