package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/shared/session"
)

// altHeartbeat is the interval the cost model compares with the default.
const altHeartbeat = 30 * time.Second

// priceList holds AWS list prices in USD, us-east-1, without free tiers.
type priceList struct {
	HTTPPerM         float64 // HTTP API, per million requests (first 300 million a month)
	WSMessagePerM    float64 // WebSocket API, per million messages (32 KB each)
	WSMinutePerM     float64 // WebSocket API, per million connection-minutes
	LambdaGBSecond   float64 // Lambda arm64, per GB-second
	LambdaPerM       float64 // Lambda, per million requests
	WRUPerM, RRUPerM float64 // DynamoDB on-demand, per million write / read request units
	LogsPerGB        float64 // CloudWatch Logs, standard ingestion per GB
	XRayPerM         float64 // X-Ray, per million traces recorded
}

// listPrices are the prices the cost model uses.
var listPrices = priceList{
	HTTPPerM: 1.00, WSMessagePerM: 1.00, WSMinutePerM: 0.25,
	LambdaGBSecond: 0.0000133334, LambdaPerM: 0.20,
	WRUPerM: 0.625, RRUPerM: 0.125, LogsPerGB: 0.50, XRayPerM: 5.00,
}

// Assumptions of the cost model that no measurement gives.
const (
	shiftHours     = 8
	shiftsPerMonth = 22
	fleet          = 1000 // agents priced together
	// platformLogBytes is Lambda's own log records per invocation with
	// the JSON log format and active tracing (platform.start and
	// platform.report, about 250 and 350 bytes): an estimate.
	platformLogBytes = 600
	// logEventOverhead is what CloudWatch Logs adds to each event's size
	// when it meters ingestion.
	logEventOverhead = 26
	// xraySampled is X-Ray's default sampling of Lambda's active tracing:
	// 5% of requests beyond a reservoir of one per second.
	xraySampled = 0.05
	// awsRoundTrip is a DynamoDB request's round trip from Lambda in the
	// same region, for the duration sensitivity only.
	awsRoundTrip = 5 * time.Millisecond
)

// agentHours is the agent-hours priced: fleet agents, their shifts.
func agentHours() float64 { return fleet * shiftHours * shiftsPerMonth }

// rates says how often an agent does things; from the code's own settings.
type rates struct {
	Heartbeat  time.Duration // server heartbeat interval (sessions.DefaultHeartbeat)
	AccessTTL  time.Duration // access token lifetime: one refresh per TTL
	Ping       time.Duration // push keep-alive (session.DefaultPingInterval)
	ConnMaxAge time.Duration // API Gateway's connection limit (domain.ConnectionMaxAge)
}

// activity is one thing an agent does, priced per call.
type activity struct {
	Key     string
	Name    string
	PerHour float64 // calls per agent-hour
	Why     string
	Op      opUse // measured; zero for connection-minutes
	// Per call, from the measurements and the template.
	MemoryMB    int
	HTTP        float64 // HTTP API requests
	WSMessages  float64
	WSMinutes   float64
	Invocations float64
	GBSeconds   float64 // billed, local handler time as the proxy
	AWSGBSec    float64 // billed, with awsRoundTrip per DynamoDB request instead of the emulator
	Units       units
	LogBytes    float64 // application + platform + per-event overhead
	DBRequests  float64
}

// bill is one month's cost of some activities for fleet agents, by
// service, in USD.
type bill struct {
	HTTP, WSMessages, WSMinutes, LambdaReq, LambdaGBs, RRU, WRU, Logs float64
}

func (b bill) total() float64 {
	return b.HTTP + b.WSMessages + b.WSMinutes + b.LambdaReq + b.LambdaGBs + b.RRU + b.WRU + b.Logs
}

func (b bill) add(o bill) bill {
	return bill{b.HTTP + o.HTTP, b.WSMessages + o.WSMessages, b.WSMinutes + o.WSMinutes, b.LambdaReq + o.LambdaReq,
		b.LambdaGBs + o.LambdaGBs, b.RRU + o.RRU, b.WRU + o.WRU, b.Logs + o.Logs}
}

// monthlyCalls is a's calls per month for the fleet.
func (a activity) monthlyCalls() float64 { return a.PerHour * agentHours() }

