package localcron

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/schedtest"
)

// fakeClock is a manual clock: timers fire when Set moves time past them.
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

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t, timers: map[*fakeTimer]bool{}} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
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

type published struct {
	topic string
	e     events.Event
}

type recorder struct {
	mu  sync.Mutex
	got []published
	err error
}

func (r *recorder) Publish(_ context.Context, topic string, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	r.got = append(r.got, published{topic, e})
	return nil
}

func (r *recorder) take() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

type harness struct {
	t     *testing.T
	clk   *fakeClock
	pub   *recorder
	cron  *Cron
	loops chan time.Time
}

func newHarness(t *testing.T, start time.Time) *harness {
	h := &harness{t: t, clk: newFakeClock(start), pub: &recorder{}, loops: make(chan time.Time, 1000)}
	h.cron = New(h.pub, Options{
		Clock: h.clk, Logger: slog.New(slog.DiscardHandler),
		afterLoop: func(now time.Time) { h.loops <- now },
	})
	t.Cleanup(func() { _ = h.cron.Close() })
	return h
}

// step sets the clock and waits until the loop has published everything
// due at that time.
func (h *harness) step(to time.Time) []published {
	h.t.Helper()
	h.clk.Set(to)
	h.cron.poke()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case now := <-h.loops:
			if !now.Before(to) {
				return h.pub.take()
			}
		case <-deadline:
			h.t.Fatalf("loop did not run at %v", to)
		}
	}
}

func (h *harness) upsert(j scheduler.Job) {
	h.t.Helper()
	if err := h.cron.Upsert(context.Background(), j); err != nil {
		h.t.Fatalf("Upsert(%+v): %v", j, err)
	}
}

func (h *harness) next(tenant, name string) time.Time {
	h.t.Helper()
	st, err := h.cron.List(context.Background(), tenant)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range st {
		if s.Name == name {
			return s.Next
		}
	}
	h.t.Fatalf("job %s/%s not listed", tenant, name)
	return time.Time{}
}

// fires runs the clock from fire to fire n times and returns the fire
// times (UTC) of the events published for tenant/name.
func (h *harness) fires(tenant, name string, n int) []string {
	h.t.Helper()
	var out []string
	for range n {
		nx := h.next(tenant, name)
		got := h.step(nx)
		if len(got) != 1 {
			h.t.Fatalf("at %v: %d events published, want 1", nx, len(got))
		}
		out = append(out, got[0].e.Time().UTC().Format("2006-01-02 15:04"))
	}
	return out
}

func job(name, cronExpr, tz string) scheduler.Job {
	return scheduler.Job{
		Tenant: "acme", Name: name, Cron: cronExpr, TimeZone: tz, Topic: eventschemas.TopicRunRequested,
		EventType: "com.b2brecs.etl.run.requested.v1", Data: json.RawMessage(`{"tenant":"acme","job_id":"` + name + `","trigger":"schedule"}`),
	}
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTimeZonesAcrossDST(t *testing.T) {
	cases := []struct {
		name, cron, tz, start string
		want                  []string // UTC fire times
	}{
		{"london daily 01:30 spring forward", "30 1 * * *", "Europe/London", "2026-03-27 12:00",
			// 01:30 does not exist on Mar 29: fires at the end of the gap (02:00 BST).
			[]string{"2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30", "2026-03-31 00:30"}},
		{"london daily 01:30 fall back", "30 1 * * *", "Europe/London", "2026-10-23 12:00",
			// 01:30 happens twice on Oct 25: fires once, at the first.
			[]string{"2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"}},
		{"new york daily 02:00 spring forward", "0 2 * * *", "America/New_York", "2026-03-06 12:00",
			[]string{"2026-03-07 07:00", "2026-03-08 07:00", "2026-03-09 06:00"}},
		{"new york daily 02:00 fall back", "0 2 * * *", "America/New_York", "2026-10-30 12:00",
			[]string{"2026-10-31 06:00", "2026-11-01 07:00", "2026-11-02 07:00"}},
		{"new york hourly :15 fall back", "15 * * * *", "America/New_York", "2026-11-01 04:00",
			// Hourly jobs follow real hours: 00:15 EDT, 01:15 EDT, 01:15 EST, 02:15 EST.
			[]string{"2026-11-01 04:15", "2026-11-01 05:15", "2026-11-01 06:15", "2026-11-01 07:15"}},
		{"new york hourly :15 spring forward", "15 * * * *", "America/New_York", "2026-03-08 05:00",
			// 00:15 EST, 01:15 EST, (02:15 does not exist), 03:15 EDT.
			[]string{"2026-03-08 05:15", "2026-03-08 06:15", "2026-03-08 07:15", "2026-03-08 08:15"}},
		{"london weekly monday 09:00", "0 9 * * MON", "Europe/London", "2026-03-17 00:00",
			[]string{"2026-03-23 09:00", "2026-03-30 08:00", "2026-04-06 08:00"}},
		{"utc default", "0 2 * * *", "", "2026-03-27 12:00",
			[]string{"2026-03-28 02:00", "2026-03-29 02:00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, utc(c.start))
			h.upsert(job("j", c.cron, c.tz))
			got := h.fires("acme", "j", len(c.want))
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("fires\n got  %v\n want %v", got, c.want)
			}
		})
	}
}

