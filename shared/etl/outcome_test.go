package etl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/cloudevents/sdk-go/v2/event"
)

// TestSupersedeIsAnOutcomeNotAnError: a run whose version was replaced
// ends as a skip that the caller reads from the outcome; no error (of any
// kind) comes back, so no error path can take it for a failure.
func TestSupersedeIsAnOutcomeNotAnError(t *testing.T) {
	ctx := context.Background()
	store := docstore.NewStore(memdoc.New())
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(store, nil, nil, nil, WithClock(func() time.Time { return now }))
	job := Job{ID: "j1", Tenant: "t1", Name: "orders", SourceType: SourceFile, Enabled: true}
	run := Run{ID: "r1", Tenant: "t1", JobID: "j1", Status: StatusRunning, StartedAt: ptr(now.Add(-time.Minute)),
		Object: &eventschemas.ObjectRef{Name: "orders.csv", Generation: "3"}}
	if _, err := docstore.Put(ctx, store, jobKey("t1", "j1"), job, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	if _, err := docstore.Put(ctx, store, docstore.Key{Tenant: "t1", Kind: KindRun, ID: "r1"}, run, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	out, err := s.supersede(ctx, &run, "5")
	if err != nil || out != skipped {
		t.Fatalf("supersede = %v, %v; want skipped, nil", out, err)
	}
	if run.Status != StatusCompleted || !strings.HasPrefix(run.SkippedReason, "superseded: orders.csv was replaced by a newer version (generation 5)") ||
		run.ErrorType != "" || run.Progress.Phase != Phase(StatusCompleted) {
		t.Errorf("run = %s %q (error type %q, phase %q)", run.Status, run.SkippedReason, run.ErrorType, run.Progress.Phase)
	}
	stored, err := s.GetJob(ctx, "t1", "j1")
	if err != nil || stored.LastRun == nil || stored.LastRun.Status != StatusCompleted {
		t.Errorf("job's last run = %+v, %v", stored.LastRun, err)
	}
}

// TestHandlerErrorsSayWhere: a handler's error names the handler for the
// logs and keeps its kind (and so its retry decision) and user message.
func TestHandlerErrorsSayWhere(t *testing.T) {
	s := New(docstore.NewStore(memdoc.New()), nil, nil, nil)
	e := event.New()
	e.SetID("e1")
	e.SetSource("//test")
	e.SetType(eventschemas.TypeRunRequested)
	if err := e.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: "t1", JobID: "j1", RunID: "r_missing", Trigger: eventschemas.TriggerManual}); err != nil {
		t.Fatal(err)
	}
	err := s.HandleRunRequested(context.Background(), e)
	if !errs.Is(err, errs.NotFound) || !strings.HasPrefix(err.Error(), "etl.HandleRunRequested: ") || errs.UserMessage(err) != errs.UserMessage(errs.E(errs.NotFound, "x")) {
		t.Errorf("HandleRunRequested(missing run) = %v (kind %v, user %q)", err, errs.KindOf(err), errs.UserMessage(err))
	}
}
