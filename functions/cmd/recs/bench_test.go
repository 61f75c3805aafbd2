package main

import (
	"database/sql"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// BenchmarkOnlineRetailChain measures the whole local chain on the real
// Online Retail file (drop → watcher event → extract to Parquet parts →
// DuckDB load → run completed) against DuckDB's own read_csv of the same
// file in the same process, and reports the ratio and the peak memory,
// and where the chain's time goes, from the run's stage stamps: wait-s
// until the extraction starts (the watcher's event, the run's creation),
// extract-s (inference and conversion to Parquet parts), load-s (the
// DuckDB load and the run's completion). The chain ends when the run is
// completed in the config store (its completion stamp, taken on the same
// clock); poll-s is how much later the benchmark's client, polling the
// API every 100 ms, saw it (not part of the chain).
func BenchmarkOnlineRetailChain(b *testing.B) {
	src, err := filepath.Abs(repoFile(b, "sample-data/uci_online_retail/online_retail.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	var chain, ref, wait, extract, load, poll time.Duration
	for i := 0; i < b.N; i++ {
		// Reference: DuckDB reads the same gzipped CSV itself.
		db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "ref.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := db.Exec(`CREATE TABLE t AS SELECT * FROM read_csv(?)`, src); err != nil {
			b.Fatal(err)
		}
		ref += time.Since(start)
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != onlineRetailRows {
			b.Fatalf("reference loaded %d rows (%v)", n, err)
		}
		db.Close()

		// Ours: the platform's chain, from the file landing in the drop folder.
		app := startApp(b)
		c := login(b, app.URL(), "admin@acme.test", "correct horse battery")
		start = time.Now()
		copyFile(b, src, filepath.Join(app.DropDir(app.Tenant.ID), "online_retail.csv.gz"))
		run := c.waitRuns(1)[0]
		seen := time.Since(start)
		if run.RowsLoaded != onlineRetailRows {
			b.Fatalf("chain loaded %d rows: %s %s", run.RowsLoaded, run.Status, run.ErrorMessage)
		}
		st := run.Stages
		if st.ExtractionStartedAt == nil || st.ExtractionCompletedAt == nil || run.CompletedAt == nil {
			b.Fatalf("run %s has no extraction or completion time: %+v", run.ID, st)
		}
		// The chain ends when the run is completed in the config store (its
		// stamp, same clock); the client's polling lag after it is poll-s.
		chain += run.CompletedAt.Sub(start)
		poll += seen - run.CompletedAt.Sub(start)
		wait += st.ExtractionStartedAt.Sub(start)
		extract += st.ExtractionCompletedAt.Sub(*st.ExtractionStartedAt)
		load += run.CompletedAt.Sub(*st.ExtractionCompletedAt)
	}
	rows := float64(onlineRetailRows * b.N)
	b.ReportMetric(rows/chain.Seconds(), "rows/s")
	b.ReportMetric(rows/ref.Seconds(), "duckdb-rows/s")
	b.ReportMetric(ref.Seconds()/chain.Seconds(), "speed-ratio")
	n := float64(b.N)
	b.ReportMetric(wait.Seconds()/n, "wait-s")
	b.ReportMetric(extract.Seconds()/n, "extract-s")
	b.ReportMetric(load.Seconds()/n, "load-s")
	b.ReportMetric(poll.Seconds()/n, "poll-s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
