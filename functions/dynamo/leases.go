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
	"github.com/agentdesk/agentdesk/shared/api"
)

func leaseSK(uid string) string   { return "LEASE#" + uid }
func dialSK(number string) string { return "DIAL#" + number }

var _ domain.LeaseStore = (*Store)(nil)

// leaseItem is flat on purpose: it is updated in place on every heartbeat,
// and minidyn corrupts map attributes on update. RevokedReason is always
// present ("" while live) so conditions can compare it.
type leaseItem struct {
	TenantID, UserID, SessionID string
	Epoch                       int64
	DeviceID, DeviceName        string
	Platform                    string
	Mode, DialNumber, Extension string
	TeamID                      string
	Since, ExpiresAt            string
	LastHeartbeat, LastActivity string
	OnCall                      bool
	RevokedReason               string
}

func leaseItemOf(l *domain.Lease) (map[string]av, error) {
	it := leaseItem{TenantID: l.TenantID, UserID: l.UserID, SessionID: l.SessionID, Epoch: l.Epoch,
		DeviceID: l.Device.ID, DeviceName: l.Device.Name, Platform: l.Device.Platform,
		Mode: l.Station.Mode, DialNumber: l.Station.DialNumber, Extension: l.Station.Extension, TeamID: l.TeamID,
		Since: ts(l.Since), ExpiresAt: ts(l.ExpiresAt), LastHeartbeat: ts(l.LastHeartbeat), LastActivity: ts(l.LastActivity),
		OnCall: l.OnCall, RevokedReason: l.RevokedReason}
	// No index keys: leases are listed from the tenant's partition, and an
	// indexed item would cost a second write unit on every heartbeat.
	return item(it, tenantPK(l.TenantID), leaseSK(l.UserID), nil)
}

func leaseFrom(m map[string]av) (*domain.Lease, error) {
	if len(m) == 0 {
		return nil, nil
	}
	var it leaseItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return nil, err
	}
	return &domain.Lease{TenantID: it.TenantID, UserID: it.UserID, SessionID: it.SessionID, Epoch: it.Epoch,
		Device:  api.Device{ID: it.DeviceID, Name: it.DeviceName, Platform: it.Platform},
		Station: api.Station{Mode: it.Mode, DialNumber: it.DialNumber, Extension: it.Extension}, TeamID: it.TeamID,
		Since: parseTS(it.Since), ExpiresAt: parseTS(it.ExpiresAt), LastHeartbeat: parseTS(it.LastHeartbeat),
		LastActivity: parseTS(it.LastActivity), OnCall: it.OnCall, RevokedReason: it.RevokedReason}, nil
}

// GetLease reads an agent's lease (nil, ErrNotFound when they never had one).
func (st *Store) GetLease(ctx context.Context, tenantID, userID string) (*domain.Lease, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.table, Key: key(tenantPK(tenantID), leaseSK(userID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if res.Item == nil {
		return nil, domain.ErrNotFound
	}
	return leaseFrom(res.Item)
}

// AcquireLease writes the new lease and its dial-number guard in one
// transaction (see domain.LeaseStore).
func (st *Store) AcquireLease(ctx context.Context, next *domain.Lease, prevEpoch int64, dial *domain.DialClaim) error {
	m, err := leaseItemOf(next)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{st.versionedBy(m, "Epoch", prevEpoch)}
	fails := []error{domain.ErrLeaseMoved}
	if dial != nil {
		g := key(tenantPK(next.TenantID), dialSK(dial.Number))
		g["UserID"], g["Epoch"], g["Number"] = s(next.UserID), n(next.Epoch), s(dial.Number)
		if dial.Holder == nil {
			items = append(items, st.put(g, condNew, nil))
		} else {
			items = append(items, st.put(g, "UserID = :hu AND Epoch = :he", map[string]av{":hu": s(dial.Holder.UserID), ":he": n(dial.Holder.Epoch)}))
		}
		fails = append(fails, domain.ErrDialTaken)
		if dial.Holder != nil && dial.Holder.UserID != next.UserID {
			// The holder's session must be over: moved on, lapsed or ended.
			cond := "attribute_not_exists(PK) OR Epoch <> :he OR ExpiresAt < :now OR RevokedReason <> :empty"
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &st.table, Key: key(tenantPK(next.TenantID), leaseSK(dial.Holder.UserID)), ConditionExpression: &cond,
				ExpressionAttributeValues: map[string]av{":he": n(dial.Holder.Epoch), ":now": s(ts(next.Since)), ":empty": s("")}}})
			fails = append(fails, domain.ErrDialTaken)
		}
	}
	return st.transact(ctx, items, fails, domain.ErrLeaseMoved)
}

