// Package app wires the services and handlers. The Lambda mains and the
// local stack both build their handlers here, so they run the same code.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/agentdesk/agentdesk/functions/admin"
	"github.com/agentdesk/agentdesk/functions/agent"
	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/httpapi"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/functions/pages"
	"github.com/agentdesk/agentdesk/functions/sessions"
	"github.com/agentdesk/agentdesk/shared/api"
)

// Config is what differs between AWS, the local stack and tests.
type Config struct {
	Table   string
	Keys    *keys.Keys
	BaseURL string // public URL of the API, for emailed links
	Voice   agent.VoiceConfig
	Log     *slog.Logger
	// Policy overrides auth.DefaultPolicy (tests lower the hash cost).
	Policy *auth.Policy
	// Notifier pushes session and settings events to desktops (nil: none).
	Notifier domain.Notifier
	// PushURL is the push channel's WebSocket URL, handed out in /v1/me.
	PushURL string
}

// App holds the wired services and the per-function handlers, keyed by the
// function's logical id in template.yaml.
type App struct {
	Store    *dynamo.Store
	Auth     *auth.Service
	Admin    *admin.Service
	Agent    *agent.Service
	Sessions *sessions.Service
	Handlers map[string]http.Handler
}

// New wires an App over a DynamoDB client.
func New(db *dynamodb.Client, cfg Config) *App {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	store := dynamo.New(db, cfg.Table)
	a := auth.NewService(store, cfg.Keys, strings.TrimRight(cfg.BaseURL, "/"), log)
	if cfg.Policy != nil {
		a.Policy = *cfg.Policy
	}
	ss := &sessions.Service{Store: store, Leases: store, Notifier: cfg.Notifier, Clock: a.Clock, Log: log}
	a.Sessions = ss
	ad := admin.New(a, log)
	ad.Notifier = cfg.Notifier
	ag := &agent.Service{Store: store, Auth: a, Voice: cfg.Voice, PushURL: cfg.PushURL}
	d := httpapi.Deps{
		Auth: a, Admin: ad, Agent: ag, Sessions: ss, Log: log,
		Pages: pages.New(a, pages.Options{CSRFKey: cfg.Keys.CSRF, Secure: !strings.HasPrefix(cfg.BaseURL, "http://"), Log: log}),
	}
	handlers := map[string]http.Handler{}
	for name, build := range httpapi.Functions {
		handlers[name] = build(d)
	}
	return &App{Store: store, Auth: a, Admin: ad, Agent: ag, Sessions: ss, Handlers: handlers}
}

// Logger is the structured JSON logger every function uses.
func Logger() *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// FromEnv wires an App inside Lambda from the template's environment:
// TABLE_NAME, SECRET_ARN, PUBLIC_BASE_URL, the optional voice settings
// SIP_WS_URI, SIP_DOMAIN, ICE_SERVERS (JSON array of api.ICEServer), and the
// optional push channel PUSH_ENDPOINT (management API) and PUSH_URL.
func FromEnv(ctx context.Context) (*App, aws.Config, error) {
	cfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, cfg, err
	}
	k, err := keys.FromSecretsManager(ctx, cfg, os.Getenv("SECRET_ARN"))
	if err != nil {
		return nil, cfg, err
	}
	voice, err := VoiceFromEnv()
	if err != nil {
		return nil, cfg, err
	}
	log := Logger()
	slog.SetDefault(log)
	db, table := dynamodb.NewFromConfig(cfg), os.Getenv("TABLE_NAME")
	return New(db, Config{
		Table: table, Keys: k, BaseURL: os.Getenv("PUBLIC_BASE_URL"), Voice: voice, Log: log,
		Notifier: PushNotifierFromEnv(db, table, cfg, log), PushURL: os.Getenv("PUSH_URL"),
	}), cfg, nil
}

// VoiceFromEnv reads the softphone settings handed to Desktop agents.
func VoiceFromEnv() (agent.VoiceConfig, error) {
	v := agent.VoiceConfig{SIPWebSocketURI: os.Getenv("SIP_WS_URI"), SIPDomain: os.Getenv("SIP_DOMAIN")}
	if raw := os.Getenv("ICE_SERVERS"); raw != "" {
		var ice []api.ICEServer
		if err := json.Unmarshal([]byte(raw), &ice); err != nil {
			return v, fmt.Errorf("ICE_SERVERS: %w", err)
		}
		v.ICEServers = ice
	}
	return v, nil
}

// AWSConfig loads the SDK configuration from the environment (endpoints
// such as AWS_ENDPOINT_URL_DYNAMODB included).
func AWSConfig(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
