package etl

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// A column added by schema evolution has, in a real DuckDB warehouse and
// in BigQuery (its request fake, which adds columns as BigQuery does), the
// type the warehouse gives that port type in a new table; adding it again
// (a retried load) changes nothing. On BigQuery, a load that brings the
// new columns is refused before they are added (as BigQuery refuses a
// load job that adds fields) and accepted after.
func TestAddColumnsEveryType(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (*warehouse.Warehouse, *bqfake.Fake)
	}{
		{"duckdb", func(t *testing.T) (*warehouse.Warehouse, *bqfake.Fake) {
			wh, err := warehouse.Open(context.Background(), "duckdb://:memory:")
			if err != nil {
				t.Fatal(err)
			}
			return wh, nil
		}},
		{"bigquery", func(t *testing.T) (*warehouse.Warehouse, *bqfake.Fake) {
			fake := bqfake.New(bqfake.Options{Project: "tenant-proj", RunStatements: true})
			root, stop := fake.Start()
			t.Cleanup(func() {
				stop()
				for _, p := range fake.Problems() {
					t.Errorf("BigQuery fake: %s", p)
				}
			})
			wh, err := warehouse.Open(context.Background(), fake.DriverURL(root))
			if err != nil {
				t.Fatal(err)
			}
			return wh, fake
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh, fake := tc.open(t)
			defer wh.Close()
			testAddColumnsEveryType(t, wh, fake)
		})
	}
}

func testAddColumnsEveryType(t *testing.T, wh *warehouse.Warehouse, fake *bqfake.Fake) {
	ctx := context.Background()
	if err := wh.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	if err := wh.CreateTable(ctx, "raw_data", "t", warehouse.Schema{{Name: "id", Type: warehouse.Int64, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	types := []warehouse.Type{warehouse.String, warehouse.Int64, warehouse.Float64, warehouse.Numeric, warehouse.Bool, warehouse.Date,
		warehouse.Timestamp, warehouse.DateTime, warehouse.Time, warehouse.JSON, warehouse.Bytes}
	run := Run{ID: "r_1", Schema: warehouse.Schema{{Name: "id", Type: warehouse.Int64, Nullable: true}}}
	for _, typ := range types {
		name := "c_" + string(typ)
		run.Schema = append(run.Schema, warehouse.Column{Name: name, Type: typ, Nullable: true})
		run.AddedColumns = append(run.AddedColumns, name)
	}
	load := func() error {
		const uri = "gs://staging/runs/r_1/part-0.parquet"
		fake.SetLoadRows(uri, 3)
		_, err := wh.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "t", Sources: []string{uri},
			Format: warehouse.Parquet, Schema: run.Schema, Mode: warehouse.Append})
		return err
	}
	if fake != nil {
		err := load()
		if err == nil || !strings.Contains(err.Error(), "Cannot add fields") {
			t.Fatalf("load bringing new columns before they are added: err = %v, want BigQuery's refusal", err)
		}
	}
	s := &Service{log: slog.New(slog.DiscardHandler)}
	for range 2 {
		if err := s.addColumns(ctx, wh, Dest{Dataset: "raw_data", Table: "t"}, run); err != nil {
			t.Fatal(err)
		}
	}
	if fake != nil {
		if err := load(); err != nil {
			t.Fatalf("load after the columns were added: %v", err)
		}
		if n, _ := fake.TableRows("raw_data", "t"); n != 3 {
			t.Fatalf("table rows after the load = %d, want 3", n)
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
