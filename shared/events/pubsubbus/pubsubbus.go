// Package pubsubbus is the Google Cloud Pub/Sub events driver (scheme
// "pubsub"): Publish sends the CloudEvent in Pub/Sub binary content mode to
// the topic projects/P/topics/<topic>, where a push subscription delivers it
// to a function, wrapped (by the functions framework) in a
// google.cloud.pubsub.topic.v1.messagePublished event: unwrap it with
// FromMessagePublished, which also reads Cloud Storage notifications.
//
// URL form: pubsub://PROJECT. The client honours PUBSUB_EMULATOR_HOST.
//
// Delivery, retries and dead letters are Pub/Sub's business in the cloud
// (the subscriptions' retry and dead-letter policies, in Terraform): a
// message given up on is forwarded to the dead-letter topic, read back with
// DeadLetterFromMessagePublished. This driver does not implement
// events.Subscriber.
package pubsubbus

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"cloud.google.com/go/pubsub/v2"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/errs/grpcerr"
	"github.com/b2brecs/b2brecs/shared/events"
	"google.golang.org/api/option"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "pubsub"

// ErrClosed is the cause of the error Publish returns after Close (kind
// errs.Conflict).
var ErrClosed = errors.New("pubsubbus: bus is closed")

func init() {
	events.Register(Scheme, func(ctx context.Context, u *url.URL) (events.Driver, error) {
		if u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, errs.E(errs.Invalid, "pubsubbus: URL must be pubsub://PROJECT, got %q", u.Redacted())
		}
		return New(ctx, u.Host, Options{})
	})
}

// Options configure a Bus.
type Options struct {
	// ClientOptions are passed to pubsub.NewClient (e.g. option.WithGRPCConn
	// for tests).
	ClientOptions []option.ClientOption
	// Client, if set, is used instead of creating one; Close does not close it.
	Client *pubsub.Client
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Bus publishes to Pub/Sub. It implements events.Driver.
type Bus struct {
	project    string
	client     *pubsub.Client
	ownsClient bool
	log        *slog.Logger

	mu     sync.Mutex
	pubs   map[string]*pubsub.Publisher
	closed bool
}

// New returns a Bus publishing to topics of project.
func New(ctx context.Context, project string, opts Options) (*Bus, error) {
	if project == "" {
		return nil, errs.E(errs.Invalid, "pubsubbus: empty project")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	b := &Bus{project: project, client: opts.Client, log: log.With("component", "pubsubbus"), pubs: map[string]*pubsub.Publisher{}}
	if b.client == nil {
		c, err := pubsub.NewClient(ctx, project, opts.ClientOptions...)
		if err != nil {
			return nil, mapErr(err, "pubsubbus: new client for project %q", project)
		}
		b.client, b.ownsClient = c, true
	}
	return b, nil
}

// TopicName returns the full Pub/Sub name of a topic of the bus's project.
func (b *Bus) TopicName(topic string) string { return TopicName(b.project, topic) }

// TopicName returns "projects/<project>/topics/<topic>".
func TopicName(project, topic string) string { return "projects/" + project + "/topics/" + topic }

func (b *Bus) publisher(topic string) (*pubsub.Publisher, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errs.Wrap(errs.Conflict, ErrClosed, "pubsubbus: publish to %q", topic)
	}
	p, ok := b.pubs[topic]
	if !ok {
		p = b.client.Publisher(b.TopicName(topic))
		b.pubs[topic] = p
	}
	return p, nil
}

// Publish sends e to topic and waits until Pub/Sub has accepted it.
func (b *Bus) Publish(ctx context.Context, topic string, e events.Event) error {
	if topic == "" || strings.Contains(topic, "/") {
		return errs.E(errs.Invalid, "pubsubbus: bad topic %q", topic)
	}
	data, attrs, err := EncodeMessage(e)
	if err != nil {
		return errs.At("pubsubbus.Publish", err) // Invalid already
	}
	p, err := b.publisher(topic)
	if err != nil {
		return err
	}
	res := p.Publish(ctx, &pubsub.Message{Data: data, Attributes: attrs})
	id, err := res.Get(ctx)
	if err != nil {
		return mapErr(err, "pubsubbus: publish event %q to %q", e.ID(), topic)
	}
	b.log.Debug("published", "topic", topic, "event_id", e.ID(), "event_type", e.Type(), "message_id", id)
	return nil
}

// Close flushes and stops every publisher, then closes the client if the
// bus created it. Later Publish calls fail.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	pubs := b.pubs
	b.pubs = nil
	b.mu.Unlock()
	for _, p := range pubs {
		p.Stop()
	}
	if b.ownsClient {
		if err := b.client.Close(); err != nil {
			return mapErr(err, "pubsubbus: close client")
		}
	}
	return nil
}

// mapErr gives a Pub/Sub or gRPC error its kind.
func mapErr(err error, format string, args ...any) error { return grpcerr.Wrap(err, format, args...) }

var _ events.Driver = (*Bus)(nil)
