package main

import (
	"context"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/infra/template"
	"github.com/agentdesk/agentdesk/infra/wslocal"
	"github.com/agentdesk/agentdesk/shared/api"
)

// opUse is one operation of an agent's day measured over Calls calls, one
// at a time: what the cost model prices.
type opUse struct {
	Key      string // the cost model's name for it
	Name     string // what was called
	Route    string // the API Gateway route key ("POST /v1/…", "$connect", …)
	Function string // the Lambda function serving Route (template.yaml)
	Calls    int
	Use      usage
	P50, P99 time.Duration // each call's round trip from the client (0: not recorded)
}

// timerRoute is the handler timer's key for o.
func (o opUse) timerRoute() string {
	if o.Route != "" && o.Route[0] == '$' {
		return o.Route
	}
	return routeHTTP
}

// handlerMean is the mean time of o's handler.
func (o opUse) handlerMean() time.Duration {
	r := o.timerRoute()
	return meanOf(o.Use.Handlers.Total[r], o.Use.Handlers.N[r])
}

// billedMean is o's mean handler time rounded up per call to whole
// milliseconds, as Lambda bills, in milliseconds.
func (o opUse) billedMean() float64 {
	r := o.timerRoute()
	if o.Use.Handlers.N[r] == 0 {
		return 0
	}
	return float64(o.Use.Handlers.Billed[r]) / float64(o.Use.Handlers.N[r])
}

// logPerCall is the application log bytes per call.
func (o opUse) logPerCall() float64 {
	if o.Calls == 0 {
		return 0
	}
	return float64(o.Use.Log.Bytes) / float64(o.Calls)
}

// Keys of the operations the cost model prices.
const (
	opSignIn      = "signin"
	opRefresh     = "refresh"
	opMe          = "me"
	opLoginExt    = "login_extension"
	opLoginDial   = "login_dial"
	opHeartbeat   = "heartbeat"
	opSignOut     = "signout"
	opConnect     = "connect"
	opPing        = "ping"
	opDisconnect  = "disconnect"
	opRefused     = "refused"
	opContinue    = "continue"
	opDisplacedHB = "displaced"
)

// Route keys of the measured operations.
const (
	routeLogin     = "POST /v1/auth/login"
	routeRefresh   = "POST /v1/auth/refresh"
	routeMe        = "GET /v1/me"
	routeSessions  = "POST /v1/sessions"
	routeHeartbeat = "POST /v1/sessions/{id}/heartbeat"
	routeEnd       = "DELETE /v1/sessions/{id}"
)

// pushFunction is the WebSocket API's function in template.yaml.
const pushFunction = "PushFunction"

// functionOf is the function serving an HTTP route key, or PushFunction for
// a WebSocket route.
func functionOf(tpl *template.Template, route string) string {
	if route != "" && route[0] == '$' {
		return pushFunction
	}
	for _, r := range tpl.Routes() {
		if r.Key() == route {
			return r.Function
		}
	}
	return ""
}

// memoryMB is a function's configured memory: its own MemorySize, else
// Globals.Function.MemorySize, else Lambda's default of 128 MB.
func memoryMB(tpl *template.Template, fn string) int {
	num := func(v any) (int, bool) {
		switch n := v.(type) {
		case int:
			return n, n > 0
		case float64:
			return int(n), n > 0
		}
		return 0, false
	}
	if r, ok := tpl.Resources[fn]; ok {
		if n, ok := num(r.Properties["MemorySize"]); ok {
			return n
		}
	}
	if g, ok := tpl.Globals["Function"].(map[string]any); ok {
		if n, ok := num(g["MemorySize"]); ok {
			return n
		}
	}
	return 128
}

// opsSample is how many calls each operation series makes.
type opsSample struct{ Calls, Logins int }

