package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/docstore"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/secrets"
	_ "github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

const (
	connTenantA = "t_connaaaaaaaaaaaa"
	connTenantB = "t_connbbbbbbbbbbbb"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// connFixture serves MountConnections over a real sqlite docstore and
// local secrets store. Requests carry the principal the way
// auth.Middleware sets it; RequireRole is the real one.
type connFixture struct {
	t      *testing.T
	h      http.Handler
	svc    *connections.Service
	logs   *lockedBuffer
	mu     sync.Mutex
	usage  map[string]int
	bodies []string // every response body, for the secret scan
	// imports holds the tenants' import folders (imports/{tenant}), the
	// only folders file:// connections may read.
	imports string
}

func newConnFixture(t *testing.T) *connFixture {
	t.Helper()
	dir := t.TempDir()
	docs, err := docstore.Open(t.Context(), "sqlite://"+filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docs.Close() })
	sec, err := secrets.Open(t.Context(), "local://"+filepath.Join(dir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sec.Close() })
	f := &connFixture{t: t, logs: &lockedBuffer{}, usage: map[string]int{}, imports: filepath.Join(dir, "imports")}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = connections.New(docs, sec, connections.Options{
		// Local mode: loopback reachable (the test services), folders
		// under the import folders.
		Egress: egress.LoopbackOnly(), FileRoots: []string{filepath.Join(f.imports, "{tenant}")}, Logger: log,
		Usage: connections.UsageFunc(func(_ context.Context, tenant, id string) (int, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.usage[tenant+"/"+id], nil
		}),
	})
	mux := http.NewServeMux()
	api.MountConnections(mux, f.svc, log)
	f.h = mux
	return f
}

type connResp struct {
	status int
	body   []byte
}

func (r connResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r connResp) kind(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct{ Kind, Message string } `json:"error"`
	}
	r.decode(t, &e)
	return e.Error.Kind
}

// do calls the API as role in tenant ("" role = no principal).
func (f *connFixture) do(tenant string, role tenancy.Role, method, path, body string) connResp {
	f.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{TenantID: tenant, UserID: "u_" + string(role), Role: role, Kind: auth.KindUser}))
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	f.mu.Lock()
	f.bodies = append(f.bodies, w.Body.String())
	f.mu.Unlock()
	return connResp{status: w.Code, body: w.Body.Bytes()}
}

// assertNoSecrets fails if a secret occurs in any response body or log line.
func (f *connFixture) assertNoSecrets(values ...string) {
	f.t.Helper()
	f.mu.Lock()
	all := strings.Join(f.bodies, "\n")
	f.mu.Unlock()
	for _, v := range values {
		if strings.Contains(all, v) {
			f.t.Errorf("a response body contains the secret %q", v[:3]+"…")
		}
		if strings.Contains(f.logs.String(), v) {
			f.t.Errorf("a log line contains the secret %q", v[:3]+"…")
		}
	}
}

