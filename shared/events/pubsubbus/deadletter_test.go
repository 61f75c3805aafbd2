package pubsubbus_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// A Cloud Storage notification (payload format JSON_API_V1) as Pub/Sub
// carries it: the attributes Cloud Storage sets and the object resource.
var (
	gcsNotificationAttrs = map[string]string{
		"notificationConfig": "projects/_/buckets/acme-drop/notificationConfigs/1",
		"eventType":          "OBJECT_FINALIZE",
		"payloadFormat":      "JSON_API_V1",
		"bucketId":           "acme-drop",
		"objectId":           "sales/orders 2026.csv",
		"objectGeneration":   "1764086400123456",
		"eventTime":          "2026-11-25T16:00:00.123456Z",
	}
	gcsNotificationData = `{"kind":"storage#object","id":"acme-drop/sales/orders 2026.csv/1764086400123456",` +
		`"selfLink":"https://www.googleapis.com/storage/v1/b/acme-drop/o/sales%2Forders%202026.csv","name":"sales/orders 2026.csv",` +
		`"bucket":"acme-drop","generation":"1764086400123456","metageneration":"1","contentType":"text/csv",` +
		`"timeCreated":"2026-11-25T16:00:00.123Z","updated":"2026-11-25T16:00:00.123Z","storageClass":"STANDARD",` +
		`"timeStorageClassUpdated":"2026-11-25T16:00:00.123Z","size":"48213","md5Hash":"XrY7u+Ae7tCTyyK7j1rNww==",` +
		`"mediaLink":"https://storage.googleapis.com/download/storage/v1/b/acme-drop/o/x?generation=1764086400123456&alt=media",` +
		`"crc32c":"yZRlqg==","etag":"CMDE/7yVvZEDEAE="}`
)

// TestStorageNotification: a drop bucket's notification, delivered by a
// push subscription, becomes the storage CloudEvent the FileDropped
// handler reads (as Eventarc's storage trigger delivered it), and its data
// passes the event schema.
func TestStorageNotification(t *testing.T) {
	env, err := pubsubbus.ToMessagePublished("projects/acme/topics/object-finalized", "projects/acme/subscriptions/file-dropped",
		"9876", time.Now(), []byte(gcsNotificationData), gcsNotificationAttrs)
	if err != nil {
		t.Fatal(err)
	}
	e, err := pubsubbus.FromMessagePublished(env)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != eventschemas.TypeObjectFinalized || e.ID() != "acme-drop/sales/orders 2026.csv/1764086400123456" ||
		e.Source() != "//storage.googleapis.com/projects/_/buckets/acme-drop" || e.Subject() != "objects/sales/orders 2026.csv" ||
		!e.Time().Equal(time.Date(2026, 11, 25, 16, 0, 0, 123456000, time.UTC)) {
		t.Errorf("event = %v", e)
	}
	v, err := eventschemas.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := eventschemas.Decode[eventschemas.StorageObjectData](v, e.Type(), e.Data())
	if err != nil {
		t.Fatalf("the object resource does not pass the schema: %v", err)
	}
	if obj.Bucket != "acme-drop" || obj.Name != "sales/orders 2026.csv" || obj.Generation != "1764086400123456" || obj.Size != "48213" {
		t.Errorf("object = %+v", obj)
	}

	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range gcsNotificationAttrs {
			out[a] = b
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		name  string
		attrs map[string]string
		data  string
		kind  errs.Kind
	}{
		{"payload format NONE", with("payloadFormat", "NONE"), "", errs.Unsupported},
		{"unknown change", with("eventType", "OBJECT_TELEPORT"), gcsNotificationData, errs.Unsupported},
		{"no object", with("objectId", ""), gcsNotificationData, errs.Invalid},
		{"not JSON", gcsNotificationAttrs, "<object/>", errs.Invalid},
		{"bad time", with("eventTime", "yesterday"), gcsNotificationData, errs.Invalid},
	} {
		if _, err := pubsubbus.DecodeMessage([]byte(c.data), c.attrs); errs.KindOf(err) != c.kind {
			t.Errorf("%s: err = %v, want kind %s", c.name, err, c.kind)
		}
	}
	deleted, err := pubsubbus.DecodeMessage([]byte(gcsNotificationData), with("eventType", "OBJECT_DELETE"))
	if err != nil || deleted.Type() != "google.cloud.storage.object.v1.deleted" || deleted.ID() == e.ID() {
		t.Errorf("delete notification = %v, %v", deleted, err)
	}
}

