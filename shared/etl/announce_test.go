package etl_test

import (
	"context"
	"sync"
	"testing"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/cloudevents/sdk-go/v2/event"
)

// TestRedeliveryReannouncesFinishedRun: a run-requested or load-requested
// event delivered again after the run finished announces the run again
// (the first announcement may have been lost with the delivery that
// finished it), under the same event id, without touching the run.
func TestRedeliveryReannouncesFinishedRun(t *testing.T) {
	var mu sync.Mutex
	var finished []events.Event
	e := newEnv(t)
	if err := e.bus.Subscribe(eventschemas.TopicRunFinished, "watch", func(_ context.Context, ev events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		finished = append(finished, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := e.drop("items.csv", "sku\nA1\nB2\n")
	e.wait()
	count := func() (int, string) {
		mu.Lock()
		defer mu.Unlock()
		id := ""
		for _, ev := range finished {
			if id != "" && ev.ID() != id {
				t.Errorf("announcements with different ids %s and %s", id, ev.ID())
			}
			id = ev.ID()
		}
		return len(finished), id
	}
	if n, _ := count(); n != 1 {
		t.Fatalf("announcements after the run = %d, want 1", n)
	}
	ctx := context.Background()
	for i, topic := range []string{eventschemas.TopicRunRequested, eventschemas.TopicLoadRequested} {
		ev := event.New()
		ev.SetID("redelivered-" + topic)
		ev.SetSource("//test")
		if topic == eventschemas.TopicRunRequested {
			ev.SetType(eventschemas.TypeRunRequested)
			_ = ev.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: r.JobID, RunID: r.ID, Trigger: eventschemas.TriggerFileDrop, Object: r.Object})
		} else {
			ev.SetType(eventschemas.TypeLoadRequested)
			_ = ev.SetData(event.ApplicationJSON, eventschemas.LoadRequested{Tenant: tenant, JobID: r.JobID, RunID: r.ID, Parts: []string{"file:///nowhere/part-0.parquet"}})
		}
		if err := e.bus.Publish(ctx, topic, ev); err != nil {
			t.Fatal(err)
		}
		e.wait()
		if n, _ := count(); n != i+2 {
			t.Errorf("after a redelivered %s: %d announcements, want %d", topic, n, i+2)
		}
	}
	got, err := e.p.ETL.GetRun(ctx, tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != etl.StatusCompleted || got.RowsLoaded != 2 || e.rows("items") != 2 {
		t.Errorf("run = %s, %d rows; table %d rows; want completed, 2, 2", got.Status, got.RowsLoaded, e.rows("items"))
	}
}
