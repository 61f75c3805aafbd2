package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// csvReader reads CSV records exactly as encoding/csv.Reader does with
// FieldsPerRecord -1, no comment character, no trimming and ReuseRecord
// (the parsing is ported from the standard library), with the same
// *csv.ParseError values, but without allocating per record: the fields
// it returns point into a buffer that the next read overwrites. It also
// tells whether every field is valid UTF-8, so that callers need not
// check field by field.
type csvReader struct {
	r          *bufio.Reader
	comma      rune
	lazyQuotes bool
	// maxRecord bounds a line and a record (bytes, without the newline);
	// maxFields the fields of a record; a record longer than maxField
	// bytes is flagged (longField) so that callers check its fields.
	maxRecord int
	maxFields int
	maxField  int

	numLine   int
	rawBuffer []byte
	recBuf    []byte // the unescaped fields, back to back
	fieldEnds []int  // end of each field in recBuf
	fields    []string
	// line is the last record's line when it was split in place (no
	// quotes): its fields point into it rather than into recBuf.
	line []byte
	// longField: the last record is longer than maxField bytes, so one
	// of its fields may be.
	longField bool

	// first is the first physical line of the last record, its raw text
	// for a reject (valid until the next read); firstBuf holds a copy
	// once the record goes on to a next line.
	first    []byte
	firstBuf []byte
	// cont collects the next lines of a multi-line record as read, so
	// that when the record turns out to be malformed they are read again
	// (replay) as records of their own, rather than being swallowed into
	// the one rejected record. A record that starts on a replayed line
	// cannot go on past it (fromReplay), which bounds the work to one
	// more read of each swallowed line.
	cont       []byte
	replay     []byte
	replayOff  int
	fromReplay bool
	// pendingLong is a line too long to be read while reading the next
	// lines of a record, reported after the replay.
	pendingLong    int
	pendingLongRaw []byte
}

// errInvalidDelim is encoding/csv's error for an unusable delimiter.
var errInvalidDelim = errors.New("csv: invalid field or comment delimiter")

// Errors of a record past a limit, as the Err of a *csv.ParseError.
var (
	errLineTooLong   = errors.New("line too long")
	errRecordTooLong = errors.New("record too long")
	errTooManyFields = errors.New("too many fields")
)

