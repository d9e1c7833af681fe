package auth

import (
	"strings"
	"testing"
	"time"
)

var fast = HashParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		got, err := VerifyPassword(pw, h)
		if err != nil || got != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	h2, _ := HashPassword("correct horse battery staple", fast)
	if h == h2 {
		t.Error("two hashes of one password share a salt")
	}
	if _, err := VerifyPassword("x", "$2a$10$bcrypt"); err == nil {
		t.Error("a non-argon2id hash must be refused")
	}
}

func TestDefaultHashParamsMeetOWASP(t *testing.T) {
	p := DefaultHashParams
	if p.Memory < 19*1024 || p.Time < 2 || p.Threads < 1 || p.SaltLen < 16 {
		t.Fatalf("argon2id parameters below OWASP minimum: %+v", p)
	}
}

func TestAccessToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	c := Claims{Issuer: issuer, Subject: "usr_1", TenantID: "tnt_1", Gen: 3, Roles: []string{"agent"}, IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()}
	tok, err := SignAccess(key, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAccess(key, tok, now)
	if err != nil || got.Subject != "usr_1" || got.Gen != 3 {
		t.Fatalf("parse: %+v %v", got, err)
	}
	if _, err := ParseAccess(key, tok, now.Add(time.Minute)); err == nil {
		t.Error("expired token accepted")
	}
	if _, err := ParseAccess([]byte("another key of thirty-two bytes!"), tok, now); err == nil {
		t.Error("token signed with another key accepted")
	}
	parts := strings.Split(tok, ".")
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	if _, err := ParseAccess(key, none, now); err == nil {
		t.Error("alg=none accepted")
	}
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	if _, err := ParseAccess(key, tampered, now); err == nil {
		t.Error("tampered payload accepted")
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := NewCode()
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("bad code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 1900 {
		t.Fatalf("codes repeat too often: %d distinct of 2000", len(seen))
	}
	k := []byte("k")
	if CodeHash(k, "a@b.co", "123456") == CodeHash(k, "c@b.co", "123456") {
		t.Error("code hash not bound to the email")
	}
	if CodeHash(k, "a@b.co", "123456") == CodeHash([]byte("k2"), "a@b.co", "123456") {
		t.Error("code hash not keyed")
	}
}

func TestLockFor(t *testing.T) {
	p := DefaultPolicy
	want := map[int]time.Duration{1: 0, 4: 0, 5: 5 * time.Second, 6: 10 * time.Second, 7: 20 * time.Second, 12: 640 * time.Second, 13: 15 * time.Minute, 50: 15 * time.Minute}
	for n, d := range want {
		if got := p.LockFor(n); got != d {
			t.Errorf("LockFor(%d) = %v, want %v", n, got, d)
		}
	}
}

func TestSecretToken(t *testing.T) {
	a, ha := NewSecretToken()
	b, _ := NewSecretToken()
	if a == b || len(a) < 43 || HashToken(a) != ha || strings.Contains(ha, a) {
		t.Fatal("secret tokens must be random, 256-bit, and stored only hashed")
	}
}
