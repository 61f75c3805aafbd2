package etl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
)

// partitioned sets the partitioning settings the platform reads (small
// thresholds, so that tables of test size fan out) and returns an env.
func partitioned(t *testing.T, fanoutRows, partitionRows int) *env {
	t.Helper()
	return partitionedWith(t, fanoutRows, partitionRows, nil)
}

// partitionedWith is partitioned with wrap around the handlers (see
// newEnvWith).
func partitionedWith(t *testing.T, fanoutRows, partitionRows int, wrap func(topic string, h events.Handler) events.Handler) *env {
	t.Helper()
	t.Setenv("B2B_FANOUT_ROWS", fmt.Sprint(fanoutRows))
	t.Setenv("B2B_FANOUT_BYTES", "")
	t.Setenv("B2B_PARTITION_ROWS", fmt.Sprint(partitionRows))
	t.Setenv("B2B_PARTITION_WORKERS", "2")
	return newEnvWith(t, wrap)
}

// runAndWait triggers a manual run of a job, waits (up to limit) for the
// chain and returns the run as finished.
func (e *env) runAndWait(jobID string, limit time.Duration) etl.Run {
	e.t.Helper()
	ctx := context.Background()
	runs, err := e.p.ETL.TriggerJob(ctx, tenant, jobID, eventschemas.TriggerManual)
	if err != nil || len(runs) != 1 {
		e.t.Fatalf("TriggerJob: %v (%d runs)", err, len(runs))
	}
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := e.bus.Wait(wctx); err != nil {
		e.t.Fatalf("bus.Wait: %v", err)
	}
	r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// partitionsOf reads the partition records of a partitioned run.
func (e *env) partitionsOf(r etl.Run) []etl.Partition {
	e.t.Helper()
	if r.Partitions == nil {
		e.t.Fatalf("run %s was not partitioned", r.ID)
	}
	out := make([]etl.Partition, r.Partitions.Total)
	for i := range out {
		p, _, err := docstore.Get[etl.Partition](context.Background(), e.p.Store,
			docstore.Key{Tenant: tenant, Kind: etl.KindPartition, ID: fmt.Sprintf("%s-p%04d", r.ID, i)})
		if err != nil {
			e.t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// pgValues runs a query returning one row of integers on the test
// PostgreSQL, with $S the schema.
func pgValues(t *testing.T, schema, q string) []int64 {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testenv.Require(t, testenv.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, strings.ReplaceAll(q, "$S", `"`+schema+`"`))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) ([]int64, error) {
		v, err := r.Values()
		if err != nil {
			return nil, err
		}
		out := make([]int64, len(v))
		for i, x := range v {
			switch n := x.(type) {
			case int64:
				out[i] = n
			case int32:
				out[i] = int64(n)
			default:
				return nil, fmt.Errorf("column %d is a %T", i, x)
			}
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// whValues is pgValues on the tenant's warehouse.
func (e *env) whValues(q string) []int64 {
	e.t.Helper()
	rows := e.query(q)
	if len(rows) != 1 {
		e.t.Fatalf("%s: %d rows", q, len(rows))
	}
	out := make([]int64, len(rows[0]))
	for i, v := range rows[0] {
		n, ok := v.(int64)
		if !ok {
			e.t.Fatalf("%s: column %d is a %T", q, i, v)
		}
		out[i] = n
	}
	return out
}

// The checksum of a table: count, distinct ids, and sums over every
// column (amount in cents, the note's length, the time in seconds), the
// same expression on PostgreSQL and DuckDB.
const checksumSQL = `SELECT COUNT(*), COUNT(DISTINCT id), CAST(SUM(id) AS BIGINT), CAST(SUM(customer * 7 + id %% 13) AS BIGINT), CAST(SUM(amount * 100) AS BIGINT),
	CAST(SUM(LENGTH(note)) AS BIGINT), CAST(SUM(EXTRACT(EPOCH FROM updated_at)) AS BIGINT) FROM %s`

// TestPartitionedRunPostgres: a 2,000,000-row table, above the fan-out
// threshold, is read in partitions and loaded exactly once (count and
// checksum equal to the source's); one partition fails its first attempt
// (a fault hook) and is retried alone: the others keep one attempt.
func TestPartitionedRunPostgres(t *testing.T) {
	e := partitioned(t, 100_000, 400_000)
	exec, in := pgSource(t)
	const n = 2_000_000
	exec(`CREATE TABLE $S.big (id bigint PRIMARY KEY, customer int NOT NULL, amount numeric(12,2), note text, updated_at timestamptz)`)
	exec(fmt.Sprintf(`INSERT INTO $S.big SELECT g, g %% 1000, (g %% 10000) / 100.0, 'note ' || g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
		FROM generate_series(1, %d) g`, n))
	exec(`ANALYZE $S.big`)
	job := e.createJob(etl.NewJob{Name: "PG big", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_big"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "big"}})
	etl.FaultHookFailPartition(e.p.ETL, 2, 1)

	start := time.Now()
	r := e.runAndWait(job.ID, 3*time.Minute)
	t.Logf("2M rows in %d partitions: %s", r.Partitions.Total, time.Since(start))
	if r.Status != etl.StatusCompleted || r.RowsRead != n || r.RowsLoaded != n || r.LoadAttempts != 1 {
		t.Fatalf("run = %s (%s) read %d loaded %d load attempts %d", r.Status, r.ErrorMessage, r.RowsRead, r.RowsLoaded, r.LoadAttempts)
	}
	if *r.Partitions != (etl.PartitionProgress{Total: 5, Done: 5, Column: "id", RowsRead: n}) {
		t.Fatalf("partitions = %+v, want 5 of 5 done on id", *r.Partitions)
	}
	var attempts []int
	var rows int64
	for _, p := range e.partitionsOf(r) {
		attempts = append(attempts, p.Attempts)
		rows += p.RowsRead
		if p.Status != etl.PartitionDone || len(p.Parts) == 0 {
			t.Errorf("partition %d = %s with %d parts", p.Index, p.Status, len(p.Parts))
		}
	}
	if !slices.Equal(attempts, []int{1, 1, 2, 1, 1}) || rows != n {
		t.Errorf("partition attempts %v (rows %d), want only partition 2 tried twice", attempts, rows)
	}
	want := pgValues(t, in.Schema, fmt.Sprintf(checksumSQL, "$S.big"))
	got := e.whValues(fmt.Sprintf(checksumSQL, "raw_data.pg_big"))
	if !slices.Equal(got, want) || got[0] != n || got[1] != n {
		t.Fatalf("warehouse checksum %v, source %v", got, want)
	}
	if runs := e.whValues(`SELECT COUNT(DISTINCT _b2b_run_id) FROM raw_data.pg_big`); runs[0] != 1 {
		t.Errorf("rows of %d runs, want one load", runs[0])
	}
	log, err := e.p.ETL.RunLogs(context.Background(), tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, l := range log.Lines {
		text += l.Message + "\n"
	}
	for _, want := range []string{"read in 5 partitions on column id", "partition 3 of 5 (id >= ", "failed and will be tried again", "every partition is read: 2000000 rows"} {
		if !strings.Contains(text, want) {
			t.Errorf("run log lacks %q: %s", want, text)
		}
	}
}

// TestPartitionedIncrementalPostgres: an incremental job over a table
// large enough to fan out keeps its watermark exact across runs: ties at
// the watermark (rows written late with the watermark's timestamp) are
// read once, rows at it already loaded are not read again.
func TestPartitionedIncrementalPostgres(t *testing.T) {
	e := partitioned(t, 1_000, 5_000)
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.ev (id bigint PRIMARY KEY, customer int NOT NULL, amount numeric(12,2), note text, updated_at timestamptz NOT NULL)`)
	// Ten rows a second: many rows share each timestamp.
	insert := func(from, to int, base string) {
		exec(fmt.Sprintf(`INSERT INTO $S.ev SELECT g, g %% 100, g / 100.0, 'n' || g, timestamptz '%s' + (g / 10) * interval '1 second'
			FROM generate_series(%d, %d) g`, base, from, to))
		exec(`ANALYZE $S.ev`)
	}
	insert(1, 20_000, "2026-01-01 00:00:00+00")
	job := e.createJob(etl.NewJob{Name: "PG events", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_ev"},
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "ev", TimestampColumn: "updated_at"}})

	r1 := e.runAndWait(job.ID, time.Minute)
	if r1.Status != etl.StatusCompleted || r1.RowsLoaded != 20_000 || r1.Partitions == nil || r1.Partitions.Total < 4 {
		t.Fatalf("run 1 = %s (%s) loaded %d partitions %+v", r1.Status, r1.ErrorMessage, r1.RowsLoaded, r1.Partitions)
	}
	mark := "2026-01-01T00:33:20Z" // 20,000 / 10 seconds
	state := func() *etl.IncrementalState {
		j, err := e.p.ETL.GetJob(context.Background(), tenant, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		return j.State
	}
	keys := func(ids ...int) []string {
		var out []string
		for _, id := range ids {
			out = append(out, fmt.Sprintf(`"%d"`, id))
		}
		return out
	}
	if st := state(); st == nil || st.Watermark.Value != mark || !slices.Equal(st.BoundaryKeys, keys(20_000)) {
		t.Fatalf("state after run 1 = %+v, want %s with key 20000", st, mark)
	}
	// Late rows at the watermark and 20,000 newer ones.
	exec(`INSERT INTO $S.ev VALUES (50001, 1, 1, 'late', '2026-01-01 00:33:20+00'), (50002, 2, 2, 'late', '2026-01-01 00:33:20+00')`)
	insert(20_001, 40_000, "2026-01-01 00:00:00+00")
	r2 := e.runAndWait(job.ID, time.Minute)
	if r2.Status != etl.StatusCompleted || r2.RowsRead != 20_002 || r2.Partitions == nil || r2.Partitions.Total < 2 {
		t.Fatalf("run 2 = %s (%s) read %d partitions %+v, want the 20,002 new rows in partitions", r2.Status, r2.ErrorMessage, r2.RowsRead, r2.Partitions)
	}
	if st := state(); st == nil || st.Watermark.Value != "2026-01-01T01:06:40Z" || !slices.Equal(st.BoundaryKeys, keys(40_000)) {
		t.Fatalf("state after run 2 = %+v", st)
	}
	want := pgValues(t, in.Schema, fmt.Sprintf(checksumSQL, "$S.ev"))
	got := e.whValues(fmt.Sprintf(checksumSQL, "raw_data.pg_ev"))
	if !slices.Equal(got, want) || got[0] != 40_002 || got[1] != 40_002 {
		t.Fatalf("warehouse checksum %v, source %v", got, want)
	}
	// Nothing new: nothing is read, and the state stays.
	r3 := e.runAndWait(job.ID, time.Minute)
	if r3.Status != etl.StatusCompleted || r3.RowsRead != 0 {
		t.Fatalf("run 3 = %s read %d, want nothing", r3.Status, r3.RowsRead)
	}
}

// TestPartitionedRunMariaDB: the plan's queries (estimate, bounds) and
// range reads on MariaDB: a snapshot of an integer-keyed table loads
// every row once.
func TestPartitionedRunMariaDB(t *testing.T) {
	e := partitioned(t, 1_000, 1_000)
	exec, in := mariaSource(t)
	const digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
	exec("CREATE TABLE $S.items (id INT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(40))")
	exec(`INSERT INTO $S.items SELECT n, n % 100, n / 100, CONCAT('item ', n) FROM (
		SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d + 1 AS n FROM ` + digits + ` a, ` + digits + ` b, ` + digits + ` c, ` + digits + ` e) g WHERE n <= 5000`)
	exec("ANALYZE TABLE $S.items")
	job := e.createJob(etl.NewJob{Name: "ERP items", SourceType: "mariadb", Dest: etl.Dest{Table: "erp_items"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "items"}})
	r := e.runAndWait(job.ID, time.Minute)
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 5000 || r.Partitions == nil || r.Partitions.Total < 4 {
		t.Fatalf("run = %s (%s) loaded %d partitions %+v", r.Status, r.ErrorMessage, r.RowsLoaded, r.Partitions)
	}
	got := e.whValues(`SELECT COUNT(*), COUNT(DISTINCT id), CAST(SUM(id) AS BIGINT), CAST(SUM(customer) AS BIGINT) FROM raw_data.erp_items`)
	if want := []int64{5000, 5000, 5000 * 5001 / 2, 50 * 4950}; !slices.Equal(got, want) {
		t.Fatalf("warehouse count, distinct ids, sum(id), sum(customer) = %v, want %v", got, want)
	}
}

// smallPartitioned makes a 20,000-row PostgreSQL table that fans out into
// 4 partitions on its key, and a snapshot job over it.
func smallPartitioned(t *testing.T, e *env) (job etl.JobView, schema string) {
	t.Helper()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.mid (id bigint PRIMARY KEY, note text)`)
	exec(`INSERT INTO $S.mid SELECT g, 'n' || g FROM generate_series(1, 20000) g`)
	exec(`ANALYZE $S.mid`)
	job = e.createJob(etl.NewJob{Name: "PG mid " + in.Schema, SourceType: "postgresql", Dest: etl.Dest{Table: "pg_mid"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "mid"}})
	return job, in.Schema
}

// TestPartitionAttemptsSpent: a partition that fails every attempt fails
// the run, which names it; nothing loads and the staged parts of every
// partition are removed.
func TestPartitionAttemptsSpent(t *testing.T) {
	t.Setenv("B2B_RUN_ATTEMPTS", "2")
	e := partitioned(t, 1_000, 5_000)
	job, _ := smallPartitioned(t, e)
	etl.FaultHookFailPartition(e.p.ETL, 1, 2)
	r := e.runAndWait(job.ID, time.Minute)
	if r.Status != etl.StatusFailed || r.ErrorType != etl.PhaseExtraction || r.Partitions == nil || r.Partitions.Total != 4 {
		t.Fatalf("run = %s (%s) partitions %+v, want failed in extraction with 4 partitions", r.Status, r.ErrorType, r.Partitions)
	}
	if !regexp.MustCompile(`^partition 2 of 4 \(id >= \d+ and < \d+\) of table \S+\.mid could not be read: `).MatchString(r.ErrorMessage) {
		t.Errorf("message = %q, want it to name partition 2 and its range", r.ErrorMessage)
	}
	if e.rows("pg_mid") > 0 {
		t.Error("a failed partitioned run loaded rows")
	}
	if p := e.partitionsOf(r)[1]; p.Attempts != 2 || p.Status == etl.PartitionDone {
		t.Errorf("partition 2 = %s after %d attempts, want 2 failed attempts", p.Status, p.Attempts)
	}
	e.assertNoStaged(r.ID)
}

// assertNoStaged checks that nothing of a run is left under its staging
// prefix.
func (e *env) assertNoStaged(runID string) {
	e.t.Helper()
	b, err := e.p.Resources.Bucket(context.Background(), tenant, etl.BucketStaging)
	if err != nil {
		e.t.Fatal(err)
	}
	obj, err := b.List(&blob.ListOptions{Prefix: "runs/" + runID + "/"}).Next(context.Background())
	if err != io.EOF {
		e.t.Errorf("staged objects of run %s left: %v (%v)", runID, obj, err)
	}
}

// TestCancelPartitionedRun: cancelling a partitioned run stops its
// partitions: one done before the cancel has its parts removed, the ones
// delivered after it read nothing, nothing loads.
func TestCancelPartitionedRun(t *testing.T) {
	hold := make(chan struct{})
	var held atomic.Int32
	e := partitionedWith(t, 1_000, 5_000, func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicPartitionRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			var req eventschemas.PartitionRequested
			if err := json.Unmarshal(ev.Data(), &req); err == nil && req.Index > 0 {
				held.Add(1)
				<-hold
			}
			return h(ctx, ev)
		}
	})
	job, _ := smallPartitioned(t, e)
	ctx := context.Background()
	runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	id := runs[0].ID
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.p.ETL.GetRun(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Partitions != nil && r.Partitions.Done == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partition 1 did not finish: run %+v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := e.p.ETL.CancelRun(ctx, tenant, id); err != nil {
		t.Fatalf("CancelRun: %v", err)
	}
	close(hold)
	e.wait()
	r, err := e.p.ETL.GetRun(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != etl.StatusCancelled || r.RowsLoaded != 0 || e.rows("pg_mid") > 0 {
		t.Fatalf("run = %s loaded %d (table rows %d), want cancelled with nothing loaded", r.Status, r.RowsLoaded, e.rows("pg_mid"))
	}
	var attempts []int
	for _, p := range e.partitionsOf(r) {
		attempts = append(attempts, p.Attempts)
	}
	if !slices.Equal(attempts, []int{1, 0, 0, 0}) || held.Load() < 1 {
		t.Errorf("partition attempts %v (%d held), want only the first tried", attempts, held.Load())
	}
	e.assertNoStaged(id)
}

// TestPartitionedRunResumedBySweeper: a partition request that is lost
// leaves the run waiting; once the run's deadline has passed the sweeper
// requests the run again, which requests the partitions no delivery
// holds, and the run completes with every row once.
func TestPartitionedRunResumedBySweeper(t *testing.T) {
	var dropped atomic.Bool
	e := partitionedWith(t, 1_000, 5_000, func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicPartitionRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			var req eventschemas.PartitionRequested
			if err := json.Unmarshal(ev.Data(), &req); err == nil && req.Index == 3 && dropped.CompareAndSwap(false, true) {
				return nil // lost: acknowledged, never handled
			}
			return h(ctx, ev)
		}
	})
	job, _ := smallPartitioned(t, e)
	r := e.runAndWait(job.ID, time.Minute)
	if r.Status != etl.StatusRunning || r.Partitions == nil || r.Partitions.Done != 3 || r.Partitions.Total != 4 {
		t.Fatalf("run = %s partitions %+v, want running with 3 of 4 done", r.Status, r.Partitions)
	}
	ctx := context.Background()
	if _, err := docstore.Update(ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindRun, ID: r.ID}, func(cur *etl.Run, _ bool) error {
		cur.LeaseUntil = new(time.Now().Add(-time.Minute)) // its deadline has passed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := e.p.ETL.Sweep(ctx, tenant)
	if err != nil || res.Requested != 1 {
		t.Fatalf("Sweep = %+v, %v; want the run requested again", res, err)
	}
	e.wait()
	if r, err = e.p.ETL.GetRun(ctx, tenant, r.ID); err != nil {
		t.Fatal(err)
	}
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 20_000 || r.Attempts != 1 {
		t.Fatalf("run = %s (%s) loaded %d attempts %d, want completed with every row", r.Status, r.ErrorMessage, r.RowsLoaded, r.Attempts)
	}
	if got := e.whValues(`SELECT COUNT(*), COUNT(DISTINCT id) FROM raw_data.pg_mid`); !slices.Equal(got, []int64{20_000, 20_000}) {
		t.Fatalf("count, distinct ids = %v", got)
	}
}

// TestPartitionWorkerPool: B2B_PARTITION_WORKERS bounds the partitions
// one process extracts at once, though the bus delivers more at a time.
func TestPartitionWorkerPool(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			t.Setenv("B2B_FANOUT_ROWS", "1000")
			t.Setenv("B2B_FANOUT_BYTES", "")
			t.Setenv("B2B_PARTITION_ROWS", "2500")
			t.Setenv("B2B_PARTITION_WORKERS", fmt.Sprint(workers))
			e := newEnvWith(t, nil) // the bus delivers two events at a time
			var now, most atomic.Int32
			etl.HookPartitionStaged(e.p.ETL, func(etl.Partition) error {
				n := now.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(50 * time.Millisecond)
				now.Add(-1)
				return nil
			})
			job, _ := smallPartitioned(t, e)
			r := e.runAndWait(job.ID, time.Minute)
			if r.Status != etl.StatusCompleted || r.Partitions == nil || r.Partitions.Total != 8 {
				t.Fatalf("run = %s (%s) partitions %+v, want completed in 8", r.Status, r.ErrorMessage, r.Partitions)
			}
			if got := most.Load(); got != int32(workers) {
				t.Errorf("at most %d partitions extracted at once, want %d", got, workers)
			}
		})
	}
}

// TestPartitionDeadLettered: a partition request the events layer gave
// up on fails its run, with a message saying so, and removes what the
// other partitions staged.
func TestPartitionDeadLettered(t *testing.T) {
	var lost atomic.Pointer[events.Event]
	e := partitionedWith(t, 1_000, 5_000, func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicPartitionRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			var req eventschemas.PartitionRequested
			if err := json.Unmarshal(ev.Data(), &req); err == nil && req.Index == 2 {
				lost.Store(&ev)
				return nil // given up on: the test hands it to the recorder
			}
			return h(ctx, ev)
		}
	})
	job, _ := smallPartitioned(t, e)
	r := e.runAndWait(job.ID, time.Minute)
	if r.Status != etl.StatusRunning || lost.Load() == nil {
		t.Fatalf("run = %s, want running with partition 3's request held", r.Status)
	}
	ctx := context.Background()
	if err := e.p.ETL.RecordDeadLetter(ctx, events.DeadLetter{Topic: eventschemas.TopicPartitionRequested, Subscriber: "partitions",
		Event: *lost.Load(), Attempts: 5, LastError: "worker unreachable", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r, err := e.p.ETL.GetRun(ctx, tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "the run was stopped: the platform gave up after 5 tries to read one partition of it."
	if r.Status != etl.StatusFailed || !strings.HasPrefix(r.ErrorMessage, want) {
		t.Fatalf("run = %s %q, want failed: %q", r.Status, r.ErrorMessage, want)
	}
	e.assertNoStaged(r.ID)
}

// TestPartitionedSkewedKey: a key with a long sparse tail (most rows in
// the first thousandth of its range) is cut by the table's statistics,
// so no partition is much larger than planned, where equal ranges would
// put almost every row in the first.
func TestPartitionedSkewedKey(t *testing.T) {
	e := partitioned(t, 1_000, 5_000)
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.skew (id bigint PRIMARY KEY, note text)`)
	exec(`INSERT INTO $S.skew SELECT g, 'n' || g FROM generate_series(1, 20000) g`)
	exec(`INSERT INTO $S.skew SELECT g * 50000000, 'tail' FROM generate_series(1, 20) g`)
	exec(`ANALYZE $S.skew`)
	job := e.createJob(etl.NewJob{Name: "PG skew", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_skew"}, LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "skew"}})
	r := e.runAndWait(job.ID, time.Minute)
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 20_020 || r.Partitions == nil {
		t.Fatalf("run = %s (%s) loaded %d partitions %+v", r.Status, r.ErrorMessage, r.RowsLoaded, r.Partitions)
	}
	var sizes []int64
	for _, p := range e.partitionsOf(r) {
		sizes = append(sizes, p.RowsRead)
	}
	if len(sizes) < 4 || slices.Max(sizes) > 7_500 {
		t.Errorf("partition rows %v, want at least 4 partitions of at most 7,500 rows", sizes)
	}
	if got := e.whValues(`SELECT COUNT(*), COUNT(DISTINCT id) FROM raw_data.pg_skew`); !slices.Equal(got, []int64{20_020, 20_020}) {
		t.Fatalf("count, distinct ids = %v", got)
	}
}

// TestPartitionedRecentRows: an incremental run from a start where most
// rows crowd (a table that grew: 19,000 of 20,000 rows in its last hour
// of a thousand) is partitioned, as the table's statistics tell, though
// the start lies at 99% of the column's range.
func TestPartitionedRecentRows(t *testing.T) {
	e := partitioned(t, 1_000, 5_000)
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.grow (id bigint PRIMARY KEY, at timestamptz NOT NULL)`)
	exec(`INSERT INTO $S.grow SELECT g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 1000) g`)
	exec(`INSERT INTO $S.grow SELECT g, timestamptz '2026-02-11 16:00:00+00' + (g - 1000) * interval '100 milliseconds' FROM generate_series(1001, 20000) g`)
	exec(`ANALYZE $S.grow`)
	start := time.Date(2026, 2, 11, 6, 0, 0, 0, time.UTC) // hour 990
	job := e.createJob(etl.NewJob{Name: "PG grow", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_grow"},
		Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "grow", TimestampColumn: "at", HistoricalStart: &start}})
	r := e.runAndWait(job.ID, time.Minute)
	want := int64(19_000 + 11) // hours 990-1000 and the crowded hour after
	if r.Status != etl.StatusCompleted || r.RowsLoaded != want || r.Partitions == nil || r.Partitions.Total < 3 {
		t.Fatalf("run = %s (%s) loaded %d (want %d) partitions %+v, want at least 3", r.Status, r.ErrorMessage, r.RowsLoaded, want, r.Partitions)
	}
}
