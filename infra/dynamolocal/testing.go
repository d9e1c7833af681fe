package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/infra/template"
)

// EndpointEnv names the environment variable that points StartForTest at an
// existing DynamoDB (e.g. AWS's DynamoDB Local in CI) instead of minidyn.
const EndpointEnv = "DYNAMODB_ENDPOINT"

var (
	sharedOnce sync.Once
	sharedSrv  *Server
	sharedErr  error

	tplOnce sync.Once
	tpl     *template.Template
	tplErr  error
)

func testTemplate(t testing.TB) *template.Template {
	t.Helper()
	tplOnce.Do(func() { tpl, tplErr = template.LoadDefault() })
	if tplErr != nil {
		t.Fatalf("dynamolocal: %v", tplErr)
	}
	return tpl
}

// StartForTest returns a client and the name of a fresh table built from
// template.yaml (with its GSIs and TTL), deleted when the test ends.
//
// The table lives on one embedded server shared by the whole test binary
// (started on first use on 127.0.0.1:0), or, when DYNAMODB_ENDPOINT is set,
// on that endpoint. Tables are uniquely named, so parallel tests do not see
// each other's items.
func StartForTest(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	endpoint := os.Getenv(EndpointEnv)
	if endpoint == "" {
		sharedOnce.Do(func() { sharedSrv, sharedErr = Start("127.0.0.1:0") })
		if sharedErr != nil {
			t.Fatalf("dynamolocal: start shared server: %v", sharedErr)
		}
		endpoint = sharedSrv.Endpoint()
	}
	client, name := newTestTable(t, endpoint)
	return client, name
}

// StartServerForTest starts a dedicated embedded server for one test, for
// tests that inject faults (InjectFault, EmulateFailure) and must not disturb
// others. It returns the server, a client and a fresh table, and stops the
// server when the test ends. Fault injection needs the embedded server, so
// the test is skipped when DYNAMODB_ENDPOINT is set.
func StartServerForTest(t testing.TB) (*Server, *dynamodb.Client, string) {
	t.Helper()
	if os.Getenv(EndpointEnv) != "" {
		t.Skipf("dynamolocal: %s is set; fault injection needs the embedded DynamoDB", EndpointEnv)
	}
	srv, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("dynamolocal: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client, name := newTestTable(t, srv.Endpoint())
	return srv, client, name
}

func newTestTable(t testing.TB, endpoint string) (*dynamodb.Client, string) {
	t.Helper()
	client, err := NewClient(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	name := TestTableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureTable(ctx, client, testTemplate(t), name); err != nil {
		t.Fatalf("dynamolocal: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			t.Logf("dynamolocal: delete table %s: %v", name, err)
		}
	})
	return client, name
}

// TestTableName returns a unique, valid table name derived from the test's
// name.
func TestTableName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("test-")
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 200 {
			break
		}
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	return b.String() + "-" + hex.EncodeToString(suffix[:])
}
