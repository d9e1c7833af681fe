package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Management is API Gateway's management API for WebSocket connections.
type Management interface {
	// PostToConnection sends data as one message; ErrGone when the
	// connection no longer exists.
	PostToConnection(ctx context.Context, connectionID string, data []byte) error
	// DeleteConnection closes a connection; ErrGone when it no longer
	// exists.
	DeleteConnection(ctx context.Context, connectionID string) error
}

// ErrGone is the management API's 410 GoneException: the connection is
// closed and will never come back.
var ErrGone = errors.New("push: connection gone")

// APIError is any other refusal of the management API.
type APIError struct {
	Status  int
	Type    string // x-amzn-ErrorType, e.g. LimitExceededException
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("push: management API %d %s %s", e.Status, e.Type, e.Message)
}

func (e *APIError) retryable() bool { return e.Status == http.StatusTooManyRequests || e.Status >= 500 }

// HTTPManagement calls the management API over HTTPS, signed with SigV4
// (service execute-api), as the SDK's apigatewaymanagementapi client would:
// POST or DELETE {Endpoint}/@connections/{id}. The same client works
// against the local stack's management endpoint.
type HTTPManagement struct {
	// Endpoint is https://{api-id}.execute-api.{region}.amazonaws.com/{stage}.
	Endpoint    string
	Region      string
	Credentials aws.CredentialsProvider
	Client      *http.Client
	Signer      *v4.Signer
	Clock       func() time.Time
	// Retries after throttling, 5xx answers and network errors (default 2).
	Retries int
}

// Timeout of one management call; pushes run inside API requests.
const callTimeout = 3 * time.Second

// NewHTTPManagement builds a client for endpoint with the credentials and
// region of cfg (the region falls back to the endpoint's host name).
// maxConns sizes the connection pool (the Notifier's concurrency).
func NewHTTPManagement(endpoint string, cfg aws.Config, maxConns int) *HTTPManagement {
	region := cfg.Region
	if region == "" {
		region = regionOf(endpoint)
	}
	maxConns = max(maxConns, 2)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = maxConns, maxConns
	return &HTTPManagement{
		Endpoint: strings.TrimRight(endpoint, "/"), Region: region, Credentials: cfg.Credentials,
		Client: &http.Client{Transport: tr, Timeout: callTimeout}, Signer: v4.NewSigner(), Clock: time.Now, Retries: 2,
	}
}

// regionOf reads the region out of an execute-api host name.
func regionOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	for i, p := range parts {
		if p == "execute-api" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return ""
}

// PostToConnection implements Management.
func (m *HTTPManagement) PostToConnection(ctx context.Context, connectionID string, data []byte) error {
	return m.call(ctx, http.MethodPost, connectionID, data)
}

// DeleteConnection implements Management.
func (m *HTTPManagement) DeleteConnection(ctx context.Context, connectionID string) error {
	return m.call(ctx, http.MethodDelete, connectionID, nil)
}

func (m *HTTPManagement) call(ctx context.Context, method, id string, body []byte) error {
	if id == "" {
		return errors.New("push: empty connection id")
	}
	var err error
	for try := 0; ; try++ {
		err = m.once(ctx, method, id, body)
		var ae *APIError
		retry := err != nil && !errors.Is(err, ErrGone) && (!errors.As(err, &ae) || ae.retryable())
		if !retry || try >= m.Retries || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(25<<try) * time.Millisecond):
		}
	}
}

func (m *HTTPManagement) once(ctx context.Context, method, id string, body []byte) error {
	u, err := url.Parse(m.Endpoint)
	if err != nil {
		return fmt.Errorf("push: endpoint: %w", err)
	}
	basePath, baseRaw := strings.TrimRight(u.Path, "/"), strings.TrimRight(u.EscapedPath(), "/")
	u.Path = basePath + "/@connections/" + id
	u.RawPath = baseRaw + "/@connections/" + escapeID(id)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	sum := sha256.Sum256(body)
	if m.Credentials != nil {
		creds, err := m.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("push: credentials: %w", err)
		}
		if err := m.Signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", m.Region, m.Clock().UTC()); err != nil {
			return fmt.Errorf("push: sign: %w", err)
		}
	}
	res, err := m.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %s connection: %w", strings.ToLower(method), err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == http.StatusGone:
		return ErrGone
	}
	ae := &APIError{Status: res.StatusCode, Type: res.Header.Get("X-Amzn-Errortype")}
	var problem struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(msg, &problem) == nil && problem.Message != nil {
		ae.Message = *problem.Message
	}
	return ae
}

// escapeID escapes a connection id as the SDK escapes a path label:
// everything but the unreserved characters (API Gateway's ids end in '=').
func escapeID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
