package bigquerywh_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	bq "google.golang.org/api/bigquery/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/warehousetest"
)

func openFake(t *testing.T, f *fakeBQ) warehouse.Driver {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := warehouse.Open(ctx, f.URL())
	if err != nil {
		t.Fatal(err)
	}
	return w // the portable type, as the code uses it
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestFakeConformance runs the whole conformance suite against the request
// fake, which keeps a real in-memory catalog and records load jobs but
// neither reads staged files nor runs SQL: the tests that need those are
// skipped by name with the reason (go test -v lists them). DuckDB runs them
// all; the tests above check the SQL and job configuration this driver
// sends for them.
func TestFakeConformance(t *testing.T) {
	warehousetest.RunHarness(t, warehousetest.Harness{
		Open:  func(t *testing.T) warehouse.Driver { return openFake(t, newFakeBQ(t)) },
		Stage: func(t *testing.T, name string, data []byte) string { return "gs://stage/" + name },
		Lacks: map[warehousetest.Capability]string{
			warehousetest.LoadData: "the request fake records load jobs but does not read the staged files",
			warehousetest.RunSQL:   "the request fake does not run SQL",
		},
	})
}

var orders = warehouse.Schema{
	{Name: "id", Type: warehouse.Int64},
	{Name: "unit price", Type: warehouse.Numeric, Nullable: true},
	{Name: "at", Type: warehouse.Timestamp, Nullable: true},
}

func setup(t *testing.T) (*fakeBQ, warehouse.Driver) {
	f := newFakeBQ(t)
	d := openFake(t, f)
	t.Cleanup(func() { d.Close() })
	if err := d.CreateDataset(ctx(t), "raw_data"); err != nil {
		t.Fatal(err)
	}
	return f, d
}

func checkFields(t *testing.T, got *bq.TableSchema, want []string) {
	t.Helper()
	if got == nil {
		t.Errorf("schema missing, want %v", want)
		return
	}
	var s []string
	for _, f := range got.Fields {
		s = append(s, f.Name+":"+f.Type+":"+f.Mode)
	}
	if !slices.Equal(s, want) {
		t.Errorf("schema %v, want %v", s, want)
	}
}

func TestFakeLoadAppendTruncate(t *testing.T) {
	f, d := setup(t)
	f.SetLoadRows("gs://stage/run1/part-0.parquet", 3)
	f.SetLoadRows("gs://stage/run1/part-1.parquet", 4)
	f.SetLoadRows("gs://stage/run2/part-0.parquet", 2)
	srcs := []string{"gs://stage/run1/part-0.parquet", "gs://stage/run1/part-1.parquet"}
	res, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: srcs,
		Format: warehouse.Parquet, Mode: warehouse.Append, Schema: orders, Labels: map[string]string{"run_id": "run1", "job": "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 7 || res.JobID == "" {
		t.Errorf("result = %+v, want 7 rows and a job id", res)
	}
	res2, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: []string{"gs://stage/run2/part-0.parquet"},
		Format: warehouse.Parquet, Mode: warehouse.Truncate})
	if err != nil {
		t.Fatal(err)
	}
	if res2.RowsLoaded != 2 || res2.JobID == res.JobID {
		t.Errorf("truncate result = %+v", res2)
	}
	tb, err := d.DescribeTable(ctx(t), "raw_data", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if tb.NumRows != 2 {
		t.Errorf("NumRows = %d, want 2", tb.NumRows)
	}
	if len(tb.Schema) != 3 || tb.Schema[1].Type != warehouse.Numeric || tb.Schema[0].Type != warehouse.Int64 || tb.Schema[0].Nullable {
		t.Errorf("schema = %+v", tb.Schema)
	}

	_, loads, _, _ := f.Recorded()
	if len(loads) != 2 {
		t.Fatalf("%d load jobs, want 2", len(loads))
	}
	l := loads[0]
	if !slices.Equal(l.SourceUris, srcs) || l.SourceFormat != "PARQUET" || l.WriteDisposition != "WRITE_APPEND" ||
		l.CreateDisposition != "CREATE_IF_NEEDED" || l.DestinationTable.DatasetId != "raw_data" || l.DestinationTable.TableId != "orders" ||
		l.DestinationTable.ProjectId != "test-proj" {
		t.Errorf("first load config = %+v", l)
	}
	checkFields(t, l.Schema, []string{"id:INTEGER:REQUIRED", "unit price:NUMERIC:", "at:TIMESTAMP:"})
	l = loads[1]
	if l.WriteDisposition != "WRITE_TRUNCATE" || l.CreateDisposition != "CREATE_NEVER" || l.Schema != nil {
		t.Errorf("second load config = %+v", l)
	}
	_, _, _, _ = f.Recorded()
	labels := f.JobLabels(func(c *bq.JobConfiguration) bool { return c.Load != nil && len(c.Load.SourceUris) == 2 })
	if labels["run_id"] != "run1" || labels["job"] != "orders" {
		t.Errorf("job labels = %v", labels)
	}
}

