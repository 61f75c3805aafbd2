package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
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
	// badColumn names the column (sanitised JSON key) a JSON record is
	// bad for, when one value is the problem.
	badColumn string
	raw       string // the raw record (a CSV record's first line) of a malformed row
	rawB      []byte // the raw JSON record, valid until the next call
	// invalidUTF8 is set by CSV sources when a field is not valid UTF-8.
	invalidUTF8 bool
	// longField is the index of a field longer than Limits.MaxFieldBytes
	// (CSV), or -1.
	longField int
	// tooManyFields: the record is bad because it has more fields than
	// Limits.MaxColumns.
	tooManyFields bool
	// span is what a CSV record's fields were cut from, in order: the
	// line (fields sep bytes apart) or the unquoted fields back to back
	// (sep 0); valid until the next call.
	span []byte
	sep  int
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
	lim   Limits
}

func newCSVSource(br *bufio.Reader, delim rune, lazy bool, lim Limits) *csvSource {
	lim = lim.withDefaults()
	return &csvSource{cr: newCSVReader(br, delim, lazy, lim), delim: delim, lim: lim}
}

// next returns the next record; io.EOF at the end; other errors are read
// errors. A malformed record comes back with bad set and its first line
// as raw. The fields are valid until the next call.
func (s *csvSource) next(r *row) error {
	rec, line, err := s.cr.read()
	r.bad, r.raw, r.invalidUTF8, r.longField, r.tooManyFields = "", "", false, -1, false
	r.span, r.sep = nil, 0
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.line = int64(pe.StartLine)
			r.fields = r.fields[:0]
			r.bad = s.reason(pe)
			r.raw = s.cr.rawLine()
			r.tooManyFields = errors.Is(pe.Err, errTooManyFields)
			return nil
		}
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return readErr(err)
	}
	r.line = int64(line)
	r.fields = rec
	r.span, r.sep = s.cr.span()
	r.invalidUTF8 = !s.cr.validUTF8()
	r.longField = s.cr.fieldOver()
	return nil
}

// reason tells in a user's words why a record could not be read.
func (s *csvSource) reason(pe *csv.ParseError) string {
	at := fmt.Sprintf(" (line %d, character %d)", pe.Line, pe.Column)
	again := ""
	if pe.Line > pe.StartLine {
		again = fmt.Sprintf("; the lines after line %d were read again as rows of their own", pe.StartLine)
	}
	switch {
	case errors.Is(pe.Err, errLineTooLong):
		return s.lim.lineTooLong()
	case errors.Is(pe.Err, errRecordTooLong):
		return s.lim.recordTooLong(pe.StartLine, pe.Line)
	case errors.Is(pe.Err, errTooManyFields):
		return s.lim.tooManyFields()
	case errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine:
		return fmt.Sprintf("malformed CSV: the quoted value opened on line %d is not closed properly%s%s", pe.StartLine, at, again)
	case errors.Is(pe.Err, csv.ErrQuote):
		return "malformed CSV: a quoted value must end with a quote followed by the delimiter or the end of the line, and a quote inside it must be doubled (\"\")" + at
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "malformed CSV: a value that is not quoted contains a quote; quote the whole value and double the quote inside it (\"\")" + at + again
	}
	return "malformed CSV: " + pe.Err.Error() + at + again
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
