package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/cloudevents/sdk-go/v2/event"
)

const onlineRetailRows = 541_909

// testConfig is the local configuration rooted at a temporary folder.
func testConfig(t testing.TB) platform.Config {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL", "B2B_STAGING_URL", "B2B_MODE", "B2B_TENANT_ID", "B2B_AUTH_MODE"} {
		t.Setenv(k, "")
	}
	cfg := platform.FromEnv()
	cfg.StaticDir = t.TempDir()
	return cfg
}

func startApp(t testing.TB) *App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	ctx := context.Background()
	app, err := NewApp(ctx, testConfig(t), Settings{TenantName: "Acme Wholesale", AdminEmail: "admin@acme.test", AdminPassword: "correct horse battery"}, log)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	if err := app.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return app
}

// client is a tiny API client.
type client struct {
	t     testing.TB
	base  string
	token string
}

func (c *client) do(method, path string, body io.Reader, contentType string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func (c *client) getJSON(path string, out any) int { return c.do("GET", path, nil, "", out) }

func login(t testing.TB, base, email, password string) *client {
	t.Helper()
	c := &client{t: t, base: base}
	var out struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	if st := c.do("POST", "/api/auth/login", bytes.NewReader(body), "application/json", &out); st != 200 {
		t.Fatalf("login %s: status %d", email, st)
	}
	c.token = out.Token
	return c
}

func (c *client) upload(name string, data []byte) int {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return c.do("POST", "/api/files", &buf, mw.FormDataContentType(), nil)
}

// waitRuns waits until the tenant has n runs, all terminal, and returns them newest first.
func (c *client) waitRuns(n int) []etl.Run {
	c.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var out struct {
			Runs []etl.Run `json:"runs"`
		}
		c.getJSON("/api/runs?limit=100", &out)
		done := len(out.Runs) >= n
		for _, r := range out.Runs {
			done = done && r.Terminal()
		}
		if done {
			return out.Runs
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %d finished runs; have %+v", n, out.Runs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func repoFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing %s: %v", rel, err)
	}
	return p
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func (c *client) tableRows(name string) int64 {
	c.t.Helper()
	var out struct {
		Table struct {
			NumRows int64 `json:"num_rows"`
		} `json:"table"`
	}
	if st := c.getJSON("/api/tables/raw_data/"+name, &out); st != 200 {
		c.t.Fatalf("GET table %s: %d", name, st)
	}
	return out.Table.NumRows
}

// TestFileDropChain is the chain of issue 2, end to end in local mode: a
// real file dropped into the folder → a run → a DuckDB table with inferred
// types → visible through the API; re-drops, redeliveries and new versions
// never duplicate rows.
func TestFileDropChain(t *testing.T) {
	app := startApp(t)
	c := login(t, app.URL(), "admin@acme.test", "correct horse battery")
	drop := app.DropDir(app.Tenant.ID)

	// 1. The real Online Retail file, dropped into the folder.
	copyFile(t, repoFile(t, "sample-data/uci_online_retail/online_retail.csv.gz"), filepath.Join(drop, "online_retail.csv.gz"))
	runs := c.waitRuns(1)
	r := runs[0]
	if r.Status != etl.StatusCompleted || r.RowsRead != onlineRetailRows || r.RowsLoaded != onlineRetailRows || r.RowsRejected != 0 {
		t.Fatalf("run = %s read %d loaded %d rejected %d (%s: %s); want completed %d/%d/0",
			r.Status, r.RowsRead, r.RowsLoaded, r.RowsRejected, r.ErrorType, r.ErrorMessage, onlineRetailRows, onlineRetailRows)
	}
	if r.Trigger != eventschemas.TriggerFileDrop || r.Dest.Table != "online_retail" || r.Object == nil || r.Object.Name != "online_retail.csv.gz" {
		t.Fatalf("run metadata = %+v", r)
	}
	st := r.Stages
	for name, ts := range map[string]*time.Time{"init": st.InitCompletedAt, "validation": st.ValidationCompletedAt, "extraction_started": st.ExtractionStartedAt,
		"extraction_completed": st.ExtractionCompletedAt, "loading_started": st.LoadingStartedAt, "loading_completed": st.LoadingCompletedAt} {
		if ts == nil {
			t.Errorf("stage %s has no timestamp", name)
		}
	}
	if r.StartedAt == nil || r.CompletedAt == nil || r.CompletedAt.Before(*r.StartedAt) {
		t.Errorf("started %v completed %v", r.StartedAt, r.CompletedAt)
	}

	var table struct {
		Table struct {
			NumRows int64 `json:"num_rows"`
			Schema  []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"schema"`
		} `json:"table"`
		Preview struct {
			Rows [][]any `json:"rows"`
		} `json:"preview"`
	}
	if st := c.getJSON("/api/tables/raw_data/online_retail?limit=5", &table); st != 200 {
		t.Fatalf("GET table: %d", st)
	}
	if table.Table.NumRows != onlineRetailRows {
		t.Errorf("table rows = %d, want %d", table.Table.NumRows, onlineRetailRows)
	}
	types := map[string]string{}
	for _, col := range table.Table.Schema {
		types[col.Name] = col.Type
	}
	want := map[string]string{"invoiceno": "STRING", "stockcode": "STRING", "description": "STRING", "quantity": "INT64",
		"invoicedate": "TIMESTAMP", "unitprice": "FLOAT64", "customerid": "INT64", "country": "STRING"}
	for col, typ := range want {
		if types[col] != typ {
			t.Errorf("column %s type = %q, want %s (schema %v)", col, types[col], typ, types)
		}
	}
	if len(table.Preview.Rows) != 5 {
		t.Errorf("preview rows = %d, want 5", len(table.Preview.Rows))
	}

	// 2. The same file again (same name and content, new mtime): no rows added.
	time.Sleep(20 * time.Millisecond)
	copyFile(t, repoFile(t, "sample-data/uci_online_retail/online_retail.csv.gz"), filepath.Join(drop, "online_retail.csv.gz"))
	runs = c.waitRuns(2)
	if runs[0].Status != etl.StatusCompleted || runs[0].RowsLoaded != 0 || !strings.Contains(runs[0].SkippedReason, "unchanged") {
		t.Errorf("re-drop run = %s loaded %d skipped %q; want completed, 0, unchanged", runs[0].Status, runs[0].RowsLoaded, runs[0].SkippedReason)
	}
	if n := c.tableRows("online_retail"); n != onlineRetailRows {
		t.Errorf("after re-drop: %d rows, want %d", n, onlineRetailRows)
	}

	// 3. A redelivered storage event (same generation) and a redelivered
	// load request: no new run, no rows.
	if err := app.watcher.announce(context.Background(), filepath.Join(drop, "online_retail.csv.gz")); err != nil {
		t.Fatal(err)
	}
	first := runs[1]
	redeliverLoad(t, app, first)
	waitIdle(t, app)
	if got := c.waitRuns(2); len(got) != 2 {
		t.Errorf("runs after redelivery = %d, want 2", len(got))
	}
	if n := c.tableRows("online_retail"); n != onlineRetailRows {
		t.Errorf("after redelivery: %d rows, want %d", n, onlineRetailRows)
	}

	// 4. A changed file with the same name replaces that file's rows.
	v2 := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"600001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2012-01-02 09:00:00,2.55,17850.0,United Kingdom\n" +
		"600002,71053,WHITE METAL LANTERN,4,2012-01-02 09:05:00,3.39,,France\n"
	if st := c.upload("online_retail.csv", []byte(v2)); st != http.StatusAccepted {
		t.Fatalf("upload: %d", st)
	}
	runs = c.waitRuns(3)
	if runs[0].Status != etl.StatusCompleted || runs[0].RowsLoaded != 2 || runs[0].Dest.Table != "online_retail" {
		t.Errorf("csv run = %+v", runs[0])
	}
	if n := c.tableRows("online_retail"); n != onlineRetailRows+2 {
		t.Errorf("after a second file into the same table: %d rows, want %d", n, onlineRetailRows+2)
	}
	v3 := strings.Replace(v2, "600002,71053,WHITE METAL LANTERN,4", "600002,71053,WHITE METAL LANTERN,5", 1) +
		"600003,22423,REGENCY CAKESTAND 3 TIER,1,2012-01-03 10:00:00,12.75,13047,United Kingdom\n"
	if st := c.upload("online_retail.csv", []byte(v3)); st != http.StatusAccepted {
		t.Fatalf("upload v3: %d", st)
	}
	runs = c.waitRuns(4)
	if runs[0].Status != etl.StatusCompleted || runs[0].RowsLoaded != 3 {
		t.Errorf("v3 run = %s loaded %d", runs[0].Status, runs[0].RowsLoaded)
	}
	if n := c.tableRows("online_retail"); n != onlineRetailRows+3 {
		t.Errorf("after a new version of online_retail.csv: %d rows, want %d (old version replaced)", n, onlineRetailRows+3)
	}
}

// redeliverLoad publishes the load request of a finished run again.
func redeliverLoad(t testing.TB, app *App, run etl.Run) {
	t.Helper()
	data, _ := json.Marshal(eventschemas.LoadRequested{Tenant: run.Tenant, RunID: run.ID, JobID: run.JobID, Parts: []string{"file:///redelivered/" + run.ID + "/part-00000.parquet"}})
	e := event.New()
	e.SetID("redelivered-" + run.ID)
	e.SetType(eventschemas.TypeLoadRequested)
	e.SetSource("//test")
	e.SetData(event.ApplicationJSON, data)
	if err := app.Bus.Publish(context.Background(), eventschemas.TopicLoadRequested, e); err != nil {
		t.Fatal(err)
	}
}

func waitIdle(t testing.TB, app *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.Sleep(700 * time.Millisecond) // let the watcher's debounce fire
	if err := app.Bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: malformed rows are rejected with line numbers and kept,
// the rest loads; an unsupported file type is reported on its run; an
// event that fails its schema is dead-lettered without retries.
func TestBadInput(t *testing.T) {
	app := startApp(t)
	c := login(t, app.URL(), "admin@acme.test", "correct horse battery")

	csv := "sku,qty,price\nA1,1,2.5\nA2,2,3.5,EXTRA\nA3,3,4.5\n"
	if st := c.upload("orders.csv", []byte(csv)); st != http.StatusAccepted {
		t.Fatalf("upload: %d", st)
	}
	runs := c.waitRuns(1)
	r := runs[0]
	if r.Status != etl.StatusPartial || r.RowsLoaded != 2 || r.RowsRejected != 1 {
		t.Fatalf("run = %s loaded %d rejected %d (%s)", r.Status, r.RowsLoaded, r.RowsRejected, r.ErrorMessage)
	}
	var rej struct {
		Rejects []etl.Reject `json:"rejects"`
		Total   int64        `json:"total"`
	}
	if st := c.getJSON("/api/runs/"+r.ID+"/rejects", &rej); st != 200 {
		t.Fatalf("rejects: %d", st)
	}
	if rej.Total != r.RowsRejected || len(rej.Rejects) == 0 || rej.Rejects[0].Line != 3 || !strings.Contains(rej.Rejects[0].Reason, "field") {
		t.Errorf("rejects = %+v (total %d); want the first on line 3 naming the field count", rej.Rejects, rej.Total)
	}

	if st := c.upload("report.xlsx", []byte("PK\x03\x04 not really a workbook")); st != http.StatusAccepted {
		t.Fatalf("upload xlsx: %d", st)
	}
	runs = c.waitRuns(2)
	if runs[0].Status != etl.StatusFailed || runs[0].ErrorType != etl.PhaseValidation || !strings.Contains(runs[0].ErrorMessage, ".xlsx") {
		t.Errorf("xlsx run = %s %s %q; want failed validation naming .xlsx", runs[0].Status, runs[0].ErrorType, runs[0].ErrorMessage)
	}

	bad := event.New()
	bad.SetID("bad-1")
	bad.SetType(eventschemas.TypeObjectFinalized)
	bad.SetSource("//test")
	bad.SetData(event.ApplicationJSON, map[string]any{"bucket": app.Tenant.ID + "-drop", "name": 42})
	if err := app.Bus.Publish(context.Background(), eventschemas.TopicObjectDropped, bad); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, app)
	// Recorded with the tenant whose bucket the event names.
	dls, err := docstore.List[etl.DeadLetter](context.Background(), app.P.Store, docstore.Query{Tenant: app.Tenant.ID, Kind: etl.KindDeadLetter})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range dls {
		if d.EventID == "bad-1" {
			found = true
			if d.Attempts != 1 || !strings.Contains(d.LastError, "name") || d.Outcome != etl.DeadLetterNoRun || d.Subscriber != "FileDropped" {
				t.Errorf("dead letter = %+v; want 1 attempt by FileDropped, an error naming the field, no run", d)
			}
		}
	}
	if !found {
		t.Errorf("the invalid event was not dead-lettered: %v", dls)
	}
}

// TestTenantIsolation: another tenant's objects are 404 on every route; a
// viewer cannot write.
func TestTenantIsolation(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	a := login(t, app.URL(), "admin@acme.test", "correct horse battery")
	if st := a.upload("items.csv", []byte("sku,name\nA1,Anvil\n")); st != http.StatusAccepted {
		t.Fatalf("upload: %d", st)
	}
	runA := a.waitRuns(1)[0]

	other, err := app.P.Tenancy.CreateTenant(ctx, "Other Co")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.P.Tenancy.CreateUser(ctx, other.ID, tenancy.NewUser{Email: "boss@other.test", Name: "Boss", Password: "other-password-1", Role: tenancy.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.P.Tenancy.CreateUser(ctx, app.Tenant.ID, tenancy.NewUser{Email: "viewer@acme.test", Name: "Vi", Password: "viewer-password-1", Role: tenancy.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	b := login(t, app.URL(), "boss@other.test", "other-password-1")
	for _, path := range []string{"/api/runs/" + runA.ID, "/api/runs/" + runA.ID + "/rejects", "/api/jobs/" + runA.JobID, "/api/tables/raw_data/items"} {
		if st := b.getJSON(path, nil); st != http.StatusNotFound {
			t.Errorf("other tenant GET %s = %d, want 404", path, st)
		}
	}
	if st := b.do("POST", "/api/jobs/"+runA.JobID+"/runs", nil, "", nil); st != http.StatusNotFound {
		t.Errorf("other tenant trigger = %d, want 404", st)
	}
	var list struct {
		Runs   []etl.Run        `json:"runs"`
		Jobs   []etl.Job        `json:"jobs"`
		Tables []map[string]any `json:"tables"`
		Files  []map[string]any `json:"files"`
		Users  []map[string]any `json:"users"`
	}
	for _, path := range []string{"/api/runs", "/api/jobs", "/api/tables", "/api/files"} {
		if st := b.getJSON(path, &list); st != 200 {
			t.Errorf("other tenant GET %s = %d", path, st)
		}
	}
	if len(list.Runs)+len(list.Jobs)+len(list.Tables)+len(list.Files) != 0 {
		t.Errorf("other tenant sees runs %d, jobs %d, tables %d, files %d", len(list.Runs), len(list.Jobs), len(list.Tables), len(list.Files))
	}
	b.getJSON("/api/users", &list)
	if len(list.Users) != 1 || list.Users[0]["email"] != "boss@other.test" {
		t.Errorf("other tenant's users = %v, want only its own admin", list.Users)
	}
	v := login(t, app.URL(), "viewer@acme.test", "viewer-password-1")
	if st := v.getJSON("/api/runs/"+runA.ID, nil); st != 200 {
		t.Errorf("viewer read = %d", st)
	}
	if st := v.upload("x.csv", []byte("a\n1\n")); st != http.StatusForbidden {
		t.Errorf("viewer upload = %d, want 403", st)
	}
	if st := v.do("POST", "/api/jobs/"+runA.JobID+"/runs", nil, "", nil); st != http.StatusForbidden {
		t.Errorf("viewer trigger = %d, want 403", st)
	}
	anon := &client{t: t, base: app.URL()}
	if st := anon.getJSON("/api/runs", nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous = %d, want 401", st)
	}
	if st := anon.getJSON("/api/health", nil); st != 200 {
		t.Errorf("health = %d", st)
	}
}

// TestResumeAfterRestart: a run left pending by a process that stopped (the
// in-process bus dies with it) is picked up by the next start.
func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := Settings{TenantName: "Acme", AdminEmail: "admin@acme.test", AdminPassword: "correct horse battery"}
	first, err := NewApp(ctx, cfg, s, log)
	if err != nil {
		t.Fatal(err)
	}
	tenant := first.Tenant.ID
	// A file and its pending run are recorded, as a process that stopped
	// before any handler ran would leave them (no event is published here).
	drop, err := first.P.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	if err := drop.WriteAll(ctx, "late.csv", []byte("a,b\n1,x\n2,y\n"), nil); err != nil {
		t.Fatal(err)
	}
	attrs, err := drop.Attributes(ctx, "late.csv")
	if err != nil {
		t.Fatal(err)
	}
	job := etl.Job{ID: "j_late", Tenant: tenant, Name: "late", SourceType: "file", File: etl.FileSource{Pattern: "late.csv", Format: "csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "late"}, LoadMode: etl.Append, Enabled: true, CreatedAt: time.Now().UTC()}
	if _, err := docstore.Put(ctx, first.P.Store, docstore.Key{Tenant: tenant, Kind: etl.KindJob, ID: job.ID}, job, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	run := etl.Run{ID: "r_late", Tenant: tenant, JobID: job.ID, JobName: job.Name, Status: etl.StatusPending, Trigger: eventschemas.TriggerFileDrop,
		Object: &eventschemas.ObjectRef{Bucket: tenant + "-drop", Name: "late.csv", Generation: blobstore.Generation(attrs), Size: 12}, Dest: job.Dest, CreatedAt: time.Now().UTC()}
	if _, err := docstore.Put(ctx, first.P.Store, docstore.Key{Tenant: tenant, Kind: etl.KindRun, ID: run.ID}, run, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second, err := NewApp(ctx, cfg, s, log)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close(ctx)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := second.Bus.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	got, err := second.P.ETL.GetRun(ctx, tenant, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != etl.StatusCompleted || got.RowsLoaded != 2 {
		t.Fatalf("resumed run = %s loaded %d (%s)", got.Status, got.RowsLoaded, got.ErrorMessage)
	}
}

// TestWatcherDebounceUnderChurn: many writes to the same files while their
// timers fire must neither panic nor lose the final announcement.
func TestWatcherDebounceUnderChurn(t *testing.T) {
	dir := t.TempDir()
	pub := &countingPublisher{}
	w, err := newDropWatcher("file://"+dir+"/{tenant}/drop", "{tenant}-drop", pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w.quiet = time.Millisecond
	drop := filepath.Join(dir, "t_a", "drop")
	if err := os.MkdirAll(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(drop, "a.csv"), filepath.Join(drop, "b.csv")}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("x\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2000; i++ {
		w.debounce(context.Background(), files[i%2], w.quiet)
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	time.Sleep(50 * time.Millisecond)
	w.stopTimers()
	w.wg.Wait()
	if n := pub.n.Load(); n < 2 {
		t.Errorf("announcements = %d, want at least one per file", n)
	}
}

type countingPublisher struct{ n atomic.Int64 }

func (c *countingPublisher) Publish(context.Context, string, events.Event) error {
	c.n.Add(1)
	return nil
}
