package datasets

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// The dataset benchmarks run on the Online Retail sample (541,909 rows)
// split into invoice lines and products, and compare each compiled query
// with the equivalent hand-written SQL run on the same DuckDB in the same
// process (speed-ratio = hand-written time / compiled time; the bar
// is ≥ 0.67, i.e. within 1.5x, and under 1 s).

func retailWarehouse(b *testing.B) *warehouse.Warehouse {
	b.Helper()
	csv, err := filepath.Abs("../../sample-data/uci_online_retail/online_retail.csv.gz")
	if err != nil {
		b.Fatal(err)
	}
	// The warehouse refuses to read host files, so the tables are made by a
	// plain DuckDB before the warehouse opens the file.
	path := filepath.Join(b.TempDir(), "wh.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		`CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data.lines AS SELECT InvoiceNo AS invoice_no, StockCode AS stock_code, Quantity AS quantity,
		   CAST(InvoiceDate AS TIMESTAMPTZ) AS invoice_ts, UnitPrice AS unit_price, Quantity * UnitPrice AS amount,
		   CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer_id, Country AS country
		 FROM read_csv('` + csv + `', header = true, types = {'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'CustomerID': 'DOUBLE'})`,
		`CREATE TABLE raw_data.products AS SELECT StockCode AS code, any_value(Description) AS description
		 FROM read_csv('` + csv + `', header = true, types = {'StockCode': 'VARCHAR'}) GROUP BY StockCode`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	wh, err := warehouse.Open(context.Background(), "duckdb://"+path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { wh.Close() })
	return wh
}

// retailBenchDataset: lines ⋈ products, roles, a top-80% products filter
// and a 180-day rolling window.
func retailBenchDataset() *Dataset {
	return &Dataset{
		Name:      "retail",
		Primary:   TableRef{Dataset: "raw_data", Table: "lines"},
		Secondary: []TableRef{{Dataset: "raw_data", Table: "products"}},
		Joins:     []Join{{Left: col("lines", "stock_code"), Right: col("products", "code"), Type: LeftJoin}},
		Columns: []SelectedColumn{
			{ColumnRef: col("lines", "invoice_no")},
			{ColumnRef: col("lines", "customer_id"), Role: RoleCustomer},
			{ColumnRef: col("lines", "stock_code"), Role: RoleProduct},
			{ColumnRef: col("lines", "invoice_ts"), Role: RoleTimestamp},
			{ColumnRef: col("lines", "amount"), Role: RoleRevenue},
			{ColumnRef: col("products", "description")},
		},
		Filters: []Filter{
			{Kind: FilterTopShare, Entity: Product, Percent: 80},
			{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 180},
		},
		Split: Split{Kind: SplitTimeHoldout, HoldoutDays: 30},
	}
}

// compareQueries times ours and the reference alternately and reports
// ours per op and the speed ratio; both must return the same row count.
func compareQueries(b *testing.B, wh *warehouse.Warehouse, ours []Query, ref []string) {
	b.Helper()
	ctx := context.Background()
	run := func(sql string, params []warehouse.Param) int {
		res, err := wh.Query(ctx, sql, params, 0)
		if err != nil {
			b.Fatalf("%v\n%s", err, sql)
		}
		return len(res.Rows)
	}
	var tOurs, tRef time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		n := 0
		for _, q := range ours {
			n += run(q.SQL, q.Params)
		}
		t1 := time.Now()
		m := 0
		for _, q := range ref {
			m += run(q, nil)
		}
		tOurs, tRef = tOurs+t1.Sub(t0), tRef+time.Since(t1)
		if n != m {
			b.Fatalf("compiled queries return %d rows, hand-written %d", n, m)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tOurs.Milliseconds())/float64(b.N), "ms/query")
	b.ReportMetric(tRef.Seconds()/tOurs.Seconds(), "speed-ratio")
}

func BenchmarkDatasetStats(b *testing.B) {
	wh := retailWarehouse(b)
	sc := tableSchemas(b, wh, "lines")
	d := &Dataset{Name: "lines", Primary: TableRef{Dataset: "raw_data", Table: "lines"}, Split: Split{Kind: SplitTimeHoldout, HoldoutDays: 1}}
	st, err := CompileStats(d, sc, warehouse.DuckDB)
	if err != nil {
		b.Fatal(err)
	}
	top, err := CompileTopValues(d, sc, warehouse.DuckDB, 10)
	if err != nil {
		b.Fatal(err)
	}
	var aggs, tops string
	for i, c := range sc["lines"] {
		id := `"` + c.Name + `"`
		aggs += ", count(" + id + "), count(DISTINCT " + id + ")"
		if c.Type == warehouse.Timestamp || c.Type == warehouse.String {
			aggs += ", min(" + id + "), max(" + id + ")"
		}
		if isNumeric(c.Type) {
			aggs += ", min(" + id + "), max(" + id + "), avg(" + id + "), quantile_cont(" + id + ", 0.25), median(" + id + "), quantile_cont(" + id + ", 0.75)"
		}
		if HasTopValues(c.Type) {
			if tops != "" {
				tops += " UNION ALL "
			}
			tops += "SELECT * FROM (SELECT " + string(rune('0'+i)) + ", CAST(" + id + " AS VARCHAR) AS v, count(*) AS n FROM raw_data.lines GROUP BY " + id + " ORDER BY n DESC, v LIMIT 10)"
		}
	}
	compareQueries(b, wh, []Query{st, top}, []string{"SELECT count(*)" + aggs + " FROM raw_data.lines", tops})
}

func BenchmarkDatasetPreview(b *testing.B) {
	wh := retailWarehouse(b)
	q, err := CompilePreview(retailBenchDataset(), tableSchemas(b, wh, "lines", "products"), warehouse.DuckDB, 42, 100)
	if err != nil {
		b.Fatal(err)
	}
	ref := `WITH j AS (SELECT l.invoice_no, l.customer_id, l.stock_code, l.invoice_ts, l.amount, p.description
	  FROM raw_data.lines l LEFT JOIN raw_data.products p ON l.stock_code = p.code),
	f AS (SELECT * FROM j WHERE invoice_ts > (SELECT max(invoice_ts) FROM j) - INTERVAL 180 DAY),
	t AS (SELECT k FROM (SELECT k, r, sum(r) OVER (ORDER BY r DESC, k) AS run, sum(r) OVER () AS tot
	  FROM (SELECT stock_code AS k, sum(amount) AS r FROM f WHERE stock_code IS NOT NULL AND amount IS NOT NULL GROUP BY 1 HAVING sum(amount) > 0))
	  WHERE (run - r) * 100 < tot * 80),
	res AS (SELECT * FROM f WHERE stock_code IN (SELECT k FROM t))
	SELECT *, (SELECT count(*) FROM res) FROM res ORDER BY hash(42, invoice_no, customer_id, stock_code, invoice_ts, amount, description) LIMIT 100`
	compareQueries(b, wh, []Query{q}, []string{ref})
}

func BenchmarkDatasetTraining(b *testing.B) {
	wh := retailWarehouse(b)
	q, err := CompileTraining(retailBenchDataset(), tableSchemas(b, wh, "lines", "products"), warehouse.DuckDB)
	if err != nil {
		b.Fatal(err)
	}
	ref := `WITH j AS (SELECT l.invoice_no, l.customer_id, l.stock_code, l.invoice_ts, l.amount, p.description
	  FROM raw_data.lines l LEFT JOIN raw_data.products p ON l.stock_code = p.code),
	f AS (SELECT * FROM j WHERE invoice_ts > (SELECT max(invoice_ts) FROM j) - INTERVAL 180 DAY),
	t AS (SELECT k FROM (SELECT k, r, sum(r) OVER (ORDER BY r DESC, k) AS run, sum(r) OVER () AS tot
	  FROM (SELECT stock_code AS k, sum(amount) AS r FROM f WHERE stock_code IS NOT NULL AND amount IS NOT NULL GROUP BY 1 HAVING sum(amount) > 0))
	  WHERE (run - r) * 100 < tot * 80),
	res AS (SELECT * FROM f WHERE stock_code IN (SELECT k FROM t))
	SELECT invoice_no, customer_id, stock_code, CAST(floor(epoch(invoice_ts)) AS BIGINT) AS invoice_ts, amount, description,
	  CASE WHEN invoice_ts > (SELECT max(invoice_ts) FROM res) - INTERVAL 30 DAY THEN 2 ELSE 0 END AS split
	FROM res WHERE customer_id IS NOT NULL AND stock_code IS NOT NULL AND invoice_ts IS NOT NULL`
	compareQueries(b, wh, []Query{q}, []string{ref})
}
