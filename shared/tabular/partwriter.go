package tabular

import (
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// partWriter writes rows into Parquet parts of at most RowsPerPart rows.
//
// Rows are collected into batches of batchRows (one row group each); the
// Parquet encoding and compression of a batch, and the writes to the
// part's sink, run in a goroutine while the next batch is collected.
// STRING and JSON columns are collected as dictionaries (each distinct
// value once, plus an index per row) and handed to the Parquet writer as
// Arrow dictionary arrays, which it writes as its own dictionary pages
// directly: the same file as from plain string arrays, without hashing
// every value again. A column whose dictionary would outgrow the Parquet
// dictionary page limit is collected as plain strings from then on.
// Constant columns are built once and sliced per batch. Fixed-width
// columns are dictionary encoded unless the first batch of a part shows
// nearly one distinct value per row (a key, a timestamp): see plainColumns.
type partWriter struct {
	schema    *arrow.Schema
	opts      ConvertOptions
	props     *parquet.WriterProperties
	propOpts  []parquet.WriterProperty // props' options
	aprops    pqarrow.ArrowWriterProperties
	mem       memory.Allocator
	cols      []colBuf
	dictLimit int

	batch  int  // rows in the open batch
	big    bool // a full batch was written
	inPart int  // rows in the open part
	open   bool // a part is open (NewPart was called)
	index  int  // index of the open or next part

	jobs    chan writeJob
	done    chan struct{}
	started bool
	closed  bool
	werr    atomic.Pointer[error]

	// Updated by the writing goroutine.
	parts        atomic.Int64
	bytesWritten atomic.Int64
	// Owned by the writing goroutine until done is closed.
	sink    io.WriteCloser
	counter *countingWriter
	fw      *pqarrow.FileWriter
	sinkIdx int
	// unfinished are sinks that were opened and not closed, to abort.
	unfinished []io.WriteCloser
}

// writeJob is one instruction to the writing goroutine: start a part on
// sink, write a batch, or finish the part.
type writeJob struct {
	sink      io.WriteCloser
	index     int
	cols      []arrow.Array
	closePart bool
}

// colBuf collects one column of a batch.
type colBuf struct {
	typ   warehouse.Type
	bld   array.Builder // plain values
	dict  *stringDict   // STRING/JSON collected as a dictionary; nil: plain
	konst arrow.Array   // a constant column: maxBatch copies of its value
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var dictStringType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

func newPartWriter(schema *arrow.Schema, types []warehouse.Type, opts ConvertOptions) (*partWriter, error) {
	var codec compress.Compression
	switch strings.ToLower(opts.Compression) {
	case "", "snappy":
		codec = compress.Codecs.Snappy
	case "zstd":
		codec = compress.Codecs.Zstd
	default:
		return nil, errs.E(errs.Unsupported, "Parquet compression %q (snappy, zstd)", opts.Compression)
	}
	p := &partWriter{
		schema: schema,
		opts:   opts,
		propOpts: []parquet.WriterProperty{
			parquet.WithCompression(codec),
			parquet.WithDictionaryDefault(true),
			parquet.WithCreatedBy("b2brecs tabular"),
		},
		aprops: pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()),
		mem:    memory.DefaultAllocator,
	}
	p.props = parquet.NewWriterProperties(p.propOpts...)
	p.dictLimit = int(p.props.DictionaryPageSizeLimit())
	nData := len(types)
	p.cols = make([]colBuf, schema.NumFields())
	for i := range p.cols {
		f := schema.Field(i)
		if i >= nData {
			p.cols[i].konst = constantArray(p.mem, f.Type, opts.Constants[i-nData].Value, p.maxBatch())
			continue
		}
		cb := &p.cols[i]
		cb.typ = types[i]
		if cb.typ == warehouse.String || cb.typ == warehouse.JSON {
			cb.dict = newStringDict(p.mem)
			continue
		}
		cb.bld = array.NewBuilder(p.mem, f.Type)
	}
	return p, nil
}

// reserve sizes the builders for a whole batch, sparing their growth;
// for conversions that have filled a batch already.
func (p *partWriter) reserve() {
	n := p.maxBatch()
	for i := range p.cols {
		cb := &p.cols[i]
		switch {
		case cb.dict != nil:
			cb.dict.idx.Reserve(n)
		case cb.bld != nil && cb.typ != warehouse.String && cb.typ != warehouse.JSON && cb.typ != warehouse.Bytes:
			cb.bld.Reserve(n)
		}
	}
}

// maxBatch is the most rows a batch can have.
func (p *partWriter) maxBatch() int { return min(batchRows, p.opts.RowsPerPart) }

// constantArray returns n copies of v: a one-entry dictionary for a
// string.
func constantArray(mem memory.Allocator, dt arrow.DataType, v any, n int) arrow.Array {
	switch v := v.(type) {
	case string:
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		ib.AppendEmptyValues(n) // index 0
		idx := ib.NewArray()
		defer idx.Release()
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		sb.Append(v)
		dict := sb.NewArray()
		defer dict.Release()
		return array.NewDictionaryArray(dictStringType, idx, dict)
	case int64:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(n)
		for range n {
			b.UnsafeAppend(v)
		}
		return b.NewArray()
	case time.Time:
		b := array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType))
		defer b.Release()
		b.Reserve(n)
		us := arrow.Timestamp(v.UnixMicro())
		for range n {
			b.UnsafeAppend(us)
		}
		return b.NewArray()
	}
	panic("tabular: unchecked constant type") // checkConstant rejects others
}

