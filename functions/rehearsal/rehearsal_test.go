package rehearsal_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/storage"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/functions"
	"github.com/b2brecs/b2brecs/functions/buildpack"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/localcron"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
)

// The rehearsal's settings.
const (
	tenant     = "acme"
	location   = "EU"
	dataset    = "raw_data"
	table      = "online_retail"
	sample     = "online_retail.csv.gz" // sample-data/uci_online_retail
	sampleRows = 541909
	// runTimeout bounds each run; a run still running after it fails the
	// rehearsal (a run must end).
	runTimeout = 180 * time.Second
	// sweepEvery is how often the test publishes the sweeper's tick
	// (Cloud Scheduler's job, every five minutes in the cloud).
	sweepEvery = 5 * time.Second
)

// rehearsal is one rehearsal's cloud: its project on the emulators, the
// fakes, and the function processes.
type rehearsal struct {
	t         *testing.T
	start     time.Time
	project   string
	env       []string
	bin       string
	gcs       *fakestorage.Server
	gcsClient *storage.Client
	bq        *bqfake.Fake
	ps        *pubsub.Client
	p         *platform.Platform

	mu  sync.Mutex
	fns map[string]*buildpack.Function
}

// phase prints a progress line (go test -v, and on failure).
func (r *rehearsal) phase(format string, args ...any) {
	r.t.Helper()
	r.t.Logf("[%6.1fs] %s", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func TestCloudRehearsal(t *testing.T) {
	if testing.Short() {
		t.Skip("the cloud rehearsal builds the function source and runs it on the emulators (-short)")
	}
	testenv.Require(t, testenv.Firestore)
	testenv.Require(t, testenv.PubSub)
	r := &rehearsal{t: t, start: time.Now(), project: "rehearsal-" + randHex(4), fns: map[string]*buildpack.Function{}}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	r.phase("project %s, tenant %s", r.project, tenant)

	r.build(ctx)
	r.topics(ctx)
	r.storage(ctx)
	r.bigquery()
	r.setEnv()
	r.functions()
	r.subscriptions(ctx)
	r.tenantAndJob(ctx)
	sweepBus, err := pubsubbus.New(ctx, r.project, pubsubbus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sweepBus.Close()
	go sweeper(ctx, sweepBus)

	// The whole chain: drop → FileDropped → RunRequested → LoadRequested.
	run := r.drop(ctx, "orders/"+sample)
	run = r.waitRun(ctx, run.ID, nil)
	r.expectLoaded(run, sampleRows)

	// A function dies mid-run: RunRequested is killed while it extracts
	// (it holds the run's lease) and a new instance starts behind the
	// same URL. Pub/Sub redelivers the push; the new instance finds the
	// dead one's lease and answers busy until the lease expires (the
	// redeliveries may run out and be dead-lettered: the DeadLettered
	// function leaves a live run alone); then a redelivery or the
	// sweeper's request extracts again, and the run loads.
	run2 := r.drop(ctx, "orders/again-"+sample)
	killed := false
	run2 = r.waitRun(ctx, run2.ID, func(cur etl.Run) {
		if killed || cur.Status != etl.StatusRunning || cur.Attempts == 0 || cur.Stages.ExtractionCompletedAt != nil {
			return
		}
		killed = true
		r.phase("kill RunRequested mid-extraction (attempt %d, %d rows read)", cur.Attempts, cur.Progress.RowsRead)
		r.restart("RunRequested")
		if after, err := r.p.ETL.GetRun(ctx, tenant, cur.ID); err == nil && after.Stages.ExtractionCompletedAt != nil {
			r.phase("(the extraction had finished just before the kill)")
		}
	})
	if !killed {
		t.Errorf("the second run ended before RunRequested could be killed mid-extraction: the kill was not rehearsed")
	}
	switch run2.Status {
	case etl.StatusCompleted:
		r.expectLoaded(run2, 2*sampleRows)
	case etl.StatusFailed:
		if strings.TrimSpace(run2.ErrorMessage) == "" {
			t.Errorf("run %s failed without a message", run2.ID)
		}
		r.phase("run %s failed with: %s", run2.ID, run2.ErrorMessage)
	default:
		t.Errorf("run %s ended %s, want completed (or failed with a message)", run2.ID, run2.Status)
	}
	if ps := r.bq.Problems(); len(ps) > 0 {
		t.Errorf("the BigQuery fake was sent what BigQuery would refuse:\n%s", strings.Join(ps, "\n"))
	}
	r.phase("done")
}

// build packages the functions and builds them as the buildpack does.
func (r *rehearsal) build(ctx context.Context) {
	t := r.t
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	src, err := buildpack.Package(ctx, root, dist)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl, err := buildpack.Main(ctx, src, "API"); err != nil || tmpl != buildpack.Declarative {
		t.Fatalf("the buildpack's template: %s, %v; want %s", tmpl, err, buildpack.Declarative)
	}
	r.bin = filepath.Join(dist, "function")
	if err := buildpack.Build(ctx, src, r.bin); err != nil {
		t.Fatal(err)
	}
	r.phase("built the packaged function source with the buildpack's declarative template")
}

// topics creates the topics of terraform/modules/tenant (pubsub.tf,
// deliveries.tf) on the emulator.
func (r *rehearsal) topics(ctx context.Context) {
	t := r.t
	ps, err := pubsub.NewClient(ctx, r.project) // PUBSUB_EMULATOR_HOST
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	r.ps = ps
	for _, topic := range []string{
		eventschemas.TopicObjectDropped, eventschemas.TopicRunRequested, eventschemas.TopicLoadRequested, eventschemas.TopicPartitionRequested,
		eventschemas.TopicRunFinished, eventschemas.TopicSweepRequested, eventschemas.TopicDeadLetter, deadLetterUnrecorded,
	} {
		if _, err := ps.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: pubsubbus.TopicName(r.project, topic)}); err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	r.phase("topics created on the Pub/Sub emulator")
}

// deadLetterUnrecorded is where the DeadLettered function's own failures
// go (deliveries.tf).
const deadLetterUnrecorded = "etl-dead-letter-unrecorded"

func (r *rehearsal) bucket(role string) string { return r.project + "-" + role }

// storage starts fake-gcs-server with the tenant's buckets; the drop
// bucket's OBJECT_FINALIZE notifications go to the object-finalized topic
// (google_storage_notification.drop_finalized).
func (r *rehearsal) storage(ctx context.Context) {
	t := r.t
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard,
		EventOptions: fakestorage.EventManagerOptions{
			ProjectID: r.project, TopicName: eventschemas.TopicObjectDropped, Bucket: r.bucket(etl.BucketDrop),
			NotifyOn: fakestorage.EventNotificationOptions{Finalize: true},
		},
	})
	if err != nil {
		t.Fatalf("fake-gcs-server: %v", err)
	}
	t.Cleanup(gcs.Stop)
	for _, role := range []string{etl.BucketDrop, etl.BucketStaging, "artifacts"} {
		gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: r.bucket(role)})
	}
	r.gcs = gcs
	// JSON reads: the client's default XML reads go to storage.googleapis.com.
	c, err := storage.NewClient(ctx, option.WithEndpoint(gcs.URL()+"/storage/v1/"), option.WithoutAuthentication(), storage.WithJSONReads())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.gcsClient = c
	r.phase("fake-gcs-server at %s, notifications of %s to %s", gcs.URL(), r.bucket(etl.BucketDrop), eventschemas.TopicObjectDropped)
}

