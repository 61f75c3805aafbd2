package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

type httpFixture struct {
	clock  *fakeClock
	issuer *SessionIssuer
	srv    *httptest.Server
	logs   *bytes.Buffer
}

// newHTTPFixture serves /read (viewer) and /write (editor) behind
// Middleware; both answer the caller's principal as JSON.
func newHTTPFixture(t *testing.T, v Verifier) *httpFixture {
	t.Helper()
	f := &httpFixture{clock: newFakeClock(), logs: &bytes.Buffer{}}
	f.issuer = newIssuer(t, f.clock)
	if v == nil {
		v = f.issuer
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			t.Error("no principal in the handler's context")
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /read", RequireRole(tenancy.RoleViewer, echo))
	mux.Handle("POST /write", RequireRole(tenancy.RoleEditor, echo))
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = httptest.NewServer(Middleware(v, logger)(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *httpFixture) token(t *testing.T, role tenancy.Role) string {
	t.Helper()
	tok, _, err := f.issuer.Issue(Principal{TenantID: "t_1", UserID: "u_" + string(role), Email: string(role) + "@x.io", Role: role, Kind: KindUser})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (f *httpFixture) do(t *testing.T, method, path string, setup func(*http.Request)) reply {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	if setup != nil {
		setup(req)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func errorOf(t *testing.T, r reply) (kind, msg string) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var b struct {
		Error struct{ Kind, Message string }
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return b.Error.Kind, b.Error.Message
}

func TestMiddlewareNoToken(t *testing.T) {
	f := newHTTPFixture(t, nil)
	r := f.do(t, "GET", "/read", nil)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d", r.status)
	}
	if kind, msg := errorOf(t, r); kind != "unauthenticated" || msg == "" {
		t.Fatalf("error %q %q", kind, msg)
	}
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	r = f.do(t, "GET", "/read", func(r *http.Request) { r.SetBasicAuth("admin", "admin") })
	if kind, _ := errorOf(t, r); r.status != http.StatusUnauthorized || kind != "unauthenticated" {
		t.Fatalf("basic auth: %d %s", r.status, kind)
	}
}

func TestMiddlewareExpiredToken(t *testing.T) {
	f := newHTTPFixture(t, nil)
	tok := f.token(t, tenancy.RoleAdmin)
	f.clock.Advance(2 * time.Hour)
	r := f.do(t, "GET", "/read", bearer(tok))
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d", r.status)
	}
	kind, msg := errorOf(t, r)
	if kind != "unauthenticated" || !strings.Contains(msg, "expired") {
		t.Fatalf("error %q %q", kind, msg)
	}
	if strings.Contains(string(r.body), tok[len(tok)-10:]) || strings.Contains(f.logs.String(), tok[len(tok)-10:]) {
		t.Fatal("token echoed in the answer or the logs")
	}
	if !strings.Contains(f.logs.String(), "token rejected") {
		t.Fatalf("rejection not logged: %s", f.logs)
	}
}

func TestMiddlewareRoles(t *testing.T) {
	f := newHTTPFixture(t, nil)
	viewer, editor := f.token(t, tenancy.RoleViewer), f.token(t, tenancy.RoleEditor)

	r := f.do(t, "POST", "/write", bearer(viewer))
	if r.status != http.StatusForbidden {
		t.Fatalf("viewer on editor route: %d", r.status)
	}
	if kind, msg := errorOf(t, r); kind != "permission" || !strings.Contains(msg, "editor") {
		t.Fatalf("error %q %q", kind, msg)
	}

	for _, tc := range []struct {
		method, path, tok string
		role              tenancy.Role
	}{
		{"POST", "/write", editor, tenancy.RoleEditor},
		{"GET", "/read", viewer, tenancy.RoleViewer},
		{"GET", "/read", editor, tenancy.RoleEditor},
		{"POST", "/write", f.token(t, tenancy.RoleAdmin), tenancy.RoleAdmin},
	} {
		r := f.do(t, tc.method, tc.path, bearer(tc.tok))
		if r.status != http.StatusOK {
			t.Fatalf("%s %s as %s: %d %s", tc.method, tc.path, tc.role, r.status, r.body)
		}
		var p Principal
		if err := json.Unmarshal(r.body, &p); err != nil || p.Role != tc.role || p.TenantID != "t_1" || p.Kind != KindUser {
			t.Fatalf("principal %+v, %v", p, err)
		}
	}
}

func TestMiddlewareCookieFallback(t *testing.T) {
	f := newHTTPFixture(t, nil)
	editor := f.token(t, tenancy.RoleEditor)
	c := SessionCookie(editor, f.clock.Now().Add(time.Hour), true)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Name != CookieName {
		t.Fatalf("cookie %+v", c)
	}
	r := f.do(t, "POST", "/write", func(r *http.Request) { r.AddCookie(c) })
	if r.status != http.StatusOK {
		t.Fatalf("cookie: %d %s", r.status, r.body)
	}
	// The header wins over the cookie.
	r = f.do(t, "POST", "/write", func(r *http.Request) {
		r.AddCookie(c)
		r.Header.Set("Authorization", "Bearer "+f.token(t, tenancy.RoleViewer))
	})
	if r.status != http.StatusForbidden {
		t.Fatalf("header over cookie: %d", r.status)
	}
	if cl := ClearSessionCookie(true); cl.MaxAge >= 0 || cl.Name != CookieName {
		t.Fatalf("clear cookie %+v", cl)
	}
}

func TestMiddlewareTransient(t *testing.T) {
	down := VerifierFunc(func(context.Context, string) (Principal, error) {
		return Principal{}, errs.E(errs.Transient, "auth: fetch signing keys: HTTP 503")
	})
	f := newHTTPFixture(t, down)
	r := f.do(t, "GET", "/read", bearer("some.token.value"))
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d", r.status)
	}
	if kind, _ := errorOf(t, r); kind != "transient" {
		t.Fatalf("kind %q", kind)
	}
}

func TestRequireRoleWithoutMiddleware(t *testing.T) {
	h := RequireRole(tenancy.RoleViewer, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("handler reached without a principal")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d", w.Code)
	}
}

func TestMultiVerifier(t *testing.T) {
	clock := newFakeClock()
	a := newIssuer(t, clock)
	other, _ := NewSessionIssuer([]byte(strings.Repeat("z", 40)), time.Hour)
	b := other.WithClock(clock.Now)
	p := Principal{TenantID: "t", UserID: "u", Role: tenancy.RoleViewer, Kind: KindUser}
	tokB, _, _ := b.Issue(p)
	got, err := MultiVerifier{a, b}.Verify(ctx, tokB)
	if got.Session.ID == "" || got.Session.ExpiresAt.IsZero() {
		t.Errorf("the principal lacks its session: %+v", got)
	}
	got.Session = Session{}
	if err != nil || got != p {
		t.Fatalf("second verifier's token: %+v, %v", got, err)
	}
	_, err = MultiVerifier{a, b}.Verify(ctx, "x.y.z")
	if !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "invalid token") {
		t.Fatalf("nobody accepts: %v", err)
	}
	if _, err := (MultiVerifier{}).Verify(ctx, tokB); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("empty: %v", err)
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("principal in an empty context")
	}
	p := Principal{TenantID: "t", UserID: "u", Role: tenancy.RoleAdmin, Kind: KindUser}
	got, ok := FromContext(WithPrincipal(context.Background(), p))
	if !ok || got != p || !got.Allows(tenancy.RoleEditor) {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
}
