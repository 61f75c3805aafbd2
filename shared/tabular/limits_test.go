package tabular

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestLimitsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got, err := LimitsFromEnv(env(nil))
	if err != nil || got != DefaultLimits() {
		t.Fatalf("no settings: %+v %v, want the defaults %+v", got, err, DefaultLimits())
	}
	if d := DefaultLimits(); d.MaxRecordBytes != 16<<20 || d.MaxColumns != 10_000 {
		t.Errorf("defaults %+v", d)
	}
	got, err = LimitsFromEnv(env(map[string]string{
		SettingMaxRecordBytes: "1MiB", SettingMaxFieldBytes: "512 KiB", SettingMaxColumns: "50",
		SettingMaxJSONDepth: "8", SettingMaxDecompressedBytes: "2G", SettingMaxCompressionRatio: "30",
	}))
	want := Limits{MaxRecordBytes: 1 << 20, MaxFieldBytes: 512 << 10, MaxColumns: 50, MaxJSONDepth: 8, MaxDecompressedBytes: 2 << 30, MaxCompressionRatio: 30}
	if err != nil || got != want {
		t.Errorf("settings read as %+v %v, want %+v", got, err, want)
	}
	for _, bad := range []map[string]string{
		{SettingMaxRecordBytes: "-1"},
		{SettingMaxRecordBytes: "16 furlongs"},
		{SettingMaxColumns: "ten"},
		{SettingMaxColumns: "1MiB"},
		{SettingMaxCompressionRatio: "0"},
	} {
		_, err := LimitsFromEnv(env(bad))
		var name string
		for k := range bad {
			name = k
		}
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), name) {
			t.Errorf("%v: err %v, want Invalid naming %s", bad, err, name)
		}
	}
}

// convertWith infers and converts data with the limits, returning what
// was loaded and rejected.
func convertWith(t *testing.T, data string, f Format, lim Limits) (result, error) {
	t.Helper()
	in, err := Infer(context.Background(), strings.NewReader(data), f, Options{Limits: lim})
	if err != nil {
		return result{}, err
	}
	var mp memParts
	var rej bytes.Buffer
	st, err := Convert(context.Background(), strings.NewReader(data), f, in, ConvertOptions{NewPart: mp.newPart, Rejects: &rej, Limits: lim})
	if err != nil {
		return result{}, err
	}
	res := result{stats: st, parts: mp.parts, rejects: st.FirstRejects}
	for _, p := range mp.parts {
		_, rows := readParquet(t, p.Bytes())
		res.rows = append(res.rows, rows...)
	}
	return res, nil
}

// A line longer than the record limit is rejected with its line number
// and a prefix of its text, and the reader goes on with the next line,
// whether the line fits the read buffer or not.
func TestOversizedLineRejected(t *testing.T) {
	for _, long := range []int{5 << 10, 600 << 10} {
		lim := Limits{MaxRecordBytes: 4 << 10}
		if long > 256<<10 {
			lim.MaxRecordBytes = 300 << 10
		}
		for _, f := range []Format{CSV, JSONL} {
			var data string
			if f == CSV {
				data = "id,name\n1,a\n2," + strings.Repeat("x", long) + "\n3,c\n"
			} else {
				data = `{"id":1,"name":"a"}` + "\n" + `{"id":2,"name":"` + strings.Repeat("x", long) + `"}` + "\n" + `{"id":3,"name":"c"}` + "\n"
			}
			res, err := convertWith(t, data, f, lim)
			if err != nil {
				t.Fatalf("%s %d: %v", f, long, err)
			}
			if len(res.rows) != 2 || res.stats.RowsRejected != 1 {
				t.Fatalf("%s %d: rows %d rejected %d", f, long, len(res.rows), res.stats.RowsRejected)
			}
			rj := res.rejects[0]
			line := int64(3)
			if f == JSONL {
				line = 2
			}
			if rj.Line != line || !strings.Contains(rj.Reason, "longer than "+sizeText(lim.MaxRecordBytes)) || !strings.Contains(rj.Reason, SettingMaxRecordBytes) {
				t.Errorf("%s %d: reject %d %q", f, long, rj.Line, rj.Reason)
			}
			if !strings.HasPrefix(strings.TrimPrefix(rj.Raw, `{"id":`), "2") || len(rj.Raw) > maxRawLen+len("…") {
				t.Errorf("%s %d: raw %.40q… (%d bytes)", f, long, rj.Raw, len(rj.Raw))
			}
		}
	}
}

