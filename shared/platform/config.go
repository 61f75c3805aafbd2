// Package platform assembles b2brecs from its ports: it reads the driver
// URLs from the environment, opens the backends, and hands each domain
// service what it needs. The local binary and every Cloud Function start
// here; only the URLs differ.
package platform

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/datasets"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// Modes.
const (
	ModeLocal = "local"
	ModeCloud = "cloud"
)

// Config holds the driver URLs and settings. URLs of per-tenant resources
// may contain "{tenant}", replaced by the tenant id.
type Config struct {
	Mode         string
	DataDir      string
	ConfigURL    string // docstore
	EventsURL    string // events bus
	SecretsURL   string
	SchedulerURL string
	WarehouseURL string // per tenant
	DropURL      string // per tenant
	StagingURL   string // per tenant
	ArtifactsURL string // per tenant
	// DropBucket and StagingBucket are the bucket names storage events
	// carry ("{tenant}-drop" locally, the real bucket in the cloud).
	DropBucket    string
	StagingBucket string
	// TenantID fixes the tenant in the cloud, where a deployment serves one.
	TenantID string
	// AuthMode is "local" (passwords and session tokens) or
	// "identity-platform" (ID tokens).
	AuthMode string
	// Project is the GCP project (cloud auth audiences, JWKS).
	Project string
	// ServiceAccounts may call the API as machines (cloud), with ID tokens
	// whose audience is one of Audiences (the function URLs).
	ServiceAccounts []string
	Audiences       []string
	// ConnectAllow is B2B_CONNECT_ALLOW: the internal addresses and host
	// names tenants' connections may reach (see egress.Parse); "" keeps the
	// mode's default (loopback locally, nothing internal in the cloud).
	ConnectAllow string
	// FileImportRoots are the folders file:// connections may read, in
	// local mode only ("{tenant}" is replaced by the tenant id):
	// B2B_FILE_IMPORT_ROOTS, comma-separated, default DataDir/imports/{tenant}.
	FileImportRoots []string
	// AllowedOrigins may call the API from browsers on other origins.
	AllowedOrigins []string
	// API are the server timeouts, the API's call deadline and the login
	// limits (B2B_HTTP_*, B2B_API_CALL_TIMEOUT, B2B_LOGIN_*,
	// B2B_TRUST_FORWARDED_FOR; see api.LimitsFromEnv). APIErr names the
	// variables that do not parse; Open refuses to start with it.
	API       api.Limits
	APIErr    error
	Addr      string
	StaticDir string
	Version   string
	// Run lifecycle settings, as given (see RunOptions): B2B_RUN_ATTEMPTS,
	// B2B_RUN_LEASE and B2B_SWEEP_CRON.
	RunAttempts string
	RunLease    string
	SweepCron   string
	// RunLogLines is B2B_RUN_LOG_LINES, as given (see RunOptions).
	RunLogLines string
	// Partitioning settings, as given (see RunOptions): B2B_FANOUT_ROWS,
	// B2B_FANOUT_BYTES, B2B_PARTITION_ROWS and B2B_PARTITION_WORKERS.
	FanoutRows, FanoutBytes, PartitionRows, PartitionWorkers string
	// Upload settings, as given (see Config.Uploads): B2B_UPLOAD_MODE,
	// B2B_UPLOAD_MAX_BYTES and B2B_UPLOAD_URL_EXPIRY.
	UploadMode      string
	UploadMaxBytes  string
	UploadURLExpiry string
	// DropListLimit is B2B_DROP_LIST_LIMIT, as given (see Config.Uploads).
	DropListLimit string

	// Input are the limits of one input file or extraction (records,
	// values, columns, JSON depth, decompression: B2B_MAX_*, see
	// tabular.LimitsFromEnv). InputErr names a variable that does not
	// parse; Open refuses to start with it.
	Input    tabular.Limits
	InputErr error

	// Datasets are the datasets settings (B2B_DATASET_*, see
	// datasets.OptionsFromEnv); DatasetsErr names a variable that does not
	// parse; Open refuses to start with it.
	Datasets    datasets.Options
	DatasetsErr error

	// SourceSampleDocs is B2B_SOURCE_SAMPLE_DOCS, the documents read to
	// infer a Firestore collection's columns (0: the default; see
	// sources.SampleDocsFromEnv); SourceSampleErr says why it does not
	// parse; Open refuses to start with it.
	SourceSampleDocs int
	SourceSampleErr  error

	// Detect bounds the job wizard's file-schema detection
	// (B2B_DETECT_MAX_BYTES, B2B_DETECT_MAX_ROWS; see
	// connections.DetectOptionsFromEnv); DetectErr says why they do not
	// parse; Open refuses to start with it.
	Detect    connections.DetectOptions
	DetectErr error
}

