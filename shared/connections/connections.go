// Package connections keeps a tenant's saved source connections (spec A2,
// A3): databases (PostgreSQL, MySQL, MariaDB), Firestore, BigQuery and
// buckets (Cloud Storage, S3, Azure Blob), with their credentials in the
// secrets port,
// connection tests and discovery (schemas, tables, columns, files).
//
// A Connection is a document of kind "connection" in the docstore; its
// secret parts (password, service-account JSON, AWS secret key, Azure
// account key or SAS token) are one JSON value in the secrets port under
// SecretName(id). Secrets are never returned: a Connection says which
// secret fields are set (SecretFields, HasSecret) and nothing more. Test
// messages and errors never contain a secret value.
//
// Names are unique per tenant (case-insensitively), enforced by an index
// document of kind "connection_name" written in the same transaction.
//
// # Where a secret may go
//
// A stored secret is only ever sent to the place it was saved for: the
// host and port of a database (and a verified server certificate if the
// connection verified it), the bucket, endpoint and account of a bucket.
// An update that changes any of those without entering the secret again
// is refused (errs.Invalid naming the secret field), so an editor cannot
// point a saved connection at a server of their own and receive its
// password (see movedSecret).
//
// Every connection dials through the Service's outbound policy (package
// egress, B2B_CONNECT_ALLOW); local folders (file:// bucket URLs) are only
// allowed under the folders of Options.FileRoots.
package connections

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Type is a connection's source type.
type Type string

// Types.
const (
	Postgres  Type = "postgresql"
	MySQL     Type = "mysql"
	MariaDB   Type = "mariadb"
	GCS       Type = "gcs"
	S3        Type = "s3"
	AzureBlob Type = "azure_blob"
	BigQuery  Type = "bigquery"
	Firestore Type = "firestore"
)

// Types lists every type, in display order.
var Types = []Type{Postgres, MySQL, MariaDB, GCS, S3, AzureBlob, BigQuery, Firestore}

// IsDatabase reports whether t is a relational database read through
// shared/sources.
func (t Type) IsDatabase() bool { return t == Postgres || t == MySQL || t == MariaDB }

// HasTables reports whether t is read as tables through shared/sources:
// a database, Firestore (its collections) or BigQuery.
func (t Type) HasTables() bool { return t.IsDatabase() || t.IsGoogle() }

// IsGoogle reports whether t is a Google Cloud service reached with a
// project and a service-account key.
func (t Type) IsGoogle() bool { return t == BigQuery || t == Firestore }

// IsStorage reports whether t is a bucket.
func (t Type) IsStorage() bool { return t == GCS || t == S3 || t == AzureBlob }

func (t Type) valid() bool { return slices.Contains(Types, t) }

// Display is the type's human name ("PostgreSQL").
func (t Type) Display() string {
	switch t {
	case Postgres:
		return "PostgreSQL"
	case MySQL:
		return "MySQL"
	case MariaDB:
		return "MariaDB"
	case GCS:
		return "Cloud Storage"
	case S3:
		return "Amazon S3"
	case AzureBlob:
		return "Azure Blob Storage"
	case BigQuery:
		return "BigQuery"
	case Firestore:
		return "Firestore"
	}
	return string(t)
}

