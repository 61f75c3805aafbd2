package tabular

import (
	"errors"
	"io"
	"path"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Format is a file format the package reads.
type Format string

// Formats.
const (
	CSV     Format = "csv"     // delimited text: comma, semicolon, tab or pipe
	JSONL   Format = "jsonl"   // one JSON object per line
	JSON    Format = "json"    // a JSON array of objects, or concatenated objects
	Parquet Format = "parquet" // Apache Parquet
)

// Compression is the compression of a file, around its format.
type Compression string

// Compressions.
const (
	NoCompression Compression = ""
	Gzip          Compression = "gzip"
)

// SupportedExtensions returns the extensions DetectFormat accepts (each but
// .parquet and .pq may carry a further .gz).
func SupportedExtensions() []string {
	return []string{".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}
}

// DetectFormat tells the format and compression of an object from its name
// (case-insensitive): .csv, .tsv, .tab → CSV (the delimiter is sniffed from
// the content), .jsonl, .ndjson → JSONL, .json → JSON, .parquet, .pq →
// Parquet, each but Parquet optionally followed by .gz or .gzip. Other
// names, including names without an extension and .txt (free text far more
// often than a table: a job that reads .txt files as CSV says so with its
// format), are errs.Unsupported, with a message naming the extension and
// the supported ones.
func DetectFormat(objectName string) (Format, Compression, error) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(objectName, "\\", "/")))
	comp := NoCompression
	for _, z := range []string{".gz", ".gzip"} {
		if strings.HasSuffix(base, z) && len(base) > len(z) {
			comp = Gzip
			base = strings.TrimSuffix(base, z)
			break
		}
	}
	ext := path.Ext(base)
	var f Format
	switch ext {
	case ".csv", ".tsv", ".tab":
		f = CSV
	case ".jsonl", ".ndjson":
		f = JSONL
	case ".json":
		f = JSON
	case ".parquet", ".pq":
		f = Parquet
		if comp == Gzip {
			return "", "", errs.Userf(errs.Unsupported, "gzip-compressed Parquet is not supported: upload the .parquet file as it is (Parquet compresses its own pages)")
		}
	default:
		shown := ext
		if shown == "" {
			shown = "(none: the name has no extension)"
		}
		return "", "", errs.Userf(errs.Unsupported, "unsupported file type %s: supported are %s (each but Parquet optionally followed by .gz)",
			shown, strings.Join(SupportedExtensions(), ", "))
	}
	return f, comp, nil
}

// readErr gives a read error a kind: corrupt compressed data is Invalid,
// an error that has a kind keeps it, anything else (a network read) is
// Transient.
func readErr(err error) error {
	if err == nil {
		return nil
	}
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Explain(errs.Wrap(errs.Invalid, err, "read input: corrupt or truncated data"), "the file is damaged or cut short: its compressed data cannot be read")
	case errs.KindOf(err) != errs.Unknown:
		return err
	default:
		return errs.Wrap(errs.Transient, err, "read input")
	}
}

// countingReader counts the bytes read through it (possibly from the
// read-ahead goroutine, hence atomic).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
