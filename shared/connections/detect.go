package connections

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// Detection bounds: the file-schema detection of the job wizard reads at
// most DetectMaxBytes of a text file (the settings are B2B_DETECT_MAX_BYTES
// and B2B_DETECT_MAX_ROWS, see DetectOptions) and, for Parquet, only the
// footer and the first row group's pages it samples.
const (
	DefaultDetectMaxBytes = 8 << 20
	DefaultDetectMaxRows  = 1000
	// DetectPreviewRows is how many first data rows a detection shows.
	DetectPreviewRows = 10
)

// DetectOptions bound a detection (Options.Detect); zero fields take the
// defaults.
type DetectOptions struct {
	MaxBytes int64 // B2B_DETECT_MAX_BYTES
	MaxRows  int   // B2B_DETECT_MAX_ROWS
}

func (o DetectOptions) withDefaults() DetectOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultDetectMaxBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultDetectMaxRows
	}
	return o
}

// DetectRequest names a file of a bucket connection and how to read it.
// Empty fields are detected.
type DetectRequest struct {
	// Name is the object's key below the connection's prefix (as ListFiles
	// answers it in Key, without the prefix).
	Name string `json:"name"`
	// Format is csv, jsonl, json or parquet; "" takes it from the name.
	Format tabular.Format `json:"format,omitempty"`
	// Delimiter is one character (CSV); "" sniffs it.
	Delimiter string `json:"delimiter,omitempty"`
	// Header says whether the first CSV record names the columns; nil
	// detects it.
	Header *bool `json:"header,omitempty"`
	// Encoding is utf-8, latin-1 or windows-1252; "" detects it.
	Encoding string `json:"encoding,omitempty"`
	// NullValues are values read as NULL (nil: the default tokens).
	NullValues []string `json:"null_values,omitempty"`
	// SampleRows is how many data rows to read (default and most: the
	// B2B_DETECT_MAX_ROWS setting).
	SampleRows int `json:"sample_rows,omitempty"`
}

// Detection is what the wizard shows of a file: its columns with types,
// samples and confidence, how it reads, and its first rows.
type Detection struct {
	Name     string           `json:"name"`
	Size     int64            `json:"size"`
	Format   tabular.Format   `json:"format"`
	Inferred tabular.Inferred `json:"inferred"`
	// Rows are the first data rows as text (CSV and JSONL; Parquet and
	// JSON arrays show the columns' samples only), one value per column
	// of Inferred.Columns, nil for NULL or missing.
	Rows [][]*string `json:"rows"`
	// Truncated says the sample stopped at the byte limit before the
	// requested rows.
	Truncated bool `json:"truncated"`
}

// DetectFile reads a bounded sample of a file of a bucket connection and
// infers its schema: never the whole file (text formats up to the byte
// and row limits; Parquet from its footer through range reads).
func (s *Service) DetectFile(ctx context.Context, tenant, id string, req DetectRequest) (Detection, error) {
	if err := checkObjectName(req.Name); err != nil {
		return Detection{}, err
	}
	if _, _, err := s.detectPlan(req); err != nil {
		return Detection{}, err
	}
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return Detection{}, err
	}
	if !c.Type.IsStorage() {
		return Detection{}, errs.Userf(errs.Invalid, "connection %q is a %s connection: it has no files", c.Name, c.Type.Display())
	}
	sec, err := s.secret(ctx, c)
	if err != nil {
		return Detection{}, err
	}
	b, err := s.openBucket(ctx, tenant, c.Fields, sec)
	if err != nil {
		return Detection{}, s.failure(ctx, c, err, sec)
	}
	defer b.Close()
	d, err := s.DetectIn(ctx, b, c.Prefix+req.Name, req)
	if err != nil && errs.KindOf(err) != errs.Invalid {
		return Detection{}, s.failure(ctx, c, err, sec)
	}
	return d, err
}

// DetectIn is DetectFile on an open bucket: it infers the schema of the
// object key from a bounded sample, req.Name naming it in the answer and
// in messages. The job wizard's destination grid reads a drop-folder file
// through it too.
func (s *Service) DetectIn(ctx context.Context, b *blob.Bucket, key string, req DetectRequest) (Detection, error) {
	opts, f, err := s.detectPlan(req)
	if err != nil {
		return Detection{}, err
	}
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		return Detection{}, errs.Explain(storageErr(err, "read attributes"), "the file %q could not be read", req.Name)
	}
	d := Detection{Name: req.Name, Size: attrs.Size, Format: f, Rows: [][]*string{}}
	if f == tabular.Parquet {
		d.Inferred, err = tabular.InferParquet(&rangeReader{ctx: ctx, b: b, key: key}, attrs.Size)
	} else {
		d, err = s.detectText(ctx, b, key, d, opts)
	}
	if err != nil {
		return Detection{}, errs.At("connections.DetectIn", err)
	}
	return d, nil
}

// detectPlan checks a detection request: its reader options and format
// (from the name when not given).
func (s *Service) detectPlan(req DetectRequest) (tabular.Options, tabular.Format, error) {
	opts, err := s.detectOptions(req)
	if err != nil {
		return opts, "", err
	}
	f := req.Format
	if f == "" {
		if f, _, err = tabular.DetectFormat(req.Name); err != nil {
			return opts, "", errs.WrapField(errs.KindOf(err), err, "format", "%s", errs.UserMessage(err))
		}
	}
	return opts, f, nil
}

