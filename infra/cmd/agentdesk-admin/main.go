// Command agentdesk-admin provisions what the API cannot: a new tenant and
// its first admin, who is emailed an invitation.
//
//	agentdesk-admin bootstrap --tenant acme --name "Acme Corp" --admin-email ops@acme.example
//
// By default it talks to the local stack (make run). With --stack NAME it
// reads the deployed stack's outputs (table, secret, API URL) with the
// ordinary AWS credentials; TABLE_NAME, SECRET_ARN and PUBLIC_BASE_URL work
// too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/agentdesk/agentdesk/functions/app"
	"github.com/agentdesk/agentdesk/functions/domain"
	"github.com/agentdesk/agentdesk/functions/keys"
	"github.com/agentdesk/agentdesk/infra/dynamolocal"
	"github.com/agentdesk/agentdesk/infra/localstack"
	"github.com/agentdesk/agentdesk/shared/api"
)

const usage = `usage: agentdesk-admin bootstrap --tenant SLUG --name "DISPLAY NAME" --admin-email EMAIL
                 [--admin-name NAME] [--locale en|fr|pt-BR] [--stack STACK_NAME]`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "agentdesk-admin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "bootstrap" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	slug := fs.String("tenant", "", "tenant slug (lower-case letters, digits, dashes)")
	name := fs.String("name", "", "tenant display name")
	email := fs.String("admin-email", "", "first admin's email")
	adminName := fs.String("admin-name", "", "first admin's display name")
	locale := fs.String("locale", "en", "tenant default language (en, fr, pt-BR)")
	stack := fs.String("stack", "", "deployed CloudFormation stack name (default: the local stack)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *slug == "" || *name == "" || *email == "" {
		return errors.New(usage)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	a, target, err := connect(ctx, *stack)
	if err != nil {
		return err
	}
	t, u, err := a.Admin.Bootstrap(ctx, *slug, *name, *email, *adminName, *locale)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return explain(de, *slug, *email)
		}
		return err
	}
	fmt.Fprintf(out, "Created tenant %q (%s) on %s.\nFirst admin %s (%s) was sent an invitation to set a password.\n",
		t.Name, t.ID, target, u.Email, u.ID)
	return nil
}

// connect wires the services against the local stack or a deployed stack.
func connect(ctx context.Context, stack string) (*app.App, string, error) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	table, secretArn, baseURL := os.Getenv("TABLE_NAME"), os.Getenv("SECRET_ARN"), os.Getenv("PUBLIC_BASE_URL")
	if stack == "" && table == "" {
		cfg := localstack.ConfigFromEnv()
		db, err := dynamolocal.NewClient(ctx, "http://"+cfg.DynamoAddr)
		if err != nil {
			return nil, "", err
		}
		k, err := keys.FromFile(cfg.SecretFile())
		if err != nil {
			return nil, "", err
		}
		return app.New(db, app.Config{Table: cfg.Table, Keys: k, BaseURL: cfg.APIURL(), Log: log}), "the local stack (" + cfg.APIURL() + ")", nil
	}
	awsCfg, err := app.AWSConfig(ctx)
	if err != nil {
		return nil, "", err
	}
	if stack != "" {
		outs, err := stackOutputs(ctx, awsCfg, stack)
		if err != nil {
			return nil, "", err
		}
		table, secretArn, baseURL = outs["TableName"], outs["SecretArn"], outs["ApiUrl"]
	}
	if table == "" || secretArn == "" || baseURL == "" {
		return nil, "", errors.New("need TableName, SecretArn and ApiUrl (stack outputs or TABLE_NAME, SECRET_ARN, PUBLIC_BASE_URL)")
	}
	k, err := keys.FromSecretsManager(ctx, awsCfg, secretArn)
	if err != nil {
		return nil, "", err
	}
	return app.New(dynamodb.NewFromConfig(awsCfg), app.Config{Table: table, Keys: k, BaseURL: baseURL, Log: log}), baseURL, nil
}

func stackOutputs(ctx context.Context, cfg aws.Config, name string) (map[string]string, error) {
	res, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(res.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s not found", name)
	}
	out := map[string]string{}
	for _, o := range res.Stacks[0].Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out, nil
}

// explain turns a refused bootstrap into a sentence for the operator.
func explain(de *domain.Error, slug, email string) error {
	switch {
	case de.Code == api.CodeConflict:
		return fmt.Errorf("a tenant with the slug %q already exists", slug)
	case de.Code == api.CodeEmailTaken:
		return fmt.Errorf("%s already has an AgentDesk account", email)
	case de.Code == api.CodeInvalidEmail:
		return fmt.Errorf("%q is not a valid email address", email)
	case de.Field == "tenant":
		return fmt.Errorf("the slug %q is not valid: use 3 to 40 lower-case letters, digits and dashes", slug)
	}
	return fmt.Errorf("refused: %s (%s)", de.Code, de.Field)
}
