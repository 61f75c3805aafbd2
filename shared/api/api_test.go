package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

const adminPassword = "correct horse battery"

// fixture is a real local platform (sqlite, DuckDB, file buckets) with one
// tenant, its bootstrap admin and an editor and a viewer, served through
// the real API handler.
type fixture struct {
	t      *testing.T
	p      *platform.Platform
	h      http.Handler
	tenant tenancy.Tenant
	tokens map[tenancy.Role]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL",
		"B2B_STAGING_URL", "B2B_ARTIFACTS_URL", "B2B_DROP_BUCKET", "B2B_STAGING_BUCKET", "B2B_MODE", "B2B_TENANT_ID", "B2B_AUTH_MODE"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	p, err := platform.Open(ctx, platform.FromEnv(), platform.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	tenant, _, _, _, err := p.Tenancy.Bootstrap(ctx, "Acme Wholesale", "admin@acme.test", tenancy.WithAdminPassword(adminPassword))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, p: p, h: p.API(), tenant: tenant, tokens: map[tenancy.Role]string{}}
	for _, role := range []tenancy.Role{tenancy.RoleEditor, tenancy.RoleViewer} {
		u, err := p.Tenancy.CreateUser(ctx, tenant.ID, tenancy.NewUser{Email: string(role) + "@acme.test", Name: string(role), Password: "a-long-password-1", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		if f.tokens[role], _, err = p.Sessions.IssueFor(u); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := p.Tenancy.FindUserByEmail(ctx, "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if f.tokens[tenancy.RoleAdmin], _, err = p.Sessions.IssueFor(admin); err != nil {
		t.Fatal(err)
	}
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorOf returns the kind and message of an error body, failing the test
// if the body is not exactly {"error":{"kind","message"[,"field"]}}.
func (r response) errorOf(t *testing.T) (kind, msg string) {
	t.Helper()
	e := r.errorBody(t)
	return e["kind"], e["message"]
}

// fieldOf returns the field an error body names ("" for none).
func (r response) fieldOf(t *testing.T) string {
	t.Helper()
	return r.errorBody(t)["field"]
}

func (r response) errorBody(t *testing.T) map[string]string {
	t.Helper()
	var raw map[string]map[string]string
	err := json.Unmarshal(r.body, &raw)
	n := len(raw["error"])
	if _, ok := raw["error"]["field"]; ok {
		n--
	}
	if err != nil || len(raw) != 1 || n != 2 || raw["error"]["kind"] == "" || raw["error"]["message"] == "" {
		t.Fatalf("error body %s (status %d) is not {\"error\":{\"kind\",\"message\"[,\"field\"]}}: %v", r.body, r.status, err)
	}
	return raw["error"]
}

// do sends a request as role ("" = anonymous).
func (f *fixture) do(role tenancy.Role, method, path string, body io.Reader, contentType string) response {
	f.t.Helper()
	req := httptest.NewRequest(method, path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func (f *fixture) postJSON(role tenancy.Role, path, body string) response {
	f.t.Helper()
	return f.do(role, "POST", path, strings.NewReader(body), "application/json")
}

// multipartBody builds a form with the given (field, file name, content)
// parts; a part with an empty file name "-" is a plain field.
func multipartBody(t *testing.T, parts ...[3]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p[1] == "-" {
			w, err = mw.CreateFormField(p[0])
		} else {
			w, err = mw.CreateFormFile(p[0], p[1])
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[2])
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func (f *fixture) dropDir() string {
	return filepath.Join(f.p.Config.DataDir, "tenants", f.tenant.ID, "drop")
}

// files lists the regular files under the data dir, relative to it.
func (f *fixture) files() map[string]bool {
	f.t.Helper()
	out := map[string]bool{}
	root := f.p.Config.DataDir
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	const wrong = "Tr0ub4dor&3-not-it"
	cases := []struct {
		name       string
		body       string
		wantStatus int
		wantKind   string
	}{
		{"wrong password", `{"email":"admin@acme.test","password":"` + wrong + `"}`, 401, "unauthenticated"},
		{"unknown email", `{"email":"nobody@acme.test","password":"` + wrong + `"}`, 401, "unauthenticated"},
		{"empty password", `{"email":"admin@acme.test","password":""}`, 401, "unauthenticated"},
		{"malformed JSON", `{"email":"admin@acme.test","password":"` + wrong, 400, "invalid"},
		{"not an object", `["admin@acme.test","` + wrong + `"]`, 400, "invalid"},
		{"unknown field", `{"email":"admin@acme.test","password":"` + wrong + `","role":"admin"}`, 400, "invalid"},
		{"password of the wrong type", `{"email":"admin@acme.test","password":12345678}`, 400, "invalid"},
		{"empty body", ``, 400, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.postJSON("", "/api/auth/login", c.body)
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.wantStatus, r.body)
			}
			kind, msg := r.errorOf(t)
			if kind != c.wantKind {
				t.Errorf("kind = %q, want %q", kind, c.wantKind)
			}
			if strings.Contains(string(r.body), wrong) || strings.Contains(msg, "Tr0ub4dor") {
				t.Errorf("the error body echoes the password: %s", r.body)
			}
			if len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("a refused login set a cookie: %v", r.header.Values("Set-Cookie"))
			}
		})
	}
	// Wrong e-mail and wrong password are told apart by nothing.
	a := f.postJSON("", "/api/auth/login", `{"email":"admin@acme.test","password":"`+wrong+`"}`)
	b := f.postJSON("", "/api/auth/login", `{"email":"nobody@acme.test","password":"`+wrong+`"}`)
	if string(a.body) != string(b.body) {
		t.Errorf("wrong password %s vs unknown email %s: the answers differ", a.body, b.body)
	}
}

// The session cookie set by login authenticates later requests without the
// Bearer header; logout clears it.
func TestLoginCookie(t *testing.T) {
	f := newFixture(t)
	r := f.postJSON("", "/api/auth/login", `{"email":"admin@acme.test","password":"`+adminPassword+`"}`)
	if r.status != 200 {
		t.Fatalf("login = %d %s", r.status, r.body)
	}
	var login struct {
		Token     string         `json:"token"`
		ExpiresAt string         `json:"expires_at"`
		User      map[string]any `json:"user"`
		Tenant    tenancy.Tenant `json:"tenant"`
	}
	r.json(t, &login)
	if login.Token == "" || login.User["email"] != "admin@acme.test" || login.User["role"] != "admin" || login.Tenant.ID != f.tenant.ID {
		t.Errorf("login answer = %s", r.body)
	}
	if _, ok := login.User["password_hash"]; ok || strings.Contains(string(r.body), "$2a$") {
		t.Errorf("login answer carries a password hash: %s", r.body)
	}
	if exp, err := time.Parse(time.RFC3339, login.ExpiresAt); err != nil || exp.Before(time.Now()) {
		t.Errorf("expires_at = %q (%v)", login.ExpiresAt, err)
	}
	resp := http.Response{Header: r.header}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			session = c
		}
	}
	if session == nil || session.Value != login.Token || !session.HttpOnly || session.Path != "/" {
		t.Fatalf("session cookie = %+v, want HttpOnly, Path=/, the token", session)
	}

	withCookie := func(method, path string, c *http.Cookie, authz string) response {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin") // the app's own page
		req.AddCookie(c)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, req)
		return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	}
	me := withCookie("GET", "/api/auth/me", session, "")
	if me.status != 200 || !strings.Contains(string(me.body), `"admin@acme.test"`) {
		t.Errorf("GET /api/auth/me with the cookie = %d %s", me.status, me.body)
	}
	if st := withCookie("GET", "/api/users", session, "").status; st != 200 {
		t.Errorf("admin route with the cookie = %d, want 200", st)
	}
	// A forged cookie and a non-bearer Authorization header are refused.
	if st := withCookie("GET", "/api/auth/me", &http.Cookie{Name: auth.CookieName, Value: login.Token + "x"}, "").status; st != 401 {
		t.Errorf("forged cookie = %d, want 401", st)
	}
	if st := withCookie("GET", "/api/auth/me", session, "Basic YWRtaW46eA==").status; st != 401 {
		t.Errorf("basic auth beside a good cookie = %d, want 401", st)
	}
	out := withCookie("POST", "/api/auth/logout", session, "")
	if out.status != 204 {
		t.Errorf("logout = %d", out.status)
	}
	cleared := false
	for _, c := range (&http.Response{Header: out.header}).Cookies() {
		cleared = cleared || c.Name == auth.CookieName && c.Value == "" && c.MaxAge < 0
	}
	if !cleared {
		t.Errorf("logout did not clear the cookie: %v", out.header.Values("Set-Cookie"))
	}
	// The logged-out token is refused, as cookie and as bearer token.
	if r := withCookie("GET", "/api/auth/me", session, ""); r.status != 401 {
		t.Errorf("the logged-out cookie = %d %s, want 401", r.status, r.body)
	}
	if r := withCookie("GET", "/api/auth/me", &http.Cookie{Name: "other", Value: "x"}, "Bearer "+login.Token); r.status != 401 {
		t.Errorf("the logged-out token = %d %s, want 401", r.status, r.body)
	} else if _, msg := r.errorOf(t); msg != "this session was signed out: sign in again" {
		t.Errorf("the logged-out token: message %q", msg)
	}
}

