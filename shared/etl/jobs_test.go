package etl_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/localcron"
)

// fakeClock is a manual clock for the local cron: timers fire when Set
// moves time past them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) localcron.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
	} else {
		c.timers[t] = true
	}
	return t
}

func (c *fakeClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	for t := range c.timers {
		if !t.at.After(now) {
			t.ch <- now
			delete(c.timers, t)
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.c.timers[t]
	delete(t.c.timers, t)
	return was
}

// cronEnv is env with the local cron on a fake clock, publishing on the bus.
type cronEnv struct {
	*env
	clk   *fakeClock
	sched *scheduler.Scheduler
}

// start is a Monday, 10:20 UTC.
var start = time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)

func newCronEnv(t *testing.T) *cronEnv {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL",
		"B2B_STAGING_URL", "B2B_ARTIFACTS_URL", "B2B_DROP_BUCKET", "B2B_STAGING_BUCKET", "B2B_MODE", "B2B_TENANT_ID", "B2B_AUTH_MODE", "B2B_SCHEDULER_URL"} {
		t.Setenv(k, "")
	}
	log := slog.New(slog.DiscardHandler)
	bus := membus.New(membus.Options{Concurrency: 2, MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: log})
	clk := &fakeClock{now: start, timers: map[*fakeTimer]bool{}}
	sched := &scheduler.Scheduler{Driver: localcron.New(bus, localcron.Options{Clock: clk, Logger: log})}
	p, err := platform.Open(context.Background(), platform.FromEnv(), platform.Options{Bus: &events.Bus{Driver: bus}, Scheduler: sched, Logger: log})
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for topic, h := range map[string]events.Handler{
		eventschemas.TopicObjectDropped: p.ETL.HandleObjectFinalized,
		eventschemas.TopicRunRequested:  p.ETL.HandleRunRequested,
		eventschemas.TopicLoadRequested: p.ETL.HandleLoadRequested,
	} {
		if err := bus.Subscribe(topic, topic+"-handler", h); err != nil {
			t.Fatal(err)
		}
	}
	return &cronEnv{env: &env{t: t, p: p, bus: bus}, clk: clk, sched: sched}
}

