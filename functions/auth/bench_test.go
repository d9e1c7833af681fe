package auth

import (
	"testing"
	"time"
)

// Micro-benchmarks of the sign-in's building blocks with the production
// parameters. `go test -bench . ./functions/auth` runs them; `make test`
// does not. The end-to-end figures are in docs/PERFORMANCE.md (make bench).

const benchPassword = "correct horse battery staple"

func benchHash(b *testing.B) string {
	b.Helper()
	h, err := HashPassword(benchPassword, DefaultHashParams)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword(benchPassword, DefaultHashParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	h := benchHash(b)
	for b.Loop() {
		if ok, err := VerifyPassword(benchPassword, h); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkVerifyPasswordParallel runs GOMAXPROCS verifies at once, as a
// loaded sign-in endpoint does: ns/op is wall time over all cores.
func BenchmarkVerifyPasswordParallel(b *testing.B) {
	h := benchHash(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := VerifyPassword(benchPassword, h); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
}

func BenchmarkSignAccess(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := Claims{Issuer: issuer, Subject: "usr_1", TenantID: "tnt_1", Gen: 1, Roles: []string{"agent"}, Device: "dev",
		IssuedAt: time.Now().Unix(), Expires: time.Now().Add(15 * time.Minute).Unix(), ID: "at_1"}
	for b.Loop() {
		if _, err := SignAccess(key, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAccess(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	tok, err := SignAccess(key, Claims{Issuer: issuer, Subject: "usr_1", TenantID: "tnt_1", Gen: 1, Roles: []string{"agent"},
		IssuedAt: now.Unix(), Expires: now.Add(15 * time.Minute).Unix(), ID: "at_1"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseAccess(key, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
