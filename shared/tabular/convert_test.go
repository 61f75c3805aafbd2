package tabular

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestConvertRoundTrip(t *testing.T) {
	data := "id,name,price,ok,day,at,code,t,note\n" +
		"1,apple,2.5,true,2024-01-31,2010-12-01 08:26:00,007,08:26:00,\"a, quoted\"\"note\"\n" +
		"2,,3,false,2024-02-29,2010-12-01T08:26:00.5+01:00,123,23:59:59.000001,NA\n" +
		"NULL,pear,NaN,,,,x,,\n"
	in := mustInfer(t, data, CSV, Options{})
	wantTypes := []warehouse.Type{warehouse.Int64, warehouse.String, warehouse.Float64, warehouse.Bool, warehouse.Date, warehouse.Timestamp, warehouse.String, warehouse.Time, warehouse.String}
	for i, c := range in.Columns {
		if c.Type != wantTypes[i] {
			t.Errorf("column %s type %s, want %s", c.Name, c.Type, wantTypes[i])
		}
	}
	res := convert(t, data, CSV, in, 0)
	if res.stats.RowsRead != 3 || res.stats.RowsWritten != 3 || res.stats.RowsRejected != 0 || res.stats.Parts != 1 {
		t.Fatalf("stats = %+v", res.stats)
	}
	wantArrow := []arrow.Type{arrow.INT64, arrow.STRING, arrow.FLOAT64, arrow.BOOL, arrow.DATE32, arrow.TIMESTAMP, arrow.STRING, arrow.TIME64, arrow.STRING}
	for i, f := range res.schema.Fields() {
		if f.Type.ID() != wantArrow[i] || f.Name != in.Columns[i].Name || f.Nullable != in.Columns[i].Nullable {
			t.Errorf("field %d = %s %s nullable=%v", i, f.Name, f.Type, f.Nullable)
		}
	}
	if ts := res.schema.Field(5).Type.(*arrow.TimestampType); ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
		t.Errorf("timestamp type = %s", ts)
	}
	want := [][]any{
		{int64(1), "apple", 2.5, true, "2024-01-31", "2010-12-01T08:26:00Z", "007", "08:26:00.000000", "a, quoted\"note"},
		{int64(2), nil, 3.0, false, "2024-02-29", "2010-12-01T07:26:00.5Z", "123", "23:59:59.000001", "NA"},
		{nil, "pear", nil, nil, nil, nil, "x", nil, nil},
	}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows =\n%v\nwant\n%v", res.rows, want)
	}
}

func TestConvertIntegralFloatsExact(t *testing.T) {
	data := "CustomerID,x\n17850.0,a\n,b\n9007199254740993.0,c\n"
	in := mustInfer(t, data, CSV, Options{})
	if in.Columns[0].Type != warehouse.Int64 || !in.Columns[0].Nullable {
		t.Fatalf("column = %+v", in.Columns[0])
	}
	res := convert(t, data, CSV, in, 0)
	want := [][]any{{int64(17850), "a"}, {nil, "b"}, {int64(9007199254740993), "c"}}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows = %v", res.rows)
	}
	// A stale INT64 schema rejects a fraction instead of truncating it.
	res = convert(t, "CustomerID,x\n17850.5,a\n17851.0,b\n", CSV, in, 0)
	if res.stats.RowsRejected != 1 || len(res.rows) != 1 || res.rejects[0].Line != 2 || res.rejects[0].Column != "customerid" {
		t.Errorf("stats=%+v rejects=%+v", res.stats, res.rejects)
	}
}

func TestConvertRejects(t *testing.T) {
	data := "a,b\n" + // line 1
		"1,x\n" + // 2
		"\"2\",\"multi\nline\"\n" + // 3-4
		"3,y,extra\n" + // 5
		"abc,z\n" + // 6
		"4\n" + // 7
		"5,\"bad\"quote\"\n" + // 8
		"6,w\n" // 9
	in := Inferred{Format: CSV, Delimiter: ',', HasHeader: true, Fields: 2, Columns: []InferredColumn{
		{Name: "a", Original: "a", Type: warehouse.Int64},
		{Name: "b", Original: "b", Type: warehouse.String},
	}}
	res := convert(t, data, CSV, in, 0)
	st := res.stats
	if st.RowsRead != 7 || st.RowsWritten != 3 || st.RowsRejected != 4 || st.RowsRead != st.RowsWritten+st.RowsRejected {
		t.Fatalf("stats = %+v", st)
	}
	want := []Reject{
		{Line: 5, Reason: "expected 2 fields, got 3", Raw: "3,y,extra"},
		{Line: 6, Column: "a", Reason: `"abc" is not a valid INT64`, Raw: "abc,z"},
		{Line: 7, Reason: "expected 2 fields, got 1", Raw: "4"},
	}
	if !reflect.DeepEqual(res.rejects[:3], want) {
		t.Errorf("rejects = %+v\nwant %+v", res.rejects[:3], want)
	}
	if r := res.rejects[3]; r.Line != 8 || !strings.Contains(r.Reason, "malformed CSV") {
		t.Errorf("quote reject = %+v", r)
	}
	if !reflect.DeepEqual(st.FirstRejects, res.rejects) {
		t.Errorf("FirstRejects = %+v", st.FirstRejects)
	}
	wantRows := [][]any{{int64(1), "x"}, {int64(2), "multi\nline"}, {int64(6), "w"}}
	if !reflect.DeepEqual(res.rows, wantRows) {
		t.Errorf("rows = %q", res.rows)
	}
}

