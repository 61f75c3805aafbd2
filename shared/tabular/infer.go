package tabular

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Candidate type bits of a column: the types every value seen so far fits.
const (
	bBool uint8 = 1 << iota
	bInt
	bFloat
	bISO // YYYY-MM-DD[ time]
	bMDY // M/D/YYYY[ time]
	bDMY // D/M/YYYY or D.M.YYYY[ time]
	bTime
	bAll      = bBool | bInt | bFloat | bISO | bMDY | bDMY | bTime
	bNumeric  = bInt | bFloat
	bTemporal = bISO | bMDY | bDMY
)

// nullSet decides which values are NULL.
type nullSet struct {
	explicit map[string]bool // Options.NullValues: NULL everywhere
	typed    map[string]bool // default tokens: NULL in non-STRING columns
	maxLen   int
	first    [256]bool // the first bytes of the tokens
}

func newNullSet(values []string) nullSet {
	ns := nullSet{}
	if values != nil {
		ns.explicit = map[string]bool{}
		for _, v := range values {
			ns.explicit[v] = true
			ns.maxLen = max(ns.maxLen, len(v))
			if v != "" {
				ns.first[v[0]] = true
			}
		}
		return ns
	}
	ns.typed = map[string]bool{}
	for _, v := range DefaultNullTokens() {
		ns.typed[v] = true
		ns.maxLen = max(ns.maxLen, len(v))
		ns.first[v[0]] = true
	}
	return ns
}

// classify returns 0 (a value), 1 (NULL everywhere) or 2 (NULL unless the
// column is STRING).
func (ns *nullSet) classify(s string) int {
	if s == "" {
		return 1
	}
	if len(s) > ns.maxLen || !ns.first[s[0]] {
		return 0
	}
	if ns.explicit != nil {
		if ns.explicit[s] {
			return 1
		}
		return 0
	}
	if ns.typed[s] {
		return 2
	}
	return 0
}

// colState accumulates what one column's values allow.
type colState struct {
	mask       uint8
	hasTime    bool
	nested     bool // a JSON object/array was seen
	nonNull    int64
	nulls      int64 // empty/explicit nulls, JSON null, missing key
	tokenNulls int64 // default null tokens (NULL only if not STRING)
	samples    []string
	// first value that ruled out the last numeric / temporal candidate
	killer      string
	killerLine  int64
	killedAfter int64
	// last is the previous value when it was CSV text that left typed
	// candidates (lastOK): the same value again (a date repeated on an
	// invoice's lines) changes nothing but the counts.
	last   []byte
	lastOK bool
}

func newColState() *colState { return &colState{mask: bAll} }

// textBits returns the candidate bits among mask that the CSV text s fits.
func textBits(s string, mask uint8) (bits uint8, hasTime bool) {
	s = trimSpace(s)
	if s == "" {
		return 0, false
	}
	if mask&bBool != 0 {
		if _, ok := parseBool(s, true); ok {
			return bBool, false
		}
	}
	if mask&bNumeric != 0 {
		c := s[0]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' {
			if mask&bInt != 0 {
				if _, ok := parseInt(s, true); ok {
					return (bInt | bFloat) & mask, false
				}
				if isIntSyntax(s) {
					// Too big for INT64: a code, keep it exact as STRING.
					return 0, false
				}
			}
			if mask&bFloat != 0 {
				if _, ok := parseFloat(s, true); ok {
					return bFloat, false
				}
			}
		}
	}
	return temporalBits(s, mask)
}