// measureSessionOps times the operations of an agent's day one call at a
// time on the sessions stack, after the runs: token refresh, heartbeat,
// station sign-out and login (each mode), push keep-alive, disconnect and
// connect. Agents from `from` on did not take part in the takeovers; the
// ones before have their push channel open (the laptop's).
func measureSessionOps(ctx context.Context, e *env, agents []*stationAgent, from int, n opsSample) ([]opUse, error) {
	var out []opUse
	series := func(key, name, route string, calls int, call func(ctx context.Context, i int) error) error {
		m := e.mark()
		ds := make([]time.Duration, 0, calls)
		for i := range calls {
			s := time.Now()
			if err := call(ctx, i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(s))
		}
		out = append(out, opUse{Key: key, Name: name, Route: route, Calls: calls, Use: e.since(m), P50: percentile(ds, 50), P99: percentile(ds, 99)})
		return nil
	}
	pick := func(i int) *stationAgent { return agents[from+i%(len(agents)-from)] }
	pushing := func(i int) *stationAgent { return agents[i%from] }
	if len(agents)-from < max(n.Calls, 2*n.Logins) || from < n.Logins {
		return nil, fmt.Errorf("ops: %d agents after %d takeovers, need %d and %d takeovers", len(agents)-from, from, max(n.Calls, 2*n.Logins), n.Logins)
	}

	// Token refresh, chained as the desktop does every 15 minutes.
	last := agents[len(agents)-1]
	anon := e.client("")
	if err := series(opRefresh, "POST /v1/auth/refresh (rotate the refresh token)", routeRefresh, n.Logins, func(ctx context.Context, _ int) error {
		tok, err := anon.Refresh(ctx, last.Token.RefreshToken)
		if err != nil {
			return err
		}
		last.Token, last.API = tok, e.client(tok.AccessToken)
		return nil
	}); err != nil {
		return nil, err
	}

	// The agents of the series below heartbeat first (uncounted), so that
	// their leases are live however long the takeovers took.
	for i := range max(n.Calls, 2*n.Logins) {
		if err := ensureLive(ctx, pick(i)); err != nil {
			return nil, fmt.Errorf("ops: %s: %w", pick(i).Email, err)
		}
	}

	// Heartbeats, one agent after another.
	if err := series(opHeartbeat, "POST /v1/sessions/{id}/heartbeat", routeHeartbeat, n.Calls, func(ctx context.Context, i int) error {
		return beat(ctx, pick(i))
	}); err != nil {
		return nil, err
	}

	// Station sign-out, then station login again in each mode.
	ended := make([]*stationAgent, 0, 2*n.Logins)
	for i := range 2 * n.Logins {
		ended = append(ended, pick(i))
	}
	if err := series(opSignOut, "DELETE /v1/sessions/{id} (station sign-out)", routeEnd, len(ended), func(ctx context.Context, i int) error {
		return ended[i].API.EndSession(ctx, ended[i].Session.SessionID)
	}); err != nil {
		return nil, err
	}
	for _, mode := range []struct{ key, name, mode string }{
		{opLoginExt, "POST /v1/sessions (station login, extension)", api.StationExtension},
		{opLoginDial, "POST /v1/sessions (station login, dial number)", api.StationDialNumber},
	} {
		var these []*stationAgent
		for _, a := range ended {
			if a.Station.Mode == mode.mode {
				these = append(these, a)
			}
		}
		if err := series(mode.key, mode.name, routeSessions, len(these), func(ctx context.Context, i int) error {
			a := these[i]
			s, err := a.API.CreateSession(ctx, api.CreateSessionRequest{Station: a.Station, Device: a.Device})
			if err == nil {
				a.Session = s
			}
			return err
		}); err != nil {
			return nil, err
		}
	}

	// The push channel's keep-alive: each ping is one invocation.
	if err := series(opPing, `push {"action":"ping"} (keep-alive)`, wslocal.RouteDefault, n.Calls, func(ctx context.Context, i int) error {
		before := e.handlers.calls(wslocal.RouteDefault)
		if err := pushing(i).Push.ping(ctx); err != nil {
			return err
		}
		return waitCtx(ctx, func(ctx context.Context) error { return e.waitCalls(ctx, wslocal.RouteDefault, before+1) })
	}); err != nil {
		return nil, err
	}

	// Reconnecting (API Gateway closes a connection after two hours): the
	// desktop's close runs $disconnect, its new connection $connect.
	if err := series(opDisconnect, "push $disconnect (desktop closes)", wslocal.RouteDisconnect, n.Logins, func(ctx context.Context, i int) error {
		before := e.handlers.calls(wslocal.RouteDisconnect)
		pushing(i).Push.close()
		return waitCtx(ctx, func(ctx context.Context) error { return e.waitCalls(ctx, wslocal.RouteDisconnect, before+1) })
	}); err != nil {
		return nil, err
	}
	if err := series(opConnect, "push $connect (?access_token=…)", wslocal.RouteConnect, n.Logins, func(ctx context.Context, i int) error {
		a := pushing(i)
		p, err := dialPush(ctx, e.PushURL, a.Token.AccessToken, a.Device.ID)
		if err == nil {
			a.Push = p
		}
		return err
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// waitCtx runs wait with a 10-second limit.
func waitCtx(ctx context.Context, wait func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return wait(ctx)
}
