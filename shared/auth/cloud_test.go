package auth

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/tenancy/tenancytest"
)

const project = "b2b-acme-prod"

type cloudFixture struct {
	clock  *fakeClock
	jwks   *fakeJWKS
	k1, k2 signingKey
	svc    *tenancy.Service
	tenant tenancy.Tenant
	editor tenancy.User
	v      *IDTokenVerifier
}

func newCloudFixture(t *testing.T, mutate func(*IDTokenConfig)) *cloudFixture {
	t.Helper()
	f := &cloudFixture{clock: newFakeClock(), k1: newSigningKey(t, "key-1"), k2: newSigningKey(t, "key-2")}
	f.jwks = newFakeJWKS(t, "/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com", f.k1)
	f.svc, _ = tenancytest.NewService(t, tenancy.WithClock(f.clock.Now))
	var err error
	f.tenant, err = f.svc.CreateTenant(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	f.editor, err = f.svc.CreateUser(ctx, f.tenant.ID, tenancy.NewUser{Email: "Eve@Acme.example", Role: tenancy.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	cfg := IDTokenConfig{ProjectID: project, Users: f.svc, JWKSURL: f.jwks.URL(), Now: f.clock.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	f.v, err = NewIDTokenVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *cloudFixture) claims() jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss": FirebaseIssuerPrefix + project, "aud": project, "sub": "firebase-uid-1", "user_id": "firebase-uid-1",
		"auth_time": now.Add(-time.Minute).Unix(), "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(59 * time.Minute).Unix(),
		"email": "eve@acme.example", "email_verified": true,
		"firebase": map[string]any{"sign_in_provider": "password", "identities": map[string]any{"email": []string{"eve@acme.example"}}},
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	c[k] = v
	return c
}

func TestFakeJWKSIDTokenValid(t *testing.T) {
	f := newCloudFixture(t, nil)
	p, err := f.v.Verify(ctx, f.k1.sign(t, f.claims()))
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{TenantID: f.tenant.ID, UserID: f.editor.ID, Email: "eve@acme.example", Role: tenancy.RoleEditor, Kind: KindUser}
	if p != want {
		t.Fatalf("principal %+v, want %+v", p, want)
	}
	// The role follows the stored user, not the token.
	if _, err := f.svc.UpdateUserRole(ctx, f.tenant.ID, f.editor.ID, tenancy.RoleViewer); err != nil {
		t.Fatal(err)
	}
	p, err = f.v.Verify(ctx, f.k1.sign(t, with(f.claims(), "role", "admin")))
	if err != nil || p.Role != tenancy.RoleViewer {
		t.Fatalf("role after change: %+v, %v", p, err)
	}
	if n := f.jwks.requests.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", n)
	}
}

func TestFakeJWKSIDTokenRejects(t *testing.T) {
	f := newCloudFixture(t, nil)
	stranger := newSigningKey(t, "key-1") // same kid, different key
	pubDER, err := x509.MarshalPKIXPublicKey(&f.k1.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsWithPublicKey := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims())
		tok.Header["kid"] = f.k1.kid
		s, err := tok.SignedString(pubPEM)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	algNone := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.claims())
		tok.Header["kid"] = f.k1.kid
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noKid := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, f.claims()).SignedString(f.k1.priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := f.clock.Now()
	wrongFirebaseTenant := f.claims()
	wrongFirebaseTenant["b2b_tenant"] = "t_other"

	cases := []struct {
		name, token, reason string
	}{
		{"wrong audience", f.k1.sign(t, with(f.claims(), "aud", "other-project")), "audience"},
		{"wrong issuer", f.k1.sign(t, with(f.claims(), "iss", FirebaseIssuerPrefix+"other-project")), "issuer"},
		{"google issuer", f.k1.sign(t, with(f.claims(), "iss", GoogleIssuer)), "issuer"},
		{"expired", f.k1.sign(t, with(with(f.claims(), "exp", now.Add(-2*time.Minute).Unix()), "iat", now.Add(-time.Hour).Unix())), "expired"},
		{"no exp", func() string { c := f.claims(); delete(c, "exp"); return f.k1.sign(t, c) }(), "required claim"},
		{"bad signature", stranger.sign(t, f.claims()), "signature"},
		{"alg none", algNone(), "algorithm"},
		{"HS256 signed with the public key", hsWithPublicKey(), "algorithm"},
		{"no kid", noKid(), "key ID"},
		{"email not verified", f.k1.sign(t, with(f.claims(), "email_verified", false)), "not verified"},
		{"no email", func() string { c := f.claims(); delete(c, "email"); return f.k1.sign(t, c) }(), "no email"},
		{"unknown user", f.k1.sign(t, with(f.claims(), "email", "mallory@acme.example")), "no b2brecs user"},
		{"empty subject", f.k1.sign(t, with(f.claims(), "sub", "")), "subject"},
		{"custom tenant claim mismatch", f.k1.sign(t, wrongFirebaseTenant), "tenant"},
		{"garbage", "a.b.c", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.v.Verify(ctx, tc.token)
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("Verify = %v, want Unauthenticated", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("message %q lacks %q", err, tc.reason)
			}
			if strings.Contains(err.Error(), tc.token[max(0, len(tc.token)-10):]) {
				t.Errorf("message echoes the token")
			}
		})
	}
	// Rejections by issuer, algorithm and kid happen before any key fetch;
	// everything else used the one cached key set.
	if n := f.jwks.requests.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}

	if _, err := f.svc.SetUserDisabled(ctx, f.tenant.ID, f.editor.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("disabled user: %v", err)
	}
}