// detectOptions turns the request into tabular.Options, checking each
// field.
func (s *Service) detectOptions(req DetectRequest) (tabular.Options, error) {
	lim := s.opts.Detect.withDefaults()
	o := tabular.Options{HasHeader: req.Header, Encoding: req.Encoding, NullValues: req.NullValues, SampleRows: lim.MaxRows}
	switch req.Format {
	case "", tabular.CSV, tabular.JSONL, tabular.JSON, tabular.Parquet:
	default:
		return o, invalid("format", "must be csv, jsonl, json or parquet")
	}
	if req.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(req.Delimiter)
		if n != len(req.Delimiter) || r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError {
			return o, invalid("delimiter", "must be one character other than a quote or a line break")
		}
		o.Delimiter = r
	}
	switch strings.ToLower(req.Encoding) {
	case "", "auto", "utf-8", "utf8", "latin-1", "latin1", "iso-8859-1", "windows-1252", "cp1252":
	default:
		return o, invalid("encoding", "must be utf-8, latin-1 or windows-1252 (or empty to detect it)")
	}
	if req.SampleRows < 0 || req.SampleRows > lim.MaxRows {
		return o, invalid("sample_rows", "must be from 1 to %d (setting B2B_DETECT_MAX_ROWS)", lim.MaxRows)
	}
	if req.SampleRows > 0 {
		o.SampleRows = req.SampleRows
	}
	return o, nil
}

// detectText infers a text file from its first MaxBytes and reads its
// first rows.
func (s *Service) detectText(ctx context.Context, b *blob.Bucket, key string, d Detection, opts tabular.Options) (Detection, error) {
	maxBytes := s.opts.Detect.withDefaults().MaxBytes
	r, err := b.NewRangeReader(ctx, key, 0, maxBytes, nil)
	if err != nil {
		return d, storageErr(err, "read")
	}
	defer r.Close()
	head, err := io.ReadAll(r)
	if err != nil {
		return d, storageErr(err, "read")
	}
	d.Truncated = int64(len(head)) == maxBytes && d.Size > maxBytes
	gz := len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b
	if d.Truncated && !gz {
		// Whole lines only: a record cut by the byte limit is not a bad row.
		if i := bytes.LastIndexByte(head, '\n'); i > 0 {
			head = head[:i+1]
		}
	}
	d.Inferred, err = tabular.Infer(ctx, bytes.NewReader(head), d.Format, opts)
	if err != nil {
		if d.Truncated {
			return d, errs.Explain(err, "the first %d bytes of %q could not be read as %s: check the format options", maxBytes, d.Name, d.Format)
		}
		return d, err
	}
	d.Rows = firstRows(head, d.Inferred)
	return d, nil
}

// firstRows reads the first DetectPreviewRows data rows of a CSV or JSONL
// head as text, in the inferred columns' order.
func firstRows(head []byte, in tabular.Inferred) [][]*string {
	out := [][]*string{}
	zr, _, err := tabular.Decompress(bytes.NewReader(head))
	if err != nil {
		return out // the inference read it; rows are a courtesy
	}
	switch in.Format {
	case tabular.CSV:
		cr := csv.NewReader(zr)
		cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = in.Delimiter, -1, true, false
		if in.HasHeader {
			if _, err := cr.Read(); err != nil {
				return out
			}
		}
		for len(out) < DetectPreviewRows {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			row := make([]*string, len(in.Columns))
			for i := range row {
				if i < len(rec) && rec[i] != "" {
					v := strings.ToValidUTF8(rec[i], "\uFFFD")
					row[i] = &v
				}
			}
			out = append(out, row)
		}
	case tabular.JSONL:
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for len(out) < DetectPreviewRows && sc.Scan() {
			var obj map[string]json.RawMessage
			if json.Unmarshal(sc.Bytes(), &obj) != nil {
				continue
			}
			row := make([]*string, len(in.Columns))
			for i, c := range in.Columns {
				if raw, ok := obj[c.Original]; ok && string(raw) != "null" {
					v := string(raw)
					var str string
					if json.Unmarshal(raw, &str) == nil {
						v = str
					}
					row[i] = &v
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// checkObjectName refuses names that leave the connection's prefix.
func checkObjectName(name string) error {
	if name == "" {
		return invalid("name", "choose a file")
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || path.Clean(name) != name || strings.HasPrefix(name, "../") || name == ".." {
		return invalid("name", "must be a file below the connection's folder (no leading '/', no '..')")
	}
	return nil
}

// rangeReader reads a blob through range requests, so Parquet's footer
// and the pages sampled are all that is fetched.
type rangeReader struct {
	ctx context.Context
	b   *blob.Bucket
	key string
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	rr, err := r.b.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if err != nil {
		return 0, storageErr(err, "read range")
	}
	defer rr.Close()
	n, err := io.ReadFull(rr, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// DetectOptionsFromEnv reads B2B_DETECT_MAX_BYTES and B2B_DETECT_MAX_ROWS
// (positive whole numbers; unset keeps the defaults).
func DetectOptionsFromEnv(getenv func(string) string) (DetectOptions, error) {
	var o DetectOptions
	if v := strings.TrimSpace(getenv("B2B_DETECT_MAX_BYTES")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return DetectOptions{}, errs.Userf(errs.Invalid, "B2B_DETECT_MAX_BYTES=%q: want a whole number of bytes, at least 1024", v)
		}
		o.MaxBytes = n
	}
	if v := strings.TrimSpace(getenv("B2B_DETECT_MAX_ROWS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return DetectOptions{}, errs.Userf(errs.Invalid, "B2B_DETECT_MAX_ROWS=%q: want a whole number from 1 to 1000000", v)
		}
		o.MaxRows = n
	}
	return o, nil
}
