package functions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh" // test only: the functions themselves stay pure Go
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// captured collects the events the functions publish, to hand them to the
// next function the way Eventarc would (wrapped in a Pub/Sub message).
type captured struct {
	mu sync.Mutex
	by map[string][]events.Event
}

func (c *captured) handler(topic string) events.Handler {
	return func(_ context.Context, e events.Event) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.by[topic] = append(c.by[topic], e)
		return nil
	}
}

func (c *captured) wait(t *testing.T, topic string) events.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if n := len(c.by[topic]); n > 0 {
			e := c.by[topic][n-1]
			c.mu.Unlock()
			return e
		}
		c.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no event on %s", topic)
	return events.Event{}
}

// asMessagePublished wraps an event as Eventarc delivers a Pub/Sub message.
func asMessagePublished(t *testing.T, topic string, e events.Event) cloudevents.Event {
	t.Helper()
	data, attrs, err := pubsubbus.EncodeMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pubsubbus.ToMessagePublished(pubsubbus.TopicName("proj", topic), "projects/proj/subscriptions/eventarc-x", "m-"+e.ID(), time.Now(), data, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCloudEntryPoints drives the deployed entry points as the cloud would:
// a GCS object.finalized CloudEvent to FileDropped, then the Pub/Sub
// deliveries of its events to RunRequested and LoadRequested, through the
// same adapters functions-framework calls. Backends are the local drivers.
func TestCloudEntryPoints(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("B2B_DATA_DIR", dir)
	t.Setenv("B2B_EVENTS_URL", "mem://?max_attempts=1")
	t.Setenv("B2B_AUTH_MODE", "local")
	ctx := context.Background()
	app := &lazyApp{}
	fns := registered(app)
	p, err := app.platform(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cap := &captured{by: map[string][]events.Event{}}
	for _, topic := range []string{eventschemas.TopicRunRequested, eventschemas.TopicLoadRequested, eventschemas.TopicRunFinished} {
		if err := p.Bus.Subscribe(topic, "capture", cap.handler(topic)); err != nil {
			t.Fatal(err)
		}
	}
	tenant, err := p.Tenancy.CreateTenant(ctx, "Cloud Co")
	if err != nil {
		t.Fatal(err)
	}
	drop, err := p.Resources.Bucket(ctx, tenant.ID, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	csv := "order_id,sku,qty,ordered_at\n1,A1,3,2024-01-02 10:00:00\n2,B2,1,2024-01-03 11:30:00\n"
	if err := drop.WriteAll(ctx, "orders/2024-01.csv", []byte(csv), nil); err != nil {
		t.Fatal(err)
	}

	attrs, err := drop.Attributes(ctx, "orders/2024-01.csv")
	if err != nil {
		t.Fatal(err)
	}
	gcs := cloudevents.New()
	gcs.SetID("gcs-1")
	gcs.SetType(eventschemas.TypeObjectFinalized)
	gcs.SetSource("//storage.googleapis.com/projects/_/buckets/" + tenant.ID + "-drop")
	gcs.SetSubject("objects/orders/2024-01.csv")
	gcs.SetTime(time.Now())
	_ = gcs.SetData(cloudevents.ApplicationJSON, eventschemas.StorageObjectData{
		Bucket: tenant.ID + "-drop", Name: "orders/2024-01.csv", Generation: blobstore.Generation(attrs),
		Size: strconv.Itoa(len(csv)), TimeCreated: time.Now().UTC(), Updated: time.Now().UTC(),
	})
	// The drop bucket's notification, as its push subscription delivers it.
	if err := fns.events["FileDropped"](ctx, storageNotification(t, tenant.ID+"-drop", "orders/2024-01.csv", blobstore.Generation(attrs), len(csv))); err != nil {
		t.Fatalf("FileDropped: %v", err)
	}
	runReq := cap.wait(t, eventschemas.TopicRunRequested)
	if err := fns.events["RunRequested"](ctx, asMessagePublished(t, eventschemas.TopicRunRequested, runReq)); err != nil {
		t.Fatalf("RunRequested: %v", err)
	}
	loadReq := cap.wait(t, eventschemas.TopicLoadRequested)
	if err := fns.events["LoadRequested"](ctx, asMessagePublished(t, eventschemas.TopicLoadRequested, loadReq)); err != nil {
		t.Fatalf("LoadRequested: %v", err)
	}
	finished := cap.wait(t, eventschemas.TopicRunFinished)
	fin, err := eventschemas.Decode[eventschemas.RunFinished](nil, finished.Type(), finished.Data())
	if err != nil {
		t.Fatal(err)
	}
	if fin.Status != string(etl.StatusCompleted) || fin.RowsLoaded != 2 || fin.Tenant != tenant.ID {
		t.Fatalf("run finished = %+v", fin)
	}
	wh, err := p.Resources.Warehouse(ctx, tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := wh.DescribeTable(ctx, "raw_data", "col_2024_01")
	if err != nil {
		jobs, _ := p.ETL.ListJobs(ctx, tenant.ID)
		t.Fatalf("table: %v (jobs %+v)", err, jobs)
	}
	if tbl.NumRows != 2 {
		t.Errorf("rows = %d, want 2", tbl.NumRows)
	}

	// The same Pub/Sub delivery again (Eventarc redelivers): acknowledged, no rows.
	if err := fns.events["LoadRequested"](ctx, asMessagePublished(t, eventschemas.TopicLoadRequested, loadReq)); err != nil {
		t.Fatalf("redelivered LoadRequested: %v", err)
	}
	if tbl, _ := wh.DescribeTable(ctx, "raw_data", "col_2024_01"); tbl.NumRows != 2 {
		t.Errorf("after redelivery rows = %d, want 2", tbl.NumRows)
	}

	// An event that fails its schema is acknowledged (not retried), and so
	// is an undecodable Pub/Sub message.
	bad := gcs.Clone()
	bad.SetID("gcs-bad")
	_ = bad.SetData(cloudevents.ApplicationJSON, map[string]any{"bucket": tenant.ID + "-drop"})
	if err := fns.events["FileDropped"](ctx, bad); err != nil {
		t.Errorf("invalid event returned %v; want nil (acknowledged without retry)", err)
	}
	junk := cloudevents.New()
	junk.SetID("m-junk")
	junk.SetType(eventschemas.TypeMessagePublished)
	junk.SetSource("//pubsub.googleapis.com/projects/proj/topics/etl-run-requested")
	_ = junk.SetData(cloudevents.ApplicationJSON, map[string]any{"message": map[string]any{"data": "!!not base64"}})
	if err := fns.events["RunRequested"](ctx, junk); err != nil {
		t.Errorf("undecodable delivery returned %v; want nil", err)
	}
}

// storageNotification is a Cloud Storage notification (JSON_API_V1) of a
// finalized object, wrapped as the functions framework delivers a push.
func storageNotification(t *testing.T, bucket, name, gen string, size int) cloudevents.Event {
	t.Helper()
	obj, err := json.Marshal(eventschemas.StorageObjectData{
		Kind: "storage#object", ID: bucket + "/" + name + "/" + gen, Bucket: bucket, Name: name, Generation: gen,
		Metageneration: "1", Size: strconv.Itoa(size), TimeCreated: time.Now().UTC(), Updated: time.Now().UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{
		"notificationConfig": "projects/_/buckets/" + bucket + "/notificationConfigs/1", "eventType": "OBJECT_FINALIZE",
		"payloadFormat": "JSON_API_V1", "bucketId": bucket, "objectId": name, "objectGeneration": gen,
		"eventTime": time.Now().UTC().Format(time.RFC3339Nano),
	}
	out, err := pubsubbus.ToMessagePublished(pubsubbus.TopicName("proj", eventschemas.TopicObjectDropped), "projects/proj/subscriptions/file-dropped", "n-"+gen, time.Now(), obj, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeadLetteredEntryPoint: a request Pub/Sub gave up on, forwarded to
// the dead-letter topic, reaches the DeadLettered function, which fails
// the run with the reason; an unreadable message is acknowledged.
func TestDeadLetteredEntryPoint(t *testing.T) {
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	t.Setenv("B2B_EVENTS_URL", "mem://?max_attempts=1")
	t.Setenv("B2B_AUTH_MODE", "local")
	ctx := context.Background()
	app := &lazyApp{}
	fns := registered(app)
	p, err := app.platform(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cap := &captured{by: map[string][]events.Event{}}
	for _, topic := range []string{eventschemas.TopicRunRequested, eventschemas.TopicRunFinished} {
		if err := p.Bus.Subscribe(topic, "capture", cap.handler(topic)); err != nil {
			t.Fatal(err)
		}
	}
	tenant, err := p.Tenancy.CreateTenant(ctx, "Dead Letter Co")
	if err != nil {
		t.Fatal(err)
	}
	drop, err := p.Resources.Bucket(ctx, tenant.ID, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	csv := "sku,qty\nA,1\n"
	if err := drop.WriteAll(ctx, "stock.csv", []byte(csv), nil); err != nil {
		t.Fatal(err)
	}
	a, err := drop.Attributes(ctx, "stock.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := fns.events["FileDropped"](ctx, storageNotification(t, tenant.ID+"-drop", "stock.csv", blobstore.Generation(a), len(csv))); err != nil {
		t.Fatal(err)
	}
	req := cap.wait(t, eventschemas.TopicRunRequested)
	// Pub/Sub forwards the request with its attributes and its own.
	data, attrs, err := pubsubbus.EncodeMessage(req)
	if err != nil {
		t.Fatal(err)
	}
	attrs[pubsubbus.AttrDeadLetterSubscription] = "projects/proj/subscriptions/run-requested"
	attrs[pubsubbus.AttrDeadLetterDeliveryCount] = "5"
	dl, err := pubsubbus.ToMessagePublished(pubsubbus.TopicName("proj", eventschemas.TopicDeadLetter), "projects/proj/subscriptions/dead-lettered", "dl-1", time.Now(), data, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if err := fns.events["DeadLettered"](ctx, dl); err != nil {
		t.Fatalf("DeadLettered: %v", err)
	}
	runs, err := p.ETL.ListRuns(ctx, tenant.ID, etl.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	if r := runs[0]; r.Status != etl.StatusFailed || !contains(r.ErrorMessage, "gave up after 5 tries") {
		t.Errorf("run = %s %q; want failed, the platform gave up after 5 tries", r.Status, r.ErrorMessage)
	}
	fin := cap.wait(t, eventschemas.TopicRunFinished)
	if fin.Subject() != runs[0].ID {
		t.Errorf("run.finished for %q, want %q", fin.Subject(), runs[0].ID)
	}
	junk := cloudevents.New()
	junk.SetID("m-junk")
	junk.SetType(eventschemas.TypeMessagePublished)
	junk.SetSource("//pubsub.googleapis.com/projects/proj/topics/etl-dead-letter")
	_ = junk.SetData(cloudevents.ApplicationJSON, map[string]any{"message": map[string]any{"data": "!!not base64"}})
	if err := fns.events["DeadLettered"](ctx, junk); err != nil {
		t.Errorf("unreadable dead letter returned %v; want nil (acknowledged)", err)
	}
}

// TestDeliverRetriesTransient: a transient failure is returned so that
// Pub/Sub retries it.
func TestDeliverRetriesTransient(t *testing.T) {
	e := cloudevents.New()
	e.SetID("x")
	e.SetType("t")
	e.SetSource("//s")
	transient := errs.E(errs.Transient, "warehouse busy")
	err := Deliver(context.Background(), slogDiscard(), func(context.Context, events.Event) error { return transient }, e)
	if !errs.Is(err, errs.Transient) {
		t.Errorf("Deliver = %v, want the transient error back", err)
	}
	err = Deliver(context.Background(), slogDiscard(), func(context.Context, events.Event) error { return errs.E(errs.Invalid, "bad") }, e)
	if err != nil {
		t.Errorf("Deliver(invalid) = %v, want nil", err)
	}
}

// TestAPIEntryPoint serves the API through the HTTP entry point.
func TestAPIEntryPoint(t *testing.T) {
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	t.Setenv("B2B_VERSION", "test-1")
	app := &lazyApp{}
	fns := registered(app)
	rec := httptest.NewRecorder()
	fns.http["API"](rec, httptest.NewRequest(http.MethodGet, "/api/health", nil))
	if rec.Code != 200 || !contains(rec.Body.String(), `"version":"test-1"`) {
		t.Fatalf("health = %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	fns.http["API"](rec, httptest.NewRequest(http.MethodGet, "/api/runs", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("runs without a token = %d, want 401", rec.Code)
	}
}

// TestEntrypointsCarryTheirHandlers: every entry of the table has exactly
// the handler its trigger calls for, registration registers exactly the
// table (each name once, HTTP for the HTTP entry, CloudEvent for the
// others, in the table's order), and the local platform's handlers are
// the table's too.
func TestEntrypointsCarryTheirHandlers(t *testing.T) {
	var want []string
	for _, ep := range Entrypoints() {
		h := ep.Handler
		set := 0
		for _, ok := range []bool{h.HTTP != nil, h.Event != nil, h.DeadLetter != nil} {
			if ok {
				set++
			}
		}
		switch {
		case set != 1:
			t.Errorf("%s: %d handlers set, want exactly 1", ep.Name, set)
		case (ep.Trigger == TriggerHTTP) != (h.HTTP != nil):
			t.Errorf("%s: trigger %s with an HTTP handler %v", ep.Name, ep.Trigger, h.HTTP != nil)
		case ep.DeadLetters != (h.DeadLetter != nil):
			t.Errorf("%s: DeadLetters %v with a dead-letter handler %v", ep.Name, ep.DeadLetters, h.DeadLetter != nil)
		}
		want = append(want, ep.Name)
	}
	r := registered(&lazyApp{})
	if !slices.Equal(r.names, want) {
		t.Fatalf("registered %v, want the table's %v", r.names, want)
	}
	for _, ep := range Entrypoints() {
		_, isHTTP := r.http[ep.Name]
		_, isEvent := r.events[ep.Name]
		if isHTTP != (ep.Trigger == TriggerHTTP) || isEvent == isHTTP {
			t.Errorf("%s registered as HTTP %v, CloudEvent %v; trigger %s", ep.Name, isHTTP, isEvent, ep.Trigger)
		}
	}

	t.Setenv("B2B_DATA_DIR", t.TempDir())
	t.Setenv("B2B_AUTH_MODE", "local")
	p, err := (&lazyApp{}).platform(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var events []string
	for name := range EventHandlers(p) {
		events = append(events, name)
	}
	slices.Sort(events)
	if want := []string{"FileDropped", "LoadRequested", "PartitionRequested", "RunRequested", "SweepRequested"}; !slices.Equal(events, want) {
		t.Errorf("EventHandlers = %v, want %v", events, want)
	}
	if DeadLetterHandler(p) == nil {
		t.Error("DeadLetterHandler is nil")
	}
}