// A quote left open makes a record grow line after line: past the record
// limit it is rejected, and the lines it took are read again; a line too
// long met on the way is rejected on its own.
func TestRunawayQuotedRecord(t *testing.T) {
	rows := func(from, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d,%d\n", from+i, i)
		}
		return b.String()
	}
	long := strings.Repeat("y", 300) + "\n"
	tests := []struct {
		name        string
		data        string
		wantRows    int
		wantRejects []string // "line: reason start"
	}{
		{
			name:     "past the record limit",
			data:     "id,n\n\"x,1\n" + rows(3, 30) + "99,99\n",
			wantRows: 31,
			wantRejects: []string{
				"2: the record on lines 2 to 21 is longer than 100 bytes, the longest record allowed (setting B2B_MAX_RECORD_BYTES); is a quote left open?",
			},
		},
		{
			name:     "a line too long on the way",
			data:     "id,n\n\"x,1\n" + rows(3, 3) + long + "99,99\n",
			wantRows: 4,
			wantRejects: []string{
				"2: the record on lines 2 to 6 is longer than 100 bytes",
				"6: the line is longer than 100 bytes",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := convertWith(t, tt.data, CSV, Limits{MaxRecordBytes: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.rows) != tt.wantRows {
				t.Errorf("loaded %d rows, want %d (rejects %+v)", len(res.rows), tt.wantRows, res.rejects)
			}
			if len(res.rejects) != len(tt.wantRejects) {
				t.Fatalf("rejects %+v, want %q", res.rejects, tt.wantRejects)
			}
			for i, rj := range res.rejects {
				if got := fmt.Sprintf("%d: %s", rj.Line, rj.Reason); !strings.HasPrefix(got, tt.wantRejects[i]) {
					t.Errorf("reject %d = %q, want %q…", i, got, tt.wantRejects[i])
				}
			}
			if res.stats.RowsRead != res.stats.RowsWritten+res.stats.RowsRejected {
				t.Errorf("stats %+v", res.stats)
			}
		})
	}
}