func TestFakeJWKSUnknownKidRefreshesOnce(t *testing.T) {
	f := newCloudFixture(t, nil)
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); err != nil {
		t.Fatal(err)
	}
	// Google rotates: key-2 appears. A token with kid key-2 triggers one refresh.
	f.jwks.setKeys(f.k1, f.k2)
	if _, err := f.v.Verify(ctx, f.k2.sign(t, f.claims())); err != nil {
		t.Fatalf("token with the new key: %v", err)
	}
	if n := f.jwks.requests.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// Tokens with kids that do not exist do not make us fetch again within
	// the minimum refresh interval.
	k3 := newSigningKey(t, "key-3")
	for range 5 {
		if _, err := f.v.Verify(ctx, k3.sign(t, f.claims())); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "unknown key") {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := f.jwks.requests.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times after unknown kids, want 2 (no refresh within %v of the last one)", n, DefaultMinRefresh)
	}
	f.clock.Advance(DefaultMinRefresh + time.Second)
	f.jwks.setKeys(f.k1, f.k2, k3)
	if _, err := f.v.Verify(ctx, k3.sign(t, f.claims())); err != nil {
		t.Fatalf("after the refresh interval: %v", err)
	}
	if n := f.jwks.requests.Load(); n != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", n)
	}
	// A forged kid right after that does not fetch again.
	if _, err := f.v.Verify(ctx, newSigningKey(t, "forged").sign(t, f.claims())); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("forged kid: %v", err)
	}
	if n := f.jwks.requests.Load(); n != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", n)
	}
}

func TestFakeJWKSCacheControlMaxAge(t *testing.T) {
	f := newCloudFixture(t, nil)
	f.jwks.maxAge = "public, max-age=120"
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(100 * time.Second)
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); err != nil {
		t.Fatal(err)
	}
	if n := f.jwks.requests.Load(); n != 1 {
		t.Fatalf("fetched %d times within max-age", n)
	}
	// Past max-age the keys are fetched again; key-1 was retired meanwhile.
	f.clock.Advance(30 * time.Second)
	f.jwks.setKeys(f.k2)
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("retired key accepted: %v", err)
	}
	if n := f.jwks.requests.Load(); n != 2 {
		t.Fatalf("fetched %d times, want 2", n)
	}
}

