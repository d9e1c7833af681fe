package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/infra/template"
)

// NewClient returns an SDK v2 DynamoDB client for a local endpoint, with
// static dummy credentials and region us-east-1. It reads no environment
// variables or shared AWS config, so a developer's AWS profile cannot leak in.
// optFns may adjust the client (retryer, logger...).
func NewClient(ctx context.Context, endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	_ = ctx // reserved: the client needs no I/O to be built
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("dynamolocal: endpoint %q is not an http(s) URL", endpoint)
	}
	cfg := aws.Config{
		Region: Region,
		// Letters only: DynamoDB Local rejects other characters in key ids.
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	opts := append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}}, optFns...)
	return dynamodb.NewFromConfig(cfg, opts...), nil
}

// EnsureTable creates the table described by the template under name unless
// it exists, waits until it and its indexes are ACTIVE, and enables TTL on the
// template's TTL attribute. It is idempotent. Without a deadline on ctx it
// gives up after two minutes.
func EnsureTable(ctx context.Context, client *dynamodb.Client, tpl *template.Template, name string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
	}
	in, err := tpl.TableInput(name)
	if err != nil {
		return err
	}
	if _, err := client.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("dynamolocal: create table %s: %w", name, err)
		}
	}
	if err := waitActive(ctx, client, name); err != nil {
		return err
	}
	attr := tpl.TTLAttribute()
	if attr == "" {
		return nil
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("dynamolocal: describe TTL of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attr &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("dynamolocal: enable TTL on %s.%s: %w", name, attr, err)
	}
	return nil
}

// waitActive polls DescribeTable until the table and all its global indexes
// are ACTIVE.
func waitActive(ctx context.Context, client *dynamodb.Client, name string) error {
	delay := 50 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("dynamolocal: describe table %s: %w", name, err)
		}
		if active(out.Table) {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("dynamolocal: table %s not ACTIVE: %w", name, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 2*time.Second)
	}
}

func active(t *types.TableDescription) bool {
	if t == nil || t.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range t.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}
