package tabular

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// sampleFile finds rel under the module root (the directory of go.mod
// above the test's working directory), or skips.
func sampleFile(tb testing.TB, rel string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s not present; skipping", rel)
	}
	return p
}

const retailPath = "sample-data/uci_online_retail/online_retail.csv.gz"

// discardParts is a NewPart that counts bytes and throws them away.
type discardSink struct{ n *int64 }

func (d discardSink) Write(p []byte) (int, error) { *d.n += int64(len(p)); return len(p), nil }
func (d discardSink) Close() error                { return nil }

func inferAndConvert(tb testing.TB, path string) (Inferred, Stats, int64) {
	tb.Helper()
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	in, err := Infer(ctx, f, CSV, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		tb.Fatal(err)
	}
	var written int64
	st, err := Convert(ctx, f, CSV, in, ConvertOptions{
		NewPart: func(int) (io.WriteCloser, error) { return discardSink{&written}, nil },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return in, st, written
}

func TestOnlineRetail(t *testing.T) {
	path := sampleFile(t, retailPath)
	in, st, written := inferAndConvert(t, path)
	want := []struct {
		name     string
		typ      warehouse.Type
		nullable bool
	}{
		{"invoiceno", warehouse.String, false},
		{"stockcode", warehouse.String, false},
		{"description", warehouse.String, true},
		{"quantity", warehouse.Int64, false},
		{"invoicedate", warehouse.Timestamp, false},
		{"unitprice", warehouse.Float64, false},
		{"customerid", warehouse.Int64, true},
		{"country", warehouse.String, false},
	}
	if len(in.Columns) != len(want) {
		t.Fatalf("columns = %+v", in.Columns)
	}
	for i, w := range want {
		c := in.Columns[i]
		if c.Name != w.name || c.Type != w.typ || c.Nullable != w.nullable {
			t.Errorf("column %d = %s %s nullable=%v, want %s %s nullable=%v (warning %q)", i, c.Name, c.Type, c.Nullable, w.name, w.typ, w.nullable, c.Warning)
		}
	}
	if !in.HasHeader || in.Delimiter != ',' || in.Rows != 541909 || in.BadRows != 0 || !in.Complete {
		t.Errorf("inferred header=%v delim=%q rows=%d bad=%d complete=%v", in.HasHeader, in.Delimiter, in.Rows, in.BadRows, in.Complete)
	}
	if st.RowsRead != 541909 || st.RowsWritten != 541909 || st.RowsRejected != 0 {
		t.Errorf("stats = %+v", st)
	}
	if st.Parts != 3 || written == 0 || st.BytesWritten != written {
		t.Errorf("parts = %d, bytes = %d / %d", st.Parts, st.BytesWritten, written)
	}
	t.Logf("columns: %+v", in.Columns)
	t.Logf("stats: read %d written %d rejected %d parts %d parquet bytes %d input bytes %d", st.RowsRead, st.RowsWritten, st.RowsRejected, st.Parts, st.BytesWritten, st.BytesRead)
}

func BenchmarkConvertOnlineRetail(b *testing.B) {
	path := sampleFile(b, retailPath)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		_, st, _ := inferAndConvert(b, path)
		rows += st.RowsWritten
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