// TestDeadLetterFromMessagePublished sends an event through a Pub/Sub
// subscription with a dead-letter policy (pstest), refuses every delivery
// until Pub/Sub forwards it to the dead-letter topic, and reads it back the
// way the dead-letter function receives it. Pub/Sub adds the source
// subscription and delivery count as attributes (pstest does not, so the
// test adds them as Pub/Sub documents them).
func TestDeadLetterFromMessagePublished(t *testing.T) {
	ctx := context.Background()
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	const project = "b2b-dl"
	client, err := pubsub.NewClient(ctx, project, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	topic, dlTopic := pubsubbus.TopicName(project, eventschemas.TopicRunRequested), pubsubbus.TopicName(project, eventschemas.TopicDeadLetter)
	for _, name := range []string{topic, dlTopic} {
		if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	sub, dlSub := "projects/"+project+"/subscriptions/run-requested", "projects/"+project+"/subscriptions/dead-lettered"
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: topic, AckDeadlineSeconds: 10,
		DeadLetterPolicy: &pubsubpb.DeadLetterPolicy{DeadLetterTopic: dlTopic, MaxDeliveryAttempts: 5},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: dlSub, Topic: dlTopic, AckDeadlineSeconds: 10}); err != nil {
		t.Fatal(err)
	}
	bus, err := pubsubbus.New(ctx, project, pubsubbus.Options{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	ev := sample(t)
	if err := bus.Publish(ctx, eventschemas.TopicRunRequested, ev); err != nil {
		t.Fatal(err)
	}
	// Refuse every delivery (the handler keeps failing).
	for range 5 {
		res, err := client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.GetReceivedMessages() {
			if err := client.SubscriptionAdminClient.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
				Subscription: sub, AckIds: []string{m.GetAckId()}, AckDeadlineSeconds: 0,
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got *pubsubpb.ReceivedMessage
	for deadline := time.Now().Add(10 * time.Second); got == nil && time.Now().Before(deadline); {
		// One more pull on the source lets pstest forward the message.
		_, _ = client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 1})
		res, err := client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: dlSub, MaxMessages: 1})
		if err != nil {
			t.Fatal(err)
		}
		if ms := res.GetReceivedMessages(); len(ms) > 0 {
			got = ms[0]
		}
	}
	if got == nil {
		t.Fatal("the message never reached the dead-letter topic")
	}
	m := got.GetMessage()
	attrs := map[string]string{}
	for k, v := range m.GetAttributes() {
		attrs[k] = v
	}
	attrs[pubsubbus.AttrDeadLetterSubscription] = sub
	attrs[pubsubbus.AttrDeadLetterDeliveryCount] = "5"
	attrs["CloudPubSubDeadLetterSourceSubscriptionProject"] = project
	attrs["CloudPubSubDeadLetterSourceTopicPublishTime"] = "2026-11-25T16:00:00Z"
	env, err := pubsubbus.ToMessagePublished(dlTopic, dlSub, m.GetMessageId(), m.GetPublishTime().AsTime(), m.GetData(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	// Through JSON, as the function receives it.
	wire, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var delivered events.Event
	if err := json.Unmarshal(wire, &delivered); err != nil {
		t.Fatal(err)
	}
	dl, err := pubsubbus.DeadLetterFromMessagePublished(delivered)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Event.ID() != ev.ID() || dl.Event.Type() != ev.Type() || string(dl.Event.Data()) != string(ev.Data()) {
		t.Errorf("dead-lettered event = %v, want %v", dl.Event, ev)
	}
	if dl.Subscriber != "run-requested" || dl.Attempts != 5 || dl.At.IsZero() {
		t.Errorf("dead letter = subscriber %q, %d attempts, at %v", dl.Subscriber, dl.Attempts, dl.At)
	}
	if _, ok := dl.Event.Extensions()["cloudpubsubdeadlettersourcesubscription"]; ok {
		t.Errorf("Pub/Sub's dead-letter attributes leaked into the event: %v", dl.Event.Extensions())
	}
}