func TestFiredEvent(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	j := job("nightly", "0 2 * * *", "Europe/London")
	h.upsert(j)
	got := h.step(utc("2026-05-01 01:00")) // 02:00 BST
	if len(got) != 1 {
		t.Fatalf("published %d events, want 1", len(got))
	}
	p := got[0]
	want := utc("2026-05-01 01:00")
	if p.topic != eventschemas.TopicRunRequested || p.e.ID() != fmt.Sprintf("acme/nightly/%d", want.Unix()) ||
		p.e.Type() != j.EventType || p.e.Source() != "//b2brecs/scheduler/acme/nightly" ||
		!p.e.Time().Equal(want) || string(p.e.Data()) != string(j.Data) || p.e.DataContentType() != "application/json" {
		t.Errorf("event on %q = %v", p.topic, p.e)
	}
	if v := p.e.Extensions()[scheduler.ExtScheduledTime]; v != "2026-05-01T01:00:00Z" {
		t.Errorf("scheduledtime = %v", v)
	}
	if k, ok := scheduler.FireKey(p.e); !ok || k != p.e.ID() {
		t.Errorf("FireKey = %q %v, want the event id", k, ok)
	}
	if n := h.next("acme", "nightly"); !n.Equal(utc("2026-05-02 01:00")) {
		t.Errorf("next after fire = %v", n)
	}
}

func TestMissedFiresRunOnce(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	h.upsert(job("j", "0 * * * *", ""))
	got := h.step(utc("2026-05-03 12:30")) // slept 60 hours
	if len(got) != 1 || !got[0].e.Time().Equal(utc("2026-05-01 01:00")) {
		t.Fatalf("after a long sleep: %d events (%v), want one for the first missed fire", len(got), got)
	}
	if n := h.next("acme", "j"); !n.Equal(utc("2026-05-03 13:00")) {
		t.Errorf("next = %v, want 2026-05-03 13:00", n)
	}
}

func TestPausedReplaceDelete(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	paused := job("paused", "0 1 * * *", "")
	paused.Paused = true
	h.upsert(paused)
	h.upsert(job("sentinel", "0 1 * * *", ""))
	h.upsert(job("doomed", "0 1 * * *", ""))
	if n := h.next("acme", "paused"); !n.IsZero() {
		t.Errorf("paused job Next = %v, want zero", n)
	}
	if err := h.cron.Delete(context.Background(), "acme", "doomed"); err != nil {
		t.Fatal(err)
	}
	if err := h.cron.Delete(context.Background(), "acme", "never-existed"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	got := h.step(utc("2026-05-01 01:00"))
	if len(got) != 1 || got[0].e.Subject() != "sentinel" {
		t.Fatalf("published %v, want only the sentinel", got)
	}
	// Replace: unpause with another schedule.
	paused.Paused = false
	paused.Cron = "30 1 * * *"
	h.upsert(paused)
	if n := h.next("acme", "paused"); !n.Equal(utc("2026-05-01 01:30")) {
		t.Errorf("Next after replace = %v, want 01:30", n)
	}
	got = h.step(utc("2026-05-01 01:30"))
	if len(got) != 1 || got[0].e.Subject() != "paused" {
		t.Fatalf("published %v, want the resumed job", got)
	}
	st, _ := h.cron.List(context.Background(), "acme")
	if len(st) != 2 || st[0].Name != "paused" || st[1].Name != "sentinel" || st[0].Cron != "30 1 * * *" {
		t.Errorf("List = %+v", st)
	}
	if st, _ := h.cron.List(context.Background(), "other"); len(st) != 0 {
		t.Errorf("other tenant sees %v", st)
	}
}

func TestInvalidJobs(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	mod := func(f func(*scheduler.Job)) scheduler.Job {
		j := job("ok", "0 2 * * *", "Europe/London")
		f(&j)
		return j
	}
	cases := []struct {
		name, field string
		j           scheduler.Job
	}{
		{"bad cron", "cron", mod(func(j *scheduler.Job) { j.Cron = "61 2 * * *" })},
		{"six fields", "cron", mod(func(j *scheduler.Job) { j.Cron = "0 0 2 * * *" })},
		{"descriptor", "cron", mod(func(j *scheduler.Job) { j.Cron = "@daily" })},
		{"tz prefix", "cron", mod(func(j *scheduler.Job) { j.Cron = "CRON_TZ=UTC 0 2 * * *" })},
		{"never", "cron", mod(func(j *scheduler.Job) { j.Cron = "0 0 30 2 *" })},
		{"bad zone", "time_zone", mod(func(j *scheduler.Job) { j.TimeZone = "Mars/Olympus" })},
		{"local zone", "time_zone", mod(func(j *scheduler.Job) { j.TimeZone = "Local" })},
		{"bad name", "name", mod(func(j *scheduler.Job) { j.Name = "Has Spaces" })},
		{"empty tenant", "tenant", mod(func(j *scheduler.Job) { j.Tenant = "" })},
		{"bad topic", "topic", mod(func(j *scheduler.Job) { j.Topic = "a/b" })},
		{"no event type", "event_type", mod(func(j *scheduler.Job) { j.EventType = "" })},
		{"bad data", "data", mod(func(j *scheduler.Job) { j.Data = json.RawMessage("{") })},
	}
	for _, c := range cases {
		err := h.cron.Upsert(context.Background(), c.j)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: Upsert = %v, want kind invalid naming %q", c.name, err, c.field)
		}
	}
	if st, _ := h.cron.List(context.Background(), "acme"); len(st) != 0 {
		t.Errorf("invalid jobs were stored: %v", st)
	}
}

