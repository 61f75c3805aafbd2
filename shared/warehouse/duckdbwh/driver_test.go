package duckdbwh_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
	"github.com/b2brecs/b2brecs/shared/warehouse/warehousetest"
)

var schema = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64},
	{Name: "name", Type: warehouse.String, Nullable: true},
}

func parquet(t *testing.T, name string, rows ...[]any) string {
	t.Helper()
	b, err := warehousetest.ParquetFile(schema, rows)
	if err != nil {
		t.Fatal(err)
	}
	return stageFile(t, name, b)
}

func TestSources(t *testing.T) {
	ctx := context.Background()
	d := openMem(t)
	defer d.Close()
	if err := d.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateTable(ctx, "raw_data", "t", schema); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		src  string
		kind errs.Kind
	}{
		{"gs://bucket/a.parquet", errs.Unsupported},
		{"s3://bucket/a.parquet", errs.Unsupported},
		{"/abs/path/without/scheme.parquet", errs.Unsupported},
		{"file:///no/such/file.parquet", errs.NotFound},
		{"file://otherhost/a.parquet", errs.Invalid},
	}
	for _, tt := range tests {
		_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{tt.src}, Format: warehouse.Parquet, Mode: warehouse.Append})
		if errs.KindOf(err) != tt.kind {
			t.Errorf("%s: err %v, want kind %s", tt.src, err, tt.kind)
		}
	}
	// A glob over two files.
	dir := t.TempDir()
	for i, name := range []string{"p1.parquet", "p2.parquet"} {
		b, _ := warehousetest.ParquetFile(schema, [][]any{{int64(i), "x"}})
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{"file://" + dir + "/*.parquet"}, Format: warehouse.Parquet})
	if err != nil || res.RowsLoaded != 2 {
		t.Errorf("glob load: %+v, %v", res, err)
	}
	// Format and mode checks.
	src := parquet(t, "a.parquet", []any{int64(1), "a"})
	for _, req := range []warehouse.LoadRequest{
		{Dataset: "raw_data", Table: "t", Sources: []string{src}},
		{Dataset: "raw_data", Table: "t", Sources: []string{src}, Format: warehouse.Parquet, Mode: "UPSERT"},
		{Dataset: "raw_data", Table: "t", Format: warehouse.Parquet},
		{Dataset: "", Table: "t", Sources: []string{src}, Format: warehouse.Parquet},
	} {
		if _, err := d.Load(ctx, req); !errs.Is(err, errs.Invalid) {
			t.Errorf("Load(%+v) = %v, want invalid", req, err)
		}
	}
	if _, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{src}, Format: "AVRO"}); !errs.Is(err, errs.Unsupported) {
		t.Errorf("AVRO load = %v, want unsupported", err)
	}
}

func TestMergeDuplicateKeys(t *testing.T) {
	ctx := context.Background()
	d := openMem(t)
	defer d.Close()
	_ = d.CreateDataset(ctx, "raw_data")
	src := parquet(t, "dup.parquet", []any{int64(1), "a"}, []any{int64(1), "b"})
	_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{src}, Format: warehouse.Parquet,
		Mode: warehouse.Merge, MergeKeys: []string{"id"}, Schema: schema})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("merge with duplicate keys = %v, want invalid", err)
	}
	_, err = d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{src}, Format: warehouse.Parquet,
		Mode: warehouse.Merge, MergeKeys: []string{"nope"}, Schema: schema})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("merge on unknown key = %v, want invalid naming it", err)
	}
}

