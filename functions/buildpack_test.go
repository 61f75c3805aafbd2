package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/functions"
	"github.com/b2brecs/b2brecs/functions/buildpack"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
)

// The templates and the build are in functions/buildpack (shared with the
// cloud rehearsal, functions/rehearsal).

// TestBuildpackBuild packages the functions (scripts/package-functions.sh)
// and builds the source the way the Go buildpack does: the main package
// from its declarative template in functions.local/app, go mod tidy,
// CGO_ENABLED=0 go build. It then starts the program once per entry point
// with FUNCTION_TARGET set, as Cloud Run runs each function, and sends the
// API an HTTP request and each event function a Pub/Sub push, the shape
// the push subscriptions of terraform/modules/tenant/deliveries.tf send.
//
// The build is done once; -trimpath lets it reuse the packages
// package-functions.sh compiled (the build cache is keyed by module path
// instead of the temporary directory).
func TestBuildpackBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the packaged function source (-short)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dist := t.TempDir()
	src, err := buildpack.Package(ctx, root, dist)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := buildpack.Main(ctx, src, "API"); err != nil {
		t.Fatal(err)
	} else if got != buildpack.Declarative {
		t.Errorf("the buildpack would use its %s template: the root package must import %s", got, buildpack.FrameworkFunctions)
	}
	bin := filepath.Join(dist, "function")
	if err := buildpack.Build(ctx, src, bin); err != nil {
		t.Fatal(err)
	}

	requests := map[string]func(t *testing.T, base string){
		"API":                apiHealth,
		"FileDropped":        push(eventschemas.TopicObjectDropped, storagePush),
		"RunRequested":       push(eventschemas.TopicRunRequested, eventPush(eventschemas.TypeRunRequested, eventschemas.RunRequested{Tenant: "acme", JobID: "job-1", RunID: "run-1", Trigger: eventschemas.TriggerManual})),
		"LoadRequested":      push(eventschemas.TopicLoadRequested, eventPush(eventschemas.TypeLoadRequested, eventschemas.LoadRequested{Tenant: "acme", RunID: "run-1", JobID: "job-1", Parts: []string{"gs://acme-staging/run-1/part-0.parquet"}})),
		"PartitionRequested": push(eventschemas.TopicPartitionRequested, eventPush(eventschemas.TypePartitionRequested, eventschemas.PartitionRequested{Tenant: "acme", RunID: "run-1", JobID: "job-1", PartitionID: "run-1-p0000", Index: 0, Of: 2})),
		"SweepRequested":     push(eventschemas.TopicSweepRequested, eventPush(eventschemas.TypeSweepRequested, eventschemas.SweepRequested{Tenant: "acme"})),
		"DeadLettered":       push(eventschemas.TopicDeadLetter, deadLetterPush),
	}
	for _, ep := range functions.Entrypoints() {
		t.Run(ep.Name, func(t *testing.T) {
			req := requests[ep.Name]
			if req == nil {
				t.Fatalf("no request for entry point %s: add one to this test", ep.Name)
			}
			base := startFunction(t, bin, ep.Name)
			req(t, base)
		})
	}
}

// startFunction runs the built program with FUNCTION_TARGET=target on a
// free port over local backends in a temporary folder, and returns its
// URL once it answers.
func startFunction(t *testing.T, bin, target string) string {
	t.Helper()
	f, err := buildpack.Start(bin, target, 0, []string{"B2B_DATA_DIR=" + t.TempDir(), "B2B_VERSION=buildpack-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Kill()
		if t.Failed() {
			t.Logf("output of %s:\n%s", target, f.Output())
		}
	})
	return f.URL
}

func apiHealth(t *testing.T, base string) {
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct{ Status, Version string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil || h.Status != "ok" || h.Version != "buildpack-test" {
		t.Errorf("GET /api/health = %d %s, want 200 with status ok and version buildpack-test", resp.StatusCode, body)
	}
}

// pushMessage is a Pub/Sub message as a push subscription posts it.
type pushMessage struct {
	Data        []byte            `json:"data"`
	Attributes  map[string]string `json:"attributes"`
	MessageID   string            `json:"messageId"`
	PublishTime time.Time         `json:"publishTime"`
}

// push posts the message msg makes to base/projects/P/topics/T as a push
// subscription of topic does, and expects it acknowledged (2xx): the
// function ran the event through its handler.
func push(topic string, msg func(t *testing.T) pushMessage) func(t *testing.T, base string) {
	return func(t *testing.T, base string) {
		m := msg(t)
		m.MessageID, m.PublishTime = "m-1", time.Now().UTC()
		body, err := json.Marshal(map[string]any{"message": m, "subscription": "projects/proj/subscriptions/" + topic})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/"+pubsubbus.TopicName("proj", topic), "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Errorf("push to %s = %d %s, want 2xx", topic, resp.StatusCode, out)
		}
	}
}

