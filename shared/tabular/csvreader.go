package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
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

	numLine   int
	rawBuffer []byte
	recBuf    []byte // the unescaped fields, back to back
	fieldEnds []int  // end of each field in recBuf
	fields    []string
	// line is the last record's line when it was split in place (no
	// quotes): its fields point into it rather than into recBuf.
	line []byte
}

// errInvalidDelim is encoding/csv's error for an unusable delimiter.
var errInvalidDelim = errors.New("csv: invalid field or comment delimiter")

func newCSVReader(r *bufio.Reader, comma rune, lazy bool) *csvReader {
	return &csvReader{r: r, comma: comma, lazyQuotes: lazy}
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// readLine is encoding/csv's readLine: one line including its \n, with
// \r\n normalised to \n and a \r before EOF dropped.
func (r *csvReader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.rawBuffer = append(r.rawBuffer[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.r.ReadSlice('\n')
			r.rawBuffer = append(r.rawBuffer, line...)
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
	return line, err
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
// discarded (as encoding/csv does, the reader goes on at the next line);
// io.EOF ends the input.
func (r *csvReader) read() (fields []string, line int, err error) {
	if !validDelim(r.comma) {
		return nil, 0, errInvalidDelim
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
	if r.comma < utf8.RuneSelf && bytes.IndexByte(buf, '"') < 0 && errRead == nil {
		return r.splitLine(buf), recLine, nil
	}
	r.line = nil
	const quoteLen = len(`"`)
	commaLen := utf8.RuneLen(r.comma)
	r.recBuf = r.recBuf[:0]
	r.fieldEnds = r.fieldEnds[:0]
	lineNo, col := r.numLine, 1
parseField:
	for {
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
				buf, errRead = r.readLine()
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
	return r.fields, recLine, nil
}

// splitLine is read for a line without quotes and an ASCII delimiter: its
// fields are the pieces between delimiters, pointing into the line.
func (r *csvReader) splitLine(buf []byte) []string {
	buf = buf[:len(buf)-lengthNL(buf)]
	r.line = buf
	var str string
	if len(buf) > 0 {
		str = unsafe.String(&buf[0], len(buf))
	}
	r.fields = r.fields[:0]
	c := byte(r.comma)
	for {
		i := strings.IndexByte(str, c)
		if i < 0 {
			break
		}
		r.fields = append(r.fields, str[:i])
		str = str[i+1:]
	}
	r.fields = append(r.fields, str)
	return r.fields
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
