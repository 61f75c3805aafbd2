package tabular

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Defaults of ConvertOptions.
const (
	DefaultRowsPerPart = 250_000
	progressEvery      = 50_000
	maxFirstRejects    = 20
	maxRawLen          = 4096
	batchRows          = 128 * 1024
)

// NUMERIC columns are written as decimal128(38, 9), BigQuery's NUMERIC.
const (
	numericPrecision = 38
	numericScale     = 9
)

// ArrowType returns the Arrow type Convert writes for a warehouse type:
// STRING and JSON utf8, INT64 int64, FLOAT64 float64, BOOL bool, DATE
// date32, TIMESTAMP timestamp[us, UTC], DATETIME timestamp[us] (no zone),
// TIME time64[us], NUMERIC decimal128(38, 9), BYTES binary.
func ArrowType(t warehouse.Type) (arrow.DataType, error) {
	switch t {
	case warehouse.String, warehouse.JSON:
		return arrow.BinaryTypes.String, nil
	case warehouse.Int64:
		return arrow.PrimitiveTypes.Int64, nil
	case warehouse.Float64:
		return arrow.PrimitiveTypes.Float64, nil
	case warehouse.Bool:
		return arrow.FixedWidthTypes.Boolean, nil
	case warehouse.Date:
		return arrow.FixedWidthTypes.Date32, nil
	case warehouse.Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case warehouse.DateTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case warehouse.Time:
		return arrow.FixedWidthTypes.Time64us, nil
	case warehouse.Numeric:
		return &arrow.Decimal128Type{Precision: numericPrecision, Scale: numericScale}, nil
	case warehouse.Bytes:
		return arrow.BinaryTypes.Binary, nil
	}
	return nil, errs.E(errs.Unsupported, "column type %q cannot be written", t)
}

// ArrowSchema returns the Arrow schema of the Parquet parts Convert writes.
func ArrowSchema(s warehouse.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(s))
	for i, c := range s {
		dt, err := ArrowType(c.Type)
		if err != nil {
			return nil, err
		}
		fields[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: c.Nullable}
	}
	return arrow.NewSchema(fields, nil), nil
}

// cell is one coerced value.
type cell struct {
	null bool
	i    int64 // INT64, DATE (days), TIMESTAMP/DATETIME/TIME (micros)
	f    float64
	b    bool
	s    string // STRING, JSON
	by   []byte // BYTES
	dec  decimal128.Num
}

// outCol is one output column and where its values come from.
type outCol struct {
	warehouse.Column
	layout string
	field  int // source field index; -1: missing in the file (NULL)
	// The last CSV text coerced without error and its cell, for columns
	// whose cells do not point into the text: the same text again (a
	// timestamp repeated on an invoice's lines) is not parsed again.
	cache    bool
	last     []byte
	lastCell cell
	lastOK   bool
}

// converter is the shared engine of Convert: coercion, rejects, parts.
type converter struct {
	ctx       context.Context
	opts      ConvertOptions
	cols      []outCol
	origs     []string
	ns        nullSet
	checkUTF8 bool
	cells     []cell
	stats     Stats
	rejEnc    *json.Encoder
	pw        *partWriter
	bytesRead func() int64
	lim       Limits
	// text is the text input being converted (nil for Parquet).
	text *textInput
}

