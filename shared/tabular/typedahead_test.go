package tabular

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// countedRows yields rows (i, a string of i%300 x's) until fail rows have
// been read, then failErr; it counts the calls to Next and reuses its
// slice, as database iterators do.
type countedRows struct {
	fail    int
	failErr error
	calls   atomic.Int64
	buf     []any
}

func (s *countedRows) Columns() []RowColumn {
	return []RowColumn{{"n", "n", warehouse.Int64}, {"s", "s", warehouse.String}}
}

func (s *countedRows) Next() ([]any, error) {
	i := int(s.calls.Add(1)) - 1
	if i == s.fail {
		return nil, s.failErr
	}
	s.buf = append(s.buf[:0], int64(i), strings.Repeat("x", i%300))
	return s.buf, nil
}

// Rows read ahead come in order, over batches cut by count and by bytes,
// with their own values; the source's error comes after the rows read
// before it, and the source is not read after close.
func TestTypedAheadOrderAndError(t *testing.T) {
	boom := errors.New("connection lost")
	src := &countedRows{fail: 3*aheadBatchRows + 17, failErr: boom}
	a := newTypedAhead(src)
	for i := 0; i < src.fail; i++ {
		vals, err := a.next()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if len(vals) != 2 || vals[0] != int64(i) || vals[1] != strings.Repeat("x", i%300) {
			t.Fatalf("row %d = %v", i, vals)
		}
	}
	if _, err := a.next(); !errors.Is(err, boom) {
		t.Fatalf("after the rows: %v, want the source's error", err)
	}
	a.close()
	if n := src.calls.Load(); n != int64(src.fail)+1 {
		t.Errorf("Next called %d times, want %d", n, src.fail+1)
	}
}

// A conversion that stops early (a value that does not fit a strict
// type) returns only once the reading goroutine is done: the source is
// not read after ConvertRows returns.
func TestConvertRowsStopsReading(t *testing.T) {
	src := &countedRows{fail: -1}
	cols := src.Columns()
	in := rowsInferred(cols)
	in.Columns[1].Type = warehouse.Int64 // "x..." does not fit
	var mp memParts
	_, err := ConvertRows(context.Background(), src, in, ConvertOptions{NewPart: mp.newPart, StrictTypes: true, Rejects: io.Discard})
	if !errs.Is(err, errs.Conflict) {
		t.Fatalf("err = %v, want a type mismatch", err)
	}
	n := src.calls.Load()
	time.Sleep(20 * time.Millisecond)
	if m := src.calls.Load(); m != n {
		t.Errorf("Next called %d more times after ConvertRows returned", m-n)
	}
	if max := int64((aheadDepth + 3) * aheadBatchRows); n > max {
		t.Errorf("Next called %d times, want at most %d (the batches ahead)", n, max)
	}
}