func TestConvertTooManyFieldsLine4(t *testing.T) {
	data := "a,b\n1,2\n3,4\n5,6,7\n8,9\n"
	in := mustInfer(t, data, CSV, Options{})
	res := convert(t, data, CSV, in, 0)
	if len(res.rejects) != 1 || res.rejects[0].Line != 4 || !strings.Contains(res.rejects[0].Reason, "expected 2 fields, got 3") {
		t.Errorf("rejects = %+v", res.rejects)
	}
}

func TestConvertNullInRequiredColumn(t *testing.T) {
	in := Inferred{Format: CSV, Delimiter: ',', HasHeader: true, Columns: []InferredColumn{{Name: "a", Original: "a", Type: warehouse.String}}}
	res := convert(t, "a\nx\n\ny\n\"\"\n", CSV, in, 0)
	// The blank line is skipped by the CSV reader; "" is a NULL.
	if res.stats.RowsWritten != 2 || res.stats.RowsRejected != 1 || res.rejects[0].Line != 5 || !strings.Contains(res.rejects[0].Reason, "NULL") {
		t.Errorf("stats=%+v rejects=%+v", res.stats, res.rejects)
	}
}

func TestConvertInvalidUTF8(t *testing.T) {
	data := "name\nok\nCaf\xe9\n"
	in := mustInfer(t, data, CSV, Options{Encoding: "utf-8"})
	res := convert(t, data, CSV, in, 0)
	if res.stats.RowsRejected != 1 || res.rejects[0].Line != 3 || !strings.Contains(res.rejects[0].Reason, "UTF-8") {
		t.Errorf("rejects = %+v", res.rejects)
	}
	in = mustInfer(t, data, CSV, Options{Encoding: "windows-1252"})
	res = convert(t, data, CSV, in, 0)
	if res.stats.RowsRejected != 0 || res.rows[1][0] != "Café" {
		t.Errorf("rows = %q rejects = %+v", res.rows, res.rejects)
	}
}

func TestConvertPartsAndGzip(t *testing.T) {
	var b strings.Builder
	b.WriteString("n;sq\n")
	for i := 0; i < 25; i++ {
		b.WriteString(strings.Repeat("1", 1+i%3) + ";" + "x\n")
	}
	data := gz(t, b.String())
	in := mustInfer(t, data, CSV, Options{})
	if in.Delimiter != ';' {
		t.Fatalf("delimiter = %q", in.Delimiter)
	}
	res := convert(t, data, CSV, in, 10)
	if res.stats.Parts != 3 || len(res.parts) != 3 || len(res.rows) != 25 || res.stats.RowsWritten != 25 {
		t.Errorf("parts=%d rows=%d stats=%+v", len(res.parts), len(res.rows), res.stats)
	}
	if res.stats.BytesRead != int64(len(data)) {
		t.Errorf("bytes read = %d, want %d", res.stats.BytesRead, len(data))
	}
	var total int64
	for _, p := range res.parts {
		total += int64(p.Len())
	}
	if res.stats.BytesWritten != total {
		t.Errorf("bytes written = %d, want %d", res.stats.BytesWritten, total)
	}
}

func TestConvertHeaderlessAndReorderedColumns(t *testing.T) {
	data := "1,a\n2,b\n"
	in := mustInfer(t, data, CSV, Options{})
	if in.HasHeader {
		t.Fatal("header detected")
	}
	res := convert(t, data, CSV, in, 0)
	if !reflect.DeepEqual(res.rows, [][]any{{int64(1), "a"}, {int64(2), "b"}}) || res.schema.Field(0).Name != "column_0" {
		t.Errorf("rows = %v schema = %s", res.rows, res.schema)
	}

	// A second file of the same job with its columns in another order,
	// one more column and one missing (nullable) column.
	in = mustInfer(t, "id,name,city\n1,a,\n", CSV, Options{})
	res = convert(t, "extra,name,id\nq,b,2\n", CSV, in, 0)
	if !reflect.DeepEqual(res.rows, [][]any{{int64(2), "b", nil}}) {
		t.Errorf("rows = %v", res.rows)
	}
	if !reflect.DeepEqual(res.stats.IgnoredColumns, []string{"extra"}) || !reflect.DeepEqual(res.stats.MissingColumns, []string{"city"}) {
		t.Errorf("ignored=%q missing=%q", res.stats.IgnoredColumns, res.stats.MissingColumns)
	}
	// A missing column that is not nullable fails the file.
	_, err := Convert(context.Background(), strings.NewReader("name\nb\n"), CSV, in, ConvertOptions{NewPart: (&memParts{}).newPart})
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("err = %v", err)
	}
}

