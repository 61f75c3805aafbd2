package tabular

import (
	"bufio"
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
	return []string{".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}
}

// DetectFormat tells the format and compression of an object from its name
// (case-insensitive): .csv, .tsv, .tab, .txt → CSV (the delimiter is sniffed
// from the content), .jsonl, .ndjson → JSONL, .json → JSON, .parquet, .pq →
// Parquet, each optionally followed by .gz or .gzip. Other names, including
// names without an extension, are errs.Unsupported.
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
	case ".csv", ".tsv", ".tab", ".txt":
		f = CSV
	case ".jsonl", ".ndjson":
		f = JSONL
	case ".json":
		f = JSON
	case ".parquet", ".pq":
		f = Parquet
		if comp == Gzip {
			return "", "", errs.E(errs.Unsupported, "object %q: gzip-compressed Parquet is not supported (Parquet compresses its own pages)", objectName)
		}
	default:
		shown := ext
		if shown == "" {
			shown = "(none)"
		}
		return "", "", errs.E(errs.Unsupported, "object %q: unsupported file extension %s (supported: %s, optionally followed by .gz)",
			objectName, shown, strings.Join(SupportedExtensions(), ", "))
	}
	return f, comp, nil
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// Decompress returns a reader of the decompressed content of r, sniffing the
// gzip magic bytes (whatever the object's name says), and the compression it
// found. Concatenated gzip members are read as one stream.
func Decompress(r io.Reader) (io.Reader, Compression, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", readErr(err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", readErr(err)
		}
		return bufio.NewReaderSize(zr, 256<<10), Gzip, nil
	}
	return br, NoCompression, nil
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
		return errs.Wrap(errs.Invalid, err, "read input: corrupt or truncated data")
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
