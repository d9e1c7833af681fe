package dynamo

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
)

func userItem(u *domain.User) (map[string]av, error) {
	return item(u, tenantPK(u.TenantID), userSK(u.ID), nil)
}

type guard struct {
	TenantID string
	UserID   string
}

// GetTenant reads a tenant by id.
func (st *Store) GetTenant(ctx context.Context, id string) (*domain.Tenant, error) {
	var t domain.Tenant
	if err := st.get(ctx, tenantPK(id), skTenant, &t); err != nil {
		return nil, err
	}
	idp := &t.IdentityProvider
	idp.Domains, idp.EntraTenantIDs = orEmpty(idp.Domains), orEmpty(idp.EntraTenantIDs)
	t.StationPolicy.AllowedModes = orEmpty(t.StationPolicy.AllowedModes)
	if t.Banners == nil {
		t.Banners = []api.Banner{}
	}
	return &t, nil
}

// GetTenantBySlug resolves the slug guard, then the tenant.
func (st *Store) GetTenantBySlug(ctx context.Context, slug string) (*domain.Tenant, error) {
	var g guard
	if err := st.get(ctx, slugPK(slug), skGuard, &g); err != nil {
		return nil, err
	}
	return st.GetTenant(ctx, g.TenantID)
}

// TenantForDomain answers the tenant federating an email domain.
func (st *Store) TenantForDomain(ctx context.Context, d string) (string, error) {
	var g guard
	if err := st.get(ctx, domainPK(d), skGuard, &g); err != nil {
		return "", err
	}
	return g.TenantID, nil
}

// GetUser reads a user of a tenant; another tenant's id is ErrNotFound.
func (st *Store) GetUser(ctx context.Context, tenantID, id string) (*domain.User, error) {
	var u domain.User
	if err := st.get(ctx, tenantPK(tenantID), userSK(id), &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUserByEmail resolves the email guard, then the user.
func (st *Store) GetUserByEmail(ctx context.Context, email string) (*domain.User, error) {
	var g guard
	if err := st.get(ctx, emailPK(email), skGuard, &g); err != nil {
		return nil, err
	}
	return st.GetUser(ctx, g.TenantID, g.UserID)
}

// ListUsers pages through a tenant's users in id order, keeping those whose
// email or display name contains search (case-insensitive). The cursor is
// the last returned id, so a filtered page never skips anyone.
func (st *Store) ListUsers(ctx context.Context, tenantID, search, cursor string, limit int) (domain.UserPage, error) {
	var page domain.UserPage
	search = strings.ToLower(search)
	var start map[string]av
	if cursor != "" {
		id, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return page, domain.E("bad_request", "cursor")
		}
		start = key(tenantPK(tenantID), userSK(string(id)))
	}
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              &st.table,
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :u)"),
			ExpressionAttributeValues: map[string]av{
				":pk": s(tenantPK(tenantID)), ":u": s("U#"),
			},
			ExclusiveStartKey: start,
			Limit:             aws.Int32(int32(max(limit, 25))),
		})
		if err != nil {
			return page, err
		}
		for _, m := range res.Items {
			var u domain.User
			if err := attributevalue.UnmarshalMap(m, &u); err != nil {
				return page, err
			}
			if search != "" && !strings.Contains(strings.ToLower(u.Email), search) &&
				!strings.Contains(strings.ToLower(u.DisplayName), search) {
				continue
			}
			page.Users = append(page.Users, &u)
			if len(page.Users) == limit {
				page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(u.ID))
				return page, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return page, nil
		}
		start = res.LastEvaluatedKey
	}
}

// GetTeam reads a team of a tenant.
func (st *Store) GetTeam(ctx context.Context, tenantID, id string) (*domain.Team, error) {
	var t domain.Team
	if err := st.get(ctx, tenantPK(tenantID), teamSK(id), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// GetQueue reads a queue of a tenant.
func (st *Store) GetQueue(ctx context.Context, tenantID, id string) (*domain.Queue, error) {
	var q domain.Queue
	if err := st.get(ctx, tenantPK(tenantID), queueSK(id), &q); err != nil {
		return nil, err
	}
	q.Channels = orEmpty(q.Channels)
	return &q, nil
}

// ListTeams lists every team of a tenant.
func (st *Store) ListTeams(ctx context.Context, tenantID string) ([]*domain.Team, error) {
	var out []*domain.Team
	err := st.queryPrefix(ctx, tenantPK(tenantID), "TEAM#", func(m map[string]av) error {
		var t domain.Team
		out = append(out, &t)
		return attributevalue.UnmarshalMap(m, &t)
	})
	return out, err
}

// ListQueues lists every queue of a tenant.
func (st *Store) ListQueues(ctx context.Context, tenantID string) ([]*domain.Queue, error) {
	var out []*domain.Queue
	err := st.queryPrefix(ctx, tenantPK(tenantID), "QUEUE#", func(m map[string]av) error {
		var q domain.Queue
		out = append(out, &q)
		err := attributevalue.UnmarshalMap(m, &q)
		q.Channels = orEmpty(q.Channels)
		return err
	})
	return out, err
}

func (st *Store) queryPrefix(ctx context.Context, pk, prefix string, each func(map[string]av) error) error {
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                 &st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]av{":pk": s(pk), ":p": s(prefix)},
	})
	for p.HasMorePages() {
		res, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, m := range res.Items {
			if err := each(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListAudit reads a tenant's audit log newest first, optionally for one
// target and a time window. The cursor is the last entry's sort key.
func (st *Store) ListAudit(ctx context.Context, tenantID string, f domain.AuditFilter) ([]*domain.Audit, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	lo, hi := "0", "9"
	if !f.From.IsZero() {
		lo = ts(f.From)
	}
	if !f.To.IsZero() {
		hi = ts(f.To) + "~"
	}
	in := &dynamodb.QueryInput{
		TableName:        &st.table,
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	pk := auditPK(tenantID)
	if f.TargetID != "" {
		in.IndexName = aws.String(indexGSI1)
		in.KeyConditionExpression = aws.String("GSI1PK = :pk AND GSI1SK BETWEEN :lo AND :hi")
		in.ExpressionAttributeValues = map[string]av{":pk": s(auditTargetPK(tenantID, f.TargetID)), ":lo": s(lo), ":hi": s(hi)}
	} else {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK BETWEEN :lo AND :hi")
		in.ExpressionAttributeValues = map[string]av{":pk": s(pk), ":lo": s(lo), ":hi": s(hi)}
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil {
			return nil, "", domain.E("bad_request", "cursor")
		}
		sk := string(raw)
		in.ExclusiveStartKey = key(pk, sk)
		if f.TargetID != "" {
			in.ExclusiveStartKey[attrGSI1PK] = s(auditTargetPK(tenantID, f.TargetID))
			in.ExclusiveStartKey[attrGSI1SK] = s(sk)
		}
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	out := make([]*domain.Audit, 0, len(res.Items))
	for _, m := range res.Items {
		var a domain.Audit
		if err := attributevalue.UnmarshalMap(m, &a); err != nil {
			return nil, "", err
		}
		a.Changes = orEmpty(a.Changes)
		out = append(out, &a)
	}
	next := ""
	if res.LastEvaluatedKey != nil && len(out) > 0 {
		last := out[len(out)-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(ts(last.At) + "#" + last.ID))
	}
	return out, next, nil
}

// orEmpty reads an absent list attribute (see prune) as an empty list.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
