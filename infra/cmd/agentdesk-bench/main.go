// Command agentdesk-bench measures AgentDesk on its local stack with the
// production password policy and writes docs/PERFORMANCE.md (make bench):
//
//  1. sign-ins per second through the API against raw argon2id verifies
//     per second, both with one goroutine per core (target ratio >= 0.9);
//  2. p50/p99 latency of GET /v1/me and GET /v1/admin/users with 1,000
//     users in the tenant;
//  3. DynamoDB requests per operation for the sign-in, profile, user
//     creation and password flows;
//  4. station sessions: heartbeat latency with 1,000 agents and the
//     DynamoDB requests of a heartbeat (target: exactly one write);
//  5. the time from "Continue" (a takeover) to the displaced desktop
//     reading session_taken_over on its push channel (target p99 <= 1 s);
//  6. the operations of an agent's day one at a time, which docs/COST.md
//     prices at AWS list prices.
//
// Sections 1-3 run on a stack with the production password policy;
// sections 4-6 on a second one whose 1,000 station agents have cheap
// password hashes (nothing measured there verifies a password). Each
// stack starts on free loopback ports, so the bench runs beside
// `make run`. Progress goes to stderr, a summary to stdout, the stacks'
// JSON logs nowhere unless -v.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/infra/template"
)

type options struct {
	out, costOut string
	users        int
	signIn       int
	rounds       int
	round        time.Duration
	single       int
	warm, calls  int
	verbose      bool
	cpuProfile   string
	sessions     sessionOptions
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "", "report file (default <repo>/docs/PERFORMANCE.md; - for stdout only)")
	flag.StringVar(&o.costOut, "cost-out", "", "cost model file (default COST.md beside -out; - for stdout only)")
	flag.IntVar(&o.users, "users", 1000, "users in the demo tenant")
	flag.IntVar(&o.signIn, "signin-users", 8, "distinct users signing in during the throughput run")
	flag.IntVar(&o.rounds, "rounds", 12, "alternating raw-hash / sign-in rounds")
	flag.DurationVar(&o.round, "round", time.Second, "length of each half-round")
	flag.IntVar(&o.single, "single", 40, "samples of one verify and one sign-in at concurrency 1")
	flag.IntVar(&o.warm, "warmup", 30, "warm-up calls before each latency series")
	flag.IntVar(&o.calls, "calls", 300, "measured calls per latency series")
	flag.BoolVar(&o.verbose, "v", false, "stack logs (JSON) to stderr")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measurements to this file")
	flag.IntVar(&o.sessions.Agents, "agents", 1000, "simulated agents holding station sessions")
	flag.IntVar(&o.sessions.Heartbeats, "heartbeats", 10000, "heartbeats of the paced run")
	flag.IntVar(&o.sessions.Speedup, "speedup", 10, "time compression of the paced run: each agent beats every interval/speedup")
	flag.IntVar(&o.sessions.Saturate, "saturate", 2000, "heartbeats of the back-to-back run (0: none)")
	flag.IntVar(&o.sessions.Takeovers, "takeovers", 200, "takeovers (Continue) measured, one agent each")
	flag.IntVar(&o.sessions.Ops.Calls, "op-calls", 100, "calls per operation series of section 6")
	flag.IntVar(&o.sessions.Ops.Logins, "op-logins", 20, "station logins per mode (and push reconnects) in section 6")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "agentdesk-bench:", err)
		os.Exit(1)
	}
}

var began = time.Now()

// progress reports on stderr, with the time since the start.
func progress(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%5.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
}

