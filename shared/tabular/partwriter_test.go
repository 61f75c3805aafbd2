package tabular

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// A string column whose distinct values outgrow a Parquet dictionary
// page within a batch is written plainly from then on, nulls included,
// over several batches; a low-cardinality column stays dictionary
// encoded in every row group.
func TestConvertLargeDictionary(t *testing.T) {
	const rows = batchRows + 20_000
	var b strings.Builder
	b.WriteString("id,cat,n\n")
	want := make([][]any, rows)
	for i := range rows {
		id := any(fmt.Sprintf("id-%020d", i))
		if i%1000 == 7 {
			id = nil
		}
		cat := fmt.Sprintf("c%d", i%7)
		if id == nil {
			fmt.Fprintf(&b, ",%s,%d\n", cat, i)
		} else {
			fmt.Fprintf(&b, "%s,%s,%d\n", id, cat, i)
		}
		want[i] = []any{id, cat, int64(i)}
	}
	data := b.String()
	in := mustInfer(t, data, CSV, Options{})
	if in.Columns[0].Type != warehouse.String || !in.Columns[0].Nullable {
		t.Fatalf("inferred %+v", in.Columns[0])
	}
	res := convert(t, data, CSV, in, 0)
	if res.stats.RowsWritten != rows || len(res.rows) != rows || len(res.parts) != 1 {
		t.Fatalf("stats %+v, %d rows", res.stats, len(res.rows))
	}
	for i := range want {
		for j := range want[i] {
			if res.rows[i][j] != want[i][j] {
				t.Fatalf("row %d col %d = %v, want %v", i, j, res.rows[i][j], want[i][j])
			}
		}
	}
	pr, err := file.NewParquetReader(bytes.NewReader(res.parts[0].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if pr.NumRowGroups() != 2 {
		t.Fatalf("%d row groups", pr.NumRowGroups())
	}
	for g := range pr.NumRowGroups() {
		md := pr.MetaData().RowGroup(g)
		cat, err := md.ColumnChunk(1)
		if err != nil {
			t.Fatal(err)
		}
		if !cat.HasDictionaryPage() || !hasEncoding(cat.Encodings(), parquet.Encodings.RLEDict) {
			t.Errorf("row group %d: cat is not dictionary encoded: %v", g, cat.Encodings())
		}
		id, err := md.ColumnChunk(0)
		if err != nil {
			t.Fatal(err)
		}
		if !hasEncoding(id.Encodings(), parquet.Encodings.Plain) {
			t.Errorf("row group %d: id has no plain pages: %v", g, id.Encodings())
		}
		if g > 0 && id.HasDictionaryPage() {
			t.Errorf("row group %d: id, written plainly since the first, has a dictionary page again: %v", g, id.Encodings())
		}
	}
}

func hasEncoding(es []parquet.Encoding, e parquet.Encoding) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// recordingSink records how it ends; Write fails after failAfter bytes
// when failAfter > 0.
type recordingSink struct {
	mu        *sync.Mutex
	written   int
	failAfter int
	closed    int
	aborted   int
}

func (s *recordingSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAfter > 0 && s.written+len(p) > s.failAfter {
		return 0, errs.E(errs.Permission, "sink refuses")
	}
	s.written += len(p)
	return len(p), nil
}

func (s *recordingSink) Close() error { s.mu.Lock(); defer s.mu.Unlock(); s.closed++; return nil }
func (s *recordingSink) Abort() error { s.mu.Lock(); defer s.mu.Unlock(); s.aborted++; return nil }

// After an error every part is finished once or aborted once, never
// both, and nothing is left open: a failing sink, a type mismatch under
// StrictTypes, a cancelled context.
func TestConvertErrorEndsEveryPart(t *testing.T) {
	var b strings.Builder
	b.WriteString("sku,qty\n")
	for i := range 300_000 {
		fmt.Fprintf(&b, "s%d,%d\n", i%50, i)
	}
	good := b.String()
	bad := good + "z,notanumber\n" + "y,1\n"
	in := mustInfer(t, good, CSV, Options{})

	cases := []struct {
		name      string
		data      string
		failAfter int
		strict    bool
		cancel    bool
		wantKind  errs.Kind
		wantIs    error
	}{
		{name: "sink write fails", data: good, failAfter: 100 << 10, wantKind: errs.Permission},
		{name: "strict mismatch", data: bad, strict: true, wantKind: errs.Conflict, wantIs: ErrTypeMismatch},
		{name: "cancelled", data: good, cancel: true, wantKind: errs.Transient, wantIs: context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var sinks []*recordingSink
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := ConvertOptions{
				RowsPerPart: 70_000,
				StrictTypes: c.strict,
				NewPart: func(int) (io.WriteCloser, error) {
					s := &recordingSink{mu: &mu, failAfter: c.failAfter}
					sinks = append(sinks, s)
					return s, nil
				},
			}
			if c.cancel {
				opts.Progress = func(st Stats) {
					if st.RowsRead >= 150_000 {
						cancel()
					}
				}
			}
			_, err := Convert(ctx, strings.NewReader(c.data), CSV, in, opts)
			if err == nil || errs.KindOf(err) != c.wantKind || (c.wantIs != nil && !errors.Is(err, c.wantIs)) {
				t.Fatalf("err = %v (kind %v)", err, errs.KindOf(err))
			}
			mu.Lock()
			defer mu.Unlock()
			if len(sinks) == 0 {
				t.Fatal("no part was opened")
			}
			aborted := 0
			for i, s := range sinks {
				if s.closed+s.aborted != 1 {
					t.Errorf("part %d: closed %d, aborted %d", i, s.closed, s.aborted)
				}
				aborted += s.aborted
			}
			if aborted == 0 {
				t.Errorf("no part aborted")
			}
		})
	}
}

// Fixed-width columns whose values are nearly all distinct (a key, a
// timestamp per row) are written without a dictionary; those with few
// values (a quantity, a day, a price) keep theirs. The values read back
// are the rows converted.
func TestConvertRowsDictionaryByCardinality(t *testing.T) {
	cols := []RowColumn{
		{"id", "id", warehouse.Int64}, {"at", "at", warehouse.Timestamp}, {"ratio", "ratio", warehouse.Float64},
		{"qty", "qty", warehouse.Int64}, {"day", "day", warehouse.Date}, {"price", "price", warehouse.Float64},
	}
	const n = 10_000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i), base.Add(time.Duration(i) * time.Second), float64(i) / 7,
			int64(i % 50), base.AddDate(0, 0, i%365), float64(i%20) * 1.25}
	}
	res, err := convertRows(t, cols, rows, rowsInferred(cols), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != n || len(res.parts) != 1 {
		t.Fatalf("%d rows in %d parts", len(res.rows), len(res.parts))
	}
	for _, i := range []int{0, 4321, n - 1} {
		if got := res.rows[i]; got[0] != int64(i) || got[3] != int64(i%50) || got[5] != float64(i%20)*1.25 {
			t.Errorf("row %d = %v", i, got)
		}
	}
	pr, err := file.NewParquetReader(bytes.NewReader(res.parts[0].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	md := pr.MetaData().RowGroup(0)
	for i, c := range cols {
		cc, err := md.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		wantDict := i >= 3
		if cc.HasDictionaryPage() != wantDict {
			t.Errorf("%s: dictionary page %v, want %v (encodings %v)", c.Name, cc.HasDictionaryPage(), wantDict, cc.Encodings())
		}
	}
}
