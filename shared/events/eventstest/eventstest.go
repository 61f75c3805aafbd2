// Package eventstest is the conformance suite every events driver must pass.
//
// Run covers what all drivers share: an event published round-trips with its
// attributes, extensions and data; invalid events are rejected with
// errs.Invalid; a failed delivery is delivered again; Close flushes what was
// published; Publish after Close fails.
//
// RunInProcess adds what in-process drivers (mem://) promise on top: fan-out
// to every subscriber, dead letters after MaxAttempts, immediate dead letters
// for non-retryable errors, and the concurrency bound.
package eventstest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// Receive attaches h to the deliveries of topic for a subscriber name, the
// way the platform would: in-process drivers through Subscribe, Pub/Sub
// through a subscription the test creates and pulls. It is called before the
// suite publishes. A nil error from h acknowledges the delivery; an error
// asks for it to be delivered again. Receive must stop delivering when t ends.
type Receive func(t *testing.T, topic, name string, h events.Handler)

// Timeout bounds every wait in the suite.
const Timeout = 20 * time.Second

// Run runs the shared conformance tests. open returns a fresh driver (the
// suite closes it, and tolerates open's own cleanup closing it again) and
// the matching Receive.
func Run(t *testing.T, open func(t *testing.T) (events.Driver, Receive)) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("InvalidEvent", func(t *testing.T) { testInvalidEvent(t, open) })
	t.Run("RetryThenSuccess", func(t *testing.T) { testRetryThenSuccess(t, open) })
	t.Run("CloseDrains", func(t *testing.T) { testCloseDrains(t, open) })
}

// NewEvent returns a valid event with a fresh id and a JSON payload.
func NewEvent(id string, payload any) events.Event {
	e := cloudevents.New()
	e.SetID(id)
	e.SetType("com.b2brecs.test.happened.v1")
	e.SetSource("//b2brecs/eventstest")
	e.SetTime(time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.UTC))
	if err := e.SetData("application/json", payload); err != nil {
		panic(err)
	}
	return e
}