func (e *cronEnv) list(tn string) []scheduler.Status {
	e.t.Helper()
	st, err := e.sched.List(context.Background(), tn)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// waitNext waits until the tenant's only scheduler job's next fire is at.
func (e *cronEnv) waitNext(at time.Time) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st := e.list(tenant); len(st) == 1 && st[0].Next.Equal(at) {
			time.Sleep(20 * time.Millisecond) // the fire is published right after
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("scheduler next fire is not %v after 20s: %+v", at, e.list(tenant))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitRuns waits until the job has n terminal runs (the cron publishes
// asynchronously after the clock moves), then for the bus to be idle.
func (e *cronEnv) waitRuns(jobID string, n int) []etl.Run {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{JobID: jobID})
		if err != nil {
			e.t.Fatal(err)
		}
		done := 0
		for _, r := range runs {
			if r.Terminal() {
				done++
			}
		}
		if done >= n {
			e.wait()
			if runs, err = e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{JobID: jobID}); err != nil {
				e.t.Fatal(err)
			}
			return runs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s: %d terminal runs of %d after 20s: %+v", jobID, done, n, runs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func intp(n int) *int { return &n }

func ordersJob(sched *schedule.Spec) etl.NewJob {
	return etl.NewJob{Name: "Orders", File: etl.FileSource{Pattern: "orders_*.csv"}, Dest: etl.Dest{Table: "orders"}, Schedule: sched}
}

// TestScheduledJobEndToEnd: a file job with a schedule is fired by the
// local cron, the tick loads the job's file; a paused job does not fire; a
// resumed one fires again (unchanged files start no run, a new one is loaded); a deleted job's
// schedule is gone.
func TestScheduledJobEndToEnd(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	drop, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	e.write(drop, "orders_1.csv", "order_id,sku,qty\n1,A1,2\n2,B2,1\n3,A1,5\n")

	view, err := e.p.ETL.CreateJob(ctx, tenant, ordersJob(&schedule.Spec{Type: "hourly", Minute: intp(30)}))
	if err != nil {
		t.Fatal(err)
	}
	if view.Schedule.Cron != "30 * * * *" || view.Schedule.Label != "Hourly at :30" || view.Schedule.Paused || !view.Enabled {
		t.Errorf("view schedule = %+v enabled %v", view.Schedule, view.Enabled)
	}
	if view.Job.Schedule == nil || view.Job.Schedule.Type != schedule.Hourly || *view.Job.Schedule.Minute != 30 || view.Job.Schedule.TimeZone != "UTC" {
		t.Errorf("job.schedule = %+v", view.Job.Schedule)
	}
	// Stored once: in the job, with no schedule document beside it.
	if _, _, err := docstore.Get[map[string]any](ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindSchedule, ID: view.ID}); !errs.Is(err, errs.NotFound) {
		t.Errorf("schedule document of a new job: %v, want not found", err)
	}
	st := e.list(tenant)
	if len(st) != 1 || st[0].Name != etl.SchedulerJobName(view.ID) || st[0].Topic != eventschemas.TopicRunRequested ||
		st[0].EventType != eventschemas.TypeRunRequested || !st[0].Next.Equal(start.Add(10*time.Minute)) {
		t.Fatalf("scheduler jobs = %+v", st)
	}
	if runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{}); len(runs) != 0 {
		t.Fatalf("runs before the fire = %d", len(runs))
	}

	e.clk.Set(start.Add(10 * time.Minute)) // 10:30: the cron fires
	runs := e.waitRuns(view.ID, 1)
	if len(runs) != 1 {
		t.Fatalf("runs = %d, want 1", len(runs))
	}
	r := runs[0]
	if r.Status != etl.StatusCompleted || r.Trigger != eventschemas.TriggerSchedule || r.RowsLoaded != 3 || r.Object == nil || r.Object.Name != "orders_1.csv" {
		t.Fatalf("run = status %s trigger %s rows %d object %+v (%s)", r.Status, r.Trigger, r.RowsLoaded, r.Object, r.ErrorMessage)
	}
	if n := e.rows("orders"); n != 3 {
		t.Errorf("orders rows = %d, want 3", n)
	}

	// Paused: the schedule stays but does not fire.
	pv, err := e.p.ETL.PauseJob(ctx, tenant, view.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Enabled || !pv.Schedule.Paused || len(pv.NextRuns) != 0 {
		t.Errorf("paused view = enabled %v paused %v next %v", pv.Enabled, pv.Schedule.Paused, pv.NextRuns)
	}
	if st := e.list(tenant); len(st) != 1 || !st[0].Paused || !st[0].Next.IsZero() {
		t.Fatalf("paused scheduler job = %+v", st)
	}
	e.clk.Set(start.Add(70 * time.Minute)) // 11:30 passes
	e.wait()
	if runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{}); len(runs) != 1 {
		t.Fatalf("runs while paused = %d, want 1", len(runs))
	}

	// Resumed: fires at 12:30; the file is unchanged, so the run is skipped.
	rv, err := e.p.ETL.ResumeJob(ctx, tenant, view.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rv.Enabled || rv.Schedule.Paused || len(rv.NextRuns) != etl.NextRunsShown {
		t.Errorf("resumed view = enabled %v paused %v next %v", rv.Enabled, rv.Schedule.Paused, rv.NextRuns)
	}
	if st := e.list(tenant); len(st) != 1 || st[0].Paused || !st[0].Next.Equal(start.Add(130*time.Minute)) {
		t.Fatalf("resumed scheduler job = %+v", st)
	}
	e.clk.Set(start.Add(130 * time.Minute))
	// The cron fires asynchronously: wait until it has taken the 12:30
	// fire (its next fire moved on), so that the fire is not handled
	// late, after the new file below is written.
	e.waitNext(start.Add(190 * time.Minute))
	e.wait()
	if runs, _ := e.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{}); len(runs) != 1 {
		t.Fatalf("runs after a fire with nothing new = %d, want 1 (no run for unchanged files)", len(runs))
	}
	// A new file is loaded by the next fire.
	e.write(drop, "orders_2.csv", "order_id,sku,qty\n4,C3,1\n")
	e.clk.Set(start.Add(190 * time.Minute))
	runs = e.waitRuns(view.ID, 2)
	if len(runs) != 2 || runs[0].Trigger != eventschemas.TriggerSchedule || runs[0].RowsLoaded != 1 || runs[0].Object.Name != "orders_2.csv" {
		t.Fatalf("runs after resume = %+v", runs)
	}
	if n := e.rows("orders"); n != 4 {
		t.Errorf("orders rows after the new file = %d, want 4", n)
	}

	// Deleted: the schedule is gone from the scheduler and the store.
	if err := e.p.ETL.DeleteJob(ctx, tenant, view.ID); err != nil {
		t.Fatal(err)
	}
	if st := e.list(tenant); len(st) != 0 {
		t.Fatalf("scheduler jobs after delete = %+v", st)
	}
	if _, err := e.p.ETL.GetJobView(ctx, tenant, view.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("GetJobView after delete = %v, want not found", err)
	}
	if _, _, err := docstore.Get[map[string]any](ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindSchedule, ID: view.ID}); !errs.Is(err, errs.NotFound) {
		t.Errorf("schedule doc after delete: %v, want not found", err)
	}
}

