package tabular

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

var csvSeeds = []string{
	"a,b\n1,2\n3,4\n",
	"InvoiceNo,Quantity,InvoiceDate,CustomerID\n536365,6,2010-12-01 08:26:00,17850.0\nC536379,-1,2010-12-01 09:41:00,\n",
	"x;y\n\"a;b\";2\n\"multi\nline\";3\n",
	"1\t2\n3\t4\n",
	"a,b\n1,2,3\n\"unterminated\n",
	"\ufeffid|when\n1|12/1/2010 8:26\n2|13/1/2010 8:26\n",
	"a\nNULL\nNA\n007\n",
	"a,a,,A\n1,2,3,4\n",
	"d\n2024-02-30\n2024-02-29T10:00:00.1234567Z\n",
	"\"a\"b,c\nx\"y,z\n",
	"",
	"\n\n\n",
}

func FuzzInferCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add(s, uint8(0))
	}
	nameRE := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, data string, sample uint8) {
		in, err := Infer(context.Background(), strings.NewReader(data), CSV, Options{SampleRows: int(sample % 4)})
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid {
				t.Fatalf("Infer error of kind %v: %v", k, err)
			}
			return
		}
		if in.BadRows > in.Rows || in.Rows < 0 {
			t.Fatalf("rows %d bad %d", in.Rows, in.BadRows)
		}
		seen := map[string]bool{}
		for _, c := range in.Columns {
			if !nameRE.MatchString(c.Name) || seen[c.Name] || !knownType(c.Type) {
				t.Fatalf("bad column %+v", c)
			}
			seen[c.Name] = true
		}
	})
}

func FuzzConvertCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add(s)
	}
	stale := Inferred{Format: CSV, Delimiter: ',', HasHeader: true, Columns: []InferredColumn{
		{Name: "a", Original: "a", Type: warehouse.Int64, Nullable: true},
		{Name: "b", Original: "b", Type: warehouse.Timestamp},
	}}
	f.Fuzz(func(t *testing.T, data string) {
		ctx := context.Background()
		in, err := Infer(ctx, strings.NewReader(data), CSV, Options{})
		if err != nil {
			return
		}
		var sink int64
		opts := ConvertOptions{
			NewPart:     func(int) (io.WriteCloser, error) { return discardSink{&sink}, nil },
			RowsPerPart: 2,
		}
		if len(in.Columns) > 0 {
			st, err := Convert(ctx, strings.NewReader(data), CSV, in, opts)
			if err != nil {
				t.Fatalf("Convert with the inferred schema: %v", err)
			}
			if st.RowsRead != st.RowsWritten+st.RowsRejected || st.RowsRead != in.Rows {
				t.Fatalf("stats %+v, inferred rows %d", st, in.Rows)
			}
			// The inferred schema of the whole file never rejects a
			// readable UTF-8 row.
			if utf8.ValidString(data) && st.RowsRejected != in.BadRows {
				t.Fatalf("rejected %d rows, inference found %d bad; rejects %+v; schema %+v", st.RowsRejected, in.BadRows, st.FirstRejects, in.Columns)
			}
		}
		st, err := Convert(ctx, strings.NewReader(data), CSV, stale, opts)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Convert with a stale schema: %v", err)
			}
			return
		}
		if st.RowsRead != st.RowsWritten+st.RowsRejected {
			t.Fatalf("stats %+v", st)
		}
	})
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"DiscountApplied(%)", "2nd", "", "__", "Größe", strings.Repeat("a_", 200), "1" + strings.Repeat("b", 299)} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeName(s)
		if !re.MatchString(got) || len(got) > MaxNameLen {
			t.Fatalf("SanitizeName(%q) = %q", s, got)
		}
		if again := SanitizeName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		out, _ := SanitizeNames([]string{s, s, got})
		if out[0] == out[1] || out[1] == out[2] || out[0] == out[2] {
			t.Fatalf("collision: %q", out)
		}
	})
}

func FuzzConvertJSONL(f *testing.F) {
	for _, s := range []string{
		"{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2.5, \"c\": [1]}\nnot json\n",
		"{\"a\": \"2024-01-01\"}\n\n{\"a\": null}\n",
		"[1, 2]\n{}\n",
		"{\"a\": {\"b\": \"}\\\"\"}}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		ctx := context.Background()
		in, err := Infer(ctx, strings.NewReader(data), JSONL, Options{})
		if err != nil || len(in.Columns) == 0 {
			return
		}
		var sink int64
		st, err := Convert(ctx, strings.NewReader(data), JSONL, in, ConvertOptions{
			NewPart: func(int) (io.WriteCloser, error) { return discardSink{&sink}, nil },
		})
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		if st.RowsRead != st.RowsWritten+st.RowsRejected || st.RowsRead != in.Rows {
			t.Fatalf("stats %+v, inferred rows %d", st, in.Rows)
		}
		if utf8.ValidString(data) && st.RowsRejected != in.BadRows {
			t.Fatalf("rejected %d, bad %d: %+v; schema %+v", st.RowsRejected, in.BadRows, st.FirstRejects, in.Columns)
		}
	})
}