func TestConvertOverride(t *testing.T) {
	data := "code,amount,when\n007,1.50,12/1/2010 8:26\n010,2,12/13/2010 17:05\n"
	in := mustInfer(t, data, CSV, Options{})
	if in.Columns[2].Layout != LayoutMDY {
		t.Fatalf("layout = %q", in.Columns[2].Layout)
	}
	ov, err := in.Override(warehouse.Schema{
		{Name: "when", Type: warehouse.DateTime},
		{Name: "amount", Type: warehouse.Numeric},
		{Name: "code", Type: warehouse.Int64},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := convert(t, data, CSV, ov, 0)
	want := [][]any{
		{"2010-12-01T08:26:00Z", "1.500000000", int64(7)},
		{"2010-12-13T17:05:00Z", "2.000000000", int64(10)},
	}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows = %v", res.rows)
	}
	if tt := res.schema.Field(0).Type.(*arrow.TimestampType); tt.TimeZone != "" {
		t.Errorf("DATETIME zone = %q", tt.TimeZone)
	}
	if _, err := in.Override(warehouse.Schema{{Name: "nope", Type: warehouse.String}}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("override err = %v", err)
	}
	if _, err := in.Override(warehouse.Schema{{Name: "code", Type: "GEOGRAPHY"}}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("override err = %v", err)
	}
}

func TestConvertJSONL(t *testing.T) {
	data := `{"id": 1, "name": "a", "tags": ["x", "y"], "at": "2024-01-01T10:00:00Z"}
{"id": 2, "name": "b", "extra": {"k": 1}}
{"id": "three"}
not json

{"id": 4, "name": null, "at": "2024-01-02T00:00:00+01:00", "new": 1}
`
	in := mustInfer(t, data, JSONL, Options{})
	if in.Columns[0].Type != warehouse.String {
		t.Fatalf("id = %+v", in.Columns[0])
	}
	// A stale schema: id was INT64 before "three" turned up.
	in.Columns[0].Type = warehouse.Int64
	res := convert(t, data, JSONL, in, 0)
	st := res.stats
	if st.RowsRead != 5 || st.RowsWritten != 3 || st.RowsRejected != 2 {
		t.Fatalf("stats = %+v rejects %+v", st, res.rejects)
	}
	if res.rejects[0].Line != 3 || res.rejects[0].Column != "id" || res.rejects[1].Line != 4 || res.rejects[1].Raw != "not json" {
		t.Errorf("rejects = %+v", res.rejects)
	}
	want := [][]any{
		{int64(1), "a", `["x", "y"]`, "2024-01-01T10:00:00Z", nil, nil},
		{int64(2), "b", nil, nil, `{"k": 1}`, nil},
		{int64(4), nil, nil, "2024-01-01T23:00:00Z", nil, int64(1)},
	}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows =\n%v\nwant\n%v", res.rows, want)
	}
}

func TestConvertJSONArrayLines(t *testing.T) {
	data := "[\n  {\"a\": 1},\n  {\"a\": \"x\"},\n\n  {\"a\": 3}\n]\n"
	in := Inferred{Format: JSON, Columns: []InferredColumn{{Name: "a", Original: "a", Type: warehouse.Int64}}}
	res := convert(t, data, JSON, in, 0)
	if res.stats.RowsWritten != 2 || len(res.rejects) != 1 || res.rejects[0].Line != 3 {
		t.Errorf("stats=%+v rejects=%+v", res.stats, res.rejects)
	}
}

