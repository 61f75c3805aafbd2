// Package warehousetest is the conformance suite every warehouse driver
// must pass.
//
// RunHarness runs all of it. A harness that cannot answer some of it (a
// request fake that does not read staged files or run SQL) says so with
// Harness.Lacks: the tests that need a missing capability are skipped with
// the reason, by name, so `go test -v` shows what was not covered, instead
// of being left out silently. Run is RunHarness with every capability.
// RunCatalog and RunReplaceInvalid run parts of it for tests that check
// more around them.
package warehousetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Opener returns a fresh, empty driver for one subtest. The suite closes it.
type Opener func(t *testing.T) warehouse.Driver

// Stager stores data as a file named name where the driver can load it from
// and returns its URL (file:///... for DuckDB, gs://... for BigQuery).
type Stager func(t *testing.T, name string, data []byte) string

// Dataset is the dataset the suite works in.
const Dataset = "raw_data"

// Capability is something beyond the catalog that tests need of a
// driver's harness.
type Capability string

// Capabilities.
const (
	// LoadData: a load reads the staged files, so their rows land in the
	// table (and DescribeTable counts them).
	LoadData Capability = "load data"
	// RunSQL: Query runs SQL over the table's rows.
	RunSQL Capability = "run SQL"
)

// Harness is how the suite reaches one driver.
type Harness struct {
	Open  Opener
	Stage Stager
	// Lacks maps each capability the harness does not have to the reason
	// (e.g. "the request fake does not read staged files"). Tests that
	// need it are skipped with that reason.
	Lacks map[Capability]string
}

// need returns fn, or a test that skips naming the first capability of
// caps the harness lacks.
func (h Harness) need(fn func(t *testing.T), caps ...Capability) func(t *testing.T) {
	for _, c := range caps {
		if why, ok := h.Lacks[c]; ok {
			return func(t *testing.T) { t.Skipf("harness cannot %s: %s", c, why) }
		}
	}
	return fn
}

// Run runs the whole conformance suite with every capability.
func Run(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	RunHarness(t, Harness{Open: open, Stage: stage})
}

// RunHarness runs the whole conformance suite, skipping (by name, with the
// reason) the tests that need a capability h lacks.
func RunHarness(t *testing.T, h Harness) {
	t.Run("Catalog", func(t *testing.T) { RunCatalog(t, h.Open) })
	t.Run("Load", func(t *testing.T) { runLoad(t, h) })
	t.Run("Query", func(t *testing.T) { runQuery(t, h) })
}

// RunCatalog covers datasets and tables: create, describe with normalised
// types, list, drop and the error kinds. It loads no data.
func RunCatalog(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	t.Run("CreateDescribeListDrop", func(t *testing.T) { testCatalog(t, open) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open) })
	t.Run("QuotedNamesInSchema", func(t *testing.T) { testQuotedSchema(t, open) })
}

// runLoad covers loads: append, truncate, merge, replace, create from
// schema, CSV and JSONL, missing and unknown columns, all-or-nothing. It
// checks results with DescribeTable and Query.
func runLoad(t *testing.T, h Harness) {
	open, stage := h.Open, h.Stage
	data := []Capability{LoadData, RunSQL}
	t.Run("AppendParquet", h.need(func(t *testing.T) { testAppend(t, open, stage) }, data...))
	t.Run("Truncate", h.need(func(t *testing.T) { testTruncate(t, open, stage) }, data...))
	t.Run("Merge", h.need(func(t *testing.T) { testMerge(t, open, stage) }, data...))
	t.Run("CreatesTableFromSchema", h.need(func(t *testing.T) { testLoadCreates(t, open, stage) }, data...))
	t.Run("MissingColumnsAreNull", h.need(func(t *testing.T) { testMissingColumns(t, open, stage) }, data...))
	t.Run("UnknownColumnIsInvalid", h.need(func(t *testing.T) { testUnknownColumn(t, open, stage) }, data...))
	t.Run("AllOrNothing", h.need(func(t *testing.T) { testAllOrNothing(t, open, stage) }, data...))
	t.Run("CSV", h.need(func(t *testing.T) { testCSV(t, open, stage) }, data...))
	t.Run("JSONL", h.need(func(t *testing.T) { testJSONL(t, open, stage) }, data...))
	t.Run("ReplaceMatchingRows", h.need(func(t *testing.T) { testReplace(t, open, stage) }, data...))
	t.Run("ReplaceCreatesTable", h.need(func(t *testing.T) { testReplaceCreates(t, open, stage) }, data...))
	t.Run("ReplaceMultipleConditions", h.need(func(t *testing.T) { testReplaceMulti(t, open, stage) }, data...))
	t.Run("ReplaceAllOrNothing", h.need(func(t *testing.T) { testReplaceAllOrNothing(t, open, stage) }, data...))
	t.Run("ReplaceInvalid", func(t *testing.T) { RunReplaceInvalid(t, open, stage) })
}

// RunReplaceInvalid covers Replace loads the driver must refuse with
// errs.Invalid, leaving the table as it was: no condition, an unknown or
// repeated condition column, a nil value or one whose type does not compare
// with its column, ReplaceWhere with another mode. It needs only the catalog
// and loads (no queries).
func RunReplaceInvalid(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "files", filesSchema))
	load(t, d, warehouse.LoadRequest{Table: "files", Sources: []string{stageFiles(t, stage, "a.parquet", "a", 1, 1, 2)}, Mode: warehouse.Append})
	before := numRows(t, d, "files")
	src := stageFiles(t, stage, "b.parquet", "a", 1, 3)
	tests := []struct {
		name   string
		mode   warehouse.Mode
		where  []warehouse.Param
		table  string
		schema warehouse.Schema
		naming string // the error names this column
	}{
		{"no condition", warehouse.Replace, nil, "files", nil, ""},
		{"empty condition list", warehouse.Replace, []warehouse.Param{}, "files", nil, ""},
		{"unknown column", warehouse.Replace, []warehouse.Param{{Name: "no_such_column", Value: "a"}}, "files", nil, "no_such_column"},
		{"unknown column among known", warehouse.Replace, []warehouse.Param{{Name: "source file", Value: "a"}, {Name: "nope", Value: int64(1)}}, "files", nil, "nope"},
		{"unknown column, table created from schema", warehouse.Replace, []warehouse.Param{{Name: "nope", Value: "a"}}, "fresh", filesSchema, "nope"},
		{"column twice", warehouse.Replace, []warehouse.Param{{Name: "batch", Value: int64(1)}, {Name: "batch", Value: int64(2)}}, "files", nil, "batch"},
		{"nil value", warehouse.Replace, []warehouse.Param{{Name: "source file", Value: nil}}, "files", nil, "source file"},
		{"string for INT64", warehouse.Replace, []warehouse.Param{{Name: "batch", Value: "1"}}, "files", nil, "batch"},
		{"int for INT64", warehouse.Replace, []warehouse.Param{{Name: "batch", Value: 1}}, "files", nil, "batch"},
		{"int64 for STRING", warehouse.Replace, []warehouse.Param{{Name: "source file", Value: int64(1)}}, "files", nil, "source file"},
		{"ReplaceWhere with Append", warehouse.Append, []warehouse.Param{{Name: "source file", Value: "a"}}, "files", nil, ""},
		{"ReplaceWhere with Truncate", warehouse.Truncate, []warehouse.Param{{Name: "source file", Value: "a"}}, "files", nil, ""},
	}
	for _, tt := range tests {
		_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: Dataset, Table: tt.table, Sources: []string{src}, Format: warehouse.Parquet,
			Mode: tt.mode, ReplaceWhere: tt.where, Schema: tt.schema})
		wantKind(t, tt.name, err, errs.Invalid)
		if err != nil && tt.naming != "" && !strings.Contains(err.Error(), tt.naming) {
			t.Errorf("%s: error %q does not name column %q", tt.name, err, tt.naming)
		}
	}
	if n := numRows(t, d, "files"); n != before {
		t.Errorf("NumRows = %d after refused loads, want %d", n, before)
	}
	_, err := d.DescribeTable(ctx, Dataset, "fresh")
	wantKind(t, "table created by a refused load", err, errs.NotFound)
}

