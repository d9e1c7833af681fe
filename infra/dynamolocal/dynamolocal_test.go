package dynamolocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/truora/minidyn/server"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitHealthy polls GET / until the server answers, within a bounded time.
func waitHealthy(t *testing.T, endpoint string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(string(body), "healthy") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s not healthy: %v", endpoint, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestServerHealthAndChecksumHeader(t *testing.T) {
	srv, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %s", srv.Endpoint())
	}
	waitHealthy(t, srv.Endpoint())

	for _, tc := range []struct{ target, body string }{
		{"DynamoDB_20120810.ListTables", `{}`},
		{"DynamoDB_20120810.DescribeTable", `{"TableName":"missing"}`},
		{"DynamoDB_20120810.DescribeTimeToLive", `{"TableName":"missing"}`},
		{"DynamoDB_20120810.DescribeLimits", `{}`},
		{"", `{}`},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.Endpoint()+"/", strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Target", tc.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
		if got := resp.Header.Get("X-Amz-Crc32"); got != want {
			t.Errorf("%s: X-Amz-Crc32 %q, want %q", tc.target, got, want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
			t.Errorf("%s: content type %q (body %s)", tc.target, ct, body)
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no request id", tc.target)
		}
		if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			t.Errorf("%s: body is not JSON: %s", tc.target, body)
		}
	}
}

// capture is an SDK logger that records every line.
type capture struct {
	mu    sync.Mutex
	lines []string
}

func (c *capture) Logf(cls logging.Classification, format string, v ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, string(cls)+": "+fmt.Sprintf(format, v...))
}

func (c *capture) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

// exercise runs a mix of calls the store uses against a table.
func exercise(ctx context.Context, t *testing.T, c *dynamodb.Client, table string) {
	t.Helper()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{"PK": s("A"), "SK": s("1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s("A"), "SK": s("1")}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &table, Item: map[string]types.AttributeValue{"PK": s("A"), "SK": s("1")},
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put: %v", err)
	}
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table}); err != nil {
		t.Fatal(err)
	}
}

func TestSDKLogsNoChecksumWarnings(t *testing.T) {
	ctx := ctxT(t)
	srv, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	logs := &capture{}
	client, err := NewClient(ctx, srv.Endpoint(), func(o *dynamodb.Options) { o.Logger = logs })
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureTable(ctx, client, testTemplate(t), "warnings"); err != nil {
		t.Fatal(err)
	}
	exercise(ctx, t, client, "warnings")
	if got := logs.all(); len(got) > 0 {
		t.Errorf("SDK logged through the wrapper: %q", got)
	}

	// Control: bare minidyn sends no checksum, and the SDK says so. This
	// proves the assertion above can fail.
	bare := httptest.NewServer(server.NewServer())
	defer bare.Close()
	bareLogs := &capture{}
	bareClient, err := NewClient(ctx, bare.URL, func(o *dynamodb.Options) { o.Logger = bareLogs })
	if err != nil {
		t.Fatal(err)
	}
	in, err := testTemplate(t).TableInput("bare")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bareClient.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	exercise(ctx, t, bareClient, "bare")
	if !slices.ContainsFunc(bareLogs.all(), func(l string) bool { return strings.Contains(l, "checksum") }) {
		t.Errorf("control: expected checksum warnings from bare minidyn, got %q", bareLogs.all())
	}
}

func TestTransactionWithConditions(t *testing.T) {
	ctx := ctxT(t)
	client, table := StartForTest(t)

	createUser := func(id, email string) error {
		_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName:           &table,
				Item:                map[string]types.AttributeValue{"PK": s("USER#" + id), "SK": s("PROFILE"), "email": s(email)},
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
			{Put: &types.Put{
				TableName:           &table,
				Item:                map[string]types.AttributeValue{"PK": s("EMAIL#" + email), "SK": s("EMAIL"), "user": s(id)},
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
		}})
		return err
	}
	if err := createUser("u1", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	err := createUser("u2", "a@example.com")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("duplicate email: %v", err)
	}
	codes := []string{}
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if !slices.Equal(codes, []string{"None", "ConditionalCheckFailed"}) {
		t.Errorf("cancellation reasons %v", codes)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s("USER#u2"), "SK": s("PROFILE")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Item != nil {
		t.Error("cancelled transaction left a partial write")
	}

	// ConditionCheck plus a numeric condition on an update.
	_, err = client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: &table, Key: map[string]types.AttributeValue{"PK": s("EMAIL#a@example.com"), "SK": s("EMAIL")},
			ConditionExpression: aws.String("#u = :u"), ExpressionAttributeNames: map[string]string{"#u": "user"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": s("u1")},
		}},
		{Update: &types.Update{
			TableName: &table, Key: map[string]types.AttributeValue{"PK": s("USER#u1"), "SK": s("PROFILE")},
			UpdateExpression:          aws.String("SET version = if_not_exists(version, :zero) + :one"),
			ConditionExpression:       aws.String("attribute_not_exists(version) OR version < :max"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n(0), ":one": n(1), ":max": n(5)},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConditionalRaceHasOneWinner(t *testing.T) {
	ctx := ctxT(t)
	client, table := StartForTest(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                &table,
				Key:                      map[string]types.AttributeValue{"PK": s("LEASE#agent"), "SK": s("LEASE")},
				UpdateExpression:         aws.String("SET #o = :me, epoch = if_not_exists(epoch, :zero) + :one"),
				ConditionExpression:      aws.String("attribute_not_exists(PK)"),
				ExpressionAttributeNames: map[string]string{"#o": "owner"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":me": s(strconv.Itoa(i)), ":zero": n(0), ":one": n(1),
				},
			})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.As(err, &ccf):
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d winners", wins.Load())
	}
}

