package connections_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/docstore"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
	_ "github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

const (
	tenantA = "t_aaaaaaaaaaaaaaaa"
	tenantB = "t_bbbbbbbbbbbbbbbb"
)

// env is a Service over a real sqlite docstore and local secrets store,
// with every log line captured.
type env struct {
	svc     *connections.Service
	imports string // the import folders: imports/{tenant}
	docs    *docstore.Store
	secrets *secrets.Store
	logs    *syncBuffer
	usage   map[string]int // connection id → jobs
	mu      sync.Mutex
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := t.Context()
	docs, err := docstore.Open(ctx, "sqlite://"+filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docs.Close() })
	sec, err := secrets.Open(ctx, "local://"+filepath.Join(dir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sec.Close() })
	e := &env{docs: docs, secrets: sec, logs: &syncBuffer{}, usage: map[string]int{}, imports: filepath.Join(dir, "imports")}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = connections.New(docs, sec, connections.Options{
		// The test services listen on loopback, as in local mode.
		Egress:    egress.LoopbackOnly(),
		FileRoots: []string{filepath.Join(e.imports, "{tenant}")},
		Logger:    log,
		Usage: connections.UsageFunc(func(_ context.Context, tenant, id string) (int, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.usage[tenant+"/"+id], nil
		}),
	})
	return e
}

