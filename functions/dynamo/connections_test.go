package dynamo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
)

func conn(tid, uid, id string, at time.Time) *domain.Connection {
	return &domain.Connection{ID: id, TenantID: tid, UserID: uid, DeviceID: "dev-" + id, ConnectedAt: at, ExpiresAt: at.Add(domain.ConnectionMaxAge)}
}

func ids(cs []*domain.Connection) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func TestConnectionsByUserAndTenant(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	// Ids shaped like API Gateway's, with the characters that need escaping.
	for _, c := range []*domain.Connection{
		conn("t1", "u1", "L0SM9cOFvHcCIhw=", now),
		conn("t1", "u1", "a+b/cd==", now),
		conn("t1", "u2", "u2conn", now),
		conn("t2", "u1", "other-tenant", now), // same user id, another tenant
		conn("t1", "u1", "stale", now.Add(-domain.ConnectionMaxAge-time.Minute)),
	} {
		if err := st.PutConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := st.ListConnectionsByUser(ctx, "t1", "u1", now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(mine); !slices.Equal(got, []string{"L0SM9cOFvHcCIhw=", "a+b/cd=="}) {
		t.Fatalf("user's connections: %v", got)
	}
	c := mine[slices.IndexFunc(mine, func(c *domain.Connection) bool { return c.ID == "L0SM9cOFvHcCIhw=" })]
	if c.TenantID != "t1" || c.UserID != "u1" || c.DeviceID != "dev-L0SM9cOFvHcCIhw=" || !c.ConnectedAt.Equal(now) || !c.ExpiresAt.Equal(now.Add(domain.ConnectionMaxAge)) {
		t.Fatalf("read back %+v", c)
	}
	all, err := st.ListConnectionsByTenant(ctx, "t1", now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); !slices.Equal(got, []string{"L0SM9cOFvHcCIhw=", "a+b/cd==", "u2conn"}) {
		t.Fatalf("tenant's connections: %v", got)
	}
	// Two hours on, everything connected now has expired.
	later, _ := st.ListConnectionsByTenant(ctx, "t1", now.Add(domain.ConnectionMaxAge))
	if len(later) != 0 {
		t.Fatalf("expired connections listed: %v", ids(later))
	}

	// $disconnect knows only the id.
	if err := st.DeleteConnection(ctx, "a+b/cd=="); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteConnection(ctx, "a+b/cd=="); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.DeleteConnection(ctx, "never-existed"); err != nil {
		t.Fatalf("unknown id: %v", err)
	}
	mine, _ = st.ListConnectionsByUser(ctx, "t1", "u1", now)
	all, _ = st.ListConnectionsByTenant(ctx, "t1", now)
	if !slices.Equal(ids(mine), []string{"L0SM9cOFvHcCIhw="}) || !slices.Equal(ids(all), []string{"L0SM9cOFvHcCIhw=", "u2conn"}) {
		t.Fatalf("after delete: user %v tenant %v", ids(mine), ids(all))
	}
	other, _ := st.ListConnectionsByUser(ctx, "t2", "u1", now)
	if !slices.Equal(ids(other), []string{"other-tenant"}) {
		t.Fatalf("other tenant: %v", ids(other))
	}
}
