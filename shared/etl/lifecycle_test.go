package etl_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// The run lifecycle: attempts counted when a run is claimed, the sweeper,
// dead letters, and leases renewed while a load runs.

// runClock is a clock the test moves.
type runClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *runClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *runClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// hookedWarehouse is the real warehouse with hooks: a method named in die
// panics, as if the worker died there (out of memory, killed), after
// counting the call; Load can be held until release is closed.
type hookedWarehouse struct {
	warehouse.Driver
	die       string
	deaths    atomic.Int32
	loads     atomic.Int32 // Load calls
	committed atomic.Int32 // loads that reached the warehouse
	hold      chan struct{}
	cancelled atomic.Bool // a held Load saw its context cancelled
}

func (w *hookedWarehouse) maybeDie(method string) {
	if w.die == method {
		w.deaths.Add(1)
		panic("worker died in " + method)
	}
}

func (w *hookedWarehouse) DescribeTable(ctx context.Context, dataset, table string) (warehouse.Table, error) {
	w.maybeDie("DescribeTable")
	return w.Driver.DescribeTable(ctx, dataset, table)
}

func (w *hookedWarehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	w.loads.Add(1)
	w.maybeDie("Load")
	if w.hold != nil {
		select {
		case <-w.hold:
		case <-ctx.Done():
			w.cancelled.Store(true)
			return warehouse.LoadResult{}, errs.Wrap(errs.Transient, ctx.Err(), "load cancelled")
		}
	}
	w.committed.Add(1)
	return w.Driver.Load(ctx, req)
}

type hookedResources struct {
	*platform.Resources
	wh *hookedWarehouse
}

func (r *hookedResources) Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error) {
	if r.wh.Driver == nil {
		w, err := r.Resources.Warehouse(ctx, tenant)
		if err != nil {
			return nil, err
		}
		r.wh.Driver = w.Driver
	}
	return &warehouse.Warehouse{Driver: r.wh}, nil
}

// lifeEnv is a local platform whose ETL service uses the hooked warehouse
// and the options given. Requests published on the bus are captured (and
// not handled, unless chain is set: then the handlers run as usual), so
// the test can deliver them itself.
type lifeEnv struct {
	t     *testing.T
	p     *platform.Platform
	bus   *membus.Bus
	svc   *etl.Service
	wh    *hookedWarehouse
	clock *runClock // nil with realClock

	mu   sync.Mutex
	sent map[string][]events.Event // by topic
}

type lifeOpts struct {
	chain     bool // run the handlers of the requests
	realClock bool // the system clock instead of a fake one
	bus       membus.Options
	etl       []etl.Option
}

const lifeTenant = "t_life"

