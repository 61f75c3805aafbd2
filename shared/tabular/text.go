package tabular

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/text/encoding/charmap"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Encodings a text input is read in (what Stats.Encoding and
// Inferred.DetectedEncoding report).
const (
	EncodingUTF8        = "utf-8"
	EncodingLatin1      = "iso-8859-1"
	EncodingWindows1252 = "windows-1252"
)

// textInput is a text input opened for parsing: decompressed, checked to
// be text, decoded to UTF-8, without its BOM.
type textInput struct {
	br *bufio.Reader
	// cr counts the bytes read from the source (compressed bytes for a
	// gzip input).
	cr *countingReader
	// close stops the read-ahead goroutine, if any.
	close func()
	// auto detects the encoding (Options.Encoding ""); nil when the
	// encoding was given.
	auto     *autoDecoder
	encoding string
}

// Encoding is the encoding the input is read in: the one given, or the
// one detected so far.
func (t *textInput) Encoding() string {
	if t.auto != nil {
		return t.auto.encoding()
	}
	return t.encoding
}

// openText counts, decompresses (within the limits), checks that the
// content is text, decodes and strips the BOM of r. Call close when done:
// a compressed or re-encoded input is decoded in a goroutine, ahead of
// the parser.
//
// Encoding "" detects it: the input is read as UTF-8 until its first
// non-ASCII character; when that is not valid UTF-8, the input is
// windows-1252 (a superset of latin-1's printable characters) from there
// on. Everything before it was ASCII, which both encodings read alike, so
// the decision needs no second pass and Infer and Convert make the same
// one at the same byte.
func openText(r io.Reader, f Format, encoding string, lim Limits) (*textInput, error) {
	lim = lim.withDefaults()
	cr := &countingReader{r: r}
	zr, comp, err := decompress(cr, cr.n.Load, lim)
	if err != nil {
		return nil, err
	}
	if err := sniffText(zr, f); err != nil {
		return nil, err
	}
	t := &textInput{cr: cr, close: func() {}}
	var dr io.Reader = zr
	ahead := comp != NoCompression
	switch normEncoding(encoding) {
	case "":
		t.auto = &autoDecoder{r: zr}
		dr = t.auto
	case EncodingUTF8:
		t.encoding = EncodingUTF8
	case EncodingLatin1:
		t.encoding = EncodingLatin1
		dr, ahead = charmap.ISO8859_1.NewDecoder().Reader(dr), true
	case EncodingWindows1252:
		t.encoding = EncodingWindows1252
		dr, ahead = charmap.Windows1252.NewDecoder().Reader(dr), true
	default:
		return nil, errs.Userf(errs.Unsupported, "encoding %q is not supported: use utf-8, latin-1 (iso-8859-1) or windows-1252, or leave it empty to detect it", encoding)
	}
	if ahead {
		a := newAheadReader(dr, 256<<10, 4)
		dr, t.close = a, a.Close
	}
	br, ok := dr.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(dr, 256<<10)
	}
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	t.br = br
	return t, nil
}

// normEncoding returns the canonical name of an encoding, "" for "detect
// it", or the input itself when it is unknown.
func normEncoding(enc string) string {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(enc), "_", "-")) {
	case "", "auto":
		return ""
	case "utf-8", "utf8":
		return EncodingUTF8
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1":
		return EncodingLatin1
	case "windows-1252", "cp1252":
		return EncodingWindows1252
	}
	return enc
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// Decompress returns a reader of the decompressed content of r, sniffing the
// gzip magic bytes (whatever the object's name says), and the compression it
// found. Concatenated gzip members are read as one stream. The default
// Limits bound the decompressed size.
func Decompress(r io.Reader) (io.Reader, Compression, error) {
	cr := &countingReader{r: r}
	return decompress(cr, cr.n.Load, DefaultLimits())
}

// decompress is Decompress within lim; compressed counts the bytes read
// from the source so far (for the compression ratio).
func decompress(r io.Reader, compressed func() int64, lim Limits) (*bufio.Reader, Compression, error) {
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
		return bufio.NewReaderSize(&inflateLimit{r: zr, in: compressed, lim: lim}, 256<<10), Gzip, nil
	}
	return br, NoCompression, nil
}

// inflateLimit fails a decompressed stream that grows beyond
// MaxDecompressedBytes, or beyond MaxCompressionRatio times its compressed
// size once it is past ratioGrace: the stream is read as it is parsed and
// never held, so this bounds time, not memory.
type inflateLimit struct {
	r   io.Reader
	in  func() int64
	out int64
	lim Limits
	err error
}

func (g *inflateLimit) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.out += int64(n)
	switch {
	case g.out > g.lim.MaxDecompressedBytes:
		g.err = g.lim.decompressedTooLarge()
	case g.out > ratioGrace:
		if in := g.in(); g.out/max(in, 1) > g.lim.MaxCompressionRatio {
			g.err = g.lim.ratioTooHigh(g.out, in)
		}
	}
	if g.err != nil {
		return 0, g.err
	}
	return n, err
}

