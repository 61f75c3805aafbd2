package terraform_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestAPISameOrigin: /api on the web app's origin reaches the API function
// through a serverless NEG, so the browser needs no CORS for the API, and
// the function takes traffic from the load balancer only.
func TestAPISameOrigin(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")

	neg := m.resources["google_compute_region_network_endpoint_group.api"]
	if neg == nil {
		t.Fatal("google_compute_region_network_endpoint_group.api (the API's serverless NEG) is missing")
	}
	if typ, _ := attrLiteral(neg.Body, "network_endpoint_type"); typ != "SERVERLESS" {
		t.Errorf("NEG network_endpoint_type = %q, want SERVERLESS", typ)
	}
	e := newEvaluator(t, m)
	_, byEntry := functionInstances(t, e)
	apiFn := instanceName(functionResource, byEntry["API"])
	if a := attr(block(neg.Body, "cloud_run"), "service"); a == nil || e.str(t, a.Expr, nil) != byEntry["API"] {
		t.Errorf("NEG cloud_run.service must be the API function's Cloud Run service (%s.name)", apiFn)
	}
	bs := m.resources["google_compute_backend_service.api"]
	if bs == nil {
		t.Fatal("google_compute_backend_service.api is missing")
	}
	if a := attr(block(bs.Body, "backend"), "group"); a == nil || !refersTo(a.Expr, "google_compute_region_network_endpoint_group.api") {
		t.Errorf("backend service api must have the NEG as its backend")
	}
	if cdn, _ := attrLiteral(bs.Body, "enable_cdn"); cdn == "true" {
		t.Errorf("the API must not be cached by the CDN")
	}

	um := m.resources["google_compute_url_map.web"]
	if a := attr(um.Body, "default_service"); a == nil || !refersTo(a.Expr, "google_compute_backend_bucket.web") {
		t.Errorf("url map default_service must be the SPA bucket")
	}
	pm := block(um.Body, "path_matcher")
	apiRule := false
	for _, pr := range blocks(pm, "path_rule") {
		paths := objectOrSetStrings(t, m, attr(pr.Body, "paths"))
		if slices.Contains(paths, "/api/*") && slices.Contains(paths, "/api") {
			apiRule = true
			if a := attr(pr.Body, "service"); a == nil || !refersTo(a.Expr, "google_compute_backend_service.api") {
				t.Errorf("path rule /api/* must go to the API backend service")
			}
		}
	}
	if !apiRule {
		t.Errorf("url map has no path rule for /api and /api/*")
	}
	if hr := block(um.Body, "host_rule"); hr == nil || !refersTo(attr(hr, "hosts").Expr, "var.web_domain") {
		t.Errorf("url map host_rule must match var.web_domain")
	}

	out := mustOutput(t, m.dir, "api_url")
	if !slices.Contains(refs(out), "local.web_origin") {
		t.Errorf("output api_url must be /api on local.web_origin, refers to %v", refs(out))
	}
}

