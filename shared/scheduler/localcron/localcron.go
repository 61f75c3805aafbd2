// Package localcron is the in-process scheduler driver: one timer loop that
// fires each job at its cron times in the job's IANA time zone and publishes
// the job's CloudEvent (scheduler.FireEvent) to the job's topic.
//
// It needs a publisher, so it is opened as local:// through a mux that holds
// a URLOpener carrying the bus (scheduler.DefaultURLMux().With(Scheme,
// &URLOpener{Bus: bus})), or built with New.
package localcron

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// Scheme is the URL scheme of the in-process cron: local://, opened
// through a mux holding a URLOpener (it needs the bus to publish on, so it
// is not registered from init).
const Scheme = "local"

// ErrClosed is the cause of errors returned after Close (kind errs.Conflict).
var ErrClosed = errors.New("localcron: scheduler is closed")

// URLOpener opens local:// (no host, path or parameters) as a Cron that
// publishes on Bus.
type URLOpener struct {
	Bus     events.Publisher
	Options Options
}

// OpenURL implements scheduler.URLOpener.
func (o *URLOpener) OpenURL(_ context.Context, u *url.URL) (scheduler.Driver, error) {
	if u.Host != "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Opaque != "" {
		return nil, errs.E(errs.Invalid, "localcron: the local scheduler URL takes no host, path or parameters: use local://")
	}
	if o.Bus == nil {
		return nil, errs.E(errs.Invalid, "localcron: no bus to publish on")
	}
	return New(o.Bus, o.Options), nil
}

// Clock is the time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a stoppable one-shot timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer {
	return sysTimer{time.NewTimer(d)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// Options configure a Cron.
type Options struct {
	// Clock defaults to SystemClock().
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// PublishTimeout bounds each publish (default 30s).
	PublishTimeout time.Duration
	// MaxSleep caps one wait of the loop so that wall-clock jumps (suspend,
	// NTP steps) are noticed (default 1 minute).
	MaxSleep time.Duration

	// afterLoop, if set (tests), is called by the loop each time it has
	// published what was due at now and is about to wait.
	afterLoop func(now time.Time)
}

type entry struct {
	job   scheduler.Job
	sched *scheduler.Schedule
	next  time.Time // zero when paused
}

// Cron is the local scheduler. It implements scheduler.Driver.
type Cron struct {
	pub   events.Publisher
	clock Clock
	log   *slog.Logger
	opts  Options

	mu     sync.Mutex
	jobs   map[string]*entry // by tenant + "\x00" + name
	closed bool

	wake chan struct{}
	done chan struct{}
	exit chan struct{}
}

// New starts a scheduler that publishes through pub.
func New(pub events.Publisher, opts Options) *Cron {
	if opts.Clock == nil {
		opts.Clock = SystemClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = 30 * time.Second
	}
	if opts.MaxSleep <= 0 {
		opts.MaxSleep = time.Minute
	}
	c := &Cron{
		pub: pub, clock: opts.Clock, log: opts.Logger.With("component", "localcron"), opts: opts,
		jobs: map[string]*entry{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), exit: make(chan struct{}),
	}
	go c.run()
	return c
}

func key(tenant, name string) string { return tenant + "\x00" + name }

// Upsert creates or replaces a job and reschedules it from now.
func (c *Cron) Upsert(ctx context.Context, j scheduler.Job) error {
	sched, err := scheduler.Validate(j)
	if err != nil {
		return err
	}
	j.Data = append([]byte(nil), j.Data...)
	e := &entry{job: j, sched: sched}
	if !j.Paused {
		e.next = sched.Next(c.clock.Now())
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errs.Wrap(errs.Conflict, ErrClosed, "localcron: upsert %s/%s", j.Tenant, j.Name)
	}
	c.jobs[key(j.Tenant, j.Name)] = e
	next := e.next // the loop owns e once unlocked
	c.mu.Unlock()
	c.log.Info("job scheduled", "tenant", j.Tenant, "job", j.Name, "cron", j.Cron, "time_zone", j.TimeZone,
		"topic", j.Topic, "paused", j.Paused, "next", next)
	c.poke()
	return nil
}

// Delete removes a job; a missing job is not an error.
func (c *Cron) Delete(ctx context.Context, tenant, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errs.Wrap(errs.Conflict, ErrClosed, "localcron: delete %s/%s", tenant, name)
	}
	delete(c.jobs, key(tenant, name))
	return nil
}

// List returns the tenant's jobs sorted by name, with their next fire time
// (zero for paused jobs).
func (c *Cron) List(ctx context.Context, tenant string) ([]scheduler.Status, error) {
	if err := scheduler.ValidateTenant(tenant); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errs.Wrap(errs.Conflict, ErrClosed, "localcron: list")
	}
	var out []scheduler.Status
	for _, e := range c.jobs {
		if e.job.Tenant != tenant {
			continue
		}
		j := e.job
		j.Data = append([]byte(nil), j.Data...)
		out = append(out, scheduler.Status{Job: j, Next: e.next})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Close stops the loop; a publish in progress completes first.
func (c *Cron) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	<-c.exit
	return nil
}

func (c *Cron) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

type fire struct {
	job scheduler.Job
	at  time.Time
}

func (c *Cron) run() {
	defer close(c.exit)
	for {
		now := c.clock.Now()
		for _, f := range c.due(now) {
			c.publish(f)
		}
		var (
			timer Timer
			tc    <-chan time.Time
		)
		if next := c.earliest(); !next.IsZero() {
			timer = c.clock.NewTimer(min(next.Sub(c.clock.Now()), c.opts.MaxSleep))
			tc = timer.C()
		}
		if c.opts.afterLoop != nil {
			c.opts.afterLoop(now)
		}
		select {
		case <-tc:
		case <-c.wake:
		case <-c.done:
			if timer != nil {
				timer.Stop()
			}
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// due collects the fires at or before now and advances those jobs. A job
// that missed several fires (the process slept) fires once.
func (c *Cron) due(now time.Time) []fire {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []fire
	for _, e := range c.jobs {
		if e.next.IsZero() || e.next.After(now) {
			continue
		}
		out = append(out, fire{job: e.job, at: e.next})
		n := e.sched.Next(e.next)
		if !n.After(now) {
			n = e.sched.Next(now)
		}
		e.next = n
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].at.Equal(out[b].at) {
			return out[a].at.Before(out[b].at)
		}
		return key(out[a].job.Tenant, out[a].job.Name) < key(out[b].job.Tenant, out[b].job.Name)
	})
	return out
}

func (c *Cron) earliest() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var min time.Time
	for _, e := range c.jobs {
		if !e.next.IsZero() && (min.IsZero() || e.next.Before(min)) {
			min = e.next
		}
	}
	return min
}

func (c *Cron) publish(f fire) {
	log := c.log.With("tenant", f.job.Tenant, "job", f.job.Name, "topic", f.job.Topic, "scheduled", f.at)
	e, err := scheduler.FireEvent(f.job, f.at)
	if err != nil {
		log.Error("cannot build event", "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.PublishTimeout)
	defer cancel()
	if err := c.pub.Publish(ctx, f.job.Topic, e); err != nil {
		log.Error("publish failed; fire lost", "event_id", e.ID(), "error", err)
		return
	}
	log.Info("job fired", "event_id", e.ID())
}

var _ scheduler.Driver = (*Cron)(nil)