// append adds a row of coerced cells (one per data column).
func (p *partWriter) append(cells []cell) error {
	if err := p.failed(); err != nil {
		return err
	}
	if !p.open {
		sink, err := p.opts.NewPart(p.index)
		if err != nil {
			return errs.Wrap(kindOr(err, errs.Transient), err, "open part %d", p.index)
		}
		p.open = true
		p.send(writeJob{sink: sink, index: p.index})
	}
	if p.batch == 0 && p.big {
		p.reserve()
	}
	for i := range cells {
		c := &cells[i]
		cb := &p.cols[i]
		if cb.dict != nil {
			if c.null {
				cb.dict.idx.AppendNull()
			} else if !cb.dict.add(c.s, p.dictLimit) {
				p.toPlain(cb)
				cb.bld.(*array.StringBuilder).Append(c.s)
			}
			continue
		}
		b := cb.bld
		if c.null {
			b.AppendNull()
			continue
		}
		switch cb.typ {
		case warehouse.String, warehouse.JSON:
			b.(*array.StringBuilder).Append(c.s)
		case warehouse.Int64:
			b.(*array.Int64Builder).Append(c.i)
		case warehouse.Float64:
			b.(*array.Float64Builder).Append(c.f)
		case warehouse.Bool:
			b.(*array.BooleanBuilder).Append(c.b)
		case warehouse.Date:
			b.(*array.Date32Builder).Append(arrow.Date32(c.i))
		case warehouse.Timestamp, warehouse.DateTime:
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(c.i))
		case warehouse.Time:
			b.(*array.Time64Builder).Append(arrow.Time64(c.i))
		case warehouse.Numeric:
			b.(*array.Decimal128Builder).Append(c.dec)
		case warehouse.Bytes:
			b.(*array.BinaryBuilder).Append(c.by)
		}
	}
	p.batch++
	p.inPart++
	if p.batch >= batchRows {
		p.flush()
	}
	if p.inPart >= p.opts.RowsPerPart {
		p.closePart()
	}
	return p.failed()
}

// toPlain turns a dictionary column into plain strings for the rest of
// the conversion: its dictionary would be too large for a Parquet
// dictionary page, so Parquet would store the values plainly anyway.
func (p *partWriter) toPlain(cb *colBuf) {
	sb := array.NewStringBuilder(p.mem)
	d := cb.dict
	n := d.idx.Len()
	sb.Reserve(n)
	for k := 0; k < n; k++ {
		if d.idx.IsNull(k) {
			sb.AppendNull()
		} else {
			sb.Append(d.keys[d.idx.Value(k)])
		}
	}
	d.release()
	cb.dict = nil
	cb.bld = sb
}

// flush hands the open batch to the writing goroutine.
func (p *partWriter) flush() {
	if p.batch == 0 {
		return
	}
	arrs := make([]arrow.Array, len(p.cols))
	for i := range p.cols {
		cb := &p.cols[i]
		switch {
		case cb.konst != nil:
			arrs[i] = array.NewSlice(cb.konst, 0, int64(p.batch))
		case cb.dict != nil:
			arrs[i] = cb.dict.newArray(p.mem)
		default:
			arrs[i] = cb.bld.NewArray()
		}
	}
	p.big = p.big || p.batch == p.maxBatch()
	p.batch = 0
	p.send(writeJob{cols: arrs})
}

// closePart flushes the batch and has the open part finished.
func (p *partWriter) closePart() {
	if !p.open {
		return
	}
	p.flush()
	p.send(writeJob{closePart: true})
	p.open = false
	p.inPart = 0
	p.index++
}

// send queues a job, starting the writing goroutine on first use. After
// a write error the jobs are dropped.
func (p *partWriter) send(j writeJob) {
	if !p.started {
		p.started = true
		p.jobs = make(chan writeJob, 2)
		p.done = make(chan struct{})
		go p.run()
	}
	p.jobs <- j
}

