// Package dynamo is the DynamoDB adapter: it implements domain.Store and
// domain.OutboxStore on one table (see keys.go for the layout).
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/domain"
)

// Store implements the persistence ports on one DynamoDB table.
type Store struct {
	db    *dynamodb.Client
	table string
}

// New returns a Store over table.
func New(db *dynamodb.Client, table string) *Store { return &Store{db: db, table: table} }

var (
	_ domain.Store       = (*Store)(nil)
	_ domain.OutboxStore = (*Store)(nil)
)

type av = types.AttributeValue

func s(v string) av                   { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) av                    { return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)} }
func key(pk, sk string) map[string]av { return map[string]av{attrPK: s(pk), attrSK: s(sk)} }

// item marshals v and adds the table keys.
func item(v any, pk, sk string, extra map[string]av) (map[string]av, error) {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, err
	}
	prune(m)
	m[attrPK], m[attrSK] = s(pk), s(sk)
	for k, x := range extra {
		m[k] = x
	}
	return m, nil
}

// prune drops empty lists and maps, at any depth: an absent attribute
// reads back as an empty slice, and minidyn (the embedded DynamoDB) mangles
// empty lists into unrelated values.
func prune(m map[string]av) {
	for k, v := range m {
		switch x := v.(type) {
		case *types.AttributeValueMemberL:
			if len(x.Value) == 0 {
				delete(m, k)
			}
			for _, e := range x.Value {
				if mm, ok := e.(*types.AttributeValueMemberM); ok {
					prune(mm.Value)
				}
			}
		case *types.AttributeValueMemberM:
			prune(x.Value)
			if len(x.Value) == 0 {
				delete(m, k)
			}
		}
	}
}

// Commit writes a Batch in one TransactWriteItems call.
func (st *Store) Commit(ctx context.Context, b *domain.Batch) error {
	if len(b.Ops) == 0 {
		return nil
	}
	var items []types.TransactWriteItem
	var fails []error
	for _, op := range b.Ops {
		its, fs, err := st.translate(op)
		if err != nil {
			return err
		}
		items = append(items, its...)
		fails = append(fails, fs...)
	}
	if len(items) > 100 {
		return fmt.Errorf("dynamo: batch of %d writes exceeds the transaction limit", len(items))
	}
	return st.transact(ctx, items, fails, domain.ErrConflict)
}

// transact writes items in one transaction. When it is cancelled, the error
// is fails[i] for the first item i whose condition failed, else otherwise
// (a conflict with another transaction, for instance).
func (st *Store) transact(ctx context.Context, items []types.TransactWriteItem, fails []error, otherwise error) error {
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(fails) {
				return fails[i]
			}
		}
		return fmt.Errorf("%w: %v", otherwise, err)
	}
	return err
}

func (st *Store) put(m map[string]av, cond string, vals map[string]av) types.TransactWriteItem {
	p := &types.Put{TableName: &st.table, Item: m}
	if cond != "" {
		p.ConditionExpression = &cond
		p.ExpressionAttributeValues = vals
	}
	return types.TransactWriteItem{Put: p}
}

const (
	condNew     = "attribute_not_exists(PK)"
	condVersion = "Version = :v"
)