// TestWebCaching: Cloud CDN follows the objects' Cache-Control; the runtime
// settings (config.js) are Terraform's, never cached, and point the web app
// at /api on its own origin; a release uploads the hashed bundles immutable
// and index.html no-cache, and leaves config.js alone.
func TestWebCaching(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	if def, _ := attrLiteral(m.variables["web_cdn"].Body, "default"); def != "true" {
		t.Errorf("web_cdn default = %q, want true", def)
	}
	bb := m.resources["google_compute_backend_bucket.web"]
	var policy *hclsyntax.Body
	for _, d := range blocks(bb.Body, "dynamic") {
		if len(d.Labels) == 1 && d.Labels[0] == "cdn_policy" {
			policy = block(d.Body, "content")
		}
	}
	if policy == nil {
		policy = block(bb.Body, "cdn_policy")
	}
	if mode, _ := attrLiteral(policy, "cache_mode"); mode != "USE_ORIGIN_HEADERS" {
		t.Errorf("backend bucket cdn_policy.cache_mode = %q, want USE_ORIGIN_HEADERS (the objects' Cache-Control decides)", mode)
	}

	cfg := m.resources["google_storage_bucket_object.web_config"]
	if cfg == nil {
		t.Fatal("google_storage_bucket_object.web_config (config.js) is missing")
	}
	if n, _ := attrLiteral(cfg.Body, "name"); n != "config.js" {
		t.Errorf("web_config name = %q, want config.js (static/index.html loads it)", n)
	}
	if cc, _ := attrLiteral(cfg.Body, "cache_control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("config.js cache_control = %q, want no-cache", cc)
	}
	if a := attr(cfg.Body, "bucket"); a == nil || !refersTo(a.Expr, "google_storage_bucket.spa") {
		t.Errorf("config.js must be in the spa bucket")
	}
	wc := objectItems(t, m, m.locals["web_config"].Expr)
	if v, _ := literal(wc["apiBase"]); v != "/api" {
		t.Errorf("web_config.apiBase = %q, want /api (the same origin)", v)
	}
	auth := objectItems(t, m, wc["auth"])
	if v, _ := literal(auth["mode"]); v != "identity-platform" {
		t.Errorf("web_config.auth.mode = %q, want identity-platform", v)
	}
	if a := auth["apiKey"]; a == nil || !refersTo(a, "google_apikeys_key.web") {
		t.Errorf("web_config.auth.apiKey must be the web app's browser key")
	}

	cb, err := os.ReadFile("../cloudbuild.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(cb)
	for _, want := range []string{
		`--exclude='^config\.js$$'`,
		`/assets/**" --cache-control="public, max-age=31536000, immutable"`,
		`index.html" --cache-control="no-cache, max-age=0"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("cloudbuild.yaml lacks %s", want)
		}
	}
	if strings.Contains(s, "apiBase") {
		t.Errorf("cloudbuild.yaml writes an apiBase: the API is /api on the web app's origin (Terraform's config.js)")
	}
}

// TestIdentityPlatform: sign-in is configured in the tenant's project, for
// the web app's domain, with email and password, and a browser key limited
// to the Identity Toolkit API and the web app's origin.
func TestIdentityPlatform(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	c := m.resources["google_identity_platform_config.auth"]
	if c == nil {
		t.Fatal("google_identity_platform_config.auth is missing")
	}
	if a := attr(c.Body, "authorized_domains"); a == nil || !refersTo(a.Expr, "var.web_domain") {
		t.Errorf("authorized_domains must include var.web_domain")
	}
	if v, _ := attrLiteral(block(block(c.Body, "sign_in"), "email"), "enabled"); v != "true" {
		t.Errorf("email sign-in must be enabled")
	}
	g := m.resources["google_identity_platform_default_supported_idp_config.google"]
	if g == nil {
		t.Errorf("the Google provider config is missing")
	} else if idp, _ := attrLiteral(g.Body, "idp_id"); idp != "google.com" {
		t.Errorf("idp_id = %q, want google.com", idp)
	}
	k := m.resources["google_apikeys_key.web"]
	if k == nil {
		t.Fatal("google_apikeys_key.web is missing")
	}
	r := block(k.Body, "restrictions")
	if svc, _ := attrLiteral(block(r, "api_targets"), "service"); svc != "identitytoolkit.googleapis.com" {
		t.Errorf("browser key api_targets = %q, want identitytoolkit.googleapis.com only", svc)
	}
	if a := attr(block(r, "browser_key_restrictions"), "allowed_referrers"); a == nil || !slices.Contains(refs(a.Expr), "local.web_origin") {
		t.Errorf("browser key must be limited to the web app's origin")
	}
	if v := m.variables["google_oauth_client_secret"]; v == nil {
		t.Errorf("variable google_oauth_client_secret missing")
	} else if s, _ := attrLiteral(v.Body, "sensitive"); s != "true" {
		t.Errorf("google_oauth_client_secret must be sensitive")
	}
}
