// Package dynamolocal is the embedded DynamoDB of the local stack: minidyn's
// HTTP server (github.com/truora/minidyn/server) behind a thin wrapper that
// fills the gaps the AWS SDK trips on.
//
// The wrapper
//   - answers UpdateTimeToLive, DescribeTimeToLive and ListTables itself
//     (minidyn answers them with a plain-text 400 the SDK cannot parse); the
//     TTL setting is remembered per table but, as with real DynamoDB's lazy
//     deletion, expired items are not removed: reads must check expiry;
//   - completes table descriptions (TableStatus, TableArn, CreationDateTime,
//     AttributeDefinitions, BillingModeSummary) so waiters and tools work;
//   - answers unknown operations with a JSON UnknownOperationException;
//   - adds X-Amz-Crc32 (CRC-32 IEEE of the body) and x-amzn-RequestId to
//     every response, so the SDK validates bodies instead of warning;
//   - serialises calls into minidyn, whose table map is not safe for
//     concurrent CreateTable/DeleteTable and data calls;
//   - can inject faults (throttling, 5xx) on top of minidyn's own failure
//     emulation, see InjectFault and EmulateFailure.
//
// It logs nothing unless Logger is set, and then only operation names, table
// names, status codes and durations: never item data or request headers.
package dynamolocal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/truora/minidyn/server"
)

// FailureCondition is minidyn's failure emulation mode, see EmulateFailure.
type FailureCondition = server.FailureCondition

// Failure conditions understood by EmulateFailure and EmulateFailureForTable.
const (
	// FailureNone clears the emulated failure.
	FailureNone = server.FailureConditionNone
	// FailureInternalServerError makes calls fail with a 500 InternalServerError.
	FailureInternalServerError = server.FailureConditionInternalServerError
)

// Error codes for InjectFault, as DynamoDB sends them.
const (
	CodeThrottling                    = "ThrottlingException"
	CodeProvisionedThroughputExceeded = "ProvisionedThroughputExceededException"
	CodeRequestLimitExceeded          = "RequestLimitExceeded"
	CodeTransactionConflict           = "TransactionConflictException"
	CodeInternalServerError           = "InternalServerError"
	CodeServiceUnavailable            = "ServiceUnavailable"
)

// Region and AccountID appear in the ARNs the handler makes up.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// maxRequestBody bounds a request body (DynamoDB's own limit is 16 MB).
const maxRequestBody = 16 << 20

const (
	targetPrefix = "DynamoDB_20120810."
	contentType  = "application/x-amz-json-1.0"
	errorPrefix  = "com.amazonaws.dynamodb.v20120810#"
)

// minidynOps are the operations minidyn's server answers.
var minidynOps = map[string]bool{
	"CreateTable": true, "UpdateTable": true, "DeleteTable": true, "DescribeTable": true,
	"PutItem": true, "DeleteItem": true, "UpdateItem": true, "GetItem": true,
	"Query": true, "Scan": true, "BatchWriteItem": true, "BatchGetItem": true,
	"TransactWriteItems": true, "TransactGetItems": true,
}

// Handler is an http.Handler speaking DynamoDB's JSON protocol.
type Handler struct {
	// Logger, when set, receives one debug line per request (operation,
	// tables, status, duration).
	Logger *slog.Logger

	mu     sync.Mutex // serialises everything below and every call into md
	md     *server.Server
	tables map[string]*tableMeta
	faults []*fault
}

type tableMeta struct {
	created    time.Time
	attrDefs   json.RawMessage
	billing    string
	ttlAttr    string
	ttlEnabled bool
}

// Fault describes an error the handler returns instead of running matching
// requests.
type Fault struct {
	// Operation is the DynamoDB operation to fail, e.g. "TransactWriteItems";
	// "" fails every operation.
	Operation string
	// Table restricts the fault to requests touching this table; "" matches
	// every table.
	Table string
	// Code is the error code; CodeThrottling when empty.
	Code string
	// Message is the error message; a generic one when empty.
	Message string
	// Status is the HTTP status; derived from Code when 0 (500 for
	// InternalServerError, 503 for ServiceUnavailable, else 400).
	Status int
	// Times is how many matching requests fail before the fault lapses;
	// 0 means until removed.
	Times int
}

