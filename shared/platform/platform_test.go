package platform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
)

func TestValidTenantID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"acme", true},
		{"t_0f3a9c", true},
		{"acme-wholesale_2", true},
		{"a", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"Acme", false},
		{"acme corp", false},
		{"a/b", false},
		{"..", false},
		{".", false},
		{"../etc", false},
		{"a.b", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"acme\n", false},
		{"café", false},
		{"{tenant}", false},
		{"a%2fb", false},
	}
	for _, c := range cases {
		if got := ValidTenantID(c.id); got != c.want {
			t.Errorf("ValidTenantID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestForTenant(t *testing.T) {
	cases := []struct{ template, tenant, want string }{
		{"{tenant}-drop", "acme", "acme-drop"},
		{"file:///data/tenants/{tenant}/drop?create_dir=1", "acme", "file:///data/tenants/acme/drop?create_dir=1"},
		{"duckdb:///d/{tenant}/{tenant}.duckdb", "t1", "duckdb:///d/t1/t1.duckdb"},
		{"gs://fixed-bucket", "acme", "gs://fixed-bucket"},
		{"{tenant}", "", ""},
		{"{Tenant}-drop", "acme", "{Tenant}-drop"},
	}
	for _, c := range cases {
		if got := ForTenant(c.template, c.tenant); got != c.want {
			t.Errorf("ForTenant(%q, %q) = %q, want %q", c.template, c.tenant, got, c.want)
		}
	}
}

func TestTenantFromName(t *testing.T) {
	cases := []struct {
		name                   string
		template, value, fixed string
		wantTenant             string
		wantOK                 bool
	}{
		{"suffix template", "{tenant}-drop", "acme-drop", "", "acme", true},
		{"prefix and suffix", "b2b-{tenant}-drop", "b2b-acme-drop", "", "acme", true},
		{"prefix only", "drop-{tenant}", "drop-t_01", "", "t_01", true},
		{"dashes inside the tenant", "{tenant}-drop", "acme-east-drop", "", "acme-east", true},
		{"inverse of ForTenant", "{tenant}-staging", ForTenant("{tenant}-staging", "x9"), "", "x9", true},
		{"other role", "{tenant}-drop", "acme-staging", "", "", false},
		{"empty tenant", "{tenant}-drop", "-drop", "", "", false},
		{"just the suffix", "{tenant}-drop", "drop", "", "", false},
		{"wrong prefix", "b2b-{tenant}-drop", "xyz-acme-drop", "", "", false},
		{"slash smuggled", "{tenant}-drop", "a/b-drop", "", "", false},
		{"dot-dot smuggled", "{tenant}-drop", "..-drop", "", "", false},
		{"path traversal", "{tenant}-drop", "../../etc-drop", "", "", false},
		{"upper case", "{tenant}-drop", "ACME-drop", "", "", false},
		{"space", "{tenant}-drop", "ac me-drop", "", "", false},
		{"too long", "{tenant}-drop", strings.Repeat("a", 64) + "-drop", "", "", false},
		{"the template itself", "{tenant}-drop", "{tenant}-drop", "", "", false},
		{"fixed template, fixed tenant", "prod-drop", "prod-drop", "acme", "acme", true},
		{"fixed template, no fixed tenant", "prod-drop", "prod-drop", "", "", false},
		{"fixed template, other name", "prod-drop", "prod-staging", "acme", "", false},
		{"fixed template, name with a tenant in it", "prod-drop", "acme-prod-drop", "acme", "", false},
		{"fixed tenant ignored when the template has {tenant}", "{tenant}-drop", "other-drop", "acme", "other", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := TenantFromName(c.template, c.value, c.fixed)
			if ok != c.wantOK || (ok && got != c.wantTenant) {
				t.Errorf("TenantFromName(%q, %q, %q) = %q, %v; want %q, %v", c.template, c.value, c.fixed, got, ok, c.wantTenant, c.wantOK)
			}
			if ok && !ValidTenantID(got) {
				t.Errorf("TenantFromName returned an invalid tenant %q with ok", got)
			}
		})
	}
}

// tempLocalConfig is FromEnv's local configuration rooted at a temporary folder.
func tempLocalConfig(t *testing.T) Config {
	t.Helper()
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	for _, k := range []string{"B2B_CONFIG_URL", "B2B_EVENTS_URL", "B2B_SECRETS_URL", "B2B_WAREHOUSE_URL", "B2B_DROP_URL",
		"B2B_STAGING_URL", "B2B_ARTIFACTS_URL", "B2B_DROP_BUCKET", "B2B_STAGING_BUCKET", "B2B_MODE", "B2B_TENANT_ID",
		"B2B_AUTH_MODE", "B2B_SERVICE_ACCOUNTS", "B2B_AUDIENCES"} {
		t.Setenv(k, "")
	}
	return FromEnv()
}

func TestFromEnvDefaults(t *testing.T) {
	cfg := tempLocalConfig(t)
	dir := os.Getenv("B2B_DATA_DIR")
	if cfg.Mode != ModeLocal || cfg.AuthMode != "local" || cfg.TenantID != "" || cfg.DataDir != dir {
		t.Errorf("config = %+v", cfg)
	}
	for name, u := range map[string]string{"drop": cfg.DropURL, "staging": cfg.StagingURL, "artifacts": cfg.ArtifactsURL, "warehouse": cfg.WarehouseURL} {
		if !strings.Contains(u, "{tenant}") || !strings.Contains(u, filepath.ToSlash(dir)) {
			t.Errorf("%s URL %q is not per tenant under the data dir", name, u)
		}
	}
	if cfg.DropBucket != "{tenant}-drop" || cfg.StagingBucket != "{tenant}-staging" {
		t.Errorf("bucket names = %q, %q", cfg.DropBucket, cfg.StagingBucket)
	}
	t.Setenv("B2B_SERVICE_ACCOUNTS", "a@x.iam.gserviceaccount.com,b@x.iam.gserviceaccount.com")
	t.Setenv("B2B_TENANT_ID", "acme")
	cfg = FromEnv()
	if len(cfg.ServiceAccounts) != 2 || cfg.ServiceAccounts[1] != "b@x.iam.gserviceaccount.com" || cfg.TenantID != "acme" {
		t.Errorf("service accounts %q tenant %q", cfg.ServiceAccounts, cfg.TenantID)
	}
}

func TestCheckTenant(t *testing.T) {
	multi := NewResources(Config{})
	single := NewResources(Config{TenantID: "acme"})
	cases := []struct {
		name   string
		r      *Resources
		tenant string
		want   errs.Kind // Unknown = no error
	}{
		{"multi-tenant serves any valid tenant", multi, "other", errs.Unknown},
		{"multi-tenant refuses an invalid id", multi, "../acme", errs.Invalid},
		{"multi-tenant refuses empty", multi, "", errs.Invalid},
		{"single-tenant serves its tenant", single, "acme", errs.Unknown},
		{"single-tenant refuses another tenant", single, "other", errs.NotFound},
		{"single-tenant refuses a prefix of its tenant", single, "acm", errs.NotFound},
		{"single-tenant refuses an invalid id first", single, "a/b", errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.checkTenant(c.tenant)
			if c.want == errs.Unknown {
				if err != nil {
					t.Errorf("checkTenant(%q) = %v, want nil", c.tenant, err)
				}
				return
			}
			if errs.KindOf(err) != c.want {
				t.Errorf("checkTenant(%q) = %v (kind %s), want kind %s", c.tenant, err, errs.KindOf(err), c.want)
			}
		})
	}
}

