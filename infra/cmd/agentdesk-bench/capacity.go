package main

import (
	"context"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/agentdesk/agentdesk/infra/dynamolocal"
)

// itemStat describes the items of one kind (itemKind) in the table.
type itemStat struct {
	Count   int
	MaxSize int  // bytes, by DynamoDB's sizing rules (itemSize)
	Indexed bool // some carry GSI1PK: writes to them write GSI1 too
}

// gsiKey is the attribute that puts an item into GSI1 (template.yaml).
const gsiKey = "GSI1PK"

// itemStats scans the table (through the stack's listener, so no measured
// count changes) and describes each kind of item.
func (e *env) itemStats(ctx context.Context) (map[string]itemStat, int, error) {
	db, err := dynamolocal.NewClient(ctx, e.stackEndpoint)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]itemStat{}
	total := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(e.Stack.Config.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, 0, err
		}
		for _, it := range page.Items {
			k := itemKind(str(it["PK"]), str(it["SK"]))
			s := out[k]
			size := itemSize(it)
			total += size
			s.Count++
			s.MaxSize = max(s.MaxSize, size)
			if _, ok := it[gsiKey]; ok {
				s.Indexed = true
			}
			out[k] = s
		}
	}
	return out, total, nil
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// itemSize is an item's size as DynamoDB counts it: each attribute's name
// plus its value (strings and binaries their length, numbers about one
// byte per two significant digits plus one, booleans and nulls one byte,
// lists and maps three bytes plus one per element plus the elements).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is about one byte per two significant digits, plus one.
func numberSize(s string) int {
	digits := 0
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0.")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(strings.ReplaceAll(s, ".", ""), "0")
	digits = utf8.RuneCountInString(s)
	return (digits+1)/2 + 1
}

// units are DynamoDB on-demand request units.
type units struct{ Read, Write float64 }

// capacity prices the accesses of c (see access) in request units, by
// DynamoDB's rules: a strongly consistent read is 1 read unit per 4 KB of
// item (eventually consistent half that), a Query is assumed to return at
// most 4 KB; a write is 1 write unit per KB of item, 2 inside a
// transaction; a write to an item in GSI1 (projection ALL) writes the
// index entry too, 1 unit per KB more. A kind the table no longer holds
// (deleted, expired) counts as one small item, outside GSI1.
func capacity(c counts, stats map[string]itemStat) units {
	var u units
	per := func(size, unit int) float64 { return math.Max(1, math.Ceil(float64(size)/float64(unit))) }
	for k, n := range c.Access {
		f := strings.Fields(k)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "GetItem", "Query", "Scan":
			if len(f) != 3 {
				continue
			}
			x := 1.0
			if f[0] == "GetItem" {
				x = per(stats[f[1]].MaxSize, 4096)
			}
			if f[2] == "eventual" {
				x /= 2
			}
			u.Read += x * float64(n)
		case "PutItem", "UpdateItem", "DeleteItem":
			s := stats[f[1]]
			x := per(s.MaxSize, 1024)
			if s.Indexed {
				x *= 2
			}
			u.Write += x * float64(n)
		case "TransactWriteItems":
			if len(f) != 3 {
				continue
			}
			s := stats[f[2]]
			x := 2 * per(s.MaxSize, 1024)
			if s.Indexed && f[1] != "ConditionCheck" {
				x += per(s.MaxSize, 1024)
			}
			u.Write += x * float64(n)
		}
	}
	return u
}

// kindNames say what an item kind is, for the reports.
var kindNames = map[string]string{
	"T/U":             "user",
	"T/TENANT":        "tenant",
	"T/LEASE":         "station session lease",
	"T/DIAL":          "dial-number guard",
	"T/CONN":          "push connection",
	"CONN/GUARD":      "push connection id lookup",
	"RT/GUARD":        "refresh token",
	"RTF/GUARD":       "refresh token family",
	"EMAIL/GUARD":     "email guard",
	"LOGINFAIL/GUARD": "sign-in failure counter",
}

// kindName is "lease (T/LEASE)" or the bare kind.
func kindName(k string) string {
	if n, ok := kindNames[k]; ok {
		return n + " (`" + k + "`)"
	}
	return "`" + k + "`"
}
