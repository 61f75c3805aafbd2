package etl_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// A file whose every row is rejected loaded nothing: the run is failed,
// not partial, says why with the first reject, keeps its counts and
// rejects, creates no table, and does not remove the rows an earlier
// version of the file loaded (an empty version would).
func TestEveryRowRejectedFailsTheRun(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_prices", Name: "prices", File: etl.FileSource{Pattern: "prices*.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "prices"}, LoadMode: etl.Append, Enabled: true})

	r := e.drop("prices_new.csv", "sku,price\nA,\"1.5\"x\nB,\"2\"y\n")
	if r.Status != etl.StatusFailed || r.RowsLoaded != 0 || r.RowsRead != 2 || r.RowsRejected != 2 {
		t.Fatalf("run = %s read %d loaded %d rejected %d (%s), want failed with 2 rows read and rejected", r.Status, r.RowsRead, r.RowsLoaded, r.RowsRejected, r.ErrorMessage)
	}
	want := "every row of prices_new.csv was rejected (2 rows), so nothing was loaded; the first, line 2: malformed CSV"
	if !strings.HasPrefix(r.ErrorMessage, want) {
		t.Errorf("error %q, want it to start with %q", r.ErrorMessage, want)
	}
	if len(r.FirstRejects) != 2 || r.FirstRejects[0].Raw != `A,"1.5"x` {
		t.Errorf("first rejects %+v", r.FirstRejects)
	}
	if n := e.rows("prices"); n != -1 {
		t.Errorf("a table with %d rows was created", n)
	}

	// A good version, then a version whose every row is rejected: the
	// good rows stay.
	if r := e.drop("prices.csv", "sku,price\nA,1.5\nB,2\n"); r.Status != etl.StatusCompleted || r.RowsLoaded != 2 {
		t.Fatalf("good version: %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	if r := e.drop("prices.csv", "sku,price\nA,\"1.5\"x\n"); r.Status != etl.StatusFailed {
		t.Fatalf("bad version: %s (%s)", r.Status, r.ErrorMessage)
	}
	if n := e.rows("prices"); n != 2 {
		t.Errorf("rows after the rejected version = %d, want the 2 of the good one", n)
	}
	// Some rows loaded: partial, as before.
	if r := e.drop("prices_2.csv", "sku,price\nA,1.5\nB,\"2\"y\n"); r.Status != etl.StatusPartial || r.RowsLoaded != 1 {
		t.Errorf("half-rejected file: %s loaded %d", r.Status, r.RowsLoaded)
	}
}

// A file of an extension the product does not read (the upload page
// lists what it does) fails its run with a message naming the extension
// and the supported ones.
func TestUnsupportedFileType(t *testing.T) {
	e := newEnv(t)
	r := e.drop("notes.txt", "Meeting notes\nCall Bob about the order, maybe Tuesday\n")
	want := "unsupported file type .txt: supported are .csv, .tsv, .tab, .jsonl, .ndjson, .json, .parquet, .pq (each but Parquet optionally followed by .gz)"
	if r.Status != etl.StatusFailed || r.ErrorMessage != want || r.ErrorType != etl.PhaseValidation || r.RowsLoaded != 0 {
		t.Errorf("run = %s %s %q, want failed in validation with %q", r.Status, r.ErrorType, r.ErrorMessage, want)
	}
}

// A latin-1 file loads, its encoding detected and recorded on the run
// (every row of it was rejected before).
func TestLatin1FileLoads(t *testing.T) {
	e := newEnv(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("product,price\nCaf\xe9 cr\xe8me,\xa33.50\nTh\xe9,\xa31.20\n"))
	zw.Close()
	for name, content := range map[string]string{
		"menu.csv":    "product,price\nCaf\xe9 cr\xe8me,\xa33.50\nTh\xe9,\xa31.20\n",
		"menu_gz.csv": gz.String(),
	} {
		r := e.drop(name, content)
		if r.Status != etl.StatusCompleted || r.RowsLoaded != 2 || r.Encoding != "windows-1252" {
			t.Fatalf("%s: run %s loaded %d encoding %q (%s, rejects %+v)", name, r.Status, r.RowsLoaded, r.Encoding, r.ErrorMessage, r.FirstRejects)
		}
		table := strings.TrimSuffix(name, ".csv")
		got := e.query(fmt.Sprintf("SELECT product, price FROM raw_data.%s ORDER BY product", table))
		if fmt.Sprint(got) != "[[Café crème £3.50] [Thé £1.20]]" {
			t.Errorf("%s: rows %v", name, got)
		}
	}
	if r := e.drop("utf8.csv", "product\nCafé\n"); r.Encoding != "utf-8" {
		t.Errorf("UTF-8 file: encoding %q", r.Encoding)
	}
}

// The file: a malformed quote rejects its row (with its text and
// line) and the rows after it load.
func TestMalformedQuoteRun(t *testing.T) {
	e := newEnv(t)
	r := e.drop("quotes.csv", "id,name,n\n1,\"ok\",1\n2,\"bad\"x,2\n3,\"fine\",3\n4,\"open,4\n5,\"five\",5\n")
	if r.Status != etl.StatusPartial || r.RowsLoaded != 3 || r.RowsRejected != 2 {
		t.Fatalf("run = %s loaded %d rejected %d, want partial with ids 1, 3, 5 loaded (rejects %+v)", r.Status, r.RowsLoaded, r.RowsRejected, r.FirstRejects)
	}
	want := []etl.Reject{{Line: 3, Raw: `2,"bad"x,2`}, {Line: 5, Raw: `4,"open,4`}}
	for i, w := range want {
		if got := r.FirstRejects[i]; got.Line != w.Line || got.Raw != w.Raw || !strings.HasPrefix(got.Reason, "malformed CSV") {
			t.Errorf("reject %d = %+v, want line %d raw %q", i, got, w.Line, w.Raw)
		}
	}
	if got := e.query("SELECT id FROM raw_data.quotes ORDER BY id"); fmt.Sprint(got) != "[[1] [3] [5]]" {
		t.Errorf("ids %v", got)
	}
}

// The input limits are settings (B2B_*): a line past B2B_MAX_RECORD_BYTES
// is rejected with a reason naming the setting.
func TestInputLimitsFromSettings(t *testing.T) {
	t.Setenv("B2B_MAX_RECORD_BYTES", "64")
	e := newEnv(t)
	r := e.drop("wide.csv", "id,note\n1,short\n2,"+strings.Repeat("x", 100)+"\n3,short\n")
	if r.Status != etl.StatusPartial || r.RowsLoaded != 2 || len(r.FirstRejects) != 1 {
		t.Fatalf("run = %s loaded %d rejects %+v", r.Status, r.RowsLoaded, r.FirstRejects)
	}
	if rj := r.FirstRejects[0]; rj.Line != 3 || rj.Reason != "the line is longer than 64 bytes, the longest record allowed (setting B2B_MAX_RECORD_BYTES)" {
		t.Errorf("reject %+v", rj)
	}
}
