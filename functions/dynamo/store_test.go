package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db, table := dynamolocal.StartForTest(t)
	return dynamo.New(db, table)
}

func user(tid, id, email string) *domain.User {
	now := time.Now().UTC()
	return &domain.User{ID: id, TenantID: tid, Email: email, DisplayName: "U " + id, Locale: "en",
		Roles: []string{api.RoleAgent}, Status: api.StatusActive, Version: 1, CreatedAt: now, UpdatedAt: now}
}

func commit(t *testing.T, st *dynamo.Store, ops ...domain.Op) error {
	t.Helper()
	return st.Commit(context.Background(), &domain.Batch{Ops: ops})
}

func TestEmailIsUniqueAcrossRacingCreates(t *testing.T) {
	st := newStore(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := commit(t, st, domain.CreateUser{User: user("t1", fmt.Sprintf("u%d", i), "same@example.com")})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, domain.ErrEmailTaken):
				t.Errorf("create %d: %v, want ErrEmailTaken", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d creates won the same email, want exactly 1", wins.Load())
	}
	u, err := st.GetUserByEmail(context.Background(), "same@example.com")
	if err != nil || u.TenantID != "t1" {
		t.Fatalf("lookup by email: %v %v", u, err)
	}
}

func TestVersionedUpdateAndTenantIsolation(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	u := user("t1", "u1", "a@example.com")
	if err := commit(t, st, domain.CreateUser{User: u}); err != nil {
		t.Fatal(err)
	}
	u.DisplayName, u.Version = "Renamed", 2
	if err := commit(t, st, domain.UpdateUser{User: u, PrevVersion: 1}); err != nil {
		t.Fatal(err)
	}
	stale := *u
	stale.DisplayName, stale.Version = "Stale", 2
	if err := commit(t, st, domain.UpdateUser{User: &stale, PrevVersion: 1}); !errors.Is(err, domain.ErrVersion) {
		t.Fatalf("stale update: %v, want ErrVersion", err)
	}
	if _, err := st.GetUser(ctx, "t2", "u1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another tenant read the user: %v", err)
	}
	got, _ := st.GetUser(ctx, "t1", "u1")
	if got.DisplayName != "Renamed" {
		t.Fatalf("got %q", got.DisplayName)
	}
}

func TestFailedTransactionWritesNothing(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	if err := commit(t, st, domain.CreateUser{User: user("t1", "u1", "taken@example.com")}); err != nil {
		t.Fatal(err)
	}
	m := &domain.OutboxMessage{ID: "m1", To: "x@example.com", Template: domain.MailInvitation, CreatedAt: time.Now()}
	err := commit(t, st, domain.CreateUser{User: user("t1", "u2", "taken@example.com")}, domain.PutOutbox{Message: m})
	if !errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("got %v", err)
	}
	if _, err := st.GetOutbox(ctx, "m1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("outbox written by a failed transaction: %v", err)
	}
	if _, err := st.GetUser(ctx, "t1", "u2"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("user written by a failed transaction: %v", err)
	}
}

func TestLinkIsSingleUse(t *testing.T) {
	st := newStore(t)
	l := &domain.Link{TokenHash: "h1", Kind: domain.LinkSetPassword, TenantID: "t1", UserID: "u1", ExpiresAt: time.Now().Add(time.Hour)}
	if err := commit(t, st, domain.PutLink{Link: l}); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := commit(t, st, domain.UseLink{TokenHash: "h1", At: time.Now()}); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, domain.ErrAlreadyUsed) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("link used %d times", ok.Load())
	}
	got, err := st.GetLink(context.Background(), "h1")
	if err != nil || got.UsedAt.IsZero() {
		t.Fatalf("link not marked used: %+v %v", got, err)
	}
	if err := commit(t, st, domain.UseLink{TokenHash: "missing", At: time.Now()}); !errors.Is(err, domain.ErrAlreadyUsed) {
		t.Fatalf("unknown link: %v", err)
	}
}

