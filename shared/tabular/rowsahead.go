package tabular

import (
	"unsafe"
)

// Bounds of the records read ahead of the conversion: a batch holds up to
// aheadBatchRows records and stops taking more once it holds
// aheadBatchBytes bytes of field text (so it holds at most that plus one
// record, itself bounded by Limits.MaxRecordBytes); aheadDepth batches
// wait at most.
const (
	aheadBatchRows  = 1024
	aheadBatchBytes = 256 << 10
	aheadDepth      = 4
)

// rowBatch is a run of records read ahead: the text of their fields back
// to back, where each field ends, and per record its line and flags. A
// malformed record (no fields, a reason and its raw text) is kept whole.
// A batch is handed back once converted, and filled again.
type rowBatch struct {
	text []byte
	ends []int // end of each field in text
	recs []aheadRec
	bad  []row // the malformed records
	err  error // after the records: io.EOF or a read error
}

// aheadRec is one record of a batch.
type aheadRec struct {
	line        int64
	start       int // the first field's offset in text
	fields      int // number of fields; -1: bad[badIndex] is the record
	badIndex    int
	sep         int // bytes between two fields in text (0 or 1)
	longField   int
	invalidUTF8 bool
}

// rowsAhead splits CSV records in a goroutine, up to aheadDepth batches
// ahead of the conversion, so that reading, splitting and checking
// records (one core) and coercing values and building Arrow batches
// (another) overlap. Records come out in input order, exactly as the
// source's next returns them. Close stops the goroutine and waits for it,
// so that the source is not touched after Close returns.
type rowsAhead struct {
	*prefetch[rowBatch]
	// The batch being read by next: its text as a string, the next
	// record and the next field end.
	cur    *rowBatch
	str    string
	pos    int
	endPos int
	fields []string
}

func newRowsAhead(src *csvSource) *rowsAhead {
	var rw row
	return &rowsAhead{prefetch: startPrefetch(func(b *rowBatch) bool {
		b.fill(src, &rw)
		return b.err != nil
	})}
}

// fill reads records into b until it is full or the input ends.
func (b *rowBatch) fill(src *csvSource, rw *row) {
	if cap(b.text) > 4*aheadBatchBytes {
		b.text = nil // a long record's buffer is not kept
	}
	b.text, b.ends, b.recs, b.bad, b.err = b.text[:0], b.ends[:0], b.recs[:0], b.bad[:0], nil
	for len(b.recs) < aheadBatchRows && len(b.text) < aheadBatchBytes {
		if err := src.next(rw); err != nil {
			b.err = err
			return
		}
		b.add(rw)
	}
}

// add copies rw into the batch: the span its fields were cut from (the
// line, or the unquoted fields back to back) in one copy.
func (b *rowBatch) add(rw *row) {
	rec := aheadRec{line: rw.line, start: len(b.text), sep: rw.sep, longField: rw.longField, invalidUTF8: rw.invalidUTF8}
	if rw.bad != "" {
		rec.fields, rec.badIndex = -1, len(b.bad)
		r := *rw
		r.fields, r.span = nil, nil
		b.bad = append(b.bad, r)
		b.recs = append(b.recs, rec)
		return
	}
	rec.fields = len(rw.fields)
	b.text = append(b.text, rw.span...)
	pos := rec.start
	for _, f := range rw.fields {
		pos += len(f)
		b.ends = append(b.ends, pos)
		pos += rw.sep
	}
	b.recs = append(b.recs, rec)
}

// next returns the next record, as csvSource.next does; its fields are
// valid until the next call.
func (a *rowsAhead) next(rw *row) error {
	for a.cur == nil || a.pos == len(a.cur.recs) {
		if a.cur != nil {
			if a.cur.err != nil {
				return a.cur.err
			}
			a.put(a.cur)
		}
		a.cur, a.pos, a.endPos = a.prefetch.next(), 0, 0
		a.str = ""
		if len(a.cur.text) > 0 {
			a.str = unsafe.String(&a.cur.text[0], len(a.cur.text))
		}
	}
	rec := &a.cur.recs[a.pos]
	a.pos++
	if rec.fields < 0 {
		*rw = a.cur.bad[rec.badIndex]
		return nil
	}
	fields := a.fields[:0]
	start := rec.start
	for _, end := range a.cur.ends[a.endPos : a.endPos+rec.fields] {
		fields = append(fields, a.str[start:end])
		start = end + rec.sep
	}
	a.endPos += rec.fields
	a.fields = fields
	*rw = row{line: rec.line, fields: fields, longField: rec.longField, invalidUTF8: rec.invalidUTF8}
	return nil
}

// Close stops the goroutine and waits until it is done with the source.
func (a *rowsAhead) Close() { a.close() }
