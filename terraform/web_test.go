package terraform_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// storageOrigin is the origin every public Cloud Storage bucket shares:
// trusting it would trust any page on it.
var storageOrigin = regexp.MustCompile(`(?i)https?://storage\.googleapis\.com`)

// TestNoSharedStorageOrigin: no Terraform file names the shared storage
// origin (as an allowed origin, a CORS origin or the web app's URL).
func TestNoSharedStorageOrigin(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if storageOrigin.MatchString(line) {
				t.Errorf("%s:%d names the shared storage origin: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// webOrigin checks that e is the web app's origin: local.web_origin, which
// must be exactly "https://${var.web_domain}".
func webOrigin(t *testing.T, what string, e hclsyntax.Expression) {
	t.Helper()
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok || traversalPath(st.Traversal) != "local.web_origin" {
		t.Errorf("%s = %v, want local.web_origin (the web app's own origin)", what, refs(e))
	}
}

// TestWebOrigin: the web app has an origin of its own, an HTTPS load
// balancer with a managed certificate for var.web_domain in front of the
// SPA bucket, and that origin is the only one the API and the drop bucket
// trust.
func TestWebOrigin(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")

	v := m.variables["web_domain"]
	if v == nil {
		t.Fatal("variable web_domain missing")
	}
	if attr(v.Body, "default") != nil {
		t.Errorf("web_domain has a default: every tenant must name its own domain")
	}
	if len(blocks(v.Body, "validation")) == 0 {
		t.Errorf("web_domain has no validation (a bare DNS name, no scheme or path)")
	}

	// local.web_origin = "https://${var.web_domain}", nothing else.
	lo := m.locals["web_origin"]
	if lo == nil {
		t.Fatal("local.web_origin missing")
	}
	tmpl, ok := lo.Expr.(*hclsyntax.TemplateExpr)
	if !ok || len(tmpl.Parts) != 2 {
		t.Fatalf("local.web_origin must be the template \"https://${var.web_domain}\"")
	}
	if lit, _ := literal(tmpl.Parts[0]); lit != "https://" {
		t.Errorf("local.web_origin starts with %q, want https://", lit)
	}
	if r := refs(tmpl.Parts[1]); len(r) != 1 || r[0] != "var.web_domain" {
		t.Errorf("local.web_origin is https:// followed by %v, want var.web_domain", r)
	}

	// The API's allowed origins.
	env := objectItems(t, m, m.locals["function_env"].Expr)
	if e := env["B2B_ALLOWED_ORIGINS"]; e == nil {
		t.Errorf("B2B_ALLOWED_ORIGINS not set")
	} else {
		webOrigin(t, "B2B_ALLOWED_ORIGINS", e)
	}

	// The drop bucket's CORS: the web origin only, the methods and
	// headers of a resumable upload.
	drop := m.resources["google_storage_bucket.drop"]
	cors := blocks(drop.Body, "cors")
	if len(cors) != 1 {
		t.Fatalf("drop bucket: want one cors block, got %d", len(cors))
	}
	origins, ok := attr(cors[0].Body, "origin").Expr.(*hclsyntax.TupleConsExpr)
	if !ok || len(origins.Exprs) != 1 {
		t.Errorf("drop bucket cors.origin must be a list of one origin")
	} else {
		webOrigin(t, "drop bucket cors.origin[0]", origins.Exprs[0])
	}
	methods := objectOrSetStrings(t, m, attr(cors[0].Body, "method"))
	for _, want := range []string{"POST", "PUT"} {
		if !slices.Contains(methods, want) {
			t.Errorf("drop bucket cors.method = %v, lacks %s", methods, want)
		}
	}
	var headers []string
	for _, h := range objectOrSetStrings(t, m, attr(cors[0].Body, "response_header")) {
		headers = append(headers, strings.ToLower(h))
	}
	for _, want := range []string{"content-type", "location", "range", "x-goog-resumable", "x-goog-content-length-range"} {
		if !slices.Contains(headers, want) {
			t.Errorf("drop bucket cors.response_header = %v, lacks %s", headers, want)
		}
	}

	// The load balancer.
	one := func(typ string) (string, *hclsyntax.Body) {
		t.Helper()
		var found []string
		for key := range m.resources {
			if strings.HasPrefix(key, typ+".") {
				found = append(found, key)
			}
		}
		if len(found) != 1 {
			t.Fatalf("want one %s, got %v", typ, found)
		}
		return found[0], m.resources[found[0]].Body
	}
	refTo := func(b *hclsyntax.Body, name, target string) {
		t.Helper()
		a := attr(b, name)
		if a == nil || !refersTo(a.Expr, target) {
			t.Errorf("%s must refer to %s", name, target)
		}
	}
	certKey, cert := one("google_compute_managed_ssl_certificate")
	if d := attr(block(cert, "managed"), "domains"); d == nil || !slices.Contains(refs(d.Expr), "var.web_domain") {
		t.Errorf("%s: managed.domains must be [var.web_domain]", certKey)
	}
	bbKey, bb := one("google_compute_backend_bucket")
	refTo(bb, "bucket_name", "google_storage_bucket.spa")
	umKey, um := "google_compute_url_map.web", m.resources["google_compute_url_map.web"]
	if um == nil {
		t.Fatalf("%s missing", umKey)
	}
	refTo(um.Body, "default_service", bbKey)
	proxyKey, proxy := one("google_compute_target_https_proxy")
	refTo(proxy, "url_map", umKey)
	refTo(proxy, "ssl_certificates", certKey)
	addrKey, _ := one("google_compute_global_address")
	https, http := 0, 0
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_compute_global_forwarding_rule.") {
			continue
		}
		refTo(r.Body, "ip_address", addrKey)
		switch port, _ := attrLiteral(r.Body, "port_range"); port {
		case "443":
			https++
			refTo(r.Body, "target", proxyKey)
		case "80":
			http++
			// Plain HTTP only redirects to HTTPS.
			tgt := attr(r.Body, "target")
			var redirect bool
			for _, p := range refs(tgt.Expr) {
				name, ok := strings.CutPrefix(p, "google_compute_target_http_proxy.")
				if !ok {
					continue
				}
				hp := m.resources["google_compute_target_http_proxy."+strings.Split(name, ".")[0]]
				if hp == nil {
					continue
				}
				for _, up := range refs(attr(hp.Body, "url_map").Expr) {
					if um := m.resources[strings.Join(strings.Split(up, ".")[:2], ".")]; um != nil {
						v, _ := attrLiteral(block(um.Body, "default_url_redirect"), "https_redirect")
						redirect = v == "true"
					}
				}
			}
			if !redirect {
				t.Errorf("%s: port 80 must lead to a url map that redirects to HTTPS", key)
			}
		default:
			t.Errorf("%s: port_range %q, want 443 or 80", key, port)
		}
	}
	if https != 1 || http != 1 {
		t.Errorf("want one forwarding rule on 443 and one on 80, got %d and %d", https, http)
	}

	services := objectOrSetStrings(t, m, m.locals["services"])
	for _, s := range []string{"compute.googleapis.com", "iamcredentials.googleapis.com"} {
		if !slices.Contains(services, s) {
			t.Errorf("service %s is not enabled", s)
		}
	}
	if o := mustOutput(t, m.dir, "spa_url"); !slices.Contains(refs(o), "local.web_origin") {
		t.Errorf("output spa_url refers to %v, want local.web_origin", refs(o))
	}
}

// mustOutput returns the value of output name in the module in dir.
func mustOutput(t *testing.T, dir, name string) hclsyntax.Expression {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "output" && len(b.Labels) == 1 && b.Labels[0] == name {
				return attr(b.Body, "value").Expr
			}
		}
	}
	t.Fatalf("output %s not found in %s", name, dir)
	return nil
}

