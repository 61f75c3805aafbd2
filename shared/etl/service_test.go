package etl_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
	"github.com/cloudevents/sdk-go/v2/event"
	"gocloud.dev/blob"
)

const tenant = "acme"

// env is a real local platform (sqlite config store, DuckDB warehouse,
// file buckets) with the ETL handlers subscribed to an in-process bus, as
// functions/cmd/recs wires them.
type env struct {
	t   testing.TB
	p   *platform.Platform
	bus *membus.Bus
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with wrap (when not nil) around each topic's
// handler, for tests that hold or observe deliveries.
func newEnvWith(t testing.TB, wrap func(topic string, h events.Handler) events.Handler) *env {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL",
		"B2B_STAGING_URL", "B2B_ARTIFACTS_URL", "B2B_DROP_BUCKET", "B2B_STAGING_BUCKET", "B2B_MODE", "B2B_TENANT_ID", "B2B_AUTH_MODE"} {
		t.Setenv(k, "")
	}
	log := slog.New(slog.DiscardHandler)
	bus := membus.New(membus.Options{Concurrency: 2, MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: log})
	p, err := platform.Open(context.Background(), platform.FromEnv(), platform.Options{Bus: &events.Bus{Driver: bus}, Logger: log})
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for topic, h := range map[string]events.Handler{
		eventschemas.TopicObjectDropped:      p.ETL.HandleObjectFinalized,
		eventschemas.TopicRunRequested:       p.ETL.HandleRunRequested,
		eventschemas.TopicLoadRequested:      p.ETL.HandleLoadRequested,
		eventschemas.TopicPartitionRequested: p.ETL.HandlePartitionRequested,
	} {
		if wrap != nil {
			h = wrap(topic, h)
		}
		if err := bus.Subscribe(topic, topic+"-handler", h); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, p: p, bus: bus}
}

// wait waits until the bus has delivered everything.
func (e *env) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.bus.Wait(ctx); err != nil {
		e.t.Fatalf("bus.Wait: %v", err)
	}
}

// drop writes an object into the tenant's drop bucket and delivers its
// storage event (with the generation the store gives the new version) to the
// handler, then waits for the chain to finish. It returns the run.
func (e *env) drop(name, content string) etl.Run {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		e.t.Fatal(err)
	}
	gen := e.write(b, name, content)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(e.p.Resources.BucketName(tenant, etl.BucketDrop), name, gen, content)); err != nil {
		e.t.Fatalf("HandleObjectFinalized(%s): %v", name, err)
	}
	e.wait()
	runs, err := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range runs {
		if r.Object != nil && r.Object.Name == name && r.Object.Generation == gen {
			if !r.Terminal() {
				e.t.Fatalf("run of %s is %s after the bus went idle", name, r.Status)
			}
			return r
		}
	}
	e.t.Fatalf("no run for %s generation %s among %d runs", name, gen, len(runs))
	return etl.Run{}
}

