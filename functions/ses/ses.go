// Package ses sends rendered emails through Amazon SES v2 (or the local
// aws-ses-v2-local emulator) and sorts its errors into permanent and
// transient ones for the mailer's retries.
package ses

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/agentdesk/agentdesk/functions/mail"
)

// API is the part of the SES v2 client the Sender uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Config says who sends.
type Config struct {
	// From is the sender: "no-reply@example.com" or, with a display name,
	// "AgentDesk <no-reply@example.com>". Its address must be verified in SES.
	From string
	// ConfigurationSet is an optional SES configuration set (event
	// destinations for bounces and complaints).
	ConfigurationSet string
}

// Sender sends emails with SES v2 SendEmail (simple content, text and HTML
// parts, UTF-8).
type Sender struct {
	api       API
	from      string
	configSet string
}

const charset = "UTF-8"

// New checks cfg and returns a Sender over api.
func New(api API, cfg Config) (*Sender, error) {
	if api == nil {
		return nil, errors.New("ses: nil client")
	}
	addr, err := netmail.ParseAddress(strings.TrimSpace(cfg.From))
	if err != nil {
		return nil, fmt.Errorf("ses: sender %q: %w", cfg.From, err)
	}
	// String() quotes the display name and encodes it (RFC 2047) when it is
	// not plain ASCII, which is what SES expects in FromEmailAddress.
	from := addr.Address
	if addr.Name != "" {
		from = addr.String()
	}
	return &Sender{api: api, from: from, configSet: strings.TrimSpace(cfg.ConfigurationSet)}, nil
}

// Load builds the SES v2 client from the environment (region, credentials,
// AWS_ENDPOINT_URL_SESV2 for the emulator) and returns a Sender.
func Load(ctx context.Context, cfg Config) (*Sender, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("ses: aws config: %w", err)
	}
	return New(sesv2.NewFromConfig(awsCfg), cfg)
}

// From is the sender as SES receives it.
func (s *Sender) From() string { return s.from }

// Send sends e. Errors are *SendError; IsPermanent tells whether retrying
// can help.
func (s *Sender) Send(ctx context.Context, e mail.Email) error {
	to := strings.TrimSpace(e.To)
	addr, err := netmail.ParseAddress(to)
	if err != nil || addr.Name != "" || addr.Address != to {
		return &SendError{Code: "InvalidRecipient", permanent: true, Err: errors.New("ses: recipient is not a single plain address")}
	}
	if e.Text == "" && e.HTML == "" {
		return &SendError{Code: "EmptyBody", permanent: true, Err: errors.New("ses: email has no body")}
	}
	body := &types.Body{}
	if e.Text != "" {
		body.Text = &types.Content{Data: aws.String(e.Text), Charset: aws.String(charset)}
	}
	if e.HTML != "" {
		body.Html = &types.Content{Data: aws.String(e.HTML), Charset: aws.String(charset)}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(strings.Join(strings.Fields(e.Subject), " ")), Charset: aws.String(charset)},
			Body:    body,
		}},
	}
	if s.configSet != "" {
		in.ConfigurationSetName = aws.String(s.configSet)
	}
	if _, err := s.api.SendEmail(ctx, in); err != nil {
		return &SendError{Code: errorCode(err), permanent: IsPermanent(err), Err: err}
	}
	return nil
}

// SendError is a failed send. Code is the SES error code (or a local one),
// safe to log: unlike Err's message it never holds an address.
type SendError struct {
	Code      string
	permanent bool
	Err       error
}

func (e *SendError) Error() string { return "ses: send failed: " + e.Code + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Permanent reports whether retrying the same email cannot succeed.
func (e *SendError) Permanent() bool { return e.permanent }

// ErrorCode is the SES error code.
func (e *SendError) ErrorCode() string { return e.Code }

// Codes that mean "this email will never go": content or recipient
// rejected, request invalid.
var permanentCodes = map[string]bool{
	"MessageRejected":             true,
	"BadRequestException":         true,
	"ValidationException":         true,
	"InvalidParameterValue":       true,
	"InvalidParameterCombination": true,
	"SerializationException":      true,
}

// Codes that are worth retrying: throttling and quotas, and account or
// configuration states an operator fixes (suspended or paused sending, an
// unverified MAIL FROM domain, a missing configuration set, credentials).
var transientCodes = map[string]bool{
	"TooManyRequestsException":           true,
	"LimitExceededException":             true,
	"Throttling":                         true,
	"ThrottlingException":                true,
	"RequestTimeout":                     true,
	"RequestTimeoutException":            true,
	"InternalServiceErrorException":      true,
	"ServiceUnavailable":                 true,
	"AccountSuspendedException":          true,
	"SendingPausedException":             true,
	"MailFromDomainNotVerifiedException": true,
	"NotFoundException":                  true,
	"AccessDeniedException":              true,
	"UnrecognizedClientException":        true,
	"InvalidSignatureException":          true,
	"ExpiredTokenException":              true,
	"IncompleteSignature":                true,
}

// IsPermanent reports whether err means the email can never be sent as it
// is (MessageRejected, BadRequest, request validation), so retrying is
// pointless. Throttling, quotas, server faults (5xx), network errors,
// timeouts and unknown errors are transient.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.permanent
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var invalid smithy.InvalidParamsError
	if errors.As(err, &invalid) {
		return true // the SDK refused the request before sending it
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if permanentCodes[code] {
			return true
		}
		if transientCodes[code] {
			return false
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		// An unlisted error: a plain 400 is a request SES will not take
		// (the emulator answers every validation failure that way);
		// 403, 404, 429 and 5xx may pass.
		return re.HTTPStatusCode() == 400
	}
	return false
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		return apiErr.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "Canceled"
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP%d", re.HTTPStatusCode())
	}
	return "NetworkError"
}
