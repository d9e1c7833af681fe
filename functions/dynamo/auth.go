package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/domain"
)

// Items for the auth flows. Each carries a `ttl` for clean-up only: reads
// always check the expiry themselves (DynamoDB deletes lazily).

type linkItem struct {
	TokenHash string
	Kind      string
	TenantID  string
	UserID    string
	ExpiresAt string
	UsedAt    string `dynamodbav:",omitempty"`
	TTL       int64  `dynamodbav:"ttl"`
}

func linkItemOf(l *domain.Link) (map[string]av, error) {
	return item(linkItem{TokenHash: l.TokenHash, Kind: l.Kind, TenantID: l.TenantID, UserID: l.UserID,
		ExpiresAt: ts(l.ExpiresAt), TTL: l.ExpiresAt.Add(30 * 24 * time.Hour).Unix()}, linkPK(l.TokenHash), skGuard, nil)
}

// GetLink reads an emailed link by the hash of its token.
func (st *Store) GetLink(ctx context.Context, hash string) (*domain.Link, error) {
	var it linkItem
	if err := st.get(ctx, linkPK(hash), skGuard, &it); err != nil {
		return nil, err
	}
	l := &domain.Link{TokenHash: it.TokenHash, Kind: it.Kind, TenantID: it.TenantID, UserID: it.UserID, ExpiresAt: parseTS(it.ExpiresAt)}
	if it.UsedAt != "" {
		l.UsedAt = parseTS(it.UsedAt)
	}
	return l, nil
}

type failItem struct {
	Count       int
	LockedUntil string `dynamodbav:",omitempty"`
	ExpiresAt   string
}

// failWindow: failures older than this are forgotten.
const failWindow = time.Hour

// LoginFailures reads the failure count and lock for an email.
func (st *Store) LoginFailures(ctx context.Context, email string) (int, time.Time, error) {
	var it failItem
	err := st.get(ctx, loginFailPK(email), skGuard, &it)
	if errors.Is(err, domain.ErrNotFound) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	if parseTS(it.ExpiresAt).Before(time.Now()) {
		return 0, time.Time{}, nil
	}
	return it.Count, parseTS(it.LockedUntil), nil
}

// RecordLoginFailure counts one failure atomically (ADD) and, when lockFor
// says so, sets the lock.
func (st *Store) RecordLoginFailure(ctx context.Context, email string, now time.Time, lockFor func(int) time.Duration) (int, time.Time, error) {
	exp := now.Add(failWindow)
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(loginFailPK(email), skGuard),
		// A stale counter (past its window) starts again at one.
		UpdateExpression:          aws.String("SET #c = if_not_exists(#c, :zero) + :one, ExpiresAt = :exp, #ttl = :ttl"),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR ExpiresAt > :now"),
		ExpressionAttributeNames:  map[string]string{"#c": "Count", "#ttl": attrTTL},
		ExpressionAttributeValues: map[string]av{":zero": n(0), ":one": n(1), ":exp": s(ts(exp)), ":ttl": n(exp.Unix()), ":now": s(ts(now))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.table, Item: map[string]av{
			attrPK: s(loginFailPK(email)), attrSK: s(skGuard), "Count": n(1), "ExpiresAt": s(ts(exp)), attrTTL: n(exp.Unix()),
		}})
		if err != nil {
			return 0, time.Time{}, err
		}
		return 1, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	var it failItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return 0, time.Time{}, err
	}
	d := lockFor(it.Count)
	if d <= 0 {
		return it.Count, time.Time{}, nil
	}
	until := now.Add(d)
	exp = until.Add(failWindow)
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(loginFailPK(email), skGuard),
		UpdateExpression:          aws.String("SET LockedUntil = :u, ExpiresAt = :exp, #ttl = :ttl"),
		ExpressionAttributeNames:  map[string]string{"#ttl": attrTTL},
		ExpressionAttributeValues: map[string]av{":u": s(ts(until)), ":exp": s(ts(exp)), ":ttl": n(exp.Unix())},
	})
	return it.Count, until, err
}

// ClearLoginFailures forgets failures after a successful sign-in.
func (st *Store) ClearLoginFailures(ctx context.Context, email string) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &st.table, Key: key(loginFailPK(email), skGuard)})
	return err
}