func TestConnectionsAPIStorage(t *testing.T) {
	f := newConnFixture(t)
	dir := filepath.Join(f.imports, connTenantA, "drop")
	for i, name := range []string{"in/a-1.csv", "in/a-2.csv", "in/b.json"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mod := time.Date(2026, 3, 1, i, 0, 0, 0, time.UTC)
		os.Chtimes(p, mod, mod)
	}
	const sas = "sv=2024-01-01&sig=VerySecretSignature123"
	body := fmt.Sprintf(`{"name":"Drop","type":"azure_blob","bucket_url":%q,"account":"acct","prefix":"in/","secret":{"azure_sas_token":%q},"test_first":true}`,
		"file://"+filepath.ToSlash(dir), sas)

	// Viewers may not write.
	if r := f.do(connTenantA, tenancy.RoleViewer, "POST", "/api/connections", body); r.status != 403 || r.kind(t) != "permission" {
		t.Fatalf("viewer create: %d %s", r.status, r.body)
	}
	if r := f.do(connTenantA, "", "GET", "/api/connections", ""); r.status != 401 {
		t.Fatalf("anonymous list: %d", r.status)
	}
	r := f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections", body)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		Connection map[string]any `json:"connection"`
		Test       struct {
			OK     bool `json:"ok"`
			Tables []struct {
				Name string `json:"name"`
			} `json:"tables"`
		} `json:"test"`
	}
	r.decode(t, &created)
	id, _ := created.Connection["id"].(string)
	if id == "" || created.Connection["has_secret"] != true || !created.Test.OK || len(created.Test.Tables) != 3 {
		t.Fatalf("created %s", r.body)
	}
	if fields, _ := created.Connection["secret_fields"].([]any); len(fields) != 1 || fields[0] != "azure_sas_token" {
		t.Errorf("secret_fields %v", created.Connection["secret_fields"])
	}
	if _, ok := created.Connection["secret"]; ok {
		t.Errorf("connection view has a secret field: %s", r.body)
	}

	// Duplicate: testing the same place reports the existing id.
	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections/test", strings.Replace(body, `"Drop"`, `"Drop 2"`, 1))
	var tr struct {
		OK          bool   `json:"ok"`
		DuplicateOf string `json:"duplicate_of"`
	}
	r.decode(t, &tr)
	if r.status != 200 || !tr.OK || tr.DuplicateOf != id {
		t.Errorf("test values: %d %s", r.status, r.body)
	}

	// Viewer reads and lists files.
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id+"/files?pattern=a-*.csv", "")
	var files struct {
		Files []struct {
			Key string `json:"key"`
		} `json:"files"`
	}
	r.decode(t, &files)
	if r.status != 200 || len(files.Files) != 2 || files.Files[0].Key != "in/a-2.csv" || files.Files[1].Key != "in/a-1.csv" {
		t.Errorf("files: %d %s", r.status, r.body)
	}
	// Viewer detects a file's schema (relative to the connection's prefix).
	r = f.do(connTenantA, tenancy.RoleViewer, "POST", "/api/connections/"+id+"/files/detect", `{"name":"a-1.csv","header":true}`)
	var det struct {
		Format   string `json:"format"`
		Inferred struct {
			Columns []struct {
				Name string `json:"name"`
			} `json:"columns"`
		} `json:"inferred"`
	}
	r.decode(t, &det)
	if r.status != 200 || det.Format != "csv" || len(det.Inferred.Columns) != 1 || det.Inferred.Columns[0].Name != "x" {
		t.Errorf("detect: %d %s", r.status, r.body)
	}
	if r := f.do(connTenantA, tenancy.RoleViewer, "POST", "/api/connections/"+id+"/files/detect", `{"name":"../drop/in/a-1.csv"}`); r.status != 400 || r.kind(t) != "invalid" {
		t.Errorf("detect outside the prefix: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections", "")
	var list struct {
		Connections []struct {
			ID        string `json:"id"`
			JobsCount int    `json:"jobs_count"`
		} `json:"connections"`
	}
	r.decode(t, &list)
	if r.status != 200 || len(list.Connections) != 1 || list.Connections[0].ID != id {
		t.Errorf("list: %s", r.body)
	}

	// Patch: unknown fields and bad values are field-named 400s.
	if r := f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+id, `{"password":"x"}`); r.status != 400 {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
	if r := f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+id, `{"bucket_url":"gs://x"}`); r.status != 400 || !strings.Contains(string(r.body), `"field":"bucket_url"`) {
		t.Errorf("bad bucket: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+id, `{"description":"nightly exports","test":true}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"nightly exports"`) || !strings.Contains(string(r.body), `"has_secret":true`) {
		t.Errorf("patch: %d %s", r.status, r.body)
	}

	// Tenant B sees nothing of tenant A's connection, on every route.
	for _, rt := range []struct{ method, path, body string }{
		{"GET", "/api/connections/" + id, ""},
		{"PATCH", "/api/connections/" + id, `{"description":"mine"}`},
		{"DELETE", "/api/connections/" + id, ""},
		{"POST", "/api/connections/" + id + "/test", ""},
		{"GET", "/api/connections/" + id + "/schemas", ""},
		{"GET", "/api/connections/" + id + "/tables?schema=public", ""},
		{"GET", "/api/connections/" + id + "/tables/public/orders", ""},
		{"GET", "/api/connections/" + id + "/files", ""},
	} {
		r := f.do(connTenantB, tenancy.RoleAdmin, rt.method, rt.path, rt.body)
		if r.status != 404 || r.kind(t) != "not_found" {
			t.Errorf("tenant B %s %s: %d %s", rt.method, rt.path, r.status, r.body)
		}
	}
	r = f.do(connTenantB, tenancy.RoleAdmin, "GET", "/api/connections", "")
	if r.status != 200 || strings.Contains(string(r.body), id) {
		t.Errorf("tenant B list: %s", r.body)
	}

	// Viewer may not test, change or delete.
	for _, rt := range []struct{ method, path, body string }{
		{"POST", "/api/connections/test", body},
		{"POST", "/api/connections/" + id + "/test", ""},
		{"PATCH", "/api/connections/" + id, `{"description":"x"}`},
		{"DELETE", "/api/connections/" + id, ""},
	} {
		if r := f.do(connTenantA, tenancy.RoleViewer, rt.method, rt.path, rt.body); r.status != 403 {
			t.Errorf("viewer %s %s: %d", rt.method, rt.path, r.status)
		}
	}

	// Delete is refused while a job uses it.
	f.mu.Lock()
	f.usage[connTenantA+"/"+id] = 1
	f.mu.Unlock()
	if r := f.do(connTenantA, tenancy.RoleEditor, "DELETE", "/api/connections/"+id, ""); r.status != 409 || r.kind(t) != "conflict" {
		t.Errorf("delete in use: %d %s", r.status, r.body)
	}
	f.mu.Lock()
	f.usage[connTenantA+"/"+id] = 0
	f.mu.Unlock()
	if r := f.do(connTenantA, tenancy.RoleEditor, "DELETE", "/api/connections/"+id, ""); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id, ""); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	}
	f.assertNoSecrets(sas, "VerySecretSignature123")
}

