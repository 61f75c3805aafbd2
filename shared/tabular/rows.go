package tabular

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// RowColumn is a column of a RowSource.
type RowColumn struct {
	// Name is the sanitised name (SanitizeName), Original the source's.
	Name     string
	Original string
	// Type is the warehouse type the column's values are typed as.
	Type warehouse.Type
}

// RowSource is a source of typed rows, such as the rows of a database
// table. Each value is nil (NULL) or of the Go type of its column's
// type: int64 (INT64), float64 (FLOAT64), bool (BOOL), []byte (BYTES),
// time.Time (DATE, DATETIME as the wall clock in UTC, TIMESTAMP), or
// string (STRING; NUMERIC as a decimal; JSON as the document; TIME as
// HH:MM:SS[.ffffff]).
type RowSource interface {
	// Columns are the columns of each row, in order.
	Columns() []RowColumn
	// Next returns the next row, and io.EOF after the last. The slice may
	// be reused by the next call; the values are not.
	Next() ([]any, error)
}

// ConvertRows writes the rows of src into Parquet parts with the columns
// of in, as Convert does for a file, without going through text: each
// output column takes the source column of its name (sanitised, else
// original; a nullable column no source column has is NULL), a value of
// the column's own type is written as it is, and one of another type (an
// existing table's column, say) is converted as its text would be. A row
// that does not fit is rejected whole, naming the column, with its row
// number (from 1) as its line and the row as a JSON object as its raw
// form.
//
// The limits apply as to a JSON Lines file: a string or BYTES value
// longer than MaxFieldBytes, a row whose values together are longer than
// MaxRecordBytes and a JSON value nested deeper than MaxJSONDepth are
// rejected; a source of more than MaxColumns columns fails.
//
// src.Next is called from a goroutine of ConvertRows' own, a few
// thousand rows ahead of the conversion; ConvertRows returns only after
// its last call.
func ConvertRows(ctx context.Context, src RowSource, in Inferred, opts ConvertOptions) (Stats, error) {
	c, err := newConverter(ctx, in, opts)
	if err != nil {
		return Stats{}, err
	}
	cols := src.Columns()
	if len(cols) > c.lim.MaxColumns {
		return c.abort(errs.Userf(errs.Invalid, "the source has more than %s columns, the most allowed (setting %s)", countText(int64(c.lim.MaxColumns)), SettingMaxColumns))
	}
	types := c.matchSource(cols)
	// Rows are read (and typed by the source) on another core, ahead of
	// the conversion.
	ahead := newTypedAhead(src)
	defer ahead.close()
	var line int64
	for {
		vals, err := ahead.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c.abort(err)
		}
		line++
		if err := c.tick(); err != nil {
			return c.abort(err)
		}
		if err := c.typedRow(line, cols, types, vals); err != nil {
			return c.abort(err)
		}
	}
	return c.finish()
}

// matchSource points each output column at the source column of its name
// (field -1: none) and returns the source type each output column reads;
// source columns no output column takes are recorded as ignored.
func (c *converter) matchSource(cols []RowColumn) []warehouse.Type {
	types := make([]warehouse.Type, len(c.cols))
	used := make([]bool, len(cols))
	for i := range c.cols {
		oc := &c.cols[i]
		oc.field = -1
		for j, sc := range cols {
			if sc.Name == oc.Name || sc.Original == c.origs[i] {
				oc.field, types[i], used[j] = j, sc.Type, true
				break
			}
		}
	}
	for j, sc := range cols {
		if !used[j] {
			c.stats.IgnoredColumns = append(c.stats.IgnoredColumns, sc.Original)
		}
	}
	return types
}

// typedRow coerces and writes one typed row, or rejects it.
func (c *converter) typedRow(line int64, cols []RowColumn, types []warehouse.Type, vals []any) error {
	raw := func() string { return string(appendRowJSON(nil, cols, vals)) }
	if rowBytes(vals) > c.lim.MaxRecordBytes {
		return c.reject(line, "", c.lim.rowTooLong(), raw)
	}
	for i := range c.cols {
		oc := &c.cols[i]
		var v any
		if oc.field >= 0 && oc.field < len(vals) {
			v = vals[oc.field]
		}
		reason := c.typedCell(oc, types[i], v, &c.cells[i])
		if reason == "" {
			continue
		}
		if c.opts.StrictTypes {
			return errs.E(errs.Conflict, "row %d, column %s: %s: %w", line, oc.Name, reason, ErrTypeMismatch)
		}
		return c.reject(line, oc.Name, reason, raw)
	}
	if err := c.pw.append(c.cells); err != nil {
		return err
	}
	c.stats.RowsWritten++
	return nil
}

