package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/agentdesk/agentdesk/functions/agent"
	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/functions/mailer"
	"github.com/agentdesk/agentdesk/functions/ses"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/infra/router"
	"github.com/agentdesk/agentdesk/infra/seslocal"
	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/infra/wslocal"
)

// Sender is the From address of local mail.
const Sender = "AgentDesk <no-reply@agentdesk.test>"

// Options tune a Stack beyond its Config.
type Options struct {
	Log *slog.Logger
	// Keys, when set, replace the secret file (tests use random keys).
	Keys *keys.Keys
	// Policy overrides the auth policy (tests use cheaper hashing).
	Policy *auth.Policy
	Voice  agent.VoiceConfig
	// DynamoEndpoint, when set, uses that DynamoDB (e.g. DynamoDB Local)
	// instead of starting the embedded one.
	DynamoEndpoint string
}

// Stack is a running local AgentDesk.
type Stack struct {
	Config  Config
	DB      *dynamolocal.Server // nil when an external endpoint is used
	SES     *seslocal.Server
	App     *app.App
	Poller  *mailer.Poller
	APIURL  string
	api     *http.Server
	cancel  context.CancelFunc
	stopped chan struct{}

	// Push is the local WebSocket API; PushURL is what desktops connect to.
	Push    *wslocal.Server
	PushURL string
}

// Start brings the stack up; Close stops everything it started.
func Start(ctx context.Context, cfg Config, opt Options) (s *Stack, err error) {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	s = &Stack{Config: cfg, stopped: make(chan struct{})}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	tpl, err := template.LoadDefault()
	if err != nil {
		return s, err
	}
	endpoint := opt.DynamoEndpoint
	if endpoint == "" {
		if s.DB, err = dynamolocal.Start(cfg.DynamoAddr); err != nil {
			return s, fmt.Errorf("dynamodb on %s: %w", cfg.DynamoAddr, err)
		}
		endpoint = s.DB.Endpoint()
	}
	db, err := dynamolocal.NewClient(ctx, endpoint)
	if err != nil {
		return s, err
	}
	if err := dynamolocal.EnsureTable(ctx, db, tpl, cfg.Table); err != nil {
		return s, err
	}
	// The emulator lives until Close, not until the start-up deadline.
	if s.SES, err = seslocal.Start(context.Background(), cfg.SESAddr); err != nil {
		return s, fmt.Errorf("SES emulator on %s: %w", cfg.SESAddr, err)
	}
	sesClient, err := seslocal.NewClient(ctx, s.SES.Endpoint())
	if err != nil {
		return s, err
	}
	sender, err := ses.New(sesClient, ses.Config{From: Sender})
	if err != nil {
		return s, err
	}
	k := opt.Keys
	if k == nil {
		if k, err = keys.FromFile(cfg.SecretFile()); err != nil {
			return s, err
		}
	}
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return s, fmt.Errorf("API on %s: %w", cfg.APIAddr, err)
	}
	s.APIURL = "http://" + ln.Addr().String()
	pushAddr := cfg.PushAddr
	if pushAddr == "" {
		pushAddr = "127.0.0.1:0"
	}
	if s.Push, err = wslocal.Listen(pushAddr, wslocal.Options{Routes: wslocal.RouteKeys(tpl), Timeout: tpl.FunctionTimeout("PushFunction"), Log: log}); err != nil {
		_ = ln.Close()
		return s, fmt.Errorf("push on %s: %w", pushAddr, err)
	}
	s.PushURL = s.Push.URL()
	// The same Notifier as in AWS, posting to the local management API.
	notifier := app.NewPushNotifier(dynamo.New(db, cfg.Table), s.Push.ManagementEndpoint(), aws.Config{
		Region: wslocal.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, log)
	s.App = app.New(db, app.Config{Table: cfg.Table, Keys: k, BaseURL: s.APIURL, Voice: opt.Voice, Log: log, Policy: opt.Policy,
		Notifier: notifier, PushURL: s.PushURL})
	s.Push.Serve(wslocal.LambdaInvoker("PushFunction", s.App.PushHandler().Handle))
	s.Poller = &mailer.Poller{Processor: mailer.Processor{Store: dynamo.New(db, cfg.Table), Sender: sender, Log: log}, Interval: 2 * time.Second}
	s.App.Auth.OnOutbox = s.Poller.Wake
	h, err := router.NewFromTemplate(tpl, s.App.Handlers)
	if err != nil {
		_ = ln.Close()
		return s, err
	}
	s.api = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.api.Serve(ln) }()
	pctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.stopped)
		_ = s.Poller.Run(pctx)
	}()
	return s, nil
}

// Close stops the push gateway, the API, the poller, the SES emulator and
// the database.
func (s *Stack) Close() {
	if s.Push != nil {
		_ = s.Push.Close()
	}
	if s.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.api.Shutdown(ctx)
		cancel()
	}
	if s.cancel != nil {
		s.cancel()
		<-s.stopped
	}
	var errs []error
	if s.SES != nil {
		errs = append(errs, s.SES.Close())
	}
	if s.DB != nil {
		errs = append(errs, s.DB.Close())
	}
	_ = errors.Join(errs...)
}