func TestRefreshRotationDetectsReplay(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := st.PutRefreshToken(ctx, &domain.RefreshToken{Hash: "r1", Family: "f", UserID: "u", TenantID: "t", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if err := st.RotateRefreshToken(ctx, "r1", time.Now(), &domain.RefreshToken{Hash: "r2", Family: "f", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if err := st.RotateRefreshToken(ctx, "r1", time.Now(), &domain.RefreshToken{Hash: "r3", Family: "f", ExpiresAt: exp}); !errors.Is(err, domain.ErrAlreadyUsed) {
		t.Fatalf("second rotation of r1: %v", err)
	}
	if _, err := st.GetRefreshToken(ctx, "r3"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a refused rotation stored its new token")
	}
	if rev, _ := st.FamilyRevoked(ctx, "f"); rev {
		t.Fatal("family revoked too early")
	}
	_ = st.RevokeFamily(ctx, "f", time.Now())
	if rev, _ := st.FamilyRevoked(ctx, "f"); !rev {
		t.Fatal("family not revoked")
	}
}

func TestCodesAndLoginFailures(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := time.Now()
	c := &domain.ResetCode{Email: "a@example.com", Hash: "hmac", IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := commit(t, st, domain.PutCode{Code: c}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if n, err := st.CountCodeAttempt(ctx, "a@example.com"); err != nil || n != i {
			t.Fatalf("attempt %d: %d %v", i, n, err)
		}
	}
	if err := commit(t, st, domain.DeleteCode{Email: "a@example.com", Hash: "other"}); !errors.Is(err, domain.ErrAlreadyUsed) {
		t.Fatalf("delete with a wrong hash: %v", err)
	}
	if err := commit(t, st, domain.DeleteCode{Email: "a@example.com", Hash: "hmac"}); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, st, domain.DeleteCode{Email: "a@example.com", Hash: "hmac"}); !errors.Is(err, domain.ErrAlreadyUsed) {
		t.Fatalf("code consumed twice: %v", err)
	}

	lock := func(n int) time.Duration {
		if n >= 3 {
			return time.Minute
		}
		return 0
	}
	for i := 1; i <= 3; i++ {
		n, until, err := st.RecordLoginFailure(ctx, "b@example.com", now, lock)
		if err != nil || n != i || (i < 3) != until.IsZero() {
			t.Fatalf("failure %d: n=%d until=%v err=%v", i, n, until, err)
		}
	}
	n, until, err := st.LoginFailures(ctx, "b@example.com")
	if err != nil || n != 3 || until.Before(now.Add(59*time.Second)) {
		t.Fatalf("read back: %d %v %v", n, until, err)
	}
	_ = st.ClearLoginFailures(ctx, "b@example.com")
	if n, _, _ := st.LoginFailures(ctx, "b@example.com"); n != 0 {
		t.Fatal("failures not cleared")
	}
}

func TestOutboxClaimIsExclusive(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	m := &domain.OutboxMessage{ID: "m1", To: "a@example.com", Template: domain.MailResetCode, Data: map[string]string{"code": "123456"}, CreatedAt: now}
	if err := commit(t, st, domain.PutOutbox{Message: m}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := st.ClaimOutbox(ctx, "m1", time.Now(), time.Minute); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won", wins.Load())
	}
	if err := st.MarkSent(ctx, "m1", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetOutbox(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.OutboxSent || len(got.Data) != 0 {
		t.Fatalf("after send: status %s data %v", got.Status, got.Data)
	}
	if due, _ := st.DueOutbox(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("sent message still due: %v", due)
	}
}

func TestListUsersPagesAndSearches(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	for i := range 30 {
		name := fmt.Sprintf("agent%02d@example.com", i)
		if i%3 == 0 {
			name = fmt.Sprintf("super%02d@example.com", i)
		}
		if err := commit(t, st, domain.CreateUser{User: user("t1", fmt.Sprintf("u%02d", i), name)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = commit(t, st, domain.CreateUser{User: user("t2", "other", "super99@example.com")})
	seen := map[string]bool{}
	cursor := ""
	for {
		page, err := st.ListUsers(ctx, "t1", "SUPER", cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			if u.TenantID != "t1" || seen[u.ID] {
				t.Fatalf("bad or repeated user %s/%s", u.TenantID, u.ID)
			}
			seen[u.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 10 {
		t.Fatalf("search found %d users, want 10", len(seen))
	}
}

func TestAuditFilters(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6 {
		target := "u1"
		if i%2 == 1 {
			target = "u2"
		}
		a := &domain.Audit{TenantID: "t1", AuditEntry: api.AuditEntry{ID: fmt.Sprintf("a%d", i), At: base.Add(time.Duration(i) * time.Hour),
			ActorID: "admin", Action: "user.update", TargetType: "user", TargetID: target, Changes: []string{"display_name"}}}
		if err := commit(t, st, domain.PutAudit{Entry: a}); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := st.ListAudit(ctx, "t1", domain.AuditFilter{})
	if err != nil || len(all) != 6 || all[0].ID != "a5" {
		t.Fatalf("all: %d %v", len(all), err)
	}
	u1, _, _ := st.ListAudit(ctx, "t1", domain.AuditFilter{TargetID: "u1"})
	if len(u1) != 3 {
		t.Fatalf("u1: %d", len(u1))
	}
	win, _, _ := st.ListAudit(ctx, "t1", domain.AuditFilter{From: base.Add(2 * time.Hour), To: base.Add(3 * time.Hour)})
	if len(win) != 2 {
		t.Fatalf("window: %d", len(win))
	}
	page, next, _ := st.ListAudit(ctx, "t1", domain.AuditFilter{Limit: 4})
	rest, _, _ := st.ListAudit(ctx, "t1", domain.AuditFilter{Limit: 4, Cursor: next})
	if len(page) != 4 || len(rest) != 2 || rest[0].ID != "a1" {
		t.Fatalf("paging: %d then %d", len(page), len(rest))
	}
	if other, _, _ := st.ListAudit(ctx, "t2", domain.AuditFilter{}); len(other) != 0 {
		t.Fatal("another tenant sees the audit log")
	}
}