func TestGSIQueryWithPaging(t *testing.T) {
	ctx := ctxT(t)
	client, table := StartForTest(t)
	for i := range 5 {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
			"PK": s(fmt.Sprintf("USER#%d", i)), "SK": s("PROFILE"),
			"GSI1PK": s("TENANT#t1"), "GSI1SK": s(fmt.Sprintf("USER#%d", i)),
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"PK": s("USER#x"), "SK": s("PROFILE"), "GSI1PK": s("TENANT#t2"), "GSI1SK": s("USER#x"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var start map[string]types.AttributeValue
	pages := 0
	for {
		out, err := client.Query(ctx, &dynamodb.QueryInput{
			TableName: &table, IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("GSI1PK = :t AND begins_with(GSI1SK, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("TENANT#t1"), ":p": s("USER#")},
			Limit:                     aws.Int32(2), ExclusiveStartKey: start,
		})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range out.Items {
			seen = append(seen, it["PK"].(*types.AttributeValueMemberS).Value)
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if want := []string{"USER#0", "USER#1", "USER#2", "USER#3", "USER#4"}; !slices.Equal(seen, want) {
		t.Errorf("query returned %v, want %v", seen, want)
	}
	if pages < 3 {
		t.Errorf("%d pages for 5 items at limit 2", pages)
	}
}

func TestTTLAndListTablesAnswered(t *testing.T) {
	ctx := ctxT(t)
	srv, client, table := StartServerForTest(t)
	_ = srv

	d, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	if d.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.TimeToLiveDescription.AttributeName) != "ttl" {
		t.Errorf("TTL %+v", d.TimeToLiveDescription)
	}
	// Enabling twice is refused, as by DynamoDB; EnsureTable stays idempotent.
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}})
	if apiCode(err) != "ValidationException" {
		t.Errorf("second enable: %v", err)
	}
	if err := EnsureTable(ctx, client, testTemplate(t), table); err != nil {
		t.Errorf("EnsureTable again: %v", err)
	}
	u, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(false)}})
	if err != nil || aws.ToBool(u.TimeToLiveSpecification.Enabled) {
		t.Fatalf("disable: %+v %v", u, err)
	}
	d, err = client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil || d.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Errorf("after disable: %+v %v", d, err)
	}
	_, err = client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("TTL of a missing table: %v", err)
	}

	// ListTables with paging.
	for _, name := range []string{"b-table", "a-table", "c-table"} {
		if err := EnsureTable(ctx, client, testTemplate(t), name); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, out.TableNames...)
	}
	want := []string{"a-table", "b-table", "c-table", table}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("tables %v, want %v", names, want)
	}
	if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("b-table")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || slices.Contains(out.TableNames, "b-table") {
		t.Errorf("after delete: %v %v", out.TableNames, err)
	}
}

func TestDescribeTableCompleteAndWaiterWorks(t *testing.T) {
	ctx := ctxT(t)
	client, table := StartForTest(t)
	w := dynamodb.NewTableExistsWaiter(client)
	out, err := w.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: &table}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if d.TableStatus != types.TableStatusActive || aws.ToString(d.TableArn) != TableARN(table) || d.CreationDateTime == nil {
		t.Errorf("description %+v", d)
	}
	if len(d.AttributeDefinitions) != 4 || d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("attribute definitions %v billing %+v", d.AttributeDefinitions, d.BillingModeSummary)
	}
	if len(d.GlobalSecondaryIndexes) != 1 || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive {
		t.Errorf("GSIs %+v", d.GlobalSecondaryIndexes)
	}
	if _, err := client.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{}); apiCode(err) != "UnknownOperationException" {
		t.Errorf("unsupported operation: %v", err)
	}
}

