package tabular

import (
	"context"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestInferTypes(t *testing.T) {
	tests := []struct {
		name     string
		values   []string // one column, after the header "v"
		want     warehouse.Type
		nullable bool
		layout   string
	}{
		{"bool", []string{"true", "False", "T", "f"}, warehouse.Bool, false, ""},
		{"yes/no is not bool", []string{"yes", "no"}, warehouse.String, false, ""},
		{"0/1 is int", []string{"0", "1", "1"}, warehouse.Int64, false, ""},
		{"int", []string{"1", "-20", "+3", "9223372036854775807"}, warehouse.Int64, false, ""},
		{"integral floats are int", []string{"17850.0", "13047.0", "", "12583.00"}, warehouse.Int64, true, ""},
		{"fraction widens to float", []string{"17850.0", "17850.5"}, warehouse.Float64, false, ""},
		{"float", []string{"2.55", "1e3", ".5", "-0.25", "3"}, warehouse.Float64, false, ""},
		{"leading zeros are codes", []string{"007", "123"}, warehouse.String, false, ""},
		{"leading zero float is code", []string{"1.5", "01.5"}, warehouse.String, false, ""},
		{"beyond int64 is string", []string{"1", "99999999999999999999"}, warehouse.String, false, ""},
		{"int then text late", append(repeat("536365", 50), "C536379"), warehouse.String, false, ""},
		{"date", []string{"2024-01-31", "2024-02-29"}, warehouse.Date, false, ""},
		{"invalid date is string", []string{"2024-01-31", "2023-02-29"}, warehouse.String, false, ""},
		{"timestamp", []string{"2010-12-01 08:26:00", "2010-12-01T08:26:00.123Z", "2010-12-01T08:26:00+02:00"}, warehouse.Timestamp, false, ""},
		{"mixed date and timestamp", []string{"2010-12-01", "2010-12-01 08:26:00"}, warehouse.Timestamp, false, ""},
		{"date and text", []string{"2010-12-01", "tomorrow"}, warehouse.String, false, ""},
		{"excel m/d/y", []string{"12/1/2010 8:26", "12/13/2010 17:05"}, warehouse.Timestamp, false, LayoutMDY},
		{"d/m/y", []string{"13/1/2010", "1/2/2010"}, warehouse.Date, false, LayoutDMY},
		{"d.m.y", []string{"31.12.2010"}, warehouse.Date, false, LayoutDMY},
		{"time", []string{"08:26:00", "23:59:59.5"}, warehouse.Time, false, ""},
		{"null tokens in int column", []string{"1", "NULL", "NA", "2"}, warehouse.Int64, true, ""},
		{"null tokens kept in string column", []string{"Namibia", "NA"}, warehouse.String, false, ""},
		{"empty makes nullable", []string{"a", ""}, warehouse.String, true, ""},
		{"all empty", []string{"", ""}, warehouse.String, true, ""},
		{"nan is null in float column", []string{"1.5", "NaN"}, warehouse.Float64, true, ""},
		{"spaces around numbers", []string{" 1", "2 "}, warehouse.Int64, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := "v,w\n"
			for _, v := range tt.values {
				data += quoteCSV(v) + ",x\n"
			}
			in := mustInfer(t, data, CSV, Options{HasHeader: ptr(true)})
			c := in.Columns[0]
			if c.Type != tt.want || c.Nullable != tt.nullable || c.Layout != tt.layout {
				t.Errorf("got %s nullable=%v layout=%q, want %s nullable=%v layout=%q (warning %q)", c.Type, c.Nullable, c.Layout, tt.want, tt.nullable, tt.layout, c.Warning)
			}
			if in.Rows != int64(len(tt.values)) {
				t.Errorf("rows = %d", in.Rows)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func quoteCSV(s string) string {
	if strings.ContainsAny(s, ",\"\n ") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func TestInferLateValueWidensAndWarns(t *testing.T) {
	data := "InvoiceNo\n" + strings.Repeat("536365\n", 100) + "C536379\n"
	in := mustInfer(t, data, CSV, Options{})
	c := in.Columns[0]
	if c.Type != warehouse.String || !strings.Contains(c.Warning, "C536379") || !strings.Contains(c.Warning, "line 102") {
		t.Errorf("column = %+v", c)
	}
	// A sample that stops early infers INT64 and says so.
	in = mustInfer(t, data, CSV, Options{SampleRows: 10})
	c = in.Columns[0]
	if c.Type != warehouse.Int64 || in.Complete || c.Confidence >= 1 || c.Warning == "" || in.Rows != 10 {
		t.Errorf("sampled: complete=%v rows=%d column=%+v", in.Complete, in.Rows, c)
	}
}

func TestInferHeaderAndNames(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		opts   Options
		header bool
		names  []string
		delim  rune
	}{
		{"header", "Customer ID,Amount (€)\n1,2.5\n2,3.5\n", Options{}, true, []string{"customer_id", "amount"}, ','},
		{"headerless numbers", "1,2.5\n2,3.5\n", Options{}, false, []string{"column_0", "column_1"}, ','},
		{"headerless dates", "2024-01-01,x\n2024-01-02,y\n", Options{}, false, []string{"column_0", "column_1"}, ','},
		{"all text assumes header", "name,colour\napple,red\n", Options{}, true, []string{"name", "colour"}, ','},
		{"forced headerless", "name,colour\napple,red\n", Options{HasHeader: ptr(false)}, false, []string{"column_0", "column_1"}, ','},
		{"duplicate and blank headers", "a,A,,x\n1,2,3,4\n", Options{}, true, []string{"a", "a_2", "column_2", "x"}, ','},
		{"semicolon", "a;b;c\n1,5;2;3\n4;5;6\n", Options{}, true, []string{"a", "b", "c"}, ';'},
		{"tab", "a\tb\n1\t2\n", Options{}, true, []string{"a", "b"}, '\t'},
		{"pipe", "a|b\n1|2\n", Options{}, true, []string{"a", "b"}, '|'},
		{"quoted commas do not count", "a;b\n\"x,y,z\";1\n\"p,q\";2\n", Options{}, true, []string{"a", "b"}, ';'},
		{"given delimiter", "a;b\n1;2\n", Options{Delimiter: ','}, true, []string{"a_b"}, ','},
		{"single header line", "a,b\n", Options{}, true, []string{"a", "b"}, ','},
		{"bom", "\ufeffid,v\n1,2\n", Options{}, true, []string{"id", "v"}, ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustInfer(t, tt.data, CSV, tt.opts)
			if in.HasHeader != tt.header || in.Delimiter != tt.delim {
				t.Errorf("header=%v delim=%q, want %v %q", in.HasHeader, in.Delimiter, tt.header, tt.delim)
			}
			var names []string
			for _, c := range in.Columns {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.names, ",") {
				t.Errorf("names = %q, want %q", names, tt.names)
			}
		})
	}
}

func TestInferFingerprintAndSamples(t *testing.T) {
	in := mustInfer(t, "a,b\n1,x\n2,\n1,x\n3,y\n4,z\n5,w\n", CSV, Options{})
	want := Fingerprint(warehouse.Schema{{Name: "a", Type: warehouse.Int64}, {Name: "b", Type: warehouse.String}})
	if in.Fingerprint != want || len(in.Fingerprint) != 32 {
		t.Errorf("fingerprint = %q, want %q", in.Fingerprint, want)
	}
	if got := strings.Join(in.Columns[1].Samples, "|"); got != "x|NULL|y|z|w" {
		t.Errorf("samples = %q", got)
	}
	if got := strings.Join(in.Columns[0].Samples, "|"); got != "1|2|3|4|5" {
		t.Errorf("samples = %q", got)
	}
}

func TestInferGzipAndBadRows(t *testing.T) {
	data := gz(t, "a,b\n1,2\n3,4,5\n6,7\n")
	in := mustInfer(t, data, CSV, Options{})
	if in.Rows != 3 || in.BadRows != 1 || len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "line 3") {
		t.Errorf("rows=%d bad=%d warnings=%q", in.Rows, in.BadRows, in.Warnings)
	}
	if in.Columns[0].Type != warehouse.Int64 {
		t.Errorf("type = %s", in.Columns[0].Type)
	}
}

func TestInferJSONL(t *testing.T) {
	data := `{"id": 1, "name": "a", "tags": ["x"], "at": "2024-01-01T10:00:00Z"}
{"id": 2, "name": "b", "extra": {"k": 1}, "price": 2.5, "code": "007"}

{"id": 3, "name": null, "price": 3, "ok": true, "code": "008"}
not json
`
	in := mustInfer(t, data, JSONL, Options{})
	want := []struct {
		name     string
		typ      warehouse.Type
		nullable bool
	}{
		{"id", warehouse.Int64, false},
		{"name", warehouse.String, true},
		{"tags", warehouse.JSON, true},
		{"at", warehouse.Timestamp, true},
		{"extra", warehouse.JSON, true},
		{"price", warehouse.Float64, true},
		{"code", warehouse.String, true},
		{"ok", warehouse.Bool, true},
	}
	if len(in.Columns) != len(want) {
		t.Fatalf("columns = %+v", in.Columns)
	}
	for i, w := range want {
		c := in.Columns[i]
		if c.Name != w.name || c.Type != w.typ || c.Nullable != w.nullable {
			t.Errorf("column %d = %s %s %v, want %+v", i, c.Name, c.Type, c.Nullable, w)
		}
	}
	if in.Rows != 4 || in.BadRows != 1 || !strings.Contains(strings.Join(in.Warnings, ""), "line 5") {
		t.Errorf("rows=%d bad=%d warnings=%q", in.Rows, in.BadRows, in.Warnings)
	}
}

func TestInferJSONArray(t *testing.T) {
	data := `[
  {"a": 1, "b": "x"},
  {"a": 2.5,
   "b": "y"}
]`
	in := mustInfer(t, data, JSON, Options{})
	if len(in.Columns) != 2 || in.Columns[0].Type != warehouse.Float64 || in.Columns[1].Type != warehouse.String || in.Rows != 2 {
		t.Errorf("inferred = %+v", in)
	}
}

func TestInferErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Infer(ctx, strings.NewReader("a\n1\n"), CSV, Options{Encoding: "ebcdic"})
	if errs.KindOf(err) != errs.Unsupported {
		t.Errorf("encoding err = %v", err)
	}
	_, err = Infer(ctx, strings.NewReader("a\n1\n"), Format("xlsx"), Options{})
	if errs.KindOf(err) != errs.Unsupported {
		t.Errorf("format err = %v", err)
	}
	_, err = Infer(ctx, strings.NewReader("\x1f\x8bnot gzip"), CSV, Options{})
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("gzip err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Infer(cctx, strings.NewReader("a\n"+strings.Repeat("1\n", 5000)), CSV, Options{})
	if err == nil {
		t.Error("cancelled Infer succeeded")
	}
	// Empty input: no columns, no error.
	in, err := Infer(ctx, strings.NewReader(""), CSV, Options{})
	if err != nil || len(in.Columns) != 0 || in.Rows != 0 {
		t.Errorf("empty: %+v %v", in, err)
	}
}

func TestInferLatin1(t *testing.T) {
	data := "name,price\nCaf\xe9,1.5\n"
	in := mustInfer(t, data, CSV, Options{Encoding: "latin-1"})
	if in.Columns[0].Samples[0] != "Café" {
		t.Errorf("samples = %q", in.Columns[0].Samples)
	}
	in = mustInfer(t, data, CSV, Options{Encoding: "utf-8"})
	if len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "UTF-8") {
		t.Errorf("warnings = %q", in.Warnings)
	}
}
