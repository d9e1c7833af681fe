package main

import (
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
)

// targetRatio is the goal for sign-ins per core over raw argon2id verifies
// per core: the hash should be the only real cost of a sign-in.
const targetRatio = 0.9

// contended is the share of its cores below which the process was clearly
// not alone on the machine.
const contended = 0.9

// results is one run of the bench.
type results struct {
	Started time.Time
	Took    time.Duration
	// Load is the 1-minute load average at the start and at the end of
	// the run ("" when unknown): other processes' share of the machine.
	LoadStart, LoadEnd string
	Machine            machine
	Policy             auth.Policy
	Pop                *population
	Warm               int
	TP                 throughput
	Latency            []latency
	// TableItems is the table's size after section 2.
	TableItems int
	Requests   []flowCount
	Mail       mailActivity
	// Sessions is sections 4 and 5 and the session operations of 6 (nil
	// when not run); Ops is section 6.
	Sessions *sessionResults
	Ops      []opUse
	// Memory is a function's memory in template.yaml.
	Memory func(fn string) int
}

type machine struct {
	CPU        string
	NumCPU     int
	GOMAXPROCS int
	Memory     string
	Go         string
	OS, Arch   string
}

func thisMachine() machine {
	m := machine{NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseFloat(strings.TrimSuffix(kb, " kB"), 64); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", n/(1<<20))
		}
	}
	return m
}

// loadAvg is the 1-minute load average (/proc/loadavg), or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// procField is the first "key: value" line's value of a /proc file, or "".
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// per formats n requests over calls calls: an integer when exact.
func per(n, calls int) string {
	if calls <= 0 {
		return "–"
	}
	if n%calls == 0 {
		return strconv.Itoa(n / calls)
	}
	v := float64(n) / float64(calls)
	if s := fmt.Sprintf("%.2f", v); !strings.HasSuffix(s, ".00") {
		return s
	}
	return fmt.Sprintf("%.3f", v)
}

// breakdown is "GetItem 3, PutItem 1" for counts over calls calls. SDK
// retries are left out of the per-call figures and named after them, with
// any error answers.
func breakdown(c counts, calls int) string {
	return opsOnly(c, calls) + notes(c, calls)
}

