package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/infra/template"
)

// Targets of the station-session figures.
const (
	targetWritesPerHeartbeat = 1
	targetTakeoverP99        = time.Second
)

// dayOps are the operations of an agent's day, from both stacks, with the
// function serving each.
func (r results) dayOps(tpl *template.Template) []opUse {
	var out []opUse
	out = append(out, opUse{Key: opSignIn, Name: "POST /v1/auth/login (sign-in, production argon2id; section 1's one-at-a-time calls)",
		Route: routeLogin, Calls: r.TP.Single, Use: r.TP.SingleUse, P50: r.TP.LoginP50})
	for _, l := range r.Latency {
		if strings.HasPrefix(l.Name, "GET /v1/me") {
			out = append(out, opUse{Key: opMe, Name: l.Name + " (section 2)", Route: routeMe, Calls: l.N, Use: l.Use, P50: l.P50, P99: l.P99})
			break
		}
	}
	if s := r.Sessions; s != nil {
		out = append(out, s.Ops...)
		t := s.TO
		out = append(out,
			opUse{Key: opRefused, Name: "POST /v1/sessions from a second device: 409 session_active_elsewhere (section 5)", Route: routeSessions, Calls: t.N, Use: t.Refused},
			opUse{Key: opContinue, Name: "POST /v1/sessions with takeover (Continue), the push to the agent's 2 connections included (section 5)", Route: routeSessions, Calls: t.N, Use: t.Continue,
				P50: percentile(slices.Clone(t.Answer), 50), P99: percentile(slices.Clone(t.Answer), 99)},
			opUse{Key: opDisplacedHB, Name: "POST /v1/sessions/{id}/heartbeat from the displaced desk: 409 session_taken_over (section 5)", Route: routeHeartbeat, Calls: t.N, Use: t.Displaced})
	}
	for i := range out {
		out[i].Function = functionOf(tpl, out[i].Route)
	}
	return out
}

// op is section 6's operation key.
func (r results) op(key string) opUse {
	for _, o := range r.Ops {
		if o.Key == key {
			return o
		}
	}
	return opUse{}
}

// writesPerHeartbeat is the paced run's write requests per heartbeat.
func (s *sessionResults) writesPerHeartbeat() float64 {
	return float64(writesOf(s.HB.Use.DB)) / float64(s.HB.Total)
}