// isIntSyntax: optional sign and digits only.
func isIntSyntax(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func temporalBits(s string, mask uint8) (bits uint8, hasTime bool) {
	if mask&bISO != 0 {
		if v, ok := parseISO(s); ok {
			bits |= bISO
			hasTime = v.hasTime
		}
	}
	if mask&bMDY != 0 {
		if v, ok := parseSlash(s, true); ok {
			bits |= bMDY
			hasTime = hasTime || v.hasTime
		}
	}
	if mask&bDMY != 0 {
		if v, ok := parseSlash(s, false); ok {
			bits |= bDMY
			hasTime = hasTime || v.hasTime
		}
	}
	if mask&bTime != 0 {
		if _, ok := parseTimeOfDay(s); ok {
			bits |= bTime
		}
	}
	return bits, hasTime
}

// jsonNumberBits: integral literals fit INT64 (and FLOAT64), others FLOAT64.
func jsonNumberBits(s string) uint8 {
	if strings.ContainsAny(s, ".eE") {
		return bFloat
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return bInt | bFloat
	}
	return 0
}

// add folds one value into the column.
func (c *colState) add(s string, k kind, ns *nullSet, line int64) {
	if c.lastOK && k == kText && s == string(c.last) {
		// What the previous, equal value did: it was a value, and its
		// candidate types are already applied to the mask.
		c.nonNull++
		c.sample(s)
		return
	}
	c.lastOK = false
	switch k {
	case kJSONNull:
		c.nulls++
		c.sample("NULL")
		return
	case kText:
		switch ns.classify(s) {
		case 1:
			c.nulls++
			c.sample("NULL")
			return
		case 2:
			c.tokenNulls++
			c.sample(s)
			return
		}
	case kJSONNested:
		c.nested = true
	case kJSONString:
		if s == "" { // "" is NULL in a typed column, itself in a STRING one
			c.tokenNulls++
			c.sample(s)
			return
		}
	}
	c.nonNull++
	c.sample(s)
	if c.mask == 0 {
		return
	}
	var bits uint8
	var ht bool
	switch k {
	case kText:
		bits, ht = textBits(s, c.mask)
	case kJSONString:
		bits, ht = temporalBits(s, c.mask&(bTemporal|bTime))
	case kJSONNumber:
		bits = jsonNumberBits(s) & c.mask
	case kJSONBool:
		bits = bBool & c.mask
	}
	before := c.mask
	c.mask &= bits
	c.hasTime = c.hasTime || ht
	if k == kText && c.mask != 0 {
		c.last = append(c.last[:0], s...)
		c.lastOK = true
	}
	if c.killer == "" && c.nonNull > 1 && ((before&bNumeric != 0 && c.mask&bNumeric == 0) || (before&bTemporal != 0 && c.mask&bTemporal == 0)) && c.mask == 0 {
		c.killer, c.killerLine, c.killedAfter = strings.Clone(s), line, c.nonNull-1
	}
}

func (c *colState) sample(s string) {
	if len(c.samples) >= 5 {
		return
	}
	for _, x := range c.samples {
		if x == s {
			return
		}
	}
	if len(s) > 200 {
		s = s[:200]
	}
	c.samples = append(c.samples, strings.Clone(s))
}

// result turns the state into a column.
func (c *colState) result(original string, complete bool, rows int64) InferredColumn {
	ic := InferredColumn{Original: original, Confidence: 1, Samples: c.samples, Type: warehouse.String, Values: c.nonNull}
	if ic.Samples == nil {
		ic.Samples = []string{}
	}
	switch {
	case c.nested:
		ic.Type = warehouse.JSON
	case c.nonNull == 0:
		ic.Confidence = 0.5
		ic.Warning = fmt.Sprintf("no values in %d rows; typed STRING", rows)
	case c.mask&bBool != 0:
		ic.Type = warehouse.Bool
	case c.mask&bInt != 0:
		ic.Type = warehouse.Int64
	case c.mask&bFloat != 0:
		ic.Type = warehouse.Float64
	case c.mask&bTemporal != 0:
		ic.Type = warehouse.Date
		if c.hasTime {
			ic.Type = warehouse.Timestamp
		}
		switch {
		case c.mask&bISO != 0:
			ic.Layout = LayoutISO
		case c.mask&bMDY != 0:
			ic.Layout = LayoutMDY
			if c.mask&bDMY != 0 {
				ic.Warning = "dates fit both M/D/YYYY and D/M/YYYY; read as M/D/YYYY"
				ic.Confidence = 0.7
			}
		default:
			ic.Layout = LayoutDMY
		}
	case c.mask&bTime != 0:
		ic.Type = warehouse.Time
	}
	if ic.Type == warehouse.String && c.killer != "" && c.killedAfter >= 10 {
		ic.Warning = fmt.Sprintf("the first %d values looked typed but %q (line %d) is not; typed STRING", c.killedAfter, c.killer, c.killerLine)
	}
	// Null tokens are NULL only in non-STRING columns.
	ic.Nullable = c.nulls > 0 || (c.tokenNulls > 0 && ic.Type != warehouse.String)
	if !complete && ic.Confidence > 0.8 {
		ic.Confidence = 0.8
		if ic.Warning == "" {
			ic.Warning = fmt.Sprintf("inferred from the first %d rows only", rows)
		}
	}
	return ic
}

// Infer reads r in format f and infers its columns. By default it reads
// the whole input, so that a value seen only late (a 'C536379' among
// numeric invoice numbers) widens its column instead of being rejected by
// Convert; Options.SampleRows limits it for previews. The input may be
// gzip-compressed (sniffed). For Parquet, r is spooled to a temporary file
// unless it is an io.ReaderAt and io.Seeker; prefer InferParquet.
//
// Types: BOOL (true/false/t/f, any case) → INT64 (integers without leading
// zeros that fit 64 bits; "17850.0" counts) → FLOAT64 (decimal numbers) →
// DATE (YYYY-MM-DD or M/D/YYYY, D/M/YYYY, D.M.YYYY) → TIMESTAMP (the same
// with a time, ISO 8601 with T, Z or offset; a column mixing dates and
// timestamps is TIMESTAMP) → TIME (HH:MM:SS) → STRING. A column is the
// first of these that every non-null value fits, so mixtures end as
// STRING. "007" is STRING (codes keep their zeros) and so are integers
// beyond 64 bits. JSON values keep their JSON type: numbers are INT64 or
// FLOAT64, strings STRING unless all are dates/timestamps, objects and
// arrays make the column JSON. CSV columns are named from the header
// (sanitised, collisions resolved) or column_0..n.
//
// Header detection (HasHeader nil) looks at up to the first 1000 records:
// a first record whose values do not fit the types of the rest of their
// columns is a header; one whose values do fit is data; with no evidence
// either way (all-text columns) a header is assumed.
func Infer(ctx context.Context, r io.Reader, f Format, opts Options) (Inferred, error) {
	switch f {
	case CSV:
		return inferCSV(ctx, r, opts)
	case JSONL, JSON:
		return inferJSON(ctx, r, f, opts)
	case Parquet:
		ra, size, cleanup, err := readerAt(r)
		if err != nil {
			return Inferred{}, err
		}
		defer cleanup()
		return inferParquet(ra, size, opts.Limits)
	}
	return Inferred{}, errs.Userf(errs.Unsupported, "the format %q is not supported: use csv, jsonl, json or parquet", f)
}

// readerAt gives random access to r: directly when r allows it, else
// through a temporary file.
func readerAt(r io.Reader) (io.ReaderAt, int64, func(), error) {
	if ras, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		size, err := ras.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, nil, errs.Wrap(errs.Invalid, err, "size of Parquet input")
		}
		return ras, size, func() {}, nil
	}
	tmp, err := os.CreateTemp("", "tabular-*.parquet")
	if err != nil {
		return nil, 0, nil, errs.Wrap(errs.Transient, err, "spool Parquet input")
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	size, err := io.Copy(tmp, r)
	if err != nil {
		cleanup()
		return nil, 0, nil, readErr(err)
	}
	return tmp, size, cleanup, nil
}