func newConverter(ctx context.Context, in Inferred, opts ConvertOptions) (*converter, error) {
	if opts.NewPart == nil {
		return nil, errs.E(errs.Invalid, "convert: NewPart is required")
	}
	if len(in.Columns) == 0 {
		return nil, errs.E(errs.Invalid, "convert: the schema has no columns")
	}
	if opts.RowsPerPart <= 0 {
		opts.RowsPerPart = DefaultRowsPerPart
	}
	schema := in.Schema()
	seen := map[string]bool{}
	for _, c := range schema {
		if c.Name == "" || seen[c.Name] {
			return nil, errs.E(errs.Invalid, "convert: column name %q is empty or repeated", c.Name)
		}
		seen[c.Name] = true
	}
	full := append(warehouse.Schema{}, schema...)
	for _, k := range opts.Constants {
		if k.Name == "" || seen[k.Name] {
			return nil, errs.E(errs.Invalid, "convert: constant column name %q is empty or repeated", k.Name)
		}
		seen[k.Name] = true
		if err := checkConstant(k); err != nil {
			return nil, err
		}
		full = append(full, warehouse.Column{Name: k.Name, Type: k.Type, Nullable: true})
	}
	as, err := ArrowSchema(full)
	if err != nil {
		return nil, err
	}
	types := make([]warehouse.Type, len(schema))
	for i, col := range schema {
		types[i] = col.Type
	}
	pw, err := newPartWriter(as, types, opts)
	if err != nil {
		return nil, err
	}
	c := &converter{
		ctx:       ctx,
		opts:      opts,
		ns:        newNullSet(in.NullValues),
		checkUTF8: isUTF8(in.Encoding),
		cells:     make([]cell, len(schema)),
		pw:        pw,
		lim:       opts.Limits.withDefaults(),
	}
	c.cols = make([]outCol, len(schema))
	c.origs = make([]string, len(schema))
	for i, col := range schema {
		c.origs[i] = in.Columns[i].Original
		c.cols[i] = outCol{Column: col, layout: in.Columns[i].Layout, field: i}
		switch col.Type {
		case warehouse.String, warehouse.JSON, warehouse.Bytes:
		default:
			c.cols[i].cache = true
		}
	}
	if opts.Rejects != nil {
		c.rejEnc = json.NewEncoder(opts.Rejects)
		c.rejEnc.SetEscapeHTML(false)
	}
	return c, nil
}

// reject records a rejected row.
func (c *converter) reject(line int64, column, reason string, raw func() string) error {
	c.stats.RowsRejected++
	rj := Reject{Line: line, Column: column, Reason: reason}
	if raw != nil {
		rj.Raw = raw()
		if len(rj.Raw) > maxRawLen {
			rj.Raw = strings.ToValidUTF8(rj.Raw[:maxRawLen], "") + "…"
		}
	}
	if !utf8.ValidString(rj.Raw) {
		rj.Raw = strings.ToValidUTF8(rj.Raw, "\uFFFD")
	}
	if len(c.stats.FirstRejects) < maxFirstRejects {
		c.stats.FirstRejects = append(c.stats.FirstRejects, rj)
	}
	if c.rejEnc != nil {
		if err := c.rejEnc.Encode(rj); err != nil {
			return errs.Wrap(errs.Transient, err, "write rejects")
		}
	}
	return nil
}

// tick counts a read row, checks the context and reports progress.
func (c *converter) tick() error {
	c.stats.RowsRead++
	if c.stats.RowsRead&1023 == 0 {
		if err := c.ctx.Err(); err != nil {
			return errs.Wrap(errs.Transient, err, "convert")
		}
	}
	if c.opts.Progress != nil && c.stats.RowsRead%progressEvery == 0 {
		c.opts.Progress(c.snapshot())
	}
	return nil
}

func (c *converter) snapshot() Stats {
	s := c.stats
	if c.bytesRead != nil {
		s.BytesRead = c.bytesRead()
	}
	s.Parts, s.BytesWritten = int(c.pw.parts.Load()), c.pw.bytesWritten.Load()
	if c.text != nil {
		s.Encoding = c.text.Encoding()
	}
	return s
}

// openText opens the converter's text input and counts its bytes.
func (c *converter) openText(r io.Reader, f Format, encoding string) (*bufio.Reader, error) {
	t, err := openText(r, f, encoding, c.lim)
	if err != nil {
		return nil, err
	}
	c.text, c.bytesRead = t, t.cr.n.Load
	return t.br, nil
}

// closeText stops the text input's read-ahead.
func (c *converter) closeText() {
	if c.text != nil {
		c.text.close()
	}
}

// row coerces and writes one row; kinds is nil for CSV. raw renders the
// row for a reject record.
func (c *converter) row(line int64, fields []string, kinds []kind, raw func() string) error {
	if c.checkUTF8 {
		for _, f := range fields {
			if !utf8.ValidString(f) {
				return c.rejectUTF8(line, raw)
			}
		}
	}
	return c.validRow(line, fields, kinds, raw)
}

