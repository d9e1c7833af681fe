// Package localstack runs AgentDesk on one machine the way AWS would: the
// embedded DynamoDB with the table from template.yaml, the SES emulator, a
// router serving template.yaml's routes with the Lambda handlers, and the
// outbox poller standing in for the DynamoDB stream. `make run` and the
// end-to-end tests both start it.
package localstack

import (
	"os"
	"path/filepath"

	"github.com/agentdesk/agentdesk/infra/template"
)

// Config says where the pieces listen. Everything binds to loopback.
type Config struct {
	DynamoAddr string // AGENTDESK_DYNAMODB_ADDR, default 127.0.0.1:8000
	SESAddr    string // AGENTDESK_SES_ADDR, default 127.0.0.1:8005
	APIAddr    string // AGENTDESK_API_ADDR, default 127.0.0.1:3000
	PushAddr   string // AGENTDESK_PUSH_ADDR, default 127.0.0.1:3001 ("": 127.0.0.1:0); WebSocket + management API
	Table      string // AGENTDESK_TABLE, default agentdesk
	// StateDir keeps the generated master secret (default <repo>/.local).
	StateDir string
}

// ConfigFromEnv is the default local configuration, overridable by
// environment variables.
func ConfigFromEnv() Config {
	root, err := template.FindRoot()
	if err != nil {
		root = "."
	}
	return Config{
		DynamoAddr: env("AGENTDESK_DYNAMODB_ADDR", "127.0.0.1:8000"),
		SESAddr:    env("AGENTDESK_SES_ADDR", "127.0.0.1:8005"),
		APIAddr:    env("AGENTDESK_API_ADDR", "127.0.0.1:3000"),
		PushAddr:   env("AGENTDESK_PUSH_ADDR", "127.0.0.1:3001"),
		Table:      env("AGENTDESK_TABLE", "agentdesk"),
		StateDir:   env("AGENTDESK_STATE_DIR", filepath.Join(root, ".local")),
	}
}

// SecretFile is the local master secret.
func (c Config) SecretFile() string { return filepath.Join(c.StateDir, "master.secret") }

// APIURL is the base URL of the local API.
func (c Config) APIURL() string { return "http://" + c.APIAddr }

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
