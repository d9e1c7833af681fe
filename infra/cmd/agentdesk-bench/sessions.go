package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
)

// sessionHash is the argon2id cost of the station agents' passwords on the
// sessions stack: nothing measured there verifies a password, and 1,000
// sign-ins at the production cost would take half a minute of the run.
var sessionHash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// sessionsPolicy is the production policy (token lifetimes, lockout) with
// sessionHash.
func sessionsPolicy() auth.Policy {
	p := auth.DefaultPolicy
	p.Hash = sessionHash
	return p
}

// stationAgent is one simulated agent: signed in on one desktop, holding a
// station session and the push channel.
type stationAgent struct {
	I        int
	Email    string
	Password string
	Device   api.Device
	Station  api.Station
	Token    *api.TokenResponse
	API      *client.Client
	Session  *api.Session
	Push     *pushConn
	lastBeat atomic.Int64 // unix nanoseconds of the last heartbeat or station login
}

// extensionBase numbers the even agents' extensions (base + i).
const extensionBase = 20000

// dialNumber is agent i's own dial number, written as people type it (the
// API normalises it to +1212555xxxx).
func dialNumber(i int) string { return fmt.Sprintf("+1 (212) 555-%04d", i) }

// seedStationAgents writes agents from, …, from+n-1 into the demo tenant
// straight through the domain batch, as seed does: even ones with an
// extension (station mode extension), odd ones with dial_number and a
// number of their own.
func seedStationAgents(ctx context.Context, e *env, from, n int) ([]*stationAgent, string, error) {
	demo, err := localstack.SeedDemo(ctx, e.Stack.App)
	if err != nil {
		return nil, "", fmt.Errorf("seed demo tenant: %w", err)
	}
	now := time.Now().UTC()
	var agents []*stationAgent
	var batch []domain.Op
	for i := from; i < from+n; i++ {
		u := &domain.User{ID: domain.NewID("usr"), TenantID: demo.TenantID,
			Email: fmt.Sprintf("station%04d@demo.agentdesk.test", i), DisplayName: fmt.Sprintf("Station Agent %04d", i),
			Locale: "en", Roles: []string{api.RoleAgent}, Status: api.StatusActive, EmailVerified: true,
			StationModes: []string{api.StationDialNumber, api.StationExtension}, TeamIDs: []string{}, QueueIDs: []string{},
			Version: 1, CreatedAt: now, UpdatedAt: now}
		a := &stationAgent{I: i, Email: u.Email, Password: "station passphrase " + randomHex(6),
			Device: api.Device{ID: fmt.Sprintf("bench-desk-%04d", i), Name: fmt.Sprintf("Desk %04d", i), Platform: "windows"}}
		if i%2 == 0 {
			ext := fmt.Sprint(extensionBase + i)
			sealed, err := e.Stack.App.Auth.Keys.SealString("sip-" + randomHex(8))
			if err != nil {
				return nil, "", err
			}
			u.Extension = &domain.Extension{Number: ext, SIPUsername: ext, SIPPasswordSealed: sealed}
			a.Station = api.Station{Mode: api.StationExtension, Extension: ext}
		} else {
			a.Station = api.Station{Mode: api.StationDialNumber, DialNumber: dialNumber(i)}
		}
		if err := e.Stack.App.Auth.ApplyPassword(u, a.Password); err != nil {
			return nil, "", err
		}
		agents = append(agents, a)
		batch = append(batch, domain.CreateUser{User: u})
		if len(batch) == usersPerCommit || i == from+n-1 {
			if err := e.Stack.App.Store.Commit(ctx, &domain.Batch{Ops: batch}); err != nil {
				return nil, "", fmt.Errorf("seed station agents: %w", err)
			}
			batch = nil
		}
	}
	return agents, demo.TenantID, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines; the first
// error stops them.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

// satWorkers is the concurrency of the back-to-back heartbeat run: enough
// to keep both cores busy, few enough that latency is not all queueing.
const satWorkers = 16

// setupBatch is how many agents are seeded, signed in and logged in to
// their station at a time.
const setupBatch = 100

// setupWorkers is the concurrency of the set-up steps (sign-in, push
// connect, station login), which are not what is measured.
const setupWorkers = 8

// signInAgents signs every agent in once (POST /v1/auth/login) on its
// desk. The first alone: auth.Service computes its dummy hash on the first
// sign-in without a lock, a data race when the first sign-ins run at once.
func signInAgents(ctx context.Context, e *env, agents []*stationAgent) error {
	anon := e.client("")
	signIn := func(ctx context.Context, i int) error {
		a := agents[i]
		tok, err := anon.Login(ctx, api.LoginRequest{Email: a.Email, Password: a.Password, Device: a.Device})
		if err != nil {
			return fmt.Errorf("sign in %s: %w", a.Email, err)
		}
		a.Token, a.API = tok, e.client(tok.AccessToken)
		return nil
	}
	if len(agents) == 0 {
		return nil
	}
	if err := signIn(ctx, 0); err != nil {
		return err
	}
	return parallel(ctx, setupWorkers, len(agents)-1, func(ctx context.Context, i int) error { return signIn(ctx, i+1) })
}

// startSessions logs every agent in to its station (POST /v1/sessions).
func startSessions(ctx context.Context, e *env, agents []*stationAgent) error {
	return parallel(ctx, setupWorkers, len(agents), func(ctx context.Context, i int) error {
		a := agents[i]
		s, err := a.API.CreateSession(ctx, api.CreateSessionRequest{Station: a.Station, Device: a.Device})
		if err != nil {
			return fmt.Errorf("station login %s (%s): %w", a.Email, a.Station.Mode, err)
		}
		a.Session = s
		a.lastBeat.Store(time.Now().UnixNano())
		return nil
	})
}

// keeper heartbeats the agents it is given at the server's interval, in
// real time, while the set-up runs: a long set-up (a busy machine) must
// not let the first agents' leases lapse before the runs. Its requests
// fall in no measurement.
type keeper struct {
	mu     sync.Mutex
	agents []*stationAgent
	beats  atomic.Int64
	stop   chan struct{}
	done   chan error
}

func startKeeper(ctx context.Context) *keeper {
	k := &keeper{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() { k.done <- k.run(ctx) }()
	return k
}

func (k *keeper) add(agents []*stationAgent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.agents = append(k.agents, agents...)
}

func (k *keeper) run(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		k.mu.Lock()
		agents := slices.Clone(k.agents)
		k.mu.Unlock()
		for _, a := range agents {
			every := time.Duration(a.Session.HeartbeatInterval) * time.Second
			if time.Since(time.Unix(0, a.lastBeat.Load())) < every {
				continue
			}
			if err := ensureLive(ctx, a); err != nil {
				return fmt.Errorf("keeping %s's session: %w", a.Email, err)
			}
			k.beats.Add(1)
		}
	}
}

// halt stops the keeper once its current round is done.
func (k *keeper) halt() error {
	close(k.stop)
	return <-k.done
}

// ensureLive heartbeats a's session, logging in to the station again if
// its lease lapsed (a very busy machine).
func ensureLive(ctx context.Context, a *stationAgent) error {
	err := beat(ctx, a)
	if asProblem(err).Code == api.CodeSessionRevoked && asProblem(err).Reason == domain.EndExpired {
		var s *api.Session
		if s, err = a.API.CreateSession(ctx, api.CreateSessionRequest{Station: a.Station, Device: a.Device}); err == nil {
			a.Session = s
		}
	}
	if err == nil {
		a.lastBeat.Store(time.Now().UnixNano())
	}
	return err
}

// heartbeatRun is the 1,000-agent heartbeat run.
type heartbeatRun struct {
	Agents   int
	Total    int           // heartbeats sent
	Interval time.Duration // the server's heartbeat interval
	Speedup  int           // time compression: each agent beats every Interval/Speedup
	Workers  int
	Wall     time.Duration
	CPU      time.Duration
	// Latency of each heartbeat from sending it; Late is how long after
	// its scheduled time it was sent (the pool's queueing).
	P50, P99, Max             time.Duration
	LateP50, LateP99, LateMax time.Duration
	Failed                    int
	Use                       usage
	// GC during the paced run: collections and their stop-the-world pauses.
	GCs     int
	GCPause time.Duration
	// Saturated: heartbeats back to back from SatWorkers clients, no
	// schedule: the most these cores answer.
	SatN       int
	SatWorkers int
	SatWall    time.Duration
	SatCPU     time.Duration
	SatP50     time.Duration
	SatP99     time.Duration
}

func (h heartbeatRun) rate() float64 { return perSec(h.Total-h.Failed, h.Wall) }
func (h heartbeatRun) offered() float64 {
	return float64(h.Agents) * float64(h.Speedup) / h.Interval.Seconds()
}
func (h heartbeatRun) satRate() float64      { return perSec(h.SatN, h.SatWall) }
func (h heartbeatRun) agentsAtRate() float64 { return h.rate() * h.Interval.Seconds() }

// beat sends agent a's heartbeat.
func beat(ctx context.Context, a *stationAgent) error {
	_, err := a.API.Heartbeat(ctx, a.Session.SessionID, api.HeartbeatRequest{Epoch: a.Session.Epoch, LastActivity: time.Now()})
	if err == nil {
		a.lastBeat.Store(time.Now().UnixNano())
	}
	return err
}

// runHeartbeats drives total heartbeats from the agents, each agent beating
// every interval/speedup with its phase spread evenly over that period (so
// beat j of the run is due at j*period/len(agents) and belongs to agent
// j mod len(agents)). A dispatcher hands due beats to a pool of workers;
// a beat waiting for a free worker shows as lateness.
func runHeartbeats(ctx context.Context, e *env, agents []*stationAgent, total, speedup, workers int) (heartbeatRun, error) {
	interval := time.Duration(agents[0].Session.HeartbeatInterval) * time.Second
	h := heartbeatRun{Agents: len(agents), Total: total, Interval: interval, Speedup: speedup, Workers: workers}
	step := interval / time.Duration(speedup) / time.Duration(len(agents))
	type job struct {
		j   int
		due time.Time
	}
	jobs := make(chan job, total)
	lat, late := make([]time.Duration, total), make([]time.Duration, total)
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	m := e.mark()
	var gc0, gc1 runtime.MemStats
	runtime.ReadMemStats(&gc0)
	cpu0, start := cpuTime(), time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				sent := time.Now()
				err := beat(ctx, agents[jb.j%len(agents)])
				lat[jb.j], late[jb.j] = time.Since(sent), sent.Sub(jb.due)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for j := range total {
		due := start.Add(time.Duration(j) * step)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- job{j, due}
	}
	close(jobs)
	wg.Wait()
	h.Wall, h.CPU = time.Since(start), cpuTime()-cpu0
	h.Use = e.since(m)
	runtime.ReadMemStats(&gc1)
	h.GCs, h.GCPause = int(gc1.NumGC-gc0.NumGC), time.Duration(gc1.PauseTotalNs-gc0.PauseTotalNs)
	h.Failed = int(failed.Load())
	if err := ctx.Err(); err != nil {
		return h, err
	}
	if h.Failed > 0 {
		return h, fmt.Errorf("%d of %d heartbeats failed, first: %w", h.Failed, total, firstErr)
	}
	h.P50, h.P99, h.Max = percentile(lat, 50), percentile(lat, 99), slices.Max(lat)
	h.LateP50, h.LateP99, h.LateMax = percentile(late, 50), percentile(late, 99), slices.Max(late)
	return h, nil
}

// saturate sends n heartbeats back to back from workers clients, cycling
// over the agents: the capacity of these cores, for comparison.
func (h *heartbeatRun) saturate(ctx context.Context, agents []*stationAgent, n int) error {
	lat := make([]time.Duration, n)
	cpu0, start := cpuTime(), time.Now()
	err := parallel(ctx, satWorkers, n, func(ctx context.Context, i int) error {
		s := time.Now()
		err := beat(ctx, agents[i%len(agents)])
		lat[i] = time.Since(s)
		return err
	})
	h.SatWall, h.SatCPU = time.Since(start), cpuTime()-cpu0
	if err != nil {
		return fmt.Errorf("saturated heartbeats: %w", err)
	}
	h.SatN, h.SatWorkers = n, satWorkers
	h.SatP50, h.SatP99 = percentile(lat, 50), percentile(lat, 99)
	return nil
}

// writesOf is the number of write requests in c.
func writesOf(c counts) int {
	n := 0
	for _, op := range []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"} {
		n += c.firstAttempts().Ops[op]
	}
	return n
}

