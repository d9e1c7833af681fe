package sessions_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/sessions"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// TestFaultsLeaveNoDoubleHolderAndNoLockout: while the database throttles
// and fails writes and reads, devices keep retrying takeovers and
// heartbeats as the desktop does. The history stays linearizable (at no
// moment two holders), and once the faults stop nobody is locked out for
// longer than one lease.
func TestFaultsLeaveNoDoubleHolderAndNoLockout(t *testing.T) {
	srv, db, table := dynamolocal.StartServerForTest(t)
	f := newFixture(t, db, table)
	_, leaseLen := sessions.Timing(f.tenant)
	faults := []dynamolocal.Fault{
		{Operation: "TransactWriteItems", Code: dynamolocal.CodeThrottling, Times: 12},
		{Operation: "TransactWriteItems", Code: dynamolocal.CodeInternalServerError, Times: 6},
		{Operation: "UpdateItem", Code: dynamolocal.CodeInternalServerError, Times: 10},
		{Operation: "UpdateItem", Code: dynamolocal.CodeProvisionedThroughputExceeded, Times: 10},
		{Operation: "GetItem", Code: dynamolocal.CodeServiceUnavailable, Times: 8},
	}
	var surfaced int
	for r := range 5 {
		p := f.agent(t, fmt.Sprintf("faulty%d", r))
		for _, ft := range faults {
			srv.InjectFault(ft)
		}
		h := &history{t0: time.Now()}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var sess *api.Session
				for try := 0; try < 8 && sess == nil; try++ {
					out := h.run(i, opIn{login: true}, func() opOut {
						s, err := f.svc.Create(context.Background(), p, login(fmt.Sprintf("dev-%d", i), true))
						o := classify(err)
						if s != nil {
							sess, o.epoch = s, s.Epoch
						}
						return o
					})
					if out.unknown {
						mu.Lock()
						surfaced++
						mu.Unlock()
						time.Sleep(time.Duration(try+1) * 5 * time.Millisecond) // the client's backoff
						continue
					}
					if !out.ok {
						return // refused: someone else holds it
					}
				}
				if sess == nil {
					return
				}
				for beat := 0; beat < 3; beat++ {
					out := h.run(i, opIn{epoch: sess.Epoch}, func() opOut {
						_, err := f.svc.Heartbeat(context.Background(), p, sess.SessionID, api.HeartbeatRequest{Epoch: sess.Epoch})
						return classify(err)
					})
					if out.taken {
						return
					}
				}
			}()
		}
		wg.Wait()
		srv.ClearFaults()
		var ops []porcupine.Operation
		for _, op := range h.ops {
			if in, out := op.Input.(opIn), op.Output.(opOut); in.login && !out.ok && !out.unknown {
				continue
			}
			ops = append(ops, op)
		}
		switch porcupine.CheckOperationsTimeout(leaseModel.ToModel(), ops, 30*time.Second) {
		case porcupine.Illegal:
			t.Fatalf("round %d: two holders at once under faults (%d operations)", r, len(ops))
		case porcupine.Unknown:
			t.Fatalf("round %d: the check of %d operations did not finish", r, len(ops))
		}

		// Nobody heartbeats any more: a new device without "Continue" gets
		// in within one lease.
		ctx := context.Background()
		_, err := f.svc.Create(ctx, p, login("latecomer", false))
		if err != nil && domain.CodeOf(err) != api.CodeSessionElsewhere {
			t.Fatalf("round %d: %v", r, err)
		}
		f.clock.Advance(leaseLen + time.Second)
		if _, err := f.svc.Create(ctx, p, login("latecomer", false)); err != nil {
			t.Fatalf("round %d: still locked out one lease after the faults: %v", r, err)
		}
	}
	if surfaced == 0 {
		t.Fatal("no fault reached the service: the test exercised nothing")
	}
	t.Logf("%d faults surfaced to clients, who retried; histories linearizable", surfaced)
}