// runQuery covers typed results of every type (loaded from Parquet),
// parameters of every type, array parameters, maxRows, quoted identifiers,
// error kinds and cancellation.
func runQuery(t *testing.T, h Harness) {
	open, stage := h.Open, h.Stage
	t.Run("AllTypes", h.need(func(t *testing.T) { testAllTypes(t, open, stage) }, LoadData, RunSQL))
	t.Run("NumericExact", h.need(func(t *testing.T) { testNumericExact(t, open, stage) }, LoadData, RunSQL))
	t.Run("Params", h.need(func(t *testing.T) { testParams(t, open, stage) }, LoadData, RunSQL))
	t.Run("ArrayParams", h.need(func(t *testing.T) { testArrayParams(t, open, stage) }, LoadData, RunSQL))
	t.Run("ArrayParamsInvalid", func(t *testing.T) { RunArrayParamsInvalid(t, open) })
	t.Run("MaxRows", h.need(func(t *testing.T) { testMaxRows(t, open, stage) }, LoadData, RunSQL))
	t.Run("QuotedIdentifiers", h.need(func(t *testing.T) { testQuotedIdentifiers(t, open, stage) }, LoadData, RunSQL))
	t.Run("Errors", h.need(func(t *testing.T) { testQueryErrors(t, open) }, RunSQL))
}

// ---- helpers

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openT opens a driver and puts the portable type in front of it, as the
// code uses it (the Warehouse validates requests and classifies errors).
func openT(t *testing.T, open func(t *testing.T) warehouse.Driver) warehouse.Driver {
	t.Helper()
	d := warehouse.New(open(t))
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, kind)
		return
	}
	if got := errs.KindOf(err); got != kind {
		t.Errorf("%s: error kind %s (%v), want %s", what, got, err, kind)
	}
}

// ordersSchema is the table most load tests use.
var ordersSchema = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64},
	{Name: "customer", Type: warehouse.String, Nullable: true},
	{Name: "amount", Type: warehouse.Float64, Nullable: true},
	{Name: "ordered_at", Type: warehouse.Timestamp, Nullable: true},
}

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535000000, time.UTC)

func ordersRows(ids ...int64) [][]any {
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, fmt.Sprintf("c%d", id), float64(id) * 1.5, t0.Add(time.Duration(id) * time.Hour)}
	}
	return rows
}

func parquetT(t *testing.T, schema warehouse.Schema, rows [][]any) []byte {
	t.Helper()
	b, err := ParquetFile(schema, rows)
	must(t, err)
	return b
}

func stageOrders(t *testing.T, stage func(t *testing.T, name string, data []byte) string, name string, ids ...int64) string {
	t.Helper()
	return stage(t, name, parquetT(t, ordersSchema, ordersRows(ids...)))
}

func setupOrders(t *testing.T, d warehouse.Driver, table string) {
	t.Helper()
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, table, ordersSchema))
}

func load(t *testing.T, d warehouse.Driver, req warehouse.LoadRequest) warehouse.LoadResult {
	t.Helper()
	if req.Dataset == "" {
		req.Dataset = Dataset
	}
	if req.Format == "" {
		req.Format = warehouse.Parquet
	}
	res, err := d.Load(ctxT(t), req)
	if err != nil {
		t.Fatalf("Load %s %v: %v", req.Mode, req.Sources, err)
	}
	if res.JobID == "" {
		t.Errorf("Load: empty JobID")
	}
	return res
}

func table(d warehouse.Driver, name string) string {
	return warehouse.QuoteTable(d.Dialect(), Dataset, name)
}

func qi(d warehouse.Driver, name string) string { return warehouse.QuoteIdent(d.Dialect(), name) }

func query(t *testing.T, d warehouse.Driver, sql string, params ...warehouse.Param) warehouse.Result {
	t.Helper()
	res, err := d.Query(ctxT(t), sql, params, 0)
	if err != nil {
		t.Fatalf("Query %s: %v", sql, err)
	}
	return res
}

// idsAndCustomers returns "id:customer" for each row, ordered by id.
func idsAndCustomers(t *testing.T, d warehouse.Driver, tbl string) []string {
	t.Helper()
	res := query(t, d, "SELECT id, customer FROM "+table(d, tbl)+" ORDER BY id")
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = fmt.Sprintf("%v:%v", r[0], r[1])
	}
	return out
}

func numRows(t *testing.T, d warehouse.Driver, tbl string) int64 {
	t.Helper()
	tb, err := d.DescribeTable(ctxT(t), Dataset, tbl)
	must(t, err)
	return tb.NumRows
}

// ---- catalog

