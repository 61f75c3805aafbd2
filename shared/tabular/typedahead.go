package tabular

// typedAhead reads the rows of a RowSource in a goroutine, in batches of
// up to aheadBatchRows rows or aheadBatchBytes bytes of values (rowBytes),
// aheadDepth batches ahead, in order, so that the source's own decoding (a
// database driver reading the wire format and typing the values) runs on
// another core than the conversion (a RowSource's values are not reused,
// only its slice, so rows can wait in a batch). The slice next returns is
// valid until the next call, as RowSource's. close stops the goroutine and
// waits for it, so that the source is not touched after close returns.
type typedAhead struct {
	*prefetch[typedBatch]
	cur *typedBatch
	pos int
}

// typedBatch holds rows back to back: row k is vals[ends[k-1]:ends[k]].
// err ends the source after the batch's rows.
type typedBatch struct {
	vals []any
	ends []int
	err  error
}

func newTypedAhead(src RowSource) *typedAhead {
	return &typedAhead{prefetch: startPrefetch(func(b *typedBatch) bool {
		clear(b.vals)
		b.vals, b.ends, b.err = b.vals[:0], b.ends[:0], nil
		var size int64
		for len(b.ends) < aheadBatchRows && size < aheadBatchBytes {
			vals, err := src.Next()
			if err != nil {
				b.err = err
				break
			}
			b.vals = append(b.vals, vals...)
			b.ends = append(b.ends, len(b.vals))
			size += rowBytes(vals)
		}
		return b.err != nil
	})}
}

// next returns the next row, as RowSource.Next does (io.EOF after the
// last), and the source's error after the rows read before it.
func (a *typedAhead) next() ([]any, error) {
	for a.cur == nil || a.pos == len(a.cur.ends) {
		if a.cur != nil {
			if a.cur.err != nil {
				return nil, a.cur.err
			}
			a.put(a.cur)
		}
		a.cur, a.pos = a.prefetch.next(), 0
	}
	start := 0
	if a.pos > 0 {
		start = a.cur.ends[a.pos-1]
	}
	end := a.cur.ends[a.pos]
	a.pos++
	return a.cur.vals[start:end:end], nil
}