// rejectUTF8 rejects a row that is not valid UTF-8.
func (c *converter) rejectUTF8(line int64, raw func() string) error {
	return c.reject(line, "", "invalid UTF-8 (is the file in another encoding, such as windows-1252?)", raw)
}

// validRow is row for fields already checked for UTF-8 (when needed).
func (c *converter) validRow(line int64, fields []string, kinds []kind, raw func() string) error {
	for i := range c.cols {
		oc := &c.cols[i]
		var s string
		k := kJSONNull
		if oc.field >= 0 && oc.field < len(fields) {
			s = fields[oc.field]
			if kinds == nil {
				k = kText
			} else {
				k = kinds[oc.field]
			}
		}
		if k == kText && oc.lastOK && s == string(oc.last) {
			c.cells[i] = oc.lastCell
			continue
		}
		reason := coerce(oc, s, k, &c.ns, &c.cells[i])
		if reason == "" && k == kText && oc.cache {
			oc.last = append(oc.last[:0], s...)
			oc.lastCell, oc.lastOK = c.cells[i], true
		}
		if reason != "" {
			if c.opts.StrictTypes {
				return errs.E(errs.Conflict, "line %d, column %s: %s: %w", line, oc.Name, reason, ErrTypeMismatch)
			}
			return c.reject(line, oc.Name, reason, raw)
		}
	}
	if err := c.pw.append(c.cells); err != nil {
		return err
	}
	c.stats.RowsWritten++
	return nil
}

// finish closes the last part and returns the stats.
func (c *converter) finish() (Stats, error) {
	if err := c.pw.finish(); err != nil {
		return c.snapshot(), err
	}
	s := c.snapshot()
	if c.opts.Progress != nil {
		c.opts.Progress(s)
	}
	return s, nil
}

// abort drops the open part after an error.
func (c *converter) abort(err error) (Stats, error) {
	c.pw.abort()
	return c.snapshot(), err
}

func quoteCut(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}

// coerce converts one value into out; it returns a reason when it cannot.
func coerce(oc *outCol, s string, k kind, ns *nullSet, out *cell) string {
	*out = cell{}
	null := false
	switch k {
	case kJSONNull:
		null = true
	case kText:
		switch ns.classify(s) {
		case 1:
			null = true
		case 2:
			null = oc.Type != warehouse.String
		}
	case kJSONString:
		null = s == "" && oc.Type != warehouse.String
	}
	if null {
		if !oc.Nullable {
			return "NULL in a column that is not nullable"
		}
		out.null = true
		return ""
	}
	t := oc.Type
	if k == kJSONNested && t != warehouse.String && t != warehouse.JSON {
		return fmt.Sprintf("a JSON object or array cannot be %s", t)
	}
	switch t {
	case warehouse.String:
		out.s = s
		return ""
	case warehouse.JSON:
		switch k {
		case kJSONString:
			b, _ := json.Marshal(s)
			out.s = string(b)
		case kText:
			if !json.Valid([]byte(s)) {
				return fmt.Sprintf("%s is not valid JSON", quoteCut(s))
			}
			out.s = s
		default:
			out.s = s
		}
		return ""
	}
	v := trimSpace(s)
	ok := false
	switch t {
	case warehouse.Int64:
		if k != kJSONBool {
			out.i, ok = parseInt(v, false)
		}
	case warehouse.Float64:
		if k != kJSONBool {
			out.f, ok = parseFloatLoose(v)
		}
	case warehouse.Bool:
		out.b, ok = parseBool(v, false)
	case warehouse.Date:
		var tv timeVal
		if tv, ok = parseTemporal(v, oc.layout); ok {
			if tv.micros%86400e6 != 0 {
				return fmt.Sprintf("%s has a time of day, not a DATE", quoteCut(s))
			}
			out.i = tv.micros / 86400e6
			if tv.micros < 0 && tv.micros%86400e6 != 0 {
				out.i--
			}
		}
	case warehouse.Timestamp, warehouse.DateTime:
		var tv timeVal
		tv, ok = parseTemporal(v, oc.layout)
		out.i = tv.micros
	case warehouse.Time:
		out.i, ok = parseTimeOfDay(v)
		if !ok {
			var e int
			out.i, e, ok = parseClock(v, 0, true)
			ok = ok && e == len(v)
		}
	case warehouse.Numeric:
		out.dec, ok = parseNumeric(v)
	case warehouse.Bytes:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return fmt.Sprintf("%s is not base64", quoteCut(s))
		}
		out.by, ok = b, true
	}
	if !ok {
		return fmt.Sprintf("%s is not a valid %s", quoteCut(s), t)
	}
	return ""
}

