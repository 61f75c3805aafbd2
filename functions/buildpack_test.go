package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/functions"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
)

// The Go buildpack of Cloud Functions (GoogleCloudPlatform/buildpacks,
// cmd/go/functions_framework) turns a function source into a program: it
// reads the imports of the source's root package, and writes a main
// package at functions.local/app inside the module from one of two
// templates:
//
//   - the declarative template (template_declarative.go) when the root
//     package imports the framework's functions package: a blank import of
//     the root package, whose init registers functions by name, and
//     funcframework.Start, which serves the one FUNCTION_TARGET names;
//   - otherwise the v1.1 template (template_v1_1.go, for framework versions
//     >= v1.1.0; v0 before), which registers userfunction.<FUNCTION_TARGET>,
//     a function the root package must declare.
//
// The templates below keep the shape of those files (imports, reserved
// URLs, PORT); the choice follows createMainGoFile in the buildpack's
// lib/lib.go.
const (
	frameworkModule    = "github.com/GoogleCloudPlatform/functions-framework-go"
	frameworkFunctions = frameworkModule + "/functions"
	buildpackAppModule = "functions.local/app"
)

var buildpackDeclarative = template.Must(template.New("declarative").Parse(`// Binary main file implements an HTTP server that loads and runs user's code
// on incoming HTTP requests.
package main

import (
	"log"
	"net/http"
	"os"

	// Blank import the function package to run the init(), which is where
	// declarative function signatures are expected to be registered.
	_ "{{.Package}}"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() {
	// Don't invoke the function for reserved URLs.
	http.HandleFunc("/robots.txt", http.NotFound)
	http.HandleFunc("/favicon.ico", http.NotFound)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		log.Fatalf("Function failed to start: %v\n", err)
	}
}
`))

var buildpackV1_1 = template.Must(template.New("v1_1").Parse(`// Binary main file implements an HTTP server that loads and runs user's code
// on incoming HTTP requests.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	userfunction "{{.Package}}"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	cloudevents "github.com/cloudevents/sdk-go/v2"
)

func register(fn interface{}) error {
	ctx := context.Background()
	if fnHTTP, ok := fn.(func(http.ResponseWriter, *http.Request)); ok {
		if err := funcframework.RegisterHTTPFunctionContext(ctx, "/", fnHTTP); err != nil {
			return fmt.Errorf("Function failed to register: %v\n", err)
		}
	} else if fnCloudEvent, ok := fn.(func(context.Context, cloudevents.Event) error); ok {
		if err := funcframework.RegisterCloudEventFunctionContext(ctx, "/", fnCloudEvent); err != nil {
			return fmt.Errorf("Function failed to register: %v\n", err)
		}
	} else {
		if err := funcframework.RegisterEventFunctionContext(ctx, "/", fn); err != nil {
			return fmt.Errorf("Function failed to register: %v\n", err)
		}
	}
	return nil
}

func main() {
	if err := register(userfunction.{{.Target}}); err != nil {
		log.Fatalf("Function failed to register: %v\n", err)
	}

	// Don't invoke the function for reserved URLs.
	http.HandleFunc("/robots.txt", http.NotFound)
	http.HandleFunc("/favicon.ico", http.NotFound)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		log.Fatalf("Function failed to start: %v\n", err)
	}
}
`))