// Topic returns a topic name unique to t, so that drivers backed by a shared
// server (an emulator) do not mix tests up.
func Topic(t *testing.T, base string) string {
	return fmt.Sprintf("%s-%d", base, time.Now().UnixNano())
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

func testRoundTrip(t *testing.T, open func(t *testing.T) (events.Driver, Receive)) {
	d, recv := open(t)
	defer d.Close()
	topic := Topic(t, "roundtrip")
	got := make(chan events.Event, 4)
	recv(t, topic, "rt", func(_ context.Context, e events.Event) error {
		got <- e
		return nil
	})

	want := cloudevents.New()
	want.SetID("rt-1")
	want.SetType("com.b2brecs.etl.run.requested.v1")
	want.SetSource("//b2brecs/tenants/acme/jobs/42")
	want.SetSubject("jobs/42")
	want.SetTime(time.Date(2026, 10, 25, 1, 30, 15, 250000000, time.UTC))
	want.SetDataSchema("https://b2brecs.example/schemas/run-requested.json")
	want.SetExtension("tenant", "acme")
	want.SetExtension("scheduledtime", "2026-10-25T01:30:00Z")
	payload := map[string]any{"tenant": "acme", "job_id": "42", "unicode": "naïve ✓", "n": 3}
	if err := want.SetData("application/json", payload); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctxT(t), topic, want); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	var e events.Event
	select {
	case e = <-got:
	case <-time.After(Timeout):
		t.Fatal("event not delivered")
	}
	checks := []struct{ field, got, want string }{
		{"id", e.ID(), want.ID()},
		{"type", e.Type(), want.Type()},
		{"source", e.Source(), want.Source()},
		{"subject", e.Subject(), want.Subject()},
		{"specversion", e.SpecVersion(), "1.0"},
		{"datacontenttype", e.DataContentType(), "application/json"},
		{"dataschema", e.DataSchema(), want.DataSchema()},
		{"time", e.Time().UTC().Format(time.RFC3339Nano), want.Time().UTC().Format(time.RFC3339Nano)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	for _, name := range []string{"tenant", "scheduledtime"} {
		v, err := e.Context.GetExtension(name)
		if err != nil {
			t.Errorf("extension %q missing: %v", name, err)
			continue
		}
		if fmt.Sprint(v) != fmt.Sprint(want.Extensions()[name]) {
			t.Errorf("extension %q = %v, want %v", name, v, want.Extensions()[name])
		}
	}
	var gotPayload map[string]any
	if err := json.Unmarshal(e.Data(), &gotPayload); err != nil {
		t.Fatalf("data %q is not JSON: %v", e.Data(), err)
	}
	if gotPayload["unicode"] != "naïve ✓" || gotPayload["job_id"] != "42" || gotPayload["n"] != float64(3) {
		t.Errorf("data = %v, want %v", gotPayload, payload)
	}
}

func testInvalidEvent(t *testing.T, open func(t *testing.T) (events.Driver, Receive)) {
	d, _ := open(t)
	defer d.Close()
	topic := Topic(t, "invalid")
	bad := NewEvent("", map[string]string{"a": "b"}) // no id
	if err := d.Publish(ctxT(t), topic, bad); !errs.Is(err, errs.Invalid) {
		t.Errorf("Publish(event without id) = %v, want kind invalid", err)
	}
	noType := NewEvent("x", nil)
	noType.SetType("")
	if err := d.Publish(ctxT(t), topic, noType); !errs.Is(err, errs.Invalid) {
		t.Errorf("Publish(event without type) = %v, want kind invalid", err)
	}
	if err := d.Publish(ctxT(t), "", NewEvent("y", nil)); !errs.Is(err, errs.Invalid) {
		t.Errorf("Publish(empty topic) = %v, want kind invalid", err)
	}
}

func testRetryThenSuccess(t *testing.T, open func(t *testing.T) (events.Driver, Receive)) {
	d, recv := open(t)
	defer d.Close()
	topic := Topic(t, "retry")
	var calls atomic.Int32
	done := make(chan string, 8)
	recv(t, topic, "flaky", func(_ context.Context, e events.Event) error {
		if calls.Add(1) == 1 {
			return errs.E(errs.Transient, "first attempt fails")
		}
		done <- e.ID()
		return nil
	})
	if err := d.Publish(ctxT(t), topic, NewEvent("retry-1", map[string]int{"n": 1})); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case id := <-done:
		if id != "retry-1" {
			t.Errorf("redelivered id = %q, want retry-1", id)
		}
	case <-time.After(Timeout):
		t.Fatalf("not redelivered after a transient failure (calls=%d)", calls.Load())
	}
	if n := calls.Load(); n < 2 {
		t.Errorf("handler called %d times, want >= 2", n)
	}
}

func testCloseDrains(t *testing.T, open func(t *testing.T) (events.Driver, Receive)) {
	d, recv := open(t)
	topic := Topic(t, "drain")
	const n = 5
	var mu sync.Mutex
	seen := map[string]bool{}
	all := make(chan struct{})
	recv(t, topic, "drainer", func(_ context.Context, e events.Event) error {
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		seen[e.ID()] = true
		if len(seen) == n {
			close(all)
		}
		return nil
	})
	for i := range n {
		if err := d.Publish(ctxT(t), topic, NewEvent(fmt.Sprintf("drain-%d", i), map[string]int{"i": i})); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-all:
	case <-time.After(Timeout):
		mu.Lock()
		t.Fatalf("after Close, %d of %d events delivered", len(seen), n)
	}
	if err := d.Publish(ctxT(t), topic, NewEvent("late", nil)); err == nil {
		t.Error("Publish after Close succeeded, want an error")
	}
}

// InProcessConfig is what RunInProcess asks of the driver it opens.
type InProcessConfig struct {
	Concurrency  int
	MaxAttempts  int
	OnDeadLetter func(events.DeadLetter)
}

// InProcessDriver is a driver that delivers in-process.
type InProcessDriver interface {
	events.Driver
	events.Subscriber
	// Wait blocks until no delivery is queued, running or waiting to be retried.
	Wait(ctx context.Context) error
}

// RunInProcess runs the tests for in-process semantics. open must return a
// driver with the given settings and short backoffs (milliseconds).
func RunInProcess(t *testing.T, open func(t *testing.T, c InProcessConfig) InProcessDriver) {
	t.Run("FanOut", func(t *testing.T) { testFanOut(t, open) })
	t.Run("DeadLetterAfterMaxAttempts", func(t *testing.T) { testDeadLetter(t, open) })
	t.Run("NonRetryableDeadLettersAtOnce", func(t *testing.T) { testNonRetryable(t, open) })
	t.Run("ConcurrencyBound", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("HandlerPublishes", func(t *testing.T) { testHandlerPublishes(t, open) })
}

type dlRecorder struct {
	mu  sync.Mutex
	dls []events.DeadLetter
}

func (r *dlRecorder) add(dl events.DeadLetter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dls = append(r.dls, dl)
}

func (r *dlRecorder) get() []events.DeadLetter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.DeadLetter(nil), r.dls...)
}

