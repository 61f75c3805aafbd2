package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Key set defaults.
const (
	// DefaultMinRefresh is the shortest time between two fetches triggered
	// by tokens with an unknown key ID, so that forged kids cannot make us
	// hammer the key endpoint.
	DefaultMinRefresh = 30 * time.Second
	// defaultMaxAge is used when the response has no usable Cache-Control.
	defaultMaxAge = 5 * time.Minute
	maxMaxAge     = 24 * time.Hour
	maxJWKSBytes  = 1 << 20
	fetchTimeout  = 10 * time.Second
)

// keySet caches the RSA keys of a JWKS endpoint. Keys are kept for the
// response's Cache-Control max-age; an unknown key ID triggers at most one
// refresh per minRefresh. If a refresh fails, keys still cached are used.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefresh time.Duration
	logger     *slog.Logger

	mu       sync.Mutex // held during fetches, so concurrent misses fetch once
	keys     map[string]*rsa.PublicKey
	expires  time.Time
	fetched  time.Time // last fetch attempt
	lastErr  error     // of that attempt
	lastMiss time.Time // last refresh caused by an unknown kid
}

func newKeySet(url string, client *http.Client, now func() time.Time, minRefresh time.Duration, logger *slog.Logger) *keySet {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	if now == nil {
		now = time.Now
	}
	if minRefresh <= 0 {
		minRefresh = DefaultMinRefresh
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &keySet{url: url, client: client, now: now, minRefresh: minRefresh, logger: logger}
}

// key returns the key with ID kid. An unknown kid is errs.Unauthenticated;
// a failed fetch with nothing usable cached is errs.Transient.
func (ks *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	fresh := ks.keys != nil && now.Before(ks.expires)
	if k, ok := ks.keys[kid]; ok && fresh {
		return k, nil
	}
	switch {
	case fresh:
		// An unknown kid: the keys may have rotated. Refresh, but at most
		// once per minRefresh for unknown kids, so forged kids cannot make
		// us hammer the endpoint.
		if !ks.lastMiss.IsZero() && now.Sub(ks.lastMiss) < ks.minRefresh {
			return nil, unauthenticated("auth: token signed with an unknown key")
		}
		ks.lastMiss = now
	case ks.lastErr != nil && now.Sub(ks.fetched) < ks.minRefresh:
		// The last fetch failed recently: do not retry yet.
		if k, ok := ks.keys[kid]; ok {
			return k, nil // stale, but better than failing every call
		}
		return nil, ks.lastErr
	}
	ks.lastErr = ks.refresh(ctx, now)
	if err := ks.lastErr; err != nil {
		if k, ok := ks.keys[kid]; ok {
			ks.logger.WarnContext(ctx, "auth: refreshing signing keys failed; using cached keys", "url", ks.url, "err", err)
			return k, nil
		}
		return nil, err
	}
	if k, ok := ks.keys[kid]; ok {
		return k, nil
	}
	return nil, unauthenticated("auth: token signed with an unknown key")
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (ks *keySet) refresh(ctx context.Context, now time.Time) error {
	ks.fetched = now
	// Not the request's context: one cancelled request must not fail the
	// fetch that every caller waits for and whose error is remembered.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.url, nil)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "auth: signing keys URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return errs.Wrap(errs.Transient, err, "auth: fetch signing keys")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return errs.Wrap(errs.Transient, err, "auth: read signing keys")
	}
	if resp.StatusCode != http.StatusOK {
		return errs.E(errs.Transient, "auth: fetch signing keys from %s: HTTP %d", ks.url, resp.StatusCode)
	}
	if len(body) > maxJWKSBytes {
		return errs.E(errs.Transient, "auth: signing keys from %s exceed %d bytes", ks.url, maxJWKSBytes)
	}
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return errs.Wrap(errs.Transient, err, "auth: decode signing keys from %s", ks.url)
	}
	keys := make(map[string]*rsa.PublicKey, len(doc.Keys))
	for _, k := range doc.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pk, err := rsaKey(k.N, k.E)
		if err != nil {
			ks.logger.WarnContext(ctx, "auth: skipping malformed signing key", "url", ks.url, "kid", k.Kid, "err", err)
			continue
		}
		keys[k.Kid] = pk
	}
	if len(keys) == 0 {
		return errs.E(errs.Transient, "auth: no usable RS256 keys at %s", ks.url)
	}
	ks.keys = keys
	ks.expires = now.Add(cacheMaxAge(resp.Header.Get("Cache-Control"), ks.minRefresh))
	ks.logger.DebugContext(ctx, "auth: signing keys fetched", "url", ks.url, "keys", len(keys), "expires", ks.expires)
	return nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n64, "="))
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e64, "="))
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if len(nb) < 256 { // 2048 bits at least
		return nil, fmt.Errorf("modulus of %d bits is too short", len(nb)*8)
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, fmt.Errorf("bad exponent length %d", len(eb))
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	if e < 3 || e%2 == 0 {
		return nil, fmt.Errorf("bad exponent %d", e)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: e}, nil
}

// cacheMaxAge reads max-age from a Cache-Control header, clamped to
// [floor, 24h]; no-cache, no-store or no max-age give the floor or the
// default.
func cacheMaxAge(header string, floor time.Duration) time.Duration {
	d := defaultMaxAge
	for part := range strings.SplitSeq(header, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		switch {
		case part == "no-cache" || part == "no-store":
			return floor
		case strings.HasPrefix(part, "max-age="):
			if n, err := strconv.Atoi(strings.TrimPrefix(part, "max-age=")); err == nil && n >= 0 {
				d = time.Duration(n) * time.Second
			}
		}
	}
	return min(max(d, floor), maxMaxAge)
}
