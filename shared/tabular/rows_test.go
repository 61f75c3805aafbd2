package tabular

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// sliceRows is a RowSource over rows in memory; it reuses the slice it
// returns, as database iterators do.
type sliceRows struct {
	cols []RowColumn
	rows [][]any
	i    int
	buf  []any
}

func (s *sliceRows) Columns() []RowColumn { return s.cols }

func (s *sliceRows) Next() ([]any, error) {
	if s.i == len(s.rows) {
		return nil, io.EOF
	}
	s.buf = append(s.buf[:0], s.rows[s.i]...)
	s.i++
	return s.buf, nil
}

// rowsInferred describes typed columns as a database extract does.
func rowsInferred(cols []RowColumn) Inferred {
	in := Inferred{Complete: true}
	for _, c := range cols {
		in.Columns = append(in.Columns, InferredColumn{Name: c.Name, Original: c.Original, Type: c.Type, Nullable: true, Confidence: 1})
	}
	return in
}

// convertRows converts typed rows and reads the parts and rejects back.
func convertRows(t testing.TB, cols []RowColumn, rows [][]any, in Inferred, lim Limits) (result, error) {
	t.Helper()
	var mp memParts
	var rej bytes.Buffer
	st, err := ConvertRows(context.Background(), &sliceRows{cols: cols, rows: rows}, in, ConvertOptions{NewPart: mp.newPart, Rejects: &rej, Limits: lim})
	if err != nil {
		return result{}, err
	}
	res := result{stats: st, parts: mp.parts}
	dec := json.NewDecoder(&rej)
	for dec.More() {
		var r Reject
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("rejects: %v", err)
		}
		res.rejects = append(res.rejects, r)
	}
	for _, p := range mp.parts {
		_, rs := readParquet(t, p.Bytes())
		res.rows = append(res.rows, rs...)
	}
	return res, nil
}

var typedCols = []RowColumn{
	{"id", "ID", warehouse.Int64}, {"price", "Price", warehouse.Numeric}, {"ratio", "ratio", warehouse.Float64},
	{"ok", "ok", warehouse.Bool}, {"day", "day", warehouse.Date}, {"at", "at", warehouse.Timestamp},
	{"local", "local", warehouse.DateTime}, {"clock", "clock", warehouse.Time}, {"doc", "doc", warehouse.JSON},
	{"blob", "blob", warehouse.Bytes}, {"name", "Name", warehouse.String},
}

func typedRows() [][]any {
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, warsaw)
	return [][]any{
		{int64(1), "12.50", 1.25, true, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), at, at, "01:00:01.5", `{"a": [1,
 2]}`, []byte{0, 1, 255}, "acme"},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(3), "1.123456789012", math.Inf(1), false, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), at.Add(time.Nanosecond), at, "08:30:00", `"x"`, []byte{}, "a\"b\nc"},
		{int64(4), "-99999999999999999999.123456789", math.NaN(), true, time.Date(2026, 3, 1, 23, 0, 0, 0, warsaw), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), at, "not a time", `not json`, []byte("x"), ""},
		{int64(5), "0", -0.5, false, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), at, at, "23:59:59.999999", `null`, []byte("y"), "bad \xff byte"},
	}
}

// TestConvertRowsAsJSONLines: typed rows convert to exactly what their
// JSON Lines rendering (the text path database rows took before) does:
// the same rows, types, nulls, decimals and times, the same rejects with
// the same lines, columns, reasons and raw forms; also when an existing
// table's types differ from the source's.
func TestConvertRowsAsJSONLines(t *testing.T) {
	rows := typedRows()
	var jsonl strings.Builder
	for _, r := range rows {
		jsonl.Write(appendRowJSON(nil, typedCols, r))
		jsonl.WriteByte('\n')
	}
	same := rowsInferred(typedCols)
	// An existing table: other types, other order, a column fewer.
	table := warehouse.Schema{
		{Name: "name", Type: warehouse.String, Nullable: true}, {Name: "id", Type: warehouse.String, Nullable: true},
		{Name: "price", Type: warehouse.Float64, Nullable: true}, {Name: "ratio", Type: warehouse.String, Nullable: true},
		{Name: "ok", Type: warehouse.String, Nullable: true}, {Name: "day", Type: warehouse.Timestamp, Nullable: true},
		{Name: "at", Type: warehouse.String, Nullable: true}, {Name: "local", Type: warehouse.Date, Nullable: true},
		{Name: "doc", Type: warehouse.String, Nullable: true}, {Name: "blob", Type: warehouse.String, Nullable: true},
	}
	other, err := same.Override(table)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]Inferred{"same types": same, "table types": other} {
		t.Run(name, func(t *testing.T) {
			got, err := convertRows(t, typedCols, rows, in, Limits{})
			if err != nil {
				t.Fatalf("ConvertRows: %v", err)
			}
			want := convert(t, jsonl.String(), JSONL, in, 0)
			if !reflect.DeepEqual(got.rows, want.rows) {
				t.Errorf("rows differ:\n typed %v\n jsonl %v", got.rows, want.rows)
			}
			if !reflect.DeepEqual(got.rejects, want.rejects) {
				t.Errorf("rejects differ:\n typed %+v\n jsonl %+v", got.rejects, want.rejects)
			}
			if got.stats.RowsRead != want.stats.RowsRead || got.stats.RowsWritten != want.stats.RowsWritten || got.stats.RowsRejected != want.stats.RowsRejected {
				t.Errorf("stats: typed %+v, jsonl %+v", got.stats, want.stats)
			}
		})
	}
}

