package mailer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/mail"
	"github.com/agentdesk/agentdesk/functions/mailer"
	"github.com/agentdesk/agentdesk/functions/ses"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/infra/seslocal"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects logs from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type env struct {
	t      *testing.T
	db     *dynamodb.Client
	table  string
	store  *dynamo.Store
	ses    *seslocal.Server
	sender *ses.Sender
	clock  *clock
	logs   *syncBuffer
	p      *mailer.Processor
	start  time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	db, table := dynamolocal.StartForTest(t)
	srv := seslocal.StartForTest(t)
	client, err := seslocal.NewClient(context.Background(), srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	sender, err := ses.New(client, ses.Config{From: "AgentDesk <no-reply@agentdesk.test>"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, table: table, store: dynamo.New(db, table), ses: srv, sender: sender,
		clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, logs: &syncBuffer{}, start: time.Now().Add(-time.Second)}
	e.p = &mailer.Processor{
		Store:  e.store,
		Sender: sender,
		Clock:  e.clock.Now,
		Log:    slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mailer logs:\n%s", e.logs.String())
		}
	})
	return e
}

var seq atomic.Int64

// put writes a pending outbox message the way the services do (in a batch)
// and returns it.
func (e *env) put(template string, mut ...func(*domain.OutboxMessage)) *domain.OutboxMessage {
	e.t.Helper()
	n := seq.Add(1)
	m := &domain.OutboxMessage{
		ID:       fmt.Sprintf("out_%s_%d", strings.ToLower(strings.ReplaceAll(e.t.Name(), "/", "_")), n),
		TenantID: "tnt_1", UserID: "usr_1",
		To:     fmt.Sprintf("agent%d.%d@acme.example", n, time.Now().UnixNano()),
		Locale: "fr", Template: template, Status: domain.OutboxPending, CreatedAt: e.clock.Now(),
		Data: map[string]string{
			"tenant_name": "Acme Support", "display_name": "Ana Souza",
			"link": "https://agentdesk.test/p/reset?token=SECRET-TOKEN-" + fmt.Sprint(n), "expires_hours": "72",
			"code": "913" + fmt.Sprintf("%03d", n%1000), "extension": "4021", "sip_username": "ana",
		},
	}
	for _, f := range mut {
		f(m)
	}
	b := &domain.Batch{}
	b.Add(domain.PutOutbox{Message: m})
	if err := e.store.Commit(context.Background(), b); err != nil {
		e.t.Fatalf("put outbox: %v", err)
	}
	return m
}

