package membus_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/eventstest"
	"github.com/b2brecs/b2brecs/shared/events/membus"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestConformance(t *testing.T) {
	eventstest.Run(t, func(t *testing.T) (events.Driver, eventstest.Receive) {
		b := membus.New(membus.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet()})
		t.Cleanup(func() { _ = b.Close() })
		return b, func(t *testing.T, topic, name string, h events.Handler) {
			if err := b.Subscribe(topic, name, h); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestConformanceInProcess(t *testing.T) {
	eventstest.RunInProcess(t, func(t *testing.T, c eventstest.InProcessConfig) eventstest.InProcessDriver {
		b := membus.New(membus.Options{
			Concurrency: c.Concurrency, MaxAttempts: c.MaxAttempts, OnDeadLetter: c.OnDeadLetter,
			MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet(),
		})
		t.Cleanup(func() { _ = b.Close() })
		return b
	})
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	bus, err := events.Open(ctx, "mem://?concurrency=3&max_attempts=7&min_backoff=50ms&max_backoff=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	mb, ok := bus.Driver.(*membus.Bus)
	if !ok {
		t.Fatalf("driver is %T, want *membus.Bus", bus.Driver)
	}
	o := mb.Options()
	if o.Concurrency != 3 || o.MaxAttempts != 7 || o.MinBackoff != 50*time.Millisecond || o.MaxBackoff != 2*time.Second {
		t.Errorf("options = %+v", o)
	}
	if err := bus.Subscribe("t", "s", func(context.Context, events.Event) error { return nil }); err != nil {
		t.Errorf("Bus.Subscribe through the portable type: %v", err)
	}

	d, err := events.Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	o = d.Driver.(*membus.Bus).Options()
	if o.Concurrency != membus.DefaultConcurrency || o.MaxAttempts != membus.DefaultMaxAttempts ||
		o.MinBackoff != membus.DefaultMinBackoff || o.MaxBackoff != membus.DefaultMaxBackoff {
		t.Errorf("default options = %+v", o)
	}
	d.Close()

	for _, bad := range []string{
		"mem://?concurrency=0", "mem://?concurrency=x", "mem://?max_attempts=-1",
		"mem://?min_backoff=fast", "mem://?min_backoff=2s&max_backoff=1s", "mem://?colour=blue",
	} {
		if _, err := events.Open(ctx, bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q) = %v, want kind invalid", bad, err)
		}
	}
}

func TestAttemptAndBackoffLogs(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := membus.New(membus.Options{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Logger: log})
	defer b.Close()
	var mu sync.Mutex
	var attempts []int
	if membus.Attempt(context.Background()) != 0 {
		t.Error("Attempt of a plain context should be 0")
	}
	err := b.Subscribe("a", "att", func(ctx context.Context, e events.Event) error {
		mu.Lock()
		attempts = append(attempts, membus.Attempt(ctx))
		mu.Unlock()
		if membus.Attempt(ctx) < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := `{"password":"hunter2"}`
	e := eventstest.NewEvent("att-1", nil)
	if err := e.SetData("application/json", []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), "a", e); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !b.Idle() {
		t.Error("Idle() = false after Wait")
	}
	mu.Lock()
	if len(attempts) != 3 || attempts[0] != 1 || attempts[1] != 2 || attempts[2] != 3 {
		t.Errorf("attempts seen = %v, want [1 2 3]", attempts)
	}
	mu.Unlock()
	logs := buf.String()
	if n := strings.Count(logs, "handler failed; retrying"); n != 2 {
		t.Errorf("retry log records = %d, want 2:\n%s", n, logs)
	}
	for _, want := range []string{`"event_id":"att-1"`, `"subscriber":"att"`, `"attempt":2`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "hunter2") {
		t.Error("logs contain the event payload")
	}
}

func TestPublishIsAsyncAndCloseRejects(t *testing.T) {
	b := membus.New(membus.Options{Concurrency: 1, Logger: quiet()})
	release := make(chan struct{})
	var handled atomic.Int32
	if err := b.Subscribe("slow", "s", func(context.Context, events.Event) error {
		<-release
		handled.Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// With one worker blocked, many publishes must still return at once.
	start := time.Now()
	for i := range 1000 {
		if err := b.Publish(context.Background(), "slow", eventstest.NewEvent("e"+string(rune('a'+i%26)), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("1000 publishes took %s with a blocked handler", el)
	}
	if b.Idle() {
		t.Error("Idle() = true with queued work")
	}
	// Drain with a deadline gives up, abandons the queue and reports it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Drain(ctx); err == nil {
		t.Error("Drain with a blocked handler and a short deadline returned nil")
	}
	close(release)
	if err := b.Publish(context.Background(), "slow", eventstest.NewEvent("late", nil)); !errors.Is(err, membus.ErrClosed) || !errs.Is(err, errs.Conflict) {
		t.Errorf("Publish after Drain = %v, want ErrClosed (conflict)", err)
	}
	if err := b.Subscribe("x", "y", func(context.Context, events.Event) error { return nil }); !errs.Is(err, errs.Conflict) {
		t.Errorf("Subscribe after Drain = %v, want conflict", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close after Drain: %v", err)
	}
	if n := handled.Load(); n != 1 {
		t.Errorf("handled %d events after abandoning the queue, want only the running one", n)
	}
}

func TestDeadLetterCallbackMayPublish(t *testing.T) {
	var b *membus.Bus
	got := make(chan string, 1)
	b = membus.New(membus.Options{MaxAttempts: 1, Logger: quiet(), OnDeadLetter: func(dl events.DeadLetter) {
		e := eventstest.NewEvent("dlq-"+dl.Event.ID(), nil)
		if err := b.Publish(context.Background(), "dlq", e); err != nil {
			t.Errorf("publish from dead-letter callback: %v", err)
		}
	}})
	defer b.Close()
	_ = b.Subscribe("work", "w", func(context.Context, events.Event) error { return errors.New("nope") })
	_ = b.Subscribe("dlq", "d", func(_ context.Context, e events.Event) error { got <- e.ID(); return nil })
	if err := b.Publish(context.Background(), "work", eventstest.NewEvent("j1", nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "dlq-j1" {
			t.Errorf("dlq event id = %q", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dead-letter republish not delivered")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestURLOpenerCarriesOptions: an opener value carries what a URL cannot
// (the dead-letter callback) and defaults that the URL's parameters
// override.
func TestURLOpenerCarriesOptions(t *testing.T) {
	ctx := context.Background()
	var dead atomic.Int32
	mux := events.DefaultURLMux().With(membus.Scheme, &membus.URLOpener{Options: membus.Options{
		Concurrency: 2, MaxAttempts: 1, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet(),
		OnDeadLetter: func(events.DeadLetter) { dead.Add(1) },
	}})
	bus, err := events.OpenMux(ctx, mux, "mem://?concurrency=3")
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	mb := bus.Driver.(*membus.Bus)
	if o := mb.Options(); o.Concurrency != 3 || o.MaxAttempts != 1 || o.MaxBackoff != 5*time.Millisecond {
		t.Errorf("options = %+v, want concurrency 3 from the URL, the rest from the opener", o)
	}
	if err := bus.Subscribe("t", "s", func(context.Context, events.Event) error { return errs.E(errs.Invalid, "bad") }); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, "t", eventstest.NewEvent("1", nil)); err != nil {
		t.Fatal(err)
	}
	if err := mb.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if dead.Load() != 1 {
		t.Errorf("dead letters = %d, want 1 (the opener's callback)", dead.Load())
	}
	if _, err := events.OpenMux(ctx, mux, "mem://?min_backoff=1s"); !errs.Is(err, errs.Invalid) {
		t.Errorf("min_backoff above the opener's max_backoff = %v, want invalid", err)
	}
	// The default mux is unchanged.
	d, err := events.Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if o := d.Driver.(*membus.Bus).Options(); o.MaxAttempts != membus.DefaultMaxAttempts {
		t.Errorf("default mux options = %+v, want the defaults", o)
	}
}
