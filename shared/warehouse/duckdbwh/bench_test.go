package duckdbwh_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

const benchRows = 1_000_000

// BenchmarkLoadParquet1M loads a 1M-row, 7-column Parquet file through
// Driver.Load (Append into a table created from a schema) and, in the same
// process and iteration, through DuckDB's own
// CREATE TABLE AS SELECT * FROM read_parquet(...) in a plain instance (the
// driver's instance cannot read files but its load copies). It reports both
// times and load/ctas, the overhead of the driver over DuckDB's reader.
func BenchmarkLoadParquet1M(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "events.parquet")
	d, err := duckdbwh.Open(ctx, ":memory:", "")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA raw_data"); err != nil {
		b.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `COPY (SELECT i AS id, i % 50000 AS user_id, i % 3000 AS item_id,
		TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i) AS ts, random() AS score,
		'tenant_' || (i % 7) AS tenant, CASE i % 3 WHEN 0 THEN 'view' WHEN 1 THEN 'cart' ELSE 'buy' END AS event
		FROM range(`+strconv.Itoa(benchRows)+`) t(i)) TO '`+path+`' (FORMAT parquet)`)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.CreateDataset(ctx, "raw_data"); err != nil {
		b.Fatal(err)
	}
	schema := warehouse.Schema{
		{Name: "id", Type: warehouse.Int64}, {Name: "user_id", Type: warehouse.Int64}, {Name: "item_id", Type: warehouse.Int64},
		{Name: "ts", Type: warehouse.Timestamp}, {Name: "score", Type: warehouse.Float64},
		{Name: "tenant", Type: warehouse.String}, {Name: "event", Type: warehouse.String},
	}
	var loadTotal, ctasTotal time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "ev_load", Sources: []string{"file://" + path},
			Format: warehouse.Parquet, Mode: warehouse.Append, Schema: schema})
		loadTotal += time.Since(start)
		if err != nil || res.RowsLoaded != benchRows {
			b.Fatalf("Load: %+v %v", res, err)
		}
		start = time.Now()
		_, err = db.ExecContext(ctx, `CREATE TABLE raw_data.ev_ctas AS SELECT * FROM read_parquet('`+path+`')`)
		ctasTotal += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := d.DropTable(ctx, "raw_data", "ev_load"); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "DROP TABLE raw_data.ev_ctas"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(loadTotal.Seconds()/n, "load-s/op")
	b.ReportMetric(ctasTotal.Seconds()/n, "ctas-s/op")
	b.ReportMetric(loadTotal.Seconds()/ctasTotal.Seconds(), "load/ctas")
	b.ReportMetric(benchRows*n/loadTotal.Seconds(), "load-rows/s")
}