func TestFileURLsAndMetadata(t *testing.T) {
	ctx := context.Background()
	t.Chdir(t.TempDir())
	w, err := warehouse.Open(ctx, "duckdb://./sub.duckdb")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	if err := w.CreateDataset(ctx, duckdbwh.MetaSchema); !errs.Is(err, errs.Invalid) {
		t.Errorf("reserved dataset: %v", err)
	}
	start := time.Now().Add(-time.Second)
	if err := w.CreateTable(ctx, "raw_data", "t", schema); err != nil {
		t.Fatal(err)
	}
	created, err := w.DescribeTable(ctx, "raw_data", "t")
	if err != nil {
		t.Fatal(err)
	}
	if created.Created.Before(start) || !created.Modified.Equal(created.Created) {
		t.Errorf("after create: Created %v Modified %v", created.Created, created.Modified)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := w.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Format: warehouse.Parquet,
		Sources: []string{parquet(t, "a.parquet", []any{int64(1), "a"})}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("sub.duckdb"); err != nil {
		t.Fatalf("relative database file: %v", err)
	}
	abs, _ := filepath.Abs("sub.duckdb")
	w, err = warehouse.Open(ctx, "duckdb://"+abs)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tb, err := w.DescribeTable(ctx, "raw_data", "t")
	if err != nil {
		t.Fatal(err)
	}
	if tb.NumRows != 1 || !tb.Created.Equal(created.Created) || !tb.Modified.After(tb.Created) {
		t.Errorf("after reopen: %+v (created %v)", tb, created.Created)
	}
	list, err := w.ListTables(ctx, duckdbwh.MetaSchema)
	if err != nil || len(list) != 1 {
		t.Errorf("meta schema: %v %v", list, err)
	}
}

func TestQueryCancel(t *testing.T) {
	d := openMem(t)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Query(ctx, "SELECT count(*) FROM range(100000000000) a", nil, 0)
	if err == nil || !errs.Is(err, errs.Transient) {
		t.Fatalf("cancelled query: %v, want transient", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancel took %v", el)
	}
}

func TestQueryNestedAndOdd(t *testing.T) {
	d := openMem(t)
	defer d.Close()
	res, err := d.Query(context.Background(), `SELECT [1,2] AS l, {'a': 'x'} AS s, 'a8a6f6a4-3e0c-4a1e-9e3e-0f5c1d2e3f40'::UUID AS u,
		INTERVAL 2 DAY AS iv, 123456789012345678901234567890::HUGEINT AS h, 1.1::FLOAT AS f4, 7::TINYINT AS ti, TIME '01:02:03' AS tm,
		'{"k": "v"}'::JSON AS j, '"s"'::JSON AS js, 18446744073709551615::UBIGINT AS ub, -123.450::DECIMAL(18,3) AS d18,
		0.1::DECIMAL(4,1) AS d4, [1.50::DECIMAL(10,2)] AS ld, {'a': 12345678901234567890.123456789::DECIMAL(38,9)} AS sd,
		MAP {1.5::DECIMAL(4,1): 'x'} AS md`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"[1,2]", `{"a":"x"}`, "a8a6f6a4-3e0c-4a1e-9e3e-0f5c1d2e3f40", "0 months 2 days 0 microseconds", "123456789012345678901234567890", 1.1, int64(7), "01:02:03", `{"k":"v"}`, `"s"`,
		"18446744073709551615", "-123.45", "0.1", "[1.5]", `{"a":12345678901234567890.123456789}`, `{"1.5":"x"}`}
	types := []warehouse.Type{warehouse.JSON, warehouse.JSON, warehouse.String, warehouse.String, warehouse.Numeric, warehouse.Float64, warehouse.Int64, warehouse.Time, warehouse.JSON, warehouse.JSON,
		warehouse.Numeric, warehouse.Numeric, warehouse.Numeric, warehouse.JSON, warehouse.JSON, warehouse.JSON}
	for i, w := range want {
		if res.Rows[0][i] != w {
			t.Errorf("%s = %#v, want %#v", res.Columns[i].Name, res.Rows[0][i], w)
		}
		if res.Columns[i].Type != types[i] {
			t.Errorf("%s type %s, want %s", res.Columns[i].Name, res.Columns[i].Type, types[i])
		}
	}
}

func TestCSVJagged(t *testing.T) {
	ctx := context.Background()
	d := openMem(t)
	defer d.Close()
	_ = d.CreateDataset(ctx, "raw_data")
	for _, body := range []string{"id,name\n1\n", "id,name\n1,a,extra\n"} {
		_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{stageFile(t, "j.csv", []byte(body))},
			Format: warehouse.CSV, Schema: schema})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v, want invalid", body, err)
		}
	}
}

// TestConcurrentLoadsIntoNewTable: loads that race to create the same table
// (a resumed run and a redelivered event, two files of one job) all land;
// DuckDB's write-write conflicts are retried, not reported as failures.
func TestConcurrentLoadsIntoNewTable(t *testing.T) {
	ctx := context.Background()
	d := openMem(t)
	defer d.Close()
	if err := d.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	const n = 12
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = parquet(t, fmt.Sprintf("c%d.parquet", i), []any{int64(i), "a"}, []any{int64(i), "b"})
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "race", Sources: []string{srcs[i]},
				Format: warehouse.Parquet, Mode: warehouse.Append, Schema: schema})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("load: %v", err)
		}
	}
	res, err := d.Query(ctx, `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM raw_data.race`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0]; got[0] != int64(2*n) || got[1] != int64(n) {
		t.Fatalf("rows, ids = %v, want %d, %d", got, 2*n, n)
	}
}