func TestFakeLoadFormats(t *testing.T) {
	f, d := setup(t)
	for _, tt := range []struct {
		format warehouse.Format
		want   string
		skip   int64
	}{{warehouse.CSV, "CSV", 1}, {warehouse.JSONL, "NEWLINE_DELIMITED_JSON", 0}} {
		_, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "t_" + tt.want, Sources: []string{"gs://b/x"},
			Format: tt.format, Schema: orders})
		if err != nil {
			t.Fatal(err)
		}
		_, loads, _, _ := f.Recorded()
		l := loads[len(loads)-1]
		if l.SourceFormat != tt.want || l.SkipLeadingRows != tt.skip || l.WriteDisposition != "WRITE_APPEND" {
			t.Errorf("%s load config = %+v", tt.format, l)
		}
		checkFields(t, l.Schema, []string{"id:INTEGER:REQUIRED", "unit price:NUMERIC:", "at:TIMESTAMP:"})
	}
}

func TestFakeLoadErrors(t *testing.T) {
	f, d := setup(t)
	before, _, _, _ := f.Recorded()
	_, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{"file:///tmp/x.parquet"}, Format: warehouse.Parquet})
	if !errs.Is(err, errs.Unsupported) {
		t.Errorf("file source: %v, want unsupported", err)
	}
	_, err = d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{"gs://b/x"}, Format: warehouse.Parquet, Mode: warehouse.Merge})
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("merge without keys: %v, want invalid", err)
	}
	if after, _, _, _ := f.Recorded(); len(after) != len(before) {
		t.Errorf("invalid requests reached the server: %v", after[len(before):])
	}
	_, err = d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "missing", Sources: []string{"gs://b/x"}, Format: warehouse.Parquet})
	if !errs.Is(err, errs.NotFound) {
		t.Errorf("load into missing table: %v, want not found", err)
	}
	f.FailLoad("gs://b/bad")
	_, err = d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{"gs://b/x", "gs://b/bad"}, Format: warehouse.Parquet, Schema: orders})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "bad file") {
		t.Errorf("failing load: %v, want invalid", err)
	}
}