func TestConnectionsAPIPostgres(t *testing.T) {
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("b2b_connapi_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	exec := func(q string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE SCHEMA "` + schema + `"`)
	t.Cleanup(func() { exec(`DROP SCHEMA "` + schema + `" CASCADE`) })
	exec(`CREATE TABLE "` + schema + `"."Line Items" (order_id int NOT NULL, sku text, qty smallint, placed date, PRIMARY KEY (order_id))`)
	exec(`INSERT INTO "` + schema + `"."Line Items" VALUES (7,'SKU-1',3,'2026-02-03')`)

	f := newConnFixture(t)
	const pw = "pg-api-Secret-Value-42"
	port, _ := strconv.Atoi(u.Port())
	body, _ := json.Marshal(map[string]any{"name": "PG", "type": "postgresql", "host": u.Hostname(), "port": port,
		"database": strings.TrimPrefix(u.Path, "/"), "schema": schema, "username": u.User.Username(), "sslmode": "disable",
		"secret": map[string]string{"password": pw}})
	r := f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections", string(body))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		Connection struct {
			ID string `json:"id"`
		} `json:"connection"`
	}
	r.decode(t, &created)
	id := created.Connection.ID

	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections/"+id+"/test", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"ok":true`) || !strings.Contains(string(r.body), `"Line Items"`) {
		t.Fatalf("test: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id+"/schemas", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"`+schema+`"`) {
		t.Errorf("schemas: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id+"/tables?schema="+schema, "")
	var tables struct {
		Tables []struct {
			Name string `json:"name"`
			Rows int64  `json:"rows"`
		} `json:"tables"`
	}
	r.decode(t, &tables)
	if r.status != 200 || len(tables.Tables) != 1 || tables.Tables[0].Name != "Line Items" || tables.Tables[0].Rows != 1 {
		t.Errorf("tables: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id+"/tables/"+schema+"/"+url.PathEscape("Line Items"), "")
	var meta struct {
		Columns []struct {
			Name       string   `json:"name"`
			Type       string   `json:"type"`
			PrimaryKey bool     `json:"primary_key"`
			Nullable   bool     `json:"nullable"`
			Samples    []string `json:"samples"`
		} `json:"columns"`
		Recommended struct {
			TimestampColumn string `json:"timestamp_column"`
		} `json:"recommended"`
	}
	r.decode(t, &meta)
	want := []string{"order_id INT64 pk", "sku STRING", "qty INT64", "placed DATE"}
	var got []string
	for _, c := range meta.Columns {
		s := c.Name + " " + c.Type
		if c.PrimaryKey {
			s += " pk"
		}
		got = append(got, s)
	}
	if r.status != 200 || strings.Join(got, ",") != strings.Join(want, ",") || meta.Recommended.TimestampColumn != "placed" {
		t.Errorf("describe: %d got %v want %v; %s", r.status, got, want, r.body)
	}
	if len(meta.Columns) > 0 && (meta.Columns[0].Nullable || len(meta.Columns[0].Samples) != 1 || meta.Columns[0].Samples[0] != "7") {
		t.Errorf("order_id column %+v", meta.Columns[0])
	}
	// A missing table is a 404 with a message, without the password.
	if r := f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+id+"/tables/"+schema+"/nope", ""); r.status != 404 {
		t.Errorf("missing table: %d %s", r.status, r.body)
	}
	// Unsaved values with an unreachable port: ok=false, friendly message.
	bad := strings.Replace(string(body), fmt.Sprintf(`"port":%d`, port), `"port":1`, 1)
	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections/test", bad)
	if r.status != 200 || !strings.Contains(string(r.body), `"ok":false`) {
		t.Errorf("unreachable: %d %s", r.status, r.body)
	}
	f.assertNoSecrets(pw)
}
