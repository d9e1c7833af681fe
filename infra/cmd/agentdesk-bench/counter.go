package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// counter sits in front of the embedded DynamoDB's http.Handler and counts
// the requests passing through it by operation (the X-Amz-Target header),
// the items written by TransactWriteItems calls, SDK retries, error
// answers by code, the time spent answering, and which kinds of item each
// request reads or writes (see access). It records nothing else of a
// request.
type counter struct {
	next http.Handler

	mu   sync.Mutex
	now  counts
	gate chan struct{} // while not nil, requests wait for it to close
	held int           // requests that waited
}

// counts is a snapshot of a counter.
type counts struct {
	Ops     map[string]int // operation -> requests
	TxItems int            // items in TransactWriteItems requests
	// Time is the time spent inside the DynamoDB handler (which serialises
	// requests, so waiting for another request's turn is included);
	// OpTime splits it by operation.
	Time   time.Duration
	OpTime map[string]time.Duration
	// Errors counts error answers (4xx, 5xx) by "operation code", e.g.
	// "UpdateItem ConditionalCheckFailedException"; they are in Ops too.
	Errors map[string]int
	// Retries counts requests the SDK sent again (its amz-sdk-request
	// header says attempt=2 or more), by operation; they are in Ops too.
	Retries map[string]int
	// Access counts the items requests touched, by access (see access),
	// e.g. "GetItem T/U consistent" or "TransactWriteItems Put T/LEASE":
	// what DynamoDB bills capacity units for.
	Access map[string]int
}

func newCounter(next http.Handler) *counter {
	return &counter{next: next, now: counts{Ops: map[string]int{}, Errors: map[string]int{}, Retries: map[string]int{}, Access: map[string]int{},
		OpTime: map[string]time.Duration{}}}
}

// maxTxBody bounds what the counter reads of a request to see what it
// touches (DynamoDB's own request limit).
const maxTxBody = 16 << 20

// hold makes the requests that arrive from now on wait until release.
func (c *counter) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate == nil {
		c.gate = make(chan struct{})
	}
}

// release lets held requests through and returns how many there were
// since the counter was made.
func (c *counter) release() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate != nil {
		close(c.gate)
		c.gate = nil
	}
	return c.held
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	gate := c.gate
	if gate != nil {
		c.held++
	}
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if !ok || op == "" {
		op = "(" + r.Method + " " + r.URL.Path + ")"
	}
	items := 0
	var touched []string
	if r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTxBody))
		if err == nil {
			touched = access(op, body)
			if op == "TransactWriteItems" {
				var tx struct{ TransactItems []json.RawMessage }
				if json.Unmarshal(body, &tx) == nil {
					items = len(tx.TransactItems)
				}
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	retry := attempt(r.Header.Get("amz-sdk-request")) > 1
	c.mu.Lock()
	c.now.Ops[op]++
	c.now.TxItems += items
	if retry {
		c.now.Retries[op]++
	}
	for _, a := range touched {
		c.now.Access[a]++
	}
	c.mu.Unlock()
	tw := &countingWriter{ResponseWriter: w, start: time.Now(), c: c, op: op, status: http.StatusOK}
	c.next.ServeHTTP(tw, r)
	tw.finish(nil)
}

// countingWriter records the time and any error of an answer before the
// answer leaves, so a snapshot taken once the caller has it includes them.
type countingWriter struct {
	http.ResponseWriter
	start  time.Time
	c      *counter
	op     string
	status int
	done   bool
}

func (t *countingWriter) WriteHeader(status int) {
	t.status = status
	t.ResponseWriter.WriteHeader(status)
}

func (t *countingWriter) Write(b []byte) (int, error) {
	t.finish(b)
	return t.ResponseWriter.Write(b)
}

// finish records the answer once, with the start of its body (where
// DynamoDB's JSON errors name their type).
func (t *countingWriter) finish(body []byte) {
	if t.done {
		return
	}
	t.done = true
	took := time.Since(t.start)
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.now.Time += took
	t.c.now.OpTime[t.op] += took
	if t.status >= 400 {
		t.c.now.Errors[t.op+" "+errorType(t.status, body)]++
	}
}

// errorType is the error's type from a DynamoDB JSON error body
// ({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}),
// or "HTTP <status>".
func errorType(status int, body []byte) string {
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		_, code, _ := strings.Cut(e.Type, "#")
		if code == "" {
			code = e.Type
		}
		return code
	}
	return "HTTP " + strconv.Itoa(status)
}