var allTypesSchema = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64},
	{Name: "s", Type: warehouse.String, Nullable: true},
	{Name: "i", Type: warehouse.Int64, Nullable: true},
	{Name: "f", Type: warehouse.Float64, Nullable: true},
	{Name: "n", Type: warehouse.Numeric, Nullable: true},
	{Name: "b", Type: warehouse.Bool, Nullable: true},
	{Name: "d", Type: warehouse.Date, Nullable: true},
	{Name: "ts", Type: warehouse.Timestamp, Nullable: true},
	{Name: "tm", Type: warehouse.Time, Nullable: true},
	{Name: "j", Type: warehouse.JSON, Nullable: true},
	{Name: "by", Type: warehouse.Bytes, Nullable: true},
}

func testCatalog(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	d := openT(t, open)
	ctx := ctxT(t)
	if dl := d.Dialect(); dl != warehouse.DuckDB && dl != warehouse.BigQuery {
		t.Errorf("Dialect = %q", dl)
	}
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateDataset(ctx, Dataset)) // idempotent
	must(t, d.CreateTable(ctx, Dataset, "types", allTypesSchema))
	must(t, d.CreateTable(ctx, Dataset, "orders", ordersSchema))
	wantKind(t, "CreateTable twice", d.CreateTable(ctx, Dataset, "orders", ordersSchema), errs.Conflict)
	wantKind(t, "CreateTable bad type", d.CreateTable(ctx, Dataset, "bad", warehouse.Schema{{Name: "x", Type: "INTEGERISH"}}), errs.Invalid)

	tb, err := d.DescribeTable(ctx, Dataset, "types")
	must(t, err)
	if tb.Dataset != Dataset || tb.Name != "types" || tb.NumRows != 0 {
		t.Errorf("DescribeTable = %+v", tb)
	}
	checkSchema(t, tb.Schema, allTypesSchema)
	if !tb.Created.IsZero() && time.Since(tb.Created) > time.Hour {
		t.Errorf("Created = %v, want recent or zero", tb.Created)
	}

	list, err := d.ListTables(ctx, Dataset)
	must(t, err)
	var names []string
	for _, x := range list {
		names = append(names, x.Name)
		if x.Dataset != Dataset {
			t.Errorf("ListTables: table %q has dataset %q", x.Name, x.Dataset)
		}
		if x.Name == "orders" {
			checkSchema(t, x.Schema, ordersSchema)
		}
	}
	if !slices.Equal(names, []string{"orders", "types"}) {
		t.Errorf("ListTables = %v, want [orders types]", names)
	}

	must(t, d.DropTable(ctx, Dataset, "types"))
	_, err = d.DescribeTable(ctx, Dataset, "types")
	wantKind(t, "DescribeTable after drop", err, errs.NotFound)
	list, err = d.ListTables(ctx, Dataset)
	must(t, err)
	if len(list) != 1 || list[0].Name != "orders" {
		t.Errorf("ListTables after drop = %v", list)
	}
}

func checkSchema(t *testing.T, got, want warehouse.Schema) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("schema has %d columns %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Type != want[i].Type || got[i].Nullable != want[i].Nullable {
			t.Errorf("column %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testNotFound(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	d := openT(t, open)
	ctx := ctxT(t)
	_, err := d.DescribeTable(ctx, "no_such_dataset", "t")
	wantKind(t, "DescribeTable missing dataset", err, errs.NotFound)
	_, err = d.ListTables(ctx, "no_such_dataset")
	wantKind(t, "ListTables missing dataset", err, errs.NotFound)
	wantKind(t, "CreateTable missing dataset", d.CreateTable(ctx, "no_such_dataset", "t", ordersSchema), errs.NotFound)
	must(t, d.CreateDataset(ctx, Dataset))
	_, err = d.DescribeTable(ctx, Dataset, "no_such_table")
	wantKind(t, "DescribeTable missing table", err, errs.NotFound)
	wantKind(t, "DropTable missing table", d.DropTable(ctx, Dataset, "no_such_table"), errs.NotFound)
	list, err := d.ListTables(ctx, Dataset)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("ListTables of empty dataset = %v", list)
	}
}

// awkward names: a reserved word, a space, mixed case.
var quotedSchema = warehouse.Schema{
	{Name: "select", Type: warehouse.Int64},
	{Name: "unit price", Type: warehouse.Float64, Nullable: true},
	{Name: "Order Date", Type: warehouse.Date, Nullable: true},
}

func testQuotedSchema(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "order lines", quotedSchema))
	tb, err := d.DescribeTable(ctx, Dataset, "order lines")
	must(t, err)
	checkSchema(t, tb.Schema, quotedSchema)
	must(t, d.DropTable(ctx, Dataset, "order lines"))
}

// ---- load

func testAppend(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	before, err := d.DescribeTable(ctxT(t), Dataset, "orders")
	must(t, err)

	a := stageOrders(t, stage, "a.parquet", 1, 2, 3)
	res := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{a}, Mode: warehouse.Append,
		Labels: map[string]string{"run": "r1"}})
	if res.RowsLoaded != 3 {
		t.Errorf("RowsLoaded = %d, want 3", res.RowsLoaded)
	}
	if n := numRows(t, d, "orders"); n != 3 {
		t.Errorf("NumRows = %d, want 3", n)
	}
	b := stageOrders(t, stage, "b.parquet", 4, 5)
	c := stageOrders(t, stage, "c.parquet", 6)
	res2 := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{b, c}, Mode: warehouse.Append})
	if res2.RowsLoaded != 3 {
		t.Errorf("RowsLoaded of two files = %d, want 3", res2.RowsLoaded)
	}
	if res2.JobID == res.JobID {
		t.Errorf("two loads share JobID %q", res.JobID)
	}
	after, err := d.DescribeTable(ctxT(t), Dataset, "orders")
	must(t, err)
	if after.NumRows != 6 {
		t.Errorf("NumRows = %d, want 6", after.NumRows)
	}
	if after.NumBytes <= 0 {
		t.Errorf("NumBytes = %d, want > 0", after.NumBytes)
	}
	if !after.Modified.IsZero() && !before.Modified.IsZero() && after.Modified.Before(before.Modified) {
		t.Errorf("Modified went back: %v -> %v", before.Modified, after.Modified)
	}
	got := idsAndCustomers(t, d, "orders")
	want := []string{"1:c1", "2:c2", "3:c3", "4:c4", "5:c5", "6:c6"}
	if !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	// Values survive the round trip, the timestamp included.
	r := query(t, d, "SELECT amount, ordered_at FROM "+table(d, "orders")+" WHERE id = 2")
	if len(r.Rows) != 1 || r.Rows[0][0] != 3.0 || !timeEq(r.Rows[0][1], t0.Add(2*time.Hour)) {
		t.Errorf("row 2 = %v", r.Rows)
	}
}

func timeEq(v any, want time.Time) bool {
	tm, ok := v.(time.Time)
	return ok && tm.Equal(want)
}