// bill prices a month of a for the fleet.
func (a activity) bill(p priceList) bill { return a.billFor(a.monthlyCalls(), p) }

// costOf is the cost of n calls of a.
func (a activity) costOf(n float64, p priceList) float64 { return a.billFor(n, p).total() }

func (a activity) billFor(n float64, p priceList) bill {
	return bill{
		HTTP:       n * a.HTTP * p.HTTPPerM / 1e6,
		WSMessages: n * a.WSMessages * p.WSMessagePerM / 1e6,
		WSMinutes:  n * a.WSMinutes * p.WSMinutePerM / 1e6,
		LambdaReq:  n * a.Invocations * p.LambdaPerM / 1e6,
		LambdaGBs:  n * a.GBSeconds * p.LambdaGBSecond,
		RRU:        n * a.Units.Read * p.RRUPerM / 1e6,
		WRU:        n * a.Units.Write * p.WRUPerM / 1e6,
		Logs:       n * a.LogBytes * p.LogsPerGB / (1 << 30),
	}
}

// priced fills a's per-call figures from its measured operation.
func priced(a activity, memMB int, stats map[string]itemStat) activity {
	o := a.Op
	a.MemoryMB = memMB
	if o.Calls == 0 {
		return a
	}
	calls := float64(o.Calls)
	a.Invocations = 1
	if o.timerRoute() == routeHTTP {
		a.HTTP = 1
	}
	gb := float64(memMB) / 1024
	a.GBSeconds = o.billedMean() / 1000 * gb
	first := o.Use.DB.firstAttempts()
	a.DBRequests = float64(first.total()) / calls
	local := o.handlerMean() - meanOf(o.Use.DB.Time, o.Calls)
	aws := local + time.Duration(a.DBRequests*float64(awsRoundTrip))
	a.AWSGBSec = math.Ceil(float64(aws)/float64(time.Millisecond)) / 1000 * gb
	u := capacity(o.Use.DB, stats)
	a.Units = units{Read: u.Read / calls, Write: u.Write / calls}
	lines := float64(o.Use.Log.Lines) / calls
	a.LogBytes = o.logPerCall() + platformLogBytes + (lines+2)*logEventOverhead
	return a
}

// agentDay is what one agent does per hour of a shift, each activity
// priced from its measured operation.
func agentDay(r rates, ops map[string]opUse, mem func(fn string) int, stats map[string]itemStat) []activity {
	shift := float64(shiftHours)
	connects := math.Ceil(shift*float64(time.Hour)/float64(r.ConnMaxAge)) / shift // per hour
	login := ops[opLoginExt]
	if d := ops[opLoginDial]; d.Calls > 0 {
		// Half the agents use each mode: price the average.
		login = mergeOps(opLoginExt, "POST /v1/sessions (station login, half extension, half dial number)", login, d)
	}
	acts := []activity{
		{Key: opSignIn, Name: "Sign-in", PerHour: 1 / shift, Why: "once per shift", Op: ops[opSignIn]},
		{Key: opRefresh, Name: "Token refresh", PerHour: float64(time.Hour) / float64(r.AccessTTL),
			Why: fmt.Sprintf("access tokens last %s: one refresh each", dur(r.AccessTTL)), Op: ops[opRefresh]},
		{Key: opMe, Name: "Profile (`GET /v1/me`)", PerHour: connects,
			Why: "after sign-in and every push reconnect (shared/session's advice)", Op: ops[opMe]},
		{Key: opLoginExt, Name: "Station login", PerHour: 1 / shift, Why: "once per shift", Op: login},
		{Key: opHeartbeat, Name: "Heartbeat", PerHour: float64(time.Hour) / float64(r.Heartbeat),
			Why: fmt.Sprintf("every %s (server default)", dur(r.Heartbeat)), Op: ops[opHeartbeat]},
		{Key: opSignOut, Name: "Station sign-out", PerHour: 1 / shift, Why: "once per shift", Op: ops[opSignOut]},
		{Key: opConnect, Name: "Push connect (`$connect`)", PerHour: connects,
			Why: fmt.Sprintf("API Gateway ends a connection after %s: %.0f per shift", dur(r.ConnMaxAge), connects*shift), Op: ops[opConnect]},
		{Key: opDisconnect, Name: "Push disconnect (`$disconnect`)", PerHour: connects, Why: "one per connection", Op: ops[opDisconnect]},
		{Key: opPing, Name: "Push keep-alive (`ping`)", PerHour: float64(time.Hour) / float64(r.Ping),
			Why: fmt.Sprintf("every %s (shared/session default)", dur(r.Ping)), Op: ops[opPing]},
	}
	for i, a := range acts {
		fn := a.Op.Function
		acts[i] = priced(a, mem(fn), stats)
		if a.Key == opPing {
			acts[i].WSMessages = 1
		}
	}
	acts = append(acts, activity{Key: "minutes", Name: "Push channel open", PerHour: 60, Why: "the whole shift, in connection-minutes", WSMinutes: 1})
	return acts
}

