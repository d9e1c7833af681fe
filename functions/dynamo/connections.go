package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/domain"
)

// Push connections. Each open WebSocket is two flat items written and
// deleted together:
//
//	PK T#<tid>#CONN#<uid>  SK CONN#<connId>   the connection; GSI1 CONNS#<tid> / <uid>#<connId>
//	PK CONN#<connId>       SK GUARD           TenantID, UserID: $disconnect only knows the id
//
// So Notify is one Query on the user's partition, NotifyTenant one Query on
// GSI1, and neither can reach another tenant. Both items carry `ttl` (API
// Gateway's two-hour limit); DynamoDB deletes expired items lazily, so reads
// skip connections past ExpiresAt themselves.
func connPK(tid, uid string) string   { return "T#" + tid + "#CONN#" + uid }
func connSK(id string) string         { return "CONN#" + id }
func connGuardPK(id string) string    { return "CONN#" + id }
func connTenantGSI(tid string) string { return "CONNS#" + tid }

const typeConnection = "connection"

var _ domain.ConnectionStore = (*Store)(nil)

type connItem struct {
	Type         string `dynamodbav:"type"`
	ConnectionID string
	TenantID     string
	UserID       string
	DeviceID     string `dynamodbav:",omitempty"`
	ConnectedAt  string
	ExpiresAt    string
	TTL          int64 `dynamodbav:"ttl"`
}

func (it *connItem) connection() *domain.Connection {
	return &domain.Connection{ID: it.ConnectionID, TenantID: it.TenantID, UserID: it.UserID, DeviceID: it.DeviceID,
		ConnectedAt: parseTS(it.ConnectedAt), ExpiresAt: parseTS(it.ExpiresAt)}
}

// PutConnection stores an open connection and its id lookup in one
// transaction.
func (st *Store) PutConnection(ctx context.Context, c *domain.Connection) error {
	it := connItem{Type: typeConnection, ConnectionID: c.ID, TenantID: c.TenantID, UserID: c.UserID, DeviceID: c.DeviceID,
		ConnectedAt: ts(c.ConnectedAt), ExpiresAt: ts(c.ExpiresAt), TTL: c.ExpiresAt.Unix()}
	m, err := item(it, connPK(c.TenantID, c.UserID), connSK(c.ID), map[string]av{
		attrGSI1PK: s(connTenantGSI(c.TenantID)), attrGSI1SK: s(c.UserID + "#" + c.ID)})
	if err != nil {
		return err
	}
	g := key(connGuardPK(c.ID), skGuard)
	g[attrType], g["TenantID"], g["UserID"], g[attrTTL] = s(typeConnection), s(c.TenantID), s(c.UserID), n(c.ExpiresAt.Unix())
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &st.table, Item: m}},
		{Put: &types.Put{TableName: &st.table, Item: g}},
	}})
	return err
}

// DeleteConnection removes a connection and its id lookup.
func (st *Store) DeleteConnection(ctx context.Context, id string) error {
	var g struct{ TenantID, UserID string }
	switch err := st.get(ctx, connGuardPK(id), skGuard, &g); {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &st.table, Key: key(connPK(g.TenantID, g.UserID), connSK(id))}},
		{Delete: &types.Delete{TableName: &st.table, Key: key(connGuardPK(id), skGuard)}},
	}})
	return err
}

// ListConnectionsByUser lists a user's live connections (one Query).
func (st *Store) ListConnectionsByUser(ctx context.Context, tenantID, userID string, now time.Time) ([]*domain.Connection, error) {
	return st.queryConnections(ctx, &dynamodb.QueryInput{
		TableName:              &st.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]av{
			":pk": s(connPK(tenantID, userID)), ":sk": s(connSK("")),
		},
	}, now)
}

// ListConnectionsByTenant lists every live connection of a tenant (one
// Query on GSI1).
func (st *Store) ListConnectionsByTenant(ctx context.Context, tenantID string, now time.Time) ([]*domain.Connection, error) {
	return st.queryConnections(ctx, &dynamodb.QueryInput{
		TableName: &st.table, IndexName: aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]av{":pk": s(connTenantGSI(tenantID))},
	}, now)
}

func (st *Store) queryConnections(ctx context.Context, in *dynamodb.QueryInput, now time.Time) ([]*domain.Connection, error) {
	out := []*domain.Connection{}
	p := dynamodb.NewQueryPaginator(st.db, in)
	for p.HasMorePages() {
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range res.Items {
			var it connItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return nil, err
			}
			if c := it.connection(); it.Type == typeConnection && c.Live(now) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}
