package etl_test

import (
	"context"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
)

// BenchmarkDatabaseExtraction runs a snapshot job over a 100k-row
// PostgreSQL table (integer key, text, decimal, integer, timestamp, date,
// with NULLs) through the whole chain and reports the extraction phase's
// rate (rows read to staged Parquet parts, from the run's stage stamps)
// beside the time of the whole run.
func BenchmarkDatabaseExtraction(b *testing.B) {
	const rows = 100_000
	e := newEnvWith(b, nil)
	exec, in := pgSource(b)
	exec(`CREATE TABLE $S.bench (id bigint PRIMARY KEY, name text, amount numeric(12,2), qty integer, created_at timestamptz, day date)`)
	exec(`INSERT INTO $S.bench SELECT g, 'customer ' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 1000) * 1.25 END, g % 50,
		timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', date '2026-01-01' + (g % 365) FROM generate_series(1, $1) AS g`, rows)
	connID := e.createConn(in)
	job := e.createJob(etl.NewJob{Name: "bench", SourceType: "postgresql", LoadMode: etl.Truncate, Dest: etl.Dest{Table: "bench"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "bench"}})
	ctx := context.Background()
	var extract time.Duration
	b.ResetTimer()
	for b.Loop() {
		runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
		if err != nil {
			b.Fatal(err)
		}
		e.wait()
		r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
		if err != nil {
			b.Fatal(err)
		}
		if r.Status != etl.StatusCompleted || r.RowsLoaded != rows {
			b.Fatalf("run = %s, %d rows loaded (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
		}
		extract += r.Stages.ExtractionCompletedAt.Sub(*r.Stages.ExtractionStartedAt)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/extract.Seconds(), "extract-rows/s")
}
