package platform

import (
	"context"
	"testing"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// TestAuthModes: local mode signs sessions with a key kept in the secrets
// store (the same key on the next start); identity-platform mode needs a
// project and verifies ID tokens instead of passwords.
func TestAuthModes(t *testing.T) {
	ctx := context.Background()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	cfg := FromEnv()

	p, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Sessions == nil || p.Verifier == nil {
		t.Fatal("local mode: no session issuer or verifier")
	}
	tok, _, err := p.Sessions.Issue(auth.Principal{TenantID: "t_1", UserID: "u_1", Email: "a@b.c", Role: "admin", Kind: auth.KindUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p2, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if got, err := p2.Sessions.Verify(ctx, tok); err != nil || got.UserID != "u_1" {
		t.Errorf("token from the previous start: %+v, %v (the signing key must persist)", got, err)
	}

	cloud := cfg
	cloud.AuthMode = "identity-platform"
	if _, err := Open(ctx, cloud, Options{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("identity-platform without a project: %v, want invalid", err)
	}
	cloud.Project = "acme-prod"
	cloud.ServiceAccounts = []string{"scheduler@acme-prod.iam.gserviceaccount.com"}
	cloud.TenantID = "t_acme"
	pc, err := Open(ctx, cloud, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if pc.Sessions != nil {
		t.Error("identity-platform mode must not issue password sessions")
	}
	if _, ok := pc.Verifier.(auth.MultiVerifier); !ok {
		t.Errorf("verifier = %T, want ID token + service token verifiers", pc.Verifier)
	}
	if _, err := pc.Verifier.Verify(ctx, tok); err == nil {
		t.Error("a local session token was accepted in identity-platform mode")
	}

	bad := cfg
	bad.AuthMode = "magic"
	if _, err := Open(ctx, bad, Options{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown auth mode: %v, want invalid", err)
	}
}
