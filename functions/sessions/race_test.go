package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/agentdesk/agentdesk/functions/admin"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/sessions"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// clock is a test clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	svc    *sessions.Service
	store  *dynamo.Store
	clock  *clock
	tenant *domain.Tenant
}

func newFixture(t *testing.T, db *dynamodb.Client, table string) *fixture {
	t.Helper()
	st := dynamo.New(db, table)
	c := &clock{now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	tn := &domain.Tenant{TenantSettings: admin.DefaultSettings(domain.NewID("tnt"), "race", "Race Inc")}
	if err := st.Commit(context.Background(), &domain.Batch{Ops: []domain.Op{domain.CreateTenant{Tenant: tn}}}); err != nil {
		t.Fatal(err)
	}
	return &fixture{store: st, clock: c, tenant: tn,
		svc: &sessions.Service{Store: st, Leases: st, Clock: c.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
}

// agent provisions an agent who may use any station.
func (f *fixture) agent(t *testing.T, name string) *auth.Principal {
	t.Helper()
	u := &domain.User{ID: domain.NewID("usr"), TenantID: f.tenant.ID, Email: name + "@race.example", DisplayName: name, Locale: "en",
		Roles: []string{api.RoleAgent}, Status: api.StatusActive, WebRTCEnabled: true,
		StationModes: []string{api.StationDialNumber, api.StationExtension, api.StationDesktop}, Version: 1,
		Extension: &domain.Extension{Number: "1001", SIPUsername: "1001"}}
	if err := f.store.Commit(context.Background(), &domain.Batch{Ops: []domain.Op{domain.CreateUser{User: u}}}); err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{User: u}
}

func login(dev string, takeover bool) api.CreateSessionRequest {
	return api.CreateSessionRequest{Station: api.Station{Mode: api.StationExtension}, Takeover: takeover,
		Device: api.Device{ID: dev, Name: "Desk " + dev, Platform: "linux"}}
}

// The lease as a linearizable register of epochs: a successful login moves
// it to the next epoch; a heartbeat succeeds only with the current epoch
// and is refused as taken over with an older one. Operations whose outcome
// is unknown (a fault) may or may not have taken effect.
type (
	opIn struct {
		login bool
		epoch int64 // heartbeat: the epoch presented
	}
	opOut struct {
		ok      bool
		epoch   int64 // login: the epoch granted
		taken   bool  // heartbeat: session_taken_over
		unknown bool
	}
)

var leaseModel = porcupine.NondeterministicModel{
	Init: func() []any { return []any{int64(0)} },
	Step: func(state, input, output any) []any {
		cur, in, out := state.(int64), input.(opIn), output.(opOut)
		switch {
		case in.login && out.unknown:
			return []any{cur, cur + 1}
		case in.login && out.ok:
			if out.epoch == cur+1 {
				return []any{out.epoch}
			}
			return nil
		case in.login: // refused: nothing changed
			return []any{cur}
		case out.unknown:
			return []any{cur}
		case out.ok:
			if in.epoch == cur {
				return []any{cur}
			}
			return nil
		case out.taken:
			if in.epoch < cur {
				return []any{cur}
			}
			return nil
		}
		return nil
	},
	Equal: func(a, b any) bool { return a.(int64) == b.(int64) },
}

// history records operations with real call and return times.
type history struct {
	mu  sync.Mutex
	ops []porcupine.Operation
	t0  time.Time
}

func (h *history) run(client int, in opIn, fn func() opOut) opOut {
	call := time.Since(h.t0).Nanoseconds()
	out := fn()
	ret := time.Since(h.t0).Nanoseconds()
	if out.unknown {
		ret = 1 << 62 // may take effect any time after the call
	}
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	h.mu.Unlock()
	return out
}

func classify(err error) opOut {
	var de *domain.Error
	switch {
	case err == nil:
		return opOut{ok: true}
	case errors.As(err, &de) && de.Code == api.CodeSessionTakenOver:
		return opOut{taken: true}
	case errors.As(err, &de):
		return opOut{}
	}
	return opOut{unknown: true}
}

// race runs n devices that each take over the agent's session and then
// heartbeat once, and returns the recorded history.
func race(t *testing.T, f *fixture, p *auth.Principal, n int) []porcupine.Operation {
	h := &history{t0: time.Now()}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sess *api.Session
			out := h.run(i, opIn{login: true}, func() opOut {
				s, err := f.svc.Create(context.Background(), p, login(fmt.Sprintf("dev-%d", i), true))
				o := classify(err)
				if s != nil {
					sess, o.epoch = s, s.Epoch
				}
				return o
			})
			if !out.ok {
				return
			}
			h.run(i, opIn{epoch: sess.Epoch}, func() opOut {
				_, err := f.svc.Heartbeat(context.Background(), p, sess.SessionID, api.HeartbeatRequest{Epoch: sess.Epoch})
				return classify(err)
			})
		}()
	}
	wg.Wait()
	// A refused login changes nothing and is legal in every state, so it
	// constrains no linearization: leaving it out keeps the check fast.
	var ops []porcupine.Operation
	for _, op := range h.ops {
		if in, out := op.Input.(opIn), op.Output.(opOut); in.login && !out.ok && !out.unknown {
			continue
		}
		ops = append(ops, op)
	}
	return ops
}

func TestTakeoverRacesAreLinearizable(t *testing.T) {
	db, table := dynamolocal.StartForTest(t)
	f := newFixture(t, db, table)
	rounds, devices := 100, 50
	if testing.Short() {
		rounds = 10
	}
	var granted atomic.Int64
	for r := range rounds {
		p := f.agent(t, fmt.Sprintf("agent%d", r))
		ops := race(t, f, p, devices)
		for _, op := range ops {
			if o := op.Output.(opOut); op.Input.(opIn).login && o.ok {
				granted.Add(1)
			}
			if o := op.Output.(opOut); o.unknown {
				t.Fatalf("round %d: an operation failed without a fault: %+v", r, op)
			}
		}
		checkStart := time.Now()
		res := porcupine.CheckOperationsTimeout(leaseModel.ToModel(), ops, 20*time.Second)
		if res == porcupine.Illegal {
			t.Fatalf("round %d: the history of %d operations is not linearizable: two devices held the session at once", r, len(ops))
		}
		if res == porcupine.Unknown {
			t.Fatalf("round %d: the linearizability check of %d operations did not finish", r, len(ops))
		}
		if d := time.Since(checkStart); d > time.Second {
			t.Logf("round %d: %d operations took %v to check", r, len(ops), d)
		}
		l, err := f.store.GetLease(context.Background(), p.User.TenantID, p.User.ID)
		if err != nil || !l.Live(f.clock.Now()) {
			t.Fatalf("round %d: nobody holds the session after the race: %+v %v", r, l, err)
		}
	}
	t.Logf("%d rounds of %d racing takeovers: %d logins granted, every history linearizable", rounds, devices, granted.Load())
}

func TestDialNumberRaceHasOneWinner(t *testing.T) {
	db, table := dynamolocal.StartForTest(t)
	f := newFixture(t, db, table)
	a, b := f.agent(t, "ann"), f.agent(t, "bob")
	for r := range 100 {
		number := fmt.Sprintf("+1415555%04d", r)
		req := api.CreateSessionRequest{Station: api.Station{Mode: api.StationDialNumber, DialNumber: number}, Takeover: true}
		var wins, inUse atomic.Int32
		var wg sync.WaitGroup
		for i, p := range []*auth.Principal{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rq := req
				rq.Device = api.Device{ID: fmt.Sprintf("d%d", i), Name: "desk", Platform: "linux"}
				_, err := f.svc.Create(context.Background(), p, rq)
				switch {
				case err == nil:
					wins.Add(1)
				case domain.CodeOf(err) == api.CodeDialNumberInUse:
					inUse.Add(1)
				default:
					t.Errorf("round %d: %v", r, err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || inUse.Load() != 1 {
			t.Fatalf("round %d: %d winners and %d refused for one dial number", r, wins.Load(), inUse.Load())
		}
	}
}