// Too many columns: a header beyond the limit fails the file (CSV,
// JSON keys, Parquet), a later record beyond it is rejected.
func TestTooManyColumns(t *testing.T) {
	wide := strings.Repeat("c,", DefaultMaxColumns) + "c\n" + strings.Repeat("1,", DefaultMaxColumns) + "1\n"
	_, err := convertWith(t, wide, CSV, Limits{})
	if !errs.Is(err, errs.Invalid) || errs.UserMessage(err) != "the file has more than 10,000 columns, the most allowed (setting B2B_MAX_COLUMNS)" {
		t.Errorf("10,001 columns: %v (%q)", err, errs.UserMessage(err))
	}
	quoted := "\"a\",\"b\",\"c\",\"d\"\n1,2,3,4\n"
	if _, err := convertWith(t, quoted, CSV, Limits{MaxColumns: 3}); errs.UserMessage(err) != "the file has more than 3 columns, the most allowed (setting B2B_MAX_COLUMNS)" {
		t.Errorf("quoted header: %v", err)
	}
	res, err := convertWith(t, "a,b\n1,2\n"+strings.Repeat("9,", 5)+"9\n3,4\n", CSV, Limits{MaxColumns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != 2 || len(res.rejects) != 1 || res.rejects[0].Line != 3 || !strings.Contains(res.rejects[0].Reason, "more than 4 fields") {
		t.Errorf("rows %d rejects %+v", len(res.rows), res.rejects)
	}
	var keys strings.Builder
	keys.WriteString("{")
	for i := range 6 {
		fmt.Fprintf(&keys, "%q:%d,", fmt.Sprint("k", i), i)
	}
	keys.WriteString(`"last":1}`)
	if _, err := convertWith(t, keys.String()+"\n", JSONL, Limits{MaxColumns: 5}); !strings.Contains(errs.UserMessage(err), "more than 5 columns") {
		t.Errorf("JSON keys: %v", err)
	}
}

// A value longer than the field limit rejects its row, naming the column.
func TestOversizedValueRejected(t *testing.T) {
	lim := Limits{MaxFieldBytes: 10}
	for f, data := range map[Format]string{
		CSV:   "id,name\n1,short\n2,this value is too long\n3,\"quoted but also too long\"\n",
		JSONL: `{"id":1,"name":"short"}` + "\n" + `{"id":2,"name":"this value is too long"}` + "\n",
	} {
		res, err := convertWith(t, data, f, lim)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.rows) != 1 || len(res.rejects) == 0 {
			t.Fatalf("%s: rows %d rejects %+v", f, len(res.rows), res.rejects)
		}
		for _, rj := range res.rejects {
			if rj.Column != "name" || !strings.Contains(rj.Reason, "longer than 10 bytes") || !strings.Contains(rj.Reason, SettingMaxFieldBytes) {
				t.Errorf("%s: reject %+v", f, rj)
			}
		}
	}
}

// JSON nested deeper than the limit rejects its row (JSON Lines and the
// elements of a JSON array); a JSON array element beyond the record limit
// fails the file, which cannot be read past it.
func TestJSONLimits(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70)
	for f, data := range map[Format]string{
		JSONL: `{"id":1,"v":{"x":[1,2]}}` + "\n" + `{"id":2,"v":` + deep + "}\n",
		JSON:  "[\n" + `{"id":1,"v":{"x":[1,2]}},` + "\n" + `{"id":2,"v":` + deep + "}\n]",
	} {
		res, err := convertWith(t, data, f, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		line := int64(2)
		if f == JSON {
			line = 3
		}
		if len(res.rows) != 1 || len(res.rejects) != 1 || res.rejects[0].Line != line || res.rejects[0].Column != "v" ||
			!strings.Contains(res.rejects[0].Reason, "nested more than 64 levels") || !strings.Contains(res.rejects[0].Reason, SettingMaxJSONDepth) {
			t.Errorf("%s: rows %d rejects %+v", f, len(res.rows), res.rejects)
		}
	}
	big := func(size int) string {
		return "[\n" + `{"id":1},` + "\n" + `{"id":2,"v":"` + strings.Repeat("x", size) + `"},` + "\n" + `{"id":3}` + "\n]"
	}
	lim := Limits{MaxRecordBytes: 1 << 20, MaxFieldBytes: 64 << 20}
	res, err := convertWith(t, big(2<<20), JSON, lim)
	if err != nil || len(res.rows) != 2 || len(res.rejects) != 1 || res.rejects[0].Line != 3 || !strings.Contains(res.rejects[0].Reason, "longer than 1 MiB") {
		t.Errorf("2 MiB element: %v, rows %d rejects %+v", err, len(res.rows), res.rejects)
	}
	_, err = convertWith(t, big(16<<20), JSON, lim)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "starting at line 3 is longer than 1 MiB") {
		t.Errorf("16 MiB element: %v (%q)", err, errs.UserMessage(err))
	}
}

// gzipStream returns a reader of gzip-compressed content made by write,
// compressed as it is read (never held whole), and a counter of the
// uncompressed bytes generated so far.
func gzipStream(write func(w io.Writer) error) (io.ReadCloser, *int64) {
	pr, pw := io.Pipe()
	var n int64
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		err := write(&countWriter{w: zw, n: &n})
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, &n
}

