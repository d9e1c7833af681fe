package template

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func loadRepoTemplate(t *testing.T) *Template {
	t.Helper()
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Load(filepath.Join(root, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestRoutesFromRepoTemplate(t *testing.T) {
	tpl := loadRepoTemplate(t)
	routes := tpl.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	byKey := map[string]Route{}
	for _, r := range routes {
		if prev, dup := byKey[r.Key()]; dup {
			t.Errorf("route %s declared by %s and %s", r.Key(), prev.Function, r.Function)
		}
		byKey[r.Key()] = r
		if !strings.HasPrefix(r.Path, "/") {
			t.Errorf("route %s: path does not start with /", r.Key())
		}
	}
	want := map[string]string{
		"POST /v1/auth/login":          "AuthFunction",
		"GET /v1/health":               "AuthFunction",
		"GET /p/reset":                 "AuthFunction",
		"POST /p/reset":                "AuthFunction",
		"GET /v1/me":                   "AgentFunction",
		"GET /v1/admin/users/{id}":     "AdminFunction",
		"PATCH /v1/admin/users/{id}":   "AdminFunction",
		"DELETE /v1/admin/queues/{id}": "AdminFunction",
	}
	for key, fn := range want {
		r, ok := byKey[key]
		if !ok {
			t.Errorf("route %s missing", key)
			continue
		}
		if r.Function != fn {
			t.Errorf("route %s -> %s, want %s", key, r.Function, fn)
		}
	}
	if r := byKey["POST /v1/auth/login"]; r.Event != "Login" {
		t.Errorf("login event name = %q", r.Event)
	}
	for _, r := range routes {
		if r.Function == "MailerFunction" {
			t.Errorf("MailerFunction has no HttpApi events, got %+v", r)
		}
	}
}

func TestTableInputFromRepoTemplate(t *testing.T) {
	tpl := loadRepoTemplate(t)
	in, err := tpl.TableInput("agentdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.TableName) != "agentdesk-test" {
		t.Errorf("table name %q", aws.ToString(in.TableName))
	}
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %q", in.BillingMode)
	}
	if in.ProvisionedThroughput != nil {
		t.Error("provisioned throughput set for PAY_PER_REQUEST")
	}
	if got := keys(in.KeySchema); !reflect.DeepEqual(got, []string{"PK HASH", "SK RANGE"}) {
		t.Errorf("key schema %v", got)
	}
	if len(in.AttributeDefinitions) != 4 {
		t.Errorf("attribute definitions %d", len(in.AttributeDefinitions))
	}
	if len(in.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("GSIs: %d", len(in.GlobalSecondaryIndexes))
	}
	gsi := in.GlobalSecondaryIndexes[0]
	if aws.ToString(gsi.IndexName) != "GSI1" {
		t.Errorf("GSI name %q", aws.ToString(gsi.IndexName))
	}
	if got := keys(gsi.KeySchema); !reflect.DeepEqual(got, []string{"GSI1PK HASH", "GSI1SK RANGE"}) {
		t.Errorf("GSI key schema %v", got)
	}
	if gsi.Projection == nil || gsi.Projection.ProjectionType != types.ProjectionTypeAll {
		t.Errorf("GSI projection %+v", gsi.Projection)
	}
	if in.StreamSpecification == nil || !aws.ToBool(in.StreamSpecification.StreamEnabled) ||
		in.StreamSpecification.StreamViewType != types.StreamViewTypeNewImage {
		t.Errorf("stream %+v", in.StreamSpecification)
	}
	if got := tpl.TTLAttribute(); got != "ttl" {
		t.Errorf("TTL attribute %q", got)
	}
}

func keys(ks []types.KeySchemaElement) []string {
	var out []string
	for _, k := range ks {
		out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return out
}

func TestShortTagsAreOpaque(t *testing.T) {
	tpl := loadRepoTemplate(t)
	env := tpl.Globals["Function"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got := env["TABLE_NAME"]; !reflect.DeepEqual(got, map[string]any{"Ref": "Table"}) {
		t.Errorf("TABLE_NAME = %#v", got)
	}
	// Nested short tags, on a template of the test's own.
	own, err := Parse([]byte("Resources: {}\nGlobals:\n  Function:\n    Environment:\n      Variables:\n        URL: !If\n          - HasURL\n          - !Ref URL\n          - !Sub \"https://${HttpApi}.example\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := own.Globals["Function"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)["URL"]
	fn, arg, ok := Intrinsic(v)
	if !ok || fn != "Fn::If" {
		t.Fatalf("URL = %#v", v)
	}
	args := arg.([]any)
	if args[0] != "HasURL" {
		t.Errorf("If condition %#v", args[0])
	}
	if name, _, ok := Intrinsic(args[2]); !ok || name != "Fn::Sub" {
		t.Errorf("If else %#v", args[2])
	}
	dims := tpl.Resources["MailerDLQAlarm"].Properties["Dimensions"].([]any)
	val := dims[0].(map[string]any)["Value"]
	if !reflect.DeepEqual(val, map[string]any{"Fn::GetAtt": []any{"MailerDLQ", "QueueName"}}) {
		t.Errorf("GetAtt = %#v", val)
	}
	if got := tpl.FunctionTimeout("MailerFunction"); got != 60*time.Second {
		t.Errorf("mailer timeout %v", got)
	}
	if got := tpl.FunctionTimeout("AuthFunction"); got != 10*time.Second {
		t.Errorf("auth timeout (from Globals) %v", got)
	}
}

func TestParseEdgeCases(t *testing.T) {
	src := `
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Catch: {Type: HttpApi}
        Any: {Type: HttpApi, Properties: {Path: "/files/{proxy+}", Method: any}}
        Queue: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
  Other:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PROVISIONED
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: exp, Enabled: false}
`
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := tpl.Routes()
	want := []Route{
		{Function: "Fn", Event: "Catch", Method: "ANY", Path: DefaultRoute},
		{Function: "Fn", Event: "Any", Method: "ANY", Path: "/files/{proxy+}"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes %+v", got)
	}
	if got[0].Key() != "$default" || got[1].Key() != "ANY /files/{proxy+}" {
		t.Errorf("keys %q %q", got[0].Key(), got[1].Key())
	}
	in, err := tpl.TableInput("x")
	if err != nil {
		t.Fatal(err)
	}
	if in.ProvisionedThroughput == nil || aws.ToInt64(in.ProvisionedThroughput.ReadCapacityUnits) != 5 {
		t.Errorf("throughput %+v", in.ProvisionedThroughput)
	}
	if tpl.TTLAttribute() != "" {
		t.Error("disabled TTL reported")
	}
	if tpl.FunctionTimeout("Fn") != 3*time.Second {
		t.Error("default timeout")
	}

	for _, bad := range []string{
		"",
		"Resources: []",
		"Resources: {A: {Properties: {}}}",
		"Resources: {A: {Type: X, Properties: {P: !GetAtt NoDot}}}",
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	noTable, err := Parse([]byte("Resources: {A: {Type: AWS::SNS::Topic}}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noTable.TableInput("x"); err == nil {
		t.Error("TableInput without a table succeeded")
	}
	intrinsicKeys, err := Parse([]byte(`Resources: {Table: {Type: AWS::DynamoDB::Table, Properties: {BillingMode: PAY_PER_REQUEST, AttributeDefinitions: !Ref Defs, KeySchema: [{AttributeName: id, KeyType: HASH}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := intrinsicKeys.TableInput("x"); err == nil {
		t.Error("TableInput with intrinsic attribute definitions succeeded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Resources: {A: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: HttpApi, Properties: {Path: /x, Method: GET}}}}}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte("Resources: {T: {Type: AWS::DynamoDB::Table, Properties: !If [c, {}, !Ref x]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse(data)
		if err != nil {
			return
		}
		_ = tpl.Routes()
		_, _ = tpl.TableInput("x")
		_ = tpl.TTLAttribute()
	})
}
