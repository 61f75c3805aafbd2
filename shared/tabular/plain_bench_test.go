package tabular

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

// plainCSV is an uncompressed, ASCII-only CSV of n rows: the path where
// nothing runs ahead of the parser, so any per-byte cost shows.
func plainCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%05dA,\"WHITE HANGING HEART, T-LIGHT HOLDER %d\",%d,2010-12-%02d %02d:26:00,%d.%02d,%d.0,United Kingdom\n",
			536365+i/7, i%4000, i%13, i%50+1, i%28+1, i%24, i%20, i%100, 12000+i%5000)
	}
	return b.Bytes()
}

// BenchmarkConvertPlainCSV infers and converts an uncompressed ASCII CSV
// (200,000 rows, about 19 MB).
func BenchmarkConvertPlainCSV(b *testing.B) {
	data := plainCSV(200_000)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var rows int64
	for b.Loop() {
		in, err := Infer(ctx, bytes.NewReader(data), CSV, Options{SampleRows: 50_000})
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		st, err := Convert(ctx, bytes.NewReader(data), CSV, in, ConvertOptions{
			NewPart: func(int) (io.WriteCloser, error) { return discardSink{&n}, nil },
		})
		if err != nil {
			b.Fatal(err)
		}
		rows += st.RowsWritten
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
