package etl_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// logMessages are the messages of a run's log, oldest first, checking
// that their sequence numbers follow each other.
func (e *env) logMessages(runID string) []string {
	e.t.Helper()
	l, err := e.p.ETL.RunLogs(context.Background(), tenant, runID)
	if err != nil {
		e.t.Fatalf("RunLogs(%s): %v", runID, err)
	}
	var out []string
	for i, line := range l.Lines {
		if want := l.Dropped + int64(i) + 1; line.Seq != want {
			e.t.Errorf("line %d seq = %d, want %d", i, line.Seq, want)
		}
		out = append(out, line.Message)
	}
	return out
}

// staged lists the staging bucket's objects under prefix.
func (e *env) staged(prefix string) []string {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketStaging)
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return keys
		}
		if err != nil {
			e.t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

func (e *env) getRun(id string) etl.Run {
	e.t.Helper()
	r, err := e.p.ETL.GetRun(context.Background(), tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// A run's log holds its own lines in order, in a user's words, with the
// stage of each; rows_per_second is set on the finished run.
func TestRunLogs(t *testing.T) {
	e := newEnv(t)
	content := "sku,qty\nA1,3\nB2,4\n"
	r := e.drop("items.csv", content)
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 2 {
		t.Fatalf("run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	want := []string{
		"run requested for file items.csv (trigger: file_drop)",
		"attempt 1 of 3 started",
		"reading items.csv (18 bytes)",
		"read 2 rows; 1 staged part",
		"loading 2 rows into raw_data.items",
		"completed: 2 rows loaded into raw_data.items",
	}
	if got := e.logMessages(r.ID); !slices.Equal(got, want) {
		t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	l, err := e.p.ETL.RunLogs(context.Background(), tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	stages := []etl.Phase{}
	for _, line := range l.Lines {
		stages = append(stages, line.Stage)
	}
	if wantStages := []etl.Phase{etl.PhaseInit, etl.PhaseInit, etl.PhaseExtraction, etl.PhaseExtraction, etl.PhaseLoading, etl.PhaseCompleted}; !slices.Equal(stages, wantStages) {
		t.Errorf("stages = %v, want %v", stages, wantStages)
	}
	if last := l.Lines[len(l.Lines)-1]; last.Counts["rows_loaded"] != 2 || last.Counts["rows_read"] != 2 {
		t.Errorf("last line counts = %v", last.Counts)
	}
	if r.RowsPerSecond <= 0 || r.RowsPerSecond != float64(r.RowsRead)/r.DurationSeconds {
		t.Errorf("rows_per_second = %v (read %d in %vs)", r.RowsPerSecond, r.RowsRead, r.DurationSeconds)
	}
	if _, err := e.p.ETL.RunLogs(context.Background(), tenant, "r_nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("logs of an unknown run: %v, want not found", err)
	}
	if _, err := e.p.ETL.RunLogs(context.Background(), "globex", r.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("logs of another tenant's run: %v, want not found", err)
	}
}

// B2B_RUN_LOG_LINES bounds a run's log: the newest lines stay, the
// dropped ones are counted, the outcome is always there.
func TestRunLogsBounded(t *testing.T) {
	t.Setenv("B2B_RUN_LOG_LINES", "3")
	e := newEnv(t)
	r := e.drop("items.csv", "sku,qty\nA1,3\nB2,4\n")
	l, err := e.p.ETL.RunLogs(context.Background(), tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Dropped != 3 || len(l.Lines) != 3 {
		t.Fatalf("log = %d lines, %d dropped; want 3 and 3", len(l.Lines), l.Dropped)
	}
	if got := e.logMessages(r.ID); got[2] != "completed: 2 rows loaded into raw_data.items" || got[0] != "read 2 rows; 1 staged part" {
		t.Errorf("kept lines = %q", got)
	}
}

// holdRuns is a wrap for newEnvWith that holds every RunRequested
// delivery until release is closed.
func holdRuns(release <-chan struct{}) func(topic string, h events.Handler) events.Handler {
	return func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicRunRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			<-release
			return h(ctx, ev)
		}
	}
}

// A pending run cancelled before any worker took it stays cancelled when
// its request is delivered: nothing is read or loaded. Cancelling it
// again, or re-running a run that has not finished, is a conflict with a
// message; the cancelled run can be re-run, and the re-run loads.
func TestCancelPendingRunAndRetryIt(t *testing.T) {
	release := make(chan struct{})
	e := newEnvWith(t, holdRuns(release))
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	content := "sku,qty\nA1,3\n"
	gen := e.write(b, "held.csv", content)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(e.p.Resources.BucketName(tenant, etl.BucketDrop), "held.csv", gen, content)); err != nil {
		t.Fatal(err)
	}
	runs, err := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{})
	if err != nil || len(runs) != 1 || runs[0].Status != etl.StatusPending {
		t.Fatalf("runs = %+v, %v; want one pending", runs, err)
	}
	pending := runs[0]
	if _, err := e.p.ETL.RetryRun(ctx, tenant, pending.ID); !errs.Is(err, errs.Conflict) ||
		errs.UserMessage(err) != "this run has not finished yet (pending): wait for it, or cancel it, before running it again" {
		t.Errorf("retry of a pending run: %v (%q), want conflict", err, errs.UserMessage(err))
	}
	got, err := e.p.ETL.CancelRun(ctx, tenant, pending.ID)
	if err != nil || got.Status != etl.StatusCancelled || got.CompletedAt == nil {
		t.Fatalf("CancelRun = %s at %v, %v", got.Status, got.CompletedAt, err)
	}
	_, err = e.p.ETL.CancelRun(ctx, tenant, pending.ID)
	if !errs.Is(err, errs.Conflict) || errs.UserMessage(err) != "this run has already finished (cancelled): only a pending or running run can be cancelled" {
		t.Errorf("second cancel: %v (%q), want conflict", err, errs.UserMessage(err))
	}
	close(release)
	e.wait()
	if r := e.getRun(pending.ID); r.Status != etl.StatusCancelled || r.RowsRead != 0 || r.Stages.ExtractionStartedAt != nil {
		t.Errorf("cancelled run after its delivery = %s read %d extraction %v", r.Status, r.RowsRead, r.Stages.ExtractionStartedAt)
	}
	if n := e.rows("held"); n != -1 {
		t.Errorf("table held has %d rows, want none (no table)", n)
	}
	if job, _ := e.p.ETL.GetJob(ctx, tenant, pending.JobID); job.LastRun == nil || job.LastRun.Status != etl.StatusCancelled {
		t.Errorf("job last run = %+v, want cancelled", job.LastRun)
	}
	if got := e.logMessages(pending.ID); !slices.Equal(got, []string{"run requested for file held.csv (trigger: file_drop)", "cancelled: nothing was loaded"}) {
		t.Errorf("log = %q", got)
	}

	retry, err := e.p.ETL.RetryRun(ctx, tenant, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if retry.ID == pending.ID || retry.RetryOf != pending.ID || retry.Trigger != eventschemas.TriggerRetry || retry.Object.Generation != gen {
		t.Fatalf("re-run = %s retry_of %s trigger %s generation %s", retry.ID, retry.RetryOf, retry.Trigger, retry.Object.Generation)
	}
	e.wait()
	if r := e.getRun(retry.ID); r.Status != etl.StatusCompleted || r.RowsLoaded != 1 {
		t.Errorf("re-run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	if got := e.logMessages(retry.ID)[0]; got != "re-run of run "+pending.ID+" requested for file held.csv" {
		t.Errorf("re-run's first log line = %q", got)
	}
}

// A file that brings a new column fails its run under the default policy
// (refuse) with a message naming the column, and the table keeps its
// rows; with add_columns, re-running the failed run adds the column as
// nullable (earlier rows NULL in it) and loads the file.
func TestSchemaEvolutionFileRetry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Sales", File: etl.FileSource{Prefix: "sales", Pattern: "*.csv"},
		Dest: etl.Dest{Table: "sales"}, LoadMode: etl.Append})
	if err != nil {
		t.Fatal(err)
	}
	if v.SchemaEvolution != etl.SchemaRefuse {
		t.Errorf("default schema_evolution = %q, want refuse", v.SchemaEvolution)
	}
	if r := e.drop("sales/jan.csv", "sku,qty\nA,1\nB,2\n"); r.Status != etl.StatusCompleted {
		t.Fatalf("jan = %s (%s)", r.Status, r.ErrorMessage)
	}
	failed := e.drop("sales/feb.csv", "sku,qty,Colour\nC,3,red\nD,4,blue\n")
	wantMsg := `sales/feb.csv has a new column "colour" ("Colour") that table raw_data.sales does not have, and this job refuses new columns: ` +
		`set the job's schema evolution to add_columns to add them as nullable columns, or load it with a new job`
	if failed.Status != etl.StatusFailed || failed.ErrorMessage != wantMsg || failed.ErrorType != etl.PhaseExtraction {
		t.Fatalf("feb = %s %s %q\nwant failed with %q", failed.Status, failed.ErrorType, failed.ErrorMessage, wantMsg)
	}
	if _, ok := e.schemaOf("sales")["colour"]; ok || e.rows("sales") != 2 {
		t.Fatalf("after the refusal: schema %v, %d rows", e.schemaOf("sales"), e.rows("sales"))
	}
	if got := e.logMessages(failed.ID); got[len(got)-1] != "failed: "+wantMsg {
		t.Errorf("last log line = %q", got[len(got)-1])
	}

	bad := etl.SchemaEvolution("merge_columns")
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{SchemaEvolution: &bad}); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "schema_evolution" {
		t.Errorf("bad policy: %v (field %q), want invalid naming schema_evolution", err, errs.FieldOf(err))
	}
	add := etl.SchemaAddColumns
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{SchemaEvolution: &add}); err != nil {
		t.Fatalf("set add_columns after runs: %v", err)
	}
	retry, err := e.p.ETL.RetryRun(ctx, tenant, failed.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	r := e.getRun(retry.ID)
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 2 || r.RetryOf != failed.ID || !slices.Equal(r.AddedColumns, []string{"colour"}) {
		t.Fatalf("re-run = %s loaded %d retry_of %s added %v (%s)", r.Status, r.RowsLoaded, r.RetryOf, r.AddedColumns, r.ErrorMessage)
	}
	if got := e.schemaOf("sales"); got["colour"] != warehouse.String || got["qty"] != warehouse.Int64 {
		t.Errorf("schema = %v, want colour STRING added, qty kept INT64", got)
	}
	rows := e.query(`SELECT sku, qty, colour FROM raw_data.sales ORDER BY sku`)
	want := "[[A 1 <nil>] [B 2 <nil>] [C 3 red] [D 4 blue]]"
	if got := strings.Join(strings.Fields(strings.ReplaceAll(fmtRows(rows), "\n", " ")), " "); got != want {
		t.Errorf("rows = %s, want %s", got, want)
	}
	if !slices.Contains(e.logMessages(retry.ID), `new columns "colour" are added to table raw_data.sales as nullable columns (schema evolution: add_columns)`) {
		t.Errorf("re-run log = %q", e.logMessages(retry.ID))
	}
}

func fmtRows(rows [][]any) string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[")
		for j, v := range r {
			if j > 0 {
				b.WriteString(" ")
			}
			if v == nil {
				b.WriteString("<nil>")
				continue
			}
			enc, _ := json.Marshal(v)
			b.WriteString(strings.Trim(string(enc), `"`))
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}

// The whole rejects file downloads as CSV and as JSONL, after the run's
// staged parts are gone.
func TestRejectsDownload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if r := e.drop("qty.csv", "sku,qty\nA,1\n"); r.Status != etl.StatusCompleted {
		t.Fatalf("first = %s", r.Status)
	}
	r := e.drop("qty.csv", "sku,qty\nA,1\nB,x\nC,\"7,5\"\nD,4\n")
	if r.Status != etl.StatusPartial || r.RowsRejected != 2 || r.RowsLoaded != 2 {
		t.Fatalf("run = %s rejected %d loaded %d (%s)", r.Status, r.RowsRejected, r.RowsLoaded, r.ErrorMessage)
	}
	if left := e.staged("runs/" + r.ID + "/"); len(left) != 0 {
		t.Errorf("staged parts left after the load: %v", left)
	}
	read := func(format etl.RejectsFormat) (*etl.RejectsFile, string) {
		f, err := e.p.ETL.OpenRejects(ctx, tenant, r.ID, format)
		if err != nil {
			t.Fatalf("OpenRejects(%s): %v", format, err)
		}
		defer f.Close()
		var buf bytes.Buffer
		n, err := f.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo(%s) = %d, %v (buffer %d)", format, n, err, buf.Len())
		}
		return f, buf.String()
	}
	f, body := read(etl.RejectsCSV)
	if f.ContentType != "text/csv; charset=utf-8" || f.Name != r.ID+"-rejects.csv" {
		t.Errorf("csv file = %q %q", f.Name, f.ContentType)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("csv %q: %v", body, err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], []string{"line", "column", "reason", "raw"}) ||
		recs[1][0] != "3" || recs[1][1] != "qty" || recs[1][3] != "B,x" || recs[2][0] != "4" || recs[2][3] != `C,"7,5"` || recs[1][2] == "" {
		t.Errorf("csv = %q", recs)
	}
	_, body = read(etl.RejectsJSONL)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	var first etl.Reject
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil || first.Line != 3 || first.Column != "qty" || first.Raw != "B,x" {
		t.Errorf("jsonl = %q", lines)
	}
	if _, err := e.p.ETL.OpenRejects(ctx, tenant, r.ID, "xlsx"); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "format" {
		t.Errorf("format xlsx: %v, want invalid naming format", err)
	}
	// A run without rejects downloads an empty file (CSV: its header).
	clean := e.drop("clean.csv", "sku\nA\n")
	f, err = e.p.ETL.OpenRejects(ctx, tenant, clean.ID, etl.RejectsCSV)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil || buf.String() != "line,column,reason,raw\n" {
		t.Errorf("rejects of a clean run = %q, %v", buf.String(), err)
	}
	f.Close()
	// Only the run with rejected rows keeps a rejects file.
	if got := e.staged("rejects/"); !slices.Equal(got, []string{"rejects/" + r.ID + ".jsonl"}) {
		t.Errorf("rejects files = %v, want only %s's", got, r.ID)
	}
}