func testFanOut(t *testing.T, open func(*testing.T, InProcessConfig) InProcessDriver) {
	d := open(t, InProcessConfig{Concurrency: 4, MaxAttempts: 3})
	defer d.Close()
	var a, b atomic.Int32
	must(t, d.Subscribe("fan", "a", func(context.Context, events.Event) error { a.Add(1); return nil }))
	must(t, d.Subscribe("fan", "b", func(context.Context, events.Event) error { b.Add(1); return nil }))
	must(t, d.Subscribe("other", "c", func(context.Context, events.Event) error {
		return errs.E(errs.Invalid, "must not be called")
	}))
	if err := d.Subscribe("fan", "a", func(context.Context, events.Event) error { return nil }); !errs.Is(err, errs.Conflict) {
		t.Errorf("duplicate Subscribe = %v, want kind conflict", err)
	}
	for i := range 3 {
		must(t, d.Publish(ctxT(t), "fan", NewEvent(fmt.Sprintf("f%d", i), nil)))
	}
	must(t, d.Publish(ctxT(t), "nobody-listens", NewEvent("lost", nil)))
	must(t, d.Wait(ctxT(t)))
	if a.Load() != 3 || b.Load() != 3 {
		t.Errorf("deliveries a=%d b=%d, want 3 each", a.Load(), b.Load())
	}
}

func testDeadLetter(t *testing.T, open func(*testing.T, InProcessConfig) InProcessDriver) {
	var rec dlRecorder
	d := open(t, InProcessConfig{Concurrency: 2, MaxAttempts: 4, OnDeadLetter: rec.add})
	defer d.Close()
	var calls, okCalls atomic.Int32
	must(t, d.Subscribe("dl", "always-fails", func(context.Context, events.Event) error {
		calls.Add(1)
		return errs.E(errs.Transient, "backend down")
	}))
	must(t, d.Subscribe("dl", "panics", func(context.Context, events.Event) error {
		panic("boom")
	}))
	must(t, d.Subscribe("dl", "fine", func(context.Context, events.Event) error { okCalls.Add(1); return nil }))
	must(t, d.Publish(ctxT(t), "dl", NewEvent("dl-1", map[string]int{"x": 1})))
	must(t, d.Wait(ctxT(t)))
	if calls.Load() != 4 {
		t.Errorf("failing handler called %d times, want MaxAttempts=4", calls.Load())
	}
	if okCalls.Load() != 1 {
		t.Errorf("healthy subscriber called %d times, want 1", okCalls.Load())
	}
	dls := rec.get()
	if len(dls) != 2 {
		t.Fatalf("dead letters = %d (%+v), want 2", len(dls), dls)
	}
	bySub := map[string]events.DeadLetter{}
	for _, dl := range dls {
		bySub[dl.Subscriber] = dl
	}
	for _, sub := range []string{"always-fails", "panics"} {
		dl, ok := bySub[sub]
		if !ok {
			t.Errorf("no dead letter for %q", sub)
			continue
		}
		if dl.Topic != "dl" || dl.Attempts != 4 || dl.Event.ID() != "dl-1" || dl.LastError == "" || dl.At.IsZero() {
			t.Errorf("dead letter for %q = %+v, want topic dl, 4 attempts, event dl-1, an error and a time", sub, dl)
		}
	}
}