// bigquery starts the BigQuery request fake, which reads load jobs'
// Parquet from fake-gcs-server, with the datasets Terraform makes.
func (r *rehearsal) bigquery() {
	r.bq = bqfake.New(bqfake.Options{
		Project: r.project, Location: location, RunStatements: true,
		Source: func(ctx context.Context, uri string) (io.ReadCloser, error) {
			bucket, name, ok := strings.Cut(strings.TrimPrefix(uri, "gs://"), "/")
			if !ok {
				return nil, fmt.Errorf("not a gs:// object URI: %s", uri)
			}
			return r.gcsClient.Bucket(bucket).Object(name).NewReader(ctx)
		},
	})
	r.bq.AddDataset(dataset)
	root, stop := r.bq.Start()
	r.t.Cleanup(stop)
	r.env = append(r.env, "B2B_WAREHOUSE_URL="+r.bq.DriverURL(root))
	r.phase("BigQuery fake at %s", root)
}

// setEnv is the functions' environment: terraform/modules/tenant's
// function_env, pointed at the emulators and fakes. The test process
// takes it too (it plays the operator: tenant bootstrap, job creation).
func (r *rehearsal) setEnv() {
	gcsHost := strings.TrimPrefix(r.gcs.URL(), "http://")
	unused := "127.0.0.1:9" // Secret Manager and Cloud Scheduler: not called by the chain
	r.env = append(r.env,
		"B2B_MODE=cloud",
		"B2B_TENANT_ID="+tenant,
		"B2B_PROJECT="+r.project,
		"B2B_REGION=europe-west1",
		"B2B_VERSION=rehearsal",
		"B2B_CONFIG_URL=firestore://"+r.project,
		"B2B_DROP_URL=gs://"+r.bucket(etl.BucketDrop),
		"B2B_STAGING_URL=gs://"+r.bucket(etl.BucketStaging),
		"B2B_ARTIFACTS_URL=gs://"+r.bucket("artifacts"),
		"B2B_DROP_BUCKET="+r.bucket(etl.BucketDrop),
		"B2B_STAGING_BUCKET="+r.bucket(etl.BucketStaging),
		"B2B_EVENTS_URL=pubsub://"+r.project,
		"B2B_SECRETS_URL=secretmanager://"+r.project+"?endpoint="+unused,
		"B2B_SCHEDULER_URL=cloudscheduler://"+r.project+"/europe-west1?endpoint="+unused,
		"B2B_AUTH_MODE=identity-platform",
		"B2B_RUN_LEASE=1m",
		"STORAGE_EMULATOR_HOST="+gcsHost,
	)
	for _, kv := range r.env {
		k, v, _ := strings.Cut(kv, "=")
		r.t.Setenv(k, v)
	}
}

