package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/infra/router"
	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/infra/wslocal"
	"github.com/agentdesk/agentdesk/shared/client"
)

// loopback lets the kernel pick a free port, so the bench never collides
// with `make run` (127.0.0.1:3000, :3001, :8000, :8005).
const loopback = "127.0.0.1:0"

// env is the stack under measurement.
//
// One embedded DynamoDB (dynamolocal's handler) listens twice, each
// listener behind its own counter:
//   - the stack's listener serves localstack.Start's own client: table
//     set-up, the demo seed and the mailer poller's sweeps and deliveries;
//   - the API's listener serves the measured API only.
//
// The measured API is the stack's code wired a second time, exactly as
// localstack.Start wires it (app.New with the push Notifier and URL,
// router.NewFromTemplate over template.yaml, a local WebSocket gateway
// serving the PushFunction's handler), with the same keys and policy but a
// DynamoDB client of its own (keep the two in step). So the per-operation
// counts hold the API's requests, push channel included, and nothing of
// the poller running in the background.
//
// The measured API's handlers are timed (handlers: from the request
// reaching the router, or the WebSocket event reaching the push handler,
// to the answer: the bench's stand-in for Lambda's billed duration) and
// its log output is counted (logs: what CloudWatch would ingest from the
// application).
type env struct {
	Stack   *localstack.Stack
	App     *app.App // the measured API's services
	APIURL  string   // the measured API
	PushURL string   // the measured API's push channel
	Policy  auth.Policy

	apiDB, stackDB *counter
	handlers       *timer
	logs           *byteCounter
	push           *wslocal.Server
	stackEndpoint  string
	servers        []*http.Server
	hc             *http.Client
	closed         bool
	closing        atomic.Bool // measurements over: see timer.push
}

func startEnv(ctx context.Context, policy auth.Policy, log *slog.Logger, logTo io.Writer) (e *env, err error) {
	e = &env{Policy: policy, handlers: newTimer(), logs: &byteCounter{}}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	db := dynamolocal.NewHandler()
	e.stackDB, e.apiDB = newCounter(db), newCounter(db)
	stackEndpoint, err := e.serve(e.stackDB)
	e.stackEndpoint = stackEndpoint
	if err != nil {
		return e, fmt.Errorf("dynamodb: %w", err)
	}
	apiEndpoint, err := e.serve(e.apiDB)
	if err != nil {
		return e, fmt.Errorf("dynamodb: %w", err)
	}
	k := keys.Random()
	cfg := localstack.Config{DynamoAddr: loopback, SESAddr: loopback, APIAddr: loopback, PushAddr: loopback, Table: "agentdesk-bench"}
	e.Stack, err = localstack.Start(ctx, cfg, localstack.Options{Log: log, Keys: k, Policy: &policy, DynamoEndpoint: stackEndpoint})
	if err != nil {
		return e, err
	}

	// The measured API.
	tpl, err := template.LoadDefault()
	if err != nil {
		return e, err
	}
	apiClient, err := dynamolocal.NewClient(ctx, apiEndpoint)
	if err != nil {
		return e, err
	}
	ln, err := net.Listen("tcp", loopback)
	if err != nil {
		return e, err
	}
	e.APIURL = "http://" + ln.Addr().String()
	// The measured API logs apart, through a byte counter.
	apiLog := slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, logTo), nil))
	// As localstack.Start: a local WebSocket gateway for the push channel,
	// and the push Notifier posting to its management API, reading
	// connections through the API's own client.
	if e.push, err = wslocal.Listen(loopback, wslocal.Options{Routes: wslocal.RouteKeys(tpl), Timeout: tpl.FunctionTimeout("PushFunction"), Log: log}); err != nil {
		_ = ln.Close()
		return e, fmt.Errorf("push: %w", err)
	}
	e.PushURL = e.push.URL()
	notifier := app.NewPushNotifier(dynamo.New(apiClient, cfg.Table), e.push.ManagementEndpoint(), aws.Config{
		Region: wslocal.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, apiLog)
	e.App = app.New(apiClient, app.Config{Table: cfg.Table, Keys: k, BaseURL: e.APIURL, Log: apiLog, Policy: &policy,
		Notifier: notifier, PushURL: e.PushURL})
	e.push.Serve(e.handlers.push(wslocal.LambdaInvoker("PushFunction", e.App.PushHandler().Handle), &e.closing))
	e.App.Auth.OnOutbox = e.Stack.Poller.Wake // mail goes out at once, as on the stack's own API
	if a, b := slices.Sorted(maps.Keys(e.App.Handlers)), slices.Sorted(maps.Keys(e.Stack.App.Handlers)); !slices.Equal(a, b) {
		_ = ln.Close()
		return e, fmt.Errorf("bench wiring out of step with localstack: functions %v, stack has %v", a, b)
	}
	h, err := router.NewFromTemplate(tpl, e.App.Handlers)
	if err != nil {
		_ = ln.Close()
		return e, err
	}
	e.start(ln, e.handlers.http(h))

	jar, _ := cookiejar.New(nil)
	e.hc = &http.Client{Timeout: 30 * time.Second, Jar: jar, Transport: &http.Transport{
		MaxIdleConns: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: time.Minute,
	}}
	return e, nil
}

// maxConns bounds the bench's keep-alive connections to the API (and its
// concurrent clients).
const maxConns = 64

// serve runs h on a free loopback port and returns its URL.
func (e *env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", loopback)
	if err != nil {
		return "", err
	}
	e.start(ln, h)
	return "http://" + ln.Addr().String(), nil
}

func (e *env) start(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	e.servers = append(e.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// client is an API client of the measured API, signed in with token when
// it is not empty.
func (e *env) client(token string) *client.Client {
	opts := []client.Option{client.WithHTTPClient(e.hc), client.WithUserAgent("agentdesk-bench/1")}
	if token != "" {
		opts = append(opts, client.WithAccessToken(token))
	}
	return client.New(e.APIURL, opts...)
}

// tableItems counts the items of the table (a Scan through the stack's
// listener, so no measured count changes).
func (e *env) tableItems(ctx context.Context) (int, error) {
	db, err := dynamolocal.NewClient(ctx, e.stackEndpoint)
	if err != nil {
		return 0, err
	}
	n := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(e.Stack.Config.Table), Select: types.SelectCount})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += int(out.Count)
	}
	return n, nil
}

// Close stops the measured API (its push gateway first: the connections'
// $disconnect still reach the API's DynamoDB), the stack, then the
// database listeners.
func (e *env) Close() {
	if e.closed {
		return
	}
	e.closed = true
	e.closing.Store(true)
	if e.push != nil {
		_ = e.push.Close()
	}
	if e.App != nil && len(e.servers) > 0 {
		// The measured API was started last.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = e.servers[len(e.servers)-1].Shutdown(ctx)
		cancel()
	}
	if e.Stack != nil {
		e.Stack.Close()
	}
	for _, s := range e.servers {
		_ = s.Close()
	}
}
