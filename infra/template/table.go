package template

import (
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableLogicalID is the logical id of the application's table.
const TableLogicalID = "Table"

// table returns the application's table resource: the one named
// TableLogicalID, or else the only AWS::DynamoDB::Table.
func (t *Template) table() (string, Resource, error) {
	if r, ok := t.Resources[TableLogicalID]; ok && r.Type == "AWS::DynamoDB::Table" {
		return TableLogicalID, r, nil
	}
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::DynamoDB::Table" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	switch len(ids) {
	case 0:
		return "", Resource{}, errors.New("template: no AWS::DynamoDB::Table resource")
	case 1:
		return ids[0], t.Resources[ids[0]], nil
	default:
		return "", Resource{}, fmt.Errorf("template: several tables %v and none is named %q", ids, TableLogicalID)
	}
}

// TableInput builds a CreateTable request named name from the table
// resource's Properties: attribute definitions, key schema, global and local
// secondary indexes with their projections, billing mode (provisioned
// throughput when not PAY_PER_REQUEST) and stream specification. Properties
// that have no local meaning (SSE, point-in-time recovery, TTL, tags) are left
// out; TTL is applied separately, see TTLAttribute.
func (t *Template) TableInput(name string) (*dynamodb.CreateTableInput, error) {
	id, r, err := t.table()
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("template: %s.Properties.%s", id, fmt.Sprintf(format, a...))
	}
	p := r.Properties
	in := &dynamodb.CreateTableInput{TableName: aws.String(name)}

	defs, err := list(p, "AttributeDefinitions")
	if err != nil || len(defs) == 0 {
		return nil, fail("AttributeDefinitions: missing or not a list")
	}
	for i, d := range defs {
		name, err1 := str(d, "AttributeName")
		typ, err2 := str(d, "AttributeType")
		if err := errors.Join(err1, err2); err != nil {
			return nil, fail("AttributeDefinitions[%d]: %v", i, err)
		}
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(typ),
		})
	}
	if in.KeySchema, err = keySchema(p); err != nil {
		return nil, fail("%v", err)
	}

	billing, _ := p["BillingMode"].(string)
	if billing == "" {
		billing = string(types.BillingModeProvisioned)
	}
	in.BillingMode = types.BillingMode(billing)
	if in.BillingMode == types.BillingModeProvisioned {
		if in.ProvisionedThroughput, err = throughput(p); err != nil {
			return nil, fail("%v", err)
		}
	}

	gsis, err := list(p, "GlobalSecondaryIndexes")
	if err != nil {
		return nil, fail("%v", err)
	}
	for i, g := range gsis {
		idx, err := index(g, in.BillingMode)
		if err != nil {
			return nil, fail("GlobalSecondaryIndexes[%d]: %v", i, err)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: idx.name, KeySchema: idx.keys, Projection: idx.projection, ProvisionedThroughput: idx.throughput,
		})
	}
	lsis, err := list(p, "LocalSecondaryIndexes")
	if err != nil {
		return nil, fail("%v", err)
	}
	for i, l := range lsis {
		idx, err := index(l, types.BillingModePayPerRequest)
		if err != nil {
			return nil, fail("LocalSecondaryIndexes[%d]: %v", i, err)
		}
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName: idx.name, KeySchema: idx.keys, Projection: idx.projection,
		})
	}

	if s, ok := p["StreamSpecification"].(map[string]any); ok {
		view, err := str(s, "StreamViewType")
		if err != nil {
			return nil, fail("StreamSpecification: %v", err)
		}
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(view),
		}
	}
	return in, nil
}

// TTLAttribute returns the table's time-to-live attribute when
// TimeToLiveSpecification is enabled, else "".
func (t *Template) TTLAttribute() string {
	_, r, err := t.table()
	if err != nil {
		return ""
	}
	spec, _ := r.Properties["TimeToLiveSpecification"].(map[string]any)
	name, _ := spec["AttributeName"].(string)
	if enabled, ok := spec["Enabled"].(bool); ok && !enabled {
		return ""
	}
	return name
}

type indexSpec struct {
	name       *string
	keys       []types.KeySchemaElement
	projection *types.Projection
	throughput *types.ProvisionedThroughput
}

func index(v any, billing types.BillingMode) (indexSpec, error) {
	var spec indexSpec
	m, ok := v.(map[string]any)
	if !ok {
		return spec, errors.New("not a mapping")
	}
	name, err := str(m, "IndexName")
	if err != nil {
		return spec, err
	}
	spec.name = aws.String(name)
	if spec.keys, err = keySchema(m); err != nil {
		return spec, err
	}
	proj, ok := m["Projection"].(map[string]any)
	if !ok {
		return spec, errors.New("Projection: missing")
	}
	spec.projection = &types.Projection{}
	if pt, ok := proj["ProjectionType"].(string); ok {
		spec.projection.ProjectionType = types.ProjectionType(pt)
	} else {
		spec.projection.ProjectionType = types.ProjectionTypeKeysOnly
	}
	nka, err := list(proj, "NonKeyAttributes")
	if err != nil {
		return spec, fmt.Errorf("Projection.%v", err)
	}
	for _, a := range nka {
		s, ok := a.(string)
		if !ok {
			return spec, errors.New("Projection.NonKeyAttributes: not a list of strings")
		}
		spec.projection.NonKeyAttributes = append(spec.projection.NonKeyAttributes, s)
	}
	if billing == types.BillingModeProvisioned {
		if spec.throughput, err = throughput(m); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

func keySchema(m map[string]any) ([]types.KeySchemaElement, error) {
	ks, err := list(m, "KeySchema")
	if err != nil || len(ks) == 0 {
		return nil, errors.New("KeySchema: missing or not a list")
	}
	var out []types.KeySchemaElement
	for i, k := range ks {
		name, err1 := str(k, "AttributeName")
		typ, err2 := str(k, "KeyType")
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("KeySchema[%d]: %v", i, err)
		}
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyType(typ)})
	}
	return out, nil
}

func throughput(m map[string]any) (*types.ProvisionedThroughput, error) {
	pt, ok := m["ProvisionedThroughput"].(map[string]any)
	if !ok {
		return nil, errors.New("ProvisionedThroughput: missing (BillingMode is PROVISIONED)")
	}
	r, ok1 := pt["ReadCapacityUnits"].(int)
	w, ok2 := pt["WriteCapacityUnits"].(int)
	if !ok1 || !ok2 {
		return nil, errors.New("ProvisionedThroughput: ReadCapacityUnits and WriteCapacityUnits must be integers")
	}
	return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(int64(r)), WriteCapacityUnits: aws.Int64(int64(w))}, nil
}

// list returns m[key] as a list; a missing key is an empty list.
func list(m map[string]any, key string) ([]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		if fn, _, isFn := Intrinsic(v); isFn {
			return nil, fmt.Errorf("%s: intrinsic %s is not supported locally", key, fn)
		}
		return nil, fmt.Errorf("%s: not a list", key)
	}
	return l, nil
}

// str returns v[key] as a string.
func str(v any, key string) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", errors.New("not a mapping")
	}
	s, ok := m[key].(string)
	if !ok || s == "" {
		if fn, _, isFn := Intrinsic(m[key]); isFn {
			return "", fmt.Errorf("%s: intrinsic %s is not supported locally", key, fn)
		}
		return "", fmt.Errorf("%s: missing or not a string", key)
	}
	return s, nil
}