func testTruncate(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3)}, Mode: warehouse.Append})
	res := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "b.parquet", 7, 8)}, Mode: warehouse.Truncate})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	if got, want := idsAndCustomers(t, d, "orders"), []string{"7:c7", "8:c8"}; !slices.Equal(got, want) {
		t.Errorf("rows after truncate = %v, want %v", got, want)
	}
}

func testMerge(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3)}, Mode: warehouse.Append})
	upd := parquetT(t, ordersSchema, [][]any{
		{int64(2), "changed", 99.5, t0},
		{int64(4), "new", 4.0, nil},
	})
	res := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stage(t, "m.parquet", upd)}, Mode: warehouse.Merge,
		MergeKeys: []string{"id"}})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	if got, want := idsAndCustomers(t, d, "orders"), []string{"1:c1", "2:changed", "3:c3", "4:new"}; !slices.Equal(got, want) {
		t.Errorf("rows after merge = %v, want %v", got, want)
	}
	r := query(t, d, "SELECT amount, ordered_at FROM "+table(d, "orders")+" WHERE id = 4")
	if len(r.Rows) != 1 || r.Rows[0][0] != 4.0 || r.Rows[0][1] != nil {
		t.Errorf("merged new row = %v", r.Rows)
	}
	// Merging the same file again changes nothing.
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stage(t, "m2.parquet", upd)}, Mode: warehouse.Merge, MergeKeys: []string{"id"}})
	if n := numRows(t, d, "orders"); n != 4 {
		t.Errorf("NumRows after second merge = %d, want 4", n)
	}
	_, err := d.Load(ctxT(t), warehouse.LoadRequest{Dataset: Dataset, Table: "orders", Sources: []string{stage(t, "m3.parquet", upd)},
		Format: warehouse.Parquet, Mode: warehouse.Merge})
	wantKind(t, "Merge without keys", err, errs.Invalid)
}

func testLoadCreates(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	src := stageOrders(t, stage, "a.parquet", 1, 2)
	_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: Dataset, Table: "fresh", Sources: []string{src}, Format: warehouse.Parquet, Mode: warehouse.Append})
	wantKind(t, "Load into missing table without schema", err, errs.NotFound)
	res := load(t, d, warehouse.LoadRequest{Table: "fresh", Sources: []string{src}, Mode: warehouse.Append, Schema: ordersSchema})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	tb, err := d.DescribeTable(ctx, Dataset, "fresh")
	must(t, err)
	checkSchema(t, tb.Schema, ordersSchema)
	if tb.NumRows != 2 {
		t.Errorf("NumRows = %d, want 2", tb.NumRows)
	}
}

func testMissingColumns(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	// Only two of the four columns, in another order.
	part := warehouse.Schema{{Name: "customer", Type: warehouse.String}, {Name: "id", Type: warehouse.Int64}}
	src := stage(t, "part.parquet", parquetT(t, part, [][]any{{"x", int64(10)}}))
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{src}, Mode: warehouse.Append})
	r := query(t, d, "SELECT id, customer, amount, ordered_at FROM "+table(d, "orders"))
	if len(r.Rows) != 1 || r.Rows[0][0] != int64(10) || r.Rows[0][1] != "x" || r.Rows[0][2] != nil || r.Rows[0][3] != nil {
		t.Errorf("rows = %v, want [[10 x <nil> <nil>]]", r.Rows)
	}
}

func testUnknownColumn(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	extra := append(slices.Clone(ordersSchema), warehouse.Column{Name: "surprise", Type: warehouse.String})
	rows := ordersRows(1)
	rows[0] = append(rows[0], "boo")
	src := stage(t, "extra.parquet", parquetT(t, extra, rows))
	_, err := d.Load(ctxT(t), warehouse.LoadRequest{Dataset: Dataset, Table: "orders", Sources: []string{src}, Format: warehouse.Parquet, Mode: warehouse.Append})
	wantKind(t, "Load with unknown column", err, errs.Invalid)
	if err != nil && !strings.Contains(err.Error(), "surprise") {
		t.Errorf("error %q does not name the column", err)
	}
	if n := numRows(t, d, "orders"); n != 0 {
		t.Errorf("NumRows = %d after failed load", n)
	}
}

func testAllOrNothing(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3)}, Mode: warehouse.Append})
	before := idsAndCustomers(t, d, "orders")
	good := stageOrders(t, stage, "good.parquet", 4, 5)
	corrupt := stage(t, "corrupt.parquet", []byte("PAR1 this is not a parquet file PAR1"))
	// A file whose values do not fit the table: a string in the id column.
	badType := stage(t, "badtype.parquet", parquetT(t, warehouse.Schema{{Name: "id", Type: warehouse.String}}, [][]any{{"not a number"}}))
	for _, mode := range []warehouse.Mode{warehouse.Append, warehouse.Truncate, warehouse.Merge} {
		for _, bad := range []string{corrupt, badType} {
			_, err := d.Load(ctxT(t), warehouse.LoadRequest{Dataset: Dataset, Table: "orders", Sources: []string{good, bad},
				Format: warehouse.Parquet, Mode: mode, MergeKeys: []string{"id"}})
			if err == nil {
				t.Errorf("%s load with a bad file succeeded", mode)
			}
			if got := idsAndCustomers(t, d, "orders"); !slices.Equal(got, before) {
				t.Errorf("%s load with a bad file changed the table: %v, want %v", mode, got, before)
			}
		}
	}
	// A load into a table it would create leaves no table behind.
	_, err := d.Load(ctxT(t), warehouse.LoadRequest{Dataset: Dataset, Table: "fresh", Sources: []string{good, corrupt},
		Format: warehouse.Parquet, Mode: warehouse.Append, Schema: ordersSchema})
	if err == nil {
		t.Errorf("load with a bad file succeeded")
	}
	_, err = d.DescribeTable(ctxT(t), Dataset, "fresh")
	wantKind(t, "table created by a failed load", err, errs.NotFound)
}

