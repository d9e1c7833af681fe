package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/agentdesk/agentdesk/shared/api"
)

// invoke runs a function the way the Lambda runtime does: API Gateway's v2
// event JSON in, through lambda.Start's handler path, JSON out.
func invoke(t *testing.T, function, payload string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	h := lambda.NewHandler(httpadapter.NewV2(stack.App.Handlers[function]).ProxyWithContext)
	out, err := h.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// An HTTP API payload 2.0 event as API Gateway delivers it.
const loginEvent = `{
  "version": "2.0", "routeKey": "POST /v1/auth/login", "rawPath": "/v1/auth/login", "rawQueryString": "",
  "headers": {"content-type": "application/json", "accept-language": "fr-FR,fr;q=0.9", "user-agent": "AgentDesk/1.0"},
  "requestContext": {"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
    "http": {"method": "POST", "path": "/v1/auth/login", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "AgentDesk/1.0"},
    "requestId": "gw-req-0001", "routeKey": "POST /v1/auth/login", "stage": "$default", "time": "21/Nov/2026:13:00:00 +0000", "timeEpoch": 1795784400000},
  "body": %q, "isBase64Encoded": false
}`

func TestLambdaEventPath(t *testing.T) {
	tn := newTenant(t)
	_, _, pw := tn.agent(t, "lambda", api.CreateUserRequest{})
	email := "lambda@" + strings.Split(tn.AdminEmail, "@")[1]
	body, _ := json.Marshal(api.LoginRequest{Email: email, Password: pw, Device: device})
	res := invoke(t, "AuthFunction", strings.Replace(loginEvent, "%q", strconvQuote(string(body)), 1))
	if res.StatusCode != 200 || res.Headers["X-Request-Id"] != "gw-req-0001" {
		t.Fatalf("login via Lambda: %d %v %s", res.StatusCode, res.Headers, res.Body)
	}
	var tok api.TokenResponse
	if err := json.Unmarshal([]byte(res.Body), &tok); err != nil {
		t.Fatal(err)
	}

	me := `{"version":"2.0","routeKey":"GET /v1/me","rawPath":"/v1/me","rawQueryString":"",
	  "headers":{"authorization":"Bearer ` + tok.AccessToken + `"},
	  "requestContext":{"http":{"method":"GET","path":"/v1/me","sourceIp":"203.0.113.7"},"requestId":"gw-req-0002","stage":"$default"},
	  "isBase64Encoded":false}`
	res = invoke(t, "AgentFunction", me)
	if res.StatusCode != 200 || !strings.Contains(res.Body, `"email":"`+email+`"`) {
		t.Fatalf("/v1/me via Lambda: %d %s", res.StatusCode, res.Body)
	}

	// A wrong password through the same path: a French problem.
	body, _ = json.Marshal(api.LoginRequest{Email: email, Password: "wrong", Device: device})
	res = invoke(t, "AuthFunction", strings.Replace(loginEvent, "%q", strconvQuote(string(body)), 1))
	if res.StatusCode != 401 || res.Headers["Content-Type"] != api.ProblemContentType || !strings.Contains(res.Body, "incorrect") {
		t.Fatalf("bad login via Lambda: %d %v %s", res.StatusCode, res.Headers, res.Body)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestEmailedLinksUseTheAPIDomain: deployed without PublicBaseURL, the
// links in emails point at the domain the admin's request came in on.
func TestEmailedLinksUseTheAPIDomain(t *testing.T) {
	tn := newTenant(t)
	saved := stack.App.Auth.BaseURL
	stack.App.Auth.BaseURL = ""
	defer func() { stack.App.Auth.BaseURL = saved }()
	email := "linked@" + strings.Split(tn.AdminEmail, "@")[1]
	body, _ := json.Marshal(api.CreateUserRequest{Email: email, DisplayName: "Linked"})
	ev := `{"version":"2.0","routeKey":"POST /v1/admin/users","rawPath":"/v1/admin/users","rawQueryString":"",
	  "headers":{"host":"abc123.execute-api.eu-west-1.amazonaws.com","content-type":"application/json","authorization":"Bearer ` + tn.AdminToken.AccessToken + `"},
	  "requestContext":{"domainName":"abc123.execute-api.eu-west-1.amazonaws.com","http":{"method":"POST","path":"/v1/admin/users","sourceIp":"203.0.113.7"},"requestId":"gw-req-0003","stage":"$default"},
	  "body":` + strconvQuote(string(body)) + `,"isBase64Encoded":false}`
	res := invoke(t, "AdminFunction", ev)
	if res.StatusCode != 201 {
		t.Fatalf("create via Lambda: %d %s", res.StatusCode, res.Body)
	}
	link := linkIn(t, waitMail(t, email, 1)[0])
	if !strings.HasPrefix(link, "https://abc123.execute-api.eu-west-1.amazonaws.com/p/reset?token=") {
		t.Fatalf("invitation link %q does not use the API's domain", link)
	}
}