// headerSample is how many records header detection looks at.
const headerSample = 1000

// headBytes bounds the bytes of the records buffered for header
// detection (besides headerSample).
const headBytes = 32 << 20

func inferCSV(ctx context.Context, r io.Reader, opts Options) (Inferred, error) {
	lim := opts.Limits.withDefaults()
	t, err := openText(r, CSV, opts.Encoding, lim)
	if err != nil {
		return Inferred{}, err
	}
	defer t.close()
	br := t.br
	delim := opts.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(br)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || !utf8.ValidRune(delim) || delim == utf8.RuneError {
		return Inferred{}, errs.Userf(errs.Invalid, "the delimiter %q cannot separate CSV fields", delim)
	}
	src := newCSVSource(br, delim, opts.LazyQuotes, lim)
	ns := newNullSet(opts.NullValues)
	in := Inferred{Format: CSV, Delimiter: delim, Encoding: opts.Encoding, NullValues: opts.NullValues, LazyQuotes: opts.LazyQuotes}

	// Buffer the first records for header detection.
	type bufRow struct {
		line        int64
		fields      []string
		bad         string
		invalidUTF8 bool
	}
	var head []bufRow
	var rw row
	eof := false
	held := 0
	for len(head) < headerSample && held < headBytes {
		if err := src.next(&rw); err != nil {
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			return Inferred{}, err
		}
		if len(head) == 0 && rw.tooManyFields {
			return Inferred{}, lim.tooManyColumns()
		}
		bad := rw.bad
		if bad == "" && rw.longField >= 0 {
			bad = lim.fieldTooLong()
		}
		h := bufRow{line: rw.line, bad: bad, invalidUTF8: rw.invalidUTF8}
		if bad == "" {
			h.fields = cloneFields(rw.fields)
			for _, f := range rw.fields {
				held += len(f)
			}
		}
		head = append(head, h)
	}
	var good [][]string
	for _, h := range head {
		if h.bad == "" {
			good = append(good, h.fields)
		}
	}
	if len(good) == 0 {
		in.Complete = eof
		in.BadRows = int64(len(head))
		in.Rows = int64(len(head))
		in.Fingerprint = Fingerprint(nil)
		if len(head) > 0 {
			in.Warnings = append(in.Warnings, "no readable record: "+head[0].bad)
		}
		return in, nil
	}
	hasHeader := false
	if opts.HasHeader != nil {
		hasHeader = *opts.HasHeader
	} else {
		hasHeader = detectHeader(good, &ns)
	}
	in.HasHeader = hasHeader
	first := good[0]
	originals := headerNames(first, hasHeader)
	nf := len(first)
	in.Fields = nf
	cols := make([]*colState, nf)
	for i := range cols {
		cols[i] = newColState()
	}
	skipHeader := hasHeader
	invalidUTF8 := int64(0)
	var firstBad string
	limit := int64(opts.SampleRows)
	feed := func(line int64, fields []string, bad string, badUTF8 bool) {
		if skipHeader && bad == "" {
			skipHeader = false
			return
		}
		in.Rows++
		if bad == "" && len(fields) != nf {
			bad = fmt.Sprintf("line %d: expected %d fields, got %d", line, nf, len(fields))
		} else if bad != "" {
			bad = fmt.Sprintf("line %d: %s", line, bad)
		}
		if bad != "" {
			in.BadRows++
			if firstBad == "" {
				firstBad = bad
			}
			return
		}
		if badUTF8 {
			invalidUTF8++
		}
		for i, v := range fields {
			cols[i].add(v, kText, &ns, line)
		}
	}
	for _, h := range head {
		if limit > 0 && in.Rows >= limit {
			break
		}
		feed(h.line, h.fields, h.bad, h.invalidUTF8)
	}
	stopped := false
	if !eof {
		for {
			if limit > 0 && in.Rows >= limit {
				stopped = true
				break
			}
			if in.Rows&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return Inferred{}, errs.Wrap(errs.Transient, err, "infer")
				}
			}
			if err := src.next(&rw); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return Inferred{}, err
			}
			bad := rw.bad
			if bad == "" && rw.longField >= 0 {
				bad = lim.fieldTooLong()
			}
			feed(rw.line, rw.fields, bad, rw.invalidUTF8)
		}
	} else if limit > 0 && in.Rows >= limit && int64(len(head)) > limit+boolInt(hasHeader) {
		stopped = true
	}
	in.Complete = !stopped
	names, _ := SanitizeNames(originals)
	in.Columns = make([]InferredColumn, nf)
	for i, c := range cols {
		ic := c.result(originals[i], in.Complete, in.Rows)
		ic.Name = names[i]
		in.Columns[i] = ic
	}
	if in.BadRows > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d rows cannot be read and will be rejected; first: %s", in.BadRows, firstBad))
	}
	if invalidUTF8 > 0 && isUTF8(opts.Encoding) {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d rows are not valid UTF-8 and will be rejected; is the encoding windows-1252 or latin-1?", invalidUTF8))
	}
	in.DetectedEncoding = t.Encoding()
	in.Fingerprint = Fingerprint(in.Schema())
	return in, nil
}

