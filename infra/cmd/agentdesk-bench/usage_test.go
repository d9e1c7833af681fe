package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAccessNamesItemsAndReads(t *testing.T) {
	cases := []struct {
		op, body string
		want     []string
	}{
		{"GetItem", `{"Key":{"PK":{"S":"T#tnt_1"},"SK":{"S":"U#usr_1"}},"ConsistentRead":true}`, []string{"GetItem T/U consistent"}},
		{"GetItem", `{"Key":{"PK":{"S":"RT#abc"},"SK":{"S":"GUARD"}}}`, []string{"GetItem RT/GUARD eventual"}},
		{"UpdateItem", `{"Key":{"PK":{"S":"T#tnt_1"},"SK":{"S":"LEASE#usr_1"}},"UpdateExpression":"SET x = :x"}`, []string{"UpdateItem T/LEASE"}},
		{"PutItem", `{"Item":{"PK":{"S":"RT#abc"},"SK":{"S":"GUARD"},"N":{"N":"3"}}}`, []string{"PutItem RT/GUARD"}},
		{"Query", `{"IndexName":"GSI1","KeyConditionExpression":"GSI1PK = :pk"}`, []string{"Query GSI1 eventual"}},
		{"Query", `{"KeyConditionExpression":"PK = :pk","ConsistentRead":true}`, []string{"Query table consistent"}},
		{"TransactWriteItems", `{"TransactItems":[{"Put":{"Item":{"PK":{"S":"T#t#CONN#u"},"SK":{"S":"CONN#c"}}}},{"Delete":{"Key":{"PK":{"S":"CONN#c"},"SK":{"S":"GUARD"}}}},{"ConditionCheck":{"Key":{"PK":{"S":"T#t"},"SK":{"S":"LEASE#u"}}}}]}`,
			[]string{"TransactWriteItems Put T/CONN", "TransactWriteItems Delete CONN/GUARD", "TransactWriteItems ConditionCheck T/LEASE"}},
		{"DescribeTable", `{"TableName":"x"}`, nil},
		{"GetItem", `not json`, nil},
	}
	for _, c := range cases {
		got := access(c.op, []byte(c.body))
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s %s: %q, want %q", c.op, c.body, got, c.want)
		}
	}
	if k := itemKind("", "GUARD"); k != "?/GUARD" {
		t.Errorf("kind %q", k)
	}
}

func TestTimerAndBilling(t *testing.T) {
	if billedMS(0) != 1 || billedMS(300*time.Microsecond) != 1 || billedMS(time.Millisecond) != 1 || billedMS(1001*time.Microsecond) != 2 {
		t.Error("billedMS")
	}
	tm := newTimer()
	h := tm.http(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Millisecond) }))
	before := tm.snapshot()
	srv := httptest.NewServer(h)
	defer srv.Close()
	for range 2 {
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	got := tm.snapshot().sub(before)
	if got.N[routeHTTP] != 2 || got.Total[routeHTTP] < 4*time.Millisecond || got.Billed[routeHTTP] < 6 {
		t.Errorf("timings %+v", got)
	}
	var b byteCounter
	_, _ = b.Write([]byte("{\"a\":1}\n{\"b\":2}\n"))
	if s := b.snapshot(); s.Bytes != 16 || s.Lines != 2 {
		t.Errorf("log bytes %+v", s)
	}
}

func TestCounterHoldsRequests(t *testing.T) {
	var served atomic.Int64
	c := newCounter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	srv := httptest.NewServer(c)
	defer srv.Close()
	c.hold()
	done := make(chan struct{})
	go func() {
		defer close(done)
		dynamoCall(t, srv.URL, "Query", `{}`, 1)
	}()
	time.Sleep(50 * time.Millisecond)
	if served.Load() != 0 {
		t.Fatal("a held request went through")
	}
	if n := c.release(); n != 1 {
		t.Errorf("held %d", n)
	}
	<-done
	if served.Load() != 1 || c.snapshot().Ops["Query"] != 1 {
		t.Errorf("served %d, ops %v", served.Load(), c.snapshot().Ops)
	}
}
