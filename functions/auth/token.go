package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are the access token's claims (a compact HS256 JWT).
type Claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	TenantID string   `json:"tid"`
	Gen      int64    `json:"gen"`
	Roles    []string `json:"roles"`
	Device   string   `json:"dev,omitempty"`
	IssuedAt int64    `json:"iat"`
	Expires  int64    `json:"exp"`
	ID       string   `json:"jti"`
}

const issuer = "agentdesk"

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// ErrBadToken covers every reason an access token is refused.
var ErrBadToken = errors.New("auth: invalid access token")

// SignAccess signs claims with key.
func SignAccess(key []byte, c Claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac(key, signing)), nil
}

// ParseAccess verifies the signature (only HS256 with our exact header is
// accepted: no alg confusion), issuer and expiry.
func ParseAccess(key []byte, tok string, now time.Time) (*Claims, error) {
	if len(tok) > 4096 {
		return nil, ErrBadToken
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return nil, ErrBadToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac(key, parts[0]+"."+parts[1])) {
		return nil, ErrBadToken
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, ErrBadToken
	}
	var c Claims
	if err := json.Unmarshal(body, &c); err != nil || c.Issuer != issuer || c.Subject == "" || c.TenantID == "" {
		return nil, ErrBadToken
	}
	if now.Unix() >= c.Expires {
		return nil, ErrBadToken
	}
	return &c, nil
}

func mac(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

// NewSecretToken returns a random 256-bit token (base64url) and the SHA-256
// hex digest stored in its place. Plain hashing is enough for 256 random
// bits; low-entropy secrets (6-digit codes) use CodeHash instead.
func NewSecretToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a high-entropy token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CodeHash is the keyed HMAC of a one-time code bound to its email, so a
// table dump cannot be brute-forced offline.
func CodeHash(key []byte, email, code string) string {
	return hex.EncodeToString(mac(key, "reset-code|"+email+"|"+code))
}

// NewCode returns a uniformly random 6-digit code.
func NewCode() string {
	const n = 1000000
	// Rejection sampling over 20 bits avoids modulo bias.
	for {
		b := make([]byte, 3)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		v := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		v &= 0xFFFFF
		if v < n {
			return fmt.Sprintf("%06d", v)
		}
	}
}