// parseNumeric parses a decimal exactly into NUMERIC(38, 9); more than 9
// significant fractional digits or 29 integer digits do not fit (nothing
// is rounded).
func parseNumeric(s string) (decimal128.Num, bool) {
	if !isFloatSyntax(s, false) || strings.ContainsAny(s, "eE") {
		return decimal128.Num{}, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	intPart = strings.TrimLeft(intPart, "0")
	if len(frac) > numericScale || len(intPart) > numericPrecision-numericScale {
		return decimal128.Num{}, false
	}
	if len(intPart) <= 18-numericScale {
		// Fits an int64 once scaled: no big.Int.
		var v int64
		for i := 0; i < len(intPart); i++ {
			v = v*10 + int64(intPart[i]-'0')
		}
		for i := 0; i < numericScale; i++ {
			v *= 10
			if i < len(frac) {
				v += int64(frac[i] - '0')
			}
		}
		if neg {
			v = -v
		}
		return decimal128.FromI64(v), true
	}
	digits := intPart + frac + strings.Repeat("0", numericScale-len(frac))
	bi, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return decimal128.Num{}, false
	}
	if neg {
		bi.Neg(bi)
	}
	return decimal128.FromBigInt(bi), true
}

func kindOr(err error, k errs.Kind) errs.Kind {
	if kk := errs.KindOf(err); kk != errs.Unknown {
		return kk
	}
	return k
}

// Convert streams r (format f, optionally gzip-compressed) into Parquet
// parts with the columns of in (names, types, nullability; use
// Inferred.Override to apply user edits), coercing every value. A row that
// does not fit is rejected whole, never altered: wrong field count,
// malformed quoting or JSON, invalid UTF-8 (for utf-8 input), a value that
// does not parse as its column's type, a NULL in a non-nullable column.
// Rejects go to opts.Rejects and are counted; RowsRead = RowsWritten +
// RowsRejected.
//
// CSV files with a header are matched to the schema by column name (the
// original name, else the sanitised one), so files of one job may order
// their columns differently; file columns the schema lacks are ignored
// (Stats.IgnoredColumns), nullable schema columns the file lacks are
// NULL (Stats.MissingColumns), and a non-nullable one the file lacks is
// errs.Invalid. JSON keys match the same way.
//
// Timestamps without a zone are taken as UTC; DATETIME columns keep them
// as wall-clock time. Zero data rows make zero parts.
func Convert(ctx context.Context, r io.Reader, f Format, in Inferred, opts ConvertOptions) (Stats, error) {
	switch f {
	case CSV:
		return convertCSV(ctx, r, in, opts)
	case JSONL, JSON:
		return convertJSON(ctx, r, f, in, opts)
	case Parquet:
		ra, size, cleanup, err := readerAt(r)
		if err != nil {
			return Stats{}, err
		}
		defer cleanup()
		return ConvertParquet(ctx, ra, size, in, opts)
	}
	return Stats{}, errs.Userf(errs.Unsupported, "the format %q is not supported: use csv, jsonl, json or parquet", f)
}

