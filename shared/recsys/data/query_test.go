package data

import (
	"context"
	"database/sql"
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
	// The warehouse's queries cannot read host files: the table is made
	// from the file by a plain DuckDB before the warehouse opens it.
	path := filepath.Join(dir, "wh.duckdb")
	raw, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "CREATE TABLE orders AS SELECT * FROM read_csv(?, header = true, auto_detect = true, ignore_errors = true)", f); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	wh, err := warehouse.Open(ctx, "duckdb://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	stmt := "SELECT * FROM orders"
	q, qs, err := ReadQuery(ctx, wh, stmt, nil, RetailColumns(), RetailRules())
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
	if _, _, err := ReadQuery(ctx, wh, stmt, nil, cols, RetailRules()); err == nil {
		t.Fatal("a missing column was accepted")
	}
}
