// Package buildpack builds the packaged function source the way the Go
// buildpack of Cloud Functions does, and runs the program as Cloud Run
// runs one function. functions/buildpack_test.go and the cloud rehearsal
// (functions/rehearsal) use it; nothing deployed imports it.
//
// The Go buildpack (GoogleCloudPlatform/buildpacks, cmd/go/functions_framework)
// turns a function source into a program: it reads the imports of the
// source's root package, and writes a main package at functions.local/app
// inside the module from one of two templates:
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
package buildpack

import (
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
)

// Module paths the buildpack looks for.
const (
	FrameworkModule    = "github.com/GoogleCloudPlatform/functions-framework-go"
	FrameworkFunctions = FrameworkModule + "/functions"
	AppModule          = "functions.local/app"
)

// Template names Main returns.
const (
	Declarative = "declarative"
	V1_1        = "v1.1"
)

var declarative = template.Must(template.New("declarative").Parse(`// Binary main file implements an HTTP server that loads and runs user's code
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

var v1_1 = template.Must(template.New("v1_1").Parse(`// Binary main file implements an HTTP server that loads and runs user's code
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

// Package runs scripts/package-functions.sh of the repository at root
// into dist and returns the packaged source folder.
func Package(ctx context.Context, root, dist string) (string, error) {
	pack := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "package-functions.sh"))
	pack.Dir = root
	pack.Env = append(os.Environ(), "DIST="+dist)
	if out, err := pack.CombinedOutput(); err != nil {
		return "", fmt.Errorf("scripts/package-functions.sh: %w\n%s", err, out)
	}
	return filepath.Join(dist, "functions-source"), nil
}

// Main writes the main package the buildpack generates for the source at
// src and returns the template it chose (Declarative or V1_1). target
// matters only to the old template, which names the function in code.
func Main(ctx context.Context, src, target string) (string, error) {
	// The root package: its name and the imports of its .go files (the
	// buildpack's converter/get_package).
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(src, "*.go"))
	if len(files) == 0 {
		return "", fmt.Errorf("no .go files at the root of %s: the buildpack finds no function package", src)
	}
	pkgName := ""
	imports := map[string]bool{}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", f, err)
		}
		if pkgName != "" && af.Name.Name != pkgName {
			return "", fmt.Errorf("root package name mismatch: %s vs %s", af.Name.Name, pkgName)
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
	pkg, err := goOutput(ctx, src, "list", "-m")
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(filepath.Join(src, pkgName)); err == nil && fi.IsDir() {
		pkg += "/" + pkgName
	}
	frameworkVersion, err := goOutput(ctx, src, "list", "-m", "-f", "{{.Version}}", FrameworkModule)
	if err != nil {
		return "", err
	}
	tmpl, name := declarative, Declarative
	if !imports[FrameworkFunctions] {
		tmpl, name = v1_1, V1_1
		if !atLeastV1_1(frameworkVersion) {
			return "", fmt.Errorf("framework %s predates v1.1.0: the buildpack would use its v0 template", frameworkVersion)
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, map[string]string{"Package": pkg, "Target": target}); err != nil {
		return "", err
	}
	dir := filepath.Join(src, AppModule)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return name, os.WriteFile(filepath.Join(dir, "main.go"), buf.Bytes(), 0o644)
}

// Build tidies the module at src (whose main package Main wrote) and
// builds it as the buildpack does, CGO_ENABLED=0, into bin. -trimpath lets
// it reuse the packages package-functions.sh compiled (the build cache is
// keyed by module path instead of the temporary directory).
func Build(ctx context.Context, src, bin string) error {
	if err := goRun(ctx, src, []string{"GOFLAGS=-mod=mod"}, "mod", "tidy"); err != nil {
		return err
	}
	return goRun(ctx, src, []string{"CGO_ENABLED=0"}, "build", "-trimpath", "-o", bin, "./"+AppModule)
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

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return "", fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, stderr)
	}
	return strings.TrimSpace(string(out)), nil
}

func goRun(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// Function is one running function program (FUNCTION_TARGET=Target).
type Function struct {
	Target string
	// URL is where it serves: http://127.0.0.1:<port>.
	URL    string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	err    error
}

// Start runs the built program bin as Cloud Run runs one function: with
// FUNCTION_TARGET=target and PORT=port (0: a free port), and env added to
// this process's environment. It returns once the program listens, or
// with an error (and its output) if it exits first or does not listen
// within 30 s.
func Start(bin, target string, port int, env []string) (*Function, error) {
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	p := strconv.Itoa(port)
	f := &Function{Target: target, URL: "http://127.0.0.1:" + p, out: &syncBuffer{}, exited: make(chan struct{})}
	f.cmd = exec.Command(bin)
	f.cmd.Stdout, f.cmd.Stderr = f.out, f.out
	f.cmd.Env = append(append(os.Environ(), env...), "FUNCTION_TARGET="+target, "PORT="+p)
	if err := f.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { f.err = f.cmd.Wait(); close(f.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-f.exited:
			return nil, fmt.Errorf("FUNCTION_TARGET=%s exited before serving: %v\n%s", target, f.err, f.out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second)
		if err == nil {
			c.Close()
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Kill()
			return nil, fmt.Errorf("FUNCTION_TARGET=%s does not listen on %s after 30 s\n%s", target, p, f.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Port is the port the function listens on.
func (f *Function) Port() int {
	p, _ := strconv.Atoi(f.URL[strings.LastIndexByte(f.URL, ':')+1:])
	return p
}

// Output is what the program printed so far.
func (f *Function) Output() string { return f.out.String() }

// Kill stops the program at once (SIGKILL, as an instance that dies) and
// waits for it.
func (f *Function) Kill() {
	_ = f.cmd.Process.Kill()
	<-f.exited
}

// syncBuffer is a bytes.Buffer safe for the program's two output pipes
// and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Pid is the program's process id.
func (f *Function) Pid() int { return f.cmd.Process.Pid }