// buildpackMain writes the main package the buildpack generates for the
// source at src and returns the template it chose. target matters only to
// the old template, which names the function in code.
func buildpackMain(t *testing.T, src, target string) string {
	t.Helper()
	// The root package: its name and the imports of its .go files (the
	// buildpack's converter/get_package).
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(src, "*.go"))
	if len(files) == 0 {
		t.Fatalf("no .go files at the root of %s: the buildpack finds no function package", src)
	}
	pkgName := ""
	imports := map[string]bool{}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		if pkgName != "" && af.Name.Name != pkgName {
			t.Fatalf("root package name mismatch: %s vs %s", af.Name.Name, pkgName)
		}
		pkgName = af.Name.Name
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			imports[p] = true
		}
	}
	// moduleAndPackageNames: the module root, or <module>/<package name>
	// when a directory of that name exists at the root; and
	// frameworkSpecifiedVersion, both asked of go list as the buildpack does.
	pkg := goOutput(t, src, "list", "-m")
	if fi, err := os.Stat(filepath.Join(src, pkgName)); err == nil && fi.IsDir() {
		pkg += "/" + pkgName
	}
	frameworkVersion := goOutput(t, src, "list", "-m", "-f", "{{.Version}}", frameworkModule)
	tmpl, name := buildpackDeclarative, "declarative"
	if !imports[frameworkFunctions] {
		tmpl, name = buildpackV1_1, "v1.1"
		if !atLeastV1_1(frameworkVersion) {
			t.Fatalf("framework %s predates v1.1.0: the buildpack would use its v0 template", frameworkVersion)
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, map[string]string{"Package": pkg, "Target": target}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(src, buildpackAppModule)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// atLeastV1_1 reports whether a vX.Y.Z version is v1.1.0 or later.
func atLeastV1_1(v string) bool {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (major > 1 || major == 1 && minor >= 1)
}

func goOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

func goCmd(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

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
	dist := t.TempDir()
	pack := exec.Command("bash", filepath.Join(root, "scripts", "package-functions.sh"))
	pack.Dir = root
	pack.Env = append(os.Environ(), "DIST="+dist)
	if out, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("scripts/package-functions.sh: %v\n%s", err, out)
	}
	src := filepath.Join(dist, "functions-source")

	if got := buildpackMain(t, src, "API"); got != "declarative" {
		t.Errorf("the buildpack would use its %s template: the root package must import %s", got, frameworkFunctions)
	}
	goCmd(t, src, []string{"GOFLAGS=-mod=mod"}, "mod", "tidy")
	bin := filepath.Join(dist, "function")
	goCmd(t, src, []string{"CGO_ENABLED=0"}, "build", "-trimpath", "-o", bin, "./"+buildpackAppModule)

	requests := map[string]func(t *testing.T, base string){
		"API":            apiHealth,
		"FileDropped":    push(eventschemas.TopicObjectDropped, storagePush),
		"RunRequested":   push(eventschemas.TopicRunRequested, eventPush(eventschemas.TypeRunRequested, eventschemas.RunRequested{Tenant: "acme", JobID: "job-1", RunID: "run-1", Trigger: eventschemas.TriggerManual})),
		"LoadRequested":  push(eventschemas.TopicLoadRequested, eventPush(eventschemas.TypeLoadRequested, eventschemas.LoadRequested{Tenant: "acme", RunID: "run-1", JobID: "job-1", Parts: []string{"gs://acme-staging/run-1/part-0.parquet"}})),
		"SweepRequested": push(eventschemas.TopicSweepRequested, eventPush(eventschemas.TypeSweepRequested, eventschemas.SweepRequested{Tenant: "acme"})),
		"DeadLettered":   push(eventschemas.TopicDeadLetter, deadLetterPush),
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(),
		"FUNCTION_TARGET="+target,
		"PORT="+port,
		"B2B_DATA_DIR="+t.TempDir(),
		"B2B_VERSION=buildpack-test",
	)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("output of %s:\n%s", target, out.String())
		}
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("FUNCTION_TARGET=%s exited before serving: %v\n%s", target, err, out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("FUNCTION_TARGET=%s does not listen on %s after 30 s", target, port)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
		{"old shim", []string{"github.com/b2brecs/b2brecs/functions"}, "v1.1"},
		{"declarative", []string{frameworkFunctions, "github.com/b2brecs/b2brecs/functions"}, "declarative"},
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
			if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module github.com/b2brecs/b2brecs\n\ngo 1.26\n\nrequire "+frameworkModule+" v1.9.2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := buildpackMain(t, src, "API"); got != tc.want {
				t.Errorf("template = %s, want %s", got, tc.want)
			}
			main, err := os.ReadFile(filepath.Join(src, buildpackAppModule, "main.go"))
			if err != nil {
				t.Fatal(err)
			}
			wantLine := `_ "github.com/b2brecs/b2brecs"`
			if tc.want == "v1.1" {
				wantLine = "userfunction.API"
			}
			if !slices.ContainsFunc(strings.Split(string(main), "\n"), func(l string) bool { return strings.Contains(l, wantLine) }) {
				t.Errorf("main.go lacks %q:\n%s", wantLine, main)
			}
		})
	}
}
