package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signingKey is an RSA key with its key ID.
type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func newSigningKey(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, priv: k}
}

func (k signingKey) jwk() map[string]string {
	return map[string]string{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": k.kid,
		"n": base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
	}
}

// sign makes an RS256 token with kid in its header.
func (k signingKey) sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeJWKS is an in-process JWKS endpoint that checks the requests it gets
// (GET on its path, asking for JSON) and counts them.
type fakeJWKS struct {
	t        testing.TB
	srv      *httptest.Server
	path     string
	mu       sync.Mutex
	keys     []signingKey
	maxAge   string // Cache-Control value
	status   int
	requests atomic.Int32
}

func newFakeJWKS(t testing.TB, path string, keys ...signingKey) *fakeJWKS {
	f := &fakeJWKS{t: t, path: path, keys: keys, maxAge: "public, max-age=3600, must-revalidate, no-transform", status: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeJWKS) URL() string { return f.srv.URL + f.path }

func (f *fakeJWKS) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if r.Method != http.MethodGet || r.URL.Path != f.path || r.URL.RawQuery != "" {
		f.t.Errorf("fake JWKS: unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if a := r.Header.Get("Accept"); a != "application/json" {
		f.t.Errorf("fake JWKS: Accept = %q", a)
	}
	if r.Header.Get("Authorization") != "" {
		f.t.Errorf("fake JWKS: the key fetch must not send credentials")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status != http.StatusOK {
		http.Error(w, "unavailable", f.status)
		return
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	for _, k := range f.keys {
		doc.Keys = append(doc.Keys, k.jwk())
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", f.maxAge)
	_ = json.NewEncoder(w).Encode(doc)
}

func (f *fakeJWKS) setKeys(keys ...signingKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

func (f *fakeJWKS) setStatus(s int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = s
}