// typedCell converts one typed value of source type st into out; it
// returns a reason when the value does not fit.
func (c *converter) typedCell(oc *outCol, st warehouse.Type, v any, out *cell) string {
	switch x := v.(type) {
	case string:
		if int64(len(x)) > c.lim.MaxFieldBytes {
			return c.lim.fieldTooLong()
		}
	case []byte:
		if int64(base64.StdEncoding.EncodedLen(len(x))) > c.lim.MaxFieldBytes {
			return c.lim.fieldTooLong()
		}
	}
	if v != nil && st == oc.Type {
		if reason, ok := sameTypeCell(oc.Type, v, out); ok {
			return reason
		}
	}
	if st == warehouse.JSON {
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			if _, depth := endOfValue([]byte(s), 0); 1+depth > c.lim.MaxJSONDepth {
				return c.lim.tooDeep()
			}
		}
	}
	text, k := valueText(st, v)
	return coerce(oc, text, k, &c.ns, out)
}

// sameTypeCell writes a non-nil value into a cell of its own type; ok is
// false for the values that take the text path (NUMERIC and TIME
// strings, JSON, non-finite floats, times the text form refuses).
func sameTypeCell(t warehouse.Type, v any, out *cell) (reason string, ok bool) {
	*out = cell{}
	switch x := v.(type) {
	case int64:
		out.i = x
		return "", t == warehouse.Int64
	case float64:
		out.f = x
		return "", t == warehouse.Float64 && !math.IsNaN(x) && !math.IsInf(x, 0)
	case bool:
		out.b = x
		return "", t == warehouse.Bool
	case []byte:
		out.by = x
		return "", t == warehouse.Bytes
	case string:
		out.s = validUTF8(x)
		return "", t == warehouse.String
	case time.Time:
		return "", timeCell(t, x, out)
	}
	return "", false
}

// timeCell writes a time into a DATE, DATETIME or TIMESTAMP cell, as
// its text form would be read: a DATE takes the UTC date, the others the
// instant in microseconds. Times the text form refuses (nanoseconds
// below the microsecond, years outside 1-9999) are left to it.
func timeCell(t warehouse.Type, x time.Time, out *cell) bool {
	x = x.UTC()
	if x.Year() < 1 || x.Year() > 9999 {
		return false
	}
	switch t {
	case warehouse.Date:
		y, m, d := x.Date()
		out.i = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		return true
	case warehouse.Timestamp, warehouse.DateTime:
		if x.Nanosecond()%1000 != 0 {
			return false
		}
		out.i = x.UnixMicro()
		return true
	}
	return false
}

// rowBytes is the size of a row's values as a record counts it: strings
// and BYTES (as base64); other values are small.
func rowBytes(vals []any) int64 {
	var n int64
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			n += int64(len(x))
		case []byte:
			n += int64(base64.StdEncoding.EncodedLen(len(x)))
		default:
			n += 8
		}
	}
	return n
}

// valueText is a typed value's text and kind as a JSON Lines file would
// carry it, for the values converted through text.
func valueText(t warehouse.Type, v any) (string, kind) {
	switch x := v.(type) {
	case nil:
		return "", kJSONNull
	case int64:
		return strconv.FormatInt(x, 10), kJSONNumber
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64), kJSONString
		}
		return strconv.FormatFloat(x, 'g', -1, 64), kJSONNumber
	case bool:
		return strconv.FormatBool(x), kJSONBool
	case []byte:
		return base64.StdEncoding.EncodeToString(x), kJSONString
	case time.Time:
		return timeText(t, x), kJSONString
	case string:
		x = validUTF8(x)
		if t == warehouse.JSON {
			return jsonText(x)
		}
		return x, kJSONString
	}
	return fmt.Sprint(v), kJSONString
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD (as
// encoding/json does), so that a source's stray bytes load as text.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// timeText is a time's text: the UTC date for DATE, the UTC wall clock
// for DATETIME, RFC 3339 for TIMESTAMP.
func timeText(t warehouse.Type, x time.Time) string {
	x = x.UTC()
	switch t {
	case warehouse.Date:
		return x.Format(time.DateOnly)
	case warehouse.DateTime:
		return x.Format("2006-01-02T15:04:05.999999999")
	}
	return x.Format(time.RFC3339Nano)
}

// jsonText is a JSON document's text and kind as a JSON value (compacted);
// text that is not JSON is a string.
func jsonText(doc string) (string, kind) {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(doc)) != nil {
		return doc, kJSONString
	}
	b := buf.Bytes()
	switch b[0] {
	case '{', '[':
		return buf.String(), kJSONNested
	case '"':
		return decodeString(b), kJSONString
	case 't', 'f':
		return buf.String(), kJSONBool
	case 'n':
		return "", kJSONNull
	}
	return buf.String(), kJSONNumber
}

// appendRowJSON renders a typed row as a JSON object keyed by the source
// column names (a rejected row's raw form).
func appendRowJSON(b []byte, cols []RowColumn, vals []any) []byte {
	b = append(b, '{')
	for i, v := range vals {
		if i >= len(cols) {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, cols[i].Original)
		b = append(b, ':')
		b = appendJSONValue(b, cols[i].Type, v)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// appendJSONValue appends one typed value as JSON.
func appendJSONValue(b []byte, t warehouse.Type, v any) []byte {
	text, k := valueText(t, v)
	switch k {
	case kJSONNull:
		return append(b, "null"...)
	case kJSONString:
		return appendJSONString(b, text)
	}
	return append(b, text...)
}
