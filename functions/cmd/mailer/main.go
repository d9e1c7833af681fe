// Command mailer is the MailerFunction Lambda: DynamoDB stream batches of
// outbox items (partial batch failures) and a periodic sweep for retries.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/functions/dynamo"
	"github.com/agentdesk/agentdesk/functions/mailer"
	"github.com/agentdesk/agentdesk/functions/ses"
)

func main() {
	ctx := context.Background()
	cfg, err := app.AWSConfig(ctx)
	if err != nil {
		log.Fatalf("mailer: %v", err)
	}
	sender, err := ses.New(sesv2.NewFromConfig(cfg), ses.Config{From: os.Getenv("SENDER_EMAIL"), ConfigurationSet: os.Getenv("SES_CONFIGURATION_SET")})
	if err != nil {
		log.Fatalf("mailer: %v", err)
	}
	p := &mailer.Processor{
		Store:  dynamo.New(dynamodb.NewFromConfig(cfg), os.Getenv("TABLE_NAME")),
		Sender: sender,
		Log:    app.Logger(),
	}
	lambda.Start(p.Handle)
}