// mergeOps is a and b measured together.
func mergeOps(key, name string, a, b opUse) opUse {
	return opUse{Key: key, Name: name, Route: a.Route, Function: a.Function, Calls: a.Calls + b.Calls, Use: sumUsage([]usage{a.Use, b.Use})}
}

// costReport is docs/COST.md's content.
type costReport struct {
	Date     time.Time
	Prices   priceList
	Rates    rates
	Acts     []activity
	Alt      []activity // the same day with a 30-second heartbeat
	AltEvery time.Duration
	Stats    map[string]itemStat
	HB       heartbeatRun
	// Continue is a takeover, priced per call (two push messages: the
	// desk's and the laptop's connections).
	Continue activity
}

func usd(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 0.005:
		return "<$0.01"
	default:
		return "$" + commas(fmt.Sprintf("%.2f", v))
	}
}

func sumBills(acts []activity, p priceList, keep func(activity) bool) bill {
	var b bill
	for _, a := range acts {
		if keep == nil || keep(a) {
			b = b.add(a.bill(p))
		}
	}
	return b
}

func isHeartbeat(a activity) bool { return a.Key == opHeartbeat }

// xray is the range of X-Ray's monthly cost: 5% of the invocations, and
// that plus the reservoir of one trace a second for each of the functions
// while the fleet works (all on the same shift).
func xray(acts []activity, p priceList) (low, high float64) {
	inv := 0.0
	fns := map[string]bool{}
	for _, a := range acts {
		inv += a.monthlyCalls() * a.Invocations
		if a.Op.Function != "" {
			fns[a.Op.Function] = true
		}
	}
	low = xraySampled * inv * p.XRayPerM / 1e6
	reservoir := float64(len(fns)) * shiftHours * shiftsPerMonth * 3600
	return low, low + reservoir*p.XRayPerM/1e6
}

