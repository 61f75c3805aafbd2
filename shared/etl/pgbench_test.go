package etl_test

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// BenchmarkPostgresJob is issue 7's PostgreSQL speed target: a snapshot job
// over a 1M- and a 5M-row table end to end (extract, stage Parquet, load
// into the warehouse), against the reference in the same run: the table
// copied out with COPY ... TO STDOUT (CSV) into a file and read by DuckDB's
// own CSV reader into a table (speed-ratio = reference time / job time;
// the bar is ≥ 0.6 and ≥ 200,000 rows/s). peak-RSS-MB is the test
// process's high-water mark during the job (reset before it; Linux).
// extract-s (extraction and staging) and load-s (the warehouse load and
// the run's completion) come from the run's stage stamps; copy-s and
// read-s split the reference into COPY ... TO STDOUT and read_csv.
func BenchmarkPostgresJob(b *testing.B) {
	for _, rows := range []int{1_000_000, 5_000_000} {
		b.Run(strconv.Itoa(rows/1_000_000)+"M", func(b *testing.B) { benchPostgresJob(b, rows) })
	}
}

func benchPostgresJob(b *testing.B, rows int) {
	e := newEnvWith(b, nil)
	exec, in := pgSource(b)
	exec(`CREATE TABLE $S.bench (id bigint PRIMARY KEY, name text, amount numeric(12,2), qty integer, created_at timestamptz, day date)`)
	for lo := 0; lo < rows; lo += 1_000_000 {
		exec(`INSERT INTO $S.bench SELECT g, 'customer ' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 1000) * 1.25 END, g % 50,
			timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', date '2026-01-01' + (g % 365)::int
			FROM generate_series($1::bigint, $2::bigint) AS g`, lo+1, min(lo+1_000_000, rows))
	}
	connID := e.createConn(in)
	job := e.createJob(etl.NewJob{Name: "bench", SourceType: "postgresql", LoadMode: etl.Truncate, Dest: etl.Dest{Table: "bench"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "bench"}})
	ctx := context.Background()
	var ours, ref, extract, load, refCopy time.Duration
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		t0 := time.Now()
		runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
		if err != nil {
			b.Fatal(err)
		}
		e.wait()
		ours += time.Since(t0)
		peak = max(peak, peakRSSMB())
		r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
		if err != nil || r.Status != etl.StatusCompleted || r.RowsLoaded != int64(rows) {
			b.Fatalf("run = %s, %d rows loaded (%s) %v", r.Status, r.RowsLoaded, r.ErrorMessage, err)
		}
		st := r.Stages
		if st.ExtractionStartedAt == nil || st.ExtractionCompletedAt == nil || r.CompletedAt == nil {
			b.Fatalf("run %s has no extraction or completion time: %+v", r.ID, st)
		}
		extract += st.ExtractionCompletedAt.Sub(*st.ExtractionStartedAt)
		load += r.CompletedAt.Sub(*st.ExtractionCompletedAt)
		all, cp := copyIntoDuckDB(b, in.Fields.Schema, rows)
		ref += all
		refCopy += cp
	}
	n := float64(b.N)
	b.ReportMetric(extract.Seconds()/n, "extract-s")
	b.ReportMetric(load.Seconds()/n, "load-s")
	b.ReportMetric(refCopy.Seconds()/n, "copy-s")
	b.ReportMetric((ref-refCopy).Seconds()/n, "read-s")
	b.ReportMetric(float64(rows)*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(ref.Seconds()/ours.Seconds(), "speed-ratio")
	b.ReportMetric(float64(peak), "peak-RSS-MB")
}

// copyIntoDuckDB is the reference: COPY the table out as CSV into a file
// and read it with DuckDB's read_csv into a table; it returns the time,
// and the part of it the COPY took.
func copyIntoDuckDB(b *testing.B, schema string, rows int) (all, cp time.Duration) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "bench.csv")
	t0 := time.Now()
	conn, err := pgx.Connect(ctx, testenv.Require(b, testenv.Postgres))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	f, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := conn.PgConn().CopyTo(ctx, w, `COPY (SELECT * FROM "`+schema+`".bench) TO STDOUT WITH (FORMAT csv, HEADER)`); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	cp = time.Since(t0)
	db, err := sql.Open("duckdb", filepath.Join(dir, "ref.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	if _, err := db.Exec(`CREATE TABLE t AS SELECT * FROM read_csv(?, header = true)`, csvPath); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != rows {
		b.Fatalf("reference loaded %d rows, %v", n, err)
	}
	return time.Since(t0), cp
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB.
func peakRSSMB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb / 1024
		}
	}
	return 0
}