type fault struct {
	Fault
	left int // remaining failures when Times > 0
}

// NewHandler returns a handler backed by a fresh, empty minidyn server.
func NewHandler() *Handler {
	return &Handler{md: server.NewServer(), tables: map[string]*tableMeta{}}
}

// InjectFault makes matching requests fail with f's error until f lapses
// (see Fault.Times) or remove is called. Faults are checked in the order
// they were injected, before minidyn sees the request.
func (h *Handler) InjectFault(f Fault) (remove func()) {
	if f.Code == "" {
		f.Code = CodeThrottling
	}
	if f.Status == 0 {
		switch f.Code {
		case CodeInternalServerError:
			f.Status = http.StatusInternalServerError
		case CodeServiceUnavailable:
			f.Status = http.StatusServiceUnavailable
		default:
			f.Status = http.StatusBadRequest
		}
	}
	if f.Message == "" {
		f.Message = "emulated " + f.Code
	}
	ft := &fault{Fault: f, left: f.Times}
	h.mu.Lock()
	h.faults = append(h.faults, ft)
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, x := range h.faults {
			if x == ft {
				h.faults = append(h.faults[:i], h.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault added with InjectFault.
func (h *Handler) ClearFaults() {
	h.mu.Lock()
	h.faults = nil
	h.mu.Unlock()
}

// EmulateFailure sets minidyn's server-wide failure emulation: every call
// fails with the condition's error until EmulateFailure(FailureNone). It
// affects every table of the server; prefer EmulateFailureForTable or
// InjectFault on a shared server.
func (h *Handler) EmulateFailure(c FailureCondition) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.md.EmulateFailure(c)
}

// EmulateFailureForTable scopes minidyn's failure emulation to one table, or
// to one of its indexes.
func (h *Handler) EmulateFailureForTable(table string, c FailureCondition, index ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.md.EmulateFailureForTable(table, c, index...)
}

// EmulateUnprocessedItems makes BatchWriteItem and BatchGetItem leave the
// sub-requests of table that match unprocessed; nil match clears it.
func (h *Handler) EmulateUnprocessedItems(table string, match func(n int, raw map[string]*server.AttributeValue) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.md.EmulateUnprocessedItems(table, match)
}

// ClearTable deletes every item of a table, keeping the table.
func (h *Handler) ClearTable(table string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.md.ClearTable(table)
}

// Reset drops every table.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	_ = h.md.Reset()
	h.tables = map[string]*tableMeta{}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{header: http.Header{}}
	op, tables := h.serve(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	body := rec.body.Bytes()
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.Header().Set("x-amzn-RequestId", requestID())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
	if h.Logger != nil {
		h.Logger.Debug("dynamodb", "op", op, "tables", tables, "status", rec.status, "duration", time.Since(start))
	}
}

func (h *Handler) serve(w *recorder, r *http.Request) (op string, tables []string) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		// Real DynamoDB endpoints answer a health check on GET /.
		w.header.Set("Content-Type", "text/plain")
		_, _ = io.WriteString(&w.body, "healthy: dynamolocal\n")
		return "health", nil
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "only POST is supported")
		return "", nil
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || op == "" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "missing or unknown X-Amz-Target")
		return "", nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "cannot read request body")
		return op, nil
	}
	if len(body) > maxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "ValidationException", "request body too large")
		return op, nil
	}
	tables = tablesOf(op, body)

	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.matchFault(op, tables); f != nil {
		writeError(w, f.Status, f.Code, f.Message)
		return op, tables
	}
	switch op {
	case "UpdateTimeToLive":
		h.updateTTL(w, body)
	case "DescribeTimeToLive":
		h.describeTTL(w, body)
	case "ListTables":
		h.listTables(w, body)
	default:
		if !minidynOps[op] {
			writeError(w, http.StatusBadRequest, "UnknownOperationException", op+" is not supported by the local DynamoDB")
			return op, tables
		}
		inner := r.Clone(r.Context())
		inner.Body = io.NopCloser(bytes.NewReader(body))
		inner.ContentLength = int64(len(body))
		h.md.ServeHTTP(w, inner)
		h.afterMinidyn(w, op, body)
	}
	return op, tables
}

