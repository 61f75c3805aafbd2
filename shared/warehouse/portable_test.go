package warehouse_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// stubDriver is a mock (no real warehouse fails on demand): every call
// fails with err, which ErrorKind classifies as kind; loads are counted.
type stubDriver struct {
	warehouse.Driver // nil: only the methods below are called
	err              error
	kind             errs.Kind
	loads            int
	closes           int
}

func (d *stubDriver) DescribeTable(context.Context, string, string) (warehouse.Table, error) {
	return warehouse.Table{}, d.err
}

func (d *stubDriver) Load(context.Context, warehouse.LoadRequest) (warehouse.LoadResult, error) {
	d.loads++
	return warehouse.LoadResult{}, d.err
}

func (d *stubDriver) ErrorKind(err error) errs.Kind {
	if errors.Is(err, d.err) {
		return d.kind
	}
	return errs.Unknown
}

func (d *stubDriver) Close() error { d.closes++; return nil }

func TestWarehouseClassifiesDriverErrors(t *testing.T) {
	raw := errors.New("backend said no")
	for _, tc := range []struct {
		kind, want errs.Kind
		err        error
	}{
		{errs.NotFound, errs.NotFound, raw},
		{errs.Transient, errs.Transient, raw},
		{errs.Unknown, errs.Unknown, raw},
		{errs.Unknown, errs.Transient, context.Canceled},
		{errs.Transient, errs.Conflict, errs.E(errs.Conflict, "kept: %w", raw)},
	} {
		w := warehouse.New(&stubDriver{err: tc.err, kind: tc.kind})
		_, err := w.DescribeTable(context.Background(), "d", "t")
		if got := errs.KindOf(err); got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("driver error %v, ErrorKind %v: got %v (kind %v), want kind %v", tc.err, tc.kind, err, got, tc.want)
		}
	}
}

