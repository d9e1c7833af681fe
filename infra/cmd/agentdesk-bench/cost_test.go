package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCostModel(t *testing.T) {
	stats := map[string]itemStat{"T/U": {MaxSize: 700}, "T/TENANT": {MaxSize: 400}, "T/LEASE": {MaxSize: 500, Indexed: true}}
	hbAccess := map[string]int{"GetItem T/U consistent": 1, "GetItem T/TENANT consistent": 1, "UpdateItem T/LEASE": 1}
	ops := map[string]opUse{
		opHeartbeat: fakeOp(opHeartbeat, routeHeartbeat, 10, 800*time.Microsecond, hbAccess, 200),
		opPing:      fakeOp(opPing, "$default", 10, 20*time.Microsecond, nil, 0),
	}
	for k, o := range ops {
		o.Function = map[string]string{opHeartbeat: "AgentFunction", opPing: pushFunction}[k]
		ops[k] = o
	}
	mem := func(fn string) int { return map[string]int{"AgentFunction": 1024, pushFunction: 512}[fn] }
	rt := rates{Heartbeat: 20 * time.Second, AccessTTL: 15 * time.Minute, Ping: 4 * time.Minute, ConnMaxAge: 2 * time.Hour}
	acts := agentDay(rt, ops, mem, stats)
	var hb, ping, minutes activity
	for _, a := range acts {
		switch a.Key {
		case opHeartbeat:
			hb = a
		case opPing:
			ping = a
		case "minutes":
			minutes = a
		}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }
	if hb.PerHour != 180 || hb.HTTP != 1 || hb.Invocations != 1 || hb.Units.Read != 2 || hb.Units.Write != 2 || hb.DBRequests != 3 {
		t.Fatalf("heartbeat %+v", hb)
	}
	if !near(hb.GBSeconds, 0.001) || !near(hb.LogBytes, 200+platformLogBytes+3*logEventOverhead) {
		t.Errorf("heartbeat GB-s %v, log bytes %v", hb.GBSeconds, hb.LogBytes)
	}
	// 180 x 176,000 = 31,680,000 heartbeats: $31.68 of HTTP API,
	// 2 write units each at $0.625 per million: $39.60.
	b := hb.bill(listPrices)
	if !near(hb.monthlyCalls(), 31_680_000) || !near(b.HTTP, 31.68) || !near(b.WRU, 39.60) || !near(b.RRU, 7.92) || !near(b.LambdaReq, 6.336) {
		t.Errorf("heartbeat bill %+v", b)
	}
	if ping.PerHour != 15 || ping.WSMessages != 1 || ping.HTTP != 0 || !near(ping.GBSeconds, 0.0005) {
		t.Errorf("ping %+v", ping)
	}
	if !near(minutes.bill(listPrices).WSMinutes, 60*176_000*0.25/1e6) {
		t.Errorf("connection minutes %+v", minutes.bill(listPrices))
	}
	for _, a := range acts {
		if a.Key == opConnect && a.PerHour != 0.5 {
			t.Errorf("connects per hour %v", a.PerHour)
		}
	}
	c := costReport{Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Prices: listPrices, Rates: rt, Acts: acts,
		Alt:      agentDay(rates{Heartbeat: 30 * time.Second, AccessTTL: rt.AccessTTL, Ping: rt.Ping, ConnMaxAge: rt.ConnMaxAge}, ops, mem, stats),
		AltEvery: 30 * time.Second, Stats: stats}
	md := c.markdown()
	for _, want := range []string{"# Cost model", "| Heartbeat | 180 |", "31,680,000", "$0.625 per million write request units", "## The heartbeat interval", "| 30 s | 120 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("COST.md lacks %q:\n%s", want, md)
		}
	}
	if usd(1234.567) != "$1,234.57" || usd(0.001) != "<$0.01" || commas("1234567") != "1,234,567" {
		t.Error("usd/commas")
	}
}
