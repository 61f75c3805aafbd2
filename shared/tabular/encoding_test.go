package tabular

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// A latin-1 / windows-1252 file is detected and read, not rejected row
// by row: "Café" and "£" are real latin-1 bytes here (0xE9, 0xA3).
func TestDetectsLatin1(t *testing.T) {
	data := "name,price\nCaf\xe9,\xa33.50\nTh\xe9,\xa31.20\n"
	for _, compressed := range []bool{false, true} {
		input := data
		if compressed {
			input = gz(t, data)
		}
		in := mustInfer(t, input, CSV, Options{})
		if in.DetectedEncoding != EncodingWindows1252 {
			t.Errorf("compressed=%v: detected %q, want windows-1252", compressed, in.DetectedEncoding)
		}
		if got := strings.Join(in.Columns[0].Samples, "|"); got != "Café|Thé" {
			t.Errorf("compressed=%v: samples %q", compressed, got)
		}
		res := convert(t, input, CSV, in, 0)
		if res.stats.RowsRejected != 0 || len(res.rows) != 2 || res.rows[0][0] != "Café" || res.rows[0][1] != "£3.50" {
			t.Errorf("compressed=%v: rows %q rejects %+v", compressed, res.rows, res.rejects)
		}
		if res.stats.Encoding != EncodingWindows1252 {
			t.Errorf("compressed=%v: Stats.Encoding = %q", compressed, res.stats.Encoding)
		}
	}
}

// Detection happens where the first non-ASCII character is, even past the
// rows Infer sampled: Convert switches there, and every row loads.
func TestDetectsLatin1PastTheSample(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := range 60000 {
		b.WriteString("1,plain ascii row number ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	b.WriteString("2,\x93quoted\x94 \x80 Caf\xe9\n")
	data := b.String()
	in := mustInfer(t, data, CSV, Options{SampleRows: 100})
	if in.DetectedEncoding != EncodingUTF8 {
		t.Errorf("sample saw only ASCII, detected %q", in.DetectedEncoding)
	}
	res := convert(t, data, CSV, in, 0)
	if res.stats.RowsRejected != 0 || res.stats.Encoding != EncodingWindows1252 {
		t.Fatalf("stats %+v", res.stats)
	}
	if last := res.rows[len(res.rows)-1][1]; last != "“quoted” € Café" {
		t.Errorf("last row %q", last)
	}
}

// A UTF-8 file stays UTF-8; one with invalid bytes after valid UTF-8 is
// mixed, and its bad rows are rejected as before; an explicit encoding
// is not second-guessed.
func TestEncodingDecisions(t *testing.T) {
	tests := []struct {
		name, data, enc string
		wantEnc         string
		wantRejected    int64
		wantFirst       string
	}{
		{"utf-8", "name\nCafé\n£3\n", "", EncodingUTF8, 0, "Café"},
		{"ascii", "name\nCafe\n", "", EncodingUTF8, 0, "Cafe"},
		{"utf-8 BOM", "\ufeffname\nCafé\n", "", EncodingUTF8, 0, "Café"},
		{"mixed: utf-8 first", "name\nCafé\nTh\xe9\n", "", EncodingUTF8, 1, "Café"},
		{"explicit utf-8", "name\nCaf\xe9\n", "utf-8", EncodingUTF8, 1, ""},
		{"explicit latin-1", "name\nCaf\xe9\n", "latin-1", EncodingLatin1, 0, "Café"},
		{"explicit windows-1252 on utf-8", "name\nCafé\n", "cp1252", EncodingWindows1252, 0, "CafÃ©"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustInfer(t, tt.data, CSV, Options{Encoding: tt.enc, HasHeader: ptr(true)})
			res := convert(t, tt.data, CSV, in, 0)
			if res.stats.Encoding != tt.wantEnc || res.stats.RowsRejected != tt.wantRejected {
				t.Errorf("encoding %q rejected %d, want %q %d (rejects %+v)", res.stats.Encoding, res.stats.RowsRejected, tt.wantEnc, tt.wantRejected, res.rejects)
			}
			if tt.wantFirst != "" && (len(res.rows) == 0 || res.rows[0][0] != tt.wantFirst) {
				t.Errorf("rows %q, want first %q", res.rows, tt.wantFirst)
			}
		})
	}
}

// The detecting reader decides the same however the input is cut into
// reads (a character split across two reads, reads of one byte).
func TestAutoDecoderReads(t *testing.T) {
	tests := []struct {
		in, want, enc string
	}{
		{"abc", "abc", EncodingUTF8},
		{"", "", EncodingUTF8},
		{"ab\xc3\xa9cd\xff", "abécd\xff", EncodingUTF8},
		{"ab\xe9cd", "abécd", EncodingWindows1252},
		{"\xe9", "é", EncodingWindows1252},
		{"ab\xc3", "abÃ", EncodingWindows1252}, // cut short at the end: not UTF-8
		{"\xe2\x82\xac\xe9", "€\xe9", EncodingUTF8},
		{strings.Repeat("a", 100) + "\x80", strings.Repeat("a", 100) + "€", EncodingWindows1252},
	}
	wraps := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for _, tt := range tests {
		for name, wrap := range wraps {
			a := &autoDecoder{r: wrap(strings.NewReader(tt.in))}
			got, err := io.ReadAll(a)
			if err != nil || string(got) != tt.want || a.encoding() != tt.enc {
				t.Errorf("%s %q: got %q %v encoding %q, want %q %q", name, tt.in, got, err, a.encoding(), tt.want, tt.enc)
			}
		}
	}
	// A read error is passed on, whether or not the encoding is decided.
	boom := errors.New("boom")
	for _, in := range []string{"abc", "a\xe9", "a\xc3"} {
		a := &autoDecoder{r: io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))}
		if _, err := io.ReadAll(a); !errors.Is(err, boom) {
			t.Errorf("%q: err %v, want boom", in, err)
		}
	}
}