func TestCreateJobValidation(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	valid := func(mod func(*etl.NewJob)) etl.NewJob {
		in := etl.NewJob{Name: "Items", File: etl.FileSource{Pattern: "items_*.csv"}, Dest: etl.Dest{Table: "items"}}
		mod(&in)
		return in
	}
	tests := []struct {
		name  string
		in    etl.NewJob
		field string
	}{
		{"no name", valid(func(j *etl.NewJob) { j.Name = "  " }), "name:"},
		{"long name", valid(func(j *etl.NewJob) { j.Name = strings.Repeat("n", 101) }), "name:"},
		{"no pattern", valid(func(j *etl.NewJob) { j.File.Pattern = "" }), "file.pattern:"},
		{"bad glob", valid(func(j *etl.NewJob) { j.File.Pattern = "items_[.csv" }), "file.pattern:"},
		{"path pattern", valid(func(j *etl.NewJob) { j.File.Pattern = "a/*.csv" }), "file.pattern:"},
		{"dotdot prefix", valid(func(j *etl.NewJob) { j.File.Prefix = "../etc" }), "file.prefix:"},
		{"format", valid(func(j *etl.NewJob) { j.File.Format = "xlsx" }), "file.format:"},
		{"table name", valid(func(j *etl.NewJob) { j.Dest.Table = "Order Lines" }), "dest.table:"},
		{"dataset name", valid(func(j *etl.NewJob) { j.Dest.Dataset = "raw-data" }), "dest.dataset:"},
		{"load mode", valid(func(j *etl.NewJob) { j.LoadMode = "upsert" }), "load_mode:"},
		{"merge without keys", valid(func(j *etl.NewJob) { j.LoadMode = etl.Merge }), "merge_keys:"},
		{"bad merge key", valid(func(j *etl.NewJob) { j.LoadMode, j.MergeKeys = etl.Merge, []string{"Order ID"} }), "merge_keys:"},
		{"keys without merge", valid(func(j *etl.NewJob) { j.MergeKeys = []string{"id"} }), "merge_keys:"},
		{"schedule", valid(func(j *etl.NewJob) { j.Schedule = &schedule.Spec{Type: "daily", Time: "25:00"} }), "schedule.time:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.p.ETL.CreateJob(ctx, tenant, tc.in)
			if !errs.Is(err, errs.Invalid) || !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("err = %v, want invalid starting %q", err, tc.field)
			}
		})
	}
	if jobs := e.jobs(); len(jobs) != 0 {
		t.Fatalf("jobs after refusals = %d", len(jobs))
	}

	v, err := e.p.ETL.CreateJob(ctx, tenant, valid(func(j *etl.NewJob) {
		j.Dest.Table, j.LoadMode, j.MergeKeys, j.File.Prefix = "", etl.Merge, []string{"sku"}, "/exports/daily/"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Dest, etl.Dest{Dataset: etl.DefaultDataset, Table: "items"}) || v.LoadMode != etl.Merge || v.File.Prefix != "exports/daily" ||
		v.SourceType != "file" || v.AutoCreated || !v.Enabled || v.Schedule.Label != "Manual" || v.Job.Schedule != nil || len(v.NextRuns) != 0 {
		t.Errorf("created = %+v", v)
	}
	if _, err := e.p.ETL.CreateJob(ctx, tenant, valid(func(j *etl.NewJob) { j.Name = " items " })); !errs.Is(err, errs.Conflict) || !strings.HasPrefix(err.Error(), "name:") {
		t.Errorf("duplicate name: %v, want conflict naming name", err)
	}
	// Another tenant may use the name.
	if _, err := e.p.ETL.CreateJob(ctx, "other", valid(func(*etl.NewJob) {})); err != nil {
		t.Errorf("same name in another tenant: %v", err)
	}
}

func TestUpdateJob(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	v, err := e.p.ETL.CreateJob(ctx, tenant, ordersJob(nil))
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Items", File: etl.FileSource{Pattern: "items.csv"}})
	if err != nil {
		t.Fatal(err)
	}
	name, pat := "Order lines", "lines_*.csv"
	u, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{
		Name: &name, Pattern: &pat, Schedule: &schedule.Spec{Type: "weekly", DayOfWeek: "fri", Time: "07:45", TimeZone: "Europe/Warsaw"},
		Dest: &etl.Dest{Table: "order_lines"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != name || u.File.Pattern != pat || u.Dest.Table != "order_lines" || u.Schedule.Cron != "45 7 * * 5" ||
		u.Schedule.Label != "Weekly Fri 07:45 Europe/Warsaw" || len(u.NextRuns) != 3 {
		t.Fatalf("updated = %+v", u)
	}
	if st := e.list(tenant); len(st) != 1 || st[0].Cron != "45 7 * * 5" || st[0].TimeZone != "Europe/Warsaw" {
		t.Fatalf("scheduler = %+v", st)
	}
	got, err := e.p.ETL.GetJobView(ctx, tenant, v.ID)
	if err != nil || got.Name != name || got.Schedule.Spec.DayOfWeek != "fri" || got.Schedule.Spec.Time != "07:45" {
		t.Fatalf("GetJobView = %+v, %v", got, err)
	}
	// Back to manual: the scheduler job goes.
	if u, err = e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{Schedule: &schedule.Spec{Type: "manual"}}); err != nil || u.Schedule.Cron != "" || u.Job.Schedule != nil {
		t.Fatalf("to manual = %+v, %v", u.Schedule, err)
	}
	if st := e.list(tenant); len(st) != 0 {
		t.Fatalf("scheduler after manual = %+v", st)
	}
	taken := "ITEMS"
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{Name: &taken}); !errs.Is(err, errs.Conflict) {
		t.Errorf("rename to a taken name: %v, want conflict", err)
	}
	same := "Items"
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, other.ID, etl.JobPatch{Name: &same}); err != nil {
		t.Errorf("keeping its own name: %v", err)
	}
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{Schedule: &schedule.Spec{Type: "hourly", Minute: intp(99)}}); !errs.Is(err, errs.Invalid) || !strings.HasPrefix(err.Error(), "schedule.minute:") {
		t.Errorf("bad schedule: %v", err)
	}

	// Once a run exists, destination and load mode are read-only.
	e.putRun(etl.Run{ID: "r_done", JobID: v.ID, Status: etl.StatusCompleted})
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{Dest: &etl.Dest{Table: "elsewhere"}}); !errs.Is(err, errs.Conflict) {
		t.Errorf("dest change after a run: %v, want conflict", err)
	}
	trunc := etl.Truncate
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{LoadMode: &trunc}); !errs.Is(err, errs.Conflict) {
		t.Errorf("load mode change after a run: %v, want conflict", err)
	}
	// The same destination again is not a change.
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, v.ID, etl.JobPatch{Dest: &etl.Dest{Dataset: "raw_data", Table: "order_lines"}}); err != nil {
		t.Errorf("unchanged dest after a run: %v", err)
	}
}