// TestConvertRowsValues pins what typed rows become: NULLs, decimals
// exactly, instants in UTC, dates, the wall clock of a DATETIME; and the
// rows that do not fit, rejected with their row number, column and raw
// form.
func TestConvertRowsValues(t *testing.T) {
	got, err := convertRows(t, typedCols, typedRows(), rowsInferred(typedCols), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{int64(1), "12.500000000", 1.25, true, "2026-01-02", "2026-01-02T02:04:05.123456Z", "2026-01-02T02:04:05.123456Z", "01:00:01.500000", `{"a":[1,2]}`, "\x00\x01\xff", "acme"},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(5), "0.000000000", -0.5, false, "2026-03-01", "2026-01-02T02:04:05.123456Z", "2026-01-02T02:04:05.123456Z", "23:59:59.999999", nil, "y", "bad \uFFFD byte"},
	}
	if len(got.rows) != len(want) {
		t.Fatalf("rows = %v", got.rows)
	}
	for i := range want {
		for j := range want[i] {
			if !reflect.DeepEqual(got.rows[i][j], want[i][j]) {
				t.Errorf("row %d %s = %#v, want %#v", i, typedCols[j].Name, got.rows[i][j], want[i][j])
			}
		}
	}
	if got.stats.RowsRead != 5 || got.stats.RowsWritten != 3 || got.stats.RowsRejected != 2 || len(got.rejects) != 2 {
		t.Fatalf("stats %+v rejects %+v", got.stats, got.rejects)
	}
	if rj := got.rejects[0]; rj.Line != 3 || rj.Column != "price" || !strings.Contains(rj.Reason, "NUMERIC") ||
		!strings.HasPrefix(rj.Raw, `{"ID":3,"Price":"1.123456789012","ratio":"+Inf"`) {
		t.Errorf("first reject = %+v", rj)
	}
	if rj := got.rejects[1]; rj.Line != 4 || rj.Column != "ratio" {
		t.Errorf("second reject = %+v (NaN is not a FLOAT64 a file may hold)", rj)
	}
}

// TestConvertRowsLimits: the input limits hold for typed rows: a long
// value, a long row and deep JSON are rejected naming the limit's
// setting; too many columns fail.
func TestConvertRowsLimits(t *testing.T) {
	cols := []RowColumn{{"id", "id", warehouse.Int64}, {"note", "note", warehouse.String}, {"doc", "doc", warehouse.JSON}}
	rows := [][]any{
		{int64(1), "short", `{"a":1}`},
		{int64(2), strings.Repeat("x", 40), nil},
		{int64(3), "short", strings.Repeat("[", 5) + strings.Repeat("]", 5)},
		{int64(4), strings.Repeat("y", 30), strings.Repeat("z", 0) + `"` + strings.Repeat("z", 28) + `"`},
	}
	got, err := convertRows(t, cols, rows, rowsInferred(cols), Limits{MaxFieldBytes: 32, MaxRecordBytes: 64, MaxJSONDepth: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []Reject{
		{Line: 2, Column: "note", Reason: "the value is longer than 32 bytes, the longest value allowed (setting B2B_MAX_FIELD_BYTES)"},
		{Line: 3, Column: "doc", Reason: "the JSON is nested more than 4 levels deep, the deepest allowed (setting B2B_MAX_JSON_DEPTH)"},
		{Line: 4, Reason: "the row is longer than 64 bytes, the longest record allowed (setting B2B_MAX_RECORD_BYTES)"},
	}
	if got.stats.RowsWritten != 1 || len(got.rejects) != len(want) {
		t.Fatalf("written %d, rejects %+v", got.stats.RowsWritten, got.rejects)
	}
	for i, w := range want {
		if r := got.rejects[i]; r.Line != w.Line || r.Column != w.Column || r.Reason != w.Reason || r.Raw == "" {
			t.Errorf("reject %d = %+v, want %+v", i, r, w)
		}
	}
	_, err = convertRows(t, cols, rows, rowsInferred(cols), Limits{MaxColumns: 2})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "B2B_MAX_COLUMNS") {
		t.Errorf("3 columns over a limit of 2: %v", err)
	}
}

func TestAppendJSONValue(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, c := range []struct {
		typ  warehouse.Type
		v    any
		want string
	}{
		{warehouse.Int64, nil, `null`},
		{warehouse.Int64, int64(-7), `-7`},
		{warehouse.Float64, 1.25, `1.25`},
		{warehouse.Float64, math.Inf(1), `"+Inf"`},
		{warehouse.Bool, true, `true`},
		{warehouse.Numeric, "12345.6700", `"12345.6700"`},
		{warehouse.String, "a\"b\nc", `"a\"b\nc"`},
		{warehouse.JSON, "{\"a\": [1,\n 2]}", `{"a":[1,2]}`},
		{warehouse.JSON, "not json", `"not json"`},
		{warehouse.Bytes, []byte{0, 1, 255}, `"AAH/"`},
		{warehouse.Date, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), `"2026-01-02"`},
		{warehouse.Timestamp, ts, `"2026-01-02T03:04:05.6Z"`},
		{warehouse.DateTime, ts, `"2026-01-02T03:04:05.6"`},
		{warehouse.Time, "25:00:01.5", `"25:00:01.5"`},
	} {
		if got := string(appendJSONValue(nil, c.typ, c.v)); got != c.want {
			t.Errorf("%s %#v = %s, want %s", c.typ, c.v, got, c.want)
		}
	}
}