// Test statuses.
const (
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// Kinds of the documents this package stores.
const (
	Kind     = "connection"
	nameKind = "connection_name"
)

// IDPrefix starts every connection id.
const IDPrefix = "conn_"

// Fields are the non-secret settings of a connection.
type Fields struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Description string `json:"description,omitempty"`

	// Databases.
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"` // 0 = the type's default
	Database string `json:"database,omitempty"`
	Schema   string `json:"schema,omitempty"`
	Username string `json:"username,omitempty"`
	// SSLMode: disable, allow, prefer (default), require, verify-ca,
	// verify-full (see sources.Connection.SSLMode).
	SSLMode string `json:"sslmode,omitempty"`

	// Buckets: gs://bucket, s3://bucket, azblob://container or
	// https://ACCOUNT.blob.core.windows.net/container.
	BucketURL string `json:"bucket_url,omitempty"`
	// Prefix limits the connection to the objects under it ("exports/").
	Prefix string `json:"prefix,omitempty"`
	// Region is the S3 region (default us-east-1).
	Region string `json:"region,omitempty"`
	// AccessKeyID is the AWS access key id (its secret key is secret).
	AccessKeyID string `json:"access_key_id,omitempty"`
	// Account is the Azure storage account.
	Account string `json:"account,omitempty"`
	// Endpoint overrides the service endpoint (an S3-compatible server,
	// Azurite, a GCS emulator).
	Endpoint string `json:"endpoint,omitempty"`

	// BigQuery / Firestore: the Google Cloud project (BigQuery: the
	// billing project, where query jobs run); Endpoint an emulator or test
	// server (http://HOST:PORT, no credentials). Firestore: Database is the
	// database id (default "(default)"). BigQuery: DataProject is the
	// project whose datasets are read (default: Project; a public dataset's
	// project), Dataset the default dataset.
	Project     string `json:"project,omitempty"`
	DataProject string `json:"data_project,omitempty"`
	Dataset     string `json:"dataset,omitempty"`
}