func newLifeEnv(t *testing.T, wh *hookedWarehouse, o lifeOpts) *lifeEnv {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL",
		"B2B_STAGING_URL", "B2B_ARTIFACTS_URL", "B2B_DROP_BUCKET", "B2B_STAGING_BUCKET", "B2B_MODE", "B2B_TENANT_ID", "B2B_AUTH_MODE"} {
		t.Setenv(k, "")
	}
	log := slog.New(slog.DiscardHandler)
	busOpts := o.bus
	busOpts.Logger = log
	if busOpts.MinBackoff == 0 {
		busOpts.Concurrency, busOpts.MaxAttempts, busOpts.MinBackoff, busOpts.MaxBackoff = 2, 3, 5*time.Millisecond, 20*time.Millisecond
	}
	e := &lifeEnv{t: t, wh: wh, sent: map[string][]events.Event{}}
	e.bus = membus.New(busOpts)
	p, err := platform.Open(context.Background(), platform.FromEnv(), platform.Options{Bus: &events.Bus{Driver: e.bus}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	e.p = p
	opts := []etl.Option{etl.WithLogger(log)}
	if !o.realClock {
		e.clock = &runClock{now: time.Now().UTC()}
		opts = append(opts, etl.WithClock(e.clock.Now))
	}
	e.svc = etl.New(p.Store, e.bus, &hookedResources{Resources: p.Resources, wh: wh}, p.Validator, append(opts, o.etl...)...)
	handlers := map[string]events.Handler{
		eventschemas.TopicRunRequested:  e.svc.HandleRunRequested,
		eventschemas.TopicLoadRequested: e.svc.HandleLoadRequested,
		eventschemas.TopicRunFinished:   nil,
	}
	for topic, h := range handlers {
		if !o.chain {
			h = nil
		}
		if err := e.bus.Subscribe(topic, "capture", e.capture(topic, h)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// capture records every event published on topic, then runs h (if any).
func (e *lifeEnv) capture(topic string, h events.Handler) events.Handler {
	return func(ctx context.Context, ev events.Event) error {
		e.mu.Lock()
		e.sent[topic] = append(e.sent[topic], ev)
		e.mu.Unlock()
		if h == nil {
			return nil
		}
		return h(ctx, ev)
	}
}

// last returns the last event published on topic, once the bus is idle.
func (e *lifeEnv) last(topic string) events.Event {
	e.t.Helper()
	e.wait()
	return e.lastNoWait(topic)
}

// lastNoWait returns the last event published on topic so far.
func (e *lifeEnv) lastNoWait(topic string) events.Event {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	evs := e.sent[topic]
	if len(evs) == 0 {
		e.t.Fatalf("nothing was published on %s", topic)
	}
	return evs[len(evs)-1]
}

func (e *lifeEnv) count(topic string) int {
	e.wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sent[topic])
}

func (e *lifeEnv) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.bus.Wait(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// dropFile writes a 3-row file into the drop bucket, hands its storage
// event to the service, waits until the bus is idle and returns the run.
func (e *lifeEnv) dropFile(name string) etl.Run {
	e.t.Helper()
	e.dropFileAsync(name, nil)
	e.wait()
	return e.runOf(name)
}

// dropFileAsync is dropFile without waiting for the bus: it returns once
// until() holds (at once if nil).
func (e *lifeEnv) dropFileAsync(name string, until func() bool) etl.Run {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, lifeTenant, etl.BucketDrop)
	if err != nil {
		e.t.Fatal(err)
	}
	content := "sku,qty\nA,1\nB,2\nC,3\n"
	if err := b.WriteAll(ctx, name, []byte(content), nil); err != nil {
		e.t.Fatal(err)
	}
	a, err := b.Attributes(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := storageEvent(e.p.Resources.BucketName(lifeTenant, etl.BucketDrop), name, blobstore.Generation(a), content)
	if err := e.svc.HandleObjectFinalized(ctx, ev); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for until != nil && !until() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: the chain did not get where the test waits for", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e.runOf(name)
}

// runOf returns the run of an object.
func (e *lifeEnv) runOf(name string) etl.Run {
	e.t.Helper()
	runs, err := e.svc.ListRuns(context.Background(), lifeTenant, etl.RunFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range runs {
		if r.Object != nil && r.Object.Name == name {
			return r
		}
	}
	e.t.Fatalf("no run for %s", name)
	return etl.Run{}
}

func (e *lifeEnv) run(id string) etl.Run {
	e.t.Helper()
	r, err := e.svc.GetRun(context.Background(), lifeTenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// tableRows counts the rows of a table of the default dataset.
func (e *lifeEnv) tableRows(table string) int64 {
	e.t.Helper()
	w, err := e.p.Resources.Warehouse(context.Background(), lifeTenant)
	if err != nil {
		e.t.Fatal(err)
	}
	tb, err := w.DescribeTable(context.Background(), etl.DefaultDataset, table)
	if err != nil {
		e.t.Fatal(err)
	}
	return tb.NumRows
}

// deliver hands ev to h as one delivery would; a panic (the worker died)
// is reported, not propagated.
func deliver(h events.Handler, ev events.Event) (died bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			died = true
		}
	}()
	return false, h(context.Background(), ev)
}

// TestWorkerDeathFailsRunAtClaim: a run whose worker dies every time is
// failed when its attempts are spent, checked when a delivery claims it
// and before any work, so a poison file cannot kill worker after worker
// (nor the local platform at every start, as it resumes the run). Both
// halves of a run, and both ways a run comes back after a death: the
// local platform's restart (resume) and a redelivery once the lease has
// expired (the cloud).
func TestWorkerDeathFailsRunAtClaim(t *testing.T) {
	for _, half := range []struct {
		name, die, doing string
		errType          etl.Phase
	}{
		{"extract", "DescribeTable", "while checking the file", etl.PhaseValidation},
		{"load", "Load", "while loading the rows into the warehouse", etl.PhaseLoad},
	} {
		for _, comeback := range []string{"restart", "lease expired"} {
			t.Run(half.name+"/"+comeback, func(t *testing.T) {
				wh := &hookedWarehouse{die: half.die}
				e := newLifeEnv(t, wh, lifeOpts{})
				ctx := context.Background()
				run := e.dropFile("poison.csv")
				if half.name == "load" {
					// The extract half succeeds and requests the load.
					if died, err := deliver(e.svc.HandleRunRequested, e.last(eventschemas.TopicRunRequested)); died || err != nil {
						t.Fatalf("extract: died %v, err %v", died, err)
					}
				}
				request := func() events.Event {
					if half.name == "load" {
						return e.last(eventschemas.TopicLoadRequested)
					}
					return e.last(eventschemas.TopicRunRequested)
				}
				handler := e.svc.HandleRunRequested
				if half.name == "load" {
					handler = e.svc.HandleLoadRequested
				}
				comeBack := func() {
					switch comeback {
					case "restart":
						// A new process: the run is requested again at start.
						if _, err := e.svc.ResumeUnfinished(ctx, lifeTenant); err != nil {
							t.Fatal(err)
						}
						if half.name == "load" {
							if died, err := deliver(e.svc.HandleRunRequested, e.last(eventschemas.TopicRunRequested)); died || err != nil {
								t.Fatalf("resumed request: died %v, err %v", died, err)
							}
						}
					case "lease expired":
						// Within the lease the dead worker still holds the run.
						if _, err := deliver(handler, request()); !errs.Is(err, errs.Conflict) {
							t.Fatalf("redelivery within the lease: %v, want a conflict (the run is held)", err)
						}
						e.clock.Advance(etl.DefaultRunLease + time.Second)
					}
				}
				for attempt := 1; attempt <= etl.DefaultRunAttempts; attempt++ {
					if died, err := deliver(handler, request()); !died {
						t.Fatalf("attempt %d: the worker did not die (err %v)", attempt, err)
					}
					comeBack()
				}
				died, err := deliver(handler, request())
				if died || err != nil {
					t.Fatalf("delivery after the attempts are spent: died %v, err %v; want the run failed at claim", died, err)
				}
				if n := wh.deaths.Load(); n != etl.DefaultRunAttempts {
					t.Errorf("the work started %d times, want %d (never again once the attempts are spent)", n, etl.DefaultRunAttempts)
				}
				got := e.run(run.ID)
				want := fmt.Sprintf("could not be processed after %d attempts", etl.DefaultRunAttempts)
				if got.Status != etl.StatusFailed || !strings.Contains(got.ErrorMessage, want) || !strings.Contains(got.ErrorMessage, half.doing) || got.ErrorType != half.errType {
					t.Errorf("run = %s (%s) %q; want failed (%s) saying %q and %q", got.Status, got.ErrorType, got.ErrorMessage, half.errType, want, half.doing)
				}
				if e.count(eventschemas.TopicRunFinished) != 1 {
					t.Errorf("run.finished announced %d times, want 1", e.count(eventschemas.TopicRunFinished))
				}
				// Another start, or another redelivery, does no work either.
				if _, err := e.svc.ResumeUnfinished(ctx, lifeTenant); err != nil {
					t.Fatal(err)
				}
				if died, _ := deliver(handler, request()); died || wh.deaths.Load() != etl.DefaultRunAttempts {
					t.Errorf("a delivery after the run failed started the work again")
				}
			})
		}
	}
}

// TestSweeper: with an injectable clock, the sweeper leaves runs alone
// while their lease lasts, requests again a run whose lease expired with
// attempts left (or a pending run whose request was lost), and fails one
// whose attempts are spent, without starting its work.
func TestSweeper(t *testing.T) {
	ctx := context.Background()
	wh := &hookedWarehouse{die: "DescribeTable"}
	e := newLifeEnv(t, wh, lifeOpts{})
	run := e.dropFile("stuck.csv")

	// A pending run whose request was lost: swept once it is a lease old.
	if res, err := e.svc.Sweep(ctx, lifeTenant); err != nil || res != (etl.SweepResult{}) {
		t.Fatalf("sweep of a fresh run = %+v, %v; want nothing done", res, err)
	}
	requests := e.count(eventschemas.TopicRunRequested)
	e.clock.Advance(etl.DefaultRunLease + time.Second)
	if res, err := e.svc.Sweep(ctx, lifeTenant); err != nil || res != (etl.SweepResult{Requested: 1}) {
		t.Fatalf("sweep of a lost request = %+v, %v; want 1 requested", res, err)
	}
	if n := e.count(eventschemas.TopicRunRequested); n != requests+1 {
		t.Fatalf("requests = %d, want %d", n, requests+1)
	}
	// Requested again: the next sweep leaves it to that request.
	if res, _ := e.svc.Sweep(ctx, lifeTenant); res != (etl.SweepResult{}) {
		t.Fatalf("second sweep = %+v, want nothing done", res)
	}

	// The worker dies; the lease keeps the sweeper off until it expires.
	for attempt := 1; attempt <= etl.DefaultRunAttempts; attempt++ {
		if died, err := deliver(e.svc.HandleRunRequested, e.last(eventschemas.TopicRunRequested)); !died {
			t.Fatalf("attempt %d: the worker did not die (%v)", attempt, err)
		}
		if res, _ := e.svc.Sweep(ctx, lifeTenant); res != (etl.SweepResult{}) {
			t.Fatalf("sweep while the lease lasts = %+v, want nothing done", res)
		}
		e.clock.Advance(etl.DefaultRunLease + time.Second)
		want := etl.SweepResult{Requested: 1}
		if attempt == etl.DefaultRunAttempts {
			want = etl.SweepResult{Failed: 1}
		}
		if res, err := e.svc.Sweep(ctx, lifeTenant); err != nil || res != want {
			t.Fatalf("sweep after death %d = %+v, %v; want %+v", attempt, res, err, want)
		}
	}
	got := e.run(run.ID)
	if got.Status != etl.StatusFailed || !strings.Contains(got.ErrorMessage, "after 3 attempts") {
		t.Errorf("run = %s %q, want failed after 3 attempts", got.Status, got.ErrorMessage)
	}
	if n := wh.deaths.Load(); n != etl.DefaultRunAttempts {
		t.Errorf("work started %d times, want %d", n, etl.DefaultRunAttempts)
	}
	job, err := e.svc.GetJob(ctx, lifeTenant, got.JobID)
	if err != nil || job.LastRun == nil || job.LastRun.Status != etl.StatusFailed {
		t.Errorf("job's last run = %+v, %v; want the failed run", job.LastRun, err)
	}
	if res, _ := e.svc.Sweep(ctx, lifeTenant); res != (etl.SweepResult{}) {
		t.Errorf("sweep of a failed run = %+v, want nothing done", res)
	}
}

// TestSweeperJob: the schedule the platforms install publishes a valid
// SweepRequested for the tenant on the sweep topic.
func TestSweeperJob(t *testing.T) {
	j, err := etl.SweeperJob("acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if j.Name != etl.SweeperName || j.Cron != etl.DefaultSweepCron || j.Topic != eventschemas.TopicSweepRequested || j.EventType != eventschemas.TypeSweepRequested {
		t.Errorf("job = %+v", j)
	}
	v, err := eventschemas.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(j.EventType, j.Data); err != nil {
		t.Errorf("data %s: %v", j.Data, err)
	}
	if _, err := etl.SweeperJob("acme", "every minute"); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad cron: %v, want invalid", err)
	}
}

// TestDeadLetterFailsRun: a request the bus gives up on (here every
// delivery fails before the run is even claimed) lands with the dead-letter
// recorder, which fails the run with the reason and keeps the dead letter.
// A dead letter of a duplicate delivery, while another delivery holds the
// run, leaves the run alone.
func TestDeadLetterFailsRun(t *testing.T) {
	ctx := context.Background()
	var svc atomic.Pointer[etl.Service]
	recorded := make(chan error, 8)
	wh := &hookedWarehouse{}
	e := newLifeEnv(t, wh, lifeOpts{bus: membus.Options{
		Concurrency: 2, MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		OnDeadLetter: func(dl events.DeadLetter) { recorded <- svc.Load().RecordDeadLetter(ctx, dl) },
	}})
	svc.Store(e.svc)
	run := e.dropFile("orders.csv")
	runReq := e.last(eventschemas.TopicRunRequested)
	held := e.dropFile("held.csv")
	heldReq := e.last(eventschemas.TopicRunRequested)
	// A subscriber whose deliveries always fail (the platform cannot
	// reach its config store, say).
	failing := func(context.Context, events.Event) error { return errs.E(errs.Transient, "config store unavailable") }
	if err := e.bus.Subscribe(eventschemas.TopicRunRequested, "broken", failing); err != nil {
		t.Fatal(err)
	}
	if err := e.bus.Publish(ctx, eventschemas.TopicRunRequested, runReq); err != nil {
		t.Fatal(err)
	}
	e.wait()
	select {
	case err := <-recorded:
		if err != nil {
			t.Fatalf("RecordDeadLetter: %v", err)
		}
	default:
		t.Fatal("nothing was dead-lettered")
	}
	got := e.run(run.ID)
	if got.Status != etl.StatusFailed || !strings.Contains(got.ErrorMessage, "gave up after 3 tries") {
		t.Errorf("run = %s %q; want failed, naming the 3 tries", got.Status, got.ErrorMessage)
	}
	if strings.Contains(got.ErrorMessage, "config store unavailable") || strings.Contains(got.ErrorMessage, "etl:") {
		t.Errorf("the run's message shows the internal cause: %q", got.ErrorMessage)
	}
	dls, err := docstore.List[etl.DeadLetter](ctx, e.p.Store, docstore.Query{Tenant: lifeTenant, Kind: etl.KindDeadLetter})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %+v, %v; want 1", dls, err)
	}
	if dl := dls[0]; dl.RunID != run.ID || dl.Outcome != etl.DeadLetterRunFailed || dl.Attempts != 3 || dl.LastError == "" || dl.Subscriber != "broken" {
		t.Errorf("dead letter = %+v", dl)
	}

	// A duplicate's dead letter while another delivery holds the run.
	if _, err := docstore.Update(ctx, e.p.Store, docstore.Key{Tenant: lifeTenant, Kind: etl.KindRun, ID: held.ID}, func(r *etl.Run, _ bool) error {
		r.LeaseOwner, r.LeaseUntil = "live-delivery", ptrTime(e.clock.Now().Add(time.Minute))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordDeadLetter(ctx, events.DeadLetter{Topic: eventschemas.TopicRunRequested, Subscriber: "dup", Event: heldReq, Attempts: 5}); err != nil {
		t.Fatal(err)
	}
	if got := e.run(held.ID); got.Terminal() {
		t.Errorf("a held run was finished by a duplicate's dead letter: %s %q", got.Status, got.ErrorMessage)
	}
}

// TestSlowLoadKeepsItsLease: a load that outlasts the lease renews it
// while the warehouse job runs, so a redelivered load request finds the run
// held and does not start the load a second time: the rows are loaded once.
// Should another delivery take the run over anyway, the load is cancelled.
func TestSlowLoadKeepsItsLease(t *testing.T) {
	const lease = 300 * time.Millisecond
	for _, tc := range []string{"redelivery", "taken over"} {
		t.Run(tc, func(t *testing.T) {
			ctx := context.Background()
			wh := &hookedWarehouse{hold: make(chan struct{})}
			e := newLifeEnv(t, wh, lifeOpts{chain: true, realClock: true, etl: []etl.Option{etl.WithRunLease(lease)}})
			released := false
			release := func() {
				if !released {
					released = true
					close(wh.hold)
				}
			}
			defer release()
			// The first load is now held in the warehouse.
			run := e.dropFileAsync("big.csv", func() bool { return wh.loads.Load() == 1 })
			time.Sleep(3 * lease) // the lease would have expired twice over

			switch tc {
			case "redelivery":
				done := make(chan error, 1)
				go func() { done <- e.svc.HandleLoadRequested(ctx, e.lastNoWait(eventschemas.TopicLoadRequested)) }()
				select {
				case err := <-done:
					if !errs.Is(err, errs.Conflict) {
						t.Errorf("redelivered load request: %v, want a conflict (the run is held)", err)
					}
				case <-time.After(2 * time.Second):
					t.Errorf("the redelivered load request did not come back: it started a second load")
				}
				if n := wh.loads.Load(); n != 1 {
					t.Errorf("load jobs started = %d, want 1", n)
				}
				release()
				e.wait()
				got := e.run(run.ID)
				if got.Status != etl.StatusCompleted || got.RowsLoaded != 3 {
					t.Errorf("run = %s, %d rows (%s); want completed, 3", got.Status, got.RowsLoaded, got.ErrorMessage)
				}
				if n := e.tableRows("big"); n != 3 {
					t.Errorf("table rows = %d, want 3 (loaded once)", n)
				}
			case "taken over":
				if _, err := docstore.Update(ctx, e.p.Store, docstore.Key{Tenant: lifeTenant, Kind: etl.KindRun, ID: run.ID}, func(r *etl.Run, _ bool) error {
					r.LeaseOwner, r.LeaseUntil = "another-delivery", ptrTime(time.Now().Add(time.Hour))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(5 * time.Second)
				for !wh.cancelled.Load() && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if !wh.cancelled.Load() {
					t.Fatal("the load was not cancelled after its lease was taken")
				}
				e.wait()
				got := e.run(run.ID)
				if got.Terminal() || got.LeaseOwner != "another-delivery" || wh.committed.Load() != 0 {
					t.Errorf("run = %s held by %q, %d loads committed; want it left to the other delivery, nothing loaded",
						got.Status, got.LeaseOwner, wh.committed.Load())
				}
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