func fastRetries(max int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = max
			so.RateLimiter = ratelimit.None
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
}

func TestFaultInjection(t *testing.T) {
	ctx := ctxT(t)
	srv, _, table := StartServerForTest(t)
	retrying, err := NewClient(ctx, srv.Endpoint(), fastRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	once, err := NewClient(ctx, srv.Endpoint(), fastRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{"PK": s("A"), "SK": s("1")}

	// Two throttles, then success: the SDK retries through them.
	srv.InjectFault(Fault{Operation: "PutItem", Table: table, Times: 2})
	out, err := retrying.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item})
	if err != nil {
		t.Fatal(err)
	}
	if attempts, ok := retry.GetAttemptResults(out.ResultMetadata); !ok || len(attempts.Results) != 3 {
		t.Errorf("attempts %+v", attempts.Results)
	}

	// A standing fault surfaces once retries are exhausted; other
	// operations and tables are untouched; remove ends it.
	remove := srv.InjectFault(Fault{Operation: "GetItem", Code: CodeProvisionedThroughputExceeded})
	_, err = once.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item})
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Errorf("GetItem under fault: %v", err)
	}
	if _, err := once.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Errorf("PutItem not covered by the fault: %v", err)
	}
	remove()
	if _, err := once.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item}); err != nil {
		t.Errorf("after remove: %v", err)
	}

	// A 5xx on a transaction.
	srv.InjectFault(Fault{Operation: "TransactWriteItems", Code: CodeInternalServerError, Times: 1})
	_, err = once.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: map[string]types.AttributeValue{"PK": s("B"), "SK": s("1")}}},
	}})
	var ise *types.InternalServerError
	if !errors.As(err, &ise) {
		t.Errorf("transaction under fault: %v", err)
	}

	// minidyn's own emulation, server-wide and per table.
	srv.EmulateFailure(FailureInternalServerError)
	_, err = once.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item})
	if !errors.As(err, &ise) {
		t.Errorf("EmulateFailure: %v", err)
	}
	srv.EmulateFailure(FailureNone)
	srv.EmulateFailureForTable(table, FailureInternalServerError, "GSI1")
	_, err = once.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("x")}})
	if !errors.As(err, &ise) {
		t.Errorf("EmulateFailureForTable on GSI1: %v", err)
	}
	if _, err := once.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item}); err != nil {
		t.Errorf("base table while its GSI fails: %v", err)
	}
	srv.EmulateFailureForTable(table, FailureNone, "GSI1")

	// Unprocessed batch items.
	srv.EmulateUnprocessedItems(table, func(i int, _ map[string]*server.AttributeValue) bool { return i == 1 })
	bw, err := once.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"PK": s("C"), "SK": s("1")}}},
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"PK": s("C"), "SK": s("2")}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bw.UnprocessedItems[table]) != 1 {
		t.Errorf("unprocessed %+v", bw.UnprocessedItems)
	}
	srv.EmulateUnprocessedItems(table, nil)
}

func TestStartForTestHonoursEndpointEnv(t *testing.T) {
	ctx := ctxT(t)
	other, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() }) // after StartForTest's cleanup
	t.Setenv(EndpointEnv, other.Endpoint())
	_, table := StartForTest(t)
	direct, err := NewClient(ctx, other.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	out, err := direct.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.TableNames, []string{table}) {
		t.Errorf("tables on %s: %v, want [%s]", EndpointEnv, out.TableNames, table)
	}
}

func TestParallelTablesOnSharedServer(t *testing.T) {
	for i := range 8 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			client, table := StartForTest(t)
			exercise(ctx, t, client, table)
			out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: &table})
			if err != nil {
				t.Fatal(err)
			}
			if out.Count != 1 {
				t.Errorf("table %s sees %d items", table, out.Count)
			}
		})
	}
}

func TestBadAddressAndEndpoint(t *testing.T) {
	if _, err := Start("nonsense"); err == nil {
		t.Error("Start(nonsense) succeeded")
	}
	if _, err := NewClient(context.Background(), "127.0.0.1:8000"); err == nil {
		t.Error("endpoint without scheme accepted")
	}
	name := TestTableName(t)
	if len(name) < 3 || len(name) > 255 || strings.ContainsAny(name, "/ ") {
		t.Errorf("table name %q", name)
	}
}
