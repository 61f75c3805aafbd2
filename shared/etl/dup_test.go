package etl_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/cloudevents/sdk-go/v2/event"
)

// TestDuplicateRunRequestsConcurrently: the same run requested several
// times at once (a restart's resume plus the watcher's re-announcement,
// Pub/Sub redelivery) ends completed with its rows loaded once; a late
// duplicate never turns the finished run into a failed one.
func TestDuplicateRunRequestsConcurrently(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	job := e.putJob(etl.Job{ID: "j_dup", Name: "dup", File: etl.FileSource{Pattern: "dup.csv", Format: "csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "dup"}, LoadMode: etl.Append, Enabled: true})
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "dup.csv", []byte("a,b\n1,x\n2,y\n"), nil); err != nil {
		t.Fatal(err)
	}
	obj := &eventschemas.ObjectRef{Bucket: tenant + "-drop", Name: "dup.csv", Generation: e.objectGen("dup.csv"), Size: 12}
	run := etl.Run{ID: "r_dup", Tenant: tenant, JobID: job.ID, JobName: job.Name, Status: etl.StatusPending,
		Trigger: eventschemas.TriggerFileDrop, Object: obj, Dest: job.Dest, CreatedAt: time.Now().UTC()}
	if _, err := docstore.Put(ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindRun, ID: run.ID}, run, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		ev := event.New()
		ev.SetID(fmt.Sprintf("dup-%d", i))
		ev.SetType(eventschemas.TypeRunRequested)
		ev.SetSource("//test")
		_ = ev.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: job.ID, RunID: run.ID, Trigger: eventschemas.TriggerFileDrop, Object: obj})
		if err := e.bus.Publish(ctx, eventschemas.TopicRunRequested, ev); err != nil {
			t.Fatal(err)
		}
	}
	e.wait()
	got, err := e.p.ETL.GetRun(ctx, tenant, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != etl.StatusCompleted || got.RowsLoaded != 2 {
		t.Errorf("run = %s loaded %d (%s %s); want completed, 2", got.Status, got.RowsLoaded, got.ErrorType, got.ErrorMessage)
	}
	if n := e.rows("dup"); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
}
