package tabular

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Options tell how to read a text file (CSV, JSONL, JSON). The zero value
// sniffs everything.
type Options struct {
	// Delimiter separates CSV fields; 0 sniffs among ',', ';', '\t', '|'
	// from the first 64 KiB.
	Delimiter rune
	// HasHeader says whether the first CSV record names the columns; nil
	// detects it (see Infer). Without a header, columns are named
	// column_0, column_1, ...
	HasHeader *bool
	// Encoding is the character set of the file: "" (the default) detects
	// it: the file is read as UTF-8 unless its first non-ASCII character
	// is not valid UTF-8, in which case it is windows-1252 (a superset of
	// latin-1's printable characters) and decoded to UTF-8; "utf-8" (rows
	// with invalid UTF-8 are rejected by Convert); "latin-1" /
	// "iso-8859-1"; "windows-1252" / "cp1252".
	Encoding string
	// NullValues, when non-nil, are exact field values read as NULL in
	// every column, in addition to the empty field.
	//
	// When nil (the default) an empty CSV field is NULL in every column,
	// and the tokens of DefaultNullTokens ("NULL", "NA", "N/A", "NaN", ...)
	// are NULL only in columns whose type is not STRING: there they cannot
	// be values anyway, while in a STRING column they are kept as the
	// strings they are ("NA" may well be Namibia), never nulled silently.
	NullValues []string
	// SampleRows > 0 makes Infer stop after that many data rows (for
	// previews); the inferred types may then be too narrow for later rows,
	// which Convert would reject. 0 scans the whole input.
	SampleRows int
	// LazyQuotes accepts a quote inside an unquoted field and a lone quote
	// inside a quoted field (encoding/csv's LazyQuotes). Off, such rows are
	// rejected.
	LazyQuotes bool
	// Limits bound records, values, columns, nesting and decompression;
	// zero fields take their defaults.
	Limits Limits
}

// DefaultNullTokens are the values read as NULL in non-STRING columns when
// Options.NullValues is nil.
func DefaultNullTokens() []string {
	return []string{"NULL", "null", "Null", "NA", "N/A", "n/a", "NaN", "nan", "None", "none", "#N/A", "nil"}
}

// InferredColumn is one inferred column.
type InferredColumn struct {
	// Name is the sanitised, collision-free column name (SanitizeNames).
	Name string `json:"name"`
	// Original is the name in the file: the CSV header, the JSON key, the
	// Parquet field; "column_<i>" for a headerless CSV.
	Original string         `json:"original"`
	Type     warehouse.Type `json:"type"`
	// Nullable is true when some row has no value (empty field, null
	// token, JSON null or missing key).
	Nullable bool `json:"nullable"`
	// Layout is the date layout of a DATE/TIMESTAMP column: LayoutISO
	// (""), LayoutMDY or LayoutDMY.
	Layout string `json:"layout,omitempty"`
	// Confidence is 1 when every value of the whole input fits Type, less
	// when only a sample was read (0.8) or the column had no values (0.5).
	Confidence float64 `json:"confidence"`
	// Warning explains a low confidence or a surprising type.
	Warning string `json:"warning,omitempty"`
	// Samples are the first (up to) 5 distinct values, NULL as "NULL".
	Samples []string `json:"samples"`
	// Values counts the rows read that have a value (not NULL) here.
	Values int64 `json:"values"`
}

// Inferred is the result of Infer: the columns and how the file reads.
// Persist it (it marshals to JSON) and pass it to Convert.
type Inferred struct {
	Format  Format           `json:"format"`
	Columns []InferredColumn `json:"columns"`
	// Rows is the number of data rows read (not counting the header).
	Rows int64 `json:"rows"`
	// BadRows counts rows that could not be read (wrong field count,
	// broken quoting, invalid JSON); Convert rejects them.
	BadRows int64 `json:"bad_rows"`
	// Complete is true when the whole input was read.
	Complete bool `json:"complete"`
	// Fields is the number of fields of every CSV record.
	Fields int `json:"fields,omitempty"`
	// Delimiter and HasHeader are what was used or detected for CSV.
	Delimiter rune `json:"delimiter,omitempty"`
	HasHeader bool `json:"has_header"`
	// Encoding and NullValues are copied from Options for Convert.
	Encoding string `json:"encoding,omitempty"`
	// DetectedEncoding is the encoding the rows read were in: the one
	// given, or the one detected ("utf-8" or "windows-1252"). Convert,
	// which reads the whole file, reports its own in Stats.Encoding.
	DetectedEncoding string   `json:"detected_encoding,omitempty"`
	NullValues       []string `json:"null_values,omitempty"`
	LazyQuotes       bool     `json:"lazy_quotes,omitempty"`
	// Fingerprint is the hex MD5 of "name:TYPE" of each column joined by
	// "|": equal fingerprints mean the same schema.
	Fingerprint string `json:"fingerprint"`
	// Warnings are file-level findings (rows with invalid UTF-8, ...).
	Warnings []string `json:"warnings,omitempty"`
}

// Fingerprint is the hex MD5 of "name:TYPE" of each column joined by "|".
func Fingerprint(s warehouse.Schema) string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = c.Name + ":" + string(c.Type)
	}
	sum := md5.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])
}

