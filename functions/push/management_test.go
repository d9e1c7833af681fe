package push_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/agentdesk/agentdesk/functions/push"
)

func TestHTTPManagementSignsAndEscapes(t *testing.T) {
	var got struct {
		method, rawPath, auth, date, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.rawPath, got.auth, got.date, got.body = r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	// No region in the config: it comes from the execute-api host name.
	m := push.NewHTTPManagement("https://abc123.execute-api.eu-west-3.amazonaws.com/v1/", aws.Config{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token"),
	}, 4)
	if m.Region != "eu-west-3" {
		t.Fatalf("region %q", m.Region)
	}
	m.Endpoint = srv.URL + "/v1"
	if err := m.PostToConnection(context.Background(), "a/b+c=", []byte(`{"type":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if got.method != "POST" || got.rawPath != "/v1/@connections/a%2Fb%2Bc%3D" || got.body != `{"type":"x"}` {
		t.Fatalf("request %+v", got)
	}
	if !strings.HasPrefix(got.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(got.auth, "/eu-west-3/execute-api/aws4_request") || got.date == "" {
		t.Fatalf("not signed for execute-api: %q", got.auth)
	}
	if err := m.DeleteConnection(context.Background(), "id="); err != nil || got.method != "DELETE" || got.body != "" {
		t.Fatalf("delete: %v %+v", err, got)
	}
}

func TestHTTPManagementErrorsAndRetries(t *testing.T) {
	var calls atomic.Int32
	var answers []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		status := answers[min(n, len(answers)-1)]
		if status >= 400 {
			w.Header().Set("X-Amzn-Errortype", "SomeException")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"message":"why"}`)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	m := push.NewHTTPManagement(srv.URL+"/v1", aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, 2)
	for _, tc := range []struct {
		name    string
		answers []int
		calls   int32
		check   func(error) bool
	}{
		{"ok", []int{200}, 1, func(err error) bool { return err == nil }},
		{"gone", []int{410}, 1, func(err error) bool { return errors.Is(err, push.ErrGone) }},
		{"throttled then ok", []int{429, 503, 200}, 3, func(err error) bool { return err == nil }},
		{"always 500", []int{500}, 3, func(err error) bool {
			var ae *push.APIError
			return errors.As(err, &ae) && ae.Status == 500 && ae.Type == "SomeException" && ae.Message == "why"
		}},
		{"forbidden is final", []int{403}, 1, func(err error) bool {
			var ae *push.APIError
			return errors.As(err, &ae) && ae.Status == 403
		}},
	} {
		calls.Store(0)
		answers = tc.answers
		err := m.PostToConnection(context.Background(), "id=", []byte("{}"))
		if !tc.check(err) || calls.Load() != tc.calls {
			t.Errorf("%s: %v after %d calls, want %d calls", tc.name, err, calls.Load(), tc.calls)
		}
	}
}
