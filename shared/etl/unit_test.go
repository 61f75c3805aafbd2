package etl

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestJobMatches(t *testing.T) {
	fileJob := func(prefix, pattern string) Job {
		return Job{SourceType: "file", Enabled: true, File: FileSource{Prefix: prefix, Pattern: pattern}}
	}
	disabled := fileJob("", "*.csv")
	disabled.Enabled = false
	other := fileJob("", "*.csv")
	other.SourceType = "postgres"
	cases := []struct {
		name   string
		job    Job
		object string
		want   bool
	}{
		{"root glob", fileJob("", "*.csv"), "orders.csv", true},
		{"root glob, other extension", fileJob("", "*.csv"), "orders.json", false},
		{"root job ignores sub-folder", fileJob("", "*.csv"), "in/orders.csv", false},
		{"prefix and glob", fileJob("in", "orders_*.csv"), "in/orders_2024.csv", true},
		{"prefix with slashes is trimmed", fileJob("/in/", "orders_*.csv"), "in/orders_2024.csv", true},
		{"prefix must be the whole folder", fileJob("in", "*.csv"), "in/sub/orders.csv", false},
		{"prefix is not a string prefix", fileJob("in", "*.csv"), "inbox/orders.csv", false},
		{"prefixed job ignores root", fileJob("in", "*.csv"), "orders.csv", false},
		{"nested prefix", fileJob("a/b", "x.csv"), "a/b/x.csv", true},
		{"glob star does not cross folders", fileJob("", "*"), "a/x.csv", false},
		{"exact name", fileJob("", "orders.csv"), "orders.csv", true},
		{"exact name is case-sensitive", fileJob("", "orders.csv"), "Orders.csv", false},
		{"a paused job still claims (its files wait for it)", disabled, "orders.csv", true},
		{"non-file job", other, "orders.csv", false},
		{"malformed glob matches nothing", fileJob("", "orders[.csv"), "orders[.csv", false},
		{"escaped brackets match the literal name", fileJob("", escapeGlob("report[1].csv")), "report[1].csv", true},
		{"escaped brackets are not a class", fileJob("", escapeGlob("report[1].csv")), "report1.csv", false},
		{"unescaped brackets are a class", fileJob("", "report[1].csv"), "report1.csv", true},
		{"unescaped brackets miss the literal name", fileJob("", "report[1].csv"), "report[1].csv", false},
		{"escaped star is literal", fileJob("", escapeGlob("a*.csv")), "abc.csv", false},
		{"escaped question mark is literal", fileJob("", escapeGlob("a?.csv")), "ab.csv", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.job.matches(c.object); got != c.want {
				t.Errorf("job{prefix %q pattern %q enabled %v type %q}.matches(%q) = %v, want %v",
					c.job.File.Prefix, c.job.File.Pattern, c.job.Enabled, c.job.SourceType, c.object, got, c.want)
			}
		})
	}
}

func TestEscapeGlob(t *testing.T) {
	cases := []struct{ in, want string }{
		{"orders.csv", "orders.csv"},
		{"report[1].csv", `report\[1\].csv`},
		{"a*b?.csv", `a\*b\?.csv`},
		{`back\slash.csv`, `back\\slash.csv`},
		{"ünïcode [x].csv", `ünïcode \[x\].csv`},
		{"", ""},
	}
	for _, c := range cases {
		if got := escapeGlob(c.in); got != c.want {
			t.Errorf("escapeGlob(%q) = %q, want %q", c.in, got, c.want)
		}
		if c.in != "" && !globMatch(escapeGlob(c.in), c.in) {
			t.Errorf("globMatch(escapeGlob(%q), %q) = false; an escaped name must match itself", c.in, c.in)
		}
	}
	// An escaped name matches only itself.
	for _, other := range []string{"report1.csv", "reportx.csv", "report[1]-csv"} {
		if globMatch(escapeGlob("report[1].csv"), other) {
			t.Errorf("escaped report[1].csv matches %q", other)
		}
	}
}