// markdown renders docs/COST.md.
func (c costReport) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p := c.Prices
	all := sumBills(c.Acts, p, nil)
	hb := sumBills(c.Acts, p, isHeartbeat)
	alt := sumBills(c.Alt, p, nil)
	lo, hi := xray(c.Acts, p)

	w("# Cost model\n\n")
	w("What AgentDesk costs in AWS per %s agents per month, from what `make bench` measured on %s (see [PERFORMANCE.md](PERFORMANCE.md)); rerunning the bench rewrites this page.\n\n", commas(fmt.Sprint(fleet)), c.Date.UTC().Format("2006-01-02"))
	w("**%s per %s agents per month** (%s per agent), of which heartbeats are %s (%.0f%%). X-Ray tracing, outside this total, adds about %s–%s (see below).\n\n",
		usd(all.total()), commas(fmt.Sprint(fleet)), usd(all.total()/fleet), usd(hb.total()), 100*hb.total()/all.total(), usd(lo), usd(hi))

	w("## Prices\n\n")
	w("AWS list prices for us-east-1 as of %s, without free tiers or savings plans; check the AWS pricing pages before relying on them.\n\n", c.Date.UTC().Format("2006-01-02"))
	w("| service | price |\n| --- | --- |\n")
	w("| API Gateway HTTP API | $%.2f per million requests (first 300 million a month) |\n", p.HTTPPerM)
	w("| API Gateway WebSocket API | $%.2f per million messages (32 KB each), $%.2f per million connection-minutes |\n", p.WSMessagePerM, p.WSMinutePerM)
	w("| Lambda, arm64 | $%s per GB-second, $%.2f per million requests |\n", strings.TrimRight(fmt.Sprintf("%.10f", p.LambdaGBSecond), "0"), p.LambdaPerM)
	w("| DynamoDB on-demand | $%.3f per million write request units, $%.3f per million read request units (the prices since the November 2024 reduction, half the earlier ones) |\n", p.WRUPerM, p.RRUPerM)
	w("| CloudWatch Logs | $%.2f per GB ingested (standard class) |\n", p.LogsPerGB)
	w("| X-Ray (priced apart, see below) | $%.2f per million traces recorded |\n\n", p.XRayPerM)

	w("## Assumptions\n\n")
	w("- **Shifts.** Every agent works %d-hour shifts, %d a month: %s agent-hours a month for %s agents. All figures below are per agent-hour of a shift, then per %s agents per month.\n",
		shiftHours, shiftsPerMonth, commas(fmt.Sprintf("%.0f", agentHours())), commas(fmt.Sprint(fleet)), commas(fmt.Sprint(fleet)))
	w("- **What an agent does**, from the code's own settings: sign in once a shift; refresh the access token each time it expires (%s); station login and sign-out once a shift; a heartbeat every %s (the server's default, `sessions.DefaultHeartbeat`); the push channel open all shift, reconnecting when API Gateway ends a connection (after %s), with a keep-alive every %s (`session.DefaultPingInterval`); `GET /v1/me` after sign-in and after each push reconnect, as shared/session advises. Takeovers, revocations and banner edits are rare and left out: one Continue costs %s (%s DynamoDB requests, %s read and %s write units, and a push message to each of the agent's connections), a million of them %s.\n",
		dur(c.Rates.AccessTTL), dur(c.Rates.Heartbeat), dur(c.Rates.ConnMaxAge), dur(c.Rates.Ping),
		usdSmall(c.Continue.costOf(1, p)), num(c.Continue.DBRequests), num(c.Continue.Units.Read), num(c.Continue.Units.Write), usd(c.Continue.costOf(1e6, p)))
	w("- **Requests are measured**: each operation's DynamoDB requests are counted on the local stack (PERFORMANCE.md, section 6). Request units follow DynamoDB's rules from the items each request touched and the items' sizes in the table after the run: a strongly consistent read (every `GetItem` here) is 1 read unit per 4 KB, a Query (eventually consistent, a user's few push connections) half a unit; a write is 1 write unit per KB, 2 inside a transaction; a write to an item that is in GSI1 (projection ALL) writes the index too, one more unit per KB. %s\n", sizeNote(c.Stats))
	w("- **Lambda duration is the local handler time, as a proxy**: the mean time of each operation's handler on the local stack (router and API Gateway conversion included, the embedded DynamoDB answering over loopback), each call rounded up to the millisecond as Lambda bills, times the function's memory in template.yaml (%s; the 256 MB default of Globals applies to the mailer only, not priced here). In AWS each DynamoDB request is a network round trip instead; the sensitivity below uses %s per request. The operations with a transaction (token refresh, station login, push connect and disconnect) spend most of their local time in the embedded DynamoDB copying its table, so the proxy overstates them; their compute comes to %s a month in all.\n", memories(c.Acts), dur(awsRoundTrip), usd(txCompute(c.Acts, p)))
	w("- **Logs**: the application's log bytes per call are measured (the JSON request line and anything else the handlers log); Lambda's own records (platform.start and platform.report with tracing on) are estimated at %d bytes per invocation; CloudWatch adds %d bytes per event.\n", platformLogBytes, logEventOverhead)
	w("- **Not in the total**: DynamoDB storage and point-in-time recovery (a few MB for %s agents), the mailer (emails are rare; its sweep runs once a minute whatever the fleet), Secrets Manager, alarms, and data transfer out (small JSON answers). DynamoDB Streams reads by the mailer's trigger are free, and the trigger's filter keeps heartbeats from invoking it.\n\n", commas(fmt.Sprint(fleet)))

	w("## Per agent-hour\n\n")
	w("| activity | per agent-hour | why | function (MB) | HTTP API requests | WebSocket messages / minutes | Lambda invocations | Lambda GB-seconds | DynamoDB requests | read units | write units | log bytes |\n")
	w("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var tot activity
	for _, a := range c.Acts {
		h := a.PerHour
		fn := "–"
		if a.Op.Function != "" {
			fn = fmt.Sprintf("%s (%d)", a.Op.Function, a.MemoryMB)
		}
		ws := num(h * a.WSMessages)
		if a.WSMinutes > 0 {
			ws = num(h*a.WSMinutes) + " min"
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a.Name, num(h), a.Why, fn, num(h*a.HTTP), ws,
			num(h*a.Invocations), num(h*a.GBSeconds), num(h*a.DBRequests), num(h*a.Units.Read), num(h*a.Units.Write), num(math.Round(h*a.LogBytes)))
		tot.HTTP += h * a.HTTP
		tot.WSMessages += h * a.WSMessages
		tot.Invocations += h * a.Invocations
		tot.GBSeconds += h * a.GBSeconds
		tot.DBRequests += h * a.DBRequests
		tot.Units.Read += h * a.Units.Read
		tot.Units.Write += h * a.Units.Write
		tot.LogBytes += h * a.LogBytes
	}
	w("| **all** | | | | **%s** | **%s** + 60 min | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |\n\n", num(tot.HTTP), num(tot.WSMessages), num(tot.Invocations), num(tot.GBSeconds),
		num(tot.DBRequests), num(tot.Units.Read), num(tot.Units.Write), num(math.Round(tot.LogBytes)))

	w("## Per %s agents per month\n\n", commas(fmt.Sprint(fleet)))
	w("| activity | calls a month | HTTP API | WebSocket | Lambda requests | Lambda compute | DynamoDB reads | DynamoDB writes | CloudWatch Logs | total |\n")
	w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, a := range c.Acts {
		x := a.bill(p)
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | **%s** |\n", a.Name, commas(fmt.Sprintf("%.0f", a.monthlyCalls())), usd(x.HTTP), usd(x.WSMessages+x.WSMinutes),
			usd(x.LambdaReq), usd(x.LambdaGBs), usd(x.RRU), usd(x.WRU), usd(x.Logs), usd(x.total()))
	}
	w("| **all** | | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |\n\n", usd(all.HTTP), usd(all.WSMessages+all.WSMinutes), usd(all.LambdaReq),
		usd(all.LambdaGBs), usd(all.RRU), usd(all.WRU), usd(all.Logs), usd(all.total()))

	w("## What dominates\n\n")
	type term struct {
		name string
		v    float64
	}
	terms := []term{{"API Gateway HTTP API requests", all.HTTP}, {"DynamoDB writes", all.WRU}, {"CloudWatch Logs ingestion", all.Logs},
		{"DynamoDB reads", all.RRU}, {"Lambda requests", all.LambdaReq}, {"Lambda compute", all.LambdaGBs},
		{"WebSocket messages", all.WSMessages}, {"WebSocket connection-minutes", all.WSMinutes}}
	slices.SortFunc(terms, func(a, b term) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return 0
	})
	var parts []string
	for _, t := range terms[:4] {
		parts = append(parts, fmt.Sprintf("%s %s (%.0f%%)", t.name, usd(t.v), 100*t.v/all.total()))
	}
	w("- **The heartbeat is the bill.** %s of the %s (%.0f%%) are heartbeats: %s a month for %s agents, each one HTTP API request, one Lambda invocation, %s DynamoDB requests and the log lines. The largest terms overall: %s.\n",
		usd(hb.total()), usd(all.total()), 100*hb.total()/all.total(), commas(fmt.Sprintf("%.0f", c.heartbeat().monthlyCalls())), commas(fmt.Sprint(fleet)), num(c.heartbeat().DBRequests), strings.Join(parts, ", "))
	h := c.heartbeat()
	w("- **A heartbeat is one write request but %s write units.** The lease item carries GSI1's keys (for `GET /v1/admin/sessions`) and GSI1 projects ALL attributes, so every heartbeat's `UpdateItem` rewrites the index entry too. The lease items sit in the tenant's partition (`T#<tenant>` / `LEASE#<user>`), so listing them could Query the table instead; without the index the heartbeat's writes would cost half (%s a month less).\n",
		num(h.Units.Write), usd(h.bill(p).WRU/2))
	hbb := h.bill(p)
	w("- **Logs are a heartbeat's third cost**: %.0f bytes of application log per call (the request line) plus Lambda's own records, %s a month. Logging successful heartbeats at debug level (or sampling them) and setting the functions' system log level to WARN (no platform.start/report records) would cut most of it.\n",
		h.Op.logPerCall(), usd(hbb.Logs))
	w("- **Compute is small**: the local handler time is %s per heartbeat (billed %.2f ms on average at %d MB), %s a month. With %s per DynamoDB round trip in AWS instead of the embedded emulator, it would be about %s: still below the request charges.\n",
		ms(h.Op.handlerMean()), h.Op.billedMean(), h.MemoryMB, usd(hbb.LambdaGBs), dur(awsRoundTrip), usd(h.monthlyCalls()*h.AWSGBSec*p.LambdaGBSecond))
	var push bill
	for _, a := range c.Acts {
		switch a.Key {
		case opConnect, opDisconnect, opPing, "minutes":
			push = push.add(a.bill(p))
		}
	}
	w("- **The push channel is cheap**: %s a month for %s agents, connection-minutes and keep-alives included.\n", usd(push.total()), commas(fmt.Sprint(fleet)))
	var signin bill
	for _, a := range c.Acts {
		if a.Key == opSignIn || a.Key == opRefresh || a.Key == opMe {
			signin = signin.add(a.bill(p))
		}
	}
	w("- **Sign-in is expensive per call but rare**: the argon2id hash makes a sign-in's handler %s (at %d MB; in Lambda, with 1024/1769 of a vCPU, it would take longer), yet sign-in, token refreshes and profile loads come to %s a month together.\n\n",
		ms(c.act(opSignIn).Op.handlerMean()), c.act(opSignIn).MemoryMB, usd(signin.total()))

	w("## The heartbeat interval\n\n")
	w("Everything a heartbeat costs scales with its rate. At %s, %s agents send %s heartbeats a month (%s); at %s they would send %s (%s), and the whole bill would be %s instead of %s: **%s a month saved per %s agents** (%.0f%%).\n\n",
		dur(c.Rates.Heartbeat), commas(fmt.Sprint(fleet)), commas(fmt.Sprintf("%.0f", h.monthlyCalls())), usd(hb.total()),
		dur(c.AltEvery), commas(fmt.Sprintf("%.0f", c.altHeartbeat().monthlyCalls())), usd(sumBills(c.Alt, p, isHeartbeat).total()),
		usd(alt.total()), usd(all.total()), usd(all.total()-alt.total()), commas(fmt.Sprint(fleet)), 100*(all.total()-alt.total())/all.total())
	w("| heartbeat every | heartbeats per agent-hour | heartbeat cost per %s agents per month | whole bill |\n| --- | ---: | ---: | ---: |\n", commas(fmt.Sprint(fleet)))
	for _, every := range []time.Duration{10 * time.Second, c.Rates.Heartbeat, c.AltEvery, 60 * time.Second} {
		f := float64(c.Rates.Heartbeat) / float64(every)
		w("| %s | %s | %s | %s |\n", dur(every), num(float64(time.Hour)/float64(every)), usd(hb.total()*f), usd(all.total()-hb.total()+hb.total()*f))
	}
	w("\nThe interval is per tenant (`heartbeat_seconds`). The lease is at least twice the interval (`sessions.Timing`), so with 30 s the default 60 s lease allows one lost heartbeat instead of two before a desktop's session lapses; raising `lease_seconds` to 90 s keeps the same margin, at the price of a crashed desktop holding its station 30 s longer. The push channel, not the heartbeat, tells a displaced desktop of a takeover (PERFORMANCE.md, section 5), so a longer interval does not slow that down.\n\n")

	w("## X-Ray\n\n")
	w("template.yaml turns on active tracing (`Tracing: Active`) for every function; X-Ray is not in the total above. With X-Ray's default sampling (the first request each second, then %.0f%% of the rest) the %s million invocations a month would record %.1f to %.1f million traces at $%.2f per million: %s to %s a month (the lower figure counts the %.0f%% only, the higher adds one trace a second for each of the %d functions all shift). A sampling rule of 1%% for the heartbeat route, or no tracing for it, removes most of this.\n",
		100*xraySampled, num(invocations(c.Acts)/1e6), lo/p.XRayPerM, hi/p.XRayPerM, p.XRayPerM, usd(lo), usd(hi), 100*xraySampled, functions(c.Acts))
	return b.String()
}