func (e *env) putRun(r etl.Run) {
	e.t.Helper()
	r.Tenant = tenant
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	if _, err := docstore.Put(context.Background(), e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindRun, ID: r.ID}, r, docstore.Any); err != nil {
		e.t.Fatal(err)
	}
}

func TestDeleteJobRefusesRunningRun(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	v, err := e.p.ETL.CreateJob(ctx, tenant, ordersJob(&schedule.Spec{Type: "daily", Time: "02:00"}))
	if err != nil {
		t.Fatal(err)
	}
	e.putRun(etl.Run{ID: "r_busy", JobID: v.ID, Status: etl.StatusRunning})
	if err := e.p.ETL.DeleteJob(ctx, tenant, v.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("delete with a running run: %v, want conflict", err)
	}
	if st := e.list(tenant); len(st) != 1 {
		t.Fatalf("schedule removed by a refused delete: %+v", st)
	}
	e.putRun(etl.Run{ID: "r_busy", JobID: v.ID, Status: etl.StatusFailed})
	if err := e.p.ETL.DeleteJob(ctx, tenant, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.p.ETL.DeleteJob(ctx, tenant, v.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("second delete: %v, want not found", err)
	}
}

// TestJobsTenantScoped: another tenant's job is not found by any method.
func TestJobsTenantScoped(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	v, err := e.p.ETL.CreateJob(ctx, tenant, ordersJob(&schedule.Spec{Type: "daily", Time: "02:00"}))
	if err != nil {
		t.Fatal(err)
	}
	name := "stolen"
	calls := map[string]func() error{
		"GetJobView": func() error { _, err := e.p.ETL.GetJobView(ctx, "other", v.ID); return err },
		"UpdateJob":  func() error { _, err := e.p.ETL.UpdateJob(ctx, "other", v.ID, etl.JobPatch{Name: &name}); return err },
		"PauseJob":   func() error { _, err := e.p.ETL.PauseJob(ctx, "other", v.ID); return err },
		"ResumeJob":  func() error { _, err := e.p.ETL.ResumeJob(ctx, "other", v.ID); return err },
		"DeleteJob":  func() error { return e.p.ETL.DeleteJob(ctx, "other", v.ID) },
	}
	for n, call := range calls {
		if err := call(); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s from another tenant: %v, want not found", n, err)
		}
	}
	if got, err := e.p.ETL.GetJobView(ctx, tenant, v.ID); err != nil || got.Name != "Orders" || !got.Enabled {
		t.Errorf("job after the other tenant's calls = %+v, %v", got, err)
	}
	if st := e.list("other"); len(st) != 0 {
		t.Errorf("other tenant's scheduler jobs = %+v", st)
	}
}

