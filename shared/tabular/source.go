package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// kind says how a value was written: CSV text, or a JSON token.
type kind uint8

const (
	kText       kind = iota // CSV field: null tokens and type syntax apply
	kJSONNull               // JSON null or a missing key
	kJSONString             // JSON string (decoded)
	kJSONNumber             // JSON number literal
	kJSONBool               // true / false
	kJSONNested             // JSON object or array (raw text)
)

// row is one record from a source. Its slices, and for CSV the bytes of
// its fields, are reused by the next call: clone what must outlive it.
type row struct {
	line   int64    // 1-based physical line where the record starts
	fields []string // CSV: by position; JSON: by key index
	kinds  []kind   // JSON only
	bad    string   // non-empty: the record is malformed, for this reason
	raw    string   // the raw record, for malformed JSON rows
	rawB   []byte   // the raw JSON record, valid until the next call
	// invalidUTF8 is set by CSV sources when a field is not valid UTF-8.
	invalidUTF8 bool
}

// openText counts, decompresses, decodes and strips the BOM of r. Close
// the returned func when done: a compressed or re-encoded input is
// decoded in a goroutine, ahead of the parser.
func openText(r io.Reader, encoding string) (*bufio.Reader, *countingReader, func(), error) {
	cr := &countingReader{r: r}
	dr, comp, err := Decompress(cr)
	if err != nil {
		return nil, nil, nil, err
	}
	ahead := comp != NoCompression
	switch strings.ToLower(strings.ReplaceAll(encoding, "_", "-")) {
	case "", "utf-8", "utf8":
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1":
		dr, ahead = charmap.ISO8859_1.NewDecoder().Reader(dr), true
	case "windows-1252", "cp1252":
		dr, ahead = charmap.Windows1252.NewDecoder().Reader(dr), true
	default:
		return nil, nil, nil, errs.E(errs.Unsupported, "encoding %q is not supported (utf-8, latin-1/iso-8859-1, windows-1252)", encoding)
	}
	closer := func() {}
	if ahead {
		a := newAheadReader(dr, 256<<10, 4)
		dr, closer = a, a.Close
	}
	br, ok := dr.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(dr, 256<<10)
	}
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	return br, cr, closer, nil
}

// sniffDelimiter picks among ',', ';', '\t', '|' the one that appears the
// same non-zero number of times (outside quotes) on the most of the first
// lines; ties go in that order. Default ','.
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(64 << 10)
	cands := []byte{',', '\t', ';', '|'}
	const maxLines = 30
	counts := make([][]int, len(cands))
	inQuote := false
	cur := make([]int, len(cands))
	lines := 0
	for i := 0; i < len(head) && lines < maxLines; i++ {
		c := head[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			for k := range cands {
				counts[k] = append(counts[k], cur[k])
				cur[k] = 0
			}
			lines++
		case !inQuote:
			for k, d := range cands {
				if c == d {
					cur[k]++
				}
			}
		}
	}
	if lines == 0 { // one line without a newline
		for k := range cands {
			counts[k] = append(counts[k], cur[k])
		}
	}
	best, bestScore := ',', 0
	for k, d := range cands {
		// Score: the number of lines sharing the most common non-zero count.
		freq := map[int]int{}
		for _, n := range counts[k] {
			if n > 0 {
				freq[n]++
			}
		}
		score := 0
		for _, f := range freq {
			score = max(score, f)
		}
		if score > bestScore {
			best, bestScore = rune(d), score
		}
	}
	return best
}

// csvSource reads CSV records.
type csvSource struct {
	cr    *csvReader
	delim rune
}

func newCSVSource(br *bufio.Reader, delim rune, lazy bool) *csvSource {
	return &csvSource{cr: newCSVReader(br, delim, lazy), delim: delim}
}

// next returns the next record; io.EOF at the end; other errors are read
// errors. A malformed record comes back with bad set. The fields are
// valid until the next call.
func (s *csvSource) next(r *row) error {
	rec, line, err := s.cr.read()
	r.bad, r.raw, r.invalidUTF8 = "", "", false
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.line = int64(pe.StartLine)
			r.fields = r.fields[:0]
			r.bad = "malformed CSV: " + pe.Err.Error() + " (line " + strconv.Itoa(pe.Line) + ", column " + strconv.Itoa(pe.Column) + ")"
			return nil
		}
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return readErr(err)
	}
	r.line = int64(line)
	r.fields = rec
	r.invalidUTF8 = !s.cr.validUTF8()
	return nil
}

// joinCSV re-joins fields as CSV for reject records.
func joinCSV(fields []string, delim rune) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Comma = delim
	_ = w.Write(fields)
	w.Flush()
	return strings.TrimRight(b.String(), "\r\n")
}