func TestConcurrentUpsertDelete(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	stop := make(chan struct{})
	var clockDone sync.WaitGroup
	clockDone.Add(1)
	go func() { // keep time moving, minute by minute
		defer clockDone.Done()
		now := utc("2026-05-01 00:00")
		for {
			select {
			case <-stop:
				return
			case <-h.loops:
			default:
			}
			now = now.Add(time.Minute)
			h.clk.Set(now)
			h.cron.poke()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				name := fmt.Sprintf("w%d-j%d", w, i%5)
				j := job(name, "*/2 * * * *", "America/New_York")
				j.Paused = i%3 == 0
				if err := h.cron.Upsert(context.Background(), j); err != nil {
					t.Error(err)
					return
				}
				if i%4 == 0 {
					if err := h.cron.Delete(context.Background(), "acme", name); err != nil {
						t.Error(err)
						return
					}
				}
				if _, err := h.cron.List(context.Background(), "acme"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	clockDone.Wait()
	st, err := h.cron.List(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Each worker's last touch of each of its 5 names (i = 195..199) was an
	// Upsert, plus a Delete when i%4 == 0 (i = 196): 4 jobs per worker remain.
	if len(st) != 16 {
		t.Errorf("jobs left = %d, want 16", len(st))
	}
	for _, e := range h.pub.take() {
		if e.e.Validate() != nil {
			t.Errorf("invalid event %v", e.e)
		}
	}
}

func TestCloseAndOpen(t *testing.T) {
	c := New(&recorder{}, Options{Logger: slog.New(slog.DiscardHandler)})
	if err := c.Upsert(context.Background(), job("a", "* * * * *", "")); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := c.Upsert(context.Background(), job("b", "* * * * *", "")); !errs.Is(err, errs.Conflict) {
		t.Errorf("Upsert after Close = %v, want conflict", err)
	}
}

// TestOpenByURL: local:// opens through a mux holding the opener that
// carries the bus; other forms of the URL are refused.
func TestOpenByURL(t *testing.T) {
	ctx := context.Background()
	pub := &recorder{}
	mux := scheduler.DefaultURLMux().With(Scheme, &URLOpener{Bus: pub})
	s, err := scheduler.OpenMux(ctx, mux, "local://")
	if err != nil {
		t.Fatalf("OpenMux(local://): %v", err)
	}
	if _, ok := s.Driver.(*Cron); !ok {
		t.Errorf("local:// driver = %T, want *Cron", s.Driver)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"local://somewhere", "local:///path", "local://?x=1", "local:x"} {
		if _, err := scheduler.OpenMux(ctx, mux, u); !errs.Is(err, errs.Invalid) {
			t.Errorf("OpenMux(%q) = %v, want invalid", u, err)
		}
	}
	if _, err := scheduler.Open(ctx, "local://"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Open(local://) through the default mux = %v, want invalid (no opener without a bus)", err)
	}
}

func TestPublishFailureIsLogged(t *testing.T) {
	h := newHarness(t, utc("2026-05-01 00:00"))
	h.pub.err = errs.E(errs.Transient, "bus down")
	h.upsert(job("j", "0 1 * * *", ""))
	h.step(utc("2026-05-01 01:00"))
	h.pub.mu.Lock()
	h.pub.err = nil
	h.pub.mu.Unlock()
	if n := h.next("acme", "j"); !n.Equal(utc("2026-05-02 01:00")) {
		t.Errorf("after a failed publish, next = %v, want the following day", n)
	}
}

func TestConformance(t *testing.T) {
	schedtest.Run(t, func(t *testing.T) scheduler.Driver {
		return New(&recorder{}, Options{Logger: slog.New(slog.DiscardHandler)})
	})
}
