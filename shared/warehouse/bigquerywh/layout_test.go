package bigquerywh_test

import (
	"slices"
	"testing"

	bq "google.golang.org/api/bigquery/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// TestFakeLoadLayout: a load that creates its table asks BigQuery (the
// request fake) for time partitioning by day and clustering; a load into
// a table that exists does not (BigQuery refuses a partitioning that
// differs from the table's); merge and replace create the table with the
// layout too.
func TestFakeLoadLayout(t *testing.T) {
	f, d := setup(t)
	src := "gs://stage/run1/part-0.parquet"
	f.SetLoadRows(src, 3)
	lay := warehouse.Layout{PartitionBy: "at", ClusterBy: []string{"id", "unit price"}}
	load := func(table string, mode warehouse.Mode, more func(*warehouse.LoadRequest)) {
		t.Helper()
		req := warehouse.LoadRequest{Dataset: "raw_data", Table: table, Sources: []string{src}, Format: warehouse.Parquet,
			Mode: mode, Schema: lineage, Layout: lay}
		if more != nil {
			more(&req)
		}
		if _, err := d.Load(ctx(t), req); err != nil {
			t.Fatalf("load into %s: %v", table, err)
		}
	}
	wantLayout := func(what string, tp *bq.TimePartitioning, cl *bq.Clustering) {
		t.Helper()
		if tp == nil || tp.Type != "DAY" || tp.Field != "at" {
			t.Errorf("%s: time partitioning = %+v, want DAY on at", what, tp)
		}
		if cl == nil || !slices.Equal(cl.Fields, []string{"id", "unit price"}) {
			t.Errorf("%s: clustering = %+v, want [id, unit price]", what, cl)
		}
	}

	load("orders", warehouse.Append, nil)
	load("orders", warehouse.Append, nil)
	_, loads, _, _ := f.Recorded()
	if len(loads) != 2 {
		t.Fatalf("%d load jobs, want 2", len(loads))
	}
	wantLayout("first load (creates the table)", loads[0].TimePartitioning, loads[0].Clustering)
	if loads[1].TimePartitioning != nil || loads[1].Clustering != nil {
		t.Errorf("second load into the existing table asks for a layout: %+v %+v", loads[1].TimePartitioning, loads[1].Clustering)
	}
	tb, ok := f.Table("raw_data", "orders")
	if !ok {
		t.Fatal("table orders not created")
	}
	wantLayout("table orders", tb.TimePartitioning, tb.Clustering)

	load("by_file", warehouse.Replace, func(r *warehouse.LoadRequest) {
		r.ReplaceWhere = []warehouse.Param{{Name: "_b2b_source_file", Value: "a.csv"}}
	})
	load("merged", warehouse.Merge, func(r *warehouse.LoadRequest) { r.MergeKeys = []string{"id"} })
	for _, name := range []string{"by_file", "merged"} {
		tb, ok := f.Table("raw_data", name)
		if !ok {
			t.Fatalf("table %s not created", name)
		}
		wantLayout("table "+name, tb.TimePartitioning, tb.Clustering)
	}
}

// TestLayoutChecked: a layout must fit the schema the table is created
// from (the portable type refuses it before any request).
func TestLayoutChecked(t *testing.T) {
	f, d := setup(t)
	tests := []struct {
		name string
		lay  warehouse.Layout
	}{
		{"partition on a number", warehouse.Layout{PartitionBy: "id"}},
		{"partition on a missing column", warehouse.Layout{PartitionBy: "when"}},
		{"five clustering columns", warehouse.Layout{ClusterBy: []string{"id", "unit price", "at", "batch", "_b2b_source_file"}}},
		{"clustering column twice", warehouse.Layout{ClusterBy: []string{"id", "ID"}}},
		{"clustering on a missing column", warehouse.Layout{ClusterBy: []string{"nope"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Load(ctx(t), warehouse.LoadRequest{Dataset: "raw_data", Table: "x", Sources: []string{"gs://b/a.parquet"},
				Format: warehouse.Parquet, Schema: lineage, Layout: tc.lay})
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want invalid", err)
			}
		})
	}
	if _, loads, _, _ := f.Recorded(); len(loads) != 0 {
		t.Errorf("%d load jobs sent for refused layouts", len(loads))
	}
}