func (c costReport) act(key string) activity {
	for _, a := range c.Acts {
		if a.Key == key {
			return a
		}
	}
	return activity{}
}

func (c costReport) heartbeat() activity { return c.act(opHeartbeat) }

func (c costReport) altHeartbeat() activity {
	for _, a := range c.Alt {
		if a.Key == opHeartbeat {
			return a
		}
	}
	return activity{}
}

func invocations(acts []activity) float64 {
	n := 0.0
	for _, a := range acts {
		n += a.monthlyCalls() * a.Invocations
	}
	return n
}

func functions(acts []activity) int {
	fns := map[string]bool{}
	for _, a := range acts {
		if a.Op.Function != "" {
			fns[a.Op.Function] = true
		}
	}
	return len(fns)
}

// memories lists the priced functions' memory: "AuthFunction 1024 MB, …".
func memories(acts []activity) string {
	seen := map[string]int{}
	for _, a := range acts {
		if a.Op.Function != "" {
			seen[a.Op.Function] = a.MemoryMB
		}
	}
	var out []string
	for _, fn := range slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, fmt.Sprintf("%s %d MB", fn, seen[fn]))
	}
	return strings.Join(out, ", ")
}

// sizeNote says whether item sizes add request units.
func sizeNote(stats map[string]itemStat) string {
	best, size := "", 0
	var big []string
	for _, k := range slices.Sorted(maps.Keys(stats)) {
		s := stats[k]
		if s.MaxSize > size {
			best, size = k, s.MaxSize
		}
		if s.MaxSize > 1024 {
			big = append(big, fmt.Sprintf("%s, up to %s bytes", kindName(k), commas(fmt.Sprint(s.MaxSize))))
		}
	}
	if len(big) == 0 {
		return fmt.Sprintf("Every item in the table is under 1 KB (the largest: %s, %s bytes), so no request takes more than one unit per item for its size.", kindName(best), commas(fmt.Sprint(size)))
	}
	return fmt.Sprintf("Items over 1 KB take a write unit per KB (and a read unit per 4 KB): %s.", strings.Join(big, "; "))
}