// FromEnv reads the configuration from B2B_* variables, with local defaults
// rooted at B2B_DATA_DIR (default ./var).
func FromEnv() Config {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	dir := get("B2B_DATA_DIR", "var")
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	tdir := filepath.ToSlash(filepath.Join(dir, "tenants", "{tenant}"))
	c := Config{
		Mode:          get("B2B_MODE", ModeLocal),
		DataDir:       dir,
		ConfigURL:     get("B2B_CONFIG_URL", "sqlite://"+filepath.ToSlash(filepath.Join(dir, "config.db"))),
		EventsURL:     get("B2B_EVENTS_URL", "mem://"),
		SecretsURL:    get("B2B_SECRETS_URL", "local://"+filepath.ToSlash(filepath.Join(dir, "secrets"))),
		SchedulerURL:  get("B2B_SCHEDULER_URL", "local://"),
		WarehouseURL:  get("B2B_WAREHOUSE_URL", "duckdb://"+tdir+"/warehouse.duckdb"),
		DropURL:       get("B2B_DROP_URL", "file://"+tdir+"/drop?create_dir=1&metadata=skip"),
		StagingURL:    get("B2B_STAGING_URL", "file://"+tdir+"/staging?create_dir=1&metadata=skip"),
		ArtifactsURL:  get("B2B_ARTIFACTS_URL", "file://"+tdir+"/artifacts?create_dir=1"),
		DropBucket:    get("B2B_DROP_BUCKET", "{tenant}-drop"),
		StagingBucket: get("B2B_STAGING_BUCKET", "{tenant}-staging"),
		TenantID:      get("B2B_TENANT_ID", ""),
		AuthMode:      get("B2B_AUTH_MODE", "local"),
		Project:       get("B2B_PROJECT", ""),
		Addr:          get("B2B_ADDR", "127.0.0.1:8080"),
		StaticDir:     get("B2B_STATIC_DIR", "static/dist"),
		Version:       get("B2B_VERSION", "dev"),
		RunAttempts:   os.Getenv("B2B_RUN_ATTEMPTS"),
		RunLease:      os.Getenv("B2B_RUN_LEASE"),
		SweepCron:     os.Getenv("B2B_SWEEP_CRON"),
		RunLogLines:   os.Getenv("B2B_RUN_LOG_LINES"),
	}
	c.FanoutRows, c.FanoutBytes = os.Getenv("B2B_FANOUT_ROWS"), os.Getenv("B2B_FANOUT_BYTES")
	c.PartitionRows, c.PartitionWorkers = os.Getenv("B2B_PARTITION_ROWS"), os.Getenv("B2B_PARTITION_WORKERS")
	c.UploadMode, c.UploadMaxBytes, c.UploadURLExpiry = os.Getenv("B2B_UPLOAD_MODE"), os.Getenv("B2B_UPLOAD_MAX_BYTES"), os.Getenv("B2B_UPLOAD_URL_EXPIRY")
	c.DropListLimit = os.Getenv("B2B_DROP_LIST_LIMIT")
	if sa := os.Getenv("B2B_SERVICE_ACCOUNTS"); sa != "" {
		c.ServiceAccounts = strings.Split(sa, ",")
	}
	if o := os.Getenv("B2B_ALLOWED_ORIGINS"); o != "" {
		c.AllowedOrigins = strings.Split(o, ",")
	}
	if au := os.Getenv("B2B_AUDIENCES"); au != "" {
		c.Audiences = strings.Split(au, ",")
	}
	c.API, c.APIErr = api.LimitsFromEnv(os.Getenv)
	if c.Mode == ModeCloud && os.Getenv("B2B_TRUST_FORWARDED_FOR") == "" {
		c.API.TrustForwardedFor = true // behind Google's front end
	}
	c.Input, c.InputErr = tabular.LimitsFromEnv(os.Getenv)
	c.Datasets, c.DatasetsErr = datasets.OptionsFromEnv(os.Getenv)
	c.ConnectAllow = os.Getenv("B2B_CONNECT_ALLOW")
	c.SourceSampleDocs, c.SourceSampleErr = sources.SampleDocsFromEnv(os.Getenv)
	c.Detect, c.DetectErr = connections.DetectOptionsFromEnv(os.Getenv)
	c.FileImportRoots = []string{filepath.Join(dir, "imports", "{tenant}")}
	if r := os.Getenv("B2B_FILE_IMPORT_ROOTS"); r != "" {
		c.FileImportRoots = strings.Split(r, ",")
	}
	return c
}

// ForTenant replaces {tenant} in a URL or name template.
func ForTenant(template, tenant string) string {
	return strings.ReplaceAll(template, "{tenant}", tenant)
}

// TenantFromName inverts ForTenant: it returns the tenant a concrete name
// was made for, or false. A template without {tenant} matches only itself
// and yields fixed.
func TenantFromName(template, name, fixed string) (string, bool) {
	i := strings.Index(template, "{tenant}")
	if i < 0 {
		return fixed, name == template && fixed != ""
	}
	pre, post := template[:i], template[i+len("{tenant}"):]
	if len(name) <= len(pre)+len(post) || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) {
		return "", false
	}
	t := name[len(pre) : len(name)-len(post)]
	return t, ValidTenantID(t)
}

// ValidTenantID reports whether id is safe to put in paths and names.
func ValidTenantID(id string) bool {
	if id == "" || len(id) > 63 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