func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.out == "" {
		root, err := template.FindRoot()
		if err != nil {
			return err
		}
		o.out = filepath.Join(root, "docs", "PERFORMANCE.md")
	}
	if o.costOut == "" {
		o.costOut = "-"
		if o.out != "-" {
			o.costOut = filepath.Join(filepath.Dir(o.out), "COST.md")
		}
	}
	if min(o.sessions.Agents, o.sessions.Heartbeats, o.sessions.Speedup, o.sessions.Takeovers, o.sessions.Ops.Calls, o.sessions.Ops.Logins) < 1 {
		return fmt.Errorf("-agents, -heartbeats, -speedup, -takeovers, -op-calls and -op-logins must be positive")
	}
	if o.sessions.Agents < o.sessions.Takeovers+max(o.sessions.Ops.Calls, 2*o.sessions.Ops.Logins) {
		return fmt.Errorf("-agents %d: the takeovers and section 6 need %d", o.sessions.Agents, o.sessions.Takeovers+max(o.sessions.Ops.Calls, 2*o.sessions.Ops.Logins))
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		return err
	}
	logTo := io.Discard
	if o.verbose {
		logTo = os.Stderr
	}
	log := slog.New(slog.NewJSONHandler(logTo, nil))

	r := results{Started: time.Now(), Machine: thisMachine(), Policy: auth.DefaultPolicy, Warm: o.warm, LoadStart: loadAvg()}
	progress("starting the local stack on free loopback ports (argon2id m=%d KiB t=%d p=%d)...",
		r.Policy.Hash.Memory, r.Policy.Hash.Time, r.Policy.Hash.Threads)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	e, err := startEnv(startCtx, r.Policy, log, logTo)
	cancel()
	if err != nil {
		return fmt.Errorf("start the stack: %w", err)
	}
	defer e.Close()
	progress("seeding %d users...", o.users)
	if r.Pop, err = seed(ctx, e, o.users, o.signIn); err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	progress("1. sign-in throughput against raw argon2id, %d goroutines...", runtime.GOMAXPROCS(0))
	if r.TP, err = measureThroughput(ctx, e, r.Pop.SignIn, runtime.GOMAXPROCS(0), o.rounds, o.single, o.round, progress); err != nil {
		return err
	}
	progress("2. latency with %d users, %d calls each...", r.Pop.Users, o.calls)
	if r.Latency, err = measureLatencies(ctx, e, r.Pop, o.warm, o.calls, progress); err != nil {
		return err
	}
	if r.TableItems, err = e.tableItems(ctx); err != nil {
		return err
	}
	progress("3. DynamoDB requests per operation...")
	if r.Requests, r.Mail, err = measureRequests(ctx, e, r.Pop); err != nil {
		return err
	}
	e.Close()

	// Sections 4-6 on a stack of their own.
	sp := sessionsPolicy()
	progress("4. station sessions: a second local stack (argon2id m=%d KiB t=%d for its agents), %s agents...",
		sp.Hash.Memory, sp.Hash.Time, thousands(o.sessions.Agents))
	startCtx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	se, err := startEnv(startCtx, sp, log, logTo)
	cancel()
	if err != nil {
		return fmt.Errorf("start the sessions stack: %w", err)
	}
	defer se.Close()
	if r.Sessions, err = measureSessions(ctx, se, o.sessions, progress); err != nil {
		return err
	}
	se.Close()
	r.Memory = func(fn string) int { return memoryMB(tpl, fn) }
	r.Ops = r.dayOps(tpl)
	r.Took, r.LoadEnd = time.Since(r.Started), loadAvg()
	cost := r.costReport(tpl)

	doc := r.markdown()
	for _, f := range []struct{ path, doc string }{{o.out, doc}, {o.costOut, cost.markdown()}} {
		if f.path == "-" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, []byte(f.doc), 0o644); err != nil {
			return err
		}
	}
	fmt.Print(r.summary())
	fmt.Print(cost.summary())
	for _, f := range []struct{ path, doc string }{{o.out, doc}, {o.costOut, cost.markdown()}} {
		if f.path != "-" {
			fmt.Printf("wrote %s\n", f.path)
		} else {
			fmt.Print("\n" + f.doc)
		}
	}
	return nil
}