// TestSignedUploads: the API signs upload URLs for the drop bucket as the
// functions' own account (no key file: IAM signBlob on itself), that
// account can create and replace objects in the drop bucket, and the
// functions are told to hand out signed uploads under the limit variable.
func TestSignedUploads(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	env := objectItems(t, m, m.locals["function_env"].Expr)

	drop, ok := env["B2B_DROP_URL"].(*hclsyntax.TemplateExpr)
	if !ok {
		t.Fatal("B2B_DROP_URL must be a string template")
	}
	signer := false
	for i, p := range drop.Parts {
		if lit, _ := literal(p); strings.HasSuffix(lit, "?access_id=") && i+1 < len(drop.Parts) {
			signer = refersTo(drop.Parts[i+1], "google_service_account.functions")
		}
	}
	if !signer {
		t.Errorf("B2B_DROP_URL must end in ?access_id=${google_service_account.functions.email} (the account that signs upload URLs)")
	}
	if v, ok := literal(env["B2B_UPLOAD_MODE"]); !ok || v != "signed" {
		t.Errorf("B2B_UPLOAD_MODE = %q, want signed", v)
	}
	if e := env["B2B_UPLOAD_MAX_BYTES"]; e == nil || !slices.Contains(refs(e), "var.upload_max_bytes") {
		t.Errorf("B2B_UPLOAD_MAX_BYTES must come from var.upload_max_bytes")
	}

	signBlob := false
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_service_account_iam_member.") {
			continue
		}
		role, _ := attrLiteral(r.Body, "role")
		if role == "roles/iam.serviceAccountTokenCreator" && refersTo(attr(r.Body, "service_account_id").Expr, "google_service_account.functions") &&
			slices.Contains(refs(attr(r.Body, "member").Expr), "local.functions_member") {
			signBlob = true
		}
	}
	if !signBlob {
		t.Errorf("the functions account needs roles/iam.serviceAccountTokenCreator on itself (signBlob)")
	}
	create := false
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_storage_bucket_iam_member.") || !refersTo(attr(r.Body, "bucket").Expr, "google_storage_bucket.drop") {
			continue
		}
		role, _ := attrLiteral(r.Body, "role")
		if (role == "roles/storage.objectUser" || role == "roles/storage.objectAdmin") && slices.Contains(refs(attr(r.Body, "member").Expr), "local.functions_member") {
			create = true
		}
	}
	if !create {
		t.Errorf("the functions account needs to create and replace objects in the drop bucket (roles/storage.objectUser)")
	}
}