// readsOf is the number of read requests in c.
func readsOf(c counts) int {
	n := 0
	for _, op := range []string{"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"} {
		n += c.firstAttempts().Ops[op]
	}
	return n
}

// problemCode is the API problem code of err, or "".
func problemCode(err error) string {
	var p *api.Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

// sessionOptions size the station-session runs.
type sessionOptions struct {
	Agents, Heartbeats, Speedup, Saturate, Takeovers int
	Ops                                              opsSample
}

// sessionResults is what the sessions stack measured.
type sessionResults struct {
	Opt   sessionOptions
	Hash  auth.HashParams
	Setup []step // seeding, sign-ins, push connects, station logins
	// KeptAlive counts the set-up's real-time heartbeats (keeper).
	KeptAlive int
	HB        heartbeatRun
	TO        takeovers
	Ops       []opUse
	Stats     map[string]itemStat
	Bytes     int // the table's size, by itemSize
	TenantID  string
	Sweep     sweepCost
}

// step is one timed set-up step.
type step struct {
	Name string
	Took time.Duration
}

// measureSessions runs sections 4 and 5 and the session operations of
// section 6 on e (the sessions stack).
func measureSessions(ctx context.Context, e *env, o sessionOptions, progress func(string, ...any)) (*sessionResults, error) {
	r := &sessionResults{Opt: o, Hash: e.Policy.Hash}
	var agents []*stationAgent
	defer func() {
		// Measurements over: the push function no longer runs for the
		// desktops' $disconnect (see timer.push).
		e.closing.Store(true)
		for _, a := range agents {
			if a.Push != nil {
				a.Push.close()
			}
		}
		for _, p := range r.TO.desks {
			p.close()
		}
	}()
	timed := func(name string, fn func() error) error {
		s := time.Now()
		if err := fn(); err != nil {
			return err
		}
		r.Setup = append(r.Setup, step{name, time.Since(s)})
		progress("  %s: %.1f s", name, time.Since(s).Seconds())
		return nil
	}
	// In batches: each of minidyn's transactions copies the whole table,
	// so station logins cost less while the table is small.
	sweeps0 := e.stackDB.snapshot()
	keep := startKeeper(ctx)
	var seedT, signT, loginT time.Duration
	for from := 0; from < o.Agents; from += setupBatch {
		n := min(setupBatch, o.Agents-from)
		s := time.Now()
		batch, tenant, err := seedStationAgents(ctx, e, from, n)
		if err != nil {
			return r, err
		}
		r.TenantID, agents = tenant, append(agents, batch...)
		t := time.Now()
		if err := signInAgents(ctx, e, batch); err != nil {
			return r, err
		}
		u := time.Now()
		if err := startSessions(ctx, e, batch); err != nil {
			_ = keep.halt()
			return r, err
		}
		keep.add(batch)
		seedT, signT, loginT = seedT+t.Sub(s), signT+u.Sub(t), loginT+time.Since(u)
	}
	for _, st := range []step{{fmt.Sprintf("seed %s station agents", thousands(o.Agents)), seedT},
		{"sign each in once (POST /v1/auth/login)", signT}, {"station login for each (POST /v1/sessions)", loginT}} {
		r.Setup = append(r.Setup, st)
		progress("  %s: %.1f s", st.Name, st.Took.Seconds())
	}
	if err := timed(fmt.Sprintf("open %d desks' push channels", o.Takeovers), func() error {
		return openPush(ctx, e, agents[:o.Takeovers])
	}); err != nil {
		_ = keep.halt()
		return r, err
	}
	if err := keep.halt(); err != nil {
		return r, err
	}
	r.KeptAlive = int(keep.beats.Load())

	// The stack's own DynamoDB client is the mail poller's (nothing to
	// send here): hold its sweeps back while measuring. See Method.
	sweeps := e.stackDB.since(sweeps0)
	r.Sweep = sweepCost{N: sweeps.Ops["Query"], Time: sweeps.OpTime["Query"]}
	e.stackDB.hold()
	defer func() { r.Sweep.Held = e.stackDB.release() }()

	progress("  %s heartbeats from %s agents, %dx speed, %d workers...", thousands(o.Heartbeats), thousands(o.Agents), o.Speedup, maxConns)
	var err error
	if r.HB, err = runHeartbeats(ctx, e, agents, o.Heartbeats, o.Speedup, maxConns); err != nil {
		return r, err
	}
	progress("  paced: %.0f/s, p50 %s, p99 %s, max %s; sent late p99 %s", r.HB.rate(), ms(r.HB.P50), ms(r.HB.P99), ms(r.HB.Max), ms(r.HB.LateP99))
	if o.Saturate > 0 {
		if err := r.HB.saturate(ctx, agents, o.Saturate); err != nil {
			return r, err
		}
		progress("  saturated: %.0f/s, p50 %s, p99 %s", r.HB.satRate(), ms(r.HB.SatP50), ms(r.HB.SatP99))
	}

	progress("5. %d takeovers (Continue), one at a time...", o.Takeovers)
	r.TO, err = measureTakeovers(ctx, e, agents, o.Takeovers)
	if err != nil {
		return r, err
	}
	progress("  displaced desktop told: p50 %s, p99 %s", ms(r.TO.p(50)), ms(r.TO.p(99)))

	progress("6. the operations of an agent's day, one at a time...")
	if r.Ops, err = measureSessionOps(ctx, e, agents, o.Takeovers, o.Ops); err != nil {
		return r, err
	}
	r.Sweep.Held = e.stackDB.release()
	r.Stats, r.Bytes, err = e.itemStats(ctx)
	return r, err
}

// sweepCost is what the mail poller's sweeps cost in the embedded DynamoDB
// during the station logins and push connects of the set-up (N Queries,
// Time in all), and how many of its requests were held back during the
// measurements.
type sweepCost struct {
	N    int
	Time time.Duration
	Held int
}