// Cancelling a run while it reads a large PostgreSQL table stops the
// extraction at its next batch: the run is cancelled, nothing of it is
// loaded (the table keeps the rows of the run before), no staged part is
// left, and the log ends with the cancellation before any "read" line.
func TestCancelMidExtractionPostgres(t *testing.T) {
	returned := make(chan time.Time, 10)
	e := newEnvWith(t, func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicRunRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			err := h(ctx, ev)
			returned <- time.Now()
			return err
		}
	})
	ctx := context.Background()
	exec, in := pgSource(t)
	const total = 1_500_000
	exec(`CREATE TABLE $S.big AS SELECT g AS id, md5(g::text) AS pad, md5((g+1)::text) AS pad2 FROM generate_series(1, 1500000) g`)
	exec(`ALTER TABLE $S.big ADD PRIMARY KEY (id)`)
	job := e.createJob(etl.NewJob{Name: "Big", Dest: etl.Dest{Table: "big"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "big"}})
	// A whole run first: how long reading the table takes here and now.
	first := e.runJob(job.ID)
	<-returned
	full := first.Stages.ExtractionCompletedAt.Sub(*first.Stages.ExtractionStartedAt)
	if first.RowsLoaded != total {
		t.Fatalf("first run loaded %d", first.RowsLoaded)
	}

	runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	id := runs[0].ID
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.getRun(id)
		if r.Status == etl.StatusRunning && r.Progress.Phase == etl.PhaseExtraction {
			break
		}
		if r.Terminal() || time.Now().After(deadline) {
			t.Fatalf("run never seen extracting: %s %s read %d", r.Status, r.Progress.Phase, r.RowsRead)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancelAt := time.Now()
	cancelled, err := e.p.ETL.CancelRun(ctx, tenant, id)
	if err != nil || cancelled.Status != etl.StatusCancelled {
		t.Fatalf("CancelRun = %s, %v", cancelled.Status, err)
	}
	e.wait()
	// The extraction stopped at a batch soon after the cancel, long
	// before it could have read the whole table.
	stopped := (<-returned).Sub(cancelAt)
	t.Logf("stopped %s after the cancel; reading the whole table took %s", stopped, full)
	if stopped > full/2 {
		t.Errorf("the worker stopped %s after the cancel, and reading the whole table takes %s: it did not stop at the next batch", stopped, full)
	}
	r := e.getRun(id)
	if r.Status != etl.StatusCancelled || r.RowsLoaded != 0 || r.Stages.ExtractionCompletedAt != nil || r.Stages.LoadingStartedAt != nil {
		t.Errorf("run = %s loaded %d extraction completed %v loading %v", r.Status, r.RowsLoaded, r.Stages.ExtractionCompletedAt, r.Stages.LoadingStartedAt)
	}
	if got := fmtRows(e.query(`SELECT _b2b_run_id, COUNT(*) FROM raw_data.big GROUP BY 1`)); got != "[["+first.ID+" 1500000]]" {
		t.Errorf("table rows by run = %s, want only the first run's 1500000", got)
	}
	if left := e.staged("runs/" + id + "/"); len(left) != 0 {
		t.Errorf("staged parts left: %v", left)
	}
	if left := e.staged("rejects/"); len(left) != 0 {
		t.Errorf("rejects files left: %v", left)
	}
	log := e.logMessages(id)
	if log[len(log)-1] != "cancelled: nothing was loaded" {
		t.Errorf("last log line = %q", log[len(log)-1])
	}
	for _, m := range log {
		if strings.HasPrefix(m, "read ") || strings.HasPrefix(m, "loading ") {
			t.Errorf("log has %q: the extraction finished or loaded", m)
		}
	}
	if stored, _ := e.p.ETL.GetJob(ctx, tenant, job.ID); stored.LastRun == nil || stored.LastRun.ID != id || stored.LastRun.Status != etl.StatusCancelled {
		t.Errorf("job last run = %+v", stored.LastRun)
	}
	// A finished run cannot be cancelled; a run that is loading neither.
	if _, err := e.p.ETL.CancelRun(ctx, tenant, id); !errs.Is(err, errs.Conflict) {
		t.Errorf("cancel of a cancelled run: %v, want conflict", err)
	}
	now := time.Now().UTC()
	e.putRun(etl.Run{ID: "r_loading", JobID: job.ID, Status: etl.StatusRunning, Stages: etl.Stages{LoadingStartedAt: &now}})
	_, err = e.p.ETL.CancelRun(ctx, tenant, "r_loading")
	if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.UserMessage(err), "can no longer be cancelled") {
		t.Errorf("cancel of a loading run: %v (%q), want conflict", err, errs.UserMessage(err))
	}
	if _, err := e.p.ETL.CancelRun(ctx, tenant, "r_nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("cancel of an unknown run: %v, want not found", err)
	}
}

