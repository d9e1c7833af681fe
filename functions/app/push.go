package app

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/push"
)

// PushHandler serves the push channel's WebSocket routes (PushFunction)
// with this App's token checks and store.
func (a *App) PushHandler() *push.Handler {
	return push.NewHandler(a.Auth, a.Store, a.Auth.Log)
}

// NewPushNotifier posts events through the management API at endpoint
// (https://{api}.execute-api.{region}.amazonaws.com/{stage} in AWS, the
// local gateway's endpoint in the local stack), signed with cfg's
// credentials.
func NewPushNotifier(store domain.ConnectionStore, endpoint string, cfg aws.Config, log *slog.Logger) *push.Notifier {
	return push.NewNotifier(store, push.NewHTTPManagement(endpoint, cfg, push.DefaultConcurrency), log)
}

// PushNotifierFromEnv is the Notifier for PUSH_ENDPOINT, or nil (nobody is
// told) when it is not set.
func PushNotifierFromEnv(db *dynamodb.Client, table string, cfg aws.Config, log *slog.Logger) domain.Notifier {
	endpoint := os.Getenv("PUSH_ENDPOINT")
	if endpoint == "" {
		return nil
	}
	return NewPushNotifier(dynamo.New(db, table), endpoint, cfg, log)
}

// ServePushFunction runs the PushFunction in Lambda: the WebSocket API's
// $connect, $disconnect and $default routes.
func ServePushFunction() {
	a, _, err := FromEnv(context.Background())
	if err != nil {
		log.Fatalf("PushFunction: %v", err)
	}
	lambda.Start(a.PushHandler().Handle)
}