// functions starts one process per entry point.
func (r *rehearsal) functions() {
	for _, ep := range functions.Entrypoints() {
		r.startFunction(ep.Name, 0)
	}
	resp, err := http.Get(r.fn("API").URL + "/api/health")
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("API /api/health = %d, want 200", resp.StatusCode)
	}
	r.phase("%d function processes serve (API healthy)", len(functions.Entrypoints()))
}

func (r *rehearsal) fn(name string) *buildpack.Function {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fns[name]
}

func (r *rehearsal) startFunction(name string, port int) {
	f, err := buildpack.Start(r.bin, name, port, r.env)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.fns[name] = f
	r.mu.Unlock()
	r.t.Cleanup(func() {
		f.Kill()
		if r.t.Failed() {
			r.t.Logf("output of %s (pid %d):\n%s", name, f.Pid(), tail(f.Output(), 60))
		}
	})
}

// restart kills a function process (SIGKILL, as an instance that dies)
// and starts a new one on the same port, as Cloud Run would start a new
// instance behind the same URL.
func (r *rehearsal) restart(name string) {
	old := r.fn(name)
	old.Kill()
	r.phase("%s killed (pid %d); starting a new instance", name, old.Pid())
	r.startFunction(name, old.Port())
}

// subscriptions makes one push subscription per event function, as
// deliveries.tf does: pushed to the function at /projects/P/topics/T,
// with a retry policy and a dead-letter policy.
func (r *rehearsal) subscriptions(ctx context.Context) {
	t := r.t
	for _, ep := range functions.Entrypoints() {
		if ep.Topic == "" {
			continue
		}
		dl := eventschemas.TopicDeadLetter
		if ep.DeadLetters {
			dl = deadLetterUnrecorded
		}
		sub := &pubsubpb.Subscription{
			Name:               "projects/" + r.project + "/subscriptions/" + kebab(ep.Name),
			Topic:              pubsubbus.TopicName(r.project, ep.Topic),
			AckDeadlineSeconds: 120,
			PushConfig:         &pubsubpb.PushConfig{PushEndpoint: r.fn(ep.Name).URL + "/projects/" + r.project + "/topics/" + ep.Topic},
			RetryPolicy:        &pubsubpb.RetryPolicy{MinimumBackoff: durationpb.New(time.Second), MaximumBackoff: durationpb.New(5 * time.Second)},
			DeadLetterPolicy:   &pubsubpb.DeadLetterPolicy{DeadLetterTopic: pubsubbus.TopicName(r.project, dl), MaxDeliveryAttempts: 5},
		}
		if _, err := r.ps.SubscriptionAdminClient.CreateSubscription(ctx, sub); err != nil {
			t.Fatalf("create push subscription %s: %v", sub.Name, err)
		}
		// The emulator would go on pushing undelivered messages to the
		// stopped functions for the rest of the test run.
		t.Cleanup(func() {
			dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.ps.SubscriptionAdminClient.DeleteSubscription(dctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: sub.Name})
		})
	}
	r.phase("push subscriptions with dead-letter policies created")
}