type countWriter struct {
	w io.Writer
	n *int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// heapGrowth runs fn and returns the bytes it allocated (all of them,
// freed or not: a reader that held a 512 MiB line would allocate at
// least that much).
func heapGrowth(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The file: a 0.5 MB .csv.gz whose second row is one 512 MiB
// line. It expands a thousandfold, so by default it fails as a compression
// bomb once 64 MiB are out; with the ratio allowed, the line is rejected
// with its line number and the rows around it load. Either way the
// conversion allocates a bounded amount (it used to hold the line, and
// load it as one value).
func TestHugeLineInGzipBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 1 GiB")
	}
	var compressed bytes.Buffer // ~0.5 MB: the compressed file, as uploaded
	zw, _ := gzip.NewWriterLevel(&compressed, gzip.BestSpeed)
	io.WriteString(zw, "id,name\n1,a\n2,")
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 512 {
		zw.Write(chunk)
	}
	io.WriteString(zw, "\n3,c\n")
	zw.Close()
	var res result
	var err error
	start := time.Now()
	grew := heapGrowth(func() { _, err = convertWith(t, compressed.String(), CSV, Limits{}) })
	if !strings.Contains(errs.UserMessage(err), "compression bomb") {
		t.Errorf("default limits: %v", err)
	}
	if grew > 64<<20 {
		t.Errorf("failing the file allocated %s", sizeText(int64(grew)))
	}
	t.Logf("default limits: failed in %v, allocated %s: %s", time.Since(start), sizeText(int64(grew)), errs.UserMessage(err))

	start = time.Now()
	grew = heapGrowth(func() { res, err = convertWith(t, compressed.String(), CSV, Limits{MaxCompressionRatio: 5000}) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != 2 || len(res.rejects) != 1 || res.rejects[0].Line != 3 || !strings.Contains(res.rejects[0].Reason, "longer than 16 MiB") {
		t.Errorf("rows %v rejects %+v", res.rows, res.rejects)
	}
	if grew > 128<<20 {
		t.Errorf("Infer and Convert allocated %s for a file with a 512 MiB line; want it bounded by the record limit", sizeText(int64(grew)))
	}
	t.Logf("%s compressed, allocated %s, %v", sizeText(int64(compressed.Len())), sizeText(int64(grew)), time.Since(start))
}

// A gzip bomb (a small stream that expands a thousandfold) fails fast
// with a message naming the limit; it is read as it is generated and
// never held.
func TestGzipBombFails(t *testing.T) {
	bomb := func(w io.Writer) error {
		if _, err := io.WriteString(w, "a,b\n"); err != nil {
			return err
		}
		line := bytes.Repeat([]byte("1,2\n"), 1<<18) // 1 MiB
		for range 16 << 10 {                         // 16 GiB in all
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		return nil
	}
	r, generated := gzipStream(bomb)
	defer r.Close()
	var err error
	start := time.Now()
	grew := heapGrowth(func() { _, err = Infer(context.Background(), r, CSV, Options{}) })
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "compression bomb") || !strings.Contains(errs.UserMessage(err), SettingMaxCompressionRatio) {
		t.Fatalf("err %v (%q), want the compression ratio limit", err, errs.UserMessage(err))
	}
	if *generated > 1<<30 {
		t.Errorf("read %s of the bomb before failing", sizeText(*generated))
	}
	if grew > 64<<20 {
		t.Errorf("allocated %s", sizeText(int64(grew)))
	}
	t.Logf("failed after %s decompressed, %v, allocated %s: %s", sizeText(*generated), time.Since(start), sizeText(int64(grew)), errs.UserMessage(err))

	// The absolute cap.
	r, _ = gzipStream(bomb)
	defer r.Close()
	_, err = Infer(context.Background(), r, CSV, Options{Limits: Limits{MaxDecompressedBytes: 8 << 20}})
	if errs.UserMessage(err) != "the file decompresses to more than 8 MiB, the most allowed (setting B2B_MAX_DECOMPRESSED_BYTES)" {
		t.Errorf("absolute cap: %v", err)
	}
}