func TestFakeMerge(t *testing.T) {
	f, d := setup(t)
	f.SetLoadRows("gs://b/upd.parquet", 5)
	res, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "orders", Sources: []string{"gs://b/upd.parquet"},
		Format: warehouse.Parquet, Mode: warehouse.Merge, MergeKeys: []string{"id"}, Schema: orders, Labels: map[string]string{"run_id": "r9"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsLoaded != 5 {
		t.Errorf("RowsLoaded = %d, want 5", res.RowsLoaded)
	}
	calls, loads, _, scripts := f.Recorded()
	if len(loads) != 1 || len(scripts) != 1 {
		t.Fatalf("loads %d, query jobs %d; want 1 and 1", len(loads), len(scripts))
	}
	tmp := loads[0].DestinationTable.TableId
	if !strings.HasPrefix(tmp, "_load_") || loads[0].WriteDisposition != "WRITE_TRUNCATE" || loads[0].DestinationTable.DatasetId != "raw_data" {
		t.Errorf("temp load = %+v", loads[0])
	}
	// The temp table's columns are all nullable.
	checkFields(t, loads[0].Schema, []string{"id:INTEGER:", "unit price:NUMERIC:", "at:TIMESTAMP:"})
	q := scripts[0]
	want := "MERGE `raw_data`.`orders` AS T\nUSING `raw_data`.`" + tmp + "` AS S\nON T.`id` = S.`id`\n" +
		"WHEN MATCHED THEN UPDATE SET `unit price` = S.`unit price`, `at` = S.`at`\n" +
		"WHEN NOT MATCHED THEN INSERT (`id`, `unit price`, `at`) VALUES (S.`id`, S.`unit price`, S.`at`)"
	if q.Query != want {
		t.Errorf("merge SQL:\n%s\nwant:\n%s", q.Query, want)
	}
	if q.UseLegacySql == nil || *q.UseLegacySql {
		t.Errorf("merge uses legacy SQL")
	}
	var created, deleted bool
	for _, c := range calls {
		if c == "POST /bigquery/v2/projects/test-proj/datasets/raw_data/tables" {
			created = true
		}
		if c == "DELETE /bigquery/v2/projects/test-proj/datasets/raw_data/tables/"+tmp {
			deleted = true
		}
	}
	if !created || !deleted {
		t.Errorf("temp table created %v, deleted %v; calls %v", created, deleted, calls)
	}
	tables, err := d.ListTables(ctx(t), "raw_data")
	if err != nil || len(tables) != 1 || tables[0].Name != "orders" {
		t.Errorf("tables after merge = %v, %v", tables, err)
	}
}

func TestFakeQuery(t *testing.T) {
	f, d := setup(t)
	ts := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	f.Answer(func(req *bq.QueryRequest) (*bq.QueryResponse, *apiError) {
		cell := func(v any) *bq.TableCell { return &bq.TableCell{V: v} }
		return &bq.QueryResponse{
			Schema: &bq.TableSchema{Fields: []*bq.TableFieldSchema{
				{Name: "i", Type: "INTEGER"}, {Name: "f", Type: "FLOAT"}, {Name: "n", Type: "NUMERIC"}, {Name: "b", Type: "BOOLEAN"},
				{Name: "s", Type: "STRING"}, {Name: "by", Type: "BYTES"}, {Name: "d", Type: "DATE"}, {Name: "ts", Type: "TIMESTAMP"},
				{Name: "dt", Type: "DATETIME"}, {Name: "tm", Type: "TIME"}, {Name: "j", Type: "JSON"},
				{Name: "r", Type: "RECORD", Fields: []*bq.TableFieldSchema{{Name: "a", Type: "INTEGER"}, {Name: "b", Type: "STRING"}}},
				{Name: "rep", Type: "INTEGER", Mode: "REPEATED"},
				{Name: "bn", Type: "BIGNUMERIC"},
				{Name: "rn", Type: "RECORD", Fields: []*bq.TableFieldSchema{{Name: "amount", Type: "NUMERIC"}}},
			}},
			Rows: []*bq.TableRow{
				{F: []*bq.TableCell{cell("7"), cell("0.5"), cell("12345678901234567890.123456789"), cell("true"), cell("x'y"),
					cell(base64.StdEncoding.EncodeToString([]byte{0, 1, 255})), cell("2024-02-29"),
					cell("1709251198123456"), cell("2024-02-29T23:59:58.5"), cell("13:14:15.250000"), cell(`{"a":[1,2]}`),
					cell(map[string]any{"f": []any{map[string]any{"v": "1"}, map[string]any{"v": "z"}}}),
					cell([]any{map[string]any{"v": "1"}, map[string]any{"v": "2"}}),
					cell("-578960446186580977117854925043439539266.34992332820282019728792003956564819967"),
					cell(map[string]any{"f": []any{map[string]any{"v": "0.100000001"}}})}},
				{F: []*bq.TableCell{cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell([]any{}), cell(nil), cell(nil)}},
				{F: []*bq.TableCell{cell("8"), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell(nil), cell([]any{}), cell(nil), cell(nil)}},
			},
		}, nil
	})
	sql := "SELECT * FROM `raw_data`.`orders` WHERE s = @s AND i = @i AND f > @f AND b = @b AND ts < @ts AND x IS @nothing AND note = '@notaparam'"
	res, err := d.Query(ctx(t), sql, []warehouse.Param{
		{Name: "s", Value: "x'y"}, {Name: "i", Value: int64(7)}, {Name: "f", Value: 0.25}, {Name: "b", Value: true},
		{Name: "ts", Value: ts}, {Name: "nothing", Value: nil}, {Name: "unused", Value: "z"},
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, _, queries, _ := f.Recorded()
	if len(queries) != 1 {
		t.Fatalf("%d query requests", len(queries))
	}
	req := queries[0]
	if req.Query != sql || req.UseLegacySql == nil || *req.UseLegacySql || req.Location != "EU" {
		t.Errorf("query request = %+v", req)
	}
	// The fast path omits parameterMode; BigQuery then takes named
	// parameters. Anything else must be NAMED.
	if req.ParameterMode != "" && req.ParameterMode != "NAMED" {
		t.Errorf("parameterMode = %q", req.ParameterMode)
	}
	var params []string
	for _, p := range req.QueryParameters {
		v := "NULL"
		if p.ParameterValue != nil && !slices.Contains(p.ParameterValue.NullFields, "Value") && p.ParameterValue.Value != "" {
			v = p.ParameterValue.Value
		}
		params = append(params, p.Name+":"+p.ParameterType.Type+"="+v)
	}
	wantParams := []string{"s:STRING=x'y", "i:INT64=7", "f:FLOAT64=0.25", "b:BOOL=true", "ts:TIMESTAMP=2024-02-29 23:59:58.123456+00:00", "nothing:STRING=NULL"}
	if !slices.Equal(params, wantParams) {
		t.Errorf("parameters\n%v\nwant\n%v", params, wantParams)
	}

	if len(res.Rows) != 2 {
		t.Fatalf("maxRows 2: got %d rows", len(res.Rows))
	}
	wantTypes := []warehouse.Type{warehouse.Int64, warehouse.Float64, warehouse.Numeric, warehouse.Bool, warehouse.String, warehouse.Bytes,
		warehouse.Date, warehouse.Timestamp, warehouse.DateTime, warehouse.Time, warehouse.JSON, warehouse.JSON, warehouse.JSON,
		warehouse.Numeric, warehouse.JSON}
	for i, c := range res.Columns {
		if c.Type != wantTypes[i] {
			t.Errorf("column %s type %s, want %s", c.Name, c.Type, wantTypes[i])
		}
	}
	row := res.Rows[0]
	checks := []struct {
		got, want any
	}{
		{row[0], int64(7)}, {row[1], 0.5}, {row[2], "12345678901234567890.123456789"}, {row[3], true}, {row[4], "x'y"},
		{row[9], "13:14:15.25"}, {row[10], `{"a":[1,2]}`}, {row[11], `{"a":1,"b":"z"}`}, {row[12], "[1,2]"},
		{row[13], "-578960446186580977117854925043439539266.34992332820282019728792003956564819967"}, // BIGNUMERIC's minimum
		{row[14], `{"amount":0.100000001}`},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: %#v, want %#v", i, c.got, c.want)
		}
	}
	if b, ok := row[5].([]byte); !ok || string(b) != "\x00\x01\xff" {
		t.Errorf("bytes = %#v", row[5])
	}
	for i, want := range map[int]time.Time{6: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), 7: ts, 8: time.Date(2024, 2, 29, 23, 59, 58, 500000000, time.UTC)} {
		if tm, ok := row[i].(time.Time); !ok || !tm.Equal(want) || tm.Location() != time.UTC {
			t.Errorf("%s = %#v, want %v", res.Columns[i].Name, row[i], want)
		}
	}
	for i := 0; i < 12; i++ {
		if res.Rows[1][i] != nil {
			t.Errorf("NULL %s = %#v", res.Columns[i].Name, res.Rows[1][i])
		}
	}

	// A missing parameter fails before any request.
	_, err = d.Query(ctx(t), "SELECT @missing", nil, 0)
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("missing param: %v", err)
	}
	if _, _, q, _ := f.Recorded(); len(q) != 1 {
		t.Errorf("missing param reached the server")
	}
}