// A new column in a PostgreSQL table fails a database run under the
// default policy, naming the column; with add_columns the next run adds
// it as nullable and loads it. Database runs record bytes_processed.
func TestSchemaEvolutionPostgres(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.items (id bigint PRIMARY KEY, name text)`)
	exec(`INSERT INTO $S.items VALUES (1, 'anvil'), (2, 'bolt')`)
	job := e.createJob(etl.NewJob{Name: "Items", Dest: etl.Dest{Table: "items"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "items"}})
	r1 := e.runJob(job.ID)
	// 2 ids (8 bytes each) + "anvil" + "bolt".
	if r1.BytesProcessed != 2*8+5+4 || r1.RowsPerSecond <= 0 {
		t.Errorf("run 1 bytes_processed = %d rows_per_second = %v, want 25 and > 0", r1.BytesProcessed, r1.RowsPerSecond)
	}
	exec(`ALTER TABLE $S.items ADD COLUMN "Unit Price" numeric(10,2)`)
	exec(`INSERT INTO $S.items VALUES (3, 'chain', 9.99)`)

	runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	r2 := e.getRun(runs[0].ID)
	want := in.Schema + `.items has a new column "unit_price" ("Unit Price") that table raw_data.items does not have, and this job refuses new columns: ` +
		`set the job's schema evolution to add_columns to add them as nullable columns, or load it with a new job`
	if r2.Status != etl.StatusFailed || r2.ErrorMessage != want {
		t.Fatalf("run 2 = %s %q\nwant failed %q", r2.Status, r2.ErrorMessage, want)
	}
	if e.rows("items") != 2 {
		t.Errorf("rows after the refusal = %d, want 2", e.rows("items"))
	}
	add := etl.SchemaAddColumns
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, job.ID, etl.JobPatch{SchemaEvolution: &add}); err != nil {
		t.Fatal(err)
	}
	r3 := e.runJob(job.ID)
	if r3.RowsLoaded != 3 || !slices.Equal(r3.AddedColumns, []string{"unit_price"}) {
		t.Errorf("run 3 loaded %d added %v", r3.RowsLoaded, r3.AddedColumns)
	}
	if got := e.schemaOf("items"); got["unit_price"] != warehouse.Numeric || got["name"] != warehouse.String {
		t.Errorf("schema = %v", got)
	}
	if got := fmtRows(e.query(`SELECT id, CAST(unit_price AS VARCHAR) FROM raw_data.items ORDER BY id`)); got != "[[1 <nil>] [2 <nil>] [3 9.990000000]]" {
		t.Errorf("rows = %s", got)
	}
}