func testCSV(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	csv := "id,customer,amount,ordered_at\n" +
		"1,\"Smith, J\",2.5,2025-03-14 15:09:26.535+00\n" +
		"2,,,\n"
	res := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stage(t, "a.csv", []byte(csv))}, Format: warehouse.CSV, Mode: warehouse.Append})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	r := query(t, d, "SELECT id, customer, amount, ordered_at FROM "+table(d, "orders")+" ORDER BY id")
	if len(r.Rows) != 2 {
		t.Fatalf("rows = %v", r.Rows)
	}
	if r.Rows[0][0] != int64(1) || r.Rows[0][1] != "Smith, J" || r.Rows[0][2] != 2.5 || !timeEq(r.Rows[0][3], t0) {
		t.Errorf("row 1 = %v", r.Rows[0])
	}
	if r.Rows[1][0] != int64(2) || r.Rows[1][2] != nil || r.Rows[1][3] != nil {
		t.Errorf("row 2 = %v", r.Rows[1])
	}
	// Columns are taken in order, whatever the header says.
	other := "Order No,Customer Name,Total,When\n3,z,1,\n"
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stage(t, "b.csv", []byte(other))}, Format: warehouse.CSV, Mode: warehouse.Append})
	if got, want := idsAndCustomers(t, d, "orders"), []string{"1:Smith, J", "2:<nil>", "3:z"}; !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	// A value that does not fit its column fails the load.
	bad := "id,customer,amount,ordered_at\nx,y,1,\n"
	_, err := d.Load(ctxT(t), warehouse.LoadRequest{Dataset: Dataset, Table: "orders", Sources: []string{stage(t, "c.csv", []byte(bad))}, Format: warehouse.CSV, Mode: warehouse.Append})
	wantKind(t, "CSV with a bad value", err, errs.Invalid)
}

func testJSONL(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	jsonl := `{"id": 1, "customer": "a", "amount": 1.25, "ordered_at": "2025-03-14T15:09:26.535Z"}` + "\n" +
		`{"id": 2, "customer": null}` + "\n"
	res := load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stage(t, "a.jsonl", []byte(jsonl))}, Format: warehouse.JSONL, Mode: warehouse.Append})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	r := query(t, d, "SELECT id, customer, amount, ordered_at FROM "+table(d, "orders")+" ORDER BY id")
	if len(r.Rows) != 2 || r.Rows[0][1] != "a" || r.Rows[0][2] != 1.25 || !timeEq(r.Rows[0][3], t0) || r.Rows[1][1] != nil {
		t.Errorf("rows = %v", r.Rows)
	}
}

// ---- replace

// filesSchema is a table with lineage-like columns for Replace loads; the
// condition columns have awkward names.
var filesSchema = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64},
	{Name: "customer", Type: warehouse.String, Nullable: true},
	{Name: "source file", Type: warehouse.String, Nullable: true},
	{Name: "batch", Type: warehouse.Int64, Nullable: true},
	{Name: "loaded_at", Type: warehouse.Timestamp, Nullable: true},
}

// stageFiles stages a Parquet file of filesSchema rows with the given ids,
// all from source file src, batch and loaded at t0.
func stageFiles(t *testing.T, stage func(t *testing.T, name string, data []byte) string, name, src string, batch int64, ids ...int64) string {
	t.Helper()
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, fmt.Sprintf("c%d", id), src, batch, t0}
	}
	return stage(t, name, parquetT(t, filesSchema, rows))
}

// filesRows returns "id:source:batch" for each row, ordered by id.
func filesRows(t *testing.T, d warehouse.Driver, tbl string) []string {
	t.Helper()
	res := query(t, d, "SELECT id, "+qi(d, "source file")+", batch FROM "+table(d, tbl)+" ORDER BY id")
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = fmt.Sprintf("%v:%v:%v", r[0], r[1], r[2])
	}
	return out
}

func replace(t *testing.T, d warehouse.Driver, tbl string, src string, where ...warehouse.Param) warehouse.LoadResult {
	t.Helper()
	return load(t, d, warehouse.LoadRequest{Table: tbl, Sources: []string{src}, Mode: warehouse.Replace, ReplaceWhere: where})
}

func testReplace(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "files", filesSchema))
	// A file name with a quote: the value must be bound, not spliced.
	const a, b = "in/it's a.csv", "in/b.csv"
	load(t, d, warehouse.LoadRequest{Table: "files", Sources: []string{stageFiles(t, stage, "a1.parquet", a, 1, 1, 2, 3)}, Mode: warehouse.Append})
	load(t, d, warehouse.LoadRequest{Table: "files", Sources: []string{stageFiles(t, stage, "b1.parquet", b, 1, 4, 5)}, Mode: warehouse.Append})

	// A new version of a: its three rows give way to two new ones.
	res := replace(t, d, "files", stageFiles(t, stage, "a2.parquet", a, 2, 1, 6), warehouse.Param{Name: "source file", Value: a})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	want := []string{"1:" + a + ":2", "4:" + b + ":1", "5:" + b + ":1", "6:" + a + ":2"}
	if got := filesRows(t, d, "files"); !slices.Equal(got, want) {
		t.Errorf("rows after replace = %v, want %v", got, want)
	}
	if n := numRows(t, d, "files"); n != 4 {
		t.Errorf("NumRows = %d, want 4", n)
	}
	// Replacing with the same version again changes nothing.
	replace(t, d, "files", stageFiles(t, stage, "a3.parquet", a, 2, 1, 6), warehouse.Param{Name: "source file", Value: a})
	if got := filesRows(t, d, "files"); !slices.Equal(got, want) {
		t.Errorf("rows after replacing again = %v, want %v", got, want)
	}
	// A condition that matches nothing only appends.
	res = replace(t, d, "files", stageFiles(t, stage, "c.parquet", "in/c.csv", 1, 7), warehouse.Param{Name: "source file", Value: "in/c.csv"})
	if res.RowsLoaded != 1 {
		t.Errorf("RowsLoaded = %d, want 1", res.RowsLoaded)
	}
	if n := numRows(t, d, "files"); n != 5 {
		t.Errorf("NumRows after replace matching nothing = %d, want 5", n)
	}
	// Values are compared, not patterns: a LIKE-ish value deletes nothing.
	replace(t, d, "files", stageFiles(t, stage, "d.parquet", "in/%", 1, 8), warehouse.Param{Name: "source file", Value: "in/%"})
	if n := numRows(t, d, "files"); n != 6 {
		t.Errorf("NumRows after replace of in/%% = %d, want 6", n)
	}
	// The column name is matched case-insensitively, like the backends do.
	res = replace(t, d, "files", stageFiles(t, stage, "b2.parquet", b, 3, 9), warehouse.Param{Name: "Source File", Value: b})
	if res.RowsLoaded != 1 {
		t.Errorf("RowsLoaded = %d, want 1", res.RowsLoaded)
	}
	want = []string{"1:" + a + ":2", "6:" + a + ":2", "7:in/c.csv:1", "8:in/%:1", "9:" + b + ":3"}
	if got := filesRows(t, d, "files"); !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