// usdSmall formats a cost of a few cents or less.
func usdSmall(v float64) string {
	if v >= 0.01 {
		return usd(v)
	}
	return fmt.Sprintf("$%.7f", v)
}

// txCompute is the Lambda compute of the activities whose requests include
// a transaction.
func txCompute(acts []activity, p priceList) float64 {
	v := 0.0
	for _, a := range acts {
		if a.Op.Use.DB.Ops["TransactWriteItems"] > 0 {
			v += a.bill(p).LambdaGBs
		}
	}
	return v
}

// costReport prices an agent's day from the operations measured.
func (r results) costReport(tpl *template.Template) costReport {
	ops := map[string]opUse{}
	for _, o := range r.Ops {
		ops[o.Key] = o
	}
	hb := 20 * time.Second
	var stats map[string]itemStat
	var run heartbeatRun
	if r.Sessions != nil {
		hb, stats, run = r.Sessions.HB.Interval, r.Sessions.Stats, r.Sessions.HB
	}
	rt := rates{Heartbeat: hb, AccessTTL: auth.DefaultPolicy.AccessTTL, Ping: session.DefaultPingInterval, ConnMaxAge: domain.ConnectionMaxAge}
	alt := rt
	alt.Heartbeat = altHeartbeat
	mem := func(fn string) int { return memoryMB(tpl, fn) }
	cont := ops[opContinue]
	cont.Function = functionOf(tpl, routeSessions)
	takeover := priced(activity{Key: opContinue, Name: "Continue", Op: cont}, mem(cont.Function), stats)
	takeover.WSMessages = 2
	return costReport{Continue: takeover, Date: r.Started, Prices: listPrices, Rates: rt, Acts: agentDay(rt, ops, mem, stats), Alt: agentDay(alt, ops, mem, stats),
		AltEvery: altHeartbeat, Stats: stats, HB: run}
}

// summary is the cost model's stdout line.
func (c costReport) summary() string {
	p := c.Prices
	all, hb := sumBills(c.Acts, p, nil), sumBills(c.Acts, p, isHeartbeat)
	alt := sumBills(c.Alt, p, nil)
	return fmt.Sprintf("cost per %s agents per month: %s (heartbeats %s); with a %s heartbeat %s\n", thousands(fleet), usd(all.total()), usd(hb.total()), dur(c.AltEvery), usd(alt.total()))
}