// kebab is the Cloud Function name of an entry point (FileDropped →
// file-dropped).
func kebab(name string) string {
	var b strings.Builder
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tenantAndJob bootstraps the tenant (as `recs tenant bootstrap` does)
// and creates a file job on the drop bucket (as the API does), through the
// platform opened on the same cloud configuration.
func (r *rehearsal) tenantAndJob(ctx context.Context) {
	t := r.t
	bus, err := events.Open(ctx, "pubsub://"+r.project)
	if err != nil {
		t.Fatal(err)
	}
	// The job is manual-free (file drops start it): nothing is scheduled,
	// so the operator side keeps its schedules in-process.
	sched, err := scheduler.OpenMux(ctx, scheduler.DefaultURLMux().With(localcron.Scheme, &localcron.URLOpener{Bus: bus}), localcron.Scheme+"://")
	if err != nil {
		t.Fatal(err)
	}
	p, err := platform.Open(ctx, platform.FromEnv(), platform.Options{Bus: bus, Scheduler: sched})
	if err != nil {
		t.Fatalf("open the platform on the cloud configuration: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	r.p = p
	if _, _, _, err := tenancy.NewService(p.Store).EnsureTenant(ctx, tenant, "Acme", "admin@acme.example"); err != nil {
		t.Fatalf("tenant bootstrap: %v", err)
	}
	job, err := p.ETL.CreateJob(ctx, tenant, etl.NewJob{
		Name: "online retail", File: etl.FileSource{Prefix: "orders", Pattern: "*.csv.gz"},
		Dest: etl.Dest{Dataset: dataset, Table: table}, LoadMode: etl.Append,
	})
	if err != nil {
		t.Fatalf("create the job: %v", err)
	}
	r.phase("tenant %s bootstrapped; job %s loads orders/*.csv.gz into %s.%s", tenant, job.ID, dataset, table)
}

// sweeper publishes the sweeper's tick on bus as Cloud Scheduler does,
// until ctx is done.
func sweeper(ctx context.Context, bus *pubsubbus.Bus) {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		e := cloudevents.New()
		e.SetID(fmt.Sprintf("sweep-%d", n))
		e.SetType(eventschemas.TypeSweepRequested)
		e.SetSource("//cloudscheduler.googleapis.com/rehearsal")
		e.SetTime(time.Now().UTC())
		e.SetExtension("tenant", tenant)
		if err := e.SetData("application/json", eventschemas.SweepRequested{Tenant: tenant}); err != nil {
			return
		}
		_ = bus.Publish(ctx, eventschemas.TopicSweepRequested, e)
	}
}

// drop uploads the sample file into the drop bucket under name and
// returns the run its notification started.
func (r *rehearsal) drop(ctx context.Context, name string) etl.Run {
	t := r.t
	f, err := os.Open(filepath.Join("..", "..", "sample-data", "uci_online_retail", sample))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := r.gcsClient.Bucket(r.bucket(etl.BucketDrop)).Object(name).NewWriter(ctx)
	if _, err := io.Copy(w, f); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r.phase("dropped %s into gs://%s", name, r.bucket(etl.BucketDrop))
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := r.p.ETL.ListRuns(ctx, tenant, etl.RunFilter{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range runs {
			if run.Object != nil && run.Object.Name == name {
				r.phase("FileDropped started run %s for %s", run.ID, name)
				return run
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no run for %s 60 s after the drop: the notification did not reach FileDropped", name)
	return etl.Run{}
}

// waitRun follows a run until it ends, printing each change of status and
// phase and calling watch (if set) on every poll. A run still running
// after runTimeout fails the test.
func (r *rehearsal) waitRun(ctx context.Context, id string, watch func(etl.Run)) etl.Run {
	t := r.t
	deadline := time.Now().Add(runTimeout)
	last := ""
	for {
		run, err := r.p.ETL.GetRun(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		state := fmt.Sprintf("%s %v", run.Status, run.Progress.Phase)
		if state != last {
			r.phase("run %s: %s (rows read %d, attempts %d/%d)", id, state, run.Progress.RowsRead, run.Attempts, run.LoadAttempts)
			last = state
		}
		if run.Terminal() {
			r.phase("run %s ended %s: %d rows loaded %s", id, run.Status, run.RowsLoaded, run.ErrorMessage)
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s after %s: a run must end", id, run.Status, runTimeout)
		}
		if watch != nil {
			watch(run)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectLoaded checks a completed run and the table it loaded.
func (r *rehearsal) expectLoaded(run etl.Run, tableRows int64) {
	t := r.t
	if run.Status != etl.StatusCompleted || run.RowsLoaded != sampleRows {
		t.Errorf("run %s: %s with %d rows loaded (%s), want completed with %d", run.ID, run.Status, run.RowsLoaded, run.ErrorMessage, sampleRows)
	}
	if n, ok := r.bq.TableRows(dataset, table); !ok || n != tableRows {
		t.Errorf("BigQuery table %s.%s holds %d rows (exists %v), want %d", dataset, table, n, ok, tableRows)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