type refreshItem struct {
	Hash      string
	Family    string
	TenantID  string
	UserID    string
	Device    string
	Gen       int64
	ExpiresAt string
	UsedAt    string `dynamodbav:",omitempty"`
	TTL       int64  `dynamodbav:"ttl"`
}

func refreshItemOf(t *domain.RefreshToken) (map[string]av, error) {
	return item(refreshItem{Hash: t.Hash, Family: t.Family, TenantID: t.TenantID, UserID: t.UserID, Device: t.Device,
		Gen: t.Gen, ExpiresAt: ts(t.ExpiresAt), TTL: t.ExpiresAt.Unix()}, refreshPK(t.Hash), skGuard, nil)
}

// PutRefreshToken stores a new refresh token (by hash).
func (st *Store) PutRefreshToken(ctx context.Context, t *domain.RefreshToken) error {
	m, err := refreshItemOf(t)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.table, Item: m, ConditionExpression: aws.String(condNew)})
	return err
}

// GetRefreshToken reads a refresh token by hash.
func (st *Store) GetRefreshToken(ctx context.Context, hash string) (*domain.RefreshToken, error) {
	var it refreshItem
	if err := st.get(ctx, refreshPK(hash), skGuard, &it); err != nil {
		return nil, err
	}
	t := &domain.RefreshToken{Hash: it.Hash, Family: it.Family, TenantID: it.TenantID, UserID: it.UserID,
		Device: it.Device, Gen: it.Gen, ExpiresAt: parseTS(it.ExpiresAt)}
	if it.UsedAt != "" {
		t.UsedAt = parseTS(it.UsedAt)
	}
	return t, nil
}

// RotateRefreshToken marks old used and stores next in one transaction.
func (st *Store) RotateRefreshToken(ctx context.Context, oldHash string, at time.Time, next *domain.RefreshToken) error {
	m, err := refreshItemOf(next)
	if err != nil {
		return err
	}
	b := []types.TransactWriteItem{
		{Update: &types.Update{TableName: &st.table, Key: key(refreshPK(oldHash), skGuard),
			UpdateExpression:          aws.String("SET UsedAt = :at"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(UsedAt)"),
			ExpressionAttributeValues: map[string]av{":at": s(ts(at))}}},
		st.put(m, condNew, nil),
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: b})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return domain.ErrAlreadyUsed
	}
	return err
}

// RevokeFamily marks a refresh-token family revoked (a replay was seen or
// the user signed out).
func (st *Store) RevokeFamily(ctx context.Context, family string, at time.Time) error {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.table, Item: map[string]av{
		attrPK: s(familyPK(family)), attrSK: s(skGuard), "RevokedAt": s(ts(at)),
		attrTTL: n(at.Add(60 * 24 * time.Hour).Unix()),
	}})
	return err
}

// FamilyRevoked reports whether a family was revoked.
func (st *Store) FamilyRevoked(ctx context.Context, family string) (bool, error) {
	var it struct{ RevokedAt string }
	err := st.get(ctx, familyPK(family), skGuard, &it)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DeleteRefreshToken removes one refresh token (logout).
func (st *Store) DeleteRefreshToken(ctx context.Context, hash string) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &st.table, Key: key(refreshPK(hash), skGuard)})
	return err
}

type codeItem struct {
	Email     string
	CodeHash  string
	Attempts  int
	IssuedAt  string
	ExpiresAt string
	TTL       int64 `dynamodbav:"ttl"`
}

// GetResetCode reads the current code for an email.
func (st *Store) GetResetCode(ctx context.Context, email string) (*domain.ResetCode, error) {
	var it codeItem
	if err := st.get(ctx, codePK(email), skGuard, &it); err != nil {
		return nil, err
	}
	return &domain.ResetCode{Email: it.Email, Hash: it.CodeHash, Attempts: it.Attempts, IssuedAt: parseTS(it.IssuedAt), ExpiresAt: parseTS(it.ExpiresAt)}, nil
}

// CountCodeAttempt adds one failed try atomically.
func (st *Store) CountCodeAttempt(ctx context.Context, email string) (int, error) {
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key(codePK(email), skGuard),
		UpdateExpression:          aws.String("ADD Attempts :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]av{":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if isConditionFailed(err) {
		return 0, domain.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	v, ok := res.Attributes["Attempts"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("dynamo: attempts missing")
	}
	return strconv.Atoi(v.Value)
}