func testNonRetryable(t *testing.T, open func(*testing.T, InProcessConfig) InProcessDriver) {
	var rec dlRecorder
	d := open(t, InProcessConfig{Concurrency: 2, MaxAttempts: 5, OnDeadLetter: rec.add})
	defer d.Close()
	var calls atomic.Int32
	must(t, d.Subscribe("nr", "strict", func(context.Context, events.Event) error {
		calls.Add(1)
		return errs.E(errs.Invalid, "payload has no tenant")
	}))
	must(t, d.Publish(ctxT(t), "nr", NewEvent("nr-1", nil)))
	must(t, d.Wait(ctxT(t)))
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
	dls := rec.get()
	if len(dls) != 1 || dls[0].Attempts != 1 || dls[0].Subscriber != "strict" || dls[0].Event.ID() != "nr-1" {
		t.Fatalf("dead letters = %+v, want one with 1 attempt for strict/nr-1", dls)
	}
	if want := "payload has no tenant"; !strings.Contains(dls[0].LastError, want) {
		t.Errorf("LastError = %q, want it to contain %q", dls[0].LastError, want)
	}
}

func testConcurrency(t *testing.T, open func(*testing.T, InProcessConfig) InProcessDriver) {
	const limit = 3
	d := open(t, InProcessConfig{Concurrency: limit, MaxAttempts: 1})
	defer d.Close()
	var cur, peak, total atomic.Int32
	h := func(context.Context, events.Event) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		cur.Add(-1)
		total.Add(1)
		return nil
	}
	must(t, d.Subscribe("conc", "one", h))
	must(t, d.Subscribe("conc2", "two", h))
	for i := range 12 {
		must(t, d.Publish(ctxT(t), "conc", NewEvent(fmt.Sprintf("c%d", i), nil)))
		must(t, d.Publish(ctxT(t), "conc2", NewEvent(fmt.Sprintf("d%d", i), nil)))
	}
	must(t, d.Wait(ctxT(t)))
	if total.Load() != 24 {
		t.Errorf("handled %d, want 24", total.Load())
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak concurrent handlers = %d, want between 2 and %d", p, limit)
	}
}

// testHandlerPublishes checks that a handler can publish (a chain of events)
// even with a single worker, and that Close waits for the whole chain.
func testHandlerPublishes(t *testing.T, open func(*testing.T, InProcessConfig) InProcessDriver) {
	d := open(t, InProcessConfig{Concurrency: 1, MaxAttempts: 2})
	const depth = 50
	var last atomic.Int32
	must(t, d.Subscribe("chain", "next", func(ctx context.Context, e events.Event) error {
		var p struct{ N int }
		if err := e.DataAs(&p); err != nil {
			return errs.Wrap(errs.Invalid, err, "decode")
		}
		last.Store(int32(p.N))
		if p.N >= depth {
			return nil
		}
		return d.Publish(ctx, "chain", NewEvent(fmt.Sprintf("chain-%d", p.N+1), map[string]int{"N": p.N + 1}))
	}))
	must(t, d.Publish(ctxT(t), "chain", NewEvent("chain-0", map[string]int{"N": 0})))
	must(t, d.Close())
	if last.Load() != depth {
		t.Errorf("chain reached %d before Close returned, want %d", last.Load(), depth)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