// Files that are not text fail with a message a user understands.
func TestNotTextInput(t *testing.T) {
	tests := []struct {
		name string
		data string
		f    Format
		want string
	}{
		{"binary", "id,name\n1,\x00\x01\x02\x03", CSV, "this looks like a binary file, not CSV text"},
		{"binary JSON", "{\"a\":\x00}", JSONL, "this looks like a binary file, not JSON Lines text"},
		{"parquet named .csv", "PAR1\x15\x04\x15", CSV, "this looks like a Parquet file, not CSV text"},
		{"xlsx named .csv", "PK\x03\x04\x14\x00\x06\x00", CSV, "an Excel workbook"},
		{"utf-16", "\xff\xfei\x00d\x00\n\x00", CSV, "UTF-16"},
		{"utf-16 without BOM", "i\x00d\x00,\x00n\x00\n\x001\x00,\x00x\x00\n\x00", CSV, "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, input := range []string{tt.data, gz(t, tt.data)} {
				_, err := Infer(context.Background(), strings.NewReader(input), tt.f, Options{})
				if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), tt.want) {
					t.Errorf("Infer err = %v (user message %q), want Invalid containing %q", err, errs.UserMessage(err), tt.want)
				}
				_, err = Convert(context.Background(), strings.NewReader(input), tt.f, Inferred{Format: tt.f, Delimiter: ',', Columns: []InferredColumn{{Name: "id", Original: "id", Type: "STRING"}}},
					ConvertOptions{NewPart: (&memParts{}).newPart})
				if !strings.Contains(errs.UserMessage(err), tt.want) {
					t.Errorf("Convert err = %v, want one containing %q", err, tt.want)
				}
			}
		})
	}
}

// A damaged Parquet file says so in a user's words; the technical cause
// stays in the error's text for the logs.
func TestDamagedParquet(t *testing.T) {
	for name, data := range map[string][]byte{
		"not parquet": []byte("id,name\n1,x\n"),
		"empty":       {},
		"no footer":   []byte("PAR1\x15\x04\x15\x10\x15\x14L\x15\x04\x15\x00\x12\x00\x00"),
	} {
		_, err := InferParquet(bytes.NewReader(data), int64(len(data)))
		if got := errs.UserMessage(err); got != "not a valid Parquet file (the footer is missing or damaged)" || !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: user message %q, err %v", name, got, err)
		}
		if !strings.Contains(err.Error(), "parquet") {
			t.Errorf("%s: the log text %q lost the cause", name, err)
		}
	}
}

// firstNonASCII finds the first high byte wherever it is, against a plain
// loop (the scan reads 32 bytes per step).
func TestFirstNonASCII(t *testing.T) {
	for n := range 100 {
		for at := -1; at < n; at++ {
			b := bytes.Repeat([]byte("a"), n)
			if at >= 0 {
				b[at] = 0x80 | byte(at)
			}
			if got := firstNonASCII(b); got != at {
				t.Fatalf("len %d, high byte at %d: got %d", n, at, got)
			}
			if at >= 0 && at+1 < n {
				b[at+1] = 0xff // a second one after it changes nothing
				if got := firstNonASCII(b); got != at {
					t.Fatalf("len %d, high bytes at %d and after: got %d", n, at, got)
				}
			}
		}
	}
}
