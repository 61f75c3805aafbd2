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
}

type csvRecord struct {
	fields []string
	line   int
	err    string
	utf8   bool
}

// stdRecords reads data with encoding/csv as the package did before it
// had its own reader.
func stdRecords(data string, comma rune, lazy bool, bufSize int) []csvRecord {
	cr := csv.NewReader(bufio.NewReaderSize(strings.NewReader(data), bufSize))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = lazy
	var out []csvRecord
	for len(out) < 1000 {
		rec, err := cr.Read()
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
		line, _ := cr.FieldPos(0)
		ok := true
		for _, f := range rec {
			ok = ok && utf8.ValidString(f)
		}
		out = append(out, csvRecord{fields: append([]string(nil), rec...), line: line, utf8: ok})
	}
	return out
}

func ownRecords(data string, comma rune, lazy bool, bufSize int) []csvRecord {
	r := newCSVReader(bufio.NewReaderSize(strings.NewReader(data), bufSize), comma, lazy)
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
	r := newCSVReader(bufio.NewReaderSize(strings.NewReader("abc,def\n\"gh\ni\",j\n"), 16), ',', false)
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
