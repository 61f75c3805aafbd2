// Package membus is the in-process events driver (scheme "mem") used by the
// local platform and by tests: Publish enqueues, a bounded pool of workers
// delivers each event to every subscriber of its topic (fan-out) at least
// once, retrying failed deliveries with exponential backoff and jitter, and
// gives up to a dead-letter callback after MaxAttempts or at once for
// non-retryable errors (errs.Retryable).
//
// URL form:
//
//	mem://?concurrency=8&max_attempts=5&min_backoff=200ms&max_backoff=10s
package membus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "mem"

// Defaults for zero Options fields.
const (
	DefaultConcurrency = 8
	DefaultMaxAttempts = 5
	DefaultMinBackoff  = 200 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
)

// ErrClosed is the cause of the error Publish and Subscribe return once the
// bus is closed (its kind is errs.Conflict).
var ErrClosed = errors.New("membus: bus is closed")

func init() {
	events.Register(Scheme, (&URLOpener{}).OpenURL)
}

// URLOpener opens mem:// URLs. Options are the defaults the URL's
// parameters override, and carry what a URL cannot (OnDeadLetter, Logger):
// a caller that needs them opens the bus through
// events.DefaultURLMux().With(Scheme, &URLOpener{Options: ...}).
type URLOpener struct {
	Options Options
}

// OpenURL implements events.URLOpener.
func (o *URLOpener) OpenURL(_ context.Context, u *url.URL) (events.Driver, error) {
	uo, err := OptionsFromURL(u)
	if err != nil {
		return nil, err
	}
	opts := o.Options
	if uo.Concurrency > 0 {
		opts.Concurrency = uo.Concurrency
	}
	if uo.MaxAttempts > 0 {
		opts.MaxAttempts = uo.MaxAttempts
	}
	if uo.MinBackoff > 0 {
		opts.MinBackoff = uo.MinBackoff
	}
	if uo.MaxBackoff > 0 {
		opts.MaxBackoff = uo.MaxBackoff
	}
	if opts.MinBackoff > 0 && opts.MaxBackoff > 0 && opts.MinBackoff > opts.MaxBackoff {
		return nil, errs.E(errs.Invalid, "membus: min_backoff %s exceeds max_backoff %s", opts.MinBackoff, opts.MaxBackoff)
	}
	return New(opts), nil
}

// Options configure a Bus. Zero values take the defaults.
type Options struct {
	// Concurrency bounds the number of handlers running at once across all
	// topics and subscribers.
	Concurrency int
	// MaxAttempts is how many times a delivery is tried before it is
	// dead-lettered.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts (before jitter).
	MinBackoff, MaxBackoff time.Duration
	// OnDeadLetter, if set, is called (from a worker goroutine) with every
	// delivery that was given up on.
	OnDeadLetter func(events.DeadLetter)
	// Logger receives a record per retry and dead letter; nil means
	// slog.Default().
	Logger *slog.Logger
}

// OptionsFromURL reads the query parameters concurrency, max_attempts,
// min_backoff and max_backoff (Go durations) of a mem:// URL.
func OptionsFromURL(u *url.URL) (Options, error) {
	var o Options
	q := u.Query()
	for k := range q {
		switch k {
		case "concurrency", "max_attempts", "min_backoff", "max_backoff":
		default:
			return o, errs.E(errs.Invalid, "membus: unknown URL parameter %q", k)
		}
	}
	intParam := func(name string, dst *int) error {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return errs.E(errs.Invalid, "membus: %s must be a positive integer, got %q", name, v)
			}
			*dst = n
		}
		return nil
	}
	durParam := func(name string, dst *time.Duration) error {
		if v := q.Get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errs.E(errs.Invalid, "membus: %s must be a positive duration such as 200ms, got %q", name, v)
			}
			*dst = d
		}
		return nil
	}
	for _, err := range []error{
		intParam("concurrency", &o.Concurrency),
		intParam("max_attempts", &o.MaxAttempts),
		durParam("min_backoff", &o.MinBackoff),
		durParam("max_backoff", &o.MaxBackoff),
	} {
		if err != nil {
			return o, err
		}
	}
	if o.MinBackoff > 0 && o.MaxBackoff > 0 && o.MinBackoff > o.MaxBackoff {
		return o, errs.E(errs.Invalid, "membus: min_backoff %s exceeds max_backoff %s", o.MinBackoff, o.MaxBackoff)
	}
	return o, nil
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

type subscription struct {
	topic, name string
	h           events.Handler
}

type delivery struct {
	sub     *subscription
	event   events.Event
	attempt int // attempts made so far
}

type state int

