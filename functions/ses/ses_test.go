package ses

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/agentdesk/agentdesk/functions/mail"
)

type fakeAPI struct {
	in  *sesv2.SendEmailInput
	err error
}

func (f *fakeAPI) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.in = in
	if f.err != nil {
		return nil, f.err
	}
	return &sesv2.SendEmailOutput{MessageId: aws.String("m-1")}, nil
}

func email() mail.Email {
	return mail.Email{To: "ana@acme.example", Subject: "Hello", Text: "plain", HTML: "<p>html</p>"}
}

func TestNewFromAddress(t *testing.T) {
	cases := map[string]string{
		"no-reply@agentdesk.example":                    "no-reply@agentdesk.example",
		"  AgentDesk <no-reply@agentdesk.example> ":     `"AgentDesk" <no-reply@agentdesk.example>`,
		"Équipe AgentDesk <no-reply@agentdesk.example>": "=?utf-8?q?=C3=89quipe_AgentDesk?= <no-reply@agentdesk.example>",
	}
	for in, want := range cases {
		s, err := New(&fakeAPI{}, Config{From: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if s.From() != want {
			t.Errorf("%q: From() = %q, want %q", in, s.From(), want)
		}
	}
	for _, bad := range []string{"", "not an address", "a@b, c@d"} {
		if _, err := New(&fakeAPI{}, Config{From: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := New(nil, Config{From: "a@b.example"}); err == nil {
		t.Errorf("nil client accepted")
	}
}

func TestSendBuildsSimpleUTF8Content(t *testing.T) {
	api := &fakeAPI{}
	s, _ := New(api, Config{From: "AgentDesk <no-reply@agentdesk.example>", ConfigurationSet: "agentdesk-events"})
	e := email()
	e.Subject = "Bienvenue chez Café\r\n Crème"
	if err := s.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	in := api.in
	if aws.ToString(in.FromEmailAddress) != `"AgentDesk" <no-reply@agentdesk.example>` {
		t.Errorf("from %q", aws.ToString(in.FromEmailAddress))
	}
	if got := in.Destination.ToAddresses; len(got) != 1 || got[0] != "ana@acme.example" {
		t.Errorf("to %v", got)
	}
	if aws.ToString(in.ConfigurationSetName) != "agentdesk-events" {
		t.Errorf("configuration set %v", in.ConfigurationSetName)
	}
	m := in.Content.Simple
	if aws.ToString(m.Subject.Data) != "Bienvenue chez Café Crème" {
		t.Errorf("subject %q", aws.ToString(m.Subject.Data))
	}
	for name, c := range map[string]*types.Content{"subject": m.Subject, "text": m.Body.Text, "html": m.Body.Html} {
		if c == nil || aws.ToString(c.Charset) != "UTF-8" {
			t.Errorf("%s charset %+v", name, c)
		}
	}
	if aws.ToString(m.Body.Text.Data) != "plain" || aws.ToString(m.Body.Html.Data) != "<p>html</p>" {
		t.Errorf("bodies %+v", m.Body)
	}

	// No configuration set unless configured.
	s, _ = New(api, Config{From: "no-reply@agentdesk.example"})
	_ = s.Send(context.Background(), email())
	if api.in.ConfigurationSetName != nil {
		t.Errorf("configuration set sent: %v", *api.in.ConfigurationSetName)
	}
}

func TestSendRefusesBadRecipientLocally(t *testing.T) {
	for _, to := range []string{"", "not-an-address", "a@b.example, c@d.example", "Bob <bob@b.example>", "bob@b.example\r\nBcc: x@y.example"} {
		api := &fakeAPI{}
		s, _ := New(api, Config{From: "no-reply@agentdesk.example"})
		e := email()
		e.To = to
		err := s.Send(context.Background(), e)
		if err == nil || !IsPermanent(err) {
			t.Errorf("%q: err = %v, permanent = %v", to, err, IsPermanent(err))
		}
		if api.in != nil {
			t.Errorf("%q: SES was called", to)
		}
	}
}

// responseErr wraps an API error the way the SDK does after an HTTP answer.
func responseErr(status int, apiErr error) error {
	return &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr},
		RequestID:     "req-1",
	}}
}

func TestIsPermanent(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"message rejected", responseErr(400, &types.MessageRejected{Message: aws.String("Email address is not verified")}), true},
		{"bad request", responseErr(400, &types.BadRequestException{Message: aws.String("invalid")}), true},
		{"emulator 400 without a code", responseErr(400, &smithy.GenericAPIError{Code: "UnknownError", Message: "Bad Request Exception"}), true},
		{"client-side validation", &smithy.OperationError{Err: smithy.InvalidParamsError{Context: "SendEmailInput"}}, true},
		{"local validation", &SendError{Code: "InvalidRecipient", permanent: true, Err: errors.New("x")}, true},
		{"too many requests", responseErr(429, &types.TooManyRequestsException{}), false},
		{"daily quota", responseErr(400, &types.LimitExceededException{}), false},
		{"throttling", responseErr(400, &smithy.GenericAPIError{Code: "Throttling"}), false},
		{"sending paused", responseErr(400, &types.SendingPausedException{}), false},
		{"account suspended", responseErr(400, &types.AccountSuspendedException{}), false},
		{"mail from not verified", responseErr(400, &types.MailFromDomainNotVerifiedException{}), false},
		{"configuration set missing", responseErr(404, &types.NotFoundException{}), false},
		{"server fault", responseErr(500, &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}), false},
		{"unavailable", responseErr(503, &smithy.GenericAPIError{Code: "UnknownError"}), false},
		{"forbidden", responseErr(403, &smithy.GenericAPIError{Code: "UnknownError"}), false},
		{"network", &smithy.OperationError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, false},
		{"deadline", fmt.Errorf("send: %w", context.DeadlineExceeded), false},
		{"canceled", context.Canceled, false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := IsPermanent(c.err); got != c.want {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSendErrorCarriesCodeAndClass(t *testing.T) {
	api := &fakeAPI{err: responseErr(400, &types.MessageRejected{Message: aws.String("Email address is not verified: ana@acme.example")})}
	s, _ := New(api, Config{From: "no-reply@agentdesk.example"})
	err := s.Send(context.Background(), email())
	var se *SendError
	if !errors.As(err, &se) || se.Code != "MessageRejected" || !se.Permanent() || !IsPermanent(err) {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(se.ErrorCode(), "@") {
		t.Fatalf("code leaks the address")
	}
	api.err = responseErr(429, &types.TooManyRequestsException{Message: aws.String("slow down")})
	err = s.Send(context.Background(), email())
	if !errors.As(err, &se) || se.Code != "TooManyRequestsException" || se.Permanent() {
		t.Fatalf("err = %#v", err)
	}
}