// sniffText fails an input whose first bytes show that it is not text
// (after decompression): a Parquet file, a ZIP archive (an Excel
// workbook), UTF-16 text, or bytes with NUL characters, which no text
// format here has.
func sniffText(br *bufio.Reader, f Format) error {
	head, _ := br.Peek(8 << 10)
	what := formatText(f)
	switch {
	case len(head) == 0:
		return nil
	case bytes.HasPrefix(head, []byte("PAR1")):
		return errs.Userf(errs.Invalid, "this looks like a Parquet file, not %s: give it the .parquet extension (or set the job's format to parquet)", what)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return errs.Userf(errs.Invalid, "this looks like a ZIP archive or an Excel workbook, not %s: export the sheet as CSV (UTF-8) first", what)
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}), looksUTF16(head):
		return errs.Userf(errs.Invalid, "the file is UTF-16 encoded text, which is not read here: save it as UTF-8 (in Excel: \"CSV UTF-8\")")
	case bytes.IndexByte(head, 0) >= 0:
		return errs.Userf(errs.Invalid, "this looks like a binary file, not %s (it contains NUL bytes)", what)
	}
	return nil
}

// looksUTF16 reports whether head is UTF-16 text without a BOM: mostly
// ASCII characters, each with a NUL byte beside it on the same side.
func looksUTF16(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	var even, odd int
	for i, c := range head {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(head) / 2
	return max(even, odd)*10 > half*9 && min(even, odd)*10 < half
}

func formatText(f Format) string {
	switch f {
	case JSONL:
		return "JSON Lines text"
	case JSON:
		return "JSON text"
	}
	return "CSV text"
}

// Encoding states of autoDecoder.
const (
	encUndecided uint32 = iota
	encUTF8
	encWindows1252
)

// autoDecoder passes its input through until the first non-ASCII
// character, which decides the encoding: valid UTF-8 keeps it as is,
// anything else makes the rest windows-1252, decoded to UTF-8.
type autoDecoder struct {
	r io.Reader
	// state is read by Encoding from the converting goroutine while
	// the input is decoded in another.
	state atomic.Uint32
	// held is the start of a non-ASCII character cut by the end of a read
	// (or, once decided for UTF-8, bytes not yet returned).
	held []byte
	err  error // the source's error, once seen
	dec  io.Reader
}

func (a *autoDecoder) encoding() string {
	if a.state.Load() == encWindows1252 {
		return EncodingWindows1252
	}
	return EncodingUTF8
}

func (a *autoDecoder) Read(p []byte) (int, error) {
	for {
		switch a.state.Load() {
		case encUTF8:
			if len(a.held) > 0 {
				n := copy(p, a.held)
				a.held = a.held[n:]
				return n, nil
			}
			if a.err != nil {
				return 0, a.err
			}
			return a.r.Read(p)
		case encWindows1252:
			return a.dec.Read(p)
		}
		if len(p) == 0 {
			return 0, nil
		}
		if len(a.held) > 0 {
			if a.err == nil && !utf8.FullRune(a.held) {
				var more [utf8.UTFMax]byte
				m, err := a.r.Read(more[:utf8.UTFMax-len(a.held)])
				a.held, a.err = append(a.held, more[:m]...), err
				continue
			}
			a.decide(append([]byte(nil), a.held...))
			continue
		}
		if a.err != nil {
			return 0, a.err
		}
		n, err := a.r.Read(p)
		i := firstNonASCII(p[:n])
		if i < 0 {
			a.err = err
			return n, err
		}
		a.err = err
		if !utf8.FullRune(p[i:n]) && err == nil {
			a.held = append(a.held[:0], p[i:n]...)
		} else {
			a.decide(append([]byte(nil), p[i:n]...))
		}
		if i > 0 {
			return i, nil
		}
	}
}

// decide sets the encoding from rest, the input from its first non-ASCII
// byte on (up to the end of what was read).
func (a *autoDecoder) decide(rest []byte) {
	if _, size := utf8.DecodeRune(rest); size > 1 {
		a.state.Store(encUTF8)
		a.held = rest
		return
	}
	var tail io.Reader = a.r
	if a.err != nil {
		tail = errReader{a.err}
	}
	a.held = nil
	a.dec = charmap.Windows1252.NewDecoder().Reader(io.MultiReader(bytes.NewReader(rest), tail))
	a.state.Store(encWindows1252)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// firstNonASCII returns the index of the first byte >= 0x80 in b, or -1.
// It reads 32 bytes per step through unaligned 64-bit loads (every file
// that is all ASCII is scanned whole, so this runs at memory speed).
func firstNonASCII(b []byte) int {
	const hi = 0x8080808080808080
	n, i := len(b), 0
	if n >= 32 {
		p := unsafe.Pointer(unsafe.SliceData(b))
		for ; i+32 <= n; i += 32 {
			q := unsafe.Add(p, i)
			w := *(*uint64)(q) | *(*uint64)(unsafe.Add(q, 8)) | *(*uint64)(unsafe.Add(q, 16)) | *(*uint64)(unsafe.Add(q, 24))
			if w&hi != 0 {
				break
			}
		}
	}
	for ; i < n; i++ {
		if b[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}