// opsOnly is breakdown without the notes.
func opsOnly(c counts, calls int) string {
	first := c.firstAttempts()
	var parts []string
	for _, op := range columns(first) {
		s := op + " " + per(first.Ops[op], calls)
		if op == "TransactWriteItems" && c.TxItems > 0 {
			n := per(c.TxItems, calls)
			if n == "1" {
				s += " (1 item)"
			} else {
				s += " (" + n + " items)"
			}
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// notes names c's SDK retries and error answers (totals over calls calls),
// as " (...)", or is empty.
func notes(c counts, calls int) string {
	if n := noteList(c); n != "" {
		if calls > 1 {
			return fmt.Sprintf(" (over the %d calls: %s)", calls, n)
		}
		return " (" + n + ")"
	}
	return ""
}

func noteList(c counts) string {
	var out []string
	for _, m := range []struct {
		one, many string
		by        map[string]int
	}{{"SDK retry", "SDK retries", c.Retries}, {"error answer", "error answers", c.Errors}} {
		n := 0
		var each []string
		for _, k := range slices.Sorted(maps.Keys(m.by)) {
			n += m.by[k]
			each = append(each, fmt.Sprintf("%s ×%d", k, m.by[k]))
		}
		switch {
		case n == 1:
			out = append(out, fmt.Sprintf("1 %s, %s", m.one, strings.Join(each, ", ")))
		case n > 1:
			out = append(out, fmt.Sprintf("%d %s, %s", n, m.many, strings.Join(each, ", ")))
		}
	}
	return strings.Join(out, "; ")
}

func yes(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// markdown renders docs/PERFORMANCE.md.
func (r results) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	tp, m, h := r.TP, r.Machine, r.Policy.Hash

	w("# Performance\n\n")
	w("Written by `make bench` (`go run ./infra/cmd/agentdesk-bench`); every figure on this page comes from the run below.\n")
	w("Rerun it to refresh the page. It starts its own local stack on free loopback ports, so it can run beside `make run`.\n\n")
	w("The desktop app's figures (cold start, memory) are in [PERFORMANCE-desktop.md](PERFORMANCE-desktop.md) and the softphone's, side by side with JsSIP in Chromium, in [PERFORMANCE-voice.md](PERFORMANCE-voice.md): `make bench` writes all three.\n\n")

	w("## Run\n\n| | |\n| --- | --- |\n")
	w("| date | %s (UTC); the run took %.0f s |\n", r.Started.UTC().Format("2006-01-02 15:04"), r.Took.Seconds())
	if r.LoadStart != "" {
		w("| load average (1 min) | %s at the start, %s at the end (the bench's own process counts: about %d while it keeps every core busy) |\n", r.LoadStart, r.LoadEnd, r.Machine.GOMAXPROCS)
	}
	cpu := m.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	w("| machine | %s; nproc %d, GOMAXPROCS %d", cpu, m.NumCPU, m.GOMAXPROCS)
	if m.Memory != "" {
		w("; %s memory", m.Memory)
	}
	w(" |\n| Go | %s %s/%s |\n", m.Go, m.OS, m.Arch)
	w("| password hashing | production `auth.DefaultPolicy`: argon2id m=%d KiB (%d MiB), t=%d, p=%d, %d-byte key, %d-byte salt |\n",
		h.Memory, h.Memory/1024, h.Time, h.Threads, h.KeyLen, h.SaltLen)
	w("| data | demo tenant with %s users |\n", thousands(r.Pop.Users))
	if s := r.Sessions; s != nil {
		w("| sessions stack (sections 4–6) | a second local stack, the same code and policy but argon2id m=%d KiB, t=%d for its agents' passwords; demo tenant with %s station agents |\n",
			s.Hash.Memory, s.Hash.Time, thousands(s.Opt.Agents))
	}
	w("\n")

	w("## Method\n\n")
	w("- **Stack.** `localstack.Start` with every address `127.0.0.1:0`: the embedded DynamoDB (`infra/dynamolocal`, minidyn) with the table from `template.yaml`, the SES emulator (aws-ses-v2-local), the mailer poller, and the router serving `template.yaml`'s routes with the Lambda handlers (each request goes through the API Gateway payload 2.0 conversion). Keys are random per run; the auth policy is `auth.DefaultPolicy`, unchanged.\n")
	w("- **Everything shares the machine.** Clients (`shared/client`, HTTP/1.1 keep-alive over loopback), router, handlers and the DynamoDB emulator run in one process on %d cores. Latencies are local figures: in AWS each DynamoDB request is a network round trip instead, so the request counts in section 3 are what carries over.\n", m.GOMAXPROCS)
	w("- **Counting DynamoDB requests.** The embedded DynamoDB's `http.Handler` listens twice, each listener behind a counter keyed by `X-Amz-Target`. The measured API is the stack's code wired a second time exactly as `localstack.Start` wires it (`app.New` with the push notifier, `router.NewFromTemplate`), same keys and policy, with a DynamoDB client of its own on the second listener. The stack's own client (table set-up, seeding, and the mailer poller running in the background) uses the first listener, so the counts below hold the API's requests only; mail delivery is reported separately.\n")
	w("- **Seeding.** `localstack.SeedDemo` (admin, agent with a team, two queues and an extension), then %d more users written straight through the domain batch (`Store.Commit`, one `TransactWriteItems` per %d users), not through the admin API. %d of them get a password (hashed with the production parameters) for the sign-in run, one more for the flows of section 3.\n",
		r.Pop.Users-2, usersPerCommit, len(r.Pop.SignIn))
	w("- **Throughput.** %d rounds, each %s of raw `auth.VerifyPassword` on %d goroutines (one per core), then %s of `POST /v1/auth/login` from %d concurrent clients cycling over %d distinct users with their correct passwords (never the failure or lockout path), after a warm-up. Rate = completed calls / wall time. The process's CPU time (getrusage) is read around each half too: calls per CPU-second are what one core does when the process has it to itself, so that ratio holds even when other processes share the machine.\n",
		len(tp.Raw), tp.Round, tp.Workers, tp.Round, tp.Workers, tp.Accounts)
	w("- **Latency.** One call at a time, %d warm-up calls then %d measured calls per request; p50 and p99 are nearest-rank percentiles.\n", r.Warm, r.latencyN())
	w("- **Requests per operation.** Each flow runs once, in order: sign-in, profile, admin creates an agent, the agent opens the emailed set-password link and submits it, forgot password, reset with the code read from the SES emulator's store. Every request that reaches DynamoDB counts, including error answers (such as a conditional write that fails as designed) and the SDK's retries; the notes name them.\n")
	if s := r.Sessions; s != nil {
		w("- **Sessions stack.** Sections 4–6 run on a second stack started the same way after the first is closed, with the measured API's push channel on a local WebSocket gateway of its own (`infra/wslocal` serving the PushFunction's handler, its DynamoDB requests counted with the API's). Its %s station agents are written through the domain batch like the users above, with passwords hashed at argon2id m=%d KiB, t=%d (instead of the production %d MiB, t=%d) so that each can sign in once through `POST /v1/auth/login` in a few milliseconds: nothing measured on this stack verifies a password, and a heartbeat never touches one. Sign-in and its cost figures come from the first stack only. While the agents are being set up, those already at their station heartbeat in real time so that no lease lapses; none of those heartbeats is in a figure.\n",
			thousands(s.Opt.Agents), s.Hash.Memory, s.Hash.Time, h.Memory/1024, h.Time)
		w("- **The mail poller is held back while sections 4–6 measure.** The embedded DynamoDB answers one request at a time, and on this table the poller's idle sweep took %s per Query for due emails during the set-up (%d Queries), stalling every API request queued behind it; in AWS the mailer is a function of its own and DynamoDB serves requests side by side. So the stack's own DynamoDB listener, which only the poller uses here, holds its requests until the measurements end (%d held)%s.\n",
			ms(meanOf(s.Sweep.Time, s.Sweep.N)), s.Sweep.N, s.Sweep.Held, outboxNote(s.Stats))
	}
	w("\n")

	w("## 1. Sign-in throughput against raw argon2id\n\n")
	raw, in := tp.raw(), tp.login()
	n := float64(tp.Workers)
	w("| | per second, %d cores | per core per second | per CPU-second |\n| --- | ---: | ---: | ---: |\n", tp.Workers)
	w("| raw argon2id verify (%d goroutines) | %.1f | %.1f | %.1f |\n", tp.Workers, raw.perSec(), raw.perSec()/n, raw.perCPUSec())
	w("| `POST /v1/auth/login` (%d clients) | %.1f | %.1f | %.1f |\n", tp.Workers, in.perSec(), in.perSec()/n, in.perCPUSec())
	w("| **ratio sign-in / raw** (target ≥ %.2f) | | **%.3f** %s | **%.3f** %s |\n\n", targetRatio, tp.ratio(), yes(tp.ratio() >= targetRatio), tp.cpuRatio(), yes(tp.cpuRatio() >= targetRatio))
	var rr []string
	for _, x := range tp.roundRatios() {
		rr = append(rr, fmt.Sprintf("%.3f", x))
	}
	w("Calls: %d raw verifies in %.1f s, %d sign-ins in %.1f s. Wall-clock ratio per round: %s (median %.3f).\n",
		raw.Ops, raw.Wall.Seconds(), in.Ops, in.Wall.Seconds(), strings.Join(rr, ", "), median(tp.roundRatios()))
	w("The process kept %.0f%% of the %d cores busy while verifying and %.0f%% while serving sign-ins", 100*raw.busy(tp.Workers), tp.Workers, 100*in.busy(tp.Workers))
	if min(raw.busy(tp.Workers), in.busy(tp.Workers)) < contended {
		w("; other processes were using the machine during this run, so the wall-clock rates understate what these cores can do. ")
		if q, n := tp.quiet(); n > 0 {
			w("In the %d of %d rounds where it kept at least %.0f%% of them busy in both halves, the wall-clock ratio was **%.3f**; the per-CPU-second ratio is the steadier figure overall.\n", n, len(tp.Raw), 100*contended, q)
		} else {
			w("No round had the cores to itself; the per-CPU-second ratio is the steadier figure.\n")
		}
	} else {
		w(".\n")
	}
	w("CPU per call: %s per raw verify, %s per sign-in with client, router, handlers and DynamoDB emulator all counted.\n",
		ms(meanOf(raw.CPU, raw.Ops)), ms(meanOf(in.CPU, in.Ops)))
	w("DynamoDB requests per sign-in: %s; %s per sign-in inside the embedded DynamoDB on average.\n",
		breakdown(tp.LoginDB, in.Ops), ms(meanOf(tp.LoginDB.Time, in.Ops)))
	w("At concurrency 1 (%d samples each, interleaved): one verify p50 %s, one sign-in end to end p50 %s.\n\n", tp.Single, ms(tp.VerifyP50), ms(tp.LoginP50))

	w("## 2. Latency with %s users in the tenant\n\n", thousands(r.Pop.Users))
	w("| request | calls | p50 | p99 | max | DynamoDB requests per call | inside the embedded DynamoDB, mean per call |\n| --- | ---: | ---: | ---: | ---: | --- | ---: |\n")
	for _, l := range r.Latency {
		w("| `%s` | %d | %s | %s | %s | %s | %s |\n", l.Name, l.N, ms(l.P50), ms(l.P99), ms(l.Max), breakdown(l.DB, l.N), ms(meanOf(l.DB.Time, l.N)))
	}
	w("\nThe table held %s items (users, email guards, refresh tokens, outbox...) after these calls.\n\n", thousands(r.TableItems))

	w("## 3. DynamoDB requests per operation\n\n")
	var all []counts
	for _, f := range r.Requests {
		all = append(all, f.DB)
	}
	cols := columns(all...)
	w("| operation |")
	for _, c := range cols {
		w(" %s |", c)
	}
	w(" total | notes |\n| --- |")
	for range cols {
		w(" ---: |")
	}
	w(" ---: | --- |\n")
	for _, f := range r.Requests {
		w("| `%s` |", f.Name)
		for _, c := range cols {
			n := f.DB.Ops[c]
			switch {
			case n == 0:
				w(" |")
			case c == "TransactWriteItems":
				w(" %d (%d items) |", n, f.DB.TxItems)
			default:
				w(" %d |", n)
			}
		}
		w(" **%d** | %s |\n", f.DB.total(), noteList(f.DB))
	}
	w("\nMail is not in these figures: the poller delivered %d emails for these flows through the stack's own DynamoDB client, with %d requests in all (%s), idle sweeps every %s included.\n\n",
		r.Mail.Emails, r.Mail.DB.total(), breakdown(r.Mail.DB, 1), r.Mail.Interval)

	b.WriteString(r.sessionsMarkdown())

	w("## Targets\n\n| target | measured | |\n| --- | --- | --- |\n")
	w("| sign-ins per core / raw argon2id verifies per core ≥ %.2f, wall clock | %.3f | %s |\n", targetRatio, tp.ratio(), yes(tp.ratio() >= targetRatio))
	if q, n := tp.quiet(); n > 0 && n < len(tp.Raw) {
		w("| the same, wall clock, the %d rounds with the cores to itself | %.3f | %s |\n", n, q, yes(q >= targetRatio))
	}
	w("| the same per CPU-second | %.3f | %s |\n", tp.cpuRatio(), yes(tp.cpuRatio() >= targetRatio))
	if s := r.Sessions; s != nil {
		w("| exactly %d DynamoDB write per heartbeat | %s (%s over %s heartbeats) | %s |\n", targetWritesPerHeartbeat, per(writesOf(s.HB.Use.DB), s.HB.Total),
			opsOnly(s.HB.Use.DB, s.HB.Total), thousands(s.HB.Total), yes(s.writesPerHeartbeat() == targetWritesPerHeartbeat))
		w("| Continue → displaced desktop told, p99 ≤ %s locally | %s (p50 %s, %d takeovers) | %s |\n", dur(targetTakeoverP99), ms(s.TO.p(99)), ms(s.TO.p(50)), s.TO.N, yes(s.TO.p(99) <= targetTakeoverP99))
	}
	w("| latency, requests per operation | no numeric target yet | baseline for later runs |\n\n")

	w("## What dominates\n\n")
	b.WriteString(r.dominates())
	return b.String()
}

// thousands writes n with comma separators: 1,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func meanOf(d time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return d / time.Duration(n)
}

func (r results) latencyN() int {
	if len(r.Latency) == 0 {
		return 0
	}
	return r.Latency[0].N
}

// dominates explains the figures, from the figures.
func (r results) dominates() string {
	var b strings.Builder
	tp := r.TP
	raw, in := tp.raw(), tp.login()
	verifyCPU, loginCPU := meanOf(raw.CPU, raw.Ops), meanOf(in.CPU, in.Ops)
	if verifyCPU > 0 && loginCPU > 0 {
		other := loginCPU - verifyCPU
		head := "Sign-in is the password hash."
		if tp.cpuRatio() < targetRatio {
			head = "The password hash dominates sign-in, but not by as much as the target asks."
		}
		fmt.Fprintf(&b, "- **%s** A raw argon2id verify costs %s of CPU; a sign-in costs %s in all (client, router with its API Gateway event conversion, handlers, %s DynamoDB requests, token signing). Everything but the hash is %s, %.0f%% of a sign-in, of which about %s is the embedded DynamoDB answering (work DynamoDB does on its own side in AWS)",
			head, ms(verifyCPU), ms(loginCPU), per(tp.LoginDB.firstAttempts().total(), in.Ops), ms(other), 100*float64(other)/float64(loginCPU), ms(meanOf(tp.LoginDB.Time, in.Ops)))
		if tp.cpuRatio() >= targetRatio {
			fmt.Fprintf(&b, ": per CPU-second, a core signs in %.0f%% as many users as it verifies raw hashes.", 100*tp.cpuRatio())
		} else {
			fmt.Fprintf(&b, ": per CPU-second, a core signs in only %.0f%% as many users as it verifies raw hashes, short of the target on this run.", 100*tp.cpuRatio())
		}
		if emu := meanOf(tp.LoginDB.Time, in.Ops); emu > 0 && emu < loginCPU {
			fmt.Fprintf(&b, " Taking the embedded DynamoDB's share out (an estimate: its time is wall time), the ratio would be about %.2f; the client's share, also on these cores, is not measured apart.",
				float64(verifyCPU)/float64(loginCPU-emu))
		}
		b.WriteString("\n")
	}
	var first, one latency
	for _, l := range r.Latency {
		switch {
		case strings.Contains(l.Name, "(first page)"):
			first = l
		case strings.Contains(l.Name, "(matches 1)"):
			one = l
		}
	}
	if first.N > 0 && one.N > 0 {
		fmt.Fprintf(&b, "- **Listing users is one Query per 50 users read; a narrow search reads the whole tenant.** The first page is %s; a search that matches one user filters all %s users 50 at a time (%s), so its cost grows linearly with the tenant (p50 %s against %s for the first page). A search key (e.g. a lower-cased email/name prefix in a sort key or index) would bound it.\n",
			opsOnly(first.DB, first.N), thousands(r.Pop.Users), opsOnly(one.DB, one.N), ms(one.P50), ms(first.P50))
		fmt.Fprintf(&b, "- **Locally, list latency is the emulator's.** %s of the first page's %s mean is spent inside the embedded DynamoDB: minidyn walks the table's keys in order and evaluates the key condition on each item until the page is full, so a Query without a start key pays for every item sorting before the tenant's partition (%s items in the table here), while later pages start from their key (%s per request in the narrow search). DynamoDB reads only the partition; expect a few milliseconds per Query there.\n",
			ms(meanOf(first.DB.Time, first.N)), ms(first.Mean), thousands(r.TableItems), ms(meanOf(one.DB.Time, one.DB.total())))
	}
	for _, l := range r.Latency {
		if strings.HasPrefix(l.Name, "GET /v1/me") {
			fmt.Fprintf(&b, "- **`GET /v1/me` does not depend on the tenant's size**: %s per call (the user, the tenant, then each of the agent's teams and queues), p50 %s.\n", opsOnly(l.DB, l.N), ms(l.P50))
		}
	}
	most, name := 0, ""
	for _, f := range r.Requests {
		if f.DB.total() > most {
			most, name = f.DB.total(), f.Name
		}
	}
	fmt.Fprintf(&b, "- **The account flows are a handful of requests each**: at most %d (`%s`) in section 3, with each change that must land together written in one `TransactWriteItems`.\n", most, name)
	b.WriteString(r.sessionsDominates())
	b.WriteString("\nTo see where the time goes, `go run ./infra/cmd/agentdesk-bench -cpuprofile cpu.prof -out -` and `go tool pprof cpu.prof`.\n")
	return b.String()
}

// summary is the short text printed on stdout.
func (r results) summary() string {
	var b strings.Builder
	tp := r.TP
	fmt.Fprintf(&b, "AgentDesk bench, %s, %d cores, %s %s/%s\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Machine.GOMAXPROCS, r.Machine.Go, r.Machine.OS, r.Machine.Arch)
	fmt.Fprintf(&b, "sign-in throughput: raw argon2id %.1f/s per core, sign-ins %.1f/s per core, ratio %.3f (target >= %.2f: %s)\n",
		tp.raw().perSec()/float64(tp.Workers), tp.login().perSec()/float64(tp.Workers), tp.ratio(), targetRatio, strings.Trim(yes(tp.ratio() >= targetRatio), "*"))
	fmt.Fprintf(&b, "  per CPU-second: raw %.1f/s, sign-ins %.1f/s, ratio %.3f (%s)\n", tp.raw().perCPUSec(), tp.login().perCPUSec(), tp.cpuRatio(), strings.Trim(yes(tp.cpuRatio() >= targetRatio), "*"))
	for _, l := range r.Latency {
		fmt.Fprintf(&b, "%-80s p50 %9s  p99 %9s\n", l.Name, ms(l.P50), ms(l.P99))
	}
	for _, f := range r.Requests {
		fmt.Fprintf(&b, "%-60s %2d DynamoDB requests: %s\n", f.Name, f.DB.total(), breakdown(f.DB, 1))
	}
	b.WriteString(r.sessionsSummary())
	return b.String()
}
