// Command agentdesk-agent is a terminal stand-in for the desktop's station
// session: it signs in, logs in to a station, heartbeats, listens on the
// push channel and prints what happens. Two of them show single-session
// locking end to end:
//
//	go run ./infra/cmd/agentdesk-agent --email agent@demo.agentdesk.test --password ... --device laptop
//	go run ./infra/cmd/agentdesk-agent --email agent@demo.agentdesk.test --password ... --device desk --takeover
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/client"
	"github.com/agentdesk/agentdesk/shared/session"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:3000", "server URL")
	email := flag.String("email", "", "agent email")
	password := flag.String("password", "", "agent password")
	dev := flag.String("device", "terminal", "this device's name")
	station := flag.String("station", "extension", "dial_number:+14155550100 | extension | desktop")
	takeover := flag.Bool("takeover", false, `take the session over from another device ("Continue")`)
	flag.Parse()
	if *email == "" || *password == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *server, *email, *password, *dev, *station, *takeover); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "agentdesk-agent:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, server, email, password, devName, station string, takeover bool) error {
	device := api.Device{ID: "cli-" + devName, Name: devName, Platform: "terminal"}
	tok, err := client.New(server).Login(ctx, api.LoginRequest{Email: email, Password: password, Device: device})
	if err != nil {
		return err
	}
	c := client.New(server, client.WithAccessToken(tok.AccessToken))
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	say("signed in as %s (%s)", me.User.DisplayName, me.Tenant.Name)

	events := make(chan api.PushEvent, 16)
	if me.PushURL != "" {
		push := session.NewPush(session.PushConfig{
			URL: me.PushURL, DeviceID: device.ID,
			Token:   func(context.Context) (string, error) { return tok.AccessToken, nil },
			OnEvent: func(ev api.PushEvent) { events <- ev },
			OnState: func(s session.PushStatus) { say("push channel: %s", s.State) },
		})
		go func() { _ = push.Run(ctx) }()
	}

	st := api.Station{Mode: station}
	if mode, number, ok := strings.Cut(station, ":"); ok {
		st = api.Station{Mode: mode, DialNumber: number}
	}
	req := api.CreateSessionRequest{Station: st, Device: device, Takeover: takeover}
	if len(me.Teams) > 0 {
		req.TeamID = me.Teams[0].ID
	}
	sess, err := c.CreateSession(ctx, req)
	var p *api.Problem
	if errors.As(err, &p) && p.Code == api.CodeSessionElsewhere && p.Holder != nil {
		say("refused: already signed in on %q (%s) since %s, on a call: %v — run again with --takeover to Continue",
			p.Holder.DeviceName, p.Holder.Platform, p.Holder.Since.Local().Format(time.Kitchen), p.Holder.OnCall)
		return nil
	}
	if err != nil {
		return err
	}
	say("station login: session %s epoch %d (%s), heartbeat every %ds", sess.SessionID, sess.Epoch, sess.Station.Mode, sess.HeartbeatInterval)

	keeper := session.NewKeeper(session.KeeperConfig{
		API: c, Session: *sess, LastActivity: time.Now,
		OnStatus: func(s session.Status) {
			say("session: %s (lease until %s)", s.State, s.LeaseExpiresAt.Local().Format("15:04:05"))
		},
	})
	go func() {
		for ev := range events {
			if keeper.HandlePush(ev) {
				say("push: %s for my session", ev.Type)
				continue
			}
			if ev.SessionID != "" && ev.SessionID != sess.SessionID {
				say("push: %s (about the earlier session %s)", ev.Type, ev.SessionID)
				continue
			}
			say("push: %s", ev.Type)
		}
	}()
	err = keeper.Run(ctx)
	var end *session.Ended
	if errors.As(err, &end) {
		switch end.Cause {
		case session.TakenOver:
			who := "another device"
			if end.Holder != nil {
				who = fmt.Sprintf("%q", end.Holder.DeviceName)
			}
			say("You signed in on another device (%s). This one is signed out.", who)
		default:
			say("session ended: %s %s", end.Cause, end.Reason)
		}
		return nil
	}
	if errors.Is(err, context.Canceled) {
		ctx2, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.EndSession(ctx2, sess.SessionID)
		say("signed out of the station")
	}
	return err
}