// Connection is a saved connection as stored and shown. It holds no secret.
type Connection struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Fields
	Enabled bool `json:"enabled"`
	// SecretFields names the secret fields that are set ("password", ...).
	SecretFields []string `json:"secret_fields"`
	HasSecret    bool     `json:"has_secret"`

	LastTestStatus  string     `json:"last_test_status"` // success, failed or ""
	LastTestMessage string     `json:"last_test_message"`
	LastTestAt      *time.Time `json:"last_test_at"`
	LastUsedAt      *time.Time `json:"last_used_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// View is a connection with the number of ETL jobs that use it.
type View struct {
	Connection
	JobsCount int `json:"jobs_count"`
}

// Secret holds the secret parts of a connection. It never leaves the
// package except to a driver.
type Secret struct {
	Password           string `json:"password,omitempty"`
	ServiceAccountJSON string `json:"service_account_json,omitempty"`
	AWSSecretAccessKey string `json:"aws_secret_access_key,omitempty"`
	AzureAccountKey    string `json:"azure_account_key,omitempty"`
	AzureSASToken      string `json:"azure_sas_token,omitempty"`
}

// String keeps secrets out of %v and %s.
func (Secret) String() string { return "connections.Secret{redacted}" }

// GoString keeps secrets out of %#v.
func (Secret) GoString() string { return "connections.Secret{redacted}" }

// fieldNames lists the names of the fields that are set.
func (s Secret) fieldNames() []string {
	out := []string{}
	for _, f := range []struct {
		name, v string
	}{
		{"password", s.Password}, {"service_account_json", s.ServiceAccountJSON},
		{"aws_secret_access_key", s.AWSSecretAccessKey}, {"azure_account_key", s.AzureAccountKey},
		{"azure_sas_token", s.AzureSASToken},
	} {
		if f.v != "" {
			out = append(out, f.name)
		}
	}
	return out
}

func (s Secret) values() []string {
	var out []string
	for _, v := range []string{s.Password, s.ServiceAccountJSON, s.AWSSecretAccessKey, s.AzureAccountKey, s.AzureSASToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (s Secret) empty() bool { return len(s.values()) == 0 }

// SecretPatch changes secret fields: nil keeps the stored value, "" clears
// it, anything else replaces it.
type SecretPatch struct {
	Password           *string `json:"password,omitempty"`
	ServiceAccountJSON *string `json:"service_account_json,omitempty"`
	AWSSecretAccessKey *string `json:"aws_secret_access_key,omitempty"`
	AzureAccountKey    *string `json:"azure_account_key,omitempty"`
	AzureSASToken      *string `json:"azure_sas_token,omitempty"`
}

func (p SecretPatch) apply(s Secret) Secret {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.Password, p.Password)
	set(&s.ServiceAccountJSON, p.ServiceAccountJSON)
	set(&s.AWSSecretAccessKey, p.AWSSecretAccessKey)
	set(&s.AzureAccountKey, p.AzureAccountKey)
	set(&s.AzureSASToken, p.AzureSASToken)
	return s
}

func (p SecretPatch) changed() bool {
	return p.Password != nil || p.ServiceAccountJSON != nil || p.AWSSecretAccessKey != nil || p.AzureAccountKey != nil || p.AzureSASToken != nil
}

// NewConnection is what Create and TestValues take.
type NewConnection struct {
	Fields
	// Enabled nil means true.
	Enabled *bool  `json:"enabled,omitempty"`
	Secret  Secret `json:"secret"`
	// TestFirst tests the values before saving: a failed test saves
	// nothing (errs.Invalid with the test's message).
	TestFirst bool `json:"test_first,omitempty"`
}

// Patch changes a connection; nil fields are kept.
type Patch struct {
	Name        *string     `json:"name,omitempty"`
	Description *string     `json:"description,omitempty"`
	Host        *string     `json:"host,omitempty"`
	Port        *int        `json:"port,omitempty"`
	Database    *string     `json:"database,omitempty"`
	Schema      *string     `json:"schema,omitempty"`
	Username    *string     `json:"username,omitempty"`
	SSLMode     *string     `json:"sslmode,omitempty"`
	BucketURL   *string     `json:"bucket_url,omitempty"`
	Prefix      *string     `json:"prefix,omitempty"`
	Region      *string     `json:"region,omitempty"`
	AccessKeyID *string     `json:"access_key_id,omitempty"`
	Account     *string     `json:"account,omitempty"`
	Endpoint    *string     `json:"endpoint,omitempty"`
	Project     *string     `json:"project,omitempty"`
	DataProject *string     `json:"data_project,omitempty"`
	Dataset     *string     `json:"dataset,omitempty"`
	Enabled     *bool       `json:"enabled,omitempty"`
	Secret      SecretPatch `json:"secret"`
	// Test re-tests the new values before saving: a failed test saves
	// nothing (errs.Invalid with the test's message).
	Test bool `json:"test,omitempty"`
}

func (p Patch) apply(f Fields) Fields {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	set(&f.Host, p.Host)
	if p.Port != nil {
		f.Port = *p.Port
	}
	set(&f.Database, p.Database)
	set(&f.Schema, p.Schema)
	set(&f.Username, p.Username)
	set(&f.SSLMode, p.SSLMode)
	set(&f.BucketURL, p.BucketURL)
	set(&f.Prefix, p.Prefix)
	set(&f.Region, p.Region)
	set(&f.AccessKeyID, p.AccessKeyID)
	set(&f.Account, p.Account)
	set(&f.Endpoint, p.Endpoint)
	set(&f.Project, p.Project)
	set(&f.DataProject, p.DataProject)
	set(&f.Dataset, p.Dataset)
	return f
}

// invalid returns a validation error about one field: the user sees the
// message beside the field, the logs "connection: port: must be 1-65535".
func invalid(field, format string, args ...any) error {
	text := fmt.Sprintf(format, args...)
	return &errs.Error{Kind: errs.Invalid, Msg: "connection: " + field + ": " + text, Field: field, User: text}
}

const (
	maxNameLen  = 100
	maxFieldLen = 1000
)

var sslModes = []string{"", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

var (
	// Azure storage account names: 3-24 lower-case letters and digits.
	azureAccountRE = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	// Bucket and container names of GCS, S3 and Azure: lower-case letters,
	// digits, dots, hyphens and underscores (GCS), 3-222 characters.
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)
	// AWS regions ("eu-west-3").
	regionRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
)

// normalize trims the fields, fills defaults and validates them for the
// type; roots are the folders file:// bucket URLs may name (none: local
// folders are refused, as in the cloud).
func normalize(f *Fields, s Secret, roots []string) error {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&f.Name, &f.Host, &f.Database, &f.Schema, &f.Username, &f.SSLMode, &f.BucketURL,
		&f.Region, &f.AccessKeyID, &f.Account, &f.Endpoint, &f.Project, &f.DataProject, &f.Dataset} {
		trim(p)
	}
	f.Type = Type(strings.ToLower(strings.TrimSpace(string(f.Type))))
	if f.Name == "" {
		return invalid("name", "is required")
	}
	if utf8.RuneCountInString(f.Name) > maxNameLen || !utf8.ValidString(f.Name) {
		return invalid("name", "must be valid text of at most %d characters", maxNameLen)
	}
	if !f.Type.valid() {
		names := make([]string, len(Types))
		for i, t := range Types {
			names[i] = string(t)
		}
		return invalid("type", "must be one of %s", strings.Join(names, ", "))
	}
	for name, v := range map[string]string{"description": f.Description, "host": f.Host, "database": f.Database, "schema": f.Schema,
		"username": f.Username, "bucket_url": f.BucketURL, "prefix": f.Prefix, "endpoint": f.Endpoint, "project": f.Project, "data_project": f.DataProject, "dataset": f.Dataset} {
		if len(v) > maxFieldLen {
			return invalid(name, "must be at most %d bytes", maxFieldLen)
		}
	}
	switch {
	case f.Type.IsDatabase():
		if f.Host == "" {
			return invalid("host", "is required")
		}
		if strings.ContainsAny(f.Host, "/@?# ") {
			return invalid("host", "must be a host name or address without scheme, user or path")
		}
		if f.Port == 0 {
			f.Port = 5432
			if f.Type != Postgres {
				f.Port = 3306
			}
		}
		if f.Port < 1 || f.Port > 65535 {
			return invalid("port", "must be 1-65535")
		}
		if f.Database == "" {
			return invalid("database", "is required")
		}
		if f.Username == "" {
			return invalid("username", "is required")
		}
		if !slices.Contains(sslModes, f.SSLMode) {
			return invalid("sslmode", "must be one of disable, allow, prefer, require, verify-ca, verify-full")
		}
	case f.Type.IsStorage():
		if f.Port != 0 {
			return invalid("port", "is not used by %s connections", f.Type)
		}
		if err := normalizeBucket(f, roots); err != nil {
			return err
		}
		if strings.HasPrefix(f.Prefix, "/") || strings.Contains(f.Prefix, "..") {
			return invalid("prefix", "must be relative and must not contain '..'")
		}
		if f.Endpoint != "" {
			if u, err := url.Parse(f.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return invalid("endpoint", "must be an http(s) URL")
			}
		}
		if f.Account != "" && !azureAccountRE.MatchString(f.Account) {
			return invalid("account", "must be a storage account name: 3-24 lower-case letters and digits")
		}
		switch f.Type {
		case S3:
			if f.Region == "" {
				f.Region = "us-east-1"
			}
			if !regionRE.MatchString(f.Region) {
				return invalid("region", "must be an AWS region such as eu-west-3")
			}
			if f.AccessKeyID != "" && s.AWSSecretAccessKey == "" {
				return invalid("aws_secret_access_key", "is required with access_key_id")
			}
			if f.AccessKeyID == "" && s.AWSSecretAccessKey != "" {
				return invalid("access_key_id", "is required with aws_secret_access_key")
			}
		case AzureBlob:
			if f.Account == "" && !strings.HasPrefix(f.BucketURL, "file://") {
				return invalid("account", "is required")
			}
			if s.AzureAccountKey == "" && s.AzureSASToken == "" && !strings.HasPrefix(f.BucketURL, "file://") {
				return invalid("azure_account_key", "an account key or a SAS token is required")
			}
		}
	default: // bigquery, firestore
		if err := normalizeGoogle(f, s); err != nil {
			return err
		}
	}
	if s.ServiceAccountJSON != "" {
		var sa struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(s.ServiceAccountJSON), &sa) != nil || sa.Type == "" {
			return invalid("service_account_json", "is not a service account key file (JSON with a \"type\")")
		}
	}
	return nil
}

// projectRE matches Google Cloud project ids (and the older domain-scoped
// ids, "example.com:project").
var projectRE = regexp.MustCompile(`^([a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// firestoreDatabaseRE matches Firestore database ids ("(default)" too).
var firestoreDatabaseRE = regexp.MustCompile(`^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$`)

// bigQueryDatasetRE matches BigQuery dataset ids (their length is bounded
// with every field).
var bigQueryDatasetRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// normalizeGoogle checks a BigQuery or Firestore connection: a project id;
// for Firestore a database id (default "(default)"), for BigQuery a data
// project (default: the project) and an optional dataset; and either an
// endpoint (http://HOST:PORT: an emulator or test server, no credentials)
// or a service-account key.
func normalizeGoogle(f *Fields, s Secret) error {
	if f.Project == "" {
		return invalid("project", "is required")
	}
	if !projectRE.MatchString(f.Project) {
		return invalid("project", "must be a Google Cloud project id such as my-shop-123")
	}
	if f.Host != "" || f.Port != 0 || f.Username != "" || f.BucketURL != "" {
		return invalid("host", "is not used by %s connections (an emulator goes in endpoint)", f.Type.Display())
	}
	switch f.Type {
	case Firestore:
		if f.Database == "" {
			f.Database = "(default)"
		}
		if !firestoreDatabaseRE.MatchString(f.Database) {
			return invalid("database", "must be a Firestore database id such as (default) or orders-db")
		}
	case BigQuery:
		if f.DataProject == "" {
			f.DataProject = f.Project
		}
		if !projectRE.MatchString(f.DataProject) {
			return invalid("data_project", "must be a Google Cloud project id such as bigquery-public-data")
		}
		if f.Dataset != "" && !bigQueryDatasetRE.MatchString(f.Dataset) {
			return invalid("dataset", "must be a BigQuery dataset id: letters, digits and underscores")
		}
	}
	if f.Endpoint != "" {
		u, err := url.Parse(f.Endpoint)
		if err != nil || u.Scheme != "http" || u.Port() == "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
			return invalid("endpoint", "must be an emulator address such as http://127.0.0.1:8080")
		}
		f.Endpoint = "http://" + u.Host
		return nil
	}
	if s.ServiceAccountJSON == "" {
		return invalid("service_account_json", "is required: the service account key the connection reads %s with", f.Type.Display())
	}
	return nil
}

// normalizeBucket checks the bucket URL against the type: gs://,
// s3://, azblob:// or https://ACCOUNT.blob.core.windows.net/container
// (rewritten to azblob:// with Account and Endpoint filled in), or
// file:///folder under one of roots.
func normalizeBucket(f *Fields, roots []string) error {
	if f.BucketURL == "" {
		return invalid("bucket_url", "is required")
	}
	u, err := url.Parse(f.BucketURL)
	if err != nil {
		return invalid("bucket_url", "does not parse as a URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return invalid("bucket_url", "must not contain credentials or query parameters")
	}
	if u.Scheme == "file" {
		dir, err := localFolder(u, roots)
		if err != nil {
			return err
		}
		f.BucketURL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
		return nil
	}
	want := map[Type]string{GCS: "gs", S3: "s3", AzureBlob: "azblob"}[f.Type]
	if f.Type == AzureBlob && u.Scheme == "https" {
		parts := strings.SplitN(strings.Trim(u.Path, "/"), "/", 2)
		if parts[0] == "" || len(parts) > 1 {
			return invalid("bucket_url", "must be https://ACCOUNT.blob.core.windows.net/CONTAINER")
		}
		if !bucketRE.MatchString(parts[0]) {
			return invalid("bucket_url", "the container name must be lower-case letters, digits and hyphens")
		}
		if acct, ok := strings.CutSuffix(u.Hostname(), ".blob.core.windows.net"); ok && f.Account == "" {
			f.Account = acct
		}
		if f.Endpoint == "" {
			f.Endpoint = "https://" + u.Host
		}
		f.BucketURL = "azblob://" + parts[0]
		return nil
	}
	if u.Scheme != want {
		return invalid("bucket_url", "must start with %s:// for %s connections", want, f.Type)
	}
	if u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return invalid("bucket_url", "must be %s://BUCKET (put folders in prefix)", want)
	}
	if !bucketRE.MatchString(u.Host) {
		return invalid("bucket_url", "the bucket name must be 3-222 lower-case letters, digits, dots, hyphens or underscores")
	}
	f.BucketURL = want + "://" + u.Host
	return nil
}

// bucketName is the bucket or container of a bucket URL.
func bucketName(f Fields) string {
	u, err := url.Parse(f.BucketURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// identity is what duplicate detection compares: type, host, port,
// database and user for databases; type, bucket, prefix and account for
// buckets.
func identity(f Fields) string {
	if f.Type.IsStorage() {
		return strings.Join([]string{string(f.Type), f.BucketURL, f.Prefix, strings.ToLower(f.Account), f.Endpoint}, "\x00")
	}
	return strings.Join([]string{string(f.Type), strings.ToLower(f.Host), fmt.Sprint(f.Port), f.Database, f.Username, f.Project, f.DataProject, f.Dataset, f.Endpoint}, "\x00")
}

// secretLabels are the secret fields in the words of a message.
var secretLabels = map[string]string{
	"password":              "password",
	"service_account_json":  "service account key",
	"aws_secret_access_key": "secret access key",
	"azure_account_key":     "account key",
	"azure_sas_token":       "SAS token",
}

// verifiesServer reports whether an sslmode checks the server's
// certificate.
func verifiesServer(sslmode string) bool { return sslmode == "verify-ca" || sslmode == "verify-full" }

// movedTo names what an update changes of the place a stored secret is
// sent to ("host", "port", "bucket", "endpoint", "account", "project", or
// "unverified server" when a verified TLS connection stops verifying the
// server), "" when it stays. Both field sets are normalised.
func movedTo(old, cur Fields) string {
	if old.Type.IsGoogle() {
		switch {
		case old.Project != cur.Project:
			return "project"
		case old.Endpoint != cur.Endpoint:
			return "endpoint"
		}
		return ""
	}
	if old.Type.IsDatabase() {
		switch {
		case !strings.EqualFold(old.Host, cur.Host):
			return "host"
		case old.Port != cur.Port:
			return "port"
		case verifiesServer(old.SSLMode) && !verifiesServer(cur.SSLMode):
			return "unverified server"
		}
		return ""
	}
	switch {
	case old.BucketURL != cur.BucketURL:
		return "bucket"
	case old.Endpoint != cur.Endpoint:
		return "endpoint"
	case !strings.EqualFold(old.Account, cur.Account):
		return "account"
	}
	return ""
}

// movedSecret refuses an update that sends a stored secret somewhere else:
// when the place changes (movedTo), every secret field stored must be in
// the patch (entered again, or cleared).
func movedSecret(old, cur Fields, stored Secret, p SecretPatch) error {
	what := movedTo(old, cur)
	if what == "" {
		return nil
	}
	given := map[string]bool{
		"password": p.Password != nil, "service_account_json": p.ServiceAccountJSON != nil,
		"aws_secret_access_key": p.AWSSecretAccessKey != nil, "azure_account_key": p.AzureAccountKey != nil,
		"azure_sas_token": p.AzureSASToken != nil,
	}
	for _, field := range stored.fieldNames() {
		if given[field] {
			continue
		}
		if what == "unverified server" {
			return invalid(field, "re-enter the %s to use this connection without verifying the server's certificate", secretLabels[field])
		}
		return invalid(field, "re-enter the %s to use this connection with another %s", secretLabels[field], what)
	}
	return nil
}

// SecretName is the name of a connection's secret in the secrets port.
func SecretName(id string) string { return "connection-" + id }