func TestFakeJWKSOutage(t *testing.T) {
	f := newCloudFixture(t, nil)
	f.jwks.setStatus(http.StatusInternalServerError)
	_, err := f.v.Verify(ctx, f.k1.sign(t, f.claims()))
	if !errs.Is(err, errs.Transient) {
		t.Fatalf("JWKS down, nothing cached: %v, want Transient", err)
	}
	// A multi-verifier reports Transient too, so the caller answers 503.
	iss := newIssuer(t, f.clock)
	if _, err := (MultiVerifier{iss, f.v}).Verify(ctx, f.k1.sign(t, f.claims())); !errs.Is(err, errs.Transient) {
		t.Fatalf("MultiVerifier: %v", err)
	}
	// Once the endpoint is back (after the retry interval) it works, and a
	// later outage after max-age keeps using the cached keys.
	f.jwks.setStatus(http.StatusOK)
	f.clock.Advance(DefaultMinRefresh + time.Second)
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); err != nil {
		t.Fatal(err)
	}
	f.jwks.setStatus(http.StatusServiceUnavailable)
	f.clock.Advance(2 * time.Hour)
	if _, err := f.v.Verify(ctx, f.k1.sign(t, f.claims())); err != nil {
		t.Fatalf("stale keys not used during an outage: %v", err)
	}
}

func TestFakeJWKSFirebaseTenantMapping(t *testing.T) {
	var tenantID string
	f := newCloudFixture(t, func(c *IDTokenConfig) { c.FirebaseTenants = map[string]string{} })
	tenantID = f.tenant.ID
	// Unmapped Identity Platform tenant: refused.
	withTenant := func(tn string) string {
		c := f.claims()
		c["firebase"] = map[string]any{"sign_in_provider": "password", "tenant": tn}
		return f.k1.sign(t, c)
	}
	if _, err := f.v.Verify(ctx, withTenant("acme-x1y2")); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("unmapped tenant: %v", err)
	}
	f.v.cfg.FirebaseTenants["acme-x1y2"] = tenantID
	if p, err := f.v.Verify(ctx, withTenant("acme-x1y2")); err != nil || p.TenantID != tenantID {
		t.Fatalf("mapped tenant: %+v, %v", p, err)
	}
	f.v.cfg.FirebaseTenants["other-z9"] = "t_other"
	if _, err := f.v.Verify(ctx, withTenant("other-z9")); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("tenant of another b2brecs tenant: %v", err)
	}
}

