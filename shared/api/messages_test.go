package api_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// goPackageNames are the names of the module's Go packages (the folders
// holding .go files under shared/ and functions/), plus the prefixes of
// the libraries the platform uses: none may start a message for users.
func goPackageNames(t *testing.T) []string {
	t.Helper()
	names := map[string]bool{"json": true, "sql": true, "pq": true, "pgx": true, "mysql": true, "duckdb": true,
		"http": true, "blob": true, "fileblob": true, "gcsblob": true, "rpc error": true, "googleapi": true}
	for _, root := range []string{"../../shared", "../../functions"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") {
				names[filepath.Base(filepath.Dir(p))] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, must := range []string{"docstore", "duckdbwh", "etl", "tenancy", "platform", "auth", "connections", "warehouse", "blobstore"} {
		if !names[must] {
			t.Fatalf("package %s not found walking the module: %v", must, names)
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, regexp.QuoteMeta(n))
	}
	slices.Sort(out)
	return out
}

// internalIDRE matches the ids the platform makes (runs, jobs, tenants,
// users, connections).
var internalIDRE = regexp.MustCompile(`\b(?:r|j|t|u|conn)_[0-9a-f]{8,}\b`)

type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Every error the API answers is written for a user: no Go package prefix
// ("docstore: ", "etl: "), no internal id, no server path, no Go type; the
// technical text is in the log instead.
func TestErrorMessagesForUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	logs := &lockedLog{}
	d := f.p.APIDeps()
	d.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h := api.New(d)
	prefixRE := regexp.MustCompile(`(?i)(?:^|[\s("'])(?:` + strings.Join(goPackageNames(t), "|") + `): `)

	// A paused job and a job whose pattern matches no file.
	for _, j := range []etl.Job{
		{ID: "j_00000000000000a1", Tenant: f.tenant.ID, Name: "paused", SourceType: etl.SourceFile, File: etl.FileSource{Pattern: "p.csv"},
			Dest: etl.Dest{Dataset: "raw_data", Table: "paused"}, LoadMode: etl.Append, Enabled: false, CreatedAt: time.Now().UTC()},
		{ID: "j_00000000000000a2", Tenant: f.tenant.ID, Name: "nothing", SourceType: etl.SourceFile, File: etl.FileSource{Pattern: "none-*.csv"},
			Dest: etl.Dest{Dataset: "raw_data", Table: "nothing"}, LoadMode: etl.Append, Enabled: true, CreatedAt: time.Now().UTC()},
	} {
		if _, err := docstore.Put(ctx, f.p.Store, docstore.Key{Tenant: f.tenant.ID, Kind: etl.KindJob, ID: j.ID}, j, docstore.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.p.Resources.Bucket(ctx, f.tenant.ID, etl.BucketDrop); err != nil {
		t.Fatal(err)
	}

	const (
		missingRun  = "r_0123456789abcdef0123"
		missingJob  = "j_0123456789abcdef"
		missingUser = "u_0123456789abcdef"
		missingConn = "conn_0123456789abcdef"
	)
	json := "application/json"
	cases := []struct {
		role                     tenancy.Role
		method, path, body, ctyp string
		status                   int
		logHas                   string // the technical text the log keeps ("" = not checked)
	}{
		{tenancy.RoleViewer, "GET", "/api/runs/" + missingRun, "", "", 404, missingRun},
		{tenancy.RoleViewer, "GET", "/api/runs/" + missingRun + "/rejects", "", "", 404, missingRun},
		{tenancy.RoleViewer, "GET", "/api/runs?limit=abc", "", "", 400, ""},
		{tenancy.RoleViewer, "GET", "/api/jobs/" + missingJob, "", "", 404, missingJob},
		{tenancy.RoleEditor, "PATCH", "/api/jobs/" + missingJob, `{"name":"x"}`, json, 404, missingJob},
		{tenancy.RoleEditor, "DELETE", "/api/jobs/" + missingJob, "", "", 404, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs/" + missingJob + "/runs", "", "", 404, missingJob},
		{tenancy.RoleEditor, "POST", "/api/jobs/" + missingJob + "/pause", "", "", 404, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs/j_00000000000000a1/runs", "", "", 400, "j_00000000000000a1"},
		{tenancy.RoleEditor, "POST", "/api/jobs/j_00000000000000a2/runs", "", "", 404, "j_00000000000000a2"},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"paused","file":{"pattern":"x.csv"}}`, json, 409, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"","file":{"pattern":"x.csv"}}`, json, 400, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"a","file":{"pattern":"x.csv"},"schedule":{"type":"cron","cron":"* *"}}`, json, 400, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"name":`, json, 400, "decode JSON"},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"nmae":"a"}`, json, 400, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", `{"name":5}`, json, 400, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", `[1]`, json, 400, ""},
		{tenancy.RoleEditor, "POST", "/api/jobs", ``, json, 400, ""},
		{tenancy.RoleViewer, "POST", "/api/schedules/preview", `{"type":"hourly","minute":75}`, json, 400, ""},
		{tenancy.RoleViewer, "GET", "/api/tables/raw_data/missing", "", "", 404, ""},
		{tenancy.RoleViewer, "GET", "/api/tables?dataset=bad-name", "", "", 400, ""},
		{tenancy.RoleViewer, "GET", "/api/connections/" + missingConn, "", "", 404, missingConn},
		{tenancy.RoleEditor, "POST", "/api/connections/" + missingConn + "/test", "", "", 404, ""},
		{tenancy.RoleAdmin, "POST", "/api/users", `{"email":"viewer@acme.test","password":"a-long-password-5","role":"viewer"}`, json, 409, ""},
		{tenancy.RoleAdmin, "POST", "/api/users", `{"email":"n@acme.test","password":"a-long-password-5","role":"owner"}`, json, 400, ""},
		{tenancy.RoleAdmin, "POST", "/api/users", `{"email":"n@acme.test","password":"short","role":"viewer"}`, json, 400, ""},
		{tenancy.RoleAdmin, "DELETE", "/api/users/" + missingUser + "/sessions", "", "", 404, missingUser},
		{tenancy.RoleViewer, "GET", "/api/users", "", "", 403, ""},
		{tenancy.RoleEditor, "POST", "/api/files", "not a form", "text/plain", 400, ""},
		{tenancy.RoleViewer, "GET", "/api/no/such/route", "", "", 404, ""},
		{"", "GET", "/api/jobs", "", "", 401, ""},
		{"", "POST", "/api/auth/login", `{"email":"admin@acme.test","password":"wrong-password-1"}`, json, 401, ""},
		{"", "POST", "/api/auth/login", `{"email":"admin@acme.test"`, json, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req := httptest.NewRequest(c.method, c.path, body)
			if c.ctyp != "" {
				req.Header.Set("Content-Type", c.ctyp)
			}
			if c.role != "" {
				req.Header.Set("Authorization", "Bearer "+f.tokens[c.role])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			r := response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
			if r.status != c.status {
				t.Errorf("status = %d, want %d (%s)", r.status, c.status, r.body)
			}
			_, msg := r.errorOf(t)
			switch {
			case prefixRE.MatchString(msg):
				t.Errorf("message %q starts with a package prefix (%q)", msg, prefixRE.FindString(msg))
			case internalIDRE.MatchString(msg):
				t.Errorf("message %q shows an internal id", msg)
			case strings.Contains(msg, f.p.Config.DataDir) || strings.Contains(msg, os.TempDir()):
				t.Errorf("message %q shows a server path", msg)
			case strings.Contains(msg, "%!") || strings.Contains(msg, "Go value") || strings.Contains(msg, "struct"):
				t.Errorf("message %q is not for people", msg)
			}
			if c.logHas != "" && !strings.Contains(logs.String(), c.logHas) {
				t.Errorf("the log lacks the technical text %q", c.logHas)
			}
		})
	}
}
