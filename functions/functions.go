package functions

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"github.com/b2brecs/b2brecs/shared/platform"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

func init() {
	register(frameworkRegistry{}, &lazyApp{})
}

// registry is where entry points are registered: functions-framework-go
// in a deployed function (frameworkRegistry), a recorder in tests.
type registry interface {
	HTTP(name string, fn func(http.ResponseWriter, *http.Request))
	CloudEvent(name string, fn func(context.Context, cloudevents.Event) error)
}

// frameworkRegistry registers with functions-framework-go.
type frameworkRegistry struct{}

func (frameworkRegistry) HTTP(name string, fn func(http.ResponseWriter, *http.Request)) {
	functions.HTTP(name, fn)
}

func (frameworkRegistry) CloudEvent(name string, fn func(context.Context, cloudevents.Event) error) {
	functions.CloudEvent(name, fn)
}

// register registers every entry point of the table with its handler,
// served over app's platform.
func register(r registry, app *lazyApp) {
	for _, ep := range Entrypoints() {
		h := ep.Handler
		switch {
		case h.HTTP != nil:
			r.HTTP(ep.Name, app.httpFunc(h.HTTP))
		case h.DeadLetter != nil:
			r.CloudEvent(ep.Name, app.deadLetterFunc(h.DeadLetter))
		case h.Event != nil:
			r.CloudEvent(ep.Name, app.eventFunc(h.Event))
		default:
			panic("functions: entry point " + ep.Name + " has no handler")
		}
	}
}

// EventHandlers returns the event handler of every event-triggered entry
// point (but the dead-letter recorder, see DeadLetterHandler), by name,
// over an assembled platform. The local platform subscribes them to its
// in-process bus; the cloud entry points call the same ones.
func EventHandlers(p *platform.Platform) map[string]events.Handler {
	out := map[string]events.Handler{}
	for _, ep := range Entrypoints() {
		if ep.Handler.Event != nil {
			out[ep.Name] = ep.Handler.Event(p)
		}
	}
	return out
}

// DeadLetterHandler records a delivery the platform gave up on and fails
// the run it was for (the DeadLettered entry point's handler). The local
// platform gives it the in-process bus's dead letters; the DeadLettered
// function the messages Pub/Sub forwards to the dead-letter topic.
func DeadLetterHandler(p *platform.Platform) func(context.Context, events.DeadLetter) error {
	for _, ep := range Entrypoints() {
		if ep.Handler.DeadLetter != nil {
			return ep.Handler.DeadLetter(p)
		}
	}
	return nil
}

// lazyApp opens the platform on the first request of an instance, so that
// init stays cheap and a cold start pays only for the function invoked. A
// failed open is tried again on the next request.
type lazyApp struct {
	mu sync.Mutex
	p  *platform.Platform
}

func (a *lazyApp) platform(ctx context.Context) (*platform.Platform, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.p != nil {
		return a.p, nil
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	p, err := platform.Open(context.WithoutCancel(ctx), platform.FromEnv(), platform.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	a.p = p
	return p, nil
}

// httpFunc adapts an HTTP entry point: its handler is made once, over
// the platform opened by the first request.
func (a *lazyApp) httpFunc(h func(*platform.Platform) http.Handler) func(http.ResponseWriter, *http.Request) {
	var (
		once    sync.Once
		handler http.Handler
	)
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.platform(r.Context())
		if err != nil {
			slog.ErrorContext(r.Context(), "functions: platform unavailable", "err", err)
			http.Error(w, `{"error":{"kind":"transient","message":"the service is starting; try again"}}`, http.StatusServiceUnavailable)
			return
		}
		once.Do(func() { handler = h(p) })
		handler.ServeHTTP(w, r)
	}
}

// eventFunc adapts an event handler to a CloudEvent function: Pub/Sub
// deliveries are unwrapped to the CloudEvent they carry, and errors that a
// retry cannot fix (an event failing its schema, say) are logged and
// acknowledged so Pub/Sub does not redeliver them.
func (a *lazyApp) eventFunc(h func(*platform.Platform) events.Handler) func(context.Context, cloudevents.Event) error {
	return func(ctx context.Context, e cloudevents.Event) error {
		p, err := a.platform(ctx)
		if err != nil {
			return err // retried: the platform may come up
		}
		return Deliver(ctx, p.Logger, h(p), e)
	}
}

// deadLetterFunc adapts the dead-letter recorder to a CloudEvent function
// subscribed to the dead-letter topic.
func (a *lazyApp) deadLetterFunc(h func(*platform.Platform) func(context.Context, events.DeadLetter) error) func(context.Context, cloudevents.Event) error {
	return func(ctx context.Context, e cloudevents.Event) error {
		p, err := a.platform(ctx)
		if err != nil {
			return err
		}
		return DeliverDeadLetter(ctx, p.Logger, h(p), e)
	}
}

// DeliverDeadLetter reads a message Pub/Sub forwarded to the dead-letter
// topic and hands it to record; a message that cannot be read is logged
// and acknowledged (there is nothing to record), a failed record retried.
func DeliverDeadLetter(ctx context.Context, log *slog.Logger, record func(context.Context, events.DeadLetter) error, e cloudevents.Event) error {
	dl, err := pubsubbus.DeadLetterFromMessagePublished(e)
	if err != nil {
		log.ErrorContext(ctx, "functions: unreadable dead letter dropped", "id", e.ID(), "err", err)
		return nil
	}
	err = record(ctx, dl)
	if err != nil && !errs.Retryable(err) {
		log.ErrorContext(ctx, "functions: dead letter not recorded", "id", dl.Event.ID(), "type", dl.Event.Type(), "err", err)
		return nil
	}
	return err
}

// Deliver runs h on e the way a push subscription delivers it: unwrapping
// Pub/Sub messages (CloudEvents in binary or structured mode, or Cloud
// Storage notifications), and turning non-retryable errors into
// acknowledgements.
func Deliver(ctx context.Context, log *slog.Logger, h events.Handler, e cloudevents.Event) error {
	if e.Type() == eventschemas.TypeMessagePublished {
		inner, err := pubsubbus.FromMessagePublished(e)
		if err != nil {
			log.ErrorContext(ctx, "functions: undecodable Pub/Sub delivery dropped", "id", e.ID(), "err", err)
			return nil
		}
		e = inner
	}
	err := h(ctx, e)
	if err != nil && !errs.Retryable(err) {
		log.ErrorContext(ctx, "functions: event rejected, not retried", "id", e.ID(), "type", e.Type(), "kind", errs.KindOf(err).String(), "err", err)
		return nil
	}
	return err
}
