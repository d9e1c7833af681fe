package mailer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/agentdesk/agentdesk/functions/domain"
)

// Attribute names the mailer reads from a stream record's NewImage. The
// store writes an outbox item with `type` = "outbox", `status` (a
// domain.Outbox* status) and `ID`, the message id (domain.OutboxMessage's
// field names are its attribute names). template.yaml's stream filter
// matches the same `type` and `status`.
const (
	AttrType   = "type"
	AttrStatus = "status"
	AttrID     = "ID"
	TypeOutbox = "outbox"
)

// HandleStream is the DynamoDB Streams handler (with
// ReportBatchItemFailures): it delivers every pending outbox item in the
// batch and reports the records whose delivery should be retried by their
// sequence number. Other records are ignored.
func (p *Processor) HandleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for i, r := range ev.Records {
		if ctx.Err() != nil {
			// Out of time: hand the rest back for a retry.
			for _, rest := range ev.Records[i:] {
				if _, ok := OutboxID(rest); ok {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rest.Change.SequenceNumber})
				}
			}
			break
		}
		id, ok := OutboxID(r)
		if !ok {
			continue
		}
		if err := p.Deliver(ctx, id); err != nil {
			p.log().LogAttrs(ctx, slog.LevelWarn, "mailer: stream record will be retried",
				slog.String("outbox_id", id), slog.String("sequence_number", r.Change.SequenceNumber), slog.String("error", safeError(err)))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	return resp, nil
}

// OutboxID is the id of the pending outbox item a stream record carries.
func OutboxID(r events.DynamoDBEventRecord) (string, bool) {
	if r.EventName == string(events.DynamoDBOperationTypeRemove) {
		return "", false
	}
	img := r.Change.NewImage
	if str(img, AttrType) != TypeOutbox || str(img, AttrStatus) != domain.OutboxPending {
		return "", false
	}
	id := str(img, AttrID)
	return id, id != ""
}

func str(img map[string]events.DynamoDBAttributeValue, name string) string {
	v, ok := img[name]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}

// safeError is an error's text when it is one of ours (ids and codes only).
func safeError(err error) string {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Error()
	}
	return err.Error() // store errors: no message data in them
}

// Handle is a single Lambda entry point for the mailer: a DynamoDB stream
// batch goes to HandleStream; any other event (an EventBridge schedule,
// e.g. rate(1 minute)) sweeps the messages that are due, which is how
// backed-off retries and lapsed claims get sent in AWS.
func (p *Processor) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	_ = json.Unmarshal(payload, &probe)
	if len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:dynamodb" {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		return p.HandleStream(ctx, ev)
	}
	n, err := p.Sweep(ctx, DefaultBatch)
	if err != nil {
		p.log().LogAttrs(ctx, slog.LevelWarn, "mailer: sweep met failures", slog.Int("sent", n), slog.String("error", err.Error()))
	}
	// Failures were released for later sweeps or marked failed; only an
	// unusable store is worth failing the invocation for.
	return map[string]int{"sent": n}, nil
}

// Poller stands in for the DynamoDB stream in the local stack: it sweeps
// the outbox every Interval (default 5s), or at once when woken.
type Poller struct {
	Processor
	Interval time.Duration
	// Batch is how many due messages are read at a time (default 25).
	Batch int

	once sync.Once
	wake chan struct{}
}

func (p *Poller) wakeCh() chan struct{} {
	p.once.Do(func() { p.wake = make(chan struct{}, 1) })
	return p.wake
}

// Wake makes Run sweep now (the API calls it after writing an email, so
// local mail goes out at once). It never blocks.
func (p *Poller) Wake() {
	select {
	case p.wakeCh() <- struct{}{}:
	default: // a sweep is already pending
	}
}

// Drain delivers everything due now and returns how many were sent.
func (p *Poller) Drain(ctx context.Context) (int, error) {
	return p.Sweep(ctx, p.Batch)
}

// Run sweeps until ctx is done, then returns nil.
func (p *Poller) Run(ctx context.Context) error {
	if p.Store == nil || p.Sender == nil {
		return errors.New("mailer: Poller needs a Store and a Sender")
	}
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	wake := p.wakeCh()
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		if n, err := p.Drain(ctx); err != nil && ctx.Err() == nil {
			p.log().LogAttrs(ctx, slog.LevelWarn, "mailer: poll met failures", slog.Int("sent", n), slog.String("error", err.Error()))
		}
		t.Reset(interval)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}
