package tabular

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// jsonKeys maps JSON keys to column indexes. With grow set (inference) new
// keys are added in first-seen order; otherwise unknown keys are recorded
// in ignored.
type jsonKeys struct {
	index   map[string]int // key → column; -1: ignored
	names   []string
	grow    bool
	bySan   map[string]int // sanitised name → column, for fixed keys
	ignored []string
	// max bounds the keys remembered (Limits.MaxColumns): growing past
	// it sets overflow; ignored keys past it are looked up every time.
	max      int
	overflow bool
}

func (k *jsonKeys) lookup(key string) (int, bool) {
	if i, ok := k.index[key]; ok {
		return i, i >= 0
	}
	if !k.grow {
		i, ok := k.bySan[SanitizeName(key)]
		if !ok {
			i = -1
			if len(k.ignored) >= k.max {
				return -1, false // a file of endless distinct keys: remember no more
			}
			k.ignored = append(k.ignored, key)
		}
		k.index[key] = i
		return i, ok
	}
	if len(k.names) >= k.max {
		k.overflow = true
		return -1, false
	}
	i := len(k.names)
	k.index[key] = i
	k.names = append(k.names, key)
	return i, true
}

// jsonSource reads JSON objects: line by line (JSONL, where a bad line is
// a rejected row), or as the elements of a top-level array or a stream of
// concatenated values (JSON, where a syntax error ends the read).
type jsonSource struct {
	keys *jsonKeys
	lim  Limits
	// line mode
	br   *bufio.Reader
	line int64
	buf  []byte
	// stream mode
	dec     *json.Decoder
	lt      *lineTracker
	inArray bool
	done    bool
}

// newJSONSource sniffs the layout: for Format JSON whose first value is an
// array, or an object spanning several lines, stream mode; else line mode.
func newJSONSource(br *bufio.Reader, f Format, keys *jsonKeys, lim Limits) (*jsonSource, error) {
	lim = lim.withDefaults()
	if keys.max <= 0 {
		keys.max = lim.MaxColumns
	}
	s := &jsonSource{keys: keys, lim: lim}
	if f == JSON {
		head, _ := br.Peek(64 << 10)
		t := bytes.TrimLeft(head, " \t\r\n")
		stream := false
		if len(t) > 0 && t[0] == '[' {
			stream = true
		} else if len(t) > 0 && t[0] == '{' {
			nl := bytes.IndexByte(t, '\n')
			first := t
			if nl >= 0 {
				first = t[:nl]
			}
			stream = !json.Valid(bytes.TrimSpace(first))
		}
		if stream {
			s.lt = &lineTracker{r: br, line: 1, max: 4*int(min(lim.MaxRecordBytes, math.MaxInt32/8)) + 1<<20, lim: lim}
			s.dec = json.NewDecoder(s.lt)
			if len(t) > 0 && t[0] == '[' {
				if _, err := s.dec.Token(); err != nil {
					return nil, invalidJSON(err, 1)
				}
				s.inArray = true
			}
			return s, nil
		}
	}
	s.br = br
	return s, nil
}

func invalidJSON(err error, line int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errs.Explain(errs.Wrap(errs.Invalid, err, "read JSON"), "the file is not valid JSON near line %d (%s); the rest of the file cannot be read", line, jsonProblem(err))
	}
	return readErr(err)
}

// jsonProblem tells what is wrong with JSON in a user's words.
func jsonProblem(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends in the middle of a value"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (s *jsonSource) next(r *row) error {
	if s.dec != nil {
		return s.nextStream(r)
	}
	for {
		data, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			s.line++
			r.line = s.line
			r.fields, r.kinds, r.rawB = r.fields[:0], r.kinds[:0], data
			r.bad, r.raw, r.badColumn = s.lim.lineTooLong(), string(data), ""
			return nil
		}
		if len(data) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return readErr(err)
		}
		s.line++
		t := bytes.TrimSpace(data)
		if len(t) == 0 {
			continue // blank lines are not rows
		}
		r.line = s.line
		s.parseObject(t, r)
		return nil
	}
}

// readLine returns the next line without its newline; the slice is valid
// until the next call. A line longer than Limits.MaxRecordBytes is
// skipped without being held: its first maxRawLen bytes come back with
// errLineTooLong.
func (s *jsonSource) readLine() ([]byte, error) {
	b, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.buf = append(s.buf[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = s.br.ReadSlice('\n')
			if int64(len(s.buf)+len(b)) > s.lim.MaxRecordBytes+2 {
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = s.br.ReadSlice('\n')
				}
				if err != nil && !errors.Is(err, io.EOF) {
					return nil, err
				}
				return s.buf[:min(len(s.buf), maxRawLen)], errLineTooLong
			}
			s.buf = appendDoubling(s.buf, b)
		}
		b = s.buf
	}
	if int64(len(b)) > s.lim.MaxRecordBytes+2 {
		return b[:min(len(b), maxRawLen)], errLineTooLong
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
		err = nil
	}
	return b, err
}

func (s *jsonSource) nextStream(r *row) error {
	if s.done || !s.dec.More() {
		if s.inArray && !s.done {
			if _, err := s.dec.Token(); err != nil { // the closing ']'
				return invalidJSON(err, s.lt.lineAt(s.dec.InputOffset()))
			}
		}
		s.done = true
		return io.EOF
	}
	start := s.lt.startLine(s.dec.InputOffset())
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return invalidJSON(err, start)
	}
	r.line = start
	if int64(len(raw)) > s.lim.MaxRecordBytes {
		r.fields, r.kinds, r.rawB = r.fields[:0], r.kinds[:0], raw[:min(len(raw), maxRawLen)]
		r.bad, r.raw, r.badColumn = s.lim.elementTooLongRow(), string(r.rawB), ""
		return nil
	}
	s.parseObject(raw, r)
	return nil
}

// parseObject fills r with the members of a JSON object, by key index.
func (s *jsonSource) parseObject(data []byte, r *row) {
	r.bad, r.raw, r.badColumn = "", "", ""
	r.fields = r.fields[:0]
	r.kinds = r.kinds[:0]
	r.rawB = data
	if !json.Valid(data) {
		r.bad = "invalid JSON"
		r.raw = string(data)
		return
	}
	if data[0] != '{' {
		r.bad = "not a JSON object"
		r.raw = string(data)
		return
	}
	// The data is valid JSON, so a simple scanner suffices.
	i := 1
	for {
		i = skipWS(data, i)
		if data[i] == '}' {
			return
		}
		if data[i] == ',' {
			i = skipWS(data, i+1)
		}
		kEnd := endOfString(data, i)
		key := decodeString(data[i:kEnd])
		i = skipWS(data, kEnd)
		i = skipWS(data, i+1) // ':'
		vEnd, depth := endOfValue(data, i)
		val := data[i:vEnd]
		var k kind
		var text string
		if int64(len(val)) > s.lim.MaxFieldBytes {
			r.bad, r.badColumn, r.raw = s.lim.fieldTooLong(), SanitizeName(key), string(data)
			return
		}
		switch val[0] {
		case '"':
			k, text = kJSONString, decodeString(val)
		case '{', '[':
			if 1+depth > s.lim.MaxJSONDepth {
				r.bad, r.badColumn, r.raw = s.lim.tooDeep(), SanitizeName(key), string(data)
				return
			}
			k, text = kJSONNested, string(val)
		case 't', 'f':
			k, text = kJSONBool, string(val)
		case 'n':
			k = kJSONNull
		default:
			k, text = kJSONNumber, string(val)
		}
		i = vEnd
		idx, ok := s.keys.lookup(key)
		if !ok {
			continue
		}
		for len(r.fields) <= idx {
			r.fields = append(r.fields, "")
			r.kinds = append(r.kinds, kJSONNull)
		}
		r.fields[idx], r.kinds[idx] = text, k
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfString returns the index after the string literal starting at i.
func endOfString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// endOfValue returns the index after the (valid) JSON value at i, and
// how deep it nests (0 for a scalar, 1 for a flat object or array).
func endOfValue(b []byte, i int) (end, maxDepth int) {
	switch b[i] {
	case '"':
		return endOfString(b, i), 0
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = endOfString(b, j) - 1
			case '{', '[':
				depth++
				maxDepth = max(maxDepth, depth)
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, maxDepth
				}
			}
		}
		return len(b), maxDepth
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j, 0
	}
}