// attempt reads the attempt number from the SDK's amz-sdk-request header
// ("attempt=2; max=3"); 0 when absent.
func attempt(h string) int {
	for _, part := range strings.Split(h, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// snapshot returns the counts so far.
func (c *counter) snapshot() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return counts{Ops: maps.Clone(c.now.Ops), TxItems: c.now.TxItems, Time: c.now.Time, Errors: maps.Clone(c.now.Errors),
		Retries: maps.Clone(c.now.Retries), Access: maps.Clone(c.now.Access), OpTime: maps.Clone(c.now.OpTime)}
}

// since returns the counts added after before was taken.
func (c *counter) since(before counts) counts {
	return c.snapshot().sub(before)
}

// sub is c minus o, dropping operations that did not change.
func (c counts) sub(o counts) counts {
	out := counts{Ops: diff(c.Ops, o.Ops), TxItems: c.TxItems - o.TxItems, Time: c.Time - o.Time,
		Errors: diff(c.Errors, o.Errors), Retries: diff(c.Retries, o.Retries), Access: diff(c.Access, o.Access),
		OpTime: map[string]time.Duration{}}
	for k, v := range c.OpTime {
		if d := v - o.OpTime[k]; d != 0 {
			out.OpTime[k] = d
		}
	}
	return out
}

// diff is a - b by key, without the keys that did not change.
func diff(a, b map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range a {
		if d := n - b[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// firstAttempts is c without the SDK's retries.
func (c counts) firstAttempts() counts {
	out := c
	out.Ops = diff(c.Ops, c.Retries)
	return out
}

// total is the number of requests of every operation.
func (c counts) total() int {
	n := 0
	for _, v := range c.Ops {
		n += v
	}
	return n
}

// opOrder puts the usual operations first, reads before writes.
var opOrder = []string{"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan",
	"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

// columns lists the operations present in any of cs, in opOrder and then by
// name.
func columns(cs ...counts) []string {
	seen := map[string]bool{}
	for _, c := range cs {
		for op := range c.Ops {
			seen[op] = true
		}
	}
	var out []string
	for _, op := range opOrder {
		if seen[op] {
			out = append(out, op)
			delete(seen, op)
		}
	}
	rest := slices.Sorted(maps.Keys(seen))
	return append(out, rest...)
}

// access names what one DynamoDB request touches, one entry per item (or
// per Query/Scan): "<op> <kind> consistent|eventual" for reads,
// "<op> <kind>" for writes, "TransactWriteItems <action> <kind>" for each
// item of a transaction. The kind is the first segment of the item's
// partition key and of its sort key ("T/U" for T#<tenant> / U#<user>, see
// itemKind); for a Query it is the index ("table" or its name).
func access(op string, body []byte) []string {
	type key map[string]struct{ S string }
	var req struct {
		Key            key
		Item           key
		IndexName      string
		ConsistentRead bool
		TransactItems  []map[string]struct {
			Key  key
			Item key
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	consistency := func() string {
		if req.ConsistentRead {
			return "consistent"
		}
		return "eventual"
	}
	kindOf := func(k key) string { return itemKind(k["PK"].S, k["SK"].S) }
	switch op {
	case "GetItem":
		return []string{op + " " + kindOf(req.Key) + " " + consistency()}
	case "Query", "Scan":
		index := req.IndexName
		if index == "" {
			index = "table"
		}
		return []string{op + " " + index + " " + consistency()}
	case "PutItem":
		return []string{op + " " + kindOf(req.Item)}
	case "UpdateItem", "DeleteItem":
		return []string{op + " " + kindOf(req.Key)}
	case "TransactWriteItems":
		var out []string
		for _, it := range req.TransactItems {
			for action, v := range it {
				k := v.Key
				if action == "Put" {
					k = v.Item
				}
				out = append(out, op+" "+action+" "+kindOf(k))
			}
		}
		return out
	}
	return nil
}

// itemKind is the first segment of a partition key and of a sort key:
// "T/U" for T#<tenant> / U#<user>, "CONN/GUARD" for CONN#<id> / GUARD.
func itemKind(pk, sk string) string {
	p, _, _ := strings.Cut(pk, "#")
	s, _, _ := strings.Cut(sk, "#")
	if p == "" {
		p = "?"
	}
	if s == "" {
		s = "?"
	}
	return p + "/" + s
}