func (p *partWriter) failed() error {
	if e := p.werr.Load(); e != nil {
		return *e
	}
	return nil
}

// run is the writing goroutine.
func (p *partWriter) run() {
	defer close(p.done)
	for j := range p.jobs {
		if j.sink != nil {
			p.unfinished = append(p.unfinished, j.sink)
		}
		if p.failed() != nil {
			releaseAll(j.cols)
			continue
		}
		if err := p.do(j); err != nil {
			p.werr.CompareAndSwap(nil, &err)
		}
	}
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

func (p *partWriter) do(j writeJob) error {
	switch {
	case j.sink != nil:
		// The Parquet writer starts with the part's first batch, which
		// chooses the columns' encodings.
		p.sink, p.sinkIdx = j.sink, j.index
		p.counter = &countingWriter{w: j.sink}
	case j.cols != nil:
		defer releaseAll(j.cols)
		if err := p.startPart(j.cols); err != nil {
			return err
		}
		if err := p.writeBatch(j.cols); err != nil {
			return errs.Wrap(kindOr(err, errs.Transient), err, "write part %d", p.sinkIdx)
		}
	case j.closePart:
		if err := p.startPart(nil); err != nil {
			return err
		}
		if err := p.fw.Close(); err != nil {
			return errs.Wrap(kindOr(err, errs.Transient), err, "finish part %d", p.sinkIdx)
		}
		p.fw = nil
		sink := p.sink
		p.sink = nil
		p.unfinished = p.unfinished[:0] // closed, even if with an error
		if err := sink.Close(); err != nil {
			return errs.Wrap(kindOr(err, errs.Transient), err, "close part %d", p.sinkIdx)
		}
		p.bytesWritten.Add(p.counter.n)
		p.parts.Add(1)
	}
	return nil
}

// startPart starts the open part's Parquet writer if it has none yet,
// with the encodings first (the part's first batch; nil: defaults) calls
// for.
func (p *partWriter) startPart(first []arrow.Array) error {
	if p.fw != nil {
		return nil
	}
	props := p.props
	if plain := plainColumns(p.schema, first); len(plain) > 0 {
		opts := append(p.propOpts[:len(p.propOpts):len(p.propOpts)], plain...)
		props = parquet.NewWriterProperties(opts...)
	}
	fw, err := pqarrow.NewFileWriter(p.schema, p.counter, props, p.aprops)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "start part %d", p.sinkIdx)
	}
	p.fw = fw
	return nil
}

// distinctSample is how many values of a batch plainColumns looks at, and
// plainShare the share of distinct values among them from which a column
// is written without a dictionary.
const (
	distinctSample = 4096
	plainShare     = 0.9
)

// plainColumns turns dictionary encoding off for the fixed-width columns
// of a batch whose values are nearly all distinct (ids, timestamps): the
// dictionary would hold about one entry per row, a hash table as large as
// the column to fill for a page that saves nothing. It looks at up to
// distinctSample values spread over the batch. Strings are collected as
// dictionaries by the part writer itself (see stringDict); one that comes
// as plain strings outgrew the dictionary page already, so the Parquet
// writer would only fill a dictionary to the limit in every row group and
// fall back.
func plainColumns(schema *arrow.Schema, cols []arrow.Array) []parquet.WriterProperty {
	var out []parquet.WriterProperty
	for i, a := range cols {
		var share float64
		switch a := a.(type) {
		case *array.String:
			share = 1
		case *array.Int64:
			share = distinctShare(a, a.Int64Values())
		case *array.Float64:
			share = distinctShare(a, a.Float64Values())
		case *array.Timestamp:
			share = distinctShare(a, a.TimestampValues())
		case *array.Date32:
			share = distinctShare(a, a.Date32Values())
		case *array.Time64:
			share = distinctShare(a, a.Time64Values())
		case *array.Decimal128:
			share = distinctShare(a, a.Values())
		}
		if share >= plainShare {
			out = append(out, parquet.WithDictionaryFor(schema.Field(i).Name, false))
		}
	}
	return out
}

// distinctShare is the share of distinct values among up to
// distinctSample valid values spread evenly over vals (0 when fewer than
// 64 are valid: too few to tell).
func distinctShare[T comparable](a arrow.Array, vals []T) float64 {
	step := max(1, len(vals)/distinctSample)
	seen := make(map[T]struct{}, min(len(vals), distinctSample))
	n := 0
	for k := 0; k < len(vals); k += step {
		if a.IsValid(k) {
			seen[vals[k]] = struct{}{}
			n++
		}
	}
	if n < 64 {
		return 0
	}
	return float64(len(seen)) / float64(n)
}