const (
	open     state = iota
	draining       // no new publishes from outside handlers
	stopped        // nothing more is accepted or delivered
)

// Bus is the in-process event bus. It implements events.Driver and
// events.Subscriber. Create it with New; the zero value is not usable.
type Bus struct {
	opts Options
	log  *slog.Logger

	baseCtx context.Context // handlers' parent; cancelled when a drain gives up
	cancel  context.CancelFunc

	mu      sync.Mutex
	cond    *sync.Cond // signalled when the queue grows or the state changes
	state   state
	subs    map[string][]*subscription // by topic
	queue   []*delivery
	timers  map[*delivery]*time.Timer // deliveries waiting to be retried
	pending int                       // queued + running + waiting for retry
	idle    chan struct{}             // closed while pending == 0

	workers sync.WaitGroup
}

// New returns a running bus.
func New(opts Options) *Bus {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{
		opts:    opts,
		log:     opts.Logger.With("component", "membus"),
		baseCtx: ctx,
		cancel:  cancel,
		subs:    map[string][]*subscription{},
		timers:  map[*delivery]*time.Timer{},
		idle:    make(chan struct{}),
	}
	close(b.idle)
	b.cond = sync.NewCond(&b.mu)
	b.workers.Add(opts.Concurrency)
	for range opts.Concurrency {
		go b.work()
	}
	return b
}

// Options returns the effective options (defaults filled in).
func (b *Bus) Options() Options { return b.opts }

type ctxKey struct{}

type deliveryInfo struct {
	bus     *Bus
	attempt int
}

// Attempt returns the delivery attempt (1 for the first) of the event whose
// handler received ctx, or 0 if ctx does not come from a membus delivery.
func Attempt(ctx context.Context) int {
	if di, ok := ctx.Value(ctxKey{}).(deliveryInfo); ok {
		return di.attempt
	}
	return 0
}

// Subscribe attaches h to topic under a subscriber name that is unique per
// topic. Each subscriber receives its own copy of every event published to
// the topic after it subscribed.
func (b *Bus) Subscribe(topic, name string, h events.Handler) error {
	if topic == "" || name == "" || h == nil {
		return errs.E(errs.Invalid, "membus: subscribe needs a topic, a name and a handler")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != open {
		return errs.Wrap(errs.Conflict, ErrClosed, "membus: subscribe %q to %q", name, topic)
	}
	for _, s := range b.subs[topic] {
		if s.name == name {
			return errs.E(errs.Conflict, "membus: %q is already subscribed to %q", name, topic)
		}
	}
	b.subs[topic] = append(b.subs[topic], &subscription{topic: topic, name: name, h: h})
	return nil
}

// Publish validates e and enqueues one delivery per subscriber of topic. It
// does not run handlers. Events on a topic without subscribers are dropped.
// Once Close or Drain has begun, Publish fails, except when called from a
// handler of this bus while it drains (so chains of events complete).
func (b *Bus) Publish(ctx context.Context, topic string, e events.Event) error {
	if topic == "" {
		return errs.E(errs.Invalid, "membus: publish: empty topic")
	}
	if err := e.Validate(); err != nil {
		return errs.Wrap(errs.Invalid, err, "membus: publish to %q: invalid event", topic)
	}
	if err := ctx.Err(); err != nil {
		return errs.Wrap(errs.Transient, err, "membus: publish to %q", topic)
	}
	fromHandler := false
	if di, ok := ctx.Value(ctxKey{}).(deliveryInfo); ok && di.bus == b {
		fromHandler = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == stopped || (b.state == draining && !fromHandler) {
		return errs.Wrap(errs.Conflict, ErrClosed, "membus: publish to %q", topic)
	}
	subs := b.subs[topic]
	if len(subs) == 0 {
		b.log.Debug("no subscribers; event dropped", "topic", topic, "event_id", e.ID(), "event_type", e.Type())
		return nil
	}
	for _, s := range subs {
		b.pushLocked(&delivery{sub: s, event: e.Clone()})
		b.pending++
	}
	if b.pending == len(subs) {
		b.idle = make(chan struct{})
	}
	return nil
}

func (b *Bus) pushLocked(d *delivery) {
	b.queue = append(b.queue, d)
	b.cond.Signal()
}

// doneLocked accounts for a delivery that has left the bus.
func (b *Bus) doneLocked(n int) {
	b.pending -= n
	if b.pending == 0 {
		close(b.idle)
	}
}

func (b *Bus) work() {
	defer b.workers.Done()
	for {
		b.mu.Lock()
		for len(b.queue) == 0 && b.state != stopped {
			b.cond.Wait()
		}
		if b.state == stopped {
			b.mu.Unlock()
			return
		}
		d := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		b.mu.Unlock()

		b.deliver(d)
	}
}

func (b *Bus) deliver(d *delivery) {
	d.attempt++
	ctx := context.WithValue(b.baseCtx, ctxKey{}, deliveryInfo{bus: b, attempt: d.attempt})
	err := b.call(ctx, d)

	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		b.doneLocked(1)
		return
	}
	log := b.log.With("topic", d.sub.topic, "subscriber", d.sub.name,
		"event_id", d.event.ID(), "event_type", d.event.Type(), "attempt", d.attempt)
	if b.state == stopped {
		log.Warn("bus stopped; delivery abandoned", "error", err)
		b.doneLocked(1)
		return
	}
	if !errs.Retryable(err) || d.attempt >= b.opts.MaxAttempts {
		log.Error("event dead-lettered", "error", err, "retryable", errs.Retryable(err))
		if f := b.opts.OnDeadLetter; f != nil {
			dl := events.DeadLetter{
				Topic: d.sub.topic, Subscriber: d.sub.name, Event: d.event,
				Attempts: d.attempt, LastError: err.Error(), At: time.Now().UTC(),
			}
			// Call outside the lock (the callback may use the bus) but before
			// the delivery stops counting, so Wait covers the callback.
			b.mu.Unlock()
			b.callDeadLetter(f, dl)
			b.mu.Lock()
		}
		b.doneLocked(1)
		return
	}
	wait := b.backoff(d.attempt)
	log.Warn("handler failed; retrying", "error", err, "backoff", wait)
	b.timers[d] = time.AfterFunc(wait, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.timers[d]; !ok {
			return // cancelled by a drain that gave up
		}
		delete(b.timers, d)
		b.pushLocked(d)
	})
}

