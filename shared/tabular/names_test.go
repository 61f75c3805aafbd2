package tabular

import (
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestTableNameFromObject(t *testing.T) {
	tests := map[string]string{
		"uploads/Online Retail.csv.gz": "online_retail",
		"a/b/orders.parquet":           "orders",
		"2024-01 Sales.JSONL":          "col_2024_01_sales",
		"noext":                        "noext",
		"dir\\file.tsv":                "file",
	}
	for in, want := range tests {
		if got := TableNameFromObject(in); got != want {
			t.Errorf("TableNameFromObject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		c    Compression
	}{
		{"uploads/Online Retail.csv.gz", CSV, Gzip},
		{"x.CSV", CSV, NoCompression},
		{"x.tsv", CSV, NoCompression},
		{"x.tsv.gzip", CSV, Gzip},
		{"x.TAB", CSV, NoCompression},
		{"x.jsonl", JSONL, NoCompression},
		{"x.ndjson.gz", JSONL, Gzip},
		{"x.json", JSON, NoCompression},
		{"x.parquet", Parquet, NoCompression},
		{"x.pq", Parquet, NoCompression},
	}
	for _, tt := range tests {
		f, c, err := DetectFormat(tt.name)
		if err != nil || f != tt.f || c != tt.c {
			t.Errorf("DetectFormat(%q) = %q, %q, %v; want %q, %q", tt.name, f, c, err, tt.f, tt.c)
		}
	}
	for _, bad := range []string{"x.xlsx", "setup.exe", "README", "x.parquet.gz", "x.gz", "notes.txt"} {
		_, _, err := DetectFormat(bad)
		if errs.KindOf(err) != errs.Unsupported {
			t.Errorf("DetectFormat(%q) err = %v, want Unsupported", bad, err)
			continue
		}
		if bad != "x.parquet.gz" && !strings.Contains(err.Error(), ".csv") {
			t.Errorf("error %q does not list the supported extensions", err)
		}
	}
	_, _, err := DetectFormat("report.xlsx")
	if !strings.Contains(err.Error(), ".xlsx") {
		t.Errorf("error %q does not name the extension", err)
	}
	// What a user reads, with no internal name in it.
	_, _, err = DetectFormat("uploads/notes.txt")
	want := "unsupported file type .txt: supported are .csv, .tsv, .tab, .jsonl, .ndjson, .json, .parquet, .pq (each but Parquet optionally followed by .gz)"
	if got := errs.UserMessage(err); got != want {
		t.Errorf("user message for notes.txt = %q, want %q", got, want)
	}
}