// accessList is "GetItem user (`T/U`) 1, …" per call, reads first.
func accessList(c counts, calls int, reads bool) string {
	var keys []string
	for k := range c.Access {
		f := strings.Fields(k)
		isRead := len(f) > 0 && (f[0] == "GetItem" || f[0] == "Query" || f[0] == "Scan")
		if isRead == reads {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		f := strings.Fields(k)
		var s string
		switch {
		case f[0] == "GetItem" && len(f) == 3:
			s = fmt.Sprintf("GetItem %s, %s", kindName(f[1]), f[2])
		case (f[0] == "Query" || f[0] == "Scan") && len(f) == 3:
			s = fmt.Sprintf("%s on %s, %s", f[0], f[1], f[2])
		case f[0] == "TransactWriteItems" && len(f) == 3:
			s = fmt.Sprintf("TransactWriteItems %s %s", f[1], kindName(f[2]))
		case len(f) == 2:
			s = fmt.Sprintf("%s %s", f[0], kindName(f[1]))
		default:
			s = k
		}
		out = append(out, s+" ×"+per(c.Access[k], calls))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// sessionsMarkdown renders sections 4 to 6.
func (r results) sessionsMarkdown() string {
	s := r.Sessions
	if s == nil {
		return ""
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	h := s.HB
	hbOp := r.op(opHeartbeat)

	w("## 4. Station sessions: heartbeats from %s agents\n\n", thousands(h.Agents))
	w("On the sessions stack (see Method): %s agents in the demo tenant, even ones with an extension, odd ones with a dial number of their own; each signs in once on its desk and logs in to its station (`POST /v1/sessions`), %d agents at a time; the %d desks taken over in section 5 also open their push channel. Set-up: ", thousands(h.Agents), setupBatch, s.TO.N)
	var steps []string
	for _, st := range s.Setup {
		steps = append(steps, fmt.Sprintf("%s %.1f s", st.Name, st.Took.Seconds()))
	}
	w("%s.\n\n", strings.Join(steps, ", "))
	w("The server's heartbeat interval is %s. In the paced run every agent beats every %s instead (time compressed %d×), its phase spread evenly over that period: %s heartbeats a second offered, the load of %s agents beating every %s. A dispatcher hands each due heartbeat to a pool of %d clients; a heartbeat that waits for a free client is sent late, and that lateness is shown apart (it stays near zero when the stack keeps up). Latency runs from sending the request to reading the answer.\n\n",
		dur(h.Interval), dur(h.Interval/time.Duration(h.Speedup)), h.Speedup, num(h.offered()), thousands(int(h.offered()*h.Interval.Seconds())), dur(h.Interval), h.Workers)
	w("| run | heartbeats | per second | p50 | p99 | max | sent late, p99 / max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	w("| paced: %s agents, each every %s | %s | %s (%s offered) | %s | %s | %s | %s / %s |\n", thousands(h.Agents), dur(h.Interval/time.Duration(h.Speedup)),
		thousands(h.Total), thousands(int(h.rate()+0.5)), thousands(int(h.offered()+0.5)), ms(h.P50), ms(h.P99), ms(h.Max), ms(h.LateP99), ms(h.LateMax))
	if h.SatN > 0 {
		w("| back to back from %d clients (capacity) | %s | %s | %s | %s | | |\n", h.SatWorkers, thousands(h.SatN), thousands(int(h.satRate()+0.5)), ms(h.SatP50), ms(h.SatP99))
	}
	if hbOp.Calls > 0 {
		w("| one at a time (section 6) | %d | | %s | %s | | |\n", hbOp.Calls, ms(hbOp.P50), ms(hbOp.P99))
	}
	w("\n")
	db := h.Use.DB
	wp := s.writesPerHeartbeat()
	w("**DynamoDB requests per heartbeat** over the paced run: %s; **%s write per heartbeat** (target exactly %d: %s)", breakdown(db, h.Total), per(writesOf(db), h.Total), targetWritesPerHeartbeat, yes(wp == targetWritesPerHeartbeat))
	w(". Writes: %s. Reads, apart: %s; the user is the auth middleware's (token generation, status), the tenant the service's (heartbeat interval, lease length, inactivity timeout).\n",
		accessList(db, h.Total, false), accessList(db, h.Total, true))
	w("The process (clients, router, handlers, DynamoDB emulator) used %s of CPU per heartbeat in the paced run and kept %.0f%% of the %d cores busy; the embedded DynamoDB spent %s per heartbeat answering; the garbage collector ran %d times, pausing the process for %s in all. A heartbeat far above the p50 is one that waited with the whole process: for the cores (other processes, see the load average in the Run table), for the garbage collector, or for the embedded DynamoDB, which answers one request at a time; the one-at-a-time row shows a heartbeat's own spread.",
		ms(meanOf(h.CPU, h.Total)), 100*float64(h.CPU)/float64(h.Wall)/float64(r.Machine.GOMAXPROCS), r.Machine.GOMAXPROCS, ms(meanOf(db.Time, h.Total)), h.GCs, ms(h.GCPause))
	if h.SatN > 0 {
		w(" Back to back: %s of CPU per heartbeat.", ms(meanOf(h.SatCPU, h.SatN)))
	}
	w("\n")
	if s.KeptAlive > 0 {
		w("During the set-up the agents already at their station heartbeat in real time, every %s (%s heartbeats, in no figure), so that no lease lapses before the runs.\n", dur(h.Interval), thousands(s.KeptAlive))
	}
	w("\n")

	t := s.TO
	w("## 5. \"Continue\": until the displaced desktop is told\n\n")
	w("For %d agents of section 4, one at a time: a second device (a laptop) signs in, opens its push channel and asks for the station (`POST /v1/sessions`): refused, 409 `session_active_elsewhere` with the desk's name. It sends the request again with `takeover: true` (Continue). The desk keeps its push channel open all along, as a displaced desktop does, so each Continue pushes to two connections. The clock starts just before that request is sent and stops when the desk's push client (github.com/coder/websocket, reading its connection in a goroutine) has read `session_taken_over` for its session. The desk's next heartbeat must then be refused with 409 `session_taken_over`, and it is, every time.\n\n", t.N)
	w("| | takeovers | p50 | p99 | max | |\n| --- | ---: | ---: | ---: | ---: | --- |\n")
	w("| desk reads `session_taken_over` | %d | %s | %s | %s | target p99 ≤ %s: %s |\n", t.N, ms(t.p(50)), ms(t.p(99)), ms(slices.Max(t.Told)), dur(targetTakeoverP99), yes(t.p(99) <= targetTakeoverP99))
	w("| the Continue request's own answer | %d | %s | %s | %s | |\n\n", t.N, ms(t.answerP(50)), ms(t.answerP(99)), ms(slices.Max(t.Answer)))
	cont := r.op(opContinue)
	w("The event is sent before the answer: the service writes the new lease, then its Notifier lists the agent's connections (one Query on the user's partition) and posts the event to each (here the desk's and the laptop's) through the API Gateway management API, the local gateway's here, and only then answers. So the desk is told just before the laptop has its answer. DynamoDB requests per takeover: the refused request %s; Continue %s; the displaced heartbeat %s.\n",
		breakdown(t.Refused.DB, t.N), breakdown(t.Continue.DB, t.N), breakdown(t.Displaced.DB, t.N))
	w("Locally most of a Continue is the embedded DynamoDB: %s of the handler's %s mean (%s). minidyn is slow at transactions, and its Query walks the table's keys in order (%s items here); DynamoDB answers such requests in milliseconds.\n\n",
		ms(meanOf(cont.Use.DB.Time, cont.Calls)), ms(cont.handlerMean()), opTimes(cont.Use.DB, cont.Calls), thousands(statsCount(s.Stats)))

	w("## 6. The operations of an agent's day\n\n")
	w("One call at a time, on the stack named in the row; what [COST.md](COST.md) prices. *Handler* is the measured API's own time per call (router with its API Gateway conversion and the handler, or the push function's invocation), the local stand-in for Lambda's duration; *billed* rounds each call up to the millisecond, as Lambda bills. Every operation with a `TransactWriteItems` spends most of its time in the embedded DynamoDB, which copies the whole table (here some %s items) for each transaction so that it can roll back; DynamoDB does not. Request units follow DynamoDB's rules from the items each call touched and their sizes in the table (see COST.md, Assumptions). Log bytes are the application's JSON lines per call.\n\n", thousands(statsCount(s.Stats)))
	w("| operation | function (MB) | calls | p50 | handler, mean | billed, mean | of which in the embedded DynamoDB | DynamoDB requests per call | read units | write units | log bytes |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n")
	for _, o := range r.Ops {
		u := capacity(o.Use.DB, s.Stats)
		p50 := "–"
		if o.P50 > 0 && o.timerRoute() == routeHTTP {
			p50 = ms(o.P50)
		}
		w("| `%s` | %s (%d) | %d | %s | %s | %.2f ms | %s | %s | %s | %s | %.0f |\n", o.Name, o.Function, r.memory(o.Function), o.Calls, p50, ms(o.handlerMean()), o.billedMean(),
			ms(meanOf(o.Use.DB.Time, o.Calls)), breakdown(o.Use.DB, o.Calls), num(u.Read/float64(o.Calls)), num(u.Write/float64(o.Calls)), o.logPerCall())
	}
	w("\nSign-in and `GET /v1/me` are from the production-policy stack (sections 1 and 2), the rest from the sessions stack. The push rows are WebSocket events handled by the PushFunction's handler: `$connect` checks the access token and stores the connection, `$disconnect` forgets it, a ping touches nothing.\n\n")
	w("Items in the sessions stack's table after the runs (%s items, %s in all by DynamoDB's sizing):\n\n", thousands(statsCount(s.Stats)), bytesIEC(s.Bytes))
	w("| item | items | largest | in GSI1 |\n| --- | ---: | ---: | --- |\n")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range s.Stats {
			if !yield(k) {
				return
			}
		}
	}) {
		st := s.Stats[k]
		in := "no"
		if st.Indexed {
			in = "yes"
		}
		w("| %s | %s | %s bytes | %s |\n", kindName(k), thousands(st.Count), thousands(st.MaxSize), in)
	}
	w("\n")
	return b.String()
}

func (r results) memory(fn string) int {
	if r.Memory == nil {
		return 0
	}
	return r.Memory(fn)
}

func statsCount(stats map[string]itemStat) int {
	n := 0
	for _, s := range stats {
		n += s.Count
	}
	return n
}

func bytesIEC(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sessionsDominates explains sections 4 and 5.
func (r results) sessionsDominates() string {
	s := r.Sessions
	if s == nil {
		return ""
	}
	var b strings.Builder
	h, t := s.HB, s.TO
	hbOp := r.op(opHeartbeat)
	fmt.Fprintf(&b, "- **A heartbeat is three DynamoDB requests and no more**: %s. Its latency is the stack's, not the tenant's size: p50 %s with %s agents beating %d× faster than the server asks (%.0f a second)", opsOnly(h.Use.DB, h.Total), ms(h.P50), thousands(h.Agents), h.Speedup, h.rate())
	if hbOp.Calls > 0 {
		fmt.Fprintf(&b, ", %s one at a time (the handler's mean %s)", ms(hbOp.P50), ms(hbOp.handlerMean()))
	}
	fmt.Fprintf(&b, ". ")
	if h.SatN > 0 {
		fmt.Fprintf(&b, "These %d cores answer %s heartbeats a second back to back, the steady load of %s agents at %s; in AWS each request is its own Lambda invocation, so that is a local figure only.", r.Machine.GOMAXPROCS, thousands(int(h.satRate()+0.5)), thousands(int(h.satRate()*h.Interval.Seconds())), dur(h.Interval))
	}
	cont := r.op(opContinue)
	fmt.Fprintf(&b, "\n- **Continue reaches the displaced desktop in %s at p99** (%s p50), well inside the second: the push goes out inside the takeover request, before its answer, so the desk hears of it as the laptop gets its session. Locally %s of a Continue's %s is the embedded DynamoDB (its transaction's table copy and a Query that walks the table), which DynamoDB answers in a few milliseconds each; the rest of the handler, the posts to both connections included, takes %s.\n",
		ms(t.p(99)), ms(t.p(50)), ms(meanOf(cont.Use.DB.Time, cont.Calls)), ms(cont.handlerMean()), ms(cont.handlerMean()-meanOf(cont.Use.DB.Time, cont.Calls)))
	return b.String()
}

// sessionsSummary is the stdout summary of sections 4 and 5.
func (r results) sessionsSummary() string {
	s := r.Sessions
	if s == nil {
		return ""
	}
	h, t := s.HB, s.TO
	var b strings.Builder
	fmt.Fprintf(&b, "heartbeats, %s agents at %dx speed: %.0f/s, p50 %s, p99 %s, max %s; DynamoDB per heartbeat: %s (writes %s, target %d: %s)\n",
		thousands(h.Agents), h.Speedup, h.rate(), ms(h.P50), ms(h.P99), ms(h.Max), opsOnly(h.Use.DB, h.Total), per(writesOf(h.Use.DB), h.Total),
		targetWritesPerHeartbeat, strings.Trim(yes(s.writesPerHeartbeat() == targetWritesPerHeartbeat), "*"))
	if h.SatN > 0 {
		fmt.Fprintf(&b, "heartbeats back to back: %.0f/s, p50 %s, p99 %s\n", h.satRate(), ms(h.SatP50), ms(h.SatP99))
	}
	fmt.Fprintf(&b, "Continue -> displaced desktop told, %d takeovers: p50 %s, p99 %s, max %s (target p99 <= %s: %s)\n", t.N, ms(t.p(50)), ms(t.p(99)), ms(slices.Max(t.Told)),
		dur(targetTakeoverP99), strings.Trim(yes(t.p(99) <= targetTakeoverP99), "*"))
	return b.String()
}

// opTimes is "TransactWriteItems 9.1 ms, Query 6.0 ms" per call, longest
// first.
func opTimes(c counts, calls int) string {
	ops := slices.Collect(func(yield func(string) bool) {
		for k := range c.OpTime {
			if !yield(k) {
				return
			}
		}
	})
	slices.SortFunc(ops, func(a, b string) int {
		return cmp.Or(cmp.Compare(c.OpTime[b], c.OpTime[a]), strings.Compare(a, b))
	})
	var out []string
	for _, op := range ops {
		out = append(out, fmt.Sprintf("%s %s", op, ms(meanOf(c.OpTime[op], calls))))
	}
	return strings.Join(out, ", ")
}

// outboxNote says whether the sessions stack queued any email.
func outboxNote(stats map[string]itemStat) string {
	for k := range stats {
		if strings.HasPrefix(k, "OUTBOX/") {
			return ""
		}
	}
	return "; nothing on this stack queues an email"
}