func (b *Bus) callDeadLetter(f func(events.DeadLetter), dl events.DeadLetter) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("dead-letter callback panicked", "topic", dl.Topic, "subscriber", dl.Subscriber,
				"event_id", dl.Event.ID(), "panic", fmt.Sprint(r))
		}
	}()
	f(dl)
}

// call runs the handler, turning a panic into a retryable error.
func (b *Bus) call(ctx context.Context, d *delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("handler panicked", "topic", d.sub.topic, "subscriber", d.sub.name,
				"event_id", d.event.ID(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = errs.E(errs.Transient, "membus: handler %q panicked: %v", d.sub.name, r)
		}
	}()
	return d.sub.h(ctx, d.event.Clone())
}

// backoff returns the wait before attempt+1: MinBackoff doubled per failed
// attempt, capped at MaxBackoff, with "equal jitter" (half fixed, half random).
func (b *Bus) backoff(attempt int) time.Duration {
	d := b.opts.MinBackoff
	for i := 1; i < attempt && d < b.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, b.opts.MaxBackoff)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Idle reports whether no delivery is queued, running or waiting for a retry.
func (b *Bus) Idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending == 0
}

// Wait blocks until the bus is idle (see Idle) or ctx is done. Events that
// handlers publish while Wait runs are waited for too.
func (b *Bus) Wait(ctx context.Context) error {
	b.mu.Lock()
	ch := b.idle
	b.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return errs.Wrap(errs.Transient, ctx.Err(), "membus: wait for idle")
	}
}

// Drain stops accepting new events (handlers of this bus may still publish),
// waits until every queued, running and retrying delivery has finished, and
// stops the workers. If ctx ends first, remaining deliveries are abandoned,
// handlers' contexts are cancelled, and the error wraps ctx.Err(). Drain may
// be called more than once.
func (b *Bus) Drain(ctx context.Context) error {
	b.mu.Lock()
	if b.state == open {
		b.state = draining
	}
	b.mu.Unlock()

	err := b.Wait(ctx)

	b.mu.Lock()
	abandoned := 0
	if err != nil {
		abandoned = len(b.queue) + len(b.timers)
		for d, t := range b.timers {
			t.Stop()
			delete(b.timers, d)
		}
		b.queue = nil
		// Running handlers account for themselves when they return.
		if abandoned > 0 {
			b.doneLocked(abandoned)
		}
	}
	b.state = stopped
	b.cond.Broadcast()
	b.mu.Unlock()

	if err != nil {
		b.cancel()
		b.log.Error("drain gave up; deliveries abandoned", "abandoned", abandoned, "error", err)
		return err
	}
	b.workers.Wait()
	b.cancel()
	return nil
}

// Close drains the bus without a time limit (see Drain).
func (b *Bus) Close() error { return b.Drain(context.Background()) }

var (
	_ events.Driver     = (*Bus)(nil)
	_ events.Subscriber = (*Bus)(nil)
)