func TestLoginDisabledInCloudMode(t *testing.T) {
	f := newFixture(t)
	d := f.p.APIDeps()
	d.Sessions, d.Logger = nil, slog.New(slog.DiscardHandler)
	h := api.New(d)
	req := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"admin@acme.test","password":"`+adminPassword+`"}`))
	req.Header.Set("Content-Type", "application/json") // else the CSRF check answers 415 first
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	r := response{status: w.Code, body: w.Body.Bytes()}
	if kind, msg := r.errorOf(t); r.status != http.StatusNotImplemented || kind != "unsupported" || !strings.Contains(msg, "password sign-in is turned off") {
		t.Errorf("login without sessions = %d %s, want 501 unsupported", r.status, r.body)
	}
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	job := etl.Job{ID: "j_1", Tenant: f.tenant.ID, Name: "items", SourceType: "file", File: etl.FileSource{Pattern: "items.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "items"}, LoadMode: etl.Append, Enabled: true, CreatedAt: time.Now().UTC()}
	if _, err := docstore.Put(context.Background(), f.p.Store, docstore.Key{Tenant: f.tenant.ID, Kind: etl.KindJob, ID: job.ID}, job, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	upload := func() (io.Reader, string) { return multipartBody(t, [3]string{"file", "roles.csv", "a\n1\n"}) }
	newUser := func() (io.Reader, string) {
		return strings.NewReader(`{"email":"new@acme.test","name":"New","password":"a-long-password-2","role":"viewer"}`), "application/json"
	}
	none := func() (io.Reader, string) { return nil, "" }
	routes := []struct {
		method, path string
		body         func() (io.Reader, string)
		minRole      tenancy.Role
	}{
		{"POST", "/api/files", upload, tenancy.RoleEditor},
		{"POST", "/api/jobs/j_1/runs", none, tenancy.RoleEditor},
		{"GET", "/api/users", none, tenancy.RoleAdmin},
		{"POST", "/api/users", newUser, tenancy.RoleAdmin},
		{"GET", "/api/files", none, tenancy.RoleViewer},
		{"GET", "/api/jobs", none, tenancy.RoleViewer},
		{"GET", "/api/jobs/j_1", none, tenancy.RoleViewer},
		{"GET", "/api/tenants/current", none, tenancy.RoleViewer},
	}
	rank := map[tenancy.Role]int{tenancy.RoleViewer: 1, tenancy.RoleEditor: 2, tenancy.RoleAdmin: 3}
	for _, rt := range routes {
		for _, role := range []tenancy.Role{"", tenancy.RoleViewer, tenancy.RoleEditor, tenancy.RoleAdmin} {
			body, ct := rt.body()
			r := f.do(role, rt.method, rt.path, body, ct)
			switch {
			case role == "":
				if kind, _ := r.errorOf(t); r.status != 401 || kind != "unauthenticated" {
					t.Errorf("anonymous %s %s = %d %s, want 401 unauthenticated", rt.method, rt.path, r.status, r.body)
				}
			case rank[role] < rank[rt.minRole]:
				if kind, _ := r.errorOf(t); r.status != 403 || kind != "permission" {
					t.Errorf("%s %s %s = %d %s, want 403 permission", role, rt.method, rt.path, r.status, r.body)
				}
			default:
				if r.status == 401 || r.status == 403 {
					t.Errorf("%s %s %s = %d %s, want allowed", role, rt.method, rt.path, r.status, r.body)
				}
			}
		}
	}
	// The editor's upload went through.
	if _, err := os.Stat(filepath.Join(f.dropDir(), "roles.csv")); err != nil {
		t.Errorf("the editor's upload is missing: %v", err)
	}
}

func TestUsers(t *testing.T) {
	f := newFixture(t)
	const pw = "s3cret-new-user-pw"
	body := `{"email":"Carol@Acme.test","name":"Carol","password":"` + pw + `","role":"editor"}`
	r := f.postJSON(tenancy.RoleAdmin, "/api/users", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create user = %d %s", r.status, r.body)
	}
	var raw map[string]any
	r.json(t, &raw)
	for k := range raw {
		if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "hash") {
			t.Errorf("the created user has key %q: %s", k, r.body)
		}
	}
	if strings.Contains(string(r.body), pw) || strings.Contains(string(r.body), "$2a$") || strings.Contains(string(r.body), "$2b$") {
		t.Errorf("the answer carries the password or its hash: %s", r.body)
	}
	if raw["email"] != "carol@acme.test" || raw["role"] != "editor" || raw["tenant_id"] != f.tenant.ID || raw["id"] == "" {
		t.Errorf("created user = %s", r.body)
	}

	cases := []struct {
		name, body string
		wantStatus int
		wantKind   string
	}{
		{"duplicate email", body, 409, "conflict"},
		{"duplicate email, other case", strings.Replace(body, "Carol@Acme.test", "CAROL@acme.TEST", 1), 409, "conflict"},
		{"unknown role", `{"email":"d@acme.test","name":"D","password":"a-long-password-3","role":"owner"}`, 400, "invalid"},
		{"short password", `{"email":"d@acme.test","name":"D","password":"x","role":"viewer"}`, 400, "invalid"},
		{"bad email", `{"email":"not-an-email","name":"D","password":"a-long-password-3","role":"viewer"}`, 400, "invalid"},
		{"unknown field", `{"email":"d@acme.test","name":"D","password":"a-long-password-3","role":"viewer","tenant_id":"other"}`, 400, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.postJSON(tenancy.RoleAdmin, "/api/users", c.body)
			kind, msg := r.errorOf(t)
			if r.status != c.wantStatus || kind != c.wantKind {
				t.Errorf("status %d kind %q (%s), want %d %q", r.status, kind, msg, c.wantStatus, c.wantKind)
			}
			if strings.Contains(msg, "a-long-password-3") || strings.Contains(msg, pw) {
				t.Errorf("the error echoes a password: %q", msg)
			}
		})
	}

	list := f.do(tenancy.RoleAdmin, "GET", "/api/users", nil, "")
	if list.status != 200 || strings.Contains(string(list.body), "$2a$") || strings.Contains(strings.ToLower(string(list.body)), "password") {
		t.Errorf("GET /api/users = %d %s", list.status, list.body)
	}
	var users struct {
		Users []map[string]any `json:"users"`
	}
	list.json(t, &users)
	if len(users.Users) != 4 { // admin, editor, viewer, carol
		t.Errorf("users = %d, want 4: %s", len(users.Users), list.body)
	}
	// The new user can log in with the password it was given.
	if r := f.postJSON("", "/api/auth/login", `{"email":"carol@acme.test","password":"`+pw+`"}`); r.status != 200 {
		t.Errorf("new user login = %d %s", r.status, r.body)
	}
}

func TestUpload(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name       string
		parts      [][3]string
		raw        string // a non-multipart body
		rawType    string
		wantStatus int
		wantKey    string // object key at the drop root
		wantMsg    string // in the error message
	}{
		{name: "plain", parts: [][3]string{{"file", "orders.csv", "a,b\n1,2\n"}}, wantStatus: 202, wantKey: "orders.csv"},
		{name: "traversal keeps the base name", parts: [][3]string{{"file", "../../etc/passwd", "root:x:0:0\n"}}, wantStatus: 202, wantKey: "passwd"},
		{name: "dot segments", parts: [][3]string{{"file", "a/b/../c.csv", "c\n1\n"}}, wantStatus: 202, wantKey: "c.csv"},
		{name: "absolute path", parts: [][3]string{{"file", "/var/tmp/abs.csv", "c\n1\n"}}, wantStatus: 202, wantKey: "abs.csv"},
		{name: "other fields first", parts: [][3]string{{"note", "-", "hello"}, {"file", "later.csv", "x\n1\n"}}, wantStatus: 202, wantKey: "later.csv"},
		{name: "name with spaces and brackets", parts: [][3]string{{"file", "Report [1].csv", "x\n1\n"}}, wantStatus: 202, wantKey: "Report [1].csv"},
		{name: "empty name", parts: [][3]string{{"file", "", "x\n"}}, wantStatus: 400, wantMsg: "names no file"},
		{name: "dot-dot name", parts: [][3]string{{"file", "..", "x\n"}}, wantStatus: 400, wantMsg: ".."},
		{name: "backslash traversal", parts: [][3]string{{"file", `..\..\evil.csv`, "x\n"}}, wantStatus: 400, wantMsg: "backslash"},
		{name: "field not a file", parts: [][3]string{{"file", "-", "just text"}}, wantStatus: 400},
		{name: "no file field", parts: [][3]string{{"upload", "x.csv", "x\n"}}, wantStatus: 400, wantMsg: `no field "file"`},
		{name: "empty form", parts: nil, wantStatus: 400, wantMsg: `no field "file"`},
		{name: "not multipart", raw: `{"file":"x"}`, rawType: "application/json", wantStatus: 400, wantMsg: `field "file"`},
		{name: "no content type", raw: `x`, wantStatus: 400, wantMsg: `field "file"`},
		{name: "broken multipart", raw: "--nope\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\nx", rawType: "multipart/form-data; boundary=nope", wantStatus: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.files()
			var body io.Reader
			ct := c.rawType
			if c.raw != "" || c.parts == nil && c.rawType != "" {
				body = strings.NewReader(c.raw)
			} else {
				body, ct = multipartBody(t, c.parts...)
			}
			r := f.do(tenancy.RoleEditor, "POST", "/api/files", body, ct)
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.wantStatus, r.body)
			}
			after := f.files()
			var added []string
			for p := range after {
				if !before[p] && !strings.HasPrefix(p, "config.db") {
					added = append(added, p)
				}
			}
			if c.wantStatus != 202 {
				kind, msg := r.errorOf(t)
				if kind != "invalid" || !strings.Contains(msg, c.wantMsg) {
					t.Errorf("error = %s %q, want invalid mentioning %q", kind, msg, c.wantMsg)
				}
				if len(added) != 0 {
					t.Errorf("a refused upload wrote %v", added)
				}
				return
			}
			var out struct {
				Object struct {
					Bucket string `json:"bucket"`
					Name   string `json:"name"`
					Size   int64  `json:"size"`
				} `json:"object"`
			}
			r.json(t, &out)
			content := c.parts[len(c.parts)-1][2]
			if out.Object.Name != c.wantKey || out.Object.Bucket != f.tenant.ID+"-drop" || out.Object.Size != int64(len(content)) {
				t.Errorf("object = %+v, want %s in %s-drop, %d bytes", out.Object, c.wantKey, f.tenant.ID, len(content))
			}
			rel := filepath.ToSlash(filepath.Join("tenants", f.tenant.ID, "drop", c.wantKey))
			if len(added) != 1 || added[0] != rel {
				t.Errorf("new files = %v, want only %s", added, rel)
			}
			got, err := os.ReadFile(filepath.Join(f.dropDir(), c.wantKey))
			if err != nil || string(got) != content {
				t.Errorf("stored %q, %v; want %q", got, err, content)
			}
		})
	}
	// Nothing outside the drop folder, and no folders inside it.
	entries, err := os.ReadDir(f.dropDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("an upload made folder %s in the drop area", e.Name())
		}
	}
	for _, p := range []string{filepath.Join(f.dropDir(), "..", "..", "etc", "passwd"), filepath.Join(f.dropDir(), "a")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists (%v)", p, err)
		}
	}
	// The listing shows the uploads at the root.
	list := f.do(tenancy.RoleViewer, "GET", "/api/files", nil, "")
	var files struct {
		Files []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	list.json(t, &files)
	names := map[string]bool{}
	for _, fl := range files.Files {
		names[fl.Name] = true
	}
	for _, want := range []string{"orders.csv", "passwd", "c.csv", "abs.csv", "later.csv", "Report [1].csv"} {
		if !names[want] {
			t.Errorf("GET /api/files lacks %q: %s", want, list.body)
		}
	}
	if len(files.Files) != 6 {
		t.Errorf("GET /api/files = %d files, want 6: %s", len(files.Files), list.body)
	}
}

// A tenant that has stored nothing yet (no folder of its own on disk) has
// no tables: the listing is empty, not an error, and no answer shows where
// the server keeps its files.
func TestTablesOfNewTenant(t *testing.T) {
	f := newFixture(t)
	r := f.do(tenancy.RoleViewer, "GET", "/api/tables", nil, "")
	if r.status != 200 || !strings.Contains(string(r.body), `"tables":[]`) {
		t.Errorf("GET /api/tables of a new tenant = %d %s, want 200 and an empty list", r.status, r.body)
	}
	r = f.do(tenancy.RoleViewer, "GET", "/api/tables/raw_data/items", nil, "")
	if r.status != 404 {
		t.Errorf("GET /api/tables/raw_data/items of a new tenant = %d %s, want 404", r.status, r.body)
	}
	if strings.Contains(string(r.body), f.p.Config.DataDir) {
		t.Errorf("the answer shows the server's data folder: %s", r.body)
	}
}

func TestTables(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// As the local app does at start: the tenant's folder exists.
	if _, err := f.p.Resources.Bucket(ctx, f.tenant.ID, etl.BucketDrop); err != nil {
		t.Fatal(err)
	}
	wh, err := f.p.Resources.Warehouse(ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	schema := warehouse.Schema{{Name: "sku", Type: warehouse.String, Nullable: false}, {Name: "qty", Type: warehouse.Int64, Nullable: true}}
	if err := wh.CreateTable(ctx, "raw_data", "items", schema); err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Query(ctx, `INSERT INTO raw_data.items VALUES ('A1', 1), ('B2', 2), ('C3', NULL)`, nil, 0); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		path       string
		wantStatus int
		wantKind   string
		wantRows   int
	}{
		{"/api/tables/raw_data/items", 200, "", 3},
		{"/api/tables/raw_data/items?limit=2", 200, "", 2},
		{"/api/tables/raw_data/items?limit=100000", 200, "", 3},
		{"/api/tables/raw_data/items?limit=0", 400, "invalid", 0},
		{"/api/tables/raw_data/items?limit=abc", 400, "invalid", 0},
		{"/api/tables/raw_data/items?limit=-1", 400, "invalid", 0},
		{"/api/tables/raw_data/x;drop", 404, "not_found", 0},
		{"/api/tables/raw_data/items%3Bdrop%20table%20items", 404, "not_found", 0},
		{"/api/tables/raw_data/items%22", 404, "not_found", 0},
		{"/api/tables/raw-data/items", 404, "not_found", 0},
		{"/api/tables/raw_data/1items", 404, "not_found", 0},
		{"/api/tables/raw_data/" + strings.Repeat("a", 301), 404, "not_found", 0},
		{"/api/tables/raw_data/missing", 404, "not_found", 0},
		{"/api/tables/other/items", 404, "not_found", 0},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := f.do(tenancy.RoleViewer, "GET", c.path, nil, "")
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.wantStatus, r.body)
			}
			if c.wantKind != "" {
				if kind, _ := r.errorOf(t); kind != c.wantKind {
					t.Errorf("kind = %q, want %q", kind, c.wantKind)
				}
				return
			}
			var out struct {
				Table   warehouse.Table `json:"table"`
				Preview struct {
					Columns []warehouse.Column `json:"columns"`
					Rows    [][]any            `json:"rows"`
				} `json:"preview"`
			}
			r.json(t, &out)
			if out.Table.Name != "items" || out.Table.NumRows != 3 || len(out.Table.Schema) != 2 || len(out.Preview.Columns) != 2 {
				t.Errorf("table = %+v", out.Table)
			}
			if len(out.Preview.Rows) != c.wantRows {
				t.Errorf("preview rows = %d, want %d", len(out.Preview.Rows), c.wantRows)
			}
		})
	}
	// The table still exists after the injection attempts.
	if tb, err := wh.DescribeTable(ctx, "raw_data", "items"); err != nil || tb.NumRows != 3 {
		t.Errorf("items after the requests: %+v, %v", tb, err)
	}

	list := func(q string) response { return f.do(tenancy.RoleViewer, "GET", "/api/tables"+q, nil, "") }
	var tables struct {
		Tables []warehouse.Table `json:"tables"`
	}
	r := list("")
	r.json(t, &tables)
	if r.status != 200 || len(tables.Tables) != 1 || tables.Tables[0].Name != "items" {
		t.Errorf("GET /api/tables = %d %s", r.status, r.body)
	}
	if r := list("?dataset=nothing_here"); r.status != 200 || !strings.Contains(string(r.body), `"tables":[]`) {
		t.Errorf("missing dataset = %d %s, want 200 and an empty list", r.status, r.body)
	}
	if r := list("?dataset=x%3Bdrop"); r.status != 400 {
		t.Errorf("bad dataset = %d %s, want 400", r.status, r.body)
	}
}

func TestRunsList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 520
	err := f.p.Store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		for i := range n {
			status := etl.StatusCompleted
			if i%2 == 1 {
				status = etl.StatusFailed
			}
			job := "j_a"
			if i%4 == 0 {
				job = "j_b"
			}
			run := etl.Run{ID: fmt.Sprintf("r_%04d", i), Tenant: f.tenant.ID, JobID: job, Status: status,
				Trigger: eventschemas.TriggerManual, CreatedAt: base.Add(time.Duration(i) * time.Minute), Parts: []string{"runs/x/part-00000.parquet"}}
			if _, err := docstore.Put(ctx, tx, docstore.Key{Tenant: f.tenant.ID, Kind: etl.KindRun, ID: run.ID}, run, docstore.MustCreate); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query      string
		wantStatus int
		wantCount  int
		wantFirst  string
	}{
		{"", 200, 50, "r_0519"},
		{"?limit=3", 200, 3, "r_0519"},
		{"?limit=500", 200, 500, "r_0519"},
		{"?limit=501", 200, 500, "r_0519"},
		{"?limit=1000000", 200, 500, "r_0519"},
		{"?limit=0", 400, 0, ""},
		{"?limit=abc", 400, 0, ""},
		{"?limit=-5", 400, 0, ""},
		{"?status=failed&limit=500", 200, 260, "r_0519"},
		{"?job_id=j_b&limit=500", 200, 130, "r_0516"},
		{"?job_id=j_b&status=failed", 200, 0, ""},
		{"?job_id=nope", 200, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := f.do(tenancy.RoleViewer, "GET", "/api/runs"+c.query, nil, "")
			if r.status != c.wantStatus {
				t.Fatalf("status = %d, want %d (%.200s)", r.status, c.wantStatus, r.body)
			}
			if c.wantStatus != 200 {
				if kind, msg := r.errorOf(t); kind != "invalid" || !strings.Contains(msg, "limit") {
					t.Errorf("error = %s %q, want invalid naming limit", kind, msg)
				}
				return
			}
			var out struct {
				Runs []etl.Run `json:"runs"`
			}
			r.json(t, &out)
			if len(out.Runs) != c.wantCount {
				t.Fatalf("runs = %d, want %d", len(out.Runs), c.wantCount)
			}
			if c.wantCount == 0 {
				if !strings.Contains(string(r.body), `"runs":[]`) {
					t.Errorf("empty list encodes as %s, want []", r.body)
				}
				return
			}
			if out.Runs[0].ID != c.wantFirst {
				t.Errorf("first run = %s, want %s (newest first)", out.Runs[0].ID, c.wantFirst)
			}
			for i := 1; i < len(out.Runs); i++ {
				if out.Runs[i].CreatedAt.After(out.Runs[i-1].CreatedAt) {
					t.Fatalf("runs not newest first at %d", i)
				}
			}
			if strings.Contains(string(r.body), "part-00000") {
				t.Errorf("the list exposes staged parts")
			}
		})
	}
	for _, p := range []string{"/api/runs/r_0001/rejects?limit=abc", "/api/runs/r_0001/rejects?limit=0"} {
		if r := f.do(tenancy.RoleViewer, "GET", p, nil, ""); r.status != 400 {
			t.Errorf("GET %s = %d, want 400", p, r.status)
		}
	}
	if r := f.do(tenancy.RoleViewer, "GET", "/api/runs/r_0001/rejects", nil, ""); r.status != 200 || !strings.Contains(string(r.body), `"rejects":[]`) {
		t.Errorf("rejects of a run without rejects = %d %s", r.status, r.body)
	}
	if r := f.do(tenancy.RoleViewer, "GET", "/api/runs/r_9999", nil, ""); r.status != 404 {
		t.Errorf("missing run = %d, want 404", r.status)
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		role         tenancy.Role
		method, path string
		wantStatus   int
		wantKind     string
	}{
		{tenancy.RoleViewer, "GET", "/api/nope", 404, "not_found"},
		{tenancy.RoleViewer, "GET", "/api/jobs/j_1/nope", 404, "not_found"},
		{tenancy.RoleViewer, "POST", "/api/tables", 404, "not_found"},
		{tenancy.RoleAdmin, "DELETE", "/api/users", 404, "not_found"},
		{"", "GET", "/api/nope", 401, "unauthenticated"},
	}
	for _, c := range cases {
		r := f.do(c.role, c.method, c.path, nil, "")
		if r.status != c.wantStatus {
			t.Errorf("%s %s %s = %d, want %d (%s)", c.role, c.method, c.path, r.status, c.wantStatus, r.body)
			continue
		}
		kind, _ := r.errorOf(t)
		if kind != c.wantKind || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s = kind %q type %q, want %q JSON", c.method, c.path, kind, r.header.Get("Content-Type"), c.wantKind)
		}
	}
	r := f.do("", "GET", "/api/health", nil, "")
	var health map[string]string
	r.json(t, &health)
	if r.status != 200 || health["status"] != "ok" || health["version"] != f.p.Config.Version {
		t.Errorf("health = %d %s", r.status, r.body)
	}
}