func convertCSV(ctx context.Context, r io.Reader, in Inferred, opts ConvertOptions) (Stats, error) {
	c, err := newConverter(ctx, in, opts)
	if err != nil {
		return Stats{}, err
	}
	br, err := c.openText(r, CSV, in.Encoding)
	if err != nil {
		return c.abort(err)
	}
	defer c.closeText()
	delim := in.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(br)
	}
	src := newCSVSource(br, delim, in.LazyQuotes, c.lim)
	var rw row
	expected := in.Fields
	badRaw := func() string { return rw.raw }
	if in.HasHeader {
		// The first readable record is the header.
		for {
			if err := src.next(&rw); err != nil {
				if errors.Is(err, io.EOF) {
					return c.finish()
				}
				return c.abort(err)
			}
			if rw.bad == "" {
				break
			}
			if rw.tooManyFields {
				return c.abort(c.lim.tooManyColumns())
			}
			if err := c.tick(); err != nil {
				return c.abort(err)
			}
			if err := c.reject(rw.line, "", rw.bad, badRaw); err != nil {
				return c.abort(err)
			}
		}
		expected = len(rw.fields)
		if err := c.mapColumns(headerNames(rw.fields, true)); err != nil {
			return c.abort(err)
		}
	} else {
		if expected == 0 {
			expected = len(c.cols)
		}
		for i := range c.cols {
			c.cols[i].field = i
			if n, ok := strings.CutPrefix(in.Columns[i].Original, "column_"); ok {
				if j, err := strconv.Atoi(n); err == nil && j >= 0 {
					c.cols[i].field = j
				}
			}
			if c.cols[i].field >= expected {
				expected = c.cols[i].field + 1
			}
		}
	}
	// Records are split on another core, ahead of the conversion.
	ahead := newRowsAhead(src)
	defer ahead.Close()
	for {
		if err := ahead.next(&rw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return c.abort(err)
		}
		if err := c.tick(); err != nil {
			return c.abort(err)
		}
		fields := rw.fields
		raw := func() string { return joinCSV(fields, delim) }
		switch {
		case rw.bad != "":
			err = c.reject(rw.line, "", rw.bad, badRaw)
		case len(fields) != expected:
			err = c.reject(rw.line, "", fmt.Sprintf("expected %d fields, got %d", expected, len(fields)), raw)
		case c.checkUTF8 && rw.invalidUTF8:
			err = c.rejectUTF8(rw.line, raw)
		case rw.longField >= 0:
			err = c.reject(rw.line, c.columnOfField(rw.longField), c.lim.fieldTooLong(), raw)
		default:
			err = c.validRow(rw.line, fields, nil, raw)
		}
		if err != nil {
			return c.abort(err)
		}
	}
	return c.finish()
}

// columnOfField names the output column read from the file's field j
// (the field's number when no column reads it).
func (c *converter) columnOfField(j int) string {
	for _, oc := range c.cols {
		if oc.field == j {
			return oc.Name
		}
	}
	return fmt.Sprintf("field %d", j+1)
}

// mapColumns points each output column at the file's field of the same
// original (else sanitised) name.
func (c *converter) mapColumns(fileNames []string) error {
	sanitized, _ := SanitizeNames(fileNames)
	byOrig := map[string]int{}
	bySan := map[string]int{}
	for j := len(fileNames) - 1; j >= 0; j-- {
		byOrig[fileNames[j]] = j
		bySan[sanitized[j]] = j
	}
	used := make([]bool, len(fileNames))
	for i := range c.cols {
		oc := &c.cols[i]
		j, ok := bySan[oc.Name]
		if !ok {
			j, ok = byOrig[c.originalOf(i)]
		}
		if !ok || used[j] {
			if !oc.Nullable {
				return errs.Userf(errs.Invalid, "the file has no column %q, which the table requires (it is not nullable)", oc.Name)
			}
			oc.field = -1
			c.stats.MissingColumns = append(c.stats.MissingColumns, oc.Name)
			continue
		}
		used[j] = true
		oc.field = j
	}
	for j, u := range used {
		if !u {
			c.stats.IgnoredColumns = append(c.stats.IgnoredColumns, sanitized[j])
		}
	}
	return nil
}

func (c *converter) originalOf(i int) string { return c.origs[i] }

// ErrTypeMismatch is wrapped by Convert's error under StrictTypes when a
// value does not fit its column's type.
var ErrTypeMismatch = errors.New("value does not fit the column type")

// checkConstant validates a constant column's type and value.
func checkConstant(k Constant) error {
	ok := false
	switch k.Type {
	case warehouse.String:
		_, ok = k.Value.(string)
	case warehouse.Int64:
		_, ok = k.Value.(int64)
	case warehouse.Timestamp:
		_, ok = k.Value.(time.Time)
	}
	if !ok {
		return errs.E(errs.Invalid, "convert: constant column %q: a %T value cannot be %s (STRING string, INT64 int64, TIMESTAMP time.Time)", k.Name, k.Value, k.Type)
	}
	return nil
}
