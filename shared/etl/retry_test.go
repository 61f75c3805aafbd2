package etl_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/cloudevents/sdk-go/v2/event"
)

// faultyWarehouse fails loads on purpose: the first failBefore loads fail
// before reaching the warehouse; then the first real load commits but
// reports a transient error if failAfterCommit, as when a connection drops
// after the warehouse committed. loads counts the real loads.
type faultyWarehouse struct {
	warehouse.Driver
	failBefore      int32
	failAfterCommit bool
	calls, loads    atomic.Int32
}

func (f *faultyWarehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	if f.calls.Add(1) <= f.failBefore {
		return warehouse.LoadResult{}, errs.E(errs.Transient, "warehouse unavailable")
	}
	res, err := f.Driver.Load(ctx, req)
	if f.loads.Add(1) == 1 && err == nil && f.failAfterCommit {
		return warehouse.LoadResult{}, errs.E(errs.Transient, "connection reset after commit")
	}
	return res, err
}

// faultyResources hands out the faulty warehouse.
type faultyResources struct {
	*platform.Resources
	wh *faultyWarehouse
}

func (r *faultyResources) Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error) {
	if r.wh.Driver == nil {
		w, err := r.Resources.Warehouse(ctx, tenant)
		if err != nil {
			return nil, err
		}
		r.wh.Driver = w.Driver
	}
	return &warehouse.Warehouse{Driver: r.wh}, nil
}

// TestLoadRetryAfterCommitDoesNotDuplicate: the load job committed but the
// loader saw an error, so the bus retries the load request. The retry
// finds the run's rows in the table (lineage) and does not load again.
func TestLoadRetryAfterCommitDoesNotDuplicate(t *testing.T) {
	fw := &faultyWarehouse{failAfterCommit: true}
	r := runWithFaults(t, fw)
	if n := fw.loads.Load(); n != 1 {
		t.Errorf("load jobs = %d, want 1 (the retry must find the committed rows and not load again)", n)
	}
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 3 {
		t.Errorf("run = %s, %d rows loaded (%s); want completed, 3", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
}

// TestLoadHasAttemptsOfItsOwn: the load half gets its own attempts; two
// transient load failures after a successful extraction do not fail the
// run (they did when extract and load shared one counter).
func TestLoadHasAttemptsOfItsOwn(t *testing.T) {
	fw := &faultyWarehouse{failBefore: 2}
	r := runWithFaults(t, fw)
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 3 || r.Attempts != 1 || r.LoadAttempts != 3 {
		t.Errorf("run = %s, %d rows, attempts %d+%d (%s); want completed, 3 rows, 1 extract + 3 load attempts",
			r.Status, r.RowsLoaded, r.Attempts, r.LoadAttempts, r.ErrorMessage)
	}
}

// runWithFaults drops a 3-row file through a chain whose warehouse is fw
// and returns the finished run, after checking the table has 3 rows.
func runWithFaults(t *testing.T, fw *faultyWarehouse) etl.Run {
	t.Helper()
	ctx := context.Background()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	log := slog.New(slog.DiscardHandler)
	bus := membus.New(membus.Options{Concurrency: 2, MaxAttempts: 4, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: log})
	p, err := platform.Open(ctx, platform.FromEnv(), platform.Options{Bus: &events.Bus{Driver: bus}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res := &faultyResources{Resources: p.Resources, wh: fw}
	svc := etl.New(p.Store, bus, res, p.Validator, etl.WithLogger(log))
	for topic, h := range map[string]events.Handler{
		eventschemas.TopicObjectDropped: svc.HandleObjectFinalized,
		eventschemas.TopicRunRequested:  svc.HandleRunRequested,
		eventschemas.TopicLoadRequested: svc.HandleLoadRequested,
	} {
		if err := bus.Subscribe(topic, "h", h); err != nil {
			t.Fatal(err)
		}
	}
	const tenant = "t_retry"
	drop, err := p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	csv := "sku,qty\nA,1\nB,2\nC,3\n"
	if err := drop.WriteAll(ctx, "stock.csv", []byte(csv), nil); err != nil {
		t.Fatal(err)
	}
	attrs, err := drop.Attributes(ctx, "stock.csv")
	if err != nil {
		t.Fatal(err)
	}
	e := event.New()
	e.SetID("gcs-retry-1")
	e.SetType(eventschemas.TypeObjectFinalized)
	e.SetSource("//storage.googleapis.com/projects/_/buckets/" + tenant + "-drop")
	_ = e.SetData(event.ApplicationJSON, eventschemas.StorageObjectData{Bucket: tenant + "-drop", Name: "stock.csv", Generation: blobstore.Generation(attrs),
		Size: strconv.Itoa(len(csv)), TimeCreated: time.Now().UTC(), Updated: time.Now().UTC()})
	if err := bus.Publish(ctx, eventschemas.TopicObjectDropped, e); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := bus.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	runs, err := svc.ListRuns(ctx, tenant, etl.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	w, _ := p.Resources.Warehouse(ctx, tenant)
	tbl, err := w.DescribeTable(ctx, "raw_data", "stock")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.NumRows != 3 {
		t.Errorf("table rows = %d, want 3", tbl.NumRows)
	}
	return runs[0]
}