// matchFault returns the first fault matching the request and counts it.
// Callers hold h.mu.
func (h *Handler) matchFault(op string, tables []string) *fault {
	for i, f := range h.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Table != "" && !contains(tables, f.Table) {
			continue
		}
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				h.faults = append(h.faults[:i], h.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// afterMinidyn keeps the table registry and completes table descriptions.
// Callers hold h.mu.
func (h *Handler) afterMinidyn(w *recorder, op string, body []byte) {
	if w.status != 0 && w.status != http.StatusOK {
		return
	}
	var req struct {
		TableName            string
		AttributeDefinitions json.RawMessage
		BillingMode          string
	}
	_ = json.Unmarshal(body, &req)
	field := "TableDescription"
	switch op {
	case "CreateTable":
		billing := req.BillingMode
		if billing == "" {
			billing = "PROVISIONED"
		}
		h.tables[req.TableName] = &tableMeta{created: time.Now(), attrDefs: req.AttributeDefinitions, billing: billing}
	case "UpdateTable":
		if m := h.tables[req.TableName]; m != nil && len(req.AttributeDefinitions) > 0 {
			m.attrDefs = mergeAttrDefs(m.attrDefs, req.AttributeDefinitions)
		}
		if m := h.tables[req.TableName]; m != nil && req.BillingMode != "" {
			m.billing = req.BillingMode
		}
	case "DescribeTable":
		field = "Table"
	case "DeleteTable":
	default:
		return
	}
	meta := h.tables[req.TableName]
	if op == "DeleteTable" {
		delete(h.tables, req.TableName)
	}
	if meta == nil {
		return
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(w.body.Bytes(), &resp); err != nil {
		return
	}
	var desc map[string]any
	if err := json.Unmarshal(resp[field], &desc); err != nil || desc == nil {
		return
	}
	completeDescription(desc, req.TableName, meta, op == "DeleteTable")
	raw, err := json.Marshal(desc)
	if err != nil {
		return
	}
	resp[field] = raw
	out, err := json.Marshal(resp)
	if err != nil {
		return
	}
	w.body.Reset()
	w.body.Write(out)
}

// completeDescription drops the null and empty fields minidyn encodes and adds
// those DynamoDB always sends.
func completeDescription(desc map[string]any, name string, meta *tableMeta, deleting bool) {
	pruneEmpty(desc)
	status := "ACTIVE"
	if deleting {
		status = "DELETING"
	}
	desc["TableStatus"] = status
	desc["TableArn"] = TableARN(name)
	desc["CreationDateTime"] = float64(meta.created.UnixMilli()) / 1000
	if len(meta.attrDefs) > 0 {
		desc["AttributeDefinitions"] = meta.attrDefs
	}
	desc["BillingModeSummary"] = map[string]any{"BillingMode": meta.billing}
	if gsis, ok := desc["GlobalSecondaryIndexes"].([]any); ok {
		for _, g := range gsis {
			if gm, ok := g.(map[string]any); ok {
				if index, ok := gm["IndexName"].(string); ok {
					gm["IndexArn"] = TableARN(name) + "/index/" + index
				}
			}
		}
	}
}

// pruneEmpty removes nulls and empty strings, recursively.
func pruneEmpty(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil || e == "" {
				delete(x, k)
				continue
			}
			pruneEmpty(e)
		}
	case []any:
		for _, e := range x {
			pruneEmpty(e)
		}
	}
}

func mergeAttrDefs(old, add json.RawMessage) json.RawMessage {
	var a, b []map[string]any
	_ = json.Unmarshal(old, &a)
	if err := json.Unmarshal(add, &b); err != nil {
		return old
	}
	seen := map[any]bool{}
	for _, d := range a {
		seen[d["AttributeName"]] = true
	}
	for _, d := range b {
		if !seen[d["AttributeName"]] {
			a = append(a, d)
		}
	}
	out, err := json.Marshal(a)
	if err != nil {
		return old
	}
	return out
}

// TableARN returns the ARN the local DynamoDB gives a table.
func TableARN(table string) string {
	return "arn:aws:dynamodb:" + Region + ":" + AccountID + ":table/" + table
}

func (h *Handler) updateTTL(w *recorder, body []byte) {
	var req struct {
		TableName               string
		TimeToLiveSpecification *struct {
			AttributeName string
			Enabled       *bool
		}
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "cannot parse request")
		return
	}
	spec := req.TimeToLiveSpecification
	if spec == nil || spec.Enabled == nil || spec.AttributeName == "" {
		writeError(w, http.StatusBadRequest, "ValidationException", "TimeToLiveSpecification needs AttributeName and Enabled")
		return
	}
	meta := h.tables[req.TableName]
	if meta == nil {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Table: "+req.TableName+" not found")
		return
	}
	switch {
	case *spec.Enabled && meta.ttlEnabled:
		writeError(w, http.StatusBadRequest, "ValidationException", "TimeToLive is already enabled")
		return
	case !*spec.Enabled && !meta.ttlEnabled:
		writeError(w, http.StatusBadRequest, "ValidationException", "TimeToLive is already disabled")
		return
	case !*spec.Enabled && spec.AttributeName != meta.ttlAttr:
		writeError(w, http.StatusBadRequest, "ValidationException", "TimeToLive attribute name does not match the enabled attribute")
		return
	}
	meta.ttlEnabled = *spec.Enabled
	meta.ttlAttr = spec.AttributeName
	writeJSON(w, map[string]any{"TimeToLiveSpecification": map[string]any{
		"AttributeName": spec.AttributeName, "Enabled": *spec.Enabled,
	}})
}

