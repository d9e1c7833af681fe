package dynamo

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/domain"
)

// outboxItem is an email job. `type` and `status` are lower-case because the
// stream filter in template.yaml matches on them; the mailer reads `ID`.
type outboxItem struct {
	Type     string `dynamodbav:"type"`
	ID       string
	TenantID string
	UserID   string
	To       string
	Locale   string
	Template string
	// Data is JSON text: emptied once sent. (A map attribute is avoided:
	// minidyn corrupts map values on update.)
	Data          string
	Status        string `dynamodbav:"status"`
	Attempts      int
	NextAttemptAt string
	ClaimUntil    string `dynamodbav:",omitempty"`
	LastError     string `dynamodbav:",omitempty"`
	CreatedAt     string
	SentAt        string `dynamodbav:",omitempty"`
}

func outboxItemOf(m *domain.OutboxMessage) (map[string]av, error) {
	status := m.Status
	if status == "" {
		status = domain.OutboxPending
	}
	next := m.NextAttemptAt
	if next.IsZero() {
		next = m.CreatedAt
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return nil, err
	}
	it := outboxItem{Type: "outbox", ID: m.ID, TenantID: m.TenantID, UserID: m.UserID, To: m.To, Locale: m.Locale,
		Template: m.Template, Data: string(data), Status: status, Attempts: m.Attempts, NextAttemptAt: ts(next), CreatedAt: ts(m.CreatedAt)}
	return item(it, outboxPK(m.ID), skGuard, map[string]av{attrGSI1PK: s(outboxDue), attrGSI1SK: s(ts(m.CreatedAt) + "#" + m.ID)})
}

func (it *outboxItem) message() *domain.OutboxMessage {
	var data map[string]string
	if it.Data != "" {
		_ = json.Unmarshal([]byte(it.Data), &data)
	}
	m := &domain.OutboxMessage{ID: it.ID, TenantID: it.TenantID, UserID: it.UserID, To: it.To, Locale: it.Locale,
		Template: it.Template, Data: data, Status: it.Status, Attempts: it.Attempts, NextAttemptAt: parseTS(it.NextAttemptAt),
		LastError: it.LastError, CreatedAt: parseTS(it.CreatedAt)}
	if it.SentAt != "" {
		m.SentAt = parseTS(it.SentAt)
	}
	return m
}

// GetOutbox reads one outbox message.
func (st *Store) GetOutbox(ctx context.Context, id string) (*domain.OutboxMessage, error) {
	var it outboxItem
	if err := st.get(ctx, outboxPK(id), skGuard, &it); err != nil {
		return nil, err
	}
	return it.message(), nil
}

// ClaimOutbox takes a due message for lease; only one claimant wins.
func (st *Store) ClaimOutbox(ctx context.Context, id string, now time.Time, lease time.Duration) (*domain.OutboxMessage, bool, error) {
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(outboxPK(id), skGuard),
		UpdateExpression: aws.String("SET #st = :sending, ClaimUntil = :until"),
		ConditionExpression: aws.String("attribute_exists(PK) AND ((#st = :pending AND NextAttemptAt <= :now) OR " +
			"(#st = :sending AND ClaimUntil < :now))"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]av{":sending": s(domain.OutboxSending), ":pending": s(domain.OutboxPending),
			":until": s(ts(now.Add(lease))), ":now": s(ts(now))},
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var it outboxItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return nil, false, err
	}
	return it.message(), true, nil
}

// MarkSent records delivery, drops the data (links, codes) and schedules
// the item's clean-up.
func (st *Store) MarkSent(ctx context.Context, id string, now time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(outboxPK(id), skGuard),
		// Data is overwritten, not REMOVEd: minidyn ignores REMOVE after SET.
		UpdateExpression:          aws.String("SET #st = :sent, SentAt = :now, GSI1PK = :done, #ttl = :ttl, #data = :empty, ClaimUntil = :empty"),
		ConditionExpression:       aws.String("#st = :sending"),
		ExpressionAttributeNames:  map[string]string{"#st": "status", "#data": "Data", "#ttl": attrTTL},
		ExpressionAttributeValues: map[string]av{":sent": s(domain.OutboxSent), ":sending": s(domain.OutboxSending), ":now": s(ts(now)), ":done": s(outboxDone), ":ttl": n(now.Add(doneOutboxTTL).Unix()), ":empty": s("")},
	})
	if isConditionFailed(err) {
		return domain.ErrConflict
	}
	return err
}

// ReleaseOutbox gives a claimed message back for a later try, or fails it.
func (st *Store) ReleaseOutbox(ctx context.Context, id string, attempts int, next time.Time, lastErr string, final bool) error {
	status, gsi := domain.OutboxPending, outboxDue
	upd := "SET #st = :status, Attempts = :a, NextAttemptAt = :next, LastError = :err, GSI1PK = :gsi, ClaimUntil = :empty"
	if final {
		status, gsi = domain.OutboxFailed, outboxDone
		upd += ", #data = :empty"
	}
	if len(lastErr) > 500 {
		lastErr = lastErr[:500]
	}
	names := map[string]string{"#st": "status"}
	vals := map[string]av{":status": s(status), ":a": n(int64(attempts)), ":next": s(ts(next)),
		":err": s(lastErr), ":gsi": s(gsi), ":sending": s(domain.OutboxSending), ":empty": s("")}
	if final {
		names["#data"] = "Data"
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(outboxPK(id), skGuard),
		UpdateExpression:          aws.String(upd),
		ConditionExpression:       aws.String("#st = :sending"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	if isConditionFailed(err) {
		return domain.ErrConflict
	}
	return err
}

// DueOutbox lists messages ready to (re)send, oldest first.
func (st *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]*domain.OutboxMessage, error) {
	var out []*domain.OutboxMessage
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName: &st.table, IndexName: aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :due"),
		ExpressionAttributeValues: map[string]av{":due": s(outboxDue)},
	})
	nowS := ts(now)
	for p.HasMorePages() && len(out) < limit {
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range res.Items {
			var it outboxItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return nil, err
			}
			due := (it.Status == domain.OutboxPending && it.NextAttemptAt <= nowS) ||
				(it.Status == domain.OutboxSending && it.ClaimUntil < nowS)
			if due && len(out) < limit {
				out = append(out, it.message())
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}