// headerNames returns the original column names: the header's values
// (column_<i> for a blank one), or column_0..n without a header. The
// names are copies: first may be a reader's reused record.
func headerNames(first []string, hasHeader bool) []string {
	out := make([]string, len(first))
	for i, v := range first {
		if !hasHeader || strings.TrimSpace(v) == "" {
			out[i] = "column_" + strconv.Itoa(i)
		} else {
			out[i] = strings.Clone(v)
		}
	}
	return out
}

// cloneFields copies a record that the reader will reuse: one string for
// all its fields, sliced.
func cloneFields(fields []string) []string {
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(f)
	}
	all := b.String()
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i], all = all[:len(f)], all[len(f):]
	}
	return out
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func isUTF8(enc string) bool {
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8", "utf_8":
		return true
	}
	return false
}

// detectHeader votes per column: a first value that does not fit the type
// the rest of the column has is a header vote, one that fits is a data
// vote. Text-only columns give no evidence, and no evidence means header.
func detectHeader(rows [][]string, ns *nullSet) bool {
	first := rows[0]
	if len(rows) == 1 {
		for _, v := range first {
			if ns.classify(v) == 0 {
				if bits, _ := textBits(v, bAll); bits != 0 {
					return false
				}
			}
		}
		return true
	}
	votes := 0
	for j, v := range first {
		c := newColState()
		for _, r := range rows[1:] {
			if j < len(r) {
				c.add(r[j], kText, ns, 0)
			}
		}
		if c.nonNull == 0 || c.mask == 0 {
			continue
		}
		if ns.classify(v) != 0 {
			continue
		}
		if bits, _ := textBits(v, c.mask); bits != 0 {
			votes--
		} else {
			votes++
		}
	}
	return votes >= 0
}