// folder creates a folder under the tenant's import folder.
func (e *env) folder(t *testing.T, tenant, name string) string {
	t.Helper()
	dir := filepath.Join(e.imports, tenant, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (e *env) setUsage(tenant, id string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.usage[tenant+"/"+id] = n
}

// pgConn returns fields for the test PostgreSQL server with a fresh schema
// holding an orders table, and the password to use (the test server
// trusts local connections, so any password is accepted).
func pgConn(t *testing.T) connections.NewConnection {
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("b2b_conn_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	pgExec(t, dsn, `CREATE SCHEMA "`+schema+`"`)
	t.Cleanup(func() { pgExec(t, dsn, `DROP SCHEMA "`+schema+`" CASCADE`) })
	pgExec(t, dsn, `CREATE TABLE "`+schema+`".orders (id bigint PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(10,2), created_at timestamptz)`)
	pgExec(t, dsn, `INSERT INTO "`+schema+`".orders VALUES (1,'acme',12.50,'2026-01-02T03:04:05Z'),(2,'globex',NULL,NULL)`)
	port, _ := strconv.Atoi(u.Port())
	return connections.NewConnection{
		Fields: connections.Fields{Name: "Shop DB", Type: connections.Postgres, Host: u.Hostname(), Port: port,
			Database: strings.TrimPrefix(u.Path, "/"), Schema: schema, Username: u.User.Username(), SSLMode: "disable"},
		Secret: connections.Secret{Password: "pg-Sup3r-S3cret-value"},
	}
}

func pgExec(t *testing.T, dsn, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, q); err != nil {
		t.Fatalf("exec %s: %v", q, err)
	}
}

const (
	mariaDB   = "b2b_conntest"
	mariaUser = "b2b_conn"
	mariaPass = "maria-S3cret-pa55word"
)

// mariaConn creates a database and a user with a password on the test
// MariaDB server and returns fields to reach it.
func mariaConn(t *testing.T) connections.NewConnection {
	dsn := testenv.Require(t, testenv.MariaDB)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + mariaDB,
		"CREATE USER IF NOT EXISTS '" + mariaUser + "'@'%' IDENTIFIED BY '" + mariaPass + "'",
		"GRANT ALL ON " + mariaDB + ".* TO '" + mariaUser + "'@'%'",
		"DROP TABLE IF EXISTS " + mariaDB + ".customers",
		"CREATE TABLE " + mariaDB + ".customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, active TINYINT(1), updated_at DATETIME)",
		"INSERT INTO " + mariaDB + ".customers VALUES (1,'Acme',1,'2026-01-01 10:00:00'),(2,'Globex',0,NULL),(3,'Initech',1,NULL)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("exec %s: %v", q, err)
		}
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return connections.NewConnection{
		Fields: connections.Fields{Name: "ERP", Type: connections.MariaDB, Host: host, Port: p,
			Database: mariaDB, Username: mariaUser, SSLMode: "disable"},
		Secret: connections.Secret{Password: mariaPass},
	}
}

// assertNoSecret fails if any secret value occurs in the text.
func assertNoSecret(t *testing.T, what, text string, secretValues ...string) {
	t.Helper()
	for _, s := range secretValues {
		if strings.Contains(text, s) {
			t.Errorf("%s contains a secret: %s", what, text)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostgresLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	in := pgConn(t)
	pw := in.Secret.Password
	in.TestFirst = true
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c := res.Connection
	if !strings.HasPrefix(c.ID, connections.IDPrefix) || c.TenantID != tenantA || !c.Enabled || !c.HasSecret {
		t.Fatalf("created %+v", c)
	}
	if got := strings.Join(c.SecretFields, ","); got != "password" {
		t.Errorf("secret fields %q, want password", got)
	}
	if res.Test == nil || !res.Test.OK || len(res.Test.Tables) != 1 || res.Test.Tables[0].Name != "orders" || *res.Test.Tables[0].Rows != 2 {
		t.Fatalf("test result %s", mustJSON(t, res.Test))
	}
	if c.LastTestStatus != connections.StatusSuccess || c.LastTestAt == nil {
		t.Errorf("last test %q %v", c.LastTestStatus, c.LastTestAt)
	}
	// The secret is in the secrets port, not the docstore.
	doc, err := e.docs.Get(ctx, docstore.Key{Tenant: tenantA, Kind: connections.Kind, ID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "stored document", string(doc.Data), pw)
	raw, err := e.secrets.Get(ctx, tenantA, connections.SecretName(c.ID))
	if err != nil || !strings.Contains(string(raw), pw) {
		t.Fatalf("secret %v (found %v)", err, strings.Contains(string(raw), pw))
	}

	tr, err := e.svc.Test(ctx, tenantA, c.ID)
	if err != nil || !tr.OK || tr.Schema != in.Schema || len(tr.Tables) != 1 {
		t.Fatalf("Test: %v %s", err, mustJSON(t, tr))
	}
	schemas, err := e.svc.Schemas(ctx, tenantA, c.ID)
	if err != nil || !contains(schemas, in.Schema) || contains(schemas, "pg_catalog") {
		t.Fatalf("Schemas: %v %v", err, schemas)
	}
	tables, err := e.svc.Tables(ctx, tenantA, c.ID, in.Schema)
	if err != nil || len(tables) != 1 || tables[0].Name != "orders" || tables[0].Rows != 2 {
		t.Fatalf("Tables: %v %+v", err, tables)
	}
	meta, err := e.svc.Describe(ctx, tenantA, c.ID, in.Schema, "orders")
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	want := []struct {
		name string
		typ  warehouse.Type
		pk   bool
	}{{"id", warehouse.Int64, true}, {"customer", warehouse.String, false}, {"amount", warehouse.Numeric, false}, {"created_at", warehouse.Timestamp, false}}
	if len(meta.Columns) != len(want) {
		t.Fatalf("columns %+v", meta.Columns)
	}
	for i, w := range want {
		got := meta.Columns[i]
		if got.Name != w.name || got.Type != w.typ || got.PrimaryKey != w.pk {
			t.Errorf("column %d = %s %s pk=%v, want %s %s pk=%v", i, got.Name, got.Type, got.PrimaryKey, w.name, w.typ, w.pk)
		}
	}
	if meta.Columns[1].Nullable || !meta.Columns[2].Nullable {
		t.Errorf("nullability: customer %v amount %v", meta.Columns[1].Nullable, meta.Columns[2].Nullable)
	}
	if meta.Recommended.TimestampColumn != "created_at" || strings.Join(meta.Recommended.PrimaryKey, ",") != "id" {
		t.Errorf("recommended %+v", meta.Recommended)
	}
	if _, err := e.svc.Describe(ctx, tenantA, c.ID, in.Schema, "nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Describe missing table: %v, want NotFound", err)
	}
	if _, err := e.svc.ListFiles(ctx, tenantA, c.ID, "", ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("ListFiles on a database: %v, want Invalid", err)
	}

	// The runner's view: a driver with the stored password.
	src, sc, err := e.svc.OpenSource(ctx, tenantA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	it, err := src.Extract(ctx, sources.ExtractRequest{Table: "orders", Columns: []string{"customer"}})
	if err != nil {
		t.Fatal(err)
	}
	var customers []string
	for it.Next() {
		customers = append(customers, it.Values()[0].(string))
	}
	it.Close()
	src.Close()
	slices.Sort(customers)
	if it.Err() != nil || strings.Join(customers, ",") != "acme,globex" || sc.ID != c.ID {
		t.Errorf("extract through OpenSource: %v %v", it.Err(), customers)
	}

	// Duplicate detection: same host/port/database/user.
	dupIn := pgConn(t)
	dupIn.Name, dupIn.Schema = "Shop DB copy", in.Schema
	tv, err := e.svc.TestValues(ctx, tenantA, dupIn)
	if err != nil || !tv.OK || tv.DuplicateOf != c.ID {
		t.Fatalf("TestValues duplicate: %v %s", err, mustJSON(t, tv))
	}
	if tv, _ := e.svc.TestValues(ctx, tenantB, dupIn); tv.DuplicateOf != "" {
		t.Errorf("duplicate across tenants: %q", tv.DuplicateOf)
	}
	// Same name (any case) is a conflict.
	dupIn.Name = "shop db"
	if _, err := e.svc.Create(ctx, tenantA, dupIn); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "name") {
		t.Errorf("duplicate name: %v, want Conflict naming the name", err)
	}
	// The name is free in another tenant.
	if _, err := e.svc.Create(ctx, tenantB, dupIn); err != nil {
		t.Errorf("same name in tenant B: %v", err)
	}

	// Update: omitted secret fields are kept; a failing re-test saves nothing.
	bad := "wrong-host.invalid"
	if _, err := e.svc.Update(ctx, tenantA, c.ID, connections.Patch{Host: &bad, Secret: connections.SecretPatch{Password: &pw}, Test: true}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "test failed") {
		t.Fatalf("update with failing test: %v", err)
	}
	got, err := e.svc.Get(ctx, tenantA, c.ID)
	if err != nil || got.Host != in.Host {
		t.Fatalf("after failed update host = %q (%v)", got.Host, err)
	}
	desc := "orders of the web shop"
	e.setUsage(tenantA, c.ID, 2)
	ur, err := e.svc.Update(ctx, tenantA, c.ID, connections.Patch{Description: &desc, Test: true})
	if err != nil || ur.Connection.Description != desc || !ur.Connection.HasSecret || ur.AffectedJobsCount != 2 || ur.Test == nil || !ur.Test.OK {
		t.Fatalf("update: %v %s", err, mustJSON(t, ur))
	}
	list, err := e.svc.List(ctx, tenantA)
	if err != nil || len(list) != 1 || list[0].JobsCount != 2 {
		t.Fatalf("List: %v %s", err, mustJSON(t, list))
	}
	// Delete is refused while jobs use it.
	if err := e.svc.Delete(ctx, tenantA, c.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("delete in use: %v, want Conflict", err)
	}
	// Clearing the password with "".
	empty := ""
	ur, err = e.svc.Update(ctx, tenantA, c.ID, connections.Patch{Secret: connections.SecretPatch{Password: &empty}})
	if err != nil || ur.Connection.HasSecret || len(ur.Connection.SecretFields) != 0 {
		t.Fatalf("clear password: %v %s", err, mustJSON(t, ur))
	}
	if _, err := e.secrets.Get(ctx, tenantA, connections.SecretName(c.ID)); !errs.Is(err, errs.NotFound) {
		t.Errorf("secret after clearing: %v", err)
	}
	e.setUsage(tenantA, c.ID, 0)
	if err := e.svc.Delete(ctx, tenantA, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(ctx, tenantA, c.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("Get after delete: %v", err)
	}
	// The name can be used again.
	in.TestFirst = false
	if _, err := e.svc.Create(ctx, tenantA, in); err != nil {
		t.Errorf("re-create after delete: %v", err)
	}
	assertNoSecret(t, "logs", e.logs.String(), pw)
}

func TestMariaDB(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	in := mariaConn(t)
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Connection.ID
	tr, err := e.svc.Test(ctx, tenantA, id)
	if err != nil || !tr.OK || len(tr.Tables) != 1 || tr.Tables[0].Name != "customers" || *tr.Tables[0].Rows != 3 {
		t.Fatalf("Test: %v %s", err, mustJSON(t, tr))
	}
	meta, err := e.svc.Describe(ctx, tenantA, id, "", "customers")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]warehouse.Type{"id": warehouse.Int64, "name": warehouse.String, "active": warehouse.Bool, "updated_at": warehouse.DateTime}
	if len(meta.Columns) != len(want) {
		t.Fatalf("columns %+v", meta.Columns)
	}
	for _, col := range meta.Columns {
		if want[col.Name] != col.Type {
			t.Errorf("column %s: %s, want %s", col.Name, col.Type, want[col.Name])
		}
	}
	if meta.Recommended.TimestampColumn != "updated_at" || len(meta.Columns[0].Samples) != 3 {
		t.Errorf("recommended %+v samples %v", meta.Recommended, meta.Columns[0].Samples)
	}
	// A wrong password: a failed test with a friendly message, recorded.
	wrong := "not-the-Right-pa55word"
	if _, err := e.svc.Update(ctx, tenantA, id, connections.Patch{Secret: connections.SecretPatch{Password: &wrong}}); err != nil {
		t.Fatal(err)
	}
	tr, err = e.svc.Test(ctx, tenantA, id)
	if err != nil || tr.OK || !strings.Contains(tr.Message, "check the user name and password") {
		t.Fatalf("Test with wrong password: %v %s", err, mustJSON(t, tr))
	}
	got, _ := e.svc.Get(ctx, tenantA, id)
	if got.LastTestStatus != connections.StatusFailed || got.LastTestMessage != tr.Message {
		t.Errorf("recorded %q %q", got.LastTestStatus, got.LastTestMessage)
	}
	_, err = e.svc.Tables(ctx, tenantA, id, "")
	if k := errs.KindOf(err); (k != errs.Unauthenticated && k != errs.Permission) || !strings.Contains(err.Error(), "password") {
		t.Errorf("Tables with wrong password: %v", err)
	}
	for _, text := range []string{mustJSON(t, tr), fmt.Sprint(err), e.logs.String()} {
		assertNoSecret(t, "output", text, wrong, mariaPass)
	}
	// Unreachable server: a failed test, not an error.
	in2 := in
	in2.Name, in2.Port = "closed", closedPort(t)
	tv, err := e.svc.TestValues(ctx, tenantA, in2)
	if err != nil || tv.OK || tv.Message == "" {
		t.Fatalf("closed port: %v %s", err, mustJSON(t, tv))
	}
	assertNoSecret(t, "logs", e.logs.String(), mariaPass)
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	db := connections.Fields{Name: "db", Type: connections.Postgres, Host: "h", Database: "d", Username: "u"}
	cases := []struct {
		name string
		mod  func(*connections.NewConnection)
		want string
	}{
		{"no name", func(n *connections.NewConnection) { n.Name = " " }, "connection: name: is required"},
		{"bad type", func(n *connections.NewConnection) { n.Type = "oracle" }, "connection: type: must be one of"},
		{"port too big", func(n *connections.NewConnection) { n.Port = 70000 }, "connection: port: must be 1-65535"},
		{"negative port", func(n *connections.NewConnection) { n.Port = -1 }, "connection: port: must be 1-65535"},
		{"no host", func(n *connections.NewConnection) { n.Host = "" }, "connection: host: is required"},
		{"host with user", func(n *connections.NewConnection) { n.Host = "u:p@h" }, "connection: host:"},
		{"no database", func(n *connections.NewConnection) { n.Database = "" }, "connection: database: is required"},
		{"bad sslmode", func(n *connections.NewConnection) { n.SSLMode = "maybe" }, "connection: sslmode:"},
		{"gcs with s3 url", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.GCS, BucketURL: "s3://xyz"}
		}, "connection: bucket_url: must start with gs://"},
		{"bucket url with key", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.S3, BucketURL: "s3://xyz?access_key=1"}
		}, "connection: bucket_url: must not contain"},
		{"s3 key id without secret", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.S3, BucketURL: "s3://xyz", AccessKeyID: "AKIA"}
		}, "connection: aws_secret_access_key: is required"},
		{"azure without key", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.AzureBlob, BucketURL: "azblob://ccc", Account: "acct1"}
		}, "connection: azure_account_key:"},
		{"bad service account", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.GCS, BucketURL: "gs://xyz"}
			n.Secret.ServiceAccountJSON = "{not json"
		}, "connection: service_account_json:"},
		{"prefix escapes", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.GCS, BucketURL: "gs://xyz", Prefix: "../x"}
		}, "connection: prefix:"},
		{"bigquery without project", func(n *connections.NewConnection) {
			n.Fields = connections.Fields{Name: "b", Type: connections.BigQuery}
		}, "connection: project: is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := connections.NewConnection{Fields: db}
			c.mod(&in)
			_, err := e.svc.Create(t.Context(), tenantA, in)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want Invalid containing %q", err, c.want)
			}
		})
	}
	list, _ := e.svc.List(t.Context(), tenantA)
	if len(list) != 0 {
		t.Errorf("invalid creates left %d connections", len(list))
	}
	// Local folders are refused unless allowed.
	strict := connections.New(e.docs, e.secrets, connections.Options{})
	_, err := strict.Create(t.Context(), tenantA, connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.GCS, BucketURL: "file://" + t.TempDir()}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "local") {
		t.Errorf("file bucket without FileRoots: %v", err)
	}
	// Azure https URL is normalised.
	res, err := e.svc.Create(t.Context(), tenantA, connections.NewConnection{
		Fields: connections.Fields{Name: "az", Type: connections.AzureBlob, BucketURL: "https://acct1.blob.core.windows.net/exports"},
		Secret: connections.Secret{AzureSASToken: "sv=2024&sig=abc"},
	})
	if err != nil || res.Connection.BucketURL != "azblob://exports" || res.Connection.Account != "acct1" || res.Connection.Endpoint != "https://acct1.blob.core.windows.net" {
		t.Errorf("azure https: %v %s", err, mustJSON(t, res))
	}
}