// sentTo lists the emails the SES emulator received for addr.
func (e *env) sentTo(addr string) []seslocal.Email {
	e.t.Helper()
	all, err := e.ses.Emails(context.Background(), e.start)
	if err != nil {
		e.t.Fatalf("read SES emulator: %v", err)
	}
	var out []seslocal.Email
	for _, m := range all {
		if m.SentTo(addr) {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) get(id string) *domain.OutboxMessage {
	e.t.Helper()
	m, err := e.store.GetOutbox(context.Background(), id)
	if err != nil {
		e.t.Fatalf("get outbox %s: %v", id, err)
	}
	return m
}

// noSecretsLogged checks the logs hold none of m's data nor its full
// recipient address.
func (e *env) noSecretsLogged(ms ...*domain.OutboxMessage) {
	e.t.Helper()
	logs := e.logs.String()
	for _, m := range ms {
		for _, secret := range []string{m.Data["link"], "SECRET-TOKEN", m.Data["code"], m.To, m.Data["display_name"]} {
			if secret != "" && strings.Contains(logs, secret) {
				e.t.Errorf("logs contain %q:\n%s", secret, logs)
			}
		}
	}
	if !strings.Contains(logs, `"recipient_domain":"acme.example"`) {
		e.t.Errorf("logs should name the recipient domain:\n%s", logs)
	}
}

func TestDeliverSendsOnceUnderConcurrency(t *testing.T) {
	e := setup(t)
	m := e.put(domain.MailInvitation)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.p.Deliver(context.Background(), m.ID)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if err := e.p.Deliver(context.Background(), m.ID); err != nil {
		t.Fatalf("Deliver again: %v", err)
	}

	got := e.sentTo(m.To)
	if len(got) != 1 {
		t.Fatalf("emails sent: %d, want 1", len(got))
	}
	em := got[0]
	if !strings.Contains(em.Subject, "Acme Support") || !strings.Contains(em.Body.HTML, m.Data["link"]) || !strings.Contains(em.Body.Text, m.Data["link"]) {
		t.Fatalf("unexpected email: %+v", em)
	}
	if !strings.Contains(em.From, "no-reply@agentdesk.test") {
		t.Fatalf("from %q", em.From)
	}

	stored := e.get(m.ID)
	if stored.Status != domain.OutboxSent || stored.SentAt.IsZero() {
		t.Fatalf("stored %+v", stored)
	}
	if len(stored.Data) != 0 {
		t.Fatalf("data kept after send: %v", stored.Data)
	}
	e.noSecretsLogged(m)
}

func TestTransientFailureIsRetriedWithBackoff(t *testing.T) {
	e := setup(t)
	flaky := &faultySender{next: e.sender, failFirst: 2}
	e.p.Sender = flaky
	poller := &mailer.Poller{Processor: *e.p, Batch: 10}
	m := e.put(domain.MailResetCode)
	ctx := context.Background()

	n, err := poller.Drain(ctx)
	var de *mailer.DeliveryError
	if n != 0 || !errors.As(err, &de) || de.Code != "Throttling" || de.Attempt != 1 {
		t.Fatalf("first drain: n=%d err=%v", n, err)
	}
	s := e.get(m.ID)
	wait := s.NextAttemptAt.Sub(e.clock.Now())
	if s.Status != domain.OutboxPending || s.Attempts != 1 || wait < 7*time.Second || wait > 13*time.Second {
		t.Fatalf("after 1st failure: status=%s attempts=%d wait=%v", s.Status, s.Attempts, wait)
	}
	if s.Data["code"] == "" {
		t.Fatalf("data lost before the message was sent")
	}

	// Not due yet: nothing happens.
	if n, err := poller.Drain(ctx); n != 0 || err != nil || flaky.calls.Load() != 1 {
		t.Fatalf("early drain: n=%d err=%v calls=%d", n, err, flaky.calls.Load())
	}

	e.clock.Advance(wait + time.Millisecond)
	if n, err := poller.Drain(ctx); n != 0 || err == nil {
		t.Fatalf("second drain: n=%d err=%v", n, err)
	}
	s = e.get(m.ID)
	wait2 := s.NextAttemptAt.Sub(e.clock.Now())
	if s.Attempts != 2 || wait2 < 15*time.Second || wait2 > 25*time.Second {
		t.Fatalf("after 2nd failure: attempts=%d wait=%v (backoff should double)", s.Attempts, wait2)
	}

	e.clock.Advance(wait2 + time.Millisecond)
	if n, err := poller.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("third drain: n=%d err=%v", n, err)
	}
	got := e.sentTo(m.To)
	if len(got) != 1 || !strings.Contains(got[0].Body.Text, m.Data["code"]) {
		t.Fatalf("emails: %+v", got)
	}
	s = e.get(m.ID)
	if s.Status != domain.OutboxSent || len(s.Data) != 0 {
		t.Fatalf("final: %+v", s)
	}
	e.noSecretsLogged(m)
}

func TestPermanentFailureMarksFailed(t *testing.T) {
	e := setup(t)
	ctx := context.Background()

	// The real emulator rejects an email without a subject (400): permanent.
	e.p.Render = func(m *domain.OutboxMessage) (mail.Email, error) {
		em, err := mail.Render(m)
		em.Subject = ""
		return em, err
	}
	m := e.put(domain.MailPasswordChanged)
	if err := e.p.Deliver(ctx, m.ID); err != nil {
		t.Fatalf("a permanent failure must not fail the batch: %v", err)
	}
	s := e.get(m.ID)
	if s.Status != domain.OutboxFailed || s.Attempts != 1 || s.LastError == "" || len(s.Data) != 0 {
		t.Fatalf("stored %+v", s)
	}
	if got := e.sentTo(m.To); len(got) != 0 {
		t.Fatalf("sent: %+v", got)
	}
	if !strings.Contains(e.logs.String(), `"level":"ERROR","msg":"mailer: message failed permanently"`) {
		t.Fatalf("permanent failure not logged at error level:\n%s", e.logs.String())
	}

	// A template nobody knows fails at render time.
	e.p.Render = nil
	bad := e.put("no_such_template")
	if err := e.p.Deliver(ctx, bad.ID); err != nil {
		t.Fatal(err)
	}
	if s := e.get(bad.ID); s.Status != domain.OutboxFailed || !strings.Contains(s.LastError, "unknown template") {
		t.Fatalf("stored %+v", s)
	}
	// Failed messages are not retried.
	e.clock.Advance(2 * time.Hour)
	if n, err := (&mailer.Poller{Processor: *e.p}).Drain(ctx); n != 0 || err != nil {
		t.Fatalf("drain after failures: n=%d err=%v", n, err)
	}
	e.noSecretsLogged(m, bad)
}

func TestAttemptsExhausted(t *testing.T) {
	e := setup(t)
	e.p.Sender = &faultySender{next: e.sender, failFirst: 1000}
	e.p.MaxAttempts = 3
	e.p.Backoff = func(int) time.Duration { return time.Second }
	m := e.put(domain.MailVerifyEmail)
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		if err := e.p.Deliver(ctx, m.ID); err == nil {
			t.Fatalf("attempt %d: want a retryable error", i)
		}
		e.clock.Advance(2 * time.Second)
	}
	if err := e.p.Deliver(ctx, m.ID); err != nil {
		t.Fatalf("last attempt must give up without error: %v", err)
	}
	s := e.get(m.ID)
	if s.Status != domain.OutboxFailed || s.Attempts != 3 || len(s.Data) != 0 {
		t.Fatalf("stored %+v", s)
	}
}

