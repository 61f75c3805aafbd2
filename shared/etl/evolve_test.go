package etl

import (
	"context"
	"log/slog"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// A column added by schema evolution has, in a real DuckDB warehouse,
// the type the warehouse gives that port type in a new table; adding it
// again (a retried load) changes nothing. BigQuery takes the port's type
// names as they are.
func TestAddColumnsEveryType(t *testing.T) {
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, "duckdb://:memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if err := wh.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateTable(ctx, "raw_data", "t", warehouse.Schema{{Name: "id", Type: warehouse.Int64, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	types := []warehouse.Type{warehouse.String, warehouse.Int64, warehouse.Float64, warehouse.Numeric, warehouse.Bool, warehouse.Date,
		warehouse.Timestamp, warehouse.DateTime, warehouse.Time, warehouse.JSON, warehouse.Bytes}
	run := Run{ID: "r_1", Schema: warehouse.Schema{{Name: "id", Type: warehouse.Int64}}}
	for _, typ := range types {
		name := "c_" + string(typ)
		run.Schema = append(run.Schema, warehouse.Column{Name: name, Type: typ, Nullable: true})
		run.AddedColumns = append(run.AddedColumns, name)
	}
	s := &Service{log: slog.New(slog.DiscardHandler)}
	for range 2 {
		if err := s.addColumns(ctx, wh, Dest{Dataset: "raw_data", Table: "t"}, run); err != nil {
			t.Fatal(err)
		}
	}
	// The reference: the same columns in a table the warehouse creates.
	if err := wh.CreateTable(ctx, "raw_data", "ref", run.Schema); err != nil {
		t.Fatal(err)
	}
	tb, err := wh.DescribeTable(ctx, "raw_data", "t")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := wh.DescribeTable(ctx, "raw_data", "ref")
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Schema) != len(types)+1 {
		t.Fatalf("schema = %v", tb.Schema)
	}
	for _, c := range run.Schema[1:] {
		got, ok := tb.Schema.Lookup(c.Name)
		want, _ := ref.Schema.Lookup(c.Name)
		if !ok || got.Type != want.Type || !got.Nullable {
			t.Errorf("column %s = %+v (found %v), want %s nullable as in a new table", c.Name, got, ok, want.Type)
		}
	}
}