// write writes an object and returns its generation, as the store reports
// it (what a real storage event carries). Folder generations are change
// times; a rewrite within the clock's granularity is written again until it
// gets a generation of its own, as it would on Cloud Storage.
func (e *env) write(b *blob.Bucket, name, content string) string {
	e.t.Helper()
	ctx := context.Background()
	prev := ""
	if a, err := b.Attributes(ctx, name); err == nil {
		prev = blobstore.Generation(a)
	}
	for range 100 {
		if err := b.WriteAll(ctx, name, []byte(content), nil); err != nil {
			e.t.Fatal(err)
		}
		a, err := b.Attributes(ctx, name)
		if err != nil {
			e.t.Fatal(err)
		}
		if gen := blobstore.Generation(a); gen != prev {
			return gen
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.t.Fatalf("%s: no new generation after 100 writes", name)
	return ""
}

// objectGen is the current generation of a drop-bucket object.
func (e *env) objectGen(name string) string {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := b.Attributes(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return blobstore.Generation(a)
}

func storageEvent(bucket, name, gen, content string) events.Event {
	sum := md5.Sum([]byte(content))
	now := time.Now().UTC()
	data := eventschemas.StorageObjectData{
		Kind: "storage#object", ID: bucket + "/" + name + "/" + gen, Bucket: bucket, Name: name,
		Generation: gen, Metageneration: "1", Size: strconv.Itoa(len(content)),
		MD5Hash: base64.StdEncoding.EncodeToString(sum[:]), TimeCreated: now, Updated: now,
	}
	ev := event.New()
	ev.SetID(data.ID)
	ev.SetType(eventschemas.TypeObjectFinalized)
	ev.SetSource("//storage.googleapis.com/projects/_/buckets/" + bucket)
	ev.SetSubject("objects/" + name)
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		panic(err)
	}
	return ev
}

func (e *env) putJob(j etl.Job) etl.Job {
	e.t.Helper()
	j.Tenant = tenant
	if j.SourceType == "" {
		j.SourceType = "file"
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = time.Now().UTC()
	}
	if _, err := docstore.Put(context.Background(), e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindJob, ID: j.ID}, j, docstore.MustCreate); err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) rows(table string) int64 {
	e.t.Helper()
	wh, err := e.p.Resources.Warehouse(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	tb, err := wh.DescribeTable(context.Background(), etl.DefaultDataset, table)
	if errs.Is(err, errs.NotFound) {
		return -1
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return tb.NumRows
}

func (e *env) query(sql string) [][]any {
	e.t.Helper()
	wh, err := e.p.Resources.Warehouse(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := wh.Query(context.Background(), sql, nil, 0)
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return res.Rows
}

func (e *env) jobs() []etl.Job {
	e.t.Helper()
	jobs, err := e.p.ETL.ListJobs(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

func TestTriggerJobSkipsLoadedContent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.drop("items.csv", "sku,name\nA1,Anvil\nB2,Bolt\n")
	if first.Status != etl.StatusCompleted || first.RowsLoaded != 2 {
		t.Fatalf("first run = %s loaded %d (%s)", first.Status, first.RowsLoaded, first.ErrorMessage)
	}

	runs, err := e.p.ETL.TriggerJob(ctx, tenant, first.JobID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatalf("TriggerJob: %v", err)
	}
	if len(runs) != 1 || runs[0].ID == first.ID || runs[0].Trigger != eventschemas.TriggerManual {
		t.Fatalf("TriggerJob runs = %+v; want one new manual run", runs)
	}
	e.wait()
	got, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != etl.StatusCompleted || got.RowsLoaded != 0 || !strings.HasPrefix(got.SkippedReason, "unchanged") || !strings.Contains(got.SkippedReason, first.ID) {
		t.Errorf("triggered run = %s loaded %d skipped %q; want completed, 0, unchanged naming run %s", got.Status, got.RowsLoaded, got.SkippedReason, first.ID)
	}
	if got.CompletedAt == nil {
		t.Error("skipped run has no completed_at")
	}
	if n := e.rows("items"); n != 2 {
		t.Errorf("items rows = %d, want 2", n)
	}
	job, err := e.p.ETL.GetJob(ctx, tenant, first.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.LastRun == nil || job.LastRun.ID != got.ID || job.LastRun.Status != etl.StatusCompleted {
		t.Errorf("job last run = %+v, want the skipped run %s", job.LastRun, got.ID)
	}

	// Triggering again is a run of its own, skipped again: no rows added.
	again, err := e.p.ETL.TriggerJob(ctx, tenant, first.JobID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	if len(again) != 1 || again[0].ID == got.ID {
		t.Fatalf("second trigger = %+v; want a new run", again)
	}
	second, _ := e.p.ETL.GetRun(ctx, tenant, again[0].ID)
	if second.Status != etl.StatusCompleted || second.RowsLoaded != 0 || !strings.HasPrefix(second.SkippedReason, "unchanged") {
		t.Errorf("second triggered run = %s loaded %d skipped %q", second.Status, second.RowsLoaded, second.SkippedReason)
	}
	all, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{})
	if len(all) != 3 {
		t.Errorf("runs = %d, want 3", len(all))
	}
	if n := e.rows("items"); n != 2 {
		t.Errorf("items rows after two triggers = %d, want 2", n)
	}
}

func TestTriggerJobRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	paused := e.putJob(etl.Job{ID: "j_paused", Name: "paused", File: etl.FileSource{Pattern: "*.csv"}, Dest: etl.Dest{Dataset: "raw_data", Table: "paused"}, LoadMode: etl.Append, Enabled: false})
	other := e.putJob(etl.Job{ID: "j_db", Name: "db", SourceType: "postgres", Dest: etl.Dest{Dataset: "raw_data", Table: "db"}, Enabled: true})
	idle := e.putJob(etl.Job{ID: "j_idle", Name: "idle", File: etl.FileSource{Prefix: "in", Pattern: "*.csv"}, Dest: etl.Dest{Dataset: "raw_data", Table: "idle"}, Enabled: true})
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "x.csv", []byte("a\n1\n"), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		job  string
		kind errs.Kind
		msg  string
	}{
		{paused.ID, errs.Invalid, "paused"},
		{other.ID, errs.Unsupported, "postgres"},
		{idle.ID, errs.NotFound, "claims no object"},
		{"j_missing", errs.NotFound, ""},
	}
	for _, c := range cases {
		runs, err := e.p.ETL.TriggerJob(ctx, tenant, c.job, eventschemas.TriggerManual)
		if errs.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.msg) || len(runs) != 0 {
			t.Errorf("TriggerJob(%s) = %d runs, %v (kind %s); want kind %s mentioning %q", c.job, len(runs), err, errs.KindOf(err), c.kind, c.msg)
		}
	}
	// Another tenant's job is not found.
	if _, err := e.p.ETL.TriggerJob(ctx, "other", paused.ID, eventschemas.TriggerManual); !errs.Is(err, errs.NotFound) {
		t.Errorf("TriggerJob from another tenant = %v, want not found", err)
	}
	e.wait()
	if runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{}); len(runs) != 0 {
		t.Errorf("refused triggers left %d runs", len(runs))
	}
}

func TestConfiguredJobClaimsDrops(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Before any job is configured, a drop creates an automatic job.
	early := e.drop("orders/orders_2024-01.csv", "sku,qty\nA1,1\n")
	if early.Status != etl.StatusCompleted {
		t.Fatalf("early run = %s (%s)", early.Status, early.ErrorMessage)
	}
	autoJob, err := e.p.ETL.GetJob(ctx, tenant, early.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if !autoJob.AutoCreated || autoJob.File.Prefix != "orders" || autoJob.File.Pattern != "orders_2024-01.csv" || autoJob.Dest.Table != "orders_2024_01" {
		t.Fatalf("automatic job = %+v", autoJob)
	}

	conf := e.putJob(etl.Job{ID: "j_orders", Name: "orders", File: etl.FileSource{Prefix: "orders/", Pattern: "orders_*.csv", Format: "csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "orders"}, LoadMode: etl.Append, Enabled: true})

	cases := []struct {
		object  string
		wantJob string // "" = a new automatic job
	}{
		{"orders/orders_2024-01.csv", conf.ID}, // the configured job wins over the existing automatic one
		{"orders/orders_2024-02.csv", conf.ID},
		{"orders/returns.csv", ""},         // pattern does not match
		{"orders_2024-03.csv", ""},         // not in the prefix
		{"orders/sub/orders_x.csv", ""},    // deeper folder
		{"orders/orders_2024-04.json", ""}, // pattern wants .csv
	}
	for _, c := range cases {
		r := e.drop(c.object, "sku,qty\nB2,2\nC3,3\n")
		if c.wantJob != "" {
			if r.JobID != c.wantJob || r.Dest.Table != "orders" {
				t.Errorf("%s: run job %s table %s; want configured job %s into orders", c.object, r.JobID, r.Dest.Table, c.wantJob)
			}
		} else if r.JobID == conf.ID || r.JobID == autoJob.ID {
			t.Errorf("%s: claimed by %s; want a new automatic job", c.object, r.JobID)
		}
		if c.object != "orders/orders_2024-04.json" && r.Status != etl.StatusCompleted {
			t.Errorf("%s: run %s (%s: %s)", c.object, r.Status, r.ErrorType, r.ErrorMessage)
		}
	}
	if n := e.rows("orders"); n != 4 {
		t.Errorf("orders rows = %d, want 4 (two files of 2 rows)", n)
	}
	if n := e.rows("orders_2024_01"); n != 1 {
		t.Errorf("orders_2024_01 rows = %d, want 1 (only the early load)", n)
	}
	jobs := e.jobs()
	auto := 0
	for _, j := range jobs {
		if j.AutoCreated {
			auto++
		}
	}
	// early + returns + orders_2024-03 + sub/orders_x + orders_2024-04.json
	if auto != 5 || len(jobs) != 6 {
		t.Errorf("jobs = %d (%d automatic), want 6 (5 automatic)", len(jobs), auto)
	}

	// A configured job that is paused still claims its files: they wait
	// for it (no run, and not loaded by an automatic job) and are loaded
	// when it is resumed.
	conf.Enabled = false
	if _, err := docstore.Put(ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindJob, ID: conf.ID}, conf, docstore.Any); err != nil {
		t.Fatal(err)
	}
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	content := "sku,qty\nD4,4\n"
	gen := e.write(b, "orders/orders_2024-01.csv", content)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(e.p.Resources.BucketName(tenant, etl.BucketDrop), "orders/orders_2024-01.csv", gen, content)); err != nil {
		t.Fatal(err)
	}
	e.wait()
	runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{Limit: 500})
	for _, r := range runs {
		if r.Object != nil && r.Object.Generation == gen {
			t.Fatalf("a drop for a paused job started run %s of job %s", r.ID, r.JobID)
		}
	}
	if _, err := e.p.ETL.ResumeJob(ctx, tenant, conf.ID); err != nil {
		t.Fatal(err)
	}
	e.wait()
	r := e.runOf("orders/orders_2024-01.csv", gen)
	if r.JobID != conf.ID || r.Status != etl.StatusCompleted || r.RowsLoaded != 1 {
		t.Errorf("after resume: run of job %s, %s, %d rows (%s); want job %s completed with 1 row", r.JobID, r.Status, r.RowsLoaded, r.ErrorMessage, conf.ID)
	}
	_ = autoJob
}

func TestExtraColumnFailsExtraction(t *testing.T) {
	e := newEnv(t)
	first := e.drop("items.csv", "sku,name\nA1,Anvil\nB2,Bolt\n")
	if first.Status != etl.StatusCompleted || first.RowsLoaded != 2 {
		t.Fatalf("first run = %s loaded %d (%s)", first.Status, first.RowsLoaded, first.ErrorMessage)
	}
	r := e.drop("items.csv", "sku,name,Colour\nA1,Anvil,red\nB2,Bolt,blue\nC3,Cog,green\n")
	if r.JobID != first.JobID {
		t.Fatalf("second version went to job %s, want %s", r.JobID, first.JobID)
	}
	if r.Status != etl.StatusFailed || r.ErrorType != etl.PhaseExtraction || !strings.Contains(r.ErrorMessage, "colour") {
		t.Errorf("run = %s %s %q; want failed at extraction naming colour", r.Status, r.ErrorType, r.ErrorMessage)
	}
	if r.RowsLoaded != 0 || r.Stages.LoadingStartedAt != nil {
		t.Errorf("failed run loaded %d rows, loading started %v", r.RowsLoaded, r.Stages.LoadingStartedAt)
	}
	if n := e.rows("items"); n != 2 {
		t.Errorf("items rows = %d, want 2 (unchanged)", n)
	}
	job, err := e.p.ETL.GetJob(context.Background(), tenant, first.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.LastRun == nil || job.LastRun.ID != r.ID || job.LastRun.Status != etl.StatusFailed {
		t.Errorf("job last run = %+v, want failed %s", job.LastRun, r.ID)
	}

	// A file lacking a column of the table (nullable, as file tables are)
	// loads with NULLs there.
	r = e.drop("items.csv", "sku\nZ9\n")
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 1 {
		t.Fatalf("narrower file run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	rows := e.query(`SELECT sku, name FROM raw_data.items ORDER BY sku`)
	if len(rows) != 1 || rows[0][0] != "Z9" || rows[0][1] != nil {
		t.Errorf("items = %v; want the new version only: [Z9 <nil>]", rows)
	}
}

func TestTruncateJobReplacesTable(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_stock", Name: "stock", File: etl.FileSource{Pattern: "stock_*.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "stock"}, LoadMode: etl.Truncate, Enabled: true})
	files := []struct {
		name, content string
		rows          int64
	}{
		{"stock_1.csv", "sku,level\nA1,10\nB2,20\nC3,30\n", 3},
		{"stock_2.csv", "sku,level\nA1,9\nB2,19\n", 2},
		{"stock_3.csv", "sku,level\nQ1,1\nQ2,2\nQ3,3\nQ4,4\n", 4},
	}
	for _, f := range files {
		r := e.drop(f.name, f.content)
		if r.Status != etl.StatusCompleted || r.RowsLoaded != f.rows || r.JobID != "j_stock" {
			t.Fatalf("%s: run = %s loaded %d job %s (%s)", f.name, r.Status, r.RowsLoaded, r.JobID, r.ErrorMessage)
		}
		if n := e.rows("stock"); n != f.rows {
			t.Errorf("after %s: %d rows, want %d (the table replaced)", f.name, n, f.rows)
		}
		got := e.query(`SELECT DISTINCT _b2b_source_file, _b2b_run_id FROM raw_data.stock`)
		if len(got) != 1 || got[0][0] != f.name || got[0][1] != r.ID {
			t.Errorf("after %s: lineage = %v, want only [%s %s]", f.name, got, f.name, r.ID)
		}
	}
}

func TestHeaderOnlyCSV(t *testing.T) {
	e := newEnv(t)
	r := e.drop("empty.csv", "sku,qty,price\n")
	if r.Status != etl.StatusCompleted || r.RowsRead != 0 || r.RowsLoaded != 0 || r.RowsRejected != 0 {
		t.Errorf("run = %s read %d loaded %d rejected %d (%s: %s); want completed with 0 rows",
			r.Status, r.RowsRead, r.RowsLoaded, r.RowsRejected, r.ErrorType, r.ErrorMessage)
	}
	if n := e.rows("empty"); n > 0 {
		t.Errorf("empty table rows = %d, want none", n)
	}
}

// Redelivering the storage event of a version already run neither makes a
// new run nor loads rows again.
func TestRedeliveredDropEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.drop("items.csv", "sku\nA1\nB2\n")
	bucket := e.p.Resources.BucketName(tenant, etl.BucketDrop)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "items.csv", r.Object.Generation, "sku\nA1\nB2\n")); err != nil {
		t.Fatal(err)
	}
	e.wait()
	runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{})
	if len(runs) != 1 || e.rows("items") != 2 {
		t.Errorf("after redelivery: %d runs, %d rows; want 1 and 2", len(runs), e.rows("items"))
	}
	// Objects of buckets that are no tenant's drop bucket are refused.
	for _, b := range []string{"acme-staging", "elsewhere", "../x-drop"} {
		err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(b, "items.csv", "9", "x"))
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("event from bucket %q: %v, want invalid", b, err)
		}
	}
	// Hidden files and folders are ignored without a run.
	for _, name := range []string{".items.csv.tmp", "in/", "in/.hidden.csv"} {
		if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, name, "9", "x")); err != nil {
			t.Errorf("event for %q: %v, want ignored", name, err)
		}
	}
	e.wait()
	if runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{}); len(runs) != 1 {
		t.Errorf("runs = %d, want 1", len(runs))
	}
}