func newCSVReader(r *bufio.Reader, comma rune, lazy bool, lim Limits) *csvReader {
	lim = lim.withDefaults()
	return &csvReader{r: r, comma: comma, lazyQuotes: lazy,
		maxRecord: int(min(lim.MaxRecordBytes, math.MaxInt32)), maxFields: lim.MaxColumns, maxField: int(min(lim.MaxFieldBytes, math.MaxInt32))}
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// readLine is encoding/csv's readLine: one line including its \n, with
// \r\n normalised to \n and a \r before EOF dropped. Lines to replay
// come first. A line longer than maxRecord is skipped without being
// held: it comes back as its first maxRawLen bytes with errLineTooLong.
func (r *csvReader) readLine() ([]byte, error) {
	if r.replayOff < len(r.replay) {
		rest := r.replay[r.replayOff:]
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		r.replayOff += len(line)
		r.numLine++
		r.fromReplay = true
		return line, nil
	}
	r.fromReplay = false
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.rawBuffer = append(r.rawBuffer[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.r.ReadSlice('\n')
			if len(r.rawBuffer)+len(line) > r.maxRecord+2 {
				// Too long: skip the rest of the line.
				for err == bufio.ErrBufferFull {
					_, err = r.r.ReadSlice('\n')
				}
				r.numLine++
				if err != nil && err != io.EOF {
					return nil, err
				}
				return r.rawBuffer[:min(len(r.rawBuffer), maxRawLen)], errLineTooLong
			}
			r.rawBuffer = appendDoubling(r.rawBuffer, line)
		}
		line = r.rawBuffer
	}
	readSize := len(line)
	if readSize > 0 && err == io.EOF {
		err = nil
		if line[readSize-1] == '\r' {
			line = line[:readSize-1]
		}
	}
	r.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	if len(line)-lengthNL(line) > r.maxRecord {
		return line[:min(len(line), maxRawLen)], errLineTooLong
	}
	return line, err
}

// appendDoubling is append that doubles the capacity when it grows, so
// that a long line costs twice its length in allocations, not the five
// times of append's gentler growth for large slices.
func appendDoubling(b, more []byte) []byte {
	if n := len(b) + len(more); n > cap(b) {
		nb := make([]byte, len(b), max(n, 2*cap(b)))
		copy(nb, b)
		b = nb
	}
	return append(b, more...)
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

func nextRune(b []byte) rune {
	if len(b) > 0 && b[0] < utf8.RuneSelf {
		return rune(b[0])
	}
	r, _ := utf8.DecodeRune(b)
	return r
}

// indexComma finds the delimiter in b.
func (r *csvReader) indexComma(b []byte) int {
	if r.comma < utf8.RuneSelf {
		return bytes.IndexByte(b, byte(r.comma))
	}
	return bytes.IndexRune(b, r.comma)
}

// read returns the next record and the line it starts on. The fields are
// valid until the next call. On a *csv.ParseError the record is
// discarded and the reader goes on at the next line, as encoding/csv
// does, with one difference: the next lines a malformed multi-line
// record swallowed are read again, as records of their own (a quote left
// open on line 2 must not take the rows of lines 3 to 900 down with it).
// RawLine then has the record's first line. The errors of a limit
// (errLineTooLong, errRecordTooLong, errTooManyFields) are ParseErrors
// too. io.EOF ends the input.
func (r *csvReader) read() (fields []string, line int, err error) {
	if !validDelim(r.comma) {
		return nil, 0, errInvalidDelim
	}
	if r.pendingLong > 0 && r.replayOff >= len(r.replay) {
		// A too-long line met in the next lines of a malformed record,
		// after the lines before it were read again.
		r.numLine, r.pendingLong = r.pendingLong, 0
		r.first = r.pendingLongRaw
		return nil, r.numLine, &csv.ParseError{StartLine: r.numLine, Line: r.numLine, Column: 1, Err: errLineTooLong}
	}
	// Read a line, skipping empty ones.
	var buf []byte
	var errRead error
	for errRead == nil {
		buf, errRead = r.readLine()
		if errRead == nil && len(buf) == lengthNL(buf) {
			buf = nil
			continue
		}
		break
	}
	if errRead == io.EOF {
		return nil, 0, errRead
	}
	recLine := r.numLine
	r.first = buf
	r.longField = false
	if errRead == errLineTooLong {
		return nil, recLine, &csv.ParseError{StartLine: recLine, Line: recLine, Column: 1, Err: errLineTooLong}
	}
	single := r.fromReplay
	if r.comma < utf8.RuneSelf && bytes.IndexByte(buf, '"') < 0 && errRead == nil {
		if !r.splitLine(buf) {
			return nil, recLine, &csv.ParseError{StartLine: recLine, Line: recLine, Column: 1, Err: errTooManyFields}
		}
		return r.fields, recLine, nil
	}
	r.line = nil
	r.cont = r.cont[:0]
	const quoteLen = len(`"`)
	commaLen := utf8.RuneLen(r.comma)
	r.recBuf = r.recBuf[:0]
	r.fieldEnds = r.fieldEnds[:0]
	lineNo, col := r.numLine, 1
	// A record of fewer bytes than maxFields cannot have more fields.
	checkFields := len(buf) >= r.maxFields
parseField:
	for {
		if checkFields && len(r.fieldEnds) >= r.maxFields {
			err = &csv.ParseError{StartLine: recLine, Line: r.numLine, Column: col, Err: errTooManyFields}
			break parseField
		}
		if len(buf) == 0 || buf[0] != '"' {
			// Non-quoted field.
			i := r.indexComma(buf)
			field := buf
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if !r.lazyQuotes {
				if j := bytes.IndexByte(field, '"'); j >= 0 {
					err = &csv.ParseError{StartLine: recLine, Line: r.numLine, Column: col + j, Err: csv.ErrBareQuote}
					break parseField
				}
			}
			r.recBuf = append(r.recBuf, field...)
			r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
			if i >= 0 {
				buf = buf[i+commaLen:]
				col += i + commaLen
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		buf = buf[quoteLen:]
		col += quoteLen
		for {
			i := bytes.IndexByte(buf, '"')
			if i >= 0 {
				r.recBuf = append(r.recBuf, buf[:i]...)
				buf = buf[i+quoteLen:]
				col += i + quoteLen
				switch rn := nextRune(buf); {
				case rn == '"':
					r.recBuf = append(r.recBuf, '"')
					buf = buf[quoteLen:]
					col += quoteLen
				case rn == r.comma:
					buf = buf[commaLen:]
					col += commaLen
					r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
					continue parseField
				case lengthNL(buf) == len(buf):
					r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
					break parseField
				case r.lazyQuotes:
					r.recBuf = append(r.recBuf, '"')
				default:
					err = &csv.ParseError{StartLine: recLine, Line: r.numLine, Column: col - quoteLen, Err: csv.ErrQuote}
					break parseField
				}
			} else if len(buf) > 0 {
				// End of line inside quotes: the field goes on.
				r.recBuf = append(r.recBuf, buf...)
				if errRead != nil {
					break parseField
				}
				col += len(buf)
				if single {
					// A line read again cannot go on: its end is the
					// end of the input.
					buf, errRead = nil, io.EOF
				} else {
					if len(r.cont) == 0 {
						// The next read may overwrite the first line.
						r.firstBuf = append(r.firstBuf[:0], r.first...)
						r.first = r.firstBuf
					}
					buf, errRead = r.readLine()
					if errRead == errLineTooLong {
						r.pendingLong = r.numLine
						r.pendingLongRaw = append(r.pendingLongRaw[:0], buf...)
						err = &csv.ParseError{StartLine: recLine, Line: r.numLine, Column: 1, Err: errRecordTooLong}
						break parseField
					}
					r.cont = append(r.cont, buf...)
					checkFields = checkFields || len(r.first)+len(r.cont) >= r.maxFields
					if len(r.first)+len(r.cont) > r.maxRecord {
						err = &csv.ParseError{StartLine: recLine, Line: r.numLine, Column: 1, Err: errRecordTooLong}
						break parseField
					}
				}
				if len(buf) > 0 {
					lineNo++
					col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			} else {
				// Abrupt end of file.
				if !r.lazyQuotes && errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: lineNo, Column: col, Err: csv.ErrQuote}
					break parseField
				}
				r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && len(r.cont) > 0 {
			// Read the swallowed lines again, from the line after the
			// record's first.
			r.replay, r.cont = r.cont, r.replay[:0]
			r.replayOff = 0
			r.numLine = recLine
		}
		return nil, recLine, err
	}
	// One string over the buffer, sliced per field: no allocation. The
	// buffer is not written again before the next call.
	var str string
	if len(r.recBuf) > 0 {
		str = unsafe.String(&r.recBuf[0], len(r.recBuf))
	}
	if cap(r.fields) < len(r.fieldEnds) {
		r.fields = make([]string, len(r.fieldEnds))
	}
	r.fields = r.fields[:len(r.fieldEnds)]
	pre := 0
	for i, end := range r.fieldEnds {
		r.fields[i] = str[pre:end]
		pre = end
	}
	r.longField = len(r.recBuf) > r.maxField
	return r.fields, recLine, nil
}

// rawLine returns the first line of the last record, without its
// newline and cut to maxRawLen bytes: the raw text of a malformed record.
func (r *csvReader) rawLine() string {
	b := r.first
	b = b[:len(b)-lengthNL(b)]
	if len(b) > maxRawLen {
		b = b[:maxRawLen]
	}
	return string(b)
}

// splitLine is read for a line without quotes and an ASCII delimiter: its
// fields are the pieces between delimiters, pointing into the line. It
// returns false when the line has more than maxFields fields.
func (r *csvReader) splitLine(buf []byte) bool {
	buf = buf[:len(buf)-lengthNL(buf)]
	r.line = buf
	r.longField = len(buf) > r.maxField
	var str string
	if len(buf) > 0 {
		str = unsafe.String(&buf[0], len(buf))
	}
	r.fields = r.fields[:0]
	c := byte(r.comma)
	if len(buf) >= r.maxFields {
		// Long enough to have too many fields: count them first.
		if strings.Count(str, string(c)) >= r.maxFields {
			return false
		}
	}
	for {
		i := strings.IndexByte(str, c)
		if i < 0 {
			break
		}
		r.fields = append(r.fields, str[:i])
		str = str[i+1:]
	}
	r.fields = append(r.fields, str)
	return true
}

// span returns what the last record's fields were cut from, in order,
// and the bytes between two of them: the line split in place (the
// delimiter, one byte) or the unquoted fields back to back (none).
func (r *csvReader) span() ([]byte, int) {
	if r.line != nil {
		return r.line, 1
	}
	return r.recBuf, 0
}

// fieldOver returns the index of the first field of the last record
// longer than maxField bytes, or -1.
func (r *csvReader) fieldOver() int {
	if !r.longField {
		return -1
	}
	for i, f := range r.fields {
		if len(f) > r.maxField {
			return i
		}
	}
	return -1
}

// validUTF8 reports whether every field of the last record is valid
// UTF-8: the fields back to back are, and no field boundary splits a
// character.
func (r *csvReader) validUTF8() bool {
	if r.line != nil {
		// The line split at an ASCII delimiter: it is valid exactly when
		// every field is.
		return utf8.Valid(r.line)
	}
	if !utf8.Valid(r.recBuf) {
		return false
	}
	for _, end := range r.fieldEnds {
		if end < len(r.recBuf) && !utf8.RuneStart(r.recBuf[end]) {
			return false
		}
	}
	return true
}
