// Package events is the port for the event bus: functions publish CloudEvents
// to topics, and the bus delivers them to the functions subscribed to each
// topic, at least once.
//
// Drivers: mem:// (in-process dispatcher with retries, backoff, dead letters
// and bounded concurrency; the local platform) and pubsub://project (Google
// Pub/Sub; the cloud, where push subscriptions declared in Terraform do the
// subscribing).
package events

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/registry"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// Event is a CloudEvent (v1.0).
type Event = cloudevents.Event

// Handler handles one delivery of an event. A nil error acknowledges it. An
// error of kind errs.Invalid (or any non-retryable kind, see errs.Retryable)
// dead-letters the event at once; other errors are retried with backoff.
type Handler func(ctx context.Context, e Event) error

// Publisher publishes events.
type Publisher interface {
	Publish(ctx context.Context, topic string, e Event) error
}

// Subscriber attaches handlers to topics. Only in-process drivers implement
// it; in the cloud, subscriptions are Pub/Sub push subscriptions declared in
// Terraform.
type Subscriber interface {
	Subscribe(topic, name string, h Handler) error
}

// DeadLetter records an event that was given up on.
type DeadLetter struct {
	Topic      string
	Subscriber string
	Event      Event
	Attempts   int
	LastError  string
	At         time.Time
}

// Driver is what a backend implements.
type Driver interface {
	Publisher
	Close() error
}

// Bus is the portable type.
type Bus struct {
	Driver
}

// Opener opens a driver from a URL alone (drivers register one from init).
type Opener = registry.Opener[Driver]

// URLOpener opens a driver from a URL; it may carry dependencies (the
// in-process bus carries its dead-letter callback and logger).
type URLOpener = registry.URLOpener[Driver]

// URLMux maps URL schemes to openers.
type URLMux = registry.Registry[Driver]

var drivers = registry.New[Driver]("events")

// Register makes a driver available under a URL scheme. Call it from init.
func Register(scheme string, o Opener) { drivers.Register(scheme, o) }

// DefaultURLMux is the mux drivers register with; add an opener that
// carries dependencies with DefaultURLMux().With(scheme, opener).
func DefaultURLMux() *URLMux { return drivers }

// Open opens the bus named by rawURL (mem:// or pubsub://project) through
// the default mux.
func Open(ctx context.Context, rawURL string) (*Bus, error) {
	return OpenMux(ctx, drivers, rawURL)
}

// OpenMux opens the bus named by rawURL through mux.
func OpenMux(ctx context.Context, mux *URLMux, rawURL string) (*Bus, error) {
	d, err := mux.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &Bus{Driver: d}, nil
}

// Subscribe attaches h to topic if the driver is in-process; it returns
// errs.Unsupported otherwise.
func (b *Bus) Subscribe(topic, name string, h Handler) error {
	if s, ok := b.Driver.(Subscriber); ok {
		return s.Subscribe(topic, name, h)
	}
	return errUnsupported(topic)
}
