package dynamo

import (
	"time"
)

// Single-table layout. Tenant-owned items live in the tenant's partition so
// no query can ever cross tenants; global lookups (email, slug, domain,
// tokens, codes, outbox) have partitions of their own.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrTTL    = "ttl"
	attrType   = "type"
	indexGSI1  = "GSI1"
)

func tenantPK(tid string) string              { return "T#" + tid }
func userSK(uid string) string                { return "U#" + uid }
func teamSK(id string) string                 { return "TEAM#" + id }
func queueSK(id string) string                { return "QUEUE#" + id }
func auditPK(tid string) string               { return "T#" + tid + "#AUDIT" }
func auditTargetPK(tid, target string) string { return "AUDIT#" + tid + "#" + target }
func emailPK(email string) string             { return "EMAIL#" + email }
func slugPK(slug string) string               { return "SLUG#" + slug }
func domainPK(d string) string                { return "DOMAIN#" + d }
func linkPK(hash string) string               { return "LINK#" + hash }
func refreshPK(hash string) string            { return "RT#" + hash }
func familyPK(f string) string                { return "RTF#" + f }
func codePK(email string) string              { return "CODE#" + email }
func loginFailPK(email string) string         { return "LOGINFAIL#" + email }
func outboxPK(id string) string               { return "OUTBOX#" + id }

const (
	skTenant      = "TENANT"
	skGuard       = "GUARD"
	outboxDue     = "OUTBOX#DUE"
	outboxDone    = "OUTBOX#DONE"
	tsLayout      = "2006-01-02T15:04:05.000000000Z"
	doneOutboxTTL = 7 * 24 * time.Hour
)

// ts formats t so that string order is time order.
func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(tsLayout, s)
	return t
}
