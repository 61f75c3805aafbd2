package tabular

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// memParts collects parts in memory and checks that each is closed once.
type memParts struct {
	parts []*memPart
}

type memPart struct {
	bytes.Buffer
	closed int
}

func (p *memPart) Close() error { p.closed++; return nil }

func (m *memParts) newPart(i int) (io.WriteCloser, error) {
	if i != len(m.parts) {
		panic("parts out of order")
	}
	p := &memPart{}
	m.parts = append(m.parts, p)
	return p, nil
}

// result is what a conversion produced, read back.
type result struct {
	stats   Stats
	schema  *arrow.Schema
	rows    [][]any
	rejects []Reject
	parts   []*memPart
}

func mustInfer(t testing.TB, data string, f Format, opts Options) Inferred {
	t.Helper()
	in, err := Infer(context.Background(), strings.NewReader(data), f, opts)
	if err != nil {
		t.Fatalf("Infer: %v", err)
	}
	return in
}

func convert(t testing.TB, data string, f Format, in Inferred, rowsPerPart int) result {
	t.Helper()
	var mp memParts
	var rej bytes.Buffer
	st, err := Convert(context.Background(), strings.NewReader(data), f, in, ConvertOptions{
		NewPart: mp.newPart, RowsPerPart: rowsPerPart, Rejects: &rej,
	})
	if err != nil {
		t.Fatalf("Convert: %v", err)
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
		if p.closed != 1 {
			t.Errorf("part closed %d times", p.closed)
		}
		sc, rows := readParquet(t, p.Bytes())
		res.schema = sc
		res.rows = append(res.rows, rows...)
	}
	return res
}

// readParquet reads a Parquet file into rows of Go values: int64,
// float64, string, bool, []byte, DATE as "2006-01-02", timestamps as
// RFC 3339 in UTC, TIME as "15:04:05.000000", NUMERIC as its string.
func readParquet(t testing.TB, b []byte) (*arrow.Schema, [][]any) {
	t.Helper()
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(b), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("read table: %v", err)
	}
	defer tbl.Release()
	n := int(tbl.NumRows())
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, tbl.NumCols())
	}
	for j := 0; j < int(tbl.NumCols()); j++ {
		r := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				rows[r][j] = cellValue(chunk, i)
				r++
			}
		}
	}
	return tbl.Schema(), rows
}

func cellValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format(time.RFC3339Nano)
	case *array.Time64:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format("15:04:05.000000")
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	}
	return a.ValueStr(i)
}

func gz(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }
