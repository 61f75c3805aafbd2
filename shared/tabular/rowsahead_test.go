package tabular

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// rowsAhead hands out exactly the records csvSource.next reads, in order,
// across batch boundaries: fields, lines, malformed records with their
// reasons and raw text, the UTF-8 and long-field flags.
func TestRowsAheadReadsAsTheSource(t *testing.T) {
	var many strings.Builder
	for i := range 3*aheadBatchRows + 7 {
		fmt.Fprintf(&many, "%d,name %d,,%d.5\n", i, i, i)
	}
	big := strings.Repeat("x", aheadBatchBytes+100)
	tests := []struct {
		name  string
		data  string
		delim rune
		lim   Limits
	}{
		{"batches of rows", many.String(), ',', Limits{}},
		{"quoted, multi-line, doubled quotes", "a,b\n\"x\ny\",\"he said \"\"hi\"\"\"\n,\n\"\",last\n", ',', Limits{}},
		{"malformed quotes read again", "a,b\n1,\"open\n2,two\n3,th\"ree\n4,four", ',', Limits{}},
		{"records larger than a batch", "a,b\n" + big + ",1\n2,\"" + big + "\"\n3,3\n", ',', Limits{}},
		{"invalid UTF-8 and long fields", "a,b\n\xff\xfe,1\n" + strings.Repeat("y", 300) + ",2\n", ',', Limits{MaxFieldBytes: 200}},
		{"too many fields and too long lines", "a,b\n1,2,3,4,5,6\n" + strings.Repeat("z", 2000) + "\nok,1\n", ',', Limits{MaxColumns: 4, MaxRecordBytes: 1000}},
		{"non-ASCII delimiter", "a§b\nx§\"y§z\"\n1§2\n", '§', Limits{}},
		{"blank lines and CRLF", "a,b\r\n\r\n1,2\r\n\n3,4\r\n", ',', Limits{}},
		{"empty input", "", ',', Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := readRowsFrom(t, newCSVSource(bufio.NewReader(strings.NewReader(tt.data)), tt.delim, false, tt.lim).next)
			src := newCSVSource(bufio.NewReader(strings.NewReader(tt.data)), tt.delim, false, tt.lim)
			a := newRowsAhead(src)
			defer a.Close()
			got := readRowsFrom(t, a.next)
			if len(got) != len(want) {
				t.Fatalf("read %d records ahead, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("record %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// Close stops the reading goroutine while batches wait unread.
func TestRowsAheadCloseEarly(t *testing.T) {
	data := strings.Repeat("1,2\n", 20*aheadBatchRows)
	a := newRowsAhead(newCSVSource(bufio.NewReader(strings.NewReader(data)), ',', false, Limits{}))
	var rw row
	if err := a.next(&rw); err != nil || rw.line != 1 || !reflect.DeepEqual(rw.fields, []string{"1", "2"}) {
		t.Fatalf("first record %+v, %v", rw, err)
	}
	a.Close()
}

// plainRow is a record as the converter sees it.
type plainRow struct {
	line          int64
	fields        []string
	bad, raw      string
	invalidUTF8   bool
	longField     int
	tooManyFields bool
}

// readRowsFrom reads every record, copying what the next read reuses.
func readRowsFrom(t *testing.T, next func(*row) error) []plainRow {
	t.Helper()
	var out []plainRow
	var rw row
	for {
		err := next(&rw)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		fields := make([]string, len(rw.fields))
		for i, f := range rw.fields {
			fields[i] = strings.Clone(f)
		}
		out = append(out, plainRow{line: rw.line, fields: fields, bad: rw.bad, raw: rw.raw,
			invalidUTF8: rw.invalidUTF8, longField: rw.longField, tooManyFields: rw.tooManyFields})
	}
}

// Progress reports the encoding detected so far while records are split
// ahead of the conversion in another goroutine, which decodes the input:
// utf-8, then windows-1252 once its first byte is read, never back, read
// safely across the goroutines. The windows-1252 byte is read by the
// splitting goroutine while the conversion reports at row 50,000, so
// go test -race fails when the detected encoding is not shared safely.
func TestProgressEncodingWhileReadingAhead(t *testing.T) {
	const raceRow = progressEvery + 1500
	var b strings.Builder
	b.WriteString("id,name\n")
	line := "1," + strings.Repeat("a", 197) + "\n"
	const rows = 2 * progressEvery
	for i := range rows {
		if i == raceRow {
			b.WriteString("0,Caf\xe9\n")
			continue
		}
		b.WriteString(line)
	}
	data := b.String()
	in := mustInfer(t, data, CSV, Options{SampleRows: 100})
	var mp memParts
	var seen []string
	st, err := Convert(context.Background(), strings.NewReader(data), CSV, in, ConvertOptions{
		NewPart:  mp.newPart,
		Progress: func(s Stats) { seen = append(seen, s.Encoding) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != rows || st.Encoding != EncodingWindows1252 {
		t.Fatalf("written %d, encoding %q; want %d, windows-1252", st.RowsWritten, st.Encoding, rows)
	}
	if len(seen) != 3 || seen[2] != EncodingWindows1252 {
		t.Fatalf("progress encodings %q: want 3 reports, windows-1252 last", seen)
	}
	for i, e := range seen {
		if e != EncodingUTF8 && e != EncodingWindows1252 || i > 0 && seen[i-1] == EncodingWindows1252 && e != EncodingWindows1252 {
			t.Errorf("progress encodings %q: utf-8, then windows-1252 only", seen)
		}
	}
}
