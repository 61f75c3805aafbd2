package archtest

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/b2brecs/b2brecs"

// ports are the packages whose subpackages are drivers (except the kits:
// conformance suites and driver helpers).
var ports = []string{"docstore", "warehouse", "sources", "blobstore", "events", "scheduler", "secrets"}

// cloudSDKs are the import path prefixes of the cloud SDKs and gocloud's
// drivers over them.
var cloudSDKs = []string{
	"cloud.google.com/go/",
	"github.com/aws/aws-sdk-go",
	"github.com/Azure/azure-sdk-for-go/",
	"gocloud.dev/blob/gcsblob",
	"gocloud.dev/blob/s3blob",
	"gocloud.dev/blob/azureblob",
}

// goList runs go list in the module with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, msg)
	}
	return strings.Fields(string(out))
}

// isDriver reports whether the import path is a port's driver package.
func isDriver(p string) bool {
	rest, ok := strings.CutPrefix(p, module+"/shared/")
	if !ok {
		return false
	}
	port, name, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") || !slices.Contains(ports, port) {
		return false
	}
	return !isKit(name)
}

// isKit reports whether a port's subpackage is shared by drivers or tests
// rather than a driver: a conformance suite or test helper (…test) or the
// driver kit (driver).
func isKit(name string) bool { return strings.HasSuffix(name, "test") || name == "driver" }

// TestDependencyDirection lists each package's dependencies (the go list
// -deps of the "done when") and checks what must not be there.
func TestDependencyDirection(t *testing.T) {
	cases := []struct {
		pkg    string
		banned string
		bad    func(dep string) bool
	}{
		{"shared/sources", "the tabular package (column names are in shared/colname)",
			func(d string) bool { return d == module+"/shared/tabular" }},
		{"shared/connections", "a cloud SDK (bucket drivers are linked by the platform)",
			func(d string) bool {
				return slices.ContainsFunc(cloudSDKs, func(p string) bool { return strings.HasPrefix(d, p) })
			}},
		{"shared/blobstore", "a cloud SDK (its drivers are subpackages)",
			func(d string) bool {
				return slices.ContainsFunc(cloudSDKs, func(p string) bool { return strings.HasPrefix(d, p) })
			}},
		{"shared/api", "a port driver (the platform links them)", isDriver},
	}
	for _, c := range cases {
		t.Run(c.pkg, func(t *testing.T) {
			deps := goList(t, "-deps", "./"+c.pkg)
			if !slices.Contains(deps, module+"/"+c.pkg) {
				t.Fatalf("go list -deps ./%s does not list the package itself: %v", c.pkg, deps)
			}
			for _, d := range deps {
				if c.bad(d) {
					t.Errorf("%s depends on %s: no %s may be under it", c.pkg, d, c.banned)
				}
			}
		})
	}
}

// TestDriversLinkedByThePlatform checks that only the platform, the entry
// points and test kits import port drivers: a domain package never links
// one itself.
func TestDriversLinkedByThePlatform(t *testing.T) {
	lines := goList(t, "-f", "{{.ImportPath}}{{range .Imports}},{{.}}{{end}}", "./...")
	drivers := 0
	for _, line := range lines {
		imps := strings.Split(line, ",")
		pkg := strings.TrimPrefix(imps[0], module+"/")
		if isDriver(imps[0]) {
			drivers++
		}
		allowed := pkg == "shared/platform" || pkg == "functions" || strings.HasPrefix(pkg, "functions/") ||
			isKit(path.Base(pkg)) || isDriver(imps[0])
		for _, imp := range imps[1:] {
			if isDriver(imp) && !allowed {
				t.Errorf("%s imports the driver %s: drivers are linked by shared/platform (or functions/cmd/recs), not by a domain package", pkg, strings.TrimPrefix(imp, module+"/"))
			}
		}
	}
	if drivers < 10 {
		t.Errorf("found %d driver packages, want the ~17 of shared/{%s}/*: is isDriver still right?", drivers, strings.Join(ports, ","))
	}
}