// TestSyncSchedules: the scheduler is made to match the stored schedules:
// missing jobs are added (paused ones paused), strays removed.
func TestSyncSchedules(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	a, err := e.p.ETL.CreateJob(ctx, tenant, ordersJob(&schedule.Spec{Type: "daily", Time: "02:00"}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Items", File: etl.FileSource{Pattern: "items.csv"},
		Schedule: &schedule.Spec{Type: "monthly", DayOfMonth: 3, Time: "04:00"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.ETL.PauseJob(ctx, tenant, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Manual", File: etl.FileSource{Pattern: "m.csv"}}); err != nil {
		t.Fatal(err)
	}
	// A fresh process: the cron is empty but for a stray job and a job
	// that is not an ETL job.
	for _, st := range e.list(tenant) {
		if err := e.sched.Delete(ctx, tenant, st.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"etl-job-gone", "backup"} {
		if err := e.sched.Upsert(ctx, scheduler.Job{Tenant: tenant, Name: name, Cron: "0 0 * * *", Topic: "some-topic", EventType: "x.y"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.p.ETL.SyncSchedules(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	got := map[string]scheduler.Status{}
	for _, st := range e.list(tenant) {
		got[st.Name] = st
	}
	if len(got) != 3 {
		t.Fatalf("scheduler after sync = %+v", got)
	}
	sa, sb := got[etl.SchedulerJobName(a.ID)], got[etl.SchedulerJobName(b.ID)]
	if sa.Cron != "0 2 * * *" || sa.Paused || !sa.Next.Equal(time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("job a = %+v", sa)
	}
	if sb.Cron != "0 4 3 * *" || !sb.Paused {
		t.Errorf("job b = %+v", sb)
	}
	if _, ok := got["backup"]; !ok {
		t.Errorf("a scheduler job not named etl-job- was removed")
	}
	// The scheduler job's data is a valid scheduled RunRequested of job a.
	req, err := eventschemas.Decode[eventschemas.RunRequested](e.p.Validator, sa.EventType, sa.Data)
	if err != nil || req.Tenant != tenant || req.JobID != a.ID || req.Trigger != eventschemas.TriggerSchedule || req.RunID != "" {
		t.Errorf("data = %+v, %v", req, err)
	}
	// Idempotent.
	if err := e.p.ETL.SyncSchedules(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if st := e.list(tenant); len(st) != 3 {
		t.Errorf("second sync = %+v", st)
	}
}

// TestJobNameReservation: of concurrent creates with one name exactly one
// wins; renames and deletes free the old name.
func TestJobNameReservation(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	const n = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, clash int
		other     []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := etl.NewJob{Name: []string{"Orders", "ORDERS", "orders"}[i%3], File: etl.FileSource{Pattern: "orders_*.csv"}}
			_, err := e.p.ETL.CreateJob(ctx, tenant, spec)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				clash++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || clash != n-1 || len(other) != 0 {
		t.Fatalf("concurrent creates: %d created, %d conflicts, other errors %v", ok, clash, other)
	}
	if jobs := e.jobs(); len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
	first := e.jobs()[0]
	renamed := "Orders v2"
	if _, err := e.p.ETL.UpdateJob(ctx, tenant, first.ID, etl.JobPatch{Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	second, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "orders", File: etl.FileSource{Pattern: "o.csv"}})
	if err != nil {
		t.Fatalf("old name after rename: %v", err)
	}
	if _, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "orders V2", File: etl.FileSource{Pattern: "o.csv"}}); !errs.Is(err, errs.Conflict) {
		t.Errorf("new name of the renamed job: %v, want conflict", err)
	}
	if err := e.p.ETL.DeleteJob(ctx, tenant, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Orders", File: etl.FileSource{Pattern: "o.csv"}}); err != nil {
		t.Errorf("name after delete: %v", err)
	}
}

// TestSchedulesStoredByEarlierVersions: a job stored before schedules
// moved into the job document (the job holding {cron, time_zone}, the
// spec in an etl_schedule document beside it) reads as it did, is
// scheduled by SyncSchedules, and is stored in the new form, its old
// document deleted, when it is next updated. A job whose document is
// missing reads as a cron schedule of its expression.
func TestSchedulesStoredByEarlierVersions(t *testing.T) {
	e := newCronEnv(t)
	ctx := context.Background()
	put := func(kind, id, doc string) {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if _, err := docstore.Put(ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: kind, ID: id}, v, docstore.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	job := func(id, name, sched string) string {
		return `{"id":"` + id + `","tenant":"` + tenant + `","name":"` + name + `","source_type":"file","file":{"prefix":"","pattern":"` + name + `.csv"},
			"dest":{"dataset":"raw_data","table":"` + name + `"},"load_mode":"append","schedule":` + sched + `,"auto_created":false,"enabled":true,
			"created_at":"2026-02-01T00:00:00Z","last_run":null}`
	}
	put(etl.KindJob, "j_old1", job("j_old1", "weekly_orders", `{"cron":"30 6 * * 1","time_zone":"Europe/Warsaw"}`))
	put(etl.KindSchedule, "j_old1", `{"job_id":"j_old1","tenant":"`+tenant+`","spec":{"type":"weekly","time":"06:30","day_of_week":"mon","time_zone":"Europe/Warsaw"},
		"cron":"30 6 * * 1","time_zone":"Europe/Warsaw","label":"Weekly Mon 06:30 Europe/Warsaw","paused":false,"updated_at":"2026-02-01T00:00:00Z"}`)
	put(etl.KindJob, "j_old2", job("j_old2", "nightly", `{"cron":"0 2 * * *","time_zone":"UTC"}`))

	views, err := e.p.ETL.ListJobViews(ctx, tenant)
	if err != nil || len(views) != 2 {
		t.Fatalf("ListJobViews = %+v, %v", views, err)
	}
	byID := map[string]etl.JobView{}
	for _, v := range views {
		byID[v.ID] = v
	}
	if v := byID["j_old1"]; v.Schedule.Spec.Type != schedule.Weekly || v.Schedule.Label != "Weekly Mon 06:30 Europe/Warsaw" ||
		v.Schedule.Cron != "30 6 * * 1" || len(v.NextRuns) != etl.NextRunsShown {
		t.Errorf("old weekly job = %+v next %v", v.Schedule, v.NextRuns)
	}
	if v := byID["j_old2"]; v.Schedule.Spec.Type != schedule.Cron || v.Schedule.Label != "Cron 0 2 * * *" {
		t.Errorf("old job without its document = %+v", v.Schedule)
	}
	one, err := e.p.ETL.GetJobView(ctx, tenant, "j_old1")
	if err != nil || one.Schedule.Label != byID["j_old1"].Schedule.Label {
		t.Errorf("GetJobView = %+v, %v", one.Schedule, err)
	}
	if err := e.p.ETL.SyncSchedules(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	got := map[string]scheduler.Status{}
	for _, st := range e.list(tenant) {
		got[st.Name] = st
	}
	if st := got[etl.SchedulerJobName("j_old1")]; st.Cron != "30 6 * * 1" || st.TimeZone != "Europe/Warsaw" || st.Paused {
		t.Errorf("scheduler job of the old weekly job = %+v", st)
	}

	// Renamed: stored in the new form, the old document gone, the
	// schedule unchanged.
	name := "Weekly orders"
	u, err := e.p.ETL.UpdateJob(ctx, tenant, "j_old1", etl.JobPatch{Name: &name})
	if err != nil || u.Schedule.Label != "Weekly Mon 06:30 Europe/Warsaw" {
		t.Fatalf("UpdateJob = %+v, %v", u.Schedule, err)
	}
	stored, err := e.p.ETL.GetJob(ctx, tenant, "j_old1")
	if err != nil || stored.Schedule == nil || stored.Schedule.Type != schedule.Weekly || stored.Schedule.DayOfWeek != "mon" || stored.Schedule.Time != "06:30" {
		t.Errorf("stored job after update = %+v, %v", stored.Schedule, err)
	}
	if _, _, err := docstore.Get[map[string]any](ctx, e.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindSchedule, ID: "j_old1"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("old schedule document after update: %v, want deleted", err)
	}
}
