// Command agentdesk-local runs the whole backend on this machine (make run):
// embedded DynamoDB, the SES emulator, the API router and the mailer poller,
// with a seeded demo tenant. Ctrl+C stops everything it started.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/infra/localstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agentdesk-local:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := app.Logger()
	if os.Getenv("AGENTDESK_QUIET") != "" {
		log = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	voice, err := app.VoiceFromEnv()
	if err != nil {
		return err
	}
	cfg := localstack.ConfigFromEnv()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := localstack.Start(startCtx, cfg, localstack.Options{Log: log, Voice: voice})
	if err != nil {
		return err
	}
	defer st.Close()
	demo, err := localstack.SeedDemo(startCtx, st.App)
	if err != nil {
		return fmt.Errorf("seed demo tenant: %w", err)
	}
	fmt.Print(banner(st, demo))
	<-ctx.Done()
	fmt.Println("\nStopping AgentDesk local stack...")
	return nil
}

func banner(st *localstack.Stack, d *localstack.Demo) string {
	api := st.APIURL
	return fmt.Sprintf(`
AgentDesk local stack is running (Ctrl+C stops it)

  API (server URL for the desktop)  %[1]s
  Health                            %[1]s/v1/health
  Push (WebSocket, ?access_token=)  %[10]s
  Mail inbox (SES emulator web UI)  %[2]s
  DynamoDB (embedded)               %[3]s   table %[4]s

Demo tenant "AgentDesk Demo"
  admin  %[5]s   password %[6]s
  agent  %[7]s   password %[8]s   extension %[9]s

Try it with curl:
  TOKEN=$(curl -s %[1]s/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"%[5]s","password":"%[6]s","device":{"id":"cli","name":"curl","platform":"linux"}}' \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s %[1]s/v1/admin/users -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/v1/admin/users -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"email":"new.agent@demo.agentdesk.test","display_name":"New Agent","locale":"fr","roles":["agent"],"webrtc_enabled":true,"extension":{"number":"1002","sip_username":"1002","sip_password":"a-sip-secret"}}'
  then open the mail inbox above: the new agent's invitation has the set-password link.

`, api, st.SES.Endpoint(), endpointOf(st), st.Config.Table, d.AdminEmail, orSeeded(d.AdminPassword), d.AgentEmail, orSeeded(d.AgentPassword), d.AgentExtension, st.PushURL)
}

func endpointOf(st *localstack.Stack) string {
	if st.DB != nil {
		return st.DB.Endpoint()
	}
	return "(external)"
}

func orSeeded(pw string) string {
	if pw == "" {
		return "(set on an earlier run)"
	}
	return pw
}