func TestStreamDeliversOnceForDuplicateRecords(t *testing.T) {
	e := setup(t)
	m := e.put(domain.MailExtensionAssigned)
	rec := e.streamRecord(m.ID, "INSERT", "100")
	payload := event(rec, rec) // the same record twice in one batch
	h := lambda.NewHandler(e.p.HandleStream)
	ctx := context.Background()

	for i := range 2 { // and the whole batch delivered again
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke %d: %v", i, err)
		}
		if string(out) != `{"batchItemFailures":[]}` {
			t.Fatalf("invoke %d: %s", i, out)
		}
	}
	if got := e.sentTo(m.To); len(got) != 1 {
		t.Fatalf("emails sent: %d, want 1", len(got))
	}
	if s := e.get(m.ID); s.Status != domain.OutboxSent {
		t.Fatalf("status %s", s.Status)
	}
}

func TestStreamReportsPartialBatchFailures(t *testing.T) {
	e := setup(t)
	good := e.put(domain.MailEmailVerified)
	flakyMsg := e.put(domain.MailPasswordChanged)
	e.p.Sender = &faultySender{next: e.sender, failFirst: 1000, only: flakyMsg.To}

	user := e.streamRecord(good.ID, "INSERT", "200")
	user.Change.NewImage["type"] = events.NewStringAttribute("user") // not an outbox item
	removed := e.streamRecord(good.ID, "REMOVE", "250")
	payload := event(
		e.streamRecord(good.ID, "INSERT", "300"),
		e.streamRecord(flakyMsg.ID, "INSERT", "400"),
		user, removed,
	)
	out, err := lambda.NewHandler(e.p.HandleStream).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "400" {
		t.Fatalf("failures %s, want only sequence number 400", out)
	}
	if len(e.sentTo(good.To)) != 1 || len(e.sentTo(flakyMsg.To)) != 0 {
		t.Fatalf("wrong emails sent")
	}
	if s := e.get(flakyMsg.ID); s.Status != domain.OutboxPending || s.Attempts != 1 {
		t.Fatalf("flaky message: %+v", s)
	}
	e.noSecretsLogged(good, flakyMsg)
}