func TestParquetRoundTrip(t *testing.T) {
	data := "id,name,price,day,at,flag\n1,a,1.5,2024-01-01,2024-01-01 10:00:00,true\n2,,2,2024-01-02,2024-01-02 11:30:00.25,false\n"
	in := mustInfer(t, data, CSV, Options{})
	first := convert(t, data, CSV, in, 0)
	part := first.parts[0].Bytes()

	pin, err := InferParquet(bytes.NewReader(part), int64(len(part)))
	if err != nil {
		t.Fatal(err)
	}
	if pin.Rows != 2 || len(pin.Columns) != 6 {
		t.Fatalf("parquet inferred = %+v", pin)
	}
	for i, c := range pin.Columns {
		if c.Name != in.Columns[i].Name || c.Type != in.Columns[i].Type || c.Nullable != in.Columns[i].Nullable {
			t.Errorf("column %d = %+v, want %+v", i, c, in.Columns[i])
		}
	}
	if pin.Fingerprint != in.Fingerprint {
		t.Errorf("fingerprints differ")
	}
	if got := strings.Join(pin.Columns[1].Samples, "|"); got != "a|NULL" {
		t.Errorf("samples = %q", got)
	}
	// Parquet in, Parquet out (through the io.Reader entry point, which
	// uses the ReaderAt of a bytes.Reader).
	var mp memParts
	st, err := Convert(context.Background(), bytes.NewReader(part), Parquet, pin, ConvertOptions{NewPart: mp.newPart})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readParquet(t, mp.parts[0].Bytes())
	if st.RowsWritten != 2 || !reflect.DeepEqual(rows, first.rows) {
		t.Errorf("rows = %v, want %v", rows, first.rows)
	}
	// Retyped through text: INT64 id as STRING, timestamps as DATE reject
	// the row with a time of day.
	ov, _ := pin.Override(warehouse.Schema{{Name: "id", Type: warehouse.String}, {Name: "at", Type: warehouse.Date, Nullable: true}})
	mp = memParts{}
	var rej bytes.Buffer
	st, err = Convert(context.Background(), io.MultiReader(bytes.NewReader(part)), Parquet, ov, ConvertOptions{NewPart: mp.newPart, Rejects: &rej})
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != 0 || st.RowsRejected != 2 || !strings.Contains(rej.String(), `"line":2`) {
		t.Errorf("stats = %+v rejects %s", st, rej.String())
	}
	if _, err := InferParquet(bytes.NewReader([]byte("nope")), 4); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad parquet err = %v", err)
	}
}

func TestConvertProgressAndCancel(t *testing.T) {
	data := "a\n" + strings.Repeat("1\n", 120_000)
	in := mustInfer(t, data, CSV, Options{})
	var calls []int64
	var sink int64
	// gzip: decompression runs in a goroutine while Progress reads the
	// byte count (run with -race).
	st, err := Convert(context.Background(), strings.NewReader(gz(t, data)), CSV, in, ConvertOptions{
		NewPart:  func(int) (io.WriteCloser, error) { return discardSink{&sink}, nil },
		Progress: func(s Stats) { calls = append(calls, s.RowsRead) },
	})
	if err != nil || st.RowsWritten != 120_000 {
		t.Fatalf("st=%+v err=%v", st, err)
	}
	if !reflect.DeepEqual(calls, []int64{50_000, 100_000, 120_000}) {
		t.Errorf("progress = %v", calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	aborted := 0
	_, err = Convert(ctx, strings.NewReader(data), CSV, in, ConvertOptions{
		NewPart:  func(int) (io.WriteCloser, error) { return &abortSink{n: &aborted}, nil },
		Progress: func(Stats) { cancel() },
	})
	if !errors.Is(err, context.Canceled) || aborted != 1 {
		t.Errorf("err = %v, aborted = %d", err, aborted)
	}
}

type abortSink struct {
	bytes.Buffer
	n *int
}

func (a *abortSink) Close() error { panic("closed instead of aborted") }
func (a *abortSink) Abort() error { *a.n++; return nil }

func TestConvertErrors(t *testing.T) {
	in := mustInfer(t, "a\n1\n", CSV, Options{})
	ctx := context.Background()
	if _, err := Convert(ctx, strings.NewReader("a\n1\n"), CSV, in, ConvertOptions{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("no NewPart: %v", err)
	}
	_, err := Convert(ctx, strings.NewReader("a\n1\n"), CSV, in, ConvertOptions{NewPart: (&memParts{}).newPart, Compression: "lzo"})
	if errs.KindOf(err) != errs.Unsupported {
		t.Errorf("compression: %v", err)
	}
	boom := errs.E(errs.Permission, "denied")
	_, err = Convert(ctx, strings.NewReader("a\n1\n"), CSV, in, ConvertOptions{NewPart: func(int) (io.WriteCloser, error) { return nil, boom }})
	if errs.KindOf(err) != errs.Permission {
		t.Errorf("NewPart error: %v", err)
	}
	// zstd works, and no rows make no parts.
	var mp memParts
	st, err := Convert(ctx, strings.NewReader("a\n"), CSV, in, ConvertOptions{NewPart: mp.newPart, Compression: "zstd"})
	if err != nil || st.Parts != 0 || len(mp.parts) != 0 {
		t.Errorf("empty: %+v %v", st, err)
	}
	st, err = Convert(ctx, strings.NewReader("a\n5\n"), CSV, in, ConvertOptions{NewPart: mp.newPart, Compression: "zstd"})
	if err != nil || st.Parts != 1 {
		t.Errorf("zstd: %+v %v", st, err)
	}
}
