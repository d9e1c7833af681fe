package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/shared/client"
)

// latency is one endpoint's latency at concurrency 1.
type latency struct {
	Name          string
	N             int
	P50, P99, Max time.Duration
	Mean          time.Duration
	DB            counts // DynamoDB requests of the N measured calls
	Use           usage  // the measured API's usage for them (DB included)
	Results       int    // users returned by the last call
}

// measureLatencies times GET /v1/me and GET /v1/admin/users one call at a
// time, after warm calls.
func measureLatencies(ctx context.Context, e *env, p *population, warm, n int, progress func(string, ...any)) ([]latency, error) {
	agentTok, err := e.client("").Login(ctx, loginReq(p.Demo.AgentEmail, p.Demo.AgentPassword, "bench-latency"))
	if err != nil {
		return nil, fmt.Errorf("sign in the demo agent: %w", err)
	}
	adminTok, err := e.client("").Login(ctx, loginReq(p.Demo.AdminEmail, p.Demo.AdminPassword, "bench-latency"))
	if err != nil {
		return nil, fmt.Errorf("sign in the demo admin: %w", err)
	}
	agent, admin := e.client(agentTok.AccessToken), e.client(adminTok.AccessToken)
	list := func(params client.ListUsersParams, want func(int) bool) func(context.Context, *latency) error {
		return func(ctx context.Context, l *latency) error {
			out, err := admin.ListUsers(ctx, params)
			if err != nil {
				return err
			}
			l.Results = len(out.Users)
			if !want(len(out.Users)) {
				return fmt.Errorf("%s: %d users returned", l.Name, len(out.Users))
			}
			return nil
		}
	}
	cases := []struct {
		name string
		call func(context.Context, *latency) error
	}{
		{"GET /v1/me (agent with a team, 2 queues, extension)", func(ctx context.Context, _ *latency) error {
			_, err := agent.Me(ctx)
			return err
		}},
		{"GET /v1/admin/users?limit=50 (first page)", list(client.ListUsersParams{Limit: 50},
			func(n int) bool { return n == 50 })},
		{fmt.Sprintf("GET /v1/admin/users?limit=50&search=%s (matches nearly all)", p.SearchMany), list(client.ListUsersParams{Limit: 50, Search: p.SearchMany},
			func(n int) bool { return n == 50 })},
		{fmt.Sprintf("GET /v1/admin/users?limit=50&search=%s (matches 1)", p.SearchOne), list(client.ListUsersParams{Limit: 50, Search: p.SearchOne},
			func(n int) bool { return n == 1 })},
	}
	var out []latency
	for _, c := range cases {
		l := latency{Name: c.name, N: n}
		for range warm {
			if err := c.call(ctx, &l); err != nil {
				return nil, err
			}
		}
		m := e.mark()
		ds := make([]time.Duration, 0, n)
		for range n {
			s := time.Now()
			if err := c.call(ctx, &l); err != nil {
				return nil, err
			}
			ds = append(ds, time.Since(s))
		}
		l.Use = e.since(m)
		l.DB = l.Use.DB
		l.P50, l.P99, l.Max, l.Mean = percentile(ds, 50), percentile(ds, 99), slices.Max(ds), mean(ds)
		progress("  %s: p50 %s, p99 %s", l.Name, ms(l.P50), ms(l.P99))
		out = append(out, l)
	}
	return out, nil
}

// percentile is the nearest-rank percentile of ds (which it sorts).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(math.Ceil(p / 100 * float64(len(ds))))
	return ds[min(max(rank, 1), len(ds))-1]
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
