package etl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// TestLateTypeChangeWidensColumn: a column that looks numeric for more
// rows than the sample holds, then has a code, is loaded as STRING with no
// row rejected (the optimistic one-pass conversion falls back to a
// whole-file inference).
func TestLateTypeChangeWidensColumn(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("code,qty\n")
	const n = 60_000
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "%d,%d\n", 1000+i, i%7)
	}
	b.WriteString("X-99,3\n")
	r := e.drop("codes.csv", b.String())
	if r.Status != etl.StatusCompleted || r.RowsLoaded != n || r.RowsRejected != 0 {
		t.Fatalf("run = %s loaded %d rejected %d (%s)", r.Status, r.RowsLoaded, r.RowsRejected, r.ErrorMessage)
	}
	types := map[string]string{}
	for _, c := range r.Schema {
		types[c.Name] = string(c.Type)
	}
	if types["code"] != "STRING" || types["qty"] != "INT64" {
		t.Errorf("types = %v, want code STRING, qty INT64", types)
	}
	if got := e.query(`SELECT code FROM raw_data.codes WHERE qty = 3 AND code = 'X-99'`); len(got) != 1 {
		t.Errorf("the late code row is missing: %v", got)
	}
}

// TestSampleWithoutValuesInfersWholeFile: a column empty in the first rows
// is typed from the whole file, not guessed as STRING from the sample.
func TestSampleWithoutValuesInfersWholeFile(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("sku,discount\n")
	const n = 55_000
	for i := 0; i < n; i++ {
		if i < 52_000 {
			fmt.Fprintf(&b, "S%d,\n", i)
		} else {
			fmt.Fprintf(&b, "S%d,%d.5\n", i, i%10)
		}
	}
	r := e.drop("discounts.csv", b.String())
	if r.Status != etl.StatusCompleted || r.RowsLoaded != n {
		t.Fatalf("run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	for _, c := range r.Schema {
		if c.Name == "discount" && c.Type != "FLOAT64" {
			t.Errorf("discount type = %s, want FLOAT64", c.Type)
		}
	}
}