// eventPush is a platform event in CloudEvents binary mode, as the
// platform publishes it.
func eventPush(typ string, data any) func(t *testing.T) pushMessage {
	return func(t *testing.T) pushMessage {
		e := cloudevents.New()
		e.SetID("ev-1")
		e.SetType(typ)
		e.SetSource("//b2brecs/test")
		e.SetTime(time.Now().UTC())
		e.SetExtension("tenant", "acme")
		if err := e.SetData("application/json", data); err != nil {
			t.Fatal(err)
		}
		d, attrs, err := pubsubbus.EncodeMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		return pushMessage{Data: d, Attributes: attrs}
	}
}

// storagePush is the drop bucket's notification of a new object
// (JSON_API_V1), for a tenant without jobs.
func storagePush(t *testing.T) pushMessage {
	now := time.Now().UTC()
	obj, err := json.Marshal(eventschemas.StorageObjectData{
		Kind: "storage#object", ID: "acme-drop/sales.csv/1", Bucket: "acme-drop", Name: "sales.csv", Generation: "1",
		Metageneration: "1", Size: "10", TimeCreated: now, Updated: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return pushMessage{Data: obj, Attributes: map[string]string{
		"notificationConfig": "projects/_/buckets/acme-drop/notificationConfigs/1", "eventType": "OBJECT_FINALIZE",
		"payloadFormat": "JSON_API_V1", "bucketId": "acme-drop", "objectId": "sales.csv", "objectGeneration": "1",
		"eventTime": now.Format(time.RFC3339Nano),
	}}
}

// deadLetterPush is a request Pub/Sub gave up on, as forwarded to the
// dead-letter topic (the source subscription and attempts as attributes).
func deadLetterPush(t *testing.T) pushMessage {
	m := eventPush(eventschemas.TypeRunRequested, eventschemas.RunRequested{Tenant: "acme", JobID: "job-1", RunID: "run-1", Trigger: eventschemas.TriggerManual})(t)
	m.Attributes["CloudPubSubDeadLetterSourceSubscription"] = "projects/proj/subscriptions/run-requested"
	m.Attributes["CloudPubSubDeadLetterSourceDeliveryCount"] = "5"
	return m
}

// TestBuildpackTemplateChoice: the choice of template follows the root
// package's imports, so the check above fails on a root package without
// the framework's functions import (the old shim).
func TestBuildpackTemplateChoice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		imports []string
		want    string
	}{
		{"old shim", []string{"github.com/b2brecs/b2brecs/functions"}, buildpack.V1_1},
		{"declarative", []string{buildpack.FrameworkFunctions, "github.com/b2brecs/b2brecs/functions"}, buildpack.Declarative},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			var b strings.Builder
			b.WriteString("package function\n\nimport (\n")
			for _, im := range tc.imports {
				fmt.Fprintf(&b, "\t_ %q\n", im)
			}
			b.WriteString(")\n")
			if err := os.WriteFile(filepath.Join(src, "function.go"), []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module github.com/b2brecs/b2brecs\n\ngo 1.26\n\nrequire "+buildpack.FrameworkModule+" v1.9.2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, err := buildpack.Main(context.Background(), src, "API"); err != nil {
				t.Fatal(err)
			} else if got != tc.want {
				t.Errorf("template = %s, want %s", got, tc.want)
			}
			main, err := os.ReadFile(filepath.Join(src, buildpack.AppModule, "main.go"))
			if err != nil {
				t.Fatal(err)
			}
			wantLine := `_ "github.com/b2brecs/b2brecs"`
			if tc.want == buildpack.V1_1 {
				wantLine = "userfunction.API"
			}
			if !slices.ContainsFunc(strings.Split(string(main), "\n"), func(l string) bool { return strings.Contains(l, wantLine) }) {
				t.Errorf("main.go lacks %q:\n%s", wantLine, main)
			}
		})
	}
}