func (h *Handler) describeTTL(w *recorder, body []byte) {
	var req struct{ TableName string }
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "cannot parse request")
		return
	}
	meta := h.tables[req.TableName]
	if meta == nil {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Table: "+req.TableName+" not found")
		return
	}
	desc := map[string]any{"TimeToLiveStatus": "DISABLED"}
	if meta.ttlEnabled {
		desc = map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": meta.ttlAttr}
	}
	writeJSON(w, map[string]any{"TimeToLiveDescription": desc})
}

func (h *Handler) listTables(w *recorder, body []byte) {
	var req struct {
		ExclusiveStartTableName string
		Limit                   *int
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "SerializationException", "cannot parse request")
			return
		}
	}
	limit := 100
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > 100 {
			writeError(w, http.StatusBadRequest, "ValidationException", "Limit must be between 1 and 100")
			return
		}
		limit = *req.Limit
	}
	names := make([]string, 0, len(h.tables))
	for n := range h.tables {
		if n > req.ExclusiveStartTableName {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	resp := map[string]any{}
	if len(names) > limit {
		names = names[:limit]
		resp["LastEvaluatedTableName"] = names[limit-1]
	}
	resp["TableNames"] = names
	writeJSON(w, resp)
}

// tablesOf returns the table names a request touches (best effort).
func tablesOf(op string, body []byte) []string {
	var req struct {
		TableName     string
		RequestItems  map[string]json.RawMessage
		TransactItems []map[string]struct{ TableName string }
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" {
			seen[n] = true
		}
	}
	add(req.TableName)
	for n := range req.RequestItems {
		add(n)
	}
	for _, item := range req.TransactItems {
		for _, action := range item {
			add(action.TableName)
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func writeJSON(w *recorder, v any) {
	w.header.Set("Content-Type", contentType)
	w.status = http.StatusOK
	_ = json.NewEncoder(&w.body).Encode(v)
}

func writeError(w *recorder, status int, code, msg string) {
	w.header.Set("Content-Type", contentType)
	w.status = status
	_ = json.NewEncoder(&w.body).Encode(map[string]string{"__type": errorPrefix + code, "message": msg})
}

// recorder buffers a response so that its checksum can be sent first.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