// writeBatch writes one batch as a row group, as FileWriter.Write does
// for a record, column by column so that dictionary arrays can stand for
// string columns.
func (p *partWriter) writeBatch(cols []arrow.Array) error {
	if err := p.fw.NewRowGroupChecked(); err != nil {
		return err
	}
	for _, a := range cols {
		if err := p.fw.WriteColumnData(a); err != nil {
			return err
		}
	}
	return nil
}

// finish writes what is left, closes the last part and waits for the
// writing goroutine. After an error the unfinished part is aborted.
func (p *partWriter) finish() error {
	p.closePart()
	p.stop()
	if err := p.failed(); err != nil {
		p.abort()
		return err
	}
	p.release()
	return nil
}

// stop ends the writing goroutine after the queued jobs.
func (p *partWriter) stop() {
	if p.started && !p.closed {
		p.closed = true
		close(p.jobs)
		<-p.done
	}
}

// abort drops the unfinished part: Abort() if its sink has it, else
// Close(). Parts already finished stay.
func (p *partWriter) abort() {
	// Jobs still queued are dropped, not written.
	p.werr.CompareAndSwap(nil, &errAborted)
	p.stop()
	for _, sink := range p.unfinished {
		var err error
		if a, ok := sink.(interface{ Abort() error }); ok {
			err = a.Abort()
		} else {
			err = sink.Close()
		}
		if err != nil {
			slog.Warn("tabular: dropping an unfinished part", "part", p.sinkIdx, "err", err)
		}
	}
	p.unfinished = nil
	p.sink, p.fw = nil, nil
	p.release()
}

var errAborted error = errs.E(errs.Transient, "conversion aborted")

func (p *partWriter) release() {
	for i := range p.cols {
		cb := &p.cols[i]
		if cb.bld != nil {
			cb.bld.Release()
			cb.bld = nil
		}
		if cb.dict != nil {
			cb.dict.release()
			cb.dict = nil
		}
		if cb.konst != nil {
			cb.konst.Release()
			cb.konst = nil
		}
	}
}

// stringDict collects a string column as distinct values and indexes.
type stringDict struct {
	index map[string]int32
	keys  []string // distinct values in index order, in arena
	arena arena
	size  int // the Parquet dictionary page size: 4 + len per value
	idx   *array.Int32Builder
	// The last value added and its index: runs of one value (an invoice's
	// lines, a country) skip the map.
	last    string
	lastIdx int32
}

func newStringDict(mem memory.Allocator) *stringDict {
	return &stringDict{index: map[string]int32{}, idx: array.NewInt32Builder(mem), lastIdx: -1}
}

// add appends s; false when the dictionary would reach limit bytes (s is
// then not added).
func (d *stringDict) add(s string, limit int) bool {
	if d.lastIdx >= 0 && s == d.last {
		d.idx.Append(d.lastIdx)
		return true
	}
	j, ok := d.index[s]
	if !ok {
		if d.size+4+len(s) >= limit {
			return false
		}
		d.size += 4 + len(s)
		j = int32(len(d.keys))
		k := d.arena.clone(s)
		d.keys = append(d.keys, k)
		d.index[k] = j
	}
	d.last, d.lastIdx = d.keys[j], j
	d.idx.Append(j)
	return true
}

// newArray returns the batch as a dictionary array and starts the next.
func (d *stringDict) newArray(mem memory.Allocator) arrow.Array {
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.Reserve(len(d.keys))
	sb.ReserveData(d.size - 4*len(d.keys))
	for _, k := range d.keys {
		sb.Append(k)
	}
	dict := sb.NewArray()
	defer dict.Release()
	idx := d.idx.NewArray()
	defer idx.Release()
	clear(d.index)
	d.keys = d.keys[:0]
	d.size = 0
	d.last, d.lastIdx = "", -1
	d.arena.reset()
	return array.NewDictionaryArray(dictStringType, idx, dict)
}

func (d *stringDict) release() { d.idx.Release() }

// arena holds copies of strings in large chunks.
type arena struct {
	chunks [][]byte
	cur    int
}

const arenaChunk = 64 << 10

func (a *arena) clone(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaChunk/4 {
		return strings.Clone(s)
	}
	for {
		if a.cur == len(a.chunks) {
			a.chunks = append(a.chunks, make([]byte, 0, arenaChunk))
		}
		c := a.chunks[a.cur]
		if len(c)+len(s) <= cap(c) {
			c = append(c, s...)
			a.chunks[a.cur] = c
			return unsafe.String(&c[len(c)-len(s)], len(s))
		}
		a.cur++
	}
}

// reset makes the chunks reusable; strings from clone become invalid.
func (a *arena) reset() {
	for i := range a.chunks {
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}