// TestFakeQueryArrayParams: an array parameter reaches BigQuery as an
// ARRAY query parameter of the element type, with each value as given
// (quotes included) and nothing written into the SQL.
func TestFakeQueryArrayParams(t *testing.T) {
	f, d := setup(t)
	f.Answer(func(*bq.QueryRequest) (*bq.QueryResponse, *apiError) { return &bq.QueryResponse{}, nil })
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.FixedZone("x", 3600))
	sql := "SELECT id FROM `raw_data`.`orders` WHERE " + warehouse.InArray(warehouse.BigQuery, "`customer`", "@names", false) +
		" AND " + warehouse.InArray(warehouse.BigQuery, "`id`", "@ids", true) + " AND `amount` IN UNNEST(@amounts) AND `flag` IN UNNEST(@flags) AND `at` IN UNNEST(@times)"
	names := []string{"it's", `a"b`, "x'); DROP TABLE orders; --", "@ids"}
	if _, err := d.Query(ctx(t), sql, []warehouse.Param{
		{Name: "names", Value: names}, {Name: "ids", Value: []int64{7, -1}}, {Name: "amounts", Value: []float64{0.25, 3}},
		{Name: "flags", Value: []bool{true}}, {Name: "times", Value: []time.Time{at}},
	}, 0); err != nil {
		t.Fatal(err)
	}
	_, _, queries, _ := f.Recorded()
	if len(queries) != 1 {
		t.Fatalf("%d query requests", len(queries))
	}
	req := queries[0]
	if req.Query != sql {
		t.Errorf("SQL sent\n%s\nwant\n%s", req.Query, sql)
	}
	var got []string
	for _, p := range req.QueryParameters {
		pt := p.ParameterType
		if pt == nil || pt.ArrayType == nil || p.ParameterValue == nil {
			t.Errorf("parameter %s: type %+v value %+v, want an ARRAY", p.Name, pt, p.ParameterValue)
			continue
		}
		vals := make([]string, len(p.ParameterValue.ArrayValues))
		for i, v := range p.ParameterValue.ArrayValues {
			vals[i] = v.Value
		}
		got = append(got, p.Name+":"+pt.Type+"<"+pt.ArrayType.Type+">="+strings.Join(vals, "|"))
	}
	want := []string{
		"names:ARRAY<STRING>=" + strings.Join(names, "|"),
		"ids:ARRAY<INT64>=7|-1",
		"amounts:ARRAY<FLOAT64>=0.25|3",
		"flags:ARRAY<BOOL>=true",
		"times:ARRAY<TIMESTAMP>=2024-02-29 22:59:58.123456+00:00",
	}
	if !slices.Equal(got, want) {
		t.Errorf("parameters\n%q\nwant\n%q", got, want)
	}
	// An empty list is refused before any request.
	if _, err := d.Query(ctx(t), sql, []warehouse.Param{
		{Name: "names", Value: []string{}}, {Name: "ids", Value: []int64{1}}, {Name: "amounts", Value: []float64{1}},
		{Name: "flags", Value: []bool{true}}, {Name: "times", Value: []time.Time{at}},
	}, 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("empty list: %v, want invalid", err)
	}
	if _, _, q, _ := f.Recorded(); len(q) != 1 {
		t.Errorf("the empty list reached the server")
	}
}

