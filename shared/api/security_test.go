package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// browserRequest is a request as a browser sends it: with the session
// cookie and the headers the page's origin decides.
type browserRequest struct {
	method, path, body, contentType string
	origin, fetchSite               string // "" = header absent
	cookie                          string // the session token, sent as the cookie
	bearer                          string // the session token, sent as Authorization
}

func (f *fixture) browser(h http.Handler, b browserRequest) response {
	f.t.Helper()
	var body io.Reader
	if b.body != "" {
		body = strings.NewReader(b.body)
	}
	req := httptest.NewRequest(b.method, b.path, body)
	req.Host = "app.example"
	if b.contentType != "" {
		req.Header.Set("Content-Type", b.contentType)
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	if b.fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", b.fetchSite)
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
	}
	if b.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// login signs in through the API and returns the session token.
func (f *fixture) login(email, password string) string {
	f.t.Helper()
	r := f.postJSON("", "/api/auth/login", `{"email":"`+email+`","password":"`+password+`"}`)
	var out struct {
		Token string `json:"token"`
	}
	r.json(f.t, &out)
	if r.status != 200 || out.Token == "" {
		f.t.Fatalf("login %s = %d %s", email, r.status, r.body)
	}
	return out.Token
}

func (f *fixture) userExists(email string) bool {
	f.t.Helper()
	_, err := f.p.Tenancy.FindUserByEmail(context.Background(), email)
	return err == nil
}

// A page on another site cannot use the admin's session cookie to change
// anything: the classic form post (text/plain, no preflight) that would
// create an admin is refused, as is every cross-site write; the app's own
// pages, allowed origins and bearer-token clients are not affected.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	d := f.p.APIDeps()
	d.Logger, d.AllowedOrigins = slog.New(slog.DiscardHandler), []string{"https://console.acme.test"}
	h := api.New(d)
	cookie := f.login("admin@acme.test", adminPassword)
	newAdmin := func(email string) string {
		return `{"email":"` + email + `","name":"x","password":"attacker-password-1","role":"admin"}`
	}
	cases := []struct {
		name       string
		req        browserRequest
		wantStatus int
		wantKind   string
		email      string // the user the request tries to create
	}{
		{"cross-site text/plain form post with the cookie",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("evil1@acme.test"), contentType: "text/plain", origin: "https://evil.example", fetchSite: "cross-site", cookie: cookie},
			403, "permission", "evil1@acme.test"},
		{"cross-site JSON with the cookie (would need CORS, refused anyway)",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("evil2@acme.test"), contentType: "application/json", origin: "https://evil.example", fetchSite: "cross-site", cookie: cookie},
			403, "permission", "evil2@acme.test"},
		{"a sibling site",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("evil3@acme.test"), contentType: "application/json", origin: "https://other.app.example", fetchSite: "same-site", cookie: cookie},
			403, "permission", "evil3@acme.test"},
		{"no Origin and no Sec-Fetch-Site with the cookie (an old browser's form)",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("evil4@acme.test"), contentType: "application/x-www-form-urlencoded", cookie: cookie},
			403, "permission", "evil4@acme.test"},
		{"Origin null (a sandboxed frame)",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("evil5@acme.test"), contentType: "text/plain", origin: "null", cookie: cookie},
			403, "permission", "evil5@acme.test"},
		{"same origin but text/plain",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("plain@acme.test"), contentType: "text/plain", origin: "http://app.example", cookie: cookie},
			415, "unsupported", "plain@acme.test"},
		{"same origin, no content type",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("none@acme.test"), fetchSite: "same-origin", cookie: cookie},
			415, "unsupported", "none@acme.test"},
		{"a cross-site DELETE with the cookie",
			browserRequest{method: "DELETE", path: "/api/users/u_0123456789abcdef/sessions", origin: "https://evil.example", fetchSite: "cross-site", cookie: cookie},
			403, "permission", ""},
		{"the app's own page (Origin)",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("ok1@acme.test"), contentType: "application/json", origin: "http://app.example", cookie: cookie},
			201, "", "ok1@acme.test"},
		{"the app's own page (Sec-Fetch-Site)",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("ok2@acme.test"), contentType: "application/json; charset=utf-8", fetchSite: "same-origin", cookie: cookie},
			201, "", "ok2@acme.test"},
		{"an allowed origin",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("ok3@acme.test"), contentType: "application/json", origin: "https://console.acme.test", fetchSite: "cross-site", cookie: cookie},
			201, "", "ok3@acme.test"},
		{"a bearer token from anywhere is not affected",
			browserRequest{method: "POST", path: "/api/users", body: newAdmin("ok4@acme.test"), contentType: "text/plain", origin: "https://tool.example", bearer: cookie},
			201, "", "ok4@acme.test"},
		{"reads with the cookie are not affected",
			browserRequest{method: "GET", path: "/api/users", origin: "https://evil.example", fetchSite: "cross-site", cookie: cookie},
			200, "", ""},
		{"a login posted from another site",
			browserRequest{method: "POST", path: "/api/auth/login", body: `{"email":"admin@acme.test","password":"` + adminPassword + `"}`, contentType: "text/plain", origin: "https://evil.example", fetchSite: "cross-site"},
			403, "permission", ""},
		{"a login as text/plain from a script",
			browserRequest{method: "POST", path: "/api/auth/login", body: `{"email":"admin@acme.test","password":"` + adminPassword + `"}`, contentType: "text/plain"},
			415, "unsupported", ""},
		{"a login from a script",
			browserRequest{method: "POST", path: "/api/auth/login", body: `{"email":"admin@acme.test","password":"` + adminPassword + `"}`, contentType: "application/json"},
			200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.browser(h, c.req)
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.wantStatus, r.body)
			}
			if c.wantKind != "" {
				if kind, msg := r.errorOf(t); kind != c.wantKind || msg == "" {
					t.Errorf("error = %q %q, want kind %q", kind, msg, c.wantKind)
				}
			}
			if c.email != "" && f.userExists(c.email) != (c.wantStatus == 201) {
				t.Errorf("user %s exists = %v after a %d answer", c.email, f.userExists(c.email), r.status)
			}
		})
	}
}

