package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

var csvReaderSeeds = []string{
	"a,b\n1,2\n3,4\n",
	"a,b\r\n1,2\r\n\r\n3,4\r",
	"x;y\n\"a;b\";2\n\"multi\nline\";3\n",
	"\"multi\r\nline\",\"x\"\"y\"\n",
	"a,b\n1,2,3\n\"unterminated\n",
	"\"a\"b,c\nx\"y,z\n",
	"a,\"b\nc\"d,e\n\"f\"\n",
	"\"\"\n\"\",\"\"\n,\n,,\n",
	"a|b\n1|2\n",
	"é,ü\n\xff,\xc3\n\xc3,\xa9\n",
	"a\tb\n1\t2",
	"\n\n\n",
	"",
	"\"",
	"a,\"",
	"\"abc\"def,1\n",
	strings.Repeat("x", 40) + "," + strings.Repeat("y", 40) + "\n\"" + strings.Repeat("z\n", 30) + "\",1\n",
	// Malformed quotes whose record spans lines: the lines are read again.
	"1,\"ok\",1\n2,\"bad\"x,2\n3,\"fine\",3",
	"id,name,n\n1,\"ok\",1\n2,\"bad,2\n3,\"fine\",3\n4,x,4\n",
	"id,n\n1,2\n\"x,3\n4,5\n6,7\n",
	"id,n\n1,\"multi\nline\"x\n2,3\n",
	"\"a\n\"b\n\"c\"d\ne\n",
	"\"a\r\n\"b\"\"\r\nc\"x\r\n\n\n\"d",
	"x,\"\n\n\n\"\"y",
}

type csvRecord struct {
	fields []string
	line   int
	err    string
	utf8   bool
}

// stdRecords reads data with encoding/csv as the package did before it
// had its own reader, with the one difference the own reader makes: a
// malformed record that spans lines does not swallow them. After it, the
// lines after its first are read again, each alone (a record cannot go on
// past such a line), and then the input goes on after the last line the
// record took.
func stdRecords(data string, comma rune, lazy bool, bufSize int) []csvRecord {
	lines := strings.SplitAfter(data, "\n")
	var out []csvRecord
	from := 0 // index in lines where the input read next starts
	for from < len(lines) && len(out) < 1000 {
		recs, pe := stdRecordsOf(strings.Join(lines[from:], ""), comma, lazy, bufSize, from, 1000-len(out))
		out = append(out, recs...)
		if pe == nil {
			break
		}
		// Lines pe.StartLine+1 .. pe.Line (1-based, absolute) again, alone.
		for l := pe.StartLine + 1; l <= pe.Line && len(out) < 1000; l++ {
			again, _ := stdRecordsOf(lines[l-1], comma, lazy, bufSize, l-1, 1000-len(out))
			out = append(out, again...)
		}
		from = pe.Line
	}
	return out
}

// stdRecordsOf reads data with encoding/csv, its lines numbered from
// offset+1, up to limit records or the first malformed record that spans
// lines, which it returns.
func stdRecordsOf(data string, comma rune, lazy bool, bufSize, offset, limit int) ([]csvRecord, *csv.ParseError) {
	cr := csv.NewReader(bufio.NewReaderSize(strings.NewReader(data), bufSize))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = lazy
	var out []csvRecord
	for len(out) < limit {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				abs := *pe
				abs.StartLine += offset
				abs.Line += offset
				out = append(out, csvRecord{line: abs.StartLine, err: fmt.Sprintf("%d:%d:%v", abs.Line, abs.Column, abs.Err)})
				if abs.Line > abs.StartLine {
					return out, &abs
				}
				continue
			}
			out = append(out, csvRecord{err: err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		ok := true
		for _, f := range rec {
			ok = ok && utf8.ValidString(f)
		}
		out = append(out, csvRecord{fields: append([]string(nil), rec...), line: line + offset, utf8: ok})
	}
	return out, nil
}

func ownRecords(data string, comma rune, lazy bool, bufSize int) []csvRecord {
	r := newCSVReader(bufio.NewReaderSize(strings.NewReader(data), bufSize), comma, lazy, Limits{})
	var out []csvRecord
	for len(out) < 1000 {
		rec, line, err := r.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				out = append(out, csvRecord{line: pe.StartLine, err: fmt.Sprintf("%d:%d:%v", pe.Line, pe.Column, pe.Err)})
				continue
			}
			out = append(out, csvRecord{err: err.Error()})
			break
		}
		out = append(out, csvRecord{fields: cloneFields(rec), line: line, utf8: r.validUTF8()})
	}
	return out
}

func compareCSVReaders(t *testing.T, data string, comma rune, lazy bool, bufSize int) {
	t.Helper()
	want := stdRecords(data, comma, lazy, bufSize)
	got := ownRecords(data, comma, lazy, bufSize)
	if len(got) != len(want) {
		t.Fatalf("%q (comma %q lazy %v buf %d): %d records, encoding/csv %d:\n%+v\n%+v", data, comma, lazy, bufSize, len(got), len(want), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.line != w.line || g.err != w.err || g.utf8 != w.utf8 || strings.Join(g.fields, "\x00|") != strings.Join(w.fields, "\x00|") || len(g.fields) != len(w.fields) {
			t.Fatalf("%q (comma %q lazy %v buf %d): record %d = %+v, encoding/csv %+v", data, comma, lazy, bufSize, i, g, w)
		}
	}
}

func TestCSVReaderMatchesEncodingCSV(t *testing.T) {
	for _, data := range append(csvReaderSeeds, csvSeeds...) {
		for _, comma := range []rune{',', ';', '\t', '|', 'é', '"', 0} {
			for _, lazy := range []bool{false, true} {
				for _, size := range []int{16, 4096} {
					compareCSVReaders(t, data, comma, lazy, size)
				}
			}
		}
	}
}

// The fields of a record stay intact until the next read, whatever the
// buffer does.
func TestCSVReaderFieldsUntilNextRead(t *testing.T) {
	r := newCSVReader(bufio.NewReaderSize(strings.NewReader("abc,def\n\"gh\ni\",j\n"), 16), ',', false, Limits{})
	rec, line, err := r.read()
	if err != nil || line != 1 || strings.Join(rec, "|") != "abc|def" {
		t.Fatalf("first = %q %d %v", rec, line, err)
	}
	first := cloneFields(rec)
	rec, line, err = r.read()
	if err != nil || line != 2 || strings.Join(rec, "|") != "gh\ni|j" {
		t.Fatalf("second = %q %d %v", rec, line, err)
	}
	if strings.Join(first, "|") != "abc|def" {
		t.Fatalf("clone changed: %q", first)
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range append(csvReaderSeeds, csvSeeds...) {
		f.Add(s, uint8(0), false)
	}
	commas := []rune{',', ';', '\t', '|', 'é'}
	f.Fuzz(func(t *testing.T, data string, c uint8, lazy bool) {
		comma := commas[int(c)%len(commas)]
		compareCSVReaders(t, data, comma, lazy, 16)
		compareCSVReaders(t, data, comma, lazy, 4096)
	})
}