// A single-tenant (cloud) deployment opens nothing for another tenant: the
// bucket and warehouse calls are refused before any URL is opened.
func TestResourcesRefuseTenantNotServed(t *testing.T) {
	cfg := tempLocalConfig(t)
	cfg.TenantID = "acme"
	r := NewResources(cfg)
	t.Cleanup(func() { _ = r.Close() })
	ctx := context.Background()
	for _, role := range []string{etl.BucketDrop, etl.BucketStaging} {
		if _, err := r.Bucket(ctx, "other", role); !errs.Is(err, errs.NotFound) {
			t.Errorf("Bucket(other, %s) = %v, want not found", role, err)
		}
		if _, err := r.Bucket(ctx, "../acme", role); !errs.Is(err, errs.Invalid) {
			t.Errorf("Bucket(../acme, %s) = %v, want invalid", role, err)
		}
	}
	if _, err := r.Warehouse(ctx, "other"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Warehouse(other) = %v, want not found", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "tenants")); !os.IsNotExist(err) {
		t.Errorf("a refused tenant created files: stat tenants = %v", err)
	}

	// The served tenant gets its bucket, cached, in its own folder.
	b1, err := r.Bucket(ctx, "acme", etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := r.Bucket(ctx, "acme", etl.BucketDrop)
	if err != nil || b1 != b2 {
		t.Errorf("second Bucket = %p, %v; want the cached %p", b2, err, b1)
	}
	if err := b1.WriteAll(ctx, "x.csv", []byte("a\n"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "tenants", "acme", "drop", "x.csv")); err != nil {
		t.Errorf("object not in the tenant's drop folder: %v", err)
	}
	if _, err := r.Bucket(ctx, "acme", "artifactz"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Bucket(unknown role) = %v, want invalid", err)
	}
}

func TestBucketNameAndURL(t *testing.T) {
	cfg := tempLocalConfig(t)
	r := NewResources(cfg)
	if got := r.BucketName("acme", etl.BucketDrop); got != "acme-drop" {
		t.Errorf("BucketName(drop) = %q", got)
	}
	if got := r.BucketName("acme", etl.BucketStaging); got != "acme-staging" {
		t.Errorf("BucketName(staging) = %q", got)
	}
	want := "file://" + filepath.ToSlash(filepath.Join(cfg.DataDir, "tenants", "acme", "staging"))
	if got := r.BucketURL("acme", etl.BucketStaging); got != want {
		t.Errorf("BucketURL(staging) = %q, want %q (no query)", got, want)
	}
}

func TestTenantOfBucket(t *testing.T) {
	local := NewResources(Config{DropBucket: "{tenant}-drop", StagingBucket: "{tenant}-staging"})
	cloud := NewResources(Config{DropBucket: "proj-123-drop", StagingBucket: "proj-123-staging", TenantID: "acme"})
	cloudNoTenant := NewResources(Config{DropBucket: "proj-123-drop", StagingBucket: "proj-123-staging"})
	cases := []struct {
		name       string
		r          *Resources
		bucket     string
		wantTenant string
		wantRole   string
		wantOK     bool
	}{
		{"local drop", local, "acme-drop", "acme", etl.BucketDrop, true},
		{"local staging", local, "acme-staging", "acme", etl.BucketStaging, true},
		{"local artifacts are no drop or staging bucket", local, "acme-artifacts", "", "", false},
		{"local unknown", local, "elsewhere", "", "", false},
		{"local smuggled slash", local, "a/b-drop", "", "", false},
		{"local smuggled dot-dot", local, "..-drop", "", "", false},
		{"local upper case", local, "ACME-drop", "", "", false},
		{"local empty", local, "", "", "", false},
		{"cloud drop", cloud, "proj-123-drop", "acme", etl.BucketDrop, true},
		{"cloud staging", cloud, "proj-123-staging", "acme", etl.BucketStaging, true},
		{"cloud other bucket", cloud, "proj-999-drop", "", "", false},
		{"cloud local-style name", cloud, "acme-drop", "", "", false},
		{"cloud without a fixed tenant", cloudNoTenant, "proj-123-drop", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tenant, role, ok := c.r.TenantOfBucket(c.bucket)
			if ok != c.wantOK || tenant != c.wantTenant || role != c.wantRole {
				t.Errorf("TenantOfBucket(%q) = %q, %q, %v; want %q, %q, %v", c.bucket, tenant, role, ok, c.wantTenant, c.wantRole, c.wantOK)
			}
		})
	}
}