func TestHandleDispatchesStreamAndSchedule(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m1 := e.put(domain.MailPasswordChanged)
	h := lambda.NewHandler(e.p.Handle)
	out, err := h.Invoke(ctx, event(e.streamRecord(m1.ID, "INSERT", "10")))
	if err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Fatalf("stream: %s %v", out, err)
	}
	// A scheduled event sweeps what is due (a lapsed retry, here).
	m2 := e.put(domain.MailPasswordChanged)
	out, err = h.Invoke(ctx, []byte(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{}}`))
	if err != nil || string(out) != `{"sent":1}` {
		t.Fatalf("schedule: %s %v", out, err)
	}
	if len(e.sentTo(m1.To)) != 1 || len(e.sentTo(m2.To)) != 1 {
		t.Fatalf("emails missing")
	}
}

func TestPollerRunAndWake(t *testing.T) {
	e := setup(t)
	e.p.Clock = nil // real time: Run is what the local stack uses
	poller := &mailer.Poller{Processor: *e.p, Interval: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- poller.Run(ctx) }()

	time.Sleep(100 * time.Millisecond) // the first sweep finds nothing
	m := e.put(domain.MailPasswordChanged, func(m *domain.OutboxMessage) { m.CreatedAt = time.Now() })
	poller.Wake()
	poller.Wake() // never blocks
	deadline := time.Now().Add(10 * time.Second)
	for len(e.sentTo(m.To)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("woken poller did not send")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if len(e.sentTo(m.To)) != 1 {
		t.Fatal("sent more than once")
	}
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, base := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 8: 1280 * time.Second, 10: time.Hour, 30: time.Hour} {
		for range 50 {
			d := mailer.DefaultBackoff(attempt)
			if d < base*3/4 || d > min(base*5/4, time.Hour) {
				t.Fatalf("attempt %d: %v outside %v±25%% (cap 1h)", attempt, d, base)
			}
		}
	}
}

// faultySender is a fault injector over the real SES sender: it fails the
// first failFirst calls (for only, when set) with a throttling error.
type faultySender struct {
	next      mailer.Sender
	failFirst int64
	only      string
	calls     atomic.Int64
}

type throttled struct{}

func (throttled) Error() string     { return "Rate exceeded" }
func (throttled) ErrorCode() string { return "Throttling" }

func (f *faultySender) Send(ctx context.Context, em mail.Email) error {
	if f.only != "" && em.To != f.only {
		return f.next.Send(ctx, em)
	}
	if f.calls.Add(1) <= f.failFirst {
		return throttled{}
	}
	return f.next.Send(ctx, em)
}

// streamRecord builds the stream record DynamoDB would emit for the stored
// outbox item (NEW_IMAGE view), reading the item as the store wrote it.
func (e *env) streamRecord(id, eventName, seqNo string) events.DynamoDBEventRecord {
	e.t.Helper()
	out, err := e.db.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(e.table),
		FilterExpression:          aws.String("ID = :id AND #t = :outbox"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}, ":outbox": &types.AttributeValueMemberS{Value: "outbox"}},
	})
	if err != nil || len(out.Items) != 1 {
		e.t.Fatalf("scan for %s: %v (%d items)", id, err, len(out.Items))
	}
	item := out.Items[0]
	raw, err := json.Marshal(map[string]any{
		"Keys":                        map[string]any{"PK": avJSON(item["PK"]), "SK": avJSON(item["SK"])},
		"NewImage":                    imageJSON(item),
		"ApproximateCreationDateTime": time.Now().Unix(),
		"SequenceNumber":              seqNo,
		"SizeBytes":                   512,
		"StreamViewType":              "NEW_IMAGE",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var change events.DynamoDBStreamRecord
	if err := json.Unmarshal(raw, &change); err != nil {
		e.t.Fatal(err)
	}
	if eventName == "REMOVE" {
		change.NewImage = nil
	}
	return events.DynamoDBEventRecord{
		AWSRegion: "us-east-1", EventID: "evt-" + seqNo, EventName: eventName, EventSource: "aws:dynamodb", EventVersion: "1.1",
		EventSourceArn: "arn:aws:dynamodb:us-east-1:000000000000:table/" + e.table + "/stream/2026-01-01T00:00:00.000",
		Change:         change,
	}
}

// event is the JSON Lambda hands the function for these records.
func event(recs ...events.DynamoDBEventRecord) []byte {
	b, err := json.Marshal(events.DynamoDBEvent{Records: recs})
	if err != nil {
		panic(err)
	}
	return b
}

func imageJSON(item map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(item))
	for k, v := range item {
		out[k] = avJSON(v)
	}
	return out
}

// avJSON is DynamoDB's wire JSON for an attribute value.
func avJSON(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": imageJSON(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, x := range v.Value {
			l[i] = avJSON(x)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	}
	panic(fmt.Sprintf("attribute type %T", v))
}