func TestNormalizeMD5(t *testing.T) {
	sum := md5.Sum([]byte("hello"))
	hexSum := hex.EncodeToString(sum[:])
	cases := []struct {
		name, in, want string
	}{
		{"lower hex", hexSum, hexSum},
		{"upper hex", strings.ToUpper(hexSum), hexSum},
		{"base64 (GCS)", base64.StdEncoding.EncodeToString(sum[:]), hexSum},
		{"empty", "", ""},
		{"garbage", "not an md5!", ""},
		{"hex of the wrong length", hexSum[:30], ""},
		{"32 chars, not hex, not base64 of 16 bytes", strings.Repeat("z", 32), ""},
		{"base64 of the wrong length", base64.StdEncoding.EncodeToString([]byte("short")), ""},
		{"base64 of 20 bytes (sha1 size)", base64.StdEncoding.EncodeToString(make([]byte, 20)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := normalizeMD5(c.in); got != c.want {
				t.Errorf("normalizeMD5(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestHashID(t *testing.T) {
	a := hashID("r_", "acme", "j1", "bucket", "x.csv", "1")
	if b := hashID("r_", "acme", "j1", "bucket", "x.csv", "1"); a != b {
		t.Errorf("hashID is not stable: %q then %q", a, b)
	}
	if !strings.HasPrefix(a, "r_") || len(a) != len("r_")+20 {
		t.Errorf("hashID = %q, want r_ and 20 hex digits", a)
	}
	if _, err := hex.DecodeString(strings.TrimPrefix(a, "r_")); err != nil {
		t.Errorf("hashID suffix is not hex: %q", a)
	}
	// The parts are separated, so moving a boundary changes the id.
	distinct := map[string][]string{}
	for _, parts := range [][]string{
		{"ab", "c"}, {"a", "bc"}, {"abc"}, {"abc", ""}, {"", "abc"}, {"a", "b", "c"},
	} {
		id := hashID("x_", parts...)
		if prev, ok := distinct[id]; ok {
			t.Errorf("hashID(%q) == hashID(%q) = %q", parts, prev, id)
		}
		distinct[id] = parts
	}
	if hashID("r_", "acme", "x") == hashID("r_", "other", "x") {
		t.Error("hashID ignores the tenant part")
	}
	// A pinned value, so a change to the derivation (which would orphan
	// every stored run, job and ledger entry) is noticed.
	if got, want := hashID("j_", "acme", "", "orders.csv"), pinnedJobID(); got != want {
		t.Errorf("hashID(j_, acme, \"\", orders.csv) = %q, want %q (ids of stored documents would change)", got, want)
	}
}

// pinnedJobID recomputes the documented derivation independently:
// prefix + first 20 hex digits of sha256(part NUL part NUL ...).
func pinnedJobID() string {
	return "j_" + sha256Hex("acme\x00\x00orders.csv\x00")[:20]
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestReconcile(t *testing.T) {
	inferred := func(cols ...tabular.InferredColumn) tabular.Inferred {
		return tabular.Inferred{Format: tabular.CSV, Columns: cols, Complete: true}
	}
	col := func(name string, typ warehouse.Type, nullable bool) tabular.InferredColumn {
		return tabular.InferredColumn{Name: name, Original: strings.ToUpper(name), Type: typ, Nullable: nullable}
	}
	table := warehouse.Schema{
		{Name: "sku", Type: warehouse.String, Nullable: false},
		{Name: "qty", Type: warehouse.Int64, Nullable: true},
		{Name: "note", Type: warehouse.String, Nullable: true},
	}

	refuse := Job{Dest: Dest{Dataset: "raw_data", Table: "sales"}}
	add := refuse
	add.SchemaEvolution = SchemaAddColumns

	t.Run("table types win", func(t *testing.T) {
		got, err := fitTable(inferred(col("sku", warehouse.Int64, false), col("qty", warehouse.Float64, false), col("note", warehouse.String, true)), table, refuse, "sales.csv")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]warehouse.Type{"sku": warehouse.String, "qty": warehouse.Int64, "note": warehouse.String}
		if len(got.Columns) != 3 {
			t.Fatalf("columns = %+v", got.Columns)
		}
		for _, c := range got.Columns {
			if c.Type != want[c.Name] {
				t.Errorf("column %s type = %s, want %s (the table's)", c.Name, c.Type, want[c.Name])
			}
			if c.Original != strings.ToUpper(c.Name) {
				t.Errorf("column %s lost its original name: %q", c.Name, c.Original)
			}
		}
	})
	t.Run("file columns in another order take the table order", func(t *testing.T) {
		got, err := fitTable(inferred(col("note", warehouse.String, true), col("qty", warehouse.Int64, false), col("sku", warehouse.String, false)), table, refuse, "sales.csv")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got.Columns {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != "sku,qty,note" {
			t.Errorf("columns = %v, want sku,qty,note", names)
		}
	})
	t.Run("a new file column is invalid and named", func(t *testing.T) {
		_, err := fitTable(inferred(col("sku", warehouse.String, false), col("colour", warehouse.String, true)), table, refuse, "sales.csv")
		if !errs.Is(err, errs.Invalid) || !strings.Contains(fmt.Sprint(err), `"colour"`) || !strings.Contains(fmt.Sprint(err), `"COLOUR"`) {
			t.Errorf("err = %v, want invalid naming colour (and its original COLOUR)", err)
		}
	})
	t.Run("refuse names every new column and the way out", func(t *testing.T) {
		_, err := fitTable(inferred(col("sku", warehouse.String, false), col("colour", warehouse.String, true), col("size", warehouse.Int64, true)), table, refuse, "sales.csv")
		want := `sales.csv has new columns "colour" ("COLOUR"), "size" ("SIZE") that table raw_data.sales does not have, and this job refuses new columns: ` +
			`set the job's schema evolution to add_columns to add them as nullable columns, or load it with a new job`
		if !errs.Is(err, errs.Invalid) || errs.UserMessage(err) != want {
			t.Errorf("err = %q (%v), want invalid %q", errs.UserMessage(err), errs.KindOf(err), want)
		}
	})
	t.Run("add_columns keeps new columns after the table's, nullable, with their type", func(t *testing.T) {
		got, err := fitTable(inferred(col("size", warehouse.Int64, false), col("sku", warehouse.String, false), col("colour", warehouse.String, false)), table, add, "sales.csv")
		if err != nil {
			t.Fatal(err)
		}
		var desc []string
		for _, c := range got.Columns {
			desc = append(desc, fmt.Sprintf("%s:%s:%v", c.Name, c.Type, c.Nullable))
		}
		if want := "sku:STRING:false,size:INT64:true,colour:STRING:true"; strings.Join(desc, ",") != want {
			t.Errorf("columns = %s, want %s", strings.Join(desc, ","), want)
		}
		if added := newColumns(got, table); strings.Join(added, ",") != "size,colour" {
			t.Errorf("newColumns = %v, want size, colour", added)
		}
	})
	t.Run("a missing nullable table column is allowed", func(t *testing.T) {
		got, err := fitTable(inferred(col("sku", warehouse.String, false), col("qty", warehouse.Int64, false)), table, refuse, "sales.csv")
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if len(got.Columns) != 2 || got.Columns[0].Name != "sku" || got.Columns[1].Name != "qty" {
			t.Errorf("columns = %+v, want sku, qty", got.Columns)
		}
		if got.Columns[1].Nullable != true {
			t.Errorf("qty nullable = %v, want the table's true", got.Columns[1].Nullable)
		}
	})
	t.Run("a missing required column is invalid and named", func(t *testing.T) {
		_, err := fitTable(inferred(col("qty", warehouse.Int64, false), col("note", warehouse.String, true)), table, refuse, "sales.csv")
		if !errs.Is(err, errs.Invalid) || !strings.Contains(fmt.Sprint(err), `"sku"`) {
			t.Errorf("err = %v, want invalid naming sku", err)
		}
	})
}

func TestReadOptions(t *testing.T) {
	yes := true
	cases := []struct {
		name      string
		file      FileSource
		delimiter rune
	}{
		{"empty sniffs", FileSource{}, 0},
		{"comma", FileSource{Delimiter: ","}, ','},
		{"semicolon", FileSource{Delimiter: ";"}, ';'},
		{"literal backslash-t", FileSource{Delimiter: `\t`}, '\t'},
		{"real tab", FileSource{Delimiter: "\t"}, '\t'},
		{"pipe", FileSource{Delimiter: "|"}, '|'},
		{"multi-rune is ignored", FileSource{Delimiter: "ab"}, 0},
		{"non-ASCII single rune", FileSource{Delimiter: "¦"}, '¦'},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := readOptions(Job{File: c.file}).Delimiter; got != c.delimiter {
				t.Errorf("delimiter %q → %q, want %q", c.file.Delimiter, got, c.delimiter)
			}
		})
	}
	o := readOptions(Job{File: FileSource{Encoding: "latin-1", HasHeader: &yes}})
	if o.Encoding != "latin-1" || o.HasHeader == nil || !*o.HasHeader {
		t.Errorf("options = %+v, want encoding latin-1 and has_header true", o)
	}
	if o := readOptions(Job{}); o.HasHeader != nil {
		t.Errorf("HasHeader = %v, want nil (detect)", *o.HasHeader)
	}
}

func TestWarehouseMode(t *testing.T) {
	for in, want := range map[LoadMode]warehouse.Mode{
		Append: warehouse.Append, Truncate: warehouse.Truncate, Merge: warehouse.Merge,
		"": warehouse.Append, "upsert": warehouse.Append,
	} {
		if got := warehouseMode(in); got != want {
			t.Errorf("warehouseMode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitObjectAndDataColumns(t *testing.T) {
	for in, want := range map[string][2]string{
		"x.csv": {"", "x.csv"}, "a/x.csv": {"a", "x.csv"}, "a/b/x.csv": {"a/b", "x.csv"}, "a/": {"a", ""},
	} {
		if d, b := splitObject(in); d != want[0] || b != want[1] {
			t.Errorf("splitObject(%q) = %q, %q; want %q, %q", in, d, b, want[0], want[1])
		}
	}
	s := append(warehouse.Schema{{Name: "sku", Type: warehouse.String}}, lineageColumns()...)
	s = append(s, warehouse.Column{Name: "qty", Type: warehouse.Int64})
	got := dataColumns(s)
	if len(got) != 2 || got[0].Name != "sku" || got[1].Name != "qty" {
		t.Errorf("dataColumns = %+v, want sku, qty", got)
	}
}

func TestRunTerminal(t *testing.T) {
	for status, want := range map[RunStatus]bool{
		StatusPending: false, StatusRunning: false, StatusCompleted: true,
		StatusPartial: true, StatusFailed: true, StatusCancelled: true, "": false,
	} {
		if got := (Run{Status: status}).Terminal(); got != want {
			t.Errorf("Run{%q}.Terminal() = %v, want %v", status, got, want)
		}
	}
}

// TestRunStatusJSON: a status round-trips as the same string, and a value
// that is no status is refused when a run or a request is read.
func TestRunStatusJSON(t *testing.T) {
	for _, st := range runStatuses {
		b, err := json.Marshal(Run{Status: st})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"status":"`+string(st)+`"`) {
			t.Errorf("Run{%s} encodes as %s", st, b)
		}
		var back Run
		if err := json.Unmarshal(b, &back); err != nil || back.Status != st {
			t.Errorf("decode %s = %q, %v", st, back.Status, err)
		}
	}
	for _, bad := range []string{`{"status":"done"}`, `{"status":""}`, `{"status":3}`} {
		var r Run
		err := json.Unmarshal([]byte(bad), &r)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("decode %s = %v, want invalid", bad, err)
		}
	}
	if !StatusPartial.Valid() || RunStatus("done").Valid() || RunStatus("").Valid() {
		t.Error("Valid accepts a value that is not a status, or refuses one that is")
	}
}

// TestListRunsRefusesUnknownStatus: a filter on a status no run can have
// is a mistake the caller hears about, not an empty list.
func TestListRunsRefusesUnknownStatus(t *testing.T) {
	s := New(nil, nil, nil, nil)
	_, err := s.ListRuns(context.Background(), "t1", RunFilter{Status: "done"})
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "status" {
		t.Errorf("ListRuns(status done) = %v, want invalid on field status", err)
	}
}

// TestFinishedPhases: a finished run's progress phase is one of the
// Phase constants (the API's types list them).
func TestFinishedPhases(t *testing.T) {
	want := map[RunStatus]Phase{StatusCompleted: PhaseCompleted, StatusPartial: PhasePartial, StatusFailed: PhaseFailed, StatusCancelled: PhaseCancelled}
	for _, st := range runStatuses {
		if !st.Terminal() {
			continue
		}
		if got := finishedPhase(st); got != want[st] {
			t.Errorf("finishedPhase(%s) = %q, want %q", st, got, want[st])
		}
	}
}