func TestWarehouseValidatesLoadsAndClose(t *testing.T) {
	ctx := context.Background()
	d := &stubDriver{}
	w := warehouse.New(d)
	good := warehouse.LoadRequest{Dataset: "d", Table: "t", Sources: []string{"file:///x"}, Format: warehouse.Parquet}
	bad := map[string]func(r *warehouse.LoadRequest){
		"no dataset":            func(r *warehouse.LoadRequest) { r.Dataset = "" },
		"no sources":            func(r *warehouse.LoadRequest) { r.Sources = nil },
		"no format":             func(r *warehouse.LoadRequest) { r.Format = "" },
		"unknown mode":          func(r *warehouse.LoadRequest) { r.Mode = "UPSERT" },
		"merge without keys":    func(r *warehouse.LoadRequest) { r.Mode = warehouse.Merge },
		"replace without where": func(r *warehouse.LoadRequest) { r.Mode = warehouse.Replace },
		"where without replace": func(r *warehouse.LoadRequest) { r.ReplaceWhere = []warehouse.Param{{Name: "a", Value: "x"}} },
		"invalid schema":        func(r *warehouse.LoadRequest) { r.Schema = warehouse.Schema{{Name: "", Type: warehouse.String}} },
		"replace with nil value": func(r *warehouse.LoadRequest) {
			r.Mode, r.ReplaceWhere = warehouse.Replace, []warehouse.Param{{Name: "a"}}
		},
	}
	for name, mutate := range bad {
		r := good
		mutate(&r)
		if _, err := w.Load(ctx, r); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: Load = %v, want invalid", name, err)
		}
	}
	if d.loads != 0 {
		t.Errorf("%d invalid loads reached the driver", d.loads)
	}
	if _, err := w.Load(ctx, good); err != nil || d.loads != 1 {
		t.Fatalf("good load: %v (driver loads %d)", err, d.loads)
	}
	if _, err := w.Query(ctx, "SELECT 1", nil, -1); !errs.Is(err, errs.Invalid) {
		t.Errorf("negative row limit: %v, want invalid", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil || d.closes != 1 {
		t.Errorf("second Close = %v, driver closed %d times; want nil, once", err, d.closes)
	}
	if _, err := w.Load(ctx, good); !errs.Is(err, errs.Invalid) || d.loads != 1 {
		t.Errorf("Load after Close = %v (driver loads %d), want invalid without reaching the driver", err, d.loads)
	}
}

// queryDriver is a mock recording the SQL it is asked to run.
type queryDriver struct {
	stubDriver
	sql     string
	params  []warehouse.Param
	maxRows int
}

func (d *queryDriver) Dialect() warehouse.Dialect { return warehouse.DuckDB }

func (d *queryDriver) Query(_ context.Context, sql string, params []warehouse.Param, maxRows int) (warehouse.Result, error) {
	d.sql, d.params, d.maxRows = sql, params, maxRows
	return warehouse.Result{}, nil
}

func TestPreview(t *testing.T) {
	d := &queryDriver{}
	w := warehouse.New(d)
	r, err := w.Preview(context.Background(), "raw_data", `order "lines"`, 20)
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT * FROM "raw_data"."order ""lines""" LIMIT 20`; d.sql != want || d.maxRows != 20 {
		t.Errorf("Preview ran %q (max %d), want %q (max 20)", d.sql, d.maxRows, want)
	}
	if r.Rows == nil {
		t.Error("Preview of an empty table: nil rows, want an empty list")
	}
	for _, n := range []int{0, -1, warehouse.MaxPreviewRows + 1} {
		if _, err := w.Preview(context.Background(), "raw_data", "t", n); !errs.Is(err, errs.Invalid) {
			t.Errorf("Preview of %d rows = %v, want invalid", n, err)
		}
	}
}

// The Warehouse checks names and query parameters once, for every driver:
// a bad call never reaches the driver.
func TestWarehouseChecksNamesAndParams(t *testing.T) {
	ctx := context.Background()
	d := &queryDriver{}
	w := warehouse.New(d)
	calls := []struct {
		name string
		call func() error
	}{
		{"empty dataset", func() error { return w.CreateDataset(ctx, "") }},
		{"NUL in dataset", func() error { _, err := w.ListTables(ctx, "a\x00b"); return err }},
		{"empty table", func() error { _, err := w.DescribeTable(ctx, "d", ""); return err }},
		{"NUL in table", func() error { return w.DropTable(ctx, "d", "t\x00") }},
		{"create without table", func() error {
			return w.CreateTable(ctx, "d", "", warehouse.Schema{{Name: "a", Type: warehouse.String}})
		}},
		{"parameter given twice", func() error {
			_, err := w.Query(ctx, "SELECT @a", []warehouse.Param{{Name: "a", Value: "x"}, {Name: "a", Value: "y"}}, 0)
			return err
		}},
		{"reference without a value", func() error {
			_, err := w.Query(ctx, "SELECT @a, @b", []warehouse.Param{{Name: "a", Value: "x"}}, 0)
			return err
		}},
		{"unterminated string", func() error { _, err := w.Query(ctx, "SELECT 'a", nil, 0); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", c.name, err)
		}
	}
	if d.sql != "" {
		t.Errorf("the driver ran %q; invalid calls must not reach it", d.sql)
	}
	// An unreferenced parameter is fine, and a @ inside a string is no
	// reference.
	if _, err := w.Query(ctx, "SELECT @a, '@b'", []warehouse.Param{{Name: "a", Value: 1}, {Name: "c", Value: 2}}, 0); err != nil || d.sql == "" {
		t.Errorf("good query: %v (driver ran %q)", err, d.sql)
	}
}

// TestWarehouseChecksParamValues: the Warehouse passes scalars and typed
// arrays to the driver normalised, and refuses (errs.Invalid, naming the
// parameter) empty arrays, untyped or mixed ones and unsupported types
// before the driver sees the query.
func TestWarehouseChecksParamValues(t *testing.T) {
	ctx := context.Background()
	paris := time.FixedZone("Paris", 3600)
	at := time.Date(2025, 3, 14, 16, 9, 26, 0, paris)
	good := []struct {
		name  string
		value any
		want  any
	}{
		{"string", "x'y", "x'y"},
		{"int", 7, int64(7)},
		{"int32", int32(7), int64(7)},
		{"float32", float32(0.5), 0.5},
		{"nil", nil, nil},
		{"time in another zone", at, at.UTC()},
		{"bytes", []byte{0, 255}, []byte{0, 255}},
		{"strings", []string{"a", "it's", `"q"`}, []string{"a", "it's", `"q"`}},
		{"int64s", []int64{1, -2}, []int64{1, -2}},
		{"float64s", []float64{0.25}, []float64{0.25}},
		{"bools", []bool{true, false}, []bool{true, false}},
		{"times", []time.Time{at}, []time.Time{at.UTC()}},
	}
	for _, tt := range good {
		d := &queryDriver{}
		if _, err := warehouse.New(d).Query(ctx, "SELECT @p", []warehouse.Param{{Name: "p", Value: tt.value}}, 0); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := d.params[0].Value
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: the driver got %#v, want %#v", tt.name, got, tt.want)
		}
		if tm, ok := got.(time.Time); ok && tm.Location() != time.UTC {
			t.Errorf("%s: time in %v, want UTC", tt.name, tm.Location())
		}
		if ts, ok := got.([]time.Time); ok && ts[0].Location() != time.UTC {
			t.Errorf("%s: array time in %v, want UTC", tt.name, ts[0].Location())
		}
	}
	bad := []struct {
		name  string
		value any
	}{
		{"empty strings", []string{}},
		{"nil strings", []string(nil)},
		{"empty int64s", []int64{}},
		{"mixed", []any{"a", int64(1)}},
		{"untyped", []any{"a", "b"}},
		{"ints", []int{1, 2}},
		{"nested", [][]string{{"a"}}},
		{"uint64", uint64(1)},
		{"struct", struct{ A int }{1}},
		{"map", map[string]string{"a": "b"}},
	}
	for _, tt := range bad {
		d := &queryDriver{}
		_, err := warehouse.New(d).Query(ctx, "SELECT @list", []warehouse.Param{{Name: "list", Value: tt.value}}, 0)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "@list") {
			t.Errorf("%s: %v, want invalid naming @list", tt.name, err)
		}
		if d.sql != "" {
			t.Errorf("%s: reached the driver", tt.name)
		}
	}
}

func TestWithOpAndKindWith(t *testing.T) {
	raw := errors.New("backend said no")
	classify := func(err error) errs.Kind {
		if errors.Is(err, raw) {
			return errs.Transient
		}
		return errs.Unknown
	}
	if warehouse.WithOp(nil, "op") != nil {
		t.Error("WithOp(nil) != nil")
	}
	port := warehouse.TableNotFound("d", "t")
	if got := warehouse.WithOp(port, "op"); got != port {
		t.Errorf("WithOp of an error with a kind = %v, want it unchanged", got)
	}
	got := warehouse.WithOp(raw, "describe %s", "d.t")
	if got.Error() != "describe d.t: backend said no" || !errors.Is(got, raw) || errs.KindOf(got) != errs.Unknown {
		t.Errorf("WithOp(raw) = %q (kind %s), want the operation, the cause and no kind", got, errs.KindOf(got))
	}
	for _, tc := range []struct {
		err  error
		want errs.Kind
	}{
		{got, errs.Transient},
		{port, errs.NotFound},
		{warehouse.TableExists("d", "t"), errs.Conflict},
		{errors.New("other"), errs.Unknown},
	} {
		if k := warehouse.KindWith(tc.err, classify); k != tc.want {
			t.Errorf("KindWith(%v) = %s, want %s", tc.err, k, tc.want)
		}
	}
}