// decodeString decodes a valid JSON string literal.
func decodeString(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return string(lit[1 : len(lit)-1])
	}
	return s
}

// lineTracker passes bytes through and maps offsets of what it has passed
// to line numbers, keeping only the bytes not yet counted.
//
// It also bounds a value: the bytes it keeps are those from the start of
// the value being decoded on, and when they grow past max, it fails the
// read, since the decoder would hold the whole value otherwise. max leaves
// room for the decoder's read-ahead (its buffer grows to twice what it
// needed), so that only values far beyond Limits.MaxRecordBytes fail the
// file; nextStream rejects those between the limit and that.
type lineTracker struct {
	r    io.Reader
	buf  []byte // bytes from offset base on
	base int64
	line int64 // line at base
	max  int
	lim  Limits
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	if len(t.buf) > t.max {
		return 0, t.lim.elementTooLong(t.line)
	}
	return n, err
}

// lineAt returns the line of offset off (>= every earlier call's).
func (t *lineTracker) lineAt(off int64) int64 {
	n := int(off - t.base)
	if n > len(t.buf) {
		n = len(t.buf)
	}
	if n > 0 {
		t.line += int64(bytes.Count(t.buf[:n], []byte{'\n'}))
		t.buf = append(t.buf[:0], t.buf[n:]...)
		t.base += int64(n)
	}
	return t.line
}

// startLine returns the line of the first byte at or after off that is
// neither blank nor a separator.
func (t *lineTracker) startLine(off int64) int64 {
	t.lineAt(off)
	i := 0
	for i < len(t.buf) && (t.buf[i] == ' ' || t.buf[i] == '\t' || t.buf[i] == '\r' || t.buf[i] == '\n' || t.buf[i] == ',') {
		i++
	}
	return t.lineAt(t.base + int64(i))
}

func convertJSON(ctx context.Context, r io.Reader, f Format, in Inferred, opts ConvertOptions) (Stats, error) {
	c, err := newConverter(ctx, in, opts)
	if err != nil {
		return Stats{}, err
	}
	br, err := c.openText(r, f, in.Encoding)
	if err != nil {
		return c.abort(err)
	}
	defer c.closeText()
	keys := &jsonKeys{index: map[string]int{}, bySan: map[string]int{}, max: c.lim.MaxColumns}
	for i, oc := range c.cols {
		keys.index[c.origs[i]] = i
		keys.bySan[oc.Name] = i
		keys.names = append(keys.names, c.origs[i])
	}
	src, err := newJSONSource(br, f, keys, c.lim)
	if err != nil {
		return c.abort(err)
	}
	var rw row
	for {
		if err := src.next(&rw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return c.abort(err)
		}
		if err := c.tick(); err != nil {
			return c.abort(err)
		}
		rawB := rw.rawB
		raw := func() string { return string(rawB) }
		if rw.bad != "" {
			err = c.reject(rw.line, rw.badColumn, rw.bad, raw)
		} else {
			err = c.row(rw.line, rw.fields, rw.kinds, raw)
		}
		if err != nil {
			return c.abort(err)
		}
	}
	c.stats.IgnoredColumns = append(c.stats.IgnoredColumns, keys.ignored...)
	return c.finish()
}
