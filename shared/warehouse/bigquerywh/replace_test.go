package bigquerywh_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	bq "google.golang.org/api/bigquery/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/warehousetest"
)

// lineage is the orders table with lineage-like columns.
var lineage = append(slices.Clone(orders),
	warehouse.Column{Name: "_b2b_source_file", Type: warehouse.String, Nullable: true},
	warehouse.Column{Name: "batch", Type: warehouse.Int64, Nullable: true},
)

// paramStrings renders query parameters as name:TYPE=value.
func paramStrings(ps []*bq.QueryParameter) []string {
	var out []string
	for _, p := range ps {
		v := "NULL"
		if p.ParameterValue != nil && !slices.Contains(p.ParameterValue.NullFields, "Value") {
			v = p.ParameterValue.Value
		}
		out = append(out, p.Name+":"+p.ParameterType.Type+"="+v)
	}
	return out
}

// TestFakeReplace checks the requests of a Replace load into an existing
// table: a load job into an expiring temporary table with the target's
// columns (all nullable), one transaction script with quoted identifiers and
// typed @parameters, and the temporary table's deletion.
func TestFakeReplace(t *testing.T) {
	f, d := setup(t)
	if err := d.CreateTable(ctx(t), "raw_data", "orders", lineage); err != nil {
		t.Fatal(err)
	}
	srcs := []string{"gs://stage/r7/part-0.parquet", "gs://stage/r7/part-1.parquet"}
	f.SetLoadRows(srcs[0], 3)
	f.SetLoadRows(srcs[1], 1)
	file := "in/it's `a`; DROP TABLE x.csv"
	at := time.Date(2025, 3, 14, 16, 9, 26, 535000000, time.FixedZone("CET", 3600))
	res, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: srcs, Format: warehouse.Parquet,
		Mode: warehouse.Replace, Schema: lineage, Labels: map[string]string{"b2b_run": "r7"},
		ReplaceWhere: []warehouse.Param{{Name: "_b2b_source_file", Value: file}, {Name: "BATCH", Value: int64(7)}, {Name: "at", Value: at}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 4 || res.JobID == "" {
		t.Errorf("result = %+v, want 4 rows and a job id", res)
	}

	_, loads, queries, scripts := f.Recorded()
	if len(loads) != 1 || len(scripts) != 1 || len(queries) != 0 {
		t.Fatalf("loads %d, query jobs %d, jobs.query %d; want 1, 1, 0", len(loads), len(scripts), len(queries))
	}
	l := loads[0]
	tmp := l.DestinationTable.TableId
	if !strings.HasPrefix(tmp, "_load_") || l.DestinationTable.DatasetId != "raw_data" || l.DestinationTable.ProjectId != "test-proj" ||
		l.WriteDisposition != "WRITE_TRUNCATE" || l.SourceFormat != "PARQUET" || !slices.Equal(l.SourceUris, srcs) {
		t.Errorf("temp load = %+v", l)
	}
	checkFields(t, l.Schema, []string{"id:INTEGER:", "unit price:NUMERIC:", "at:TIMESTAMP:", "_b2b_source_file:STRING:", "batch:INTEGER:"})

	q := scripts[0]
	want := "BEGIN TRANSACTION;\n" +
		"DELETE FROM `raw_data`.`orders` WHERE `_b2b_source_file` = @p0 AND `batch` = @p1 AND `at` = @p2;\n" +
		"INSERT INTO `raw_data`.`orders` (`id`, `unit price`, `at`, `_b2b_source_file`, `batch`) " +
		"SELECT `id`, `unit price`, `at`, `_b2b_source_file`, `batch` FROM `raw_data`.`" + tmp + "`;\n" +
		"COMMIT TRANSACTION;"
	if q.Query != want {
		t.Errorf("script:\n%s\nwant:\n%s", q.Query, want)
	}
	if q.UseLegacySql == nil || *q.UseLegacySql {
		t.Errorf("script uses legacy SQL")
	}
	if q.DestinationTable != nil || q.WriteDisposition != "" {
		t.Errorf("script has a destination: %+v %q", q.DestinationTable, q.WriteDisposition)
	}
	if q.ParameterMode != "" && q.ParameterMode != "NAMED" {
		t.Errorf("parameterMode = %q", q.ParameterMode)
	}
	wantParams := []string{"p0:STRING=" + file, "p1:INT64=7", "p2:TIMESTAMP=2025-03-14 15:09:26.535+00:00"}
	if got := paramStrings(q.QueryParameters); !slices.Equal(got, wantParams) {
		t.Errorf("parameters\n%v\nwant\n%v", got, wantParams)
	}
	if labels := f.JobLabels(func(c *bq.JobConfiguration) bool { return c.Query != nil }); labels["b2b_run"] != "r7" {
		t.Errorf("script job labels = %v", labels)
	}

	// Temp table made, loaded, used by the script, then deleted.
	wantOrder := []string{"create orders", "create " + tmp, "load " + tmp, "query", "delete " + tmp}
	if got := f.JobOrder(); !slices.Equal(got, wantOrder) {
		t.Errorf("order = %v, want %v", got, wantOrder)
	}
	tables, err := d.ListTables(ctx(t), "raw_data")
	if err != nil || len(tables) != 1 || tables[0].Name != "orders" {
		t.Errorf("tables after replace = %v, %v", tables, err)
	}
}

// TestFakeReplaceCreatesTable: a missing target is created from the schema
// after the temporary load succeeded and before the script.
func TestFakeReplaceCreatesTable(t *testing.T) {
	f, d := setup(t)
	f.SetLoadRows("gs://b/a.parquet", 2)
	res, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "fresh", Sources: []string{"gs://b/a.parquet"},
		Format: warehouse.JSONL, Mode: warehouse.Replace, Schema: lineage,
		ReplaceWhere: []warehouse.Param{{Name: "_b2b_source_file", Value: "a.csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 2 {
		t.Errorf("RowsLoaded = %d, want 2", res.RowsLoaded)
	}
	_, loads, _, scripts := f.Recorded()
	if len(loads) != 1 || len(scripts) != 1 {
		t.Fatalf("loads %d, query jobs %d", len(loads), len(scripts))
	}
	tmp := loads[0].DestinationTable.TableId
	if loads[0].SourceFormat != "NEWLINE_DELIMITED_JSON" {
		t.Errorf("temp load format %q", loads[0].SourceFormat)
	}
	wantOrder := []string{"create " + tmp, "load " + tmp, "create fresh", "query", "delete " + tmp}
	if got := f.JobOrder(); !slices.Equal(got, wantOrder) {
		t.Errorf("order = %v, want %v", got, wantOrder)
	}
	tb, err := d.DescribeTable(ctx(t), "raw_data", "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Schema) != len(lineage) || tb.Schema[0].Nullable {
		t.Errorf("created schema = %+v, want the request's (id REQUIRED)", tb.Schema)
	}
	if !strings.Contains(scripts[0].Query, "DELETE FROM `raw_data`.`fresh` WHERE `_b2b_source_file` = @p0;") {
		t.Errorf("script = %s", scripts[0].Query)
	}
}

// TestFakeReplaceFailures: a failing temp load runs no script, creates no
// target and still drops the temp table; a failing script is reported with
// its kind and drops the temp table too.
func TestFakeReplaceFailures(t *testing.T) {
	f, d := setup(t)
	f.FailLoad("gs://b/bad.parquet")
	where := []warehouse.Param{{Name: "_b2b_source_file", Value: "a.csv"}}
	_, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "fresh", Sources: []string{"gs://b/ok.parquet", "gs://b/bad.parquet"},
		Format: warehouse.Parquet, Mode: warehouse.Replace, Schema: lineage, ReplaceWhere: where})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "bad file") {
		t.Errorf("replace with a bad file: %v, want invalid", err)
	}
	_, loads, _, scripts := f.Recorded()
	if len(loads) != 1 || len(scripts) != 0 {
		t.Fatalf("loads %d, query jobs %d; want 1, 0", len(loads), len(scripts))
	}
	tmp := loads[0].DestinationTable.TableId
	if got, want := f.JobOrder(), []string{"create " + tmp, "load " + tmp, "delete " + tmp}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if _, err := d.DescribeTable(ctx(t), "raw_data", "fresh"); !errs.Is(err, errs.NotFound) {
		t.Errorf("target after failed replace: %v, want not found", err)
	}

	// The script fails (e.g. a NULL into a REQUIRED column).
	f.FailLoad("")
	if err := d.CreateTable(ctx(t), "raw_data", "orders", lineage); err != nil {
		t.Fatal(err)
	}
	f.FailQuery(func(cfg *bq.JobConfigurationQuery) *apiError {
		return &apiError{Code: 400, Reason: "invalidQuery", Message: "Required field id cannot be null"}
	})
	_, err = d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: []string{"gs://b/ok.parquet"},
		Format: warehouse.Parquet, Mode: warehouse.Replace, ReplaceWhere: where})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "cannot be null") {
		t.Errorf("replace with a failing script: %v, want invalid", err)
	}
	order := f.JobOrder()
	if n := len(order); n < 2 || order[n-2] != "query" || !strings.HasPrefix(order[n-1], "delete _load_") {
		t.Errorf("order = %v, want the script then the temp table's deletion", order)
	}
	tables, err := d.ListTables(ctx(t), "raw_data")
	if err != nil || len(tables) != 1 || tables[0].Name != "orders" {
		t.Errorf("tables = %v, %v; want only orders", tables, err)
	}
}

