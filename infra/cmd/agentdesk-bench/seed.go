package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/shared/api"
)

// account is a seeded sign-in.
type account struct{ Email, Password string }

// population is what seed wrote.
type population struct {
	Demo   *localstack.Demo
	Users  int       // users in the demo tenant
	SignIn []account // distinct users for the throughput run
	Flow   account   // user of the request-count flows (ends with a reset)
	// SearchOne matches exactly one user (so the search reads the whole
	// tenant); SearchMany matches nearly everyone.
	SearchOne, SearchMany string
}

// usersPerCommit keeps a batch within DynamoDB's 100-item transaction: a
// user is its item plus its email guard.
const usersPerCommit = 50

// seed creates the demo tenant (admin and agent, localstack.SeedDemo) and
// fills it up to total users through the domain batch (Store.Commit, one
// TransactWriteItems per 50 users), not through the admin API, which would
// hash no password but queue an invitation per user. signIn+1 of them get
// a password, hashed with the stack's (production) policy.
func seed(ctx context.Context, e *env, total, signIn int) (*population, error) {
	demo, err := localstack.SeedDemo(ctx, e.Stack.App)
	if err != nil {
		return nil, fmt.Errorf("seed demo tenant: %w", err)
	}
	if total < 2+signIn+1 {
		return nil, fmt.Errorf("seed: %d users is fewer than the demo's 2 and the %d with passwords", total, signIn+1)
	}
	p := &population{Demo: demo, Users: total, SearchOne: fmt.Sprintf("Bench Agent %04d", (total-2)*3/4), SearchMany: "agent0"}
	now := time.Now().UTC()
	var batch []domain.Op
	for i := range total - 2 { // the demo admin and agent count
		u := &domain.User{ID: domain.NewID("usr"), TenantID: demo.TenantID,
			Email: fmt.Sprintf("agent%04d@demo.agentdesk.test", i), DisplayName: fmt.Sprintf("Bench Agent %04d", i),
			Locale: "en", Roles: []string{api.RoleAgent}, Status: api.StatusActive, EmailVerified: true,
			StationModes: []string{api.StationDialNumber, api.StationExtension}, TeamIDs: []string{}, QueueIDs: []string{},
			Version: 1, CreatedAt: now, UpdatedAt: now}
		if i <= signIn {
			a := account{Email: u.Email, Password: "bench passphrase " + randomHex(6)}
			if err := e.Stack.App.Auth.ApplyPassword(u, a.Password); err != nil {
				return nil, err
			}
			if i < signIn {
				p.SignIn = append(p.SignIn, a)
			} else {
				p.Flow = a
			}
		}
		batch = append(batch, domain.CreateUser{User: u})
		if len(batch) == usersPerCommit || i == total-3 {
			if err := e.Stack.App.Store.Commit(ctx, &domain.Batch{Ops: batch}); err != nil {
				return nil, fmt.Errorf("seed users: %w", err)
			}
			batch = nil
		}
	}
	return p, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