func writeFile(t *testing.T, dir, name, content string, mod time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func TestFileBucket(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	dir := e.folder(t, tenantA, "src")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, dir, "exports/orders-1.csv", "a\n1\n", base)
	writeFile(t, dir, "exports/orders-2.csv", "a\n1\n2\n", base.Add(time.Hour))
	writeFile(t, dir, "exports/2026/orders-3.csv", "a\n", base.Add(2*time.Hour))
	writeFile(t, dir, "exports/readme.txt", "hi", base.Add(3*time.Hour))
	writeFile(t, dir, "other/orders-9.csv", "a\n", base.Add(4*time.Hour))
	res, err := e.svc.Create(ctx, tenantA, connections.NewConnection{
		Fields:    connections.Fields{Name: "drop", Type: connections.GCS, BucketURL: "file://" + filepath.ToSlash(dir), Prefix: "exports/"},
		TestFirst: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test == nil || len(res.Test.Tables) != 4 || !strings.Contains(res.Test.Message, "4 objects") {
		t.Fatalf("test %s", mustJSON(t, res.Test))
	}
	id := res.Connection.ID
	files, err := e.svc.ListFiles(ctx, tenantA, id, "", "orders-*.csv")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range files {
		keys = append(keys, f.Key)
	}
	if got, want := strings.Join(keys, " "), "exports/2026/orders-3.csv exports/orders-2.csv exports/orders-1.csv"; got != want {
		t.Errorf("files %q, want %q (newest first, basename glob, under the prefix)", got, want)
	}
	if files[1].Size != 6 || files[1].Name != "orders-2.csv" {
		t.Errorf("file %+v", files[1])
	}
	files, err = e.svc.ListFiles(ctx, tenantA, id, "2026/", "")
	if err != nil || len(files) != 1 || files[0].Key != "exports/2026/orders-3.csv" {
		t.Errorf("sub-prefix: %v %+v", err, files)
	}
	if _, err := e.svc.ListFiles(ctx, tenantA, id, "", "[bad"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "pattern") {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := e.svc.ListFiles(ctx, tenantA, id, "../", ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("escaping prefix: %v", err)
	}
	if _, err := e.svc.Schemas(ctx, tenantA, id); !errs.Is(err, errs.Invalid) {
		t.Errorf("Schemas on a bucket: %v", err)
	}
	// The runner's view: the bucket opened with the stored settings.
	b, c, err := e.svc.OpenBucket(ctx, tenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.ReadAll(ctx, c.Prefix+"orders-2.csv")
	b.Close()
	if err != nil || string(data) != "a\n1\n2\n" {
		t.Errorf("read through OpenBucket: %v %q", err, data)
	}
	if _, _, err := e.svc.OpenSource(ctx, tenantA, id); !errs.Is(err, errs.Invalid) {
		t.Errorf("OpenSource on a bucket: %v", err)
	}
	off := false
	if _, err := e.svc.Update(ctx, tenantA, id, connections.Patch{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.OpenBucket(ctx, tenantA, id); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("OpenBucket when disabled: %v", err)
	}
	if _, _, err := e.svc.OpenBucket(ctx, tenantB, id); !errs.Is(err, errs.NotFound) {
		t.Errorf("OpenBucket as tenant B: %v", err)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	res, err := e.svc.Create(ctx, tenantA, connections.NewConnection{
		Fields: connections.Fields{Name: "drop", Type: connections.GCS, BucketURL: "file://" + filepath.ToSlash(e.folder(t, tenantA, "src"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Connection.ID
	name := "x"
	calls := map[string]func() error{
		"Get":       func() error { _, err := e.svc.Get(ctx, tenantB, id); return err },
		"Update":    func() error { _, err := e.svc.Update(ctx, tenantB, id, connections.Patch{Name: &name}); return err },
		"Delete":    func() error { return e.svc.Delete(ctx, tenantB, id) },
		"Test":      func() error { _, err := e.svc.Test(ctx, tenantB, id); return err },
		"Schemas":   func() error { _, err := e.svc.Schemas(ctx, tenantB, id); return err },
		"Tables":    func() error { _, err := e.svc.Tables(ctx, tenantB, id, ""); return err },
		"Describe":  func() error { _, err := e.svc.Describe(ctx, tenantB, id, "s", "t"); return err },
		"ListFiles": func() error { _, err := e.svc.ListFiles(ctx, tenantB, id, "", ""); return err },
		"MarkUsed":  func() error { return e.svc.MarkUsed(ctx, tenantB, id) },
	}
	for n, f := range calls {
		if err := f(); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s as tenant B: %v, want NotFound", n, err)
		}
	}
	if list, _ := e.svc.List(ctx, tenantB); len(list) != 0 {
		t.Errorf("tenant B lists %d connections", len(list))
	}
	if got, err := e.svc.Get(ctx, tenantA, id); err != nil || got.Name != "drop" {
		t.Errorf("tenant A's connection after B's attempts: %v %+v", err, got)
	}
	if err := e.svc.MarkUsed(ctx, tenantA, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Get(ctx, tenantA, id); got.LastUsedAt == nil {
		t.Error("MarkUsed did not set last_used_at")
	}
}

// failingSecrets fails every Put.
type failingSecrets struct{ secrets.Driver }

func (failingSecrets) Put(context.Context, string, string, []byte) error {
	return errs.E(errs.Transient, "secret store unavailable")
}

func TestCreateSecretFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	svc := connections.New(e.docs, &secrets.Store{Driver: failingSecrets{e.secrets.Driver}}, connections.Options{})
	in := connections.NewConnection{
		Fields: connections.Fields{Name: "az", Type: connections.AzureBlob, BucketURL: "azblob://exports", Account: "acct1"},
		Secret: connections.Secret{AzureAccountKey: "a2V5LXZhbHVl"},
	}
	_, err := svc.Create(ctx, tenantA, in)
	if !errs.Is(err, errs.Transient) {
		t.Fatalf("Create: %v, want Transient", err)
	}
	assertNoSecret(t, "error", err.Error(), in.Secret.AzureAccountKey)
	if list, _ := svc.List(ctx, tenantA); len(list) != 0 {
		t.Fatalf("left %d connections behind", len(list))
	}
	// The name is free again.
	if _, err := e.svc.Create(ctx, tenantA, in); err != nil {
		t.Errorf("create after failure: %v", err)
	}
}

func TestSecretRedaction(t *testing.T) {
	s := connections.Secret{Password: "hunter2-long"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("formatted secret leaks: %s", out)
		}
	}
}

// Azurite's well-known development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

func TestAzurite(t *testing.T) {
	svcURL := strings.TrimRight(testenv.Require(t, testenv.Azurite), "/")
	ctx := t.Context()
	cred, err := container.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("b2b-conn-%x-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	cc, err := container.NewClientWithSharedKeyCredential(svcURL+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(ctx, nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { cc.Delete(context.Background(), nil) })
	for i, key := range []string{"exports/sales-1.csv", "exports/sales-2.csv", "exports/notes.txt", "other/sales-9.csv"} {
		if _, err := cc.NewBlockBlobClient(key).UploadBuffer(ctx, []byte(strings.Repeat("x", i+1)), nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // distinct last-modified seconds
	}

	e := newEnv(t)
	in := connections.NewConnection{
		Fields: connections.Fields{Name: "Azure exports", Type: connections.AzureBlob, BucketURL: "azblob://" + name,
			Account: azuriteAccount, Endpoint: svcURL, Prefix: "exports/"},
		Secret:    connections.Secret{AzureAccountKey: azuriteKey},
		TestFirst: true,
	}
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if res.Test == nil || !res.Test.OK || len(res.Test.Tables) != 3 {
		t.Fatalf("test %s", mustJSON(t, res.Test))
	}
	files, err := e.svc.ListFiles(ctx, tenantA, res.Connection.ID, "", "sales-*.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Key != "exports/sales-2.csv" || files[1].Key != "exports/sales-1.csv" || files[0].Size != 2 {
		t.Errorf("files %+v, want sales-2 then sales-1 under exports/", files)
	}

	// A SAS token instead of the account key.
	sasURL, err := cc.GetSASURL(sas.ContainerPermissions{Read: true, List: true}, time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	su, _ := url.Parse(sasURL)
	sasIn := in
	sasIn.Name, sasIn.Secret, sasIn.Prefix = "Azure via SAS", connections.Secret{AzureSASToken: su.RawQuery}, "other/"
	sres, err := e.svc.Create(ctx, tenantA, sasIn)
	if err != nil {
		t.Fatalf("Create with SAS: %v", err)
	}
	if sres.Test == nil || !sres.Test.OK || len(sres.Test.Tables) != 1 || sres.Test.Tables[0].Name != "other/sales-9.csv" {
		t.Fatalf("SAS test %s", mustJSON(t, sres.Test))
	}
	if got := strings.Join(sres.Connection.SecretFields, ","); got != "azure_sas_token" {
		t.Errorf("secret fields %q", got)
	}
	sig := su.Query().Get("sig")

	// A wrong key: a failed test with a friendly message, no secret anywhere.
	wrongKey := "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="
	in.Name, in.Secret.AzureAccountKey = "wrong key", wrongKey
	tr, err := e.svc.TestValues(ctx, tenantA, in)
	if err != nil || tr.OK || !strings.Contains(tr.Message, "credentials") {
		t.Errorf("wrong key: %v %s", err, mustJSON(t, tr))
	}
	if tr.DuplicateOf != res.Connection.ID {
		t.Errorf("duplicate_of %q, want %q", tr.DuplicateOf, res.Connection.ID)
	}
	// A missing container.
	in.BucketURL, in.Secret.AzureAccountKey = "azblob://no-such-container-b2b", azuriteKey
	tr, err = e.svc.TestValues(ctx, tenantA, in)
	if err != nil || tr.OK || !strings.Contains(tr.Message, "not found") {
		t.Errorf("missing container: %v %s", err, mustJSON(t, tr))
	}
	for _, text := range []string{mustJSON(t, res), mustJSON(t, sres), mustJSON(t, tr), e.logs.String()} {
		assertNoSecret(t, "output", text, azuriteKey, wrongKey, sig)
	}
}
