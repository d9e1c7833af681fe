package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/auth"
)

func TestItemSize(t *testing.T) {
	item := map[string]types.AttributeValue{
		"PK":    &types.AttributeValueMemberS{Value: "T#abc"}, // 2 + 5
		"Epoch": &types.AttributeValueMemberN{Value: "12345"}, // 5 + 4
		"On":    &types.AttributeValueMemberBOOL{Value: true}, // 2 + 1
		"L": &types.AttributeValueMemberL{Value: []types.AttributeValue{ // 1 + 3 + (1+2)
			&types.AttributeValueMemberS{Value: "ab"}}},
		"M": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{ // 1 + 3 + (1+1+1)
			"k": &types.AttributeValueMemberNULL{Value: true}}},
	}
	if n := itemSize(item); n != 7+9+3+7+7 {
		t.Errorf("size %d", n)
	}
	for s, want := range map[string]int{"0": 1, "7": 2, "12": 2, "123": 3, "-1.50": 2, "1000": 2, "0.001": 2} {
		if got := numberSize(s); got != want {
			t.Errorf("numberSize(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestCapacityUnits(t *testing.T) {
	stats := map[string]itemStat{
		"T/LEASE":  {Count: 1, MaxSize: 500, Indexed: true},
		"T/U":      {Count: 1, MaxSize: 5000},
		"T/TENANT": {Count: 1, MaxSize: 400},
		"RT/GUARD": {Count: 1, MaxSize: 1500},
		"T/CONN":   {Count: 1, MaxSize: 300, Indexed: true},
	}
	c := counts{Access: map[string]int{
		"GetItem T/U consistent":                    2, // 2 x 2 units (5,000 bytes)
		"GetItem T/TENANT eventual":                 2, // 2 x 0.5
		"GetItem GONE/GUARD consistent":             1, // not in the table: 1
		"Query GSI1 eventual":                       2, // 2 x 0.5
		"UpdateItem T/LEASE":                        3, // 3 x (1 + 1 index)
		"PutItem RT/GUARD":                          1, // 2 (1,500 bytes)
		"TransactWriteItems Put T/CONN":             1, // 2 + 1 index
		"TransactWriteItems Update RT/GUARD":        1, // 2 x 2
		"TransactWriteItems ConditionCheck T/LEASE": 1, // 2, no index
	}}
	u := capacity(c, stats)
	if u.Read != 4+1+1+1 || u.Write != 6+2+3+4+2 {
		t.Errorf("units %+v", u)
	}
}

// fakeOp is an operation of calls calls with the given per-call figures.
func fakeOp(key, route string, calls int, handler time.Duration, access map[string]int, logPerCall int) opUse {
	acc := map[string]int{}
	ops := map[string]int{}
	for k, v := range access {
		acc[k] = v * calls
		ops[strings.Fields(k)[0]] += v * calls
	}
	r := routeHTTP
	if route[0] == '$' {
		r = route
	}
	return opUse{Key: key, Name: key, Route: route, Calls: calls, Use: usage{
		DB:       counts{Ops: ops, Access: acc},
		Handlers: timings{N: map[string]int{r: calls}, Total: map[string]time.Duration{r: handler * time.Duration(calls)}, Billed: map[string]int{r: billedMS(handler) * calls}},
		Log:      logBytes{Bytes: logPerCall * calls, Lines: calls},
	}}
}

func TestSessionsReportRenders(t *testing.T) {
	hbAccess := map[string]int{"GetItem T/U consistent": 1, "GetItem T/TENANT consistent": 1, "UpdateItem T/LEASE": 1}
	hbOp := fakeOp(opHeartbeat, routeHeartbeat, 10, time.Millisecond, hbAccess, 200)
	s := &sessionResults{Opt: sessionOptions{Agents: 1000}, Hash: sessionHash,
		HB: heartbeatRun{Agents: 1000, Total: 10, Interval: 20 * time.Second, Speedup: 10, Workers: 64, Wall: time.Second, CPU: time.Second,
			Use: usage{DB: hbOp.Use.DB}},
		TO:    takeovers{N: 2, Told: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}, Answer: []time.Duration{11 * time.Millisecond, 21 * time.Millisecond}},
		Stats: map[string]itemStat{"T/LEASE": {Count: 1000, MaxSize: 493, Indexed: true}},
	}
	r := results{Started: time.Now(), Machine: thisMachine(), Policy: auth.DefaultPolicy, Pop: &population{Users: 1000, SignIn: make([]account, 8)},
		TP:       throughput{Workers: 2, Raw: []half{{Ops: 1, Wall: time.Second, CPU: time.Second}}, Login: []half{{Ops: 1, Wall: time.Second, CPU: time.Second}}},
		Sessions: s, Ops: []opUse{hbOp}}
	md := r.markdown()
	for _, want := range []string{"## 4. Station sessions: heartbeats from 1,000 agents", "**1 write per heartbeat** (target exactly 1: **met**)",
		"## 5. \"Continue\"", "target p99 ≤ 1 s: **met**", "## 6. The operations of an agent's day", "| exactly 1 DynamoDB write per heartbeat | 1"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestDur(t *testing.T) {
	for d, want := range map[time.Duration]string{2 * time.Hour: "2 h", 15 * time.Minute: "15 min", 20 * time.Second: "20 s", 5 * time.Millisecond: "5 ms", 1500 * time.Millisecond: "1.5 s"} {
		if got := dur(d); got != want {
			t.Errorf("dur(%v) = %q, want %q", d, got, want)
		}
	}
}
