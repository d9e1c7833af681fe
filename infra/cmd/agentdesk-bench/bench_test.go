package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/functions/auth"
)

func dynamoCall(t *testing.T, url, op, body string, attempt int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Amz-Sdk-Request", fmt.Sprintf("attempt=%d; max=3", attempt))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

func TestCounterCountsByOperation(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.UpdateItem" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"}`))
			return
		}
		_, _ = w.Write([]byte("{}"))
	})
	c := newCounter(next)
	srv := httptest.NewServer(c)
	defer srv.Close()

	dynamoCall(t, srv.URL, "GetItem", `{}`, 1)
	before := c.snapshot()
	dynamoCall(t, srv.URL, "GetItem", `{}`, 1)
	dynamoCall(t, srv.URL, "GetItem", `{}`, 2)
	tx := `{"TransactItems":[{"Put":{}},{"Put":{}},{"ConditionCheck":{}}]}`
	dynamoCall(t, srv.URL, "TransactWriteItems", tx, 1)
	dynamoCall(t, srv.URL, "UpdateItem", `{}`, 1)
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	got := c.since(before)
	if got.Ops["GetItem"] != 2 || got.Ops["TransactWriteItems"] != 1 || got.Ops["UpdateItem"] != 1 || got.Ops["(GET /)"] != 1 || len(got.Ops) != 4 {
		t.Errorf("ops %v", got.Ops)
	}
	if got.TxItems != 3 || got.total() != 5 {
		t.Errorf("tx items %d, total %d", got.TxItems, got.total())
	}
	if len(got.Errors) != 1 || got.Errors["UpdateItem ConditionalCheckFailedException"] != 1 {
		t.Errorf("errors %v", got.Errors)
	}
	if len(got.Retries) != 1 || got.Retries["GetItem"] != 1 {
		t.Errorf("retries %v", got.Retries)
	}
	if b := breakdown(got, 1); b != "GetItem 1, UpdateItem 1, TransactWriteItems 1 (3 items), (GET /) 1 (1 SDK retry, GetItem ×1; 1 error answer, UpdateItem ConditionalCheckFailedException ×1)" {
		t.Errorf("breakdown %q", b)
	}
	if got.Time <= 0 {
		t.Errorf("time %v", got.Time)
	}
	// The handler behind still gets the whole transaction.
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(bodies, tx) {
		t.Errorf("transaction body not passed on: %q", bodies)
	}
	if cols := columns(got, counts{Ops: map[string]int{"Query": 1}}); !slices.Equal(cols, []string{"GetItem", "Query", "UpdateItem", "TransactWriteItems", "(GET /)"}) {
		t.Errorf("columns %v", cols)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(ds, 50); p != 50*time.Millisecond {
		t.Errorf("p50 %v", p)
	}
	if p := percentile(ds, 99); p != 99*time.Millisecond {
		t.Errorf("p99 %v", p)
	}
	if p := percentile(ds[:1], 99); p != time.Millisecond {
		t.Errorf("p99 of one %v", p)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median %v", m)
	}
	if per(10, 4) != "2.50" || per(8, 4) != "2" || per(1, 0) != "–" || per(6301, 300) != "21.003" {
		t.Error("per")
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}

func TestReportRenders(t *testing.T) {
	db := counts{Ops: map[string]int{"GetItem": 6, "PutItem": 2, "DeleteItem": 2}, Time: 2 * time.Millisecond}
	r := results{
		Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Took: time.Minute, Machine: thisMachine(),
		Policy: auth.DefaultPolicy, Pop: &population{Users: 1000, SignIn: make([]account, 8)}, Warm: 5,
		TP: throughput{Workers: 2, Round: 2 * time.Second, Accounts: 8,
			Raw:    []half{{Ops: 100, Wall: 2 * time.Second, CPU: 4 * time.Second}},
			Login:  []half{{Ops: 95, Wall: 2 * time.Second, CPU: 4 * time.Second}},
			Single: 3, VerifyP50: 20 * time.Millisecond, LoginP50: 21 * time.Millisecond, LoginDB: counts{Ops: map[string]int{"GetItem": 285}},
		},
		Latency: []latency{
			{Name: "GET /v1/admin/users?limit=50 (first page)", N: 2, P50: time.Millisecond, DB: counts{Ops: map[string]int{"Query": 2}}},
			{Name: "GET /v1/admin/users?limit=50&search=x (matches 1)", N: 2, P50: time.Millisecond, DB: counts{Ops: map[string]int{"Query": 42}}},
		},
		Requests: []flowCount{{Name: "POST /v1/auth/login (sign-in)", DB: db},
			{Name: "POST /v1/admin/users", DB: counts{Ops: map[string]int{"TransactWriteItems": 1}, TxItems: 6}}},
	}
	md := r.markdown()
	for _, want := range []string{"# Performance", "2026-01-02 03:04", "| **ratio sign-in / raw** (target ≥ 0.90) | | **0.950** **met** | **0.950** **met** |",
		"| `POST /v1/admin/users` | | | | 1 (6 items) | **1** |  |", "(Query 21)", "## What dominates"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if s := r.summary(); !strings.Contains(s, "ratio 0.950") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestQuietRounds(t *testing.T) {
	s := time.Second
	tp := throughput{Workers: 2,
		Raw:   []half{{Ops: 80, Wall: s, CPU: 2 * s}, {Ops: 40, Wall: s, CPU: s}, {Ops: 80, Wall: s, CPU: 2 * s}},
		Login: []half{{Ops: 72, Wall: s, CPU: 2 * s}, {Ops: 40, Wall: s, CPU: s}, {Ops: 68, Wall: s, CPU: 19 * s / 10}},
	}
	q, n := tp.quiet()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if n != 2 || !near(q, 140.0/160.0) {
		t.Errorf("quiet ratio %v over %d rounds", q, n)
	}
	if r := tp.ratio(); !near(r, 180.0/200.0) {
		t.Errorf("ratio %v", r)
	}
	if _, n := (throughput{Workers: 2, Raw: tp.Raw[1:2], Login: tp.Login[1:2]}).quiet(); n != 0 {
		t.Errorf("%d quiet rounds on a busy machine", n)
	}
}
