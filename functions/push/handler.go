// Package push is the push channel: the WebSocket routes of the PushFunction
// (API Gateway WebSocket API) and the Notifier the other functions use to
// send events to desktops through API Gateway's management API.
//
// A desktop opens wss://…/{stage}?access_token=…[&device_id=…] (browsers and
// webviews cannot set headers on a WebSocket, so the access token travels
// in the query string); $connect authenticates it and stores the
// connection, $disconnect forgets it, and $default answers the desktop's
// {"action":"ping"} keep-alives (API Gateway drops connections idle for ten
// minutes). Events go one way: server to desktop.
package push

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/agentdesk/agentdesk/functions/auth"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/shared/api"
	"github.com/agentdesk/agentdesk/shared/validate"
)

// Route keys of the WebSocket API (template.yaml).
const (
	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// Query parameters of the $connect request.
const (
	ParamAccessToken = "access_token"
	ParamDeviceID    = "device_id"
)

// ActionPing is the keep-alive message {"action":"ping"}.
const ActionPing = "ping"

// Authenticator checks an access token (auth.Service does).
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (*auth.Principal, error)
}

// Handler serves the WebSocket routes.
type Handler struct {
	Auth  Authenticator
	Store domain.ConnectionStore
	Clock func() time.Time
	Log   *slog.Logger
}

// NewHandler wires a Handler with the real clock.
func NewHandler(a Authenticator, store domain.ConnectionStore, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{Auth: a, Store: store, Clock: time.Now, Log: log}
}

type response = events.APIGatewayProxyResponse

func status(code int) response {
	return response{StatusCode: code, Body: http.StatusText(code)}
}

// Handle is the Lambda handler for every route of the WebSocket API. A
// $connect answered with anything but 2xx refuses the connection.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	rc := ev.RequestContext
	switch rc.RouteKey {
	case RouteConnect:
		return h.connect(ctx, ev)
	case RouteDisconnect:
		if err := h.Store.DeleteConnection(ctx, rc.ConnectionID); err != nil {
			h.Log.ErrorContext(ctx, "push disconnect", "connection_id", rc.ConnectionID, "err", err)
			return status(http.StatusInternalServerError), err
		}
		h.Log.InfoContext(ctx, "push disconnected", "connection_id", rc.ConnectionID, "close_code", rc.DisconnectStatusCode)
		return status(http.StatusOK), nil
	default:
		var msg struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal([]byte(ev.Body), &msg); err != nil || msg.Action != ActionPing {
			h.Log.DebugContext(ctx, "push message ignored", "connection_id", rc.ConnectionID, "route", rc.RouteKey)
			return status(http.StatusBadRequest), nil
		}
		return status(http.StatusOK), nil
	}
}

func (h *Handler) connect(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (response, error) {
	id := ev.RequestContext.ConnectionID
	if id == "" {
		return status(http.StatusBadRequest), errors.New("push: $connect without a connection id")
	}
	tok := ev.QueryStringParameters[ParamAccessToken]
	if tok == "" {
		tok = bearer(ev.Headers)
	}
	if tok == "" || !validate.Length(tok, validate.MaxToken) {
		h.Log.InfoContext(ctx, "push refused", "connection_id", id, "reason", "no token")
		return status(http.StatusUnauthorized), nil
	}
	p, err := h.Auth.Authenticate(ctx, tok)
	if domain.CodeOf(err) == api.CodeUnauthorized {
		h.Log.InfoContext(ctx, "push refused", "connection_id", id, "reason", "invalid token")
		return status(http.StatusUnauthorized), nil
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "push connect", "connection_id", id, "err", err)
		return status(http.StatusInternalServerError), err
	}
	device, ok := validate.Text(ev.QueryStringParameters[ParamDeviceID], validate.MaxID)
	if !ok {
		return status(http.StatusBadRequest), nil
	}
	if device == "" && p.Claims != nil {
		device = p.Claims.Device
	}
	now := h.Clock().UTC()
	if at := ev.RequestContext.ConnectedAt; at > 0 {
		now = time.UnixMilli(at).UTC()
	}
	c := &domain.Connection{ID: id, TenantID: p.User.TenantID, UserID: p.User.ID, DeviceID: device,
		ConnectedAt: now, ExpiresAt: now.Add(domain.ConnectionMaxAge)}
	if err := h.Store.PutConnection(ctx, c); err != nil {
		h.Log.ErrorContext(ctx, "push connect", "connection_id", id, "err", err)
		return status(http.StatusInternalServerError), err
	}
	h.Log.InfoContext(ctx, "push connected", "connection_id", id, "tenant_id", c.TenantID, "user_id", c.UserID, "device_id", device)
	return status(http.StatusOK), nil
}

// bearer reads "Authorization: Bearer …" for clients that can set headers.
// API Gateway keeps the header names' case as sent.
func bearer(headers map[string]string) string {
	for k, v := range headers {
		if strings.EqualFold(k, "Authorization") {
			if scheme, tok, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
				return strings.TrimSpace(tok)
			}
		}
	}
	return ""
}
