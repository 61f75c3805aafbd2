package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/tenancy/tenancytest"
)

var ctx = context.Background()

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

func newIssuer(t *testing.T, clock *fakeClock) *SessionIssuer {
	t.Helper()
	iss, err := NewSessionIssuer(testKey, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return iss.WithClock(clock.Now)
}

func TestNewSessionIssuerChecks(t *testing.T) {
	if _, err := NewSessionIssuer([]byte("short"), time.Hour); !errs.Is(err, errs.Invalid) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := NewSessionIssuer(testKey, 0); !errs.Is(err, errs.Invalid) {
		t.Fatalf("zero ttl: %v", err)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	clock := newFakeClock()
	iss := newIssuer(t, clock)
	p := Principal{TenantID: "t_1", UserID: "u_1", Email: "a@x.io", Role: tenancy.RoleEditor, Kind: KindUser}
	tok, exp, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("expires %v", exp)
	}
	got, err := iss.Verify(ctx, tok)
	if err != nil || got.Session.ID == "" || !got.Session.ExpiresAt.Equal(exp) || got.Session.Epoch != 0 {
		t.Fatalf("Verify = %+v, %v: want the session's id and expiry", got, err)
	}
	got.Session = Session{}
	if got != p {
		t.Fatalf("Verify = %+v, want %+v", got, p)
	}
	// The claims are the documented ones.
	var mc jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &mc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"tenant", "user", "role", "email", "exp", "iat", "jti", "iss", "sub"} {
		if _, ok := mc[c]; !ok {
			t.Errorf("claim %q missing: %v", c, mc)
		}
	}
	tok2, _, _ := iss.Issue(p)
	if tok2 == tok {
		t.Error("two tokens share a jti")
	}
	if _, _, err := iss.Issue(Principal{TenantID: "t_1", UserID: "u_1", Role: "root"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Issue with a bad role: %v", err)
	}
}

func TestSessionRejects(t *testing.T) {
	clock := newFakeClock()
	iss := newIssuer(t, clock)
	p := Principal{TenantID: "t_1", UserID: "u_1", Email: "a@x.io", Role: tenancy.RoleAdmin, Kind: KindUser}
	good, _, _ := iss.Issue(p)

	otherKey, _ := NewSessionIssuer([]byte(strings.Repeat("k", 32)), time.Hour)
	forged, _, _ := otherKey.WithClock(clock.Now).Issue(p)

	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := clock.Now()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"tenant": "t_1", "user": "u_1", "sub": "u_1", "role": "admin", "iss": SessionIssuerName,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	noExp := base()
	delete(noExp, "exp")
	wrongIss := base()
	wrongIss["iss"] = "someone-else"
	badRole := base()
	badRole["role"] = "root"
	future := base()
	future["iat"] = now.Add(time.Hour).Unix()
	subMismatch := base()
	subMismatch["sub"] = "u_2"

	cases := []struct{ name, token, reason string }{
		{"garbage", "not-a-jwt", "malformed"},
		{"empty", "", "malformed"},
		{"other key", forged, "signature"},
		{"tampered payload", good[:strings.Index(good, ".")+1] + "eyJ0ZW5hbnQiOiJ0XzIifQ" + good[strings.LastIndex(good, "."):], ""},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base()), "algorithm"},
		{"HS512", sign(jwt.SigningMethodHS512, testKey, base()), "algorithm"},
		{"no exp", sign(jwt.SigningMethodHS256, testKey, noExp), "required claim"},
		{"wrong issuer", sign(jwt.SigningMethodHS256, testKey, wrongIss), "issuer"},
		{"bad role", sign(jwt.SigningMethodHS256, testKey, badRole), "incomplete"},
		{"issued in the future", sign(jwt.SigningMethodHS256, testKey, future), "not valid yet"},
		{"sub mismatch", sign(jwt.SigningMethodHS256, testKey, subMismatch), "incomplete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iss.Verify(ctx, tc.token)
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("Verify = %v, want Unauthenticated", err)
			}
			if tc.reason != "" && !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("message %q lacks %q", err, tc.reason)
			}
			if len(tc.token) > 8 && strings.Contains(err.Error(), tc.token[len(tc.token)-8:]) {
				t.Errorf("message echoes the token: %q", err)
			}
		})
	}

	clock.Advance(time.Hour + 6*time.Second)
	_, err := iss.Verify(ctx, good)
	if !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
}

func TestDummyHashIsBcryptCost10(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil || cost != tenancy.BcryptCost {
		t.Fatalf("dummy hash cost %d, %v", cost, err)
	}
}

