package bqfake_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	bq "google.golang.org/api/bigquery/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
)

// part writes a Parquet file of n rows with the lineage columns set to
// run and file (the way shared/etl stages parts), in row groups of 2 rows.
func part(t *testing.T, n int, run, file string) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: bqfake.ColSourceFile, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: bqfake.ColRunID, Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(file)
		b.Field(2).(*array.StringBuilder).Append(run)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	var buf bytes.Buffer
	if err := pqarrow.WriteTable(tbl, &buf, 2, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var schema = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64, Nullable: true},
	{Name: bqfake.ColSourceFile, Type: warehouse.String, Nullable: true},
	{Name: bqfake.ColRunID, Type: warehouse.String, Nullable: true},
}

// TestRowsAndStatements runs the fake with a Source and its statements
// through the bigquerywh driver, as the platform's loads do: the rows a
// load reports and the table holds are the staged files' rows, a new
// version of a file replaces the old one's rows, and a run's rows are
// counted by its lineage.
func TestRowsAndStatements(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	files := map[string][]byte{
		"gs://stage/r1/part-0.parquet": part(t, 5, "r1", "orders.csv"),
		"gs://stage/r1/part-1.parquet": part(t, 2, "r1", "orders.csv"),
		"gs://stage/r2/part-0.parquet": part(t, 3, "r2", "orders.csv"),
		"gs://stage/r3/part-0.parquet": part(t, 4, "r3", "returns.csv"),
		"gs://stage/bad.parquet":       []byte("not parquet"),
	}
	f := bqfake.New(bqfake.Options{Project: "p", Location: "EU", RunStatements: true,
		Source: func(_ context.Context, uri string) (io.ReadCloser, error) {
			b, ok := files[uri]
			if !ok {
				return nil, fmt.Errorf("no object %s", uri)
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}})
	f.AddDataset("raw_data")
	root, stop := f.Start()
	defer stop()
	w, err := warehouse.Open(ctx, f.DriverURL(root))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	replace := func(file string, sources ...string) (int64, error) {
		res, err := w.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: sources, Format: warehouse.Parquet,
			Mode: warehouse.Replace, Schema: schema, ReplaceWhere: []warehouse.Param{{Name: bqfake.ColSourceFile, Value: file}}})
		return res.RowsLoaded, err
	}
	count := func(run string) int64 {
		t.Helper()
		res, err := w.Query(ctx, "SELECT COUNT(*) AS n FROM `raw_data`.`orders` WHERE `_b2b_run_id` = @run", []warehouse.Param{{Name: "run", Value: run}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.Rows[0][0].(int64)
		return n
	}
	tableRows := func() int64 {
		t.Helper()
		n, ok := f.TableRows("raw_data", "orders")
		if !ok {
			t.Fatal("table orders does not exist")
		}
		return n
	}

	for _, step := range []struct {
		name          string
		file          string
		sources       []string
		loaded, total int64
		r1, r2        int64
		wantErrKind   errs.Kind
	}{
		{name: "first version", file: "orders.csv", sources: []string{"gs://stage/r1/part-0.parquet", "gs://stage/r1/part-1.parquet"}, loaded: 7, total: 7, r1: 7},
		{name: "another file", file: "returns.csv", sources: []string{"gs://stage/r3/part-0.parquet"}, loaded: 4, total: 11, r1: 7},
		{name: "new version replaces the old rows", file: "orders.csv", sources: []string{"gs://stage/r2/part-0.parquet"}, loaded: 3, total: 7, r2: 3},
		{name: "unreadable part changes nothing", file: "orders.csv", sources: []string{"gs://stage/bad.parquet"}, total: 7, r2: 3, wantErrKind: errs.Invalid},
	} {
		loaded, err := replace(step.file, step.sources...)
		switch {
		case step.wantErrKind != 0 && errs.KindOf(err) != step.wantErrKind:
			t.Errorf("%s: err %v (kind %s), want kind %s", step.name, err, errs.KindOf(err), step.wantErrKind)
		case step.wantErrKind == 0 && err != nil:
			t.Errorf("%s: %v", step.name, err)
		case loaded != step.loaded:
			t.Errorf("%s: loaded %d, want %d", step.name, loaded, step.loaded)
		}
		if got := tableRows(); got != step.total {
			t.Errorf("%s: table holds %d rows, want %d", step.name, got, step.total)
		}
		if got1, got2 := count("r1"), count("r2"); got1 != step.r1 || got2 != step.r2 {
			t.Errorf("%s: rows of r1, r2 = %d, %d, want %d, %d", step.name, got1, got2, step.r1, step.r2)
		}
	}

	// A script is one transaction: a failing statement undoes the others.
	_, err = w.Query(ctx, "BEGIN TRANSACTION;\nDELETE FROM `raw_data`.`orders` WHERE TRUE;\nDELETE FROM `raw_data`.`missing` WHERE TRUE;\nCOMMIT TRANSACTION;", nil, 0)
	if !errs.Is(err, errs.NotFound) {
		t.Errorf("script over a missing table: %v, want not found", err)
	}
	if got := tableRows(); got != 7 {
		t.Errorf("after the failed script the table holds %d rows, want 7", got)
	}
	if _, err := w.Query(ctx, "DELETE FROM `raw_data`.`orders` WHERE `_b2b_source_file` = @file", []warehouse.Param{{Name: "file", Value: "returns.csv"}}, 0); err != nil {
		t.Fatal(err)
	}
	if got := tableRows(); got != 3 {
		t.Errorf("after deleting returns.csv the table holds %d rows, want 3", got)
	}
	if _, err := w.Query(ctx, "SELECT name FROM `raw_data`.`orders`", nil, 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("a statement the fake does not run: %v, want invalid", err)
	}
	if ps := f.Problems(); len(ps) > 0 {
		t.Errorf("problems: %v", ps)
	}
}

// TestQueryParameterChecks: the fake notes the query parameters BigQuery
// would refuse, and only those.
func TestQueryParameterChecks(t *testing.T) {
	tests := []struct {
		name, params string
		problem      bool
	}{
		{"scalar", `[{"name":"s","parameterType":{"type":"STRING"},"parameterValue":{"value":"x"}}]`, false},
		{"array", `[{"name":"a","parameterType":{"type":"ARRAY","arrayType":{"type":"INT64"}},"parameterValue":{"arrayValues":[{"value":"1"},{"value":"2"}]}}]`, false},
		{"untyped", `[{"name":"s","parameterValue":{"value":"x"}}]`, true},
		{"array without element type", `[{"name":"a","parameterType":{"type":"ARRAY"},"parameterValue":{"arrayValues":[{"value":"1"}]}}]`, true},
		{"array of arrays", `[{"name":"a","parameterType":{"type":"ARRAY","arrayType":{"type":"ARRAY"}}}]`, true},
		{"array given a scalar", `[{"name":"a","parameterType":{"type":"ARRAY","arrayType":{"type":"STRING"}},"parameterValue":{"value":"x"}}]`, true},
		{"scalar given an array", `[{"name":"s","parameterType":{"type":"STRING"},"parameterValue":{"arrayValues":[{"value":"x"}]}}]`, true},
	}
	for _, tt := range tests {
		f := bqfake.New(bqfake.Options{Project: "p"})
		f.Answer(func(*bq.QueryRequest) (*bq.QueryResponse, *bqfake.APIError) { return &bq.QueryResponse{}, nil })
		root, stop := f.Start()
		body := `{"query":"SELECT 1","useLegacySql":false,"queryParameters":` + tt.params + `}`
		resp, err := http.Post(root+"/bigquery/v2/projects/p/queries", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		stop()
		if got := len(f.Problems()) > 0; got != tt.problem {
			t.Errorf("%s: problems %q, want a problem: %v", tt.name, f.Problems(), tt.problem)
		}
	}
}

// TestSchemaChanges: ALTER TABLE ADD COLUMN adds a NULLABLE column (again
// with IF NOT EXISTS is a no-op, without it an error), and an append whose
// schema adds or retypes a field is refused, as BigQuery refuses it.
func TestSchemaChanges(t *testing.T) {
	ctx := context.Background()
	f := bqfake.New(bqfake.Options{Project: "p", RunStatements: true})
	root, stop := f.Start()
	defer stop()
	wh, err := warehouse.Open(ctx, f.DriverURL(root))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if err := wh.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateTable(ctx, "ds", "t", schema); err != nil {
		t.Fatal(err)
	}
	const uri = "gs://b/part.parquet"
	f.SetLoadRows(uri, 2)
	load := func(s warehouse.Schema) error {
		_, err := wh.Load(ctx, warehouse.LoadRequest{Dataset: "ds", Table: "t", Sources: []string{uri}, Format: warehouse.Parquet, Schema: s, Mode: warehouse.Append})
		return err
	}
	wide := append(schema[:len(schema):len(schema)], warehouse.Column{Name: "colour", Type: warehouse.String, Nullable: true})
	retyped := warehouse.Schema{{Name: "id", Type: warehouse.String, Nullable: true}, schema[1], schema[2]}
	for _, tc := range []struct {
		name, sql string
		load      warehouse.Schema
		want      string // error text; "" = success
	}{
		{"append adding a field", "", wide, "Cannot add fields (field: colour)"},
		{"append changing a type", "", retyped, "Field id has changed type from INTEGER to STRING"},
		{"add the column", "ALTER TABLE `ds`.`t` ADD COLUMN IF NOT EXISTS `colour` STRING", nil, ""},
		{"again, if not exists", "ALTER TABLE `ds`.`t` ADD COLUMN IF NOT EXISTS `colour` STRING", nil, ""},
		{"again, plain", "ALTER TABLE `ds`.`t` ADD COLUMN `colour` STRING", nil, "Column already exists: colour"},
		{"append with the added field", "", wide, ""},
		{"add to a missing table", "ALTER TABLE `ds`.`nope` ADD COLUMN `x` INT64", nil, "Not found: Table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sql != "" {
				_, err = wh.Query(ctx, tc.sql, nil, 0)
			} else {
				err = load(tc.load)
			}
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	tb, err := wh.DescribeTable(ctx, "ds", "t")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := tb.Schema.Lookup("colour"); !ok || c.Type != warehouse.String || !c.Nullable || len(tb.Schema) != 4 {
		t.Fatalf("schema = %+v, want colour STRING NULLABLE added once", tb.Schema)
	}
	if n, _ := f.TableRows("ds", "t"); n != 2 {
		t.Fatalf("rows = %d, want 2 (only the accepted append)", n)
	}
	if p := f.Problems(); len(p) > 0 {
		t.Fatalf("problems: %v", p)
	}
}
