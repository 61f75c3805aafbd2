package etl_test

import (
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// TestEmptyNewVersionRemovesFileRows: a new version of a file with only a
// header removes the old version's rows and leaves other files' rows.
func TestEmptyNewVersionRemovesFileRows(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_orders", Name: "orders", File: etl.FileSource{Pattern: "orders_*.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "orders"}, LoadMode: etl.Append, Enabled: true})
	e.drop("orders_1.csv", "sku,qty\nA,1\nB,2\n")
	e.drop("orders_2.csv", "sku,qty\nC,3\n")
	if n := e.rows("orders"); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
	r := e.drop("orders_1.csv", "sku,qty\n")
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 0 {
		t.Fatalf("empty version run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	if n := e.rows("orders"); n != 1 {
		t.Errorf("rows after an empty orders_1.csv = %d, want 1 (only orders_2.csv's)", n)
	}
}

// TestEmptySnapshotEmptiesTable: a truncate job's empty file is an empty
// snapshot.
func TestEmptySnapshotEmptiesTable(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_stock", Name: "stock", File: etl.FileSource{Pattern: "stock.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "stock"}, LoadMode: etl.Truncate, Enabled: true})
	e.drop("stock.csv", "sku,qty\nA,1\nB,2\n")
	if n := e.rows("stock"); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
	if r := e.drop("stock.csv", "sku,qty\n"); r.Status != etl.StatusCompleted {
		t.Fatalf("empty snapshot run = %s (%s)", r.Status, r.ErrorMessage)
	}
	if n := e.rows("stock"); n != 0 {
		t.Errorf("rows after an empty snapshot = %d, want 0", n)
	}
}