func testReplaceCreates(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	src := stageFiles(t, stage, "a.parquet", "a", 1, 1, 2)
	where := []warehouse.Param{{Name: "source file", Value: "a"}}
	_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: Dataset, Table: "fresh", Sources: []string{src}, Format: warehouse.Parquet,
		Mode: warehouse.Replace, ReplaceWhere: where})
	wantKind(t, "Replace into a missing table without schema", err, errs.NotFound)
	res := load(t, d, warehouse.LoadRequest{Table: "fresh", Sources: []string{src}, Mode: warehouse.Replace, ReplaceWhere: where, Schema: filesSchema})
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	tb, err := d.DescribeTable(ctx, Dataset, "fresh")
	must(t, err)
	checkSchema(t, tb.Schema, filesSchema)
	if got, want := filesRows(t, d, "fresh"), []string{"1:a:1", "2:a:1"}; !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

func testReplaceMulti(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "files", filesSchema))
	load(t, d, warehouse.LoadRequest{Table: "files", Sources: []string{
		stageFiles(t, stage, "a1.parquet", "a", 1, 1, 2),
		stageFiles(t, stage, "a2.parquet", "a", 2, 3),
		stageFiles(t, stage, "b1.parquet", "b", 1, 4),
	}, Mode: warehouse.Append})
	// Only rows matching every condition go: file a AND batch 1 AND the
	// load time (a string, an int64 and a time.Time condition).
	res := replace(t, d, "files", stageFiles(t, stage, "new.parquet", "a", 1, 5),
		warehouse.Param{Name: "source file", Value: "a"}, warehouse.Param{Name: "batch", Value: int64(1)},
		warehouse.Param{Name: "loaded_at", Value: t0.In(time.FixedZone("X", 5*3600))})
	if res.RowsLoaded != 1 {
		t.Errorf("RowsLoaded = %d, want 1", res.RowsLoaded)
	}
	want := []string{"3:a:2", "4:b:1", "5:a:1"}
	if got := filesRows(t, d, "files"); !slices.Equal(got, want) {
		t.Errorf("rows after replace = %v, want %v", got, want)
	}
	// A time that differs by a microsecond matches nothing.
	replace(t, d, "files", stageFiles(t, stage, "new2.parquet", "b", 1, 6),
		warehouse.Param{Name: "source file", Value: "b"}, warehouse.Param{Name: "loaded_at", Value: t0.Add(time.Microsecond)})
	if n := numRows(t, d, "files"); n != 4 {
		t.Errorf("NumRows = %d, want 4 (nothing deleted)", n)
	}
}

func testReplaceAllOrNothing(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "files", filesSchema))
	load(t, d, warehouse.LoadRequest{Table: "files", Sources: []string{stageFiles(t, stage, "a.parquet", "a", 1, 1, 2, 3)}, Mode: warehouse.Append})
	before := filesRows(t, d, "files")
	good := stageFiles(t, stage, "good.parquet", "a", 2, 4, 5)
	corrupt := stage(t, "corrupt.parquet", []byte("PAR1 this is not a parquet file PAR1"))
	badType := stage(t, "badtype.parquet", parquetT(t, warehouse.Schema{{Name: "id", Type: warehouse.String}}, [][]any{{"not a number"}}))
	extra := append(slices.Clone(filesSchema), warehouse.Column{Name: "surprise", Type: warehouse.String})
	unknownCol := stage(t, "extra.parquet", parquetT(t, extra, [][]any{{int64(6), "c6", "a", int64(2), t0, "boo"}}))
	// A NULL into the NOT NULL id column.
	nullID := stage(t, "nullid.parquet", parquetT(t, filesSchema, [][]any{{nil, "c7", "a", int64(2), t0}}))
	where := []warehouse.Param{{Name: "source file", Value: "a"}}
	for _, tt := range []struct {
		name    string
		sources []string
	}{
		{"corrupt file", []string{good, corrupt}},
		{"bad type", []string{good, badType}},
		{"unknown column", []string{good, unknownCol}},
		{"null in NOT NULL column", []string{good, nullID}},
		{"bad file alone", []string{corrupt}},
	} {
		_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: Dataset, Table: "files", Sources: tt.sources, Format: warehouse.Parquet,
			Mode: warehouse.Replace, ReplaceWhere: where})
		if err == nil {
			t.Errorf("replace with %s succeeded", tt.name)
		}
		if got := filesRows(t, d, "files"); !slices.Equal(got, before) {
			t.Errorf("replace with %s changed the table: %v, want %v", tt.name, got, before)
		}
	}
	// A replace into a table it would create leaves no table behind.
	_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: Dataset, Table: "fresh", Sources: []string{good, corrupt}, Format: warehouse.Parquet,
		Mode: warehouse.Replace, ReplaceWhere: where, Schema: filesSchema})
	if err == nil {
		t.Errorf("replace with a bad file into a new table succeeded")
	}
	_, err = d.DescribeTable(ctx, Dataset, "fresh")
	wantKind(t, "table created by a failed replace", err, errs.NotFound)
	// And afterwards the good file replaces as usual.
	res := replace(t, d, "files", good, where...)
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	if got, want := filesRows(t, d, "files"), []string{"4:a:2", "5:a:2"}; !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

// ---- query

var (
	tsVal   = time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	dateVal = time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	timeVal = time.Date(1, 1, 1, 13, 14, 15, 250000000, time.UTC)
)

func testAllTypes(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "types", allTypesSchema))
	full := []any{int64(1), "héllo", int64(-42), 3.25, 1234.5, true, dateVal, tsVal, timeVal, `{"a":[1,2]}`, []byte{0, 1, 255}}
	null := []any{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
	src := stage(t, "types.parquet", parquetT(t, allTypesSchema, [][]any{full, null}))
	load(t, d, warehouse.LoadRequest{Table: "types", Sources: []string{src}, Mode: warehouse.Append})

	res := query(t, d, "SELECT * FROM "+table(d, "types")+" ORDER BY id")
	if len(res.Columns) != len(allTypesSchema) {
		t.Fatalf("columns = %v", res.Columns)
	}
	for i, c := range allTypesSchema {
		if res.Columns[i].Name != c.Name || res.Columns[i].Type != c.Type {
			t.Errorf("result column %d = %+v, want %s %s", i, res.Columns[i], c.Name, c.Type)
		}
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows = %v", res.Rows)
	}
	want := []any{int64(1), "héllo", int64(-42), 3.25, "1234.5", true, dateVal, tsVal, "13:14:15.25", `{"a":[1,2]}`, []byte{0, 1, 255}}
	for i, w := range want {
		if !cellEq(res.Rows[0][i], w) {
			t.Errorf("%s = %#v (%T), want %#v (%T)", allTypesSchema[i].Name, res.Rows[0][i], res.Rows[0][i], w, w)
		}
		if i > 0 && res.Rows[1][i] != nil {
			t.Errorf("NULL %s = %#v, want nil", allTypesSchema[i].Name, res.Rows[1][i])
		}
	}
}

