package etl

import (
	"context"
	"slices"
	"testing"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
)

// TestLoadRequestLayout: a run's load carries the job's lineage choice and
// table layout; on BigQuery (the request fake) the load job that creates
// the table asks for time partitioning by day and clustering. A run whose
// columns took the types of an existing table (the partition column no
// longer a date) asks for no layout: the table keeps its own.
func TestLoadRequestLayout(t *testing.T) {
	off := false
	job := Job{ID: "j_1", LoadMode: Truncate, Dest: Dest{Dataset: "raw_data", Table: "sales", Lineage: &off,
		Partition: &TimePartition{Column: "invoiced_on", Granularity: PartitionDay}, ClusterBy: []string{"customer", ColRunID}}}
	run := Run{ID: "r_1", Schema: warehouse.Schema{{Name: "invoiced_on", Type: warehouse.Timestamp}, {Name: "customer", Type: warehouse.String}}}
	const uri = "gs://staging/runs/r_1/part-00000.parquet"
	req := loadRequest(job, run, []string{uri})
	if names := req.Schema.Names(); !slices.Equal(names, []string{"invoiced_on", "customer", ColRunID}) || req.Schema[0].Nullable != true {
		t.Errorf("schema = %+v, want the run's columns (nullable) and only %s", req.Schema, ColRunID)
	}
	if req.Layout.PartitionBy != "invoiced_on" || !slices.Equal(req.Layout.ClusterBy, []string{"customer", ColRunID}) || req.Mode != warehouse.Truncate {
		t.Errorf("request = %+v", req)
	}

	fake := bqfake.New(bqfake.Options{Project: "tenant-proj"})
	root, stop := fake.Start()
	t.Cleanup(func() {
		stop()
		for _, p := range fake.Problems() {
			t.Errorf("BigQuery fake: %s", p)
		}
	})
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, fake.DriverURL(root))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if err := wh.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	fake.SetLoadRows(uri, 2)
	if _, err := wh.Load(ctx, req); err != nil {
		t.Fatal(err)
	}
	_, loads, _, _ := fake.Recorded()
	if len(loads) != 1 {
		t.Fatalf("%d load jobs", len(loads))
	}
	tp, cl := loads[0].TimePartitioning, loads[0].Clustering
	if tp == nil || tp.Type != "DAY" || tp.Field != "invoiced_on" || cl == nil || !slices.Equal(cl.Fields, []string{"customer", ColRunID}) {
		t.Errorf("load job partitioning %+v, clustering %+v", tp, cl)
	}

	// The table's types won (invoiced_on is STRING there): no layout.
	run.Schema[0].Type = warehouse.String
	if req := loadRequest(job, run, []string{uri}); !req.Layout.IsZero() {
		t.Errorf("layout over an existing table's types = %+v, want none", req.Layout)
	}
	// A file run of an append job replaces the file's rows by lineage.
	job.LoadMode, job.Dest.Lineage = Append, nil
	run.Object = &eventschemas.ObjectRef{Name: "in/a.csv"}
	req = loadRequest(job, run, []string{uri})
	if req.Mode != warehouse.Replace || len(req.ReplaceWhere) != 1 || req.ReplaceWhere[0] != (warehouse.Param{Name: ColSourceFile, Value: "in/a.csv"}) ||
		!slices.Equal(req.Schema.Names()[2:], []string{ColSourceFile, ColRunID, ColLoadedAt}) {
		t.Errorf("append file load = %+v", req)
	}
}