func (st *Store) translate(op domain.Op) ([]types.TransactWriteItem, []error, error) {
	one := func(it types.TransactWriteItem, f error, err error) ([]types.TransactWriteItem, []error, error) {
		return []types.TransactWriteItem{it}, []error{f}, err
	}
	switch o := op.(type) {
	case domain.CreateTenant:
		t, err := item(o.Tenant, tenantPK(o.Tenant.ID), skTenant, nil)
		if err != nil {
			return nil, nil, err
		}
		g := key(slugPK(o.Tenant.Slug), skGuard)
		g["TenantID"] = s(o.Tenant.ID)
		return []types.TransactWriteItem{st.put(t, condNew, nil), st.put(g, condNew, nil)},
			[]error{domain.ErrConflict, domain.ErrConflict}, nil
	case domain.UpdateTenant:
		t, err := item(o.Tenant, tenantPK(o.Tenant.ID), skTenant, nil)
		return one(st.put(t, condVersion, map[string]av{":v": n(o.PrevVersion)}), domain.ErrVersion, err)
	case domain.CreateUser:
		u, err := userItem(o.User)
		if err != nil {
			return nil, nil, err
		}
		g := key(emailPK(o.User.Email), skGuard)
		g["TenantID"], g["UserID"] = s(o.User.TenantID), s(o.User.ID)
		return []types.TransactWriteItem{st.put(u, condNew, nil), st.put(g, condNew, nil)},
			[]error{domain.ErrConflict, domain.ErrEmailTaken}, nil
	case domain.UpdateUser:
		u, err := userItem(o.User)
		return one(st.put(u, condVersion, map[string]av{":v": n(o.PrevVersion)}), domain.ErrVersion, err)
	case domain.PutTeam:
		t, err := item(o.Team, tenantPK(o.Team.TenantID), teamSK(o.Team.ID), nil)
		return one(st.versioned(t, o.PrevVersion), domain.ErrVersion, err)
	case domain.PutQueue:
		q, err := item(o.Queue, tenantPK(o.Queue.TenantID), queueSK(o.Queue.ID), nil)
		return one(st.versioned(q, o.PrevVersion), domain.ErrVersion, err)
	case domain.DeleteTeam:
		return one(st.deleteVersioned(key(tenantPK(o.TenantID), teamSK(o.ID)), o.PrevVersion), domain.ErrVersion, nil)
	case domain.DeleteQueue:
		return one(st.deleteVersioned(key(tenantPK(o.TenantID), queueSK(o.ID)), o.PrevVersion), domain.ErrVersion, nil)
	case domain.ClaimDomain:
		g := key(domainPK(o.Domain), skGuard)
		g["TenantID"] = s(o.TenantID)
		return one(st.put(g, "attribute_not_exists(PK) OR TenantID = :t", map[string]av{":t": s(o.TenantID)}), domain.ErrConflict, nil)
	case domain.ReleaseDomain:
		cond := "TenantID = :t"
		return one(types.TransactWriteItem{Delete: &types.Delete{TableName: &st.table, Key: key(domainPK(o.Domain), skGuard),
			ConditionExpression: &cond, ExpressionAttributeValues: map[string]av{":t": s(o.TenantID)}}}, domain.ErrConflict, nil)
	case domain.PutOutbox:
		m, err := outboxItemOf(o.Message)
		return one(st.put(m, condNew, nil), domain.ErrConflict, err)
	case domain.PutLink:
		m, err := linkItemOf(o.Link)
		return one(st.put(m, condNew, nil), domain.ErrConflict, err)
	case domain.UseLink:
		cond := "attribute_exists(PK) AND attribute_not_exists(UsedAt)"
		upd := "SET UsedAt = :at"
		return one(types.TransactWriteItem{Update: &types.Update{TableName: &st.table, Key: key(linkPK(o.TokenHash), skGuard),
			UpdateExpression: &upd, ConditionExpression: &cond, ExpressionAttributeValues: map[string]av{":at": s(ts(o.At))}}}, domain.ErrAlreadyUsed, nil)
	case domain.PutAudit:
		a := o.Entry
		sk := ts(a.At) + "#" + a.ID
		m, err := item(a, auditPK(a.TenantID), sk, map[string]av{attrGSI1PK: s(auditTargetPK(a.TenantID, a.TargetID)), attrGSI1SK: s(sk)})
		return one(st.put(m, condNew, nil), domain.ErrConflict, err)
	case domain.PutCode:
		c := o.Code
		m, err := item(codeItem{Email: c.Email, CodeHash: c.Hash, Attempts: c.Attempts, IssuedAt: ts(c.IssuedAt),
			ExpiresAt: ts(c.ExpiresAt), TTL: c.ExpiresAt.Add(24 * time.Hour).Unix()}, codePK(c.Email), skGuard, nil)
		return one(st.put(m, "", nil), domain.ErrConflict, err)
	case domain.DeleteCode:
		cond := "CodeHash = :h"
		return one(types.TransactWriteItem{Delete: &types.Delete{TableName: &st.table, Key: key(codePK(o.Email), skGuard),
			ConditionExpression: &cond, ExpressionAttributeValues: map[string]av{":h": s(o.Hash)}}}, domain.ErrAlreadyUsed, nil)
	}
	return nil, nil, fmt.Errorf("dynamo: unknown operation %T", op)
}

func (st *Store) versioned(m map[string]av, prev int64) types.TransactWriteItem {
	if prev == 0 {
		return st.put(m, condNew, nil)
	}
	return st.put(m, condVersion, map[string]av{":v": n(prev)})
}

func (st *Store) deleteVersioned(k map[string]av, prev int64) types.TransactWriteItem {
	cond := condVersion
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &st.table, Key: k,
		ConditionExpression: &cond, ExpressionAttributeValues: map[string]av{":v": n(prev)}}}
}

// get reads one item into out; ErrNotFound when absent.
func (st *Store) get(ctx context.Context, pk, sk string, out any) error {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if res.Item == nil {
		return domain.ErrNotFound
	}
	return attributevalue.UnmarshalMap(res.Item, out)
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