// testNumericExact: NUMERIC cells come back as exact decimal text (see
// warehouse.Result), values and sums float64 cannot hold included, and a
// SUM over many rows does not drift.
func testNumericExact(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	schema := warehouse.Schema{{Name: "id", Type: warehouse.Int64}, {Name: "amount", Type: warehouse.Numeric, Nullable: true}}
	must(t, d.CreateDataset(ctx, Dataset))
	must(t, d.CreateTable(ctx, Dataset, "revenue", schema))
	values := []string{"12345678901234567890.123456789", "0.1", "-0.000000001", "0", "99999999999999999999.999999999", "-7"}
	rows := make([][]any, len(values))
	for i, v := range values {
		rows[i] = []any{int64(i), v}
	}
	load(t, d, warehouse.LoadRequest{Table: "revenue", Sources: []string{stage(t, "revenue.parquet", parquetT(t, schema, rows))}, Mode: warehouse.Append})

	res := query(t, d, "SELECT amount FROM "+table(d, "revenue")+" ORDER BY id")
	if res.Columns[0].Type != warehouse.Numeric {
		t.Errorf("column type %s, want NUMERIC", res.Columns[0].Type)
	}
	for i, want := range values {
		if i < len(res.Rows) && res.Rows[i][0] != want {
			t.Errorf("row %d: %#v (%T), want %q", i, res.Rows[i][0], res.Rows[i][0], want)
		}
	}
	sum := "SELECT SUM(amount) AS total FROM " + table(d, "revenue") + " WHERE id < 4"
	if res := query(t, d, sum); res.Rows[0][0] != "12345678901234567890.223456788" {
		t.Errorf("SUM = %#v, want 12345678901234567890.223456788", res.Rows[0][0])
	}
	// 0.1 added a million times, plus one smallest unit: exactly
	// 100000.000000001 (float64 addition drifts to 100000.00000133288).
	many := "SELECT SUM(CAST('0.1' AS NUMERIC)) + CAST('0.000000001' AS NUMERIC) AS total FROM UNNEST(GENERATE_ARRAY(1, 1000000)) AS i"
	if d.Dialect() == warehouse.DuckDB {
		many = "SELECT SUM(CAST('0.1' AS DECIMAL(38, 9))) + CAST('0.000000001' AS DECIMAL(38, 9)) AS total FROM range(1000000)"
	}
	res = query(t, d, many)
	if res.Rows[0][0] != "100000.000000001" || res.Columns[0].Type != warehouse.Numeric {
		t.Errorf("SUM of a million 0.1 = %#v (%s), want \"100000.000000001\" (NUMERIC)", res.Rows[0][0], res.Columns[0].Type)
	}
}

// cellEq compares result cells: times by instant, JSON text ignoring spaces.
func cellEq(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case []byte:
		g, ok := got.([]byte)
		return ok && bytes.Equal(g, w)
	case string:
		g, ok := got.(string)
		if strings.HasPrefix(w, "{") {
			return ok && strings.ReplaceAll(g, " ", "") == w
		}
		return ok && g == w
	}
	return got == want
}

func testParams(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3, 4)}, Mode: warehouse.Append})

	// Each parameter type, used in a filter.
	tests := []struct {
		where string
		p     warehouse.Param
		want  []int64
	}{
		{"id = @id", warehouse.Param{Name: "id", Value: int64(2)}, []int64{2}},
		{"customer = @c", warehouse.Param{Name: "c", Value: "c3"}, []int64{3}},
		{"amount > @amt", warehouse.Param{Name: "amt", Value: 4.4}, []int64{3, 4}},
		{"ordered_at >= @since", warehouse.Param{Name: "since", Value: t0.Add(3 * time.Hour)}, []int64{3, 4}},
		{"(id > 2) = @flag", warehouse.Param{Name: "flag", Value: false}, []int64{1, 2}},
		{"customer = '@id' OR id = @id", warehouse.Param{Name: "id", Value: int64(1)}, []int64{1}},
	}
	for _, tt := range tests {
		res, err := d.Query(ctxT(t), "SELECT id FROM "+table(d, "orders")+" WHERE "+tt.where+" ORDER BY id", []warehouse.Param{tt.p}, 0)
		if err != nil {
			t.Errorf("%s: %v", tt.where, err)
			continue
		}
		if got := firstInts(res); !slices.Equal(got, tt.want) {
			t.Errorf("%s with %v: ids %v, want %v", tt.where, tt.p.Value, got, tt.want)
		}
	}

	// Parameters come back typed, NULL included.
	castNull := "CAST(@nothing AS STRING)"
	if d.Dialect() == warehouse.DuckDB {
		castNull = "CAST(@nothing AS VARCHAR)"
	}
	res, err := d.Query(ctxT(t), "SELECT @s AS s, @i AS i, @f AS f, @b AS b, @ts AS ts, "+castNull+" AS nothing, '@s' AS lit", []warehouse.Param{
		{Name: "s", Value: "x'y"}, {Name: "i", Value: int64(7)}, {Name: "f", Value: 0.5}, {Name: "b", Value: true},
		{Name: "ts", Value: tsVal}, {Name: "nothing", Value: nil},
	}, 0)
	must(t, err)
	want := []any{"x'y", int64(7), 0.5, true, tsVal, nil, "@s"}
	if len(res.Rows) != 1 || len(res.Rows[0]) != len(want) {
		t.Fatalf("rows = %v", res.Rows)
	}
	for i, w := range want {
		if w == nil {
			if res.Rows[0][i] != nil {
				t.Errorf("column %d = %#v, want nil", i, res.Rows[0][i])
			}
			continue
		}
		if !cellEq(res.Rows[0][i], w) {
			t.Errorf("column %s = %#v, want %#v", res.Columns[i].Name, res.Rows[0][i], w)
		}
	}

	_, err = d.Query(ctxT(t), "SELECT @missing", nil, 0)
	wantKind(t, "Query with a missing parameter", err, errs.Invalid)
}

// firstInts returns the first column of res's rows, INT64 cells.
func firstInts(res warehouse.Result) []int64 {
	var out []int64
	for _, r := range res.Rows {
		n, _ := r[0].(int64)
		out = append(out, n)
	}
	return out
}