func (st *Store) versionedBy(m map[string]av, attr string, prev int64) types.TransactWriteItem {
	if prev == 0 {
		return st.put(m, condNew, nil)
	}
	return st.put(m, attr+" = :prev", map[string]av{":prev": n(prev)})
}

// DialHolder reads who holds a dial number (ErrNotFound when nobody ever did).
func (st *Store) DialHolder(ctx context.Context, tenantID, number string) (*domain.DialGuard, error) {
	var g domain.DialGuard
	if err := st.get(ctx, tenantPK(tenantID), dialSK(number), &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// Heartbeat renews a live lease in one conditional write.
func (st *Store) Heartbeat(ctx context.Context, tenantID, userID, sessionID string, epoch int64, now, expires, lastActivity time.Time, onCall bool) (*domain.Lease, error) {
	return st.updateLease(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(tenantPK(tenantID), leaseSK(userID)),
		UpdateExpression:    aws.String("SET ExpiresAt = :exp, LastHeartbeat = :now, LastActivity = :act, OnCall = :call"),
		ConditionExpression: aws.String("SessionID = :sid AND Epoch = :e AND RevokedReason = :empty AND ExpiresAt >= :now"),
		ExpressionAttributeValues: map[string]av{":exp": s(ts(expires)), ":now": s(ts(now)), ":act": s(ts(lastActivity)),
			":call": &types.AttributeValueMemberBOOL{Value: onCall}, ":sid": s(sessionID), ":e": n(epoch), ":empty": s("")},
		ReturnValues: types.ReturnValueAllNew,
	})
}

// updateLease runs a conditional update of a lease. It returns the lease
// as written (or as it was, per in.ReturnValues), or ErrConflict with the
// lease as it stands when the condition failed.
func (st *Store) updateLease(ctx context.Context, in *dynamodb.UpdateItemInput) (*domain.Lease, error) {
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	res, err := st.db.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		old, err := leaseFrom(ccf.Item)
		if err != nil {
			return nil, err
		}
		return old, domain.ErrConflict
	}
	if err != nil {
		return nil, err
	}
	return leaseFrom(res.Attributes)
}

// EndLease expires a live lease with a reason (see domain.LeaseStore).
func (st *Store) EndLease(ctx context.Context, tenantID, userID, sessionID string, epoch int64, reason string, now time.Time) (*domain.Lease, error) {
	cond := "RevokedReason = :empty AND ExpiresAt > :now"
	vals := map[string]av{":now": s(ts(now)), ":r": s(reason), ":empty": s("")}
	if sessionID != "" {
		cond += " AND SessionID = :sid AND Epoch = :e"
		vals[":sid"], vals[":e"] = s(sessionID), n(epoch)
	}
	return st.updateLease(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(tenantPK(tenantID), leaseSK(userID)),
		UpdateExpression:          aws.String("SET ExpiresAt = :now, RevokedReason = :r"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND " + cond),
		ExpressionAttributeValues: vals,
		ReturnValues:              types.ReturnValueAllOld,
	})
}

// ListLeases lists every lease of a tenant (live or not).
func (st *Store) ListLeases(ctx context.Context, tenantID string) ([]*domain.Lease, error) {
	var out []*domain.Lease
	err := st.queryPrefix(ctx, tenantPK(tenantID), "LEASE#", func(m map[string]av) error {
		l, err := leaseFrom(m)
		out = append(out, l)
		return err
	})
	return out, err
}
