// Package keys turns one master secret into the purpose-bound keys the
// backend uses, and loads that secret from Secrets Manager (AWS) or a
// generated local file (local stack). No key ever lives in code.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Keys are derived with HKDF-SHA256 from the master secret, one per purpose,
// so a leak of one (e.g. the CSRF key in a page) says nothing of the others.
type Keys struct {
	AccessToken []byte // HS256 signing of access tokens
	CodeHMAC    []byte // HMAC of one-time codes
	CSRF        []byte // emailed-link pages
	Seal        []byte // AES-256-GCM for stored secrets (SIP passwords)
}

// Derive builds Keys from master (at least 32 bytes).
func Derive(master []byte) (*Keys, error) {
	if len(master) < 32 {
		return nil, errors.New("keys: master secret shorter than 32 bytes")
	}
	d := func(label string) []byte {
		k, err := hkdf.Key(sha256.New, master, nil, "agentdesk/v1/"+label, 32)
		if err != nil {
			panic(err) // only fails for absurd lengths
		}
		return k
	}
	return &Keys{AccessToken: d("access-token"), CodeHMAC: d("code-hmac"), CSRF: d("csrf"), Seal: d("seal")}, nil
}

// SealString encrypts s with AES-GCM; the output is base64url(nonce|ct).
func (k *Keys) SealString(s string) (string, error) {
	gcm, err := k.gcm()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(s), []byte("agentdesk-seal"))), nil
}

// OpenString reverses SealString.
func (k *Keys) OpenString(sealed string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("keys: sealed value: %w", err)
	}
	gcm, err := k.gcm()
	if err != nil {
		return "", err
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("keys: sealed value too short")
	}
	pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte("agentdesk-seal"))
	if err != nil {
		return "", errors.New("keys: sealed value does not open")
	}
	return string(pt), nil
}

func (k *Keys) gcm() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Seal)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