func TestFakeQueryErrors(t *testing.T) {
	f, d := setup(t)
	for _, tt := range []struct {
		e    apiError
		kind errs.Kind
	}{
		{apiError{Code: 400, Reason: "invalidQuery", Message: "Syntax error"}, errs.Invalid},
		{apiError{Code: 404, Reason: "notFound", Message: "Not found: Table test-proj:raw_data.nope"}, errs.NotFound},
		{apiError{Code: 403, Reason: "accessDenied", Message: "Access Denied"}, errs.Permission},
		{apiError{Code: 409, Reason: "duplicate", Message: "Already exists"}, errs.Conflict},
	} {
		f.Answer(func(*bq.QueryRequest) (*bq.QueryResponse, *apiError) { return nil, &tt.e })
		_, err := d.Query(ctx(t), "SELECT 1", nil, 0)
		if errs.KindOf(err) != tt.kind {
			t.Errorf("%d %s: %v (kind %s), want %s", tt.e.Code, tt.e.Reason, err, errs.KindOf(err), tt.kind)
		}
	}
}

// TestCreateDatasetWithoutProjectCreate: a deployment grants the functions
// bigquery.dataEditor on the datasets Terraform made and no
// bigquery.datasets.create on the project, and BigQuery refuses
// datasets.insert then even for a dataset that exists. CreateDataset looks
// the dataset up first, so an existing one is fine without the create
// permission; a missing one is refused with a message that says what to do.
func TestCreateDatasetWithoutProjectCreate(t *testing.T) {
	f := newFakeBQ(t)
	d := openFake(t, f)
	t.Cleanup(func() { d.Close() })
	f.AddDataset("raw_data")
	f.DenyDatasetCreate(true)

	if err := d.CreateDataset(ctx(t), "raw_data"); err != nil {
		t.Fatalf("CreateDataset(existing) without bigquery.datasets.create: %v", err)
	}
	calls, _, _, _ := f.Recorded()
	if !slices.Equal(calls, []string{"GET /bigquery/v2/projects/test-proj/datasets/raw_data"}) {
		t.Errorf("calls = %v, want only the dataset lookup", calls)
	}

	err := d.CreateDataset(ctx(t), "sales")
	if !errs.Is(err, errs.Permission) {
		t.Fatalf("CreateDataset(missing) = %v, want a permission error", err)
	}
	msg := errs.UserMessage(err)
	for _, want := range []string{`"sales"`, "Terraform"} {
		if !strings.Contains(msg, want) {
			t.Errorf("user message %q does not mention %s", msg, want)
		}
	}
	if strings.Contains(msg, "bigquerywh") {
		t.Errorf("user message %q names a Go package", msg)
	}

	// With the permission, a missing dataset is created, once.
	f.DenyDatasetCreate(false)
	for range 2 {
		if err := d.CreateDataset(ctx(t), "sales"); err != nil {
			t.Fatal(err)
		}
	}
	if !f.HasDataset("sales") {
		t.Errorf("dataset sales was not created")
	}
}
