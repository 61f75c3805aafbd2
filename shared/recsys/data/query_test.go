package data

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// TestReadQueryDuckDB reads the same lines through the real DuckDB
// warehouse as from the file, with typed columns (numbers, timestamps).
func TestReadQueryDuckDB(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(f, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, "duckdb://"+filepath.Join(dir, "wh.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	sql := "SELECT * FROM read_csv('" + f + "', header = true, auto_detect = true, ignore_errors = true)"
	q, qs, err := ReadQuery(ctx, wh, sql, nil, RetailColumns(), RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	c, cs, err := ReadFile(ctx, f, RetailColumns(), RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	if qs.Kept != cs.Kept || q.Len() != c.Len() {
		t.Fatalf("query kept %d (%v), file kept %d (%v)", qs.Kept, qs, cs.Kept, cs)
	}
	for k := 0; k < q.Len(); k++ {
		if q.Customers.Name(q.Cust[k]) != c.Customers.Name(c.Cust[k]) || q.Time[k] != c.Time[k] || q.Qty[k] != c.Qty[k] ||
			q.Products.Name(q.Prod[k]) != c.Products.Name(c.Prod[k]) {
			t.Fatalf("line %d differs: query %s/%s/%d, file %s/%s/%d", k, q.Customers.Name(q.Cust[k]), q.Products.Name(q.Prod[k]), q.Time[k],
				c.Customers.Name(c.Cust[k]), c.Products.Name(c.Prod[k]), c.Time[k])
		}
	}
	cols := RetailColumns()
	cols.Price = "Cost"
	if _, _, err := ReadQuery(ctx, wh, sql, nil, cols, RetailRules()); err == nil {
		t.Fatal("a missing column was accepted")
	}
}