func TestNewIDTokenVerifierChecks(t *testing.T) {
	svc, _ := tenancytest.NewService(t)
	if _, err := NewIDTokenVerifier(IDTokenConfig{Users: svc}); !errs.Is(err, errs.Invalid) {
		t.Errorf("no project: %v", err)
	}
	if _, err := NewIDTokenVerifier(IDTokenConfig{ProjectID: "p"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("no users: %v", err)
	}
	v, err := NewIDTokenVerifier(IDTokenConfig{ProjectID: "p", Users: svc})
	if err != nil || v.keys.url != FirebaseJWKSURL || v.issuer != "https://securetoken.google.com/p" {
		t.Errorf("defaults: %+v, %v", v, err)
	}
}

const functionURL = "https://europe-west1-b2b-acme-prod.cloudfunctions.net/RunRequested"

func newServiceFixture(t *testing.T) (*fakeClock, *fakeJWKS, signingKey, *ServiceTokenVerifier) {
	clock := newFakeClock()
	k := newSigningKey(t, "google-1")
	jwks := newFakeJWKS(t, "/oauth2/v3/certs", k)
	v, err := NewServiceTokenVerifier(ServiceTokenConfig{
		Audiences:     []string{functionURL},
		AllowedEmails: []string{"Scheduler@b2b-acme-prod.iam.gserviceaccount.com"},
		TenantID:      "t_acme",
		JWKSURL:       jwks.URL(),
		Now:           clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return clock, jwks, k, v
}

func serviceClaims(clock *fakeClock) jwt.MapClaims {
	now := clock.Now()
	return jwt.MapClaims{
		"iss": GoogleIssuer, "aud": functionURL, "azp": "1234567890", "sub": "1234567890",
		"email": "scheduler@b2b-acme-prod.iam.gserviceaccount.com", "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestFakeJWKSServiceToken(t *testing.T) {
	clock, jwks, k, v := newServiceFixture(t)
	p, err := v.Verify(ctx, k.sign(t, serviceClaims(clock)))
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{TenantID: "t_acme", UserID: "sa:scheduler@b2b-acme-prod.iam.gserviceaccount.com",
		Email: "scheduler@b2b-acme-prod.iam.gserviceaccount.com", Role: tenancy.RoleEditor, Kind: KindService}
	if p != want {
		t.Fatalf("principal %+v", p)
	}
	if _, err := v.Verify(ctx, k.sign(t, with(serviceClaims(clock), "iss", "accounts.google.com"))); err != nil {
		t.Fatalf("scheme-less issuer: %v", err)
	}
	stranger := newSigningKey(t, "google-1")
	now := clock.Now()
	for _, tc := range []struct{ name, token, reason string }{
		{"not allowed", k.sign(t, with(serviceClaims(clock), "email", "intruder@evil.iam.gserviceaccount.com")), "not allowed"},
		{"email not verified", k.sign(t, with(serviceClaims(clock), "email_verified", false)), "verified"},
		{"wrong audience", k.sign(t, with(serviceClaims(clock), "aud", "https://other.example/fn")), "audience"},
		{"firebase issuer", k.sign(t, with(serviceClaims(clock), "iss", FirebaseIssuerPrefix+project)), "issuer"},
		{"expired", k.sign(t, with(with(serviceClaims(clock), "exp", now.Add(-5*time.Minute).Unix()), "iat", now.Add(-time.Hour).Unix())), "expired"},
		{"bad signature", stranger.sign(t, serviceClaims(clock)), "signature"},
	} {
		if _, err := v.Verify(ctx, tc.token); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if n := jwks.requests.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func TestNewServiceTokenVerifierChecks(t *testing.T) {
	ok := ServiceTokenConfig{Audiences: []string{functionURL}, AllowedEmails: []string{"a@b"}, TenantID: "t"}
	for name, mutate := range map[string]func(*ServiceTokenConfig){
		"no audience": func(c *ServiceTokenConfig) { c.Audiences = []string{""} },
		"no emails":   func(c *ServiceTokenConfig) { c.AllowedEmails = nil },
		"no tenant":   func(c *ServiceTokenConfig) { c.TenantID = "" },
		"bad role":    func(c *ServiceTokenConfig) { c.Role = "root" },
	} {
		c := ok
		mutate(&c)
		if _, err := NewServiceTokenVerifier(c); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := ok
	c.Role = tenancy.RoleViewer
	v, err := NewServiceTokenVerifier(c)
	if err != nil || v.cfg.Role != tenancy.RoleViewer || v.keys.url != GoogleJWKSURL {
		t.Fatalf("configured role / default URL: %+v, %v", v, err)
	}
}

func TestCacheMaxAge(t *testing.T) {
	floor := 30 * time.Second
	for h, want := range map[string]time.Duration{
		"public, max-age=19845, must-revalidate, no-transform": 19845 * time.Second,
		"max-age=5":          floor,
		"":                   defaultMaxAge,
		"no-store":           floor,
		"max-age=99999999":   24 * time.Hour,
		"max-age=junk":       defaultMaxAge,
		"Public, MAX-AGE=60": time.Minute,
	} {
		if got := cacheMaxAge(h, floor); got != want {
			t.Errorf("cacheMaxAge(%q) = %v, want %v", h, got, want)
		}
	}
}

// Ending a user's sessions refuses ID tokens of sign-ins before it, also
// when they were refreshed (a new iat, the old auth_time) afterwards.
func TestIDTokenAfterEndSessions(t *testing.T) {
	f := newCloudFixture(t, nil)
	before := f.k1.sign(t, f.claims())
	if _, err := f.v.Verify(ctx, before); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EndSessions(ctx, f.tenant.ID, f.editor.ID); err != nil {
		t.Fatal(err)
	}
	refreshed := f.k1.sign(t, with(f.claims(), "iat", f.clock.Now().Unix()))
	for name, tok := range map[string]string{"old token": before, "refreshed token of the old sign-in": refreshed} {
		_, err := f.v.Verify(ctx, tok)
		if !errs.Is(err, errs.Unauthenticated) || errs.UserMessage(err) != userEnded {
			t.Errorf("%s: %v (%q), want refused as ended", name, err, errs.UserMessage(err))
		}
	}
	f.clock.Advance(2 * time.Second)
	signIn := with(with(f.claims(), "auth_time", f.clock.Now().Unix()), "iat", f.clock.Now().Unix())
	if _, err := f.v.Verify(ctx, f.k1.sign(t, signIn)); err != nil {
		t.Errorf("a new sign-in after the end: %v", err)
	}
}