// Logout ends that session on every instance; other sessions live on.
// "Sign out everywhere" ends all of them, and an admin can end another
// user's sessions; a non-admin cannot.
func TestSessionsEnd(t *testing.T) {
	f := newFixture(t)
	// Two instances of the API over the same config store.
	instanceA, instanceB := f.h, f.p.API()
	as := func(h http.Handler, method, path, token string) response {
		return f.browser(h, browserRequest{method: method, path: path, bearer: token})
	}
	laptop := f.login("editor@acme.test", "a-long-password-1")
	phone := f.login("editor@acme.test", "a-long-password-1")
	for _, tok := range []string{laptop, phone} {
		if r := as(instanceB, "GET", "/api/auth/me", tok); r.status != 200 {
			t.Fatalf("a fresh session = %d %s", r.status, r.body)
		}
	}
	if r := as(instanceA, "POST", "/api/auth/logout", laptop); r.status != 204 {
		t.Fatalf("logout = %d %s", r.status, r.body)
	}
	for name, h := range map[string]http.Handler{"instance A": instanceA, "instance B": instanceB} {
		r := as(h, "GET", "/api/jobs", laptop)
		if kind, msg := r.errorOf(t); r.status != 401 || kind != "unauthenticated" || msg != "this session was signed out: sign in again" {
			t.Errorf("%s: the logged-out token = %d %s, want 401", name, r.status, r.body)
		}
		if r := as(h, "GET", "/api/jobs", phone); r.status != 200 {
			t.Errorf("%s: the other session after a single logout = %d %s, want 200", name, r.status, r.body)
		}
	}

	// Sign out everywhere, from the phone: every token of the user ends.
	tablet := f.login("editor@acme.test", "a-long-password-1")
	if r := as(instanceB, "POST", "/api/auth/logout-all", phone); r.status != 204 {
		t.Fatalf("logout-all = %d %s", r.status, r.body)
	}
	for name, tok := range map[string]string{"phone": phone, "tablet": tablet, "the fixture's token": f.tokens[tenancy.RoleEditor]} {
		if r := as(instanceA, "GET", "/api/jobs", tok); r.status != 401 {
			t.Errorf("%s after sign-out-everywhere = %d %s, want 401", name, r.status, r.body)
		}
	}
	again := f.login("editor@acme.test", "a-long-password-1")
	if r := as(instanceA, "GET", "/api/jobs", again); r.status != 200 {
		t.Errorf("a new login after sign-out-everywhere = %d %s", r.status, r.body)
	}

	// An admin ends the editor's sessions; the admin's own session lives on.
	editor, err := f.p.Tenancy.FindUserByEmail(context.Background(), "editor@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if r := as(instanceA, "DELETE", "/api/users/"+editor.ID+"/sessions", f.tokens[tenancy.RoleAdmin]); r.status != 204 {
		t.Fatalf("admin ends a user's sessions = %d %s", r.status, r.body)
	}
	if r := as(instanceB, "GET", "/api/jobs", again); r.status != 401 {
		t.Errorf("the editor's session after the admin ended it = %d %s, want 401", r.status, r.body)
	}
	if r := as(instanceB, "GET", "/api/users", f.tokens[tenancy.RoleAdmin]); r.status != 200 {
		t.Errorf("the admin's own session = %d %s", r.status, r.body)
	}

	// A non-admin cannot end someone else's sessions.
	admin, err := f.p.Tenancy.FindUserByEmail(context.Background(), "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	editorTok := f.login("editor@acme.test", "a-long-password-1")
	r := as(instanceA, "DELETE", "/api/users/"+admin.ID+"/sessions", editorTok)
	if kind, _ := r.errorOf(t); r.status != 403 || kind != "permission" {
		t.Errorf("an editor ending the admin's sessions = %d %s, want 403", r.status, r.body)
	}
	if r := as(instanceA, "GET", "/api/users", f.tokens[tenancy.RoleAdmin]); r.status != 200 {
		t.Errorf("the admin's session after the refused attempt = %d %s", r.status, r.body)
	}
	// A user of another tenant, or none, is not found (and not told apart).
	other, err := f.p.Tenancy.CreateTenant(context.Background(), "Other")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := f.p.Tenancy.CreateUser(context.Background(), other.ID, tenancy.NewUser{Email: "s@other.test", Role: tenancy.RoleAdmin, Password: "a-long-password-9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{stranger.ID, "u_0123456789abcdef"} {
		r := as(instanceA, "DELETE", "/api/users/"+id+"/sessions", f.tokens[tenancy.RoleAdmin])
		if kind, msg := r.errorOf(t); r.status != 404 || kind != "not_found" || msg != "this user does not exist" {
			t.Errorf("end sessions of %s = %d %s, want 404", id, r.status, r.body)
		}
	}
	if u, _ := f.p.Tenancy.GetUser(context.Background(), other.ID, stranger.ID); u.SessionEpoch != 0 {
		t.Errorf("another tenant's user had its sessions ended")
	}
}

// Wrong passwords for an account, or from an address, make later logins
// wait (429 with Retry-After), with a clock the test moves.
func TestLoginThrottle(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	guard := auth.NewLoginGuard(auth.LoginLimits{FreeFailures: 2, BaseDelay: 30 * time.Second}, clock)
	d := f.p.APIDeps()
	d.Logger, d.Logins = slog.New(slog.DiscardHandler), guard
	h := api.New(d)
	login := func(password string) response {
		return f.browser(h, browserRequest{method: "POST", path: "/api/auth/login", contentType: "application/json",
			body: `{"email":"viewer@acme.test","password":"` + password + `"}`})
	}
	for i := range 3 {
		if r := login("wrong-password-x"); r.status != 401 {
			t.Fatalf("failure %d = %d %s", i+1, r.status, r.body)
		}
	}
	r := login("a-long-password-1")
	if kind, msg := r.errorOf(t); r.status != 429 || kind != "rate_limited" || r.header.Get("Retry-After") != "30" || !strings.Contains(msg, "wait 30 seconds") {
		t.Fatalf("the right password during the wait = %d %s (Retry-After %q), want 429 after 30s", r.status, r.body, r.header.Get("Retry-After"))
	}
	advance(30 * time.Second)
	if r := login("a-long-password-1"); r.status != 200 {
		t.Fatalf("after the wait = %d %s", r.status, r.body)
	}
	// The rest of the API is not slowed down meanwhile.
	if r := f.do(tenancy.RoleViewer, "GET", "/api/jobs", nil, ""); r.status != 200 {
		t.Errorf("another route = %d", r.status)
	}
}

// The warehouse's own metadata is not a dataset of the tenant: the tables
// API neither lists nor reads it.
func TestInternalDatasetHidden(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wh, err := f.p.Resources.Warehouse(ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateDataset(ctx, etl.DefaultDataset); err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateTable(ctx, etl.DefaultDataset, "items", warehouse.Schema{{Name: "sku", Type: warehouse.String, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/tables?dataset=_b2brecs_meta", "/api/tables?dataset=_anything"} {
		r := f.do(tenancy.RoleViewer, "GET", path, nil, "")
		if r.status != 200 || !strings.Contains(string(r.body), `"tables":[]`) {
			t.Errorf("GET %s = %d %s, want an empty list", path, r.status, r.body)
		}
	}
	for _, path := range []string{"/api/tables/_b2brecs_meta/tables", "/api/tables/_b2brecs_meta/items"} {
		r := f.do(tenancy.RoleViewer, "GET", path, nil, "")
		if kind, msg := r.errorOf(t); r.status != 404 || kind != "not_found" || strings.Contains(string(r.body), "created") {
			t.Errorf("GET %s = %d %s, want 404 without the metadata", path, r.status, r.body)
		} else if strings.Contains(msg, "duckdb") || strings.Contains(msg, f.p.Config.DataDir) {
			t.Errorf("GET %s: message %q", path, msg)
		}
	}
	if r := f.do(tenancy.RoleViewer, "GET", "/api/tables/raw_data/items", nil, ""); r.status != 200 {
		t.Errorf("a user table = %d %s", r.status, r.body)
	}
}