func inferJSON(ctx context.Context, r io.Reader, f Format, opts Options) (Inferred, error) {
	t, err := openText(r, f, opts.Encoding, opts.Limits)
	if err != nil {
		return Inferred{}, err
	}
	defer t.close()
	in, err := inferJSONFrom(ctx, t.br, f, opts)
	in.DetectedEncoding = t.Encoding()
	return in, err
}

func inferJSONFrom(ctx context.Context, br *bufio.Reader, f Format, opts Options) (Inferred, error) {
	lim := opts.Limits.withDefaults()
	keys := &jsonKeys{index: map[string]int{}, grow: true, max: lim.MaxColumns}
	src, err := newJSONSource(br, f, keys, lim)
	if err != nil {
		return Inferred{}, err
	}
	ns := newNullSet(opts.NullValues)
	in := Inferred{Format: f, Encoding: opts.Encoding, NullValues: opts.NullValues, Complete: true}
	var cols []*colState
	var rw row
	var firstBad string
	limit := int64(opts.SampleRows)
	for {
		if limit > 0 && in.Rows >= limit {
			in.Complete = false
			break
		}
		if in.Rows&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return Inferred{}, errs.Wrap(errs.Transient, err, "infer")
			}
		}
		if err := src.next(&rw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return Inferred{}, err
		}
		if keys.overflow {
			return Inferred{}, lim.tooManyColumns()
		}
		in.Rows++
		if rw.bad != "" {
			in.BadRows++
			if firstBad == "" {
				firstBad = fmt.Sprintf("line %d: %s", rw.line, rw.bad)
			}
			continue
		}
		for len(cols) < len(keys.names) {
			c := newColState()
			c.nulls = in.Rows - 1 - (in.BadRows) // missing in earlier rows
			cols = append(cols, c)
		}
		for i, c := range cols {
			if i < len(rw.fields) {
				c.add(rw.fields[i], rw.kinds[i], &ns, rw.line)
			} else {
				c.add("", kJSONNull, &ns, rw.line)
			}
		}
	}
	names, _ := SanitizeNames(keys.names)
	in.Columns = make([]InferredColumn, len(cols))
	for i, c := range cols {
		ic := c.result(keys.names[i], in.Complete, in.Rows)
		ic.Name = names[i]
		in.Columns[i] = ic
	}
	if in.BadRows > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d rows cannot be read and will be rejected; first: %s", in.BadRows, firstBad))
	}
	in.Fingerprint = Fingerprint(in.Schema())
	return in, nil
}