// Schema returns the warehouse schema of the inferred columns.
func (in Inferred) Schema() warehouse.Schema {
	s := make(warehouse.Schema, len(in.Columns))
	for i, c := range in.Columns {
		s[i] = warehouse.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	return s
}

// Override applies a user-edited schema: its columns, matched by
// sanitised Name, keep their Original and Layout and take the schema's
// Type and Nullable; inferred columns missing from s are dropped (column
// selection), and the result has the order of s. A column of s that was
// not inferred is errs.Invalid, as is an unknown type.
func (in Inferred) Override(s warehouse.Schema) (Inferred, error) {
	byName := make(map[string]InferredColumn, len(in.Columns))
	for _, c := range in.Columns {
		byName[c.Name] = c
	}
	out := in
	out.Columns = make([]InferredColumn, 0, len(s))
	for _, c := range s {
		ic, ok := byName[c.Name]
		if !ok {
			return Inferred{}, errs.Userf(errs.Invalid, "column %q is not in the file", c.Name)
		}
		if !knownType(c.Type) {
			return Inferred{}, errs.Userf(errs.Invalid, "column %q: unknown type %q", c.Name, c.Type)
		}
		if ic.Type != c.Type {
			ic.Warning = "type set by the user (inferred " + string(ic.Type) + ")"
		}
		ic.Type, ic.Nullable = c.Type, c.Nullable
		out.Columns = append(out.Columns, ic)
	}
	out.Fingerprint = Fingerprint(out.Schema())
	return out, nil
}

func knownType(t warehouse.Type) bool {
	switch t {
	case warehouse.String, warehouse.Int64, warehouse.Float64, warehouse.Numeric, warehouse.Bool,
		warehouse.Date, warehouse.Timestamp, warehouse.DateTime, warehouse.Time, warehouse.JSON, warehouse.Bytes:
		return true
	}
	return false
}

// ConvertOptions control Convert.
type ConvertOptions struct {
	// NewPart opens the sink of part index (0, 1, ...). Convert closes it
	// after writing the part's footer. If Convert fails it closes (or,
	// when the sink has an Abort() error method, aborts) the open part:
	// after an error, treat every part as garbage. Required.
	NewPart func(index int) (io.WriteCloser, error)
	// RowsPerPart caps the rows of one part; default 250,000.
	RowsPerPart int
	// Compression of the Parquet pages: "snappy" (default) or "zstd".
	Compression string
	// Rejects receives one JSON object per rejected row (see Reject),
	// newline-terminated. Optional.
	Rejects io.Writer
	// Progress, if set, is called about every 50,000 rows and at the end.
	Progress func(Stats)
	// StrictTypes makes a value that does not fit its column's type stop
	// Convert with an error wrapping ErrTypeMismatch (kind Conflict)
	// instead of rejecting the row; rows that are malformed as a whole
	// (field count, quoting, encoding) are still rejected. Use it to
	// convert optimistically with types inferred from a sample, and fall
	// back to a whole-file inference when the sample was not enough.
	StrictTypes bool
	// Constants are columns appended after the schema's columns with the
	// same value on every row (lineage: source file, run, load time).
	Constants []Constant
	// Limits bound records, values, columns, nesting and decompression;
	// zero fields take their defaults. Use the limits Infer had.
	Limits Limits
}

// Constant is a column with one value on every row. Value is a string
// (STRING), an int64 (INT64) or a time.Time (TIMESTAMP).
type Constant struct {
	Name  string
	Type  warehouse.Type
	Value any
}

// Reject is a row that was not written.
type Reject struct {
	// Line is the 1-based physical line of the file where the row starts
	// (the header is line 1); for a Parquet input the 1-based row number.
	Line int64 `json:"line"`
	// Column names the column whose value failed (sanitised name); empty
	// when the row as a whole is malformed.
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	// Raw is the row as read (CSV fields re-joined with the delimiter, a
	// JSON line as is), cut to 4 KiB.
	Raw string `json:"raw"`
}

// Stats count what Convert did.
type Stats struct {
	RowsRead     int64 `json:"rows_read"`
	RowsWritten  int64 `json:"rows_written"`
	RowsRejected int64 `json:"rows_rejected"`
	// BytesRead counts the bytes read from the input (compressed bytes for
	// a gzip input).
	BytesRead int64 `json:"bytes_read"`
	// BytesWritten counts the Parquet bytes of finished parts.
	BytesWritten int64 `json:"bytes_written"`
	Parts        int   `json:"parts"`
	// FirstRejects are the first 20 rejected rows.
	FirstRejects []Reject `json:"first_rejects,omitempty"`
	// IgnoredColumns are columns (or JSON keys) of the file that the
	// schema does not have; MissingColumns are nullable schema columns the
	// file lacks (written as NULL).
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	MissingColumns []string `json:"missing_columns,omitempty"`
	// Encoding is the encoding the input was read in: the one given, or
	// the one detected ("utf-8", or "windows-1252" when the file's first
	// non-ASCII character is not valid UTF-8). Empty for Parquet.
	Encoding string `json:"encoding,omitempty"`
}