// TestFakeConformanceReplaceInvalid runs the conformance suite's invalid
// Replace loads against the fake: each is refused with errs.Invalid before
// any job runs.
func TestFakeConformanceReplaceInvalid(t *testing.T) {
	var fakes []*fakeBQ
	warehousetest.RunReplaceInvalid(t, func(t *testing.T) warehouse.Driver {
		f := newFakeBQ(t)
		fakes = append(fakes, f)
		return openFake(t, f)
	}, func(t *testing.T, name string, data []byte) string {
		return "gs://stage/" + name
	})
	if len(fakes) != 1 {
		t.Fatalf("%d drivers opened", len(fakes))
	}
	_, loads, _, scripts := fakes[0].Recorded()
	// Only the suite's set-up append reached the server as a job.
	if len(loads) != 1 || len(scripts) != 0 {
		t.Errorf("loads %d, query jobs %d; want 1 (set-up) and 0", len(loads), len(scripts))
	}
}

func TestReplaceSQL(t *testing.T) {
	got := bigquerywh.ReplaceSQL("ds", "t`x", "tmp", []string{"a", "b c"}, []string{"b c"})
	want := "BEGIN TRANSACTION;\n" +
		"DELETE FROM `ds`.`t\\`x` WHERE `b c` = @p0;\n" +
		"INSERT INTO `ds`.`t\\`x` (`a`, `b c`) SELECT `a`, `b c` FROM `ds`.`tmp`;\n" +
		"COMMIT TRANSACTION;"
	if got != want {
		t.Errorf("ReplaceSQL:\n%s\nwant:\n%s", got, want)
	}
}