func TestLogin(t *testing.T) {
	clock := newFakeClock()
	iss := newIssuer(t, clock)
	svc, _ := tenancytest.NewService(t)
	tn, admin, pw, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "v@acme.example", Role: tenancy.RoleViewer, Password: "viewer-password"})
	if err != nil {
		t.Fatal(err)
	}
	noPw, _ := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "sso@acme.example", Role: tenancy.RoleViewer})
	_ = noPw

	tok, exp, u, err := Login(ctx, svc, iss, " ADMIN@acme.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != admin.ID || !exp.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("Login user %+v exp %v", u, exp)
	}
	p, err := iss.Verify(ctx, tok)
	if err != nil || p.UserID != admin.ID || p.TenantID != tn.ID || p.Role != tenancy.RoleAdmin || p.Kind != KindUser {
		t.Fatalf("session principal %+v, %v", p, err)
	}

	for _, tc := range []struct{ name, email, password, msg string }{
		{"wrong password", "admin@acme.example", pw + "x", "invalid email or password"},
		{"unknown email", "nobody@acme.example", pw, "invalid email or password"},
		{"malformed email", "nobody", pw, "invalid email or password"},
		{"no local password", "sso@acme.example", "", "invalid email or password"},
	} {
		_, _, _, err := Login(ctx, svc, iss, tc.email, tc.password)
		if !errs.Is(err, errs.Unauthenticated) || err.Error() != tc.msg {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	if _, err := svc.SetUserDisabled(ctx, tn.ID, viewer.ID, true); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = Login(ctx, svc, iss, "v@acme.example", "viewer-password")
	if !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("disabled user: %v", err)
	}
	_, _, _, err = Login(ctx, svc, iss, "v@acme.example", "wrong-password")
	if err == nil || err.Error() != "invalid email or password" {
		t.Fatalf("disabled user with a wrong password must not learn it is disabled: %v", err)
	}
}

func TestWithCurrentUser(t *testing.T) {
	clock := newFakeClock()
	iss := newIssuer(t, clock)
	svc, _ := tenancytest.NewService(t)
	tn, admin, _, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "ed@acme.example", Role: tenancy.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	v := WithCurrentUser(iss, svc)
	tok, _, _ := iss.IssueFor(ed)
	if p, err := v.Verify(ctx, tok); err != nil || p.Role != tenancy.RoleEditor {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	if _, err := svc.UpdateUserRole(ctx, tn.ID, ed.ID, tenancy.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if p, err := v.Verify(ctx, tok); err != nil || p.Role != tenancy.RoleViewer {
		t.Fatalf("after demotion: %+v, %v", p, err)
	}
	if _, err := svc.SetUserDisabled(ctx, tn.ID, ed.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("disabled: %v", err)
	}
	if err := svc.DeleteUser(ctx, tn.ID, ed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("deleted: %v", err)
	}
	svcTok := VerifierFunc(func(context.Context, string) (Principal, error) {
		return Principal{TenantID: tn.ID, UserID: "sa:x@y", Role: tenancy.RoleEditor, Kind: KindService}, nil
	})
	if p, err := WithCurrentUser(svcTok, svc).Verify(ctx, "t"); err != nil || p.Kind != KindService {
		t.Fatalf("service principal: %+v, %v", p, err)
	}
	_ = admin
}

// Logout ends one session, EndSessions every session of the user; both are
// seen by any verifier over the same store (any instance).
func TestEndedSessionsRefused(t *testing.T) {
	clock := newFakeClock()
	iss := newIssuer(t, clock)
	svc, _ := tenancytest.NewService(t, tenancy.WithClock(clock.Now))
	tn, admin, _, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	instanceA, instanceB := WithCurrentUser(iss, svc), WithCurrentUser(iss, svc)
	tok1, _, _ := iss.IssueFor(admin)
	tok2, _, _ := iss.IssueFor(admin)
	p1, err := instanceA.Verify(ctx, tok1)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeSession(ctx, tn.ID, admin.ID, p1.Session.ID, p1.Session.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	for _, v := range []Verifier{instanceA, instanceB} {
		if _, err := v.Verify(ctx, tok1); !errs.Is(err, errs.Unauthenticated) || errs.UserMessage(err) != userEnded {
			t.Errorf("logged-out token: %v", err)
		}
		if _, err := v.Verify(ctx, tok2); err != nil {
			t.Errorf("the other session must live on after a single logout: %v", err)
		}
	}
	u, err := svc.EndSessions(ctx, tn.ID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := instanceB.Verify(ctx, tok2); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("a token from before EndSessions: %v", err)
	}
	tok3, _, _ := iss.IssueFor(u)
	if p, err := instanceA.Verify(ctx, tok3); err != nil || p.Session.Epoch != 1 {
		t.Errorf("a login after EndSessions: %+v, %v", p, err)
	}
}
