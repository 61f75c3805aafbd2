package pubsubbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/eventstest"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// receiver builds the eventstest.Receive for a Pub/Sub server: it creates
// the topic and a subscription, pulls with its own client, wraps each
// message the way Eventarc does (messagePublished, through JSON), unwraps it
// with FromMessagePublished and calls the handler; an error nacks.
func receiver(client *pubsub.Client, project string) eventstest.Receive {
	return func(t *testing.T, topic, name string, h events.Handler) {
		ctx := context.Background()
		topicName := pubsubbus.TopicName(project, topic)
		if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName}); err != nil && status.Code(err) != codes.AlreadyExists {
			t.Fatalf("create topic: %v", err)
		}
		subName := fmt.Sprintf("projects/%s/subscriptions/%s-%s", project, topic, name)
		if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
			Name: subName, Topic: topicName, AckDeadlineSeconds: 10,
		}); err != nil {
			t.Fatalf("create subscription: %v", err)
		}
		sub := client.Subscriber(subName)
		sub.ReceiveSettings.NumGoroutines = 2
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := sub.Receive(rctx, func(ctx context.Context, m *pubsub.Message) {
				env, err := pubsubbus.ToMessagePublished(topicName, subName, m.ID, m.PublishTime, m.Data, m.Attributes)
				if err != nil {
					t.Errorf("wrap: %v", err)
					m.Nack()
					return
				}
				wire, err := json.Marshal(env)
				if err != nil {
					t.Errorf("marshal envelope: %v", err)
					m.Nack()
					return
				}
				var outer events.Event
				if err := json.Unmarshal(wire, &outer); err != nil {
					t.Errorf("unmarshal envelope: %v", err)
					m.Nack()
					return
				}
				e, err := pubsubbus.FromMessagePublished(outer)
				if err != nil {
					t.Errorf("FromMessagePublished: %v", err)
					m.Ack()
					return
				}
				if err := h(ctx, e); err != nil {
					m.Nack()
					return
				}
				m.Ack()
			})
			if err != nil && rctx.Err() == nil {
				t.Errorf("receive: %v", err)
			}
		}()
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
}

func TestConformancePstest(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	dial := func(t *testing.T) *grpc.ClientConn {
		conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	const project = "b2b-pstest"
	ctx := context.Background()
	admin, err := pubsub.NewClient(ctx, project, option.WithGRPCConn(dial(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	eventstest.Run(t, func(t *testing.T) (events.Driver, eventstest.Receive) {
		b, err := pubsubbus.New(ctx, project, pubsubbus.Options{ClientOptions: []option.ClientOption{option.WithGRPCConn(dial(t))}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b, receiver(admin, project)
	})
}

func TestConformanceEmulator(t *testing.T) {
	testenv.Require(t, testenv.PubSub)
	ctx := context.Background()
	project := fmt.Sprintf("b2b-test-%d", time.Now().UnixNano())
	admin, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	eventstest.Run(t, func(t *testing.T) (events.Driver, eventstest.Receive) {
		bus, err := events.Open(ctx, "pubsub://"+project)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = bus.Close() })
		return bus.Driver, receiver(admin, project)
	})
}

func TestEmulatorErrors(t *testing.T) {
	testenv.Require(t, testenv.PubSub)
	ctx := context.Background()
	bus, err := events.Open(ctx, fmt.Sprintf("pubsub://b2b-err-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := bus.Publish(pctx, "no-such-topic", eventstest.NewEvent("x", nil)); !errs.Is(err, errs.NotFound) {
		t.Errorf("Publish to a missing topic = %v, want not_found", err)
	}
	if err := bus.Subscribe("t", "s", func(context.Context, events.Event) error { return nil }); !errs.Is(err, errs.Unsupported) {
		t.Errorf("Subscribe = %v, want unsupported", err)
	}
}

func TestOpenURLErrors(t *testing.T) {
	for _, u := range []string{"pubsub://", "pubsub://proj/extra"} {
		if _, err := events.Open(context.Background(), u); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q) = %v, want invalid", u, err)
		}
	}
}