// quotedValues are array elements that would break SQL if they were
// inlined.
var quotedValues = []string{"it's", `a"b`, "x'); DROP TABLE orders; --", "@id", ""}

// testArrayParams: an array parameter used as an IN list (warehouse.InArray)
// selects the rows whose column is one of its values, for each element type;
// values with quotes come back unchanged.
func testArrayParams(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3, 4)}, Mode: warehouse.Append})
	tests := []struct {
		name  string
		expr  string
		value any
		not   bool
		want  []int64
	}{
		{"strings", qi(d, "customer"), append([]string{"c3", "c1"}, quotedValues...), false, []int64{1, 3}},
		{"strings, not in", qi(d, "customer"), []string{"c1", "it's"}, true, []int64{2, 3, 4}},
		{"one string", qi(d, "customer"), []string{"c4"}, false, []int64{4}},
		{"int64s", qi(d, "id"), []int64{4, 2, 99}, false, []int64{2, 4}},
		{"int64s, not in", qi(d, "id"), []int64{4, 2}, true, []int64{1, 3}},
		{"float64s", qi(d, "amount"), []float64{1.5, 6}, false, []int64{1, 4}},
		{"times", qi(d, "ordered_at"), []time.Time{t0.Add(2 * time.Hour).In(time.FixedZone("x", -5*3600))}, false, []int64{2}},
		{"bools", qi(d, "id") + " > 2", []bool{false}, false, []int64{1, 2}},
	}
	for _, tt := range tests {
		sql := "SELECT id FROM " + table(d, "orders") + " WHERE " + warehouse.InArray(d.Dialect(), tt.expr, "@list", tt.not) + " ORDER BY id"
		res, err := d.Query(ctxT(t), sql, []warehouse.Param{{Name: "list", Value: tt.value}}, 0)
		if err != nil {
			t.Errorf("%s: %s: %v", tt.name, sql, err)
			continue
		}
		if got := firstInts(res); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ids %v, want %v", tt.name, got, tt.want)
		}
	}
	// The elements arrive as they were given.
	unnest := "SELECT x FROM UNNEST(@list) AS x ORDER BY x"
	if d.Dialect() == warehouse.DuckDB {
		unnest = "SELECT unnest(@list) AS x ORDER BY x"
	}
	res := query(t, d, unnest, warehouse.Param{Name: "list", Value: quotedValues})
	var got []string
	for _, r := range res.Rows {
		s, _ := r[0].(string)
		got = append(got, s)
	}
	want := slices.Sorted(slices.Values(quotedValues))
	if !slices.Equal(got, want) {
		t.Errorf("array elements back = %q, want %q", got, want)
	}
}

// RunArrayParamsInvalid covers array parameters the Warehouse refuses
// with errs.Invalid before the driver runs anything: an empty array, an
// untyped or mixed one, one of an unsupported element type. It needs no
// data, so request fakes run it too.
func RunArrayParamsInvalid(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	d := openT(t, open)
	for _, tt := range []struct {
		name  string
		value any
	}{
		{"empty list", []string{}},
		{"nil list", []int64(nil)},
		{"mixed list", []any{"a", int64(1)}},
		{"untyped list", []any{"a"}},
		{"list of int", []int{1}},
		{"list of lists", [][]string{{"a"}}},
	} {
		_, err := d.Query(ctxT(t), "SELECT 1 AS one WHERE "+warehouse.InArray(d.Dialect(), "1", "@list", false), []warehouse.Param{{Name: "list", Value: tt.value}}, 0)
		wantKind(t, tt.name, err, errs.Invalid)
	}
}

func testMaxRows(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	setupOrders(t, d, "orders")
	load(t, d, warehouse.LoadRequest{Table: "orders", Sources: []string{stageOrders(t, stage, "a.parquet", 1, 2, 3, 4, 5)}, Mode: warehouse.Append})
	for _, tt := range []struct{ max, want int }{{0, 5}, {2, 2}, {1, 1}, {10, 5}} {
		res, err := d.Query(ctxT(t), "SELECT id FROM "+table(d, "orders")+" ORDER BY id", nil, tt.max)
		must(t, err)
		if len(res.Rows) != tt.want {
			t.Errorf("maxRows %d: %d rows, want %d", tt.max, len(res.Rows), tt.want)
		}
		if len(res.Rows) > 0 && res.Rows[0][0] != int64(1) {
			t.Errorf("maxRows %d: first row %v", tt.max, res.Rows[0])
		}
	}
}

func testQuotedIdentifiers(t *testing.T, open func(t *testing.T) warehouse.Driver, stage func(t *testing.T, name string, data []byte) string) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	src := stage(t, "q.parquet", parquetT(t, quotedSchema, [][]any{{int64(1), 9.5, dateVal}, {int64(2), nil, nil}}))
	load(t, d, warehouse.LoadRequest{Table: "order lines", Sources: []string{src}, Mode: warehouse.Append, Schema: quotedSchema})
	q := "SELECT " + qi(d, "select") + ", " + qi(d, "unit price") + " AS " + qi(d, "price each") + ", " + qi(d, "Order Date") +
		" FROM " + table(d, "order lines") + " WHERE " + qi(d, "select") + " = @sel"
	res := query(t, d, q, warehouse.Param{Name: "sel", Value: int64(1)})
	if len(res.Rows) != 1 || res.Rows[0][1] != 9.5 || !cellEq(res.Rows[0][2], dateVal) {
		t.Errorf("rows = %v", res.Rows)
	}
	if names := []string{res.Columns[0].Name, res.Columns[1].Name, res.Columns[2].Name}; !slices.Equal(names, []string{"select", "price each", "Order Date"}) {
		t.Errorf("column names = %v", names)
	}
}

func testQueryErrors(t *testing.T, open func(t *testing.T) warehouse.Driver) {
	d := openT(t, open)
	ctx := ctxT(t)
	must(t, d.CreateDataset(ctx, Dataset))
	_, err := d.Query(ctx, "SELEC nonsense", nil, 0)
	wantKind(t, "syntax error", err, errs.Invalid)
	_, err = d.Query(ctx, "SELECT * FROM "+table(d, "no_such_table"), nil, 0)
	wantKind(t, "missing table", err, errs.NotFound)
	_, err = d.Query(ctx, "SELECT 'unterminated", nil, 0)
	wantKind(t, "unterminated literal", err, errs.Invalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Query(cctx, "SELECT 1", nil, 0); err == nil {
		t.Errorf("Query with a cancelled context succeeded")
	}
}
