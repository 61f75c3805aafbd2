// Package sources is the port through which ETL reads relational databases:
// PostgreSQL (package sources/postgres) and MySQL / MariaDB (package
// sources/mysql), and the Firestore document store (package
// sources/firestoresrc: collections are its tables, a schema inferred from
// sampled documents its columns, Project and CredentialsJSON its
// connection; see that package) and BigQuery (package sources/bigquerysrc:
// datasets are its schemas, read through query jobs billed to Project).
//
// A driver is opened from a Connection (OpenConnection) or a URL (Open):
//
//	postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=prefer&schema=public   (also postgresql://)
//	mysql://USER:PASSWORD@HOST:3306/DATABASE?tls=preferred                      (MariaDB too)
//
// Extra query parameters are passed to the driver (Connection.Params). The
// password is only ever sent to the server: it is never logged, never put in
// error text (Connection implements fmt.Stringer and slog.LogValuer without
// it, and driver errors are redacted).
//
// # Outbound policy and ambient credentials
//
// Drivers dial through Connection.Egress (package egress), which checks the
// address each connection resolves to when the socket connects: a nil
// policy reaches public addresses only. A refused address is
// errs.Permission with a message naming the address and the setting that
// allows it (B2B_CONNECT_ALLOW). Drivers use nothing from the server's
// environment: no PG* variables, password file, service file or client
// certificate for PostgreSQL, no option file for MySQL. A connection
// without a password sends none.
//
// # Discovery
//
// Test pings the server (10 s connect timeout) and lists the base tables of
// the connection's schema; Schemas, Tables and Describe drive the job wizard.
// Describe maps each column's source type to a warehouse type with the
// tables of MapPostgres and MapMySQL and recommends a timestamp column and
// the primary key.
//
// # Extraction and values
//
// Extract streams the rows of one table (PostgreSQL: pgx rows read off the
// wire as they are consumed; MySQL: the unbuffered text protocol), never
// holding the result in memory. Each value is a Go value of the column's
// warehouse type, or nil for NULL:
//
//	INT64               int64
//	FLOAT64             float64
//	NUMERIC             string, the exact decimal text ("12345.6700"); never a float
//	BOOL                bool
//	STRING, JSON        string (JSON as the server's text of the document)
//	BYTES               []byte (owned by the caller)
//	DATE                time.Time, midnight UTC of the date
//	TIMESTAMP           time.Time in UTC (the instant)
//	DATETIME            time.Time in UTC whose wall clock is the stored civil time
//	TIME                string "HH:MM:SS[.ffffff]" (MySQL TIME may exceed 24h or be negative)
//
// Values the warehouse cannot hold become nil: PostgreSQL ±infinity dates
// and timestamps, MySQL zero dates ("0000-00-00").
//
// # Incremental extraction: the boundary contract
//
// With ExtractRequest.TimestampColumn set, rows come in ascending order of
// that column and the iterator tracks the greatest value seen (Watermark).
// With ExtractRequest.Since set too, only rows with column >= Since are read.
// The comparison is >= on purpose: rows written later with a value equal to
// the last watermark (several rows in the same second, or a transaction that
// committed after the previous read) are not lost. The price is that rows
// whose value equals the watermark are read again by the next run. To make
// the next run exact, store Watermark() together with BoundaryKeys() (the
// primary keys of the rows read whose value equals the watermark) and pass
// them back as Since and SeenAtSince: rows at Since whose key is in
// SeenAtSince are skipped by the iterator. Without a primary key,
// BoundaryKeys is nil and the caller de-duplicates at load (a MERGE on its
// own key) or accepts the duplicates. Rows whose value is NULL are never
// read by an incremental extract (NULL compares with nothing), and rows
// committed later with a value below the watermark are missed: prefer a
// column the application sets at commit (updated_at) over one it sets
// earlier. TableMeta.Recommended says which column is best and why.
package sources

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// DefaultConnectTimeout bounds connecting to a server.
const DefaultConnectTimeout = 10 * time.Second

// The number of documents a source without a fixed schema (Firestore)
// reads to infer a collection's columns: the setting SampleDocsSetting,
// passed to the driver as Connection.Params["sample_docs"].
const (
	SampleDocsSetting = "B2B_SOURCE_SAMPLE_DOCS"
	DefaultSampleDocs = 100
	MaxSampleDocs     = 10000
)

// SampleDocsFromEnv reads SampleDocsSetting: 0 when unset (the driver's
// default), an errs.Invalid naming the setting when it is not a whole
// number from 1 to MaxSampleDocs.
func SampleDocsFromEnv(getenv func(string) string) (int, error) {
	v := strings.TrimSpace(getenv(SampleDocsSetting))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxSampleDocs {
		return 0, errs.Userf(errs.Invalid, "%s=%q: want a whole number from 1 to %d", SampleDocsSetting, v, MaxSampleDocs)
	}
	return n, nil
}

// Connection holds what a driver needs to reach a database.
type Connection struct {
	Host string `json:"host"`
	// Port 0 means the dialect's default (5432, 3306).
	Port     int    `json:"port"`
	Database string `json:"database"`
	// Schema is the default schema for Test and for calls with an empty
	// schema: PostgreSQL defaults to "public"; MySQL schemas are databases,
	// so it defaults to Database.
	Schema   string `json:"schema,omitempty"`
	Username string `json:"username"`
	// Password is sent to the server and nowhere else.
	Password string `json:"-"`
	// SSLMode: PostgreSQL sslmode (disable, allow, prefer (default),
	// require, verify-ca, verify-full); for MySQL it maps to the tls
	// parameter (disable → false, prefer → preferred, require → skip-verify,
	// verify-full → true).
	SSLMode string `json:"sslmode,omitempty"`
	// Params are extra driver parameters (PostgreSQL runtime parameters such
	// as application_name; go-sql-driver DSN parameters).
	Params map[string]string `json:"params,omitempty"`
	// ConnectTimeout bounds each connection attempt; 0 means 10 s.
	ConnectTimeout time.Duration `json:"connect_timeout,omitempty"`
	// Egress decides which addresses the driver may connect to; nil
	// allows public addresses only.
	Egress *egress.Policy `json:"-"`
	// Project is the Google Cloud project of a Google source (Firestore).
	Project string `json:"project,omitempty"`
	// CredentialsJSON is the service-account key of a Google source: it
	// is sent to Google's token service and nowhere else, like Password.
	CredentialsJSON string `json:"-"`
}

// Timeout returns the connect timeout to use.
func (c Connection) Timeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// String describes the connection without its password.
func (c Connection) String() string {
	return fmt.Sprintf("%s@%s/%s", c.Username, hostPort(c.Host, c.Port), c.Database)
}

// LogValue logs the connection without its password.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("database", c.Database), slog.String("schema", c.Schema),
		slog.String("username", c.Username), slog.String("sslmode", c.SSLMode),
		slog.String("project", c.Project),
	)
}

// GoString keeps %#v from printing the password.
func (c Connection) GoString() string { return "sources.Connection{" + c.String() + "}" }

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}

// ParseURL reads a Connection from a driver URL (see the package doc). The
// query parameters sslmode, schema and connect_timeout (seconds or a Go
// duration) are fields; the others go to Params. Errors never contain the
// URL (it may hold a password).
func ParseURL(u *url.URL) (Connection, error) {
	c := Connection{Host: u.Hostname(), Database: strings.TrimPrefix(u.Path, "/")}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return Connection{}, errs.E(errs.Invalid, "sources: invalid port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	for k, vs := range u.Query() {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		switch k {
		case "sslmode":
			c.SSLMode = v
		case "schema":
			c.Schema = v
		case "connect_timeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				n, err2 := strconv.Atoi(v)
				if err2 != nil {
					return Connection{}, errs.E(errs.Invalid, "sources: invalid connect_timeout %q", v)
				}
				d = time.Duration(n) * time.Second
			}
			c.ConnectTimeout = d
		default:
			if c.Params == nil {
				c.Params = map[string]string{}
			}
			c.Params[k] = v
		}
	}
	return c, nil
}

// URL returns the connection as a driver URL with the given scheme,
// password included: do not log it.
func (c Connection) URL(scheme string) *url.URL {
	u := &url.URL{Scheme: scheme, Host: hostPort(c.Host, c.Port), Path: "/" + c.Database}
	if c.Password != "" {
		u.User = url.UserPassword(c.Username, c.Password)
	} else if c.Username != "" {
		u.User = url.User(c.Username)
	}
	q := url.Values{}
	if c.SSLMode != "" {
		q.Set("sslmode", c.SSLMode)
	}
	if c.Schema != "" {
		q.Set("schema", c.Schema)
	}
	if c.ConnectTimeout > 0 {
		q.Set("connect_timeout", c.ConnectTimeout.String())
	}
	for k, v := range c.Params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u
}

// Dialect names a source's SQL dialect.
type Dialect string

// Dialects.
const (
	Postgres  Dialect = "postgres"
	MySQL     Dialect = "mysql"
	Firestore Dialect = "firestore" // a document store: no SQL
	BigQuery  Dialect = "bigquery"
)

// Confidence says how sure a type mapping is.
type Confidence string

// Confidences: known source types map with high confidence; unknown ones
// fall back to STRING with medium confidence.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
)

// TableInfo is a table with its row count.
type TableInfo struct {
	Name string `json:"name"`
	// Rows is the number of rows: exact when RowsExact, otherwise the
	// server's estimate (statistics), -1 when unknown. Tables estimated
	// below 100,000 rows are counted exactly.
	Rows      int64 `json:"rows"`
	RowsExact bool  `json:"rows_exact"`
}

// TestResult is a successful connection test.
type TestResult struct {
	// Message is a human-readable summary ("connected to PostgreSQL 17.2;
	// 3 tables in schema public").
	Message string `json:"message"`
	// ServerVersion is the server's version string.
	ServerVersion string `json:"server_version"`
	// Schema is the schema whose tables are listed.
	Schema string      `json:"schema"`
	Tables []TableInfo `json:"tables"`
}

// ColumnMeta describes one column of a source table.
type ColumnMeta struct {
	// Name is the sanitised warehouse name (colname.SanitizeNames: unique
	// within the table).
	Name string `json:"name"`
	// OriginalName is the column's name in the source: the name to pass in
	// ExtractRequest.Columns and TimestampColumn.
	OriginalName string `json:"original_name"`
	NameChanged  bool   `json:"name_changed"`
	// SourceType is the type as the server spells it ("character
	// varying(20)", "tinyint(1)").
	SourceType string         `json:"source_type"`
	Type       warehouse.Type `json:"type"`
	Confidence Confidence     `json:"confidence"`
	// Warning is set for large fields (TEXT/BLOB families) and for unknown
	// types mapped to STRING.
	Warning    string `json:"warning,omitempty"`
	Nullable   bool   `json:"nullable"`
	PrimaryKey bool   `json:"primary_key"`
	// Temporal is true for DATE, DATETIME and TIMESTAMP columns: the
	// candidates for an incremental timestamp column.
	Temporal bool `json:"temporal"`
	// Samples are up to the requested number of values from the first rows,
	// formatted with FormatValue ("NULL" for NULL).
	Samples []string `json:"samples"`
	// Presence is, for a source without a fixed schema (Firestore), the
	// share of the sampled documents that have the field (0-1]; 0 where
	// every row has the column.
	Presence float64 `json:"presence,omitempty"`
}

// Recommendation is what Describe suggests for an incremental job.
type Recommendation struct {
	// TimestampColumn is the source name of the suggested incremental
	// column ("" if the table has no temporal column).
	TimestampColumn string `json:"timestamp_column"`
	// TimestampReason explains the choice.
	TimestampReason string `json:"timestamp_reason"`
	// PrimaryKey lists the source names of the primary key columns, in key
	// order (nil if the table has none).
	PrimaryKey []string `json:"primary_key"`
}

// TableMeta describes a source table.
type TableMeta struct {
	Schema  string       `json:"schema"`
	Table   string       `json:"table"`
	Columns []ColumnMeta `json:"columns"`
	// TotalRows as in TableInfo.Rows.
	TotalRows   int64          `json:"total_rows"`
	RowsExact   bool           `json:"rows_exact"`
	Recommended Recommendation `json:"recommended"`
}

// WarehouseSchema returns the warehouse schema for the table's columns, with
// sanitised names and "Source: <type>" descriptions.
func (m TableMeta) WarehouseSchema() warehouse.Schema {
	s := make(warehouse.Schema, len(m.Columns))
	for i, c := range m.Columns {
		s[i] = warehouse.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Description: "Source: " + c.SourceType}
	}
	return s
}

// ExtractRequest selects the rows to read.
type ExtractRequest struct {
	// Schema "" is the connection's default schema.
	Schema string
	Table  string
	// Columns are source column names (ColumnMeta.OriginalName), read in
	// this order; empty means all columns in table order. An unknown column
	// is errs.Invalid.
	Columns []string
	// TimestampColumn, when set, orders the rows by that column (ascending)
	// and makes the iterator track the watermark. It need not be among
	// Columns.
	TimestampColumn string
	// Since, when non-nil, reads only rows with TimestampColumn >= Since
	// (see the package doc for the boundary contract). A time.Time is
	// compared as an instant for TIMESTAMP columns and by its UTC wall
	// clock for DATE/DATETIME ones; int64 and string are passed as they are.
	Since any
	// SeenAtSince are BoundaryKeys of the previous run: rows whose
	// TimestampColumn equals Since and whose primary key is in the list are
	// skipped. Needs a primary key on the table.
	SeenAtSince []string
	// Limit caps the rows returned (0 = no limit).
	Limit int64
	// Range, when set, reads only the rows whose Range.Column lies in
	// [From, To): one partition of a partitioned run (see Partitioner).
	Range *KeyRange
}

// ExtractColumn is one column of an extract.
type ExtractColumn struct {
	Name         string         `json:"name"` // sanitised warehouse name
	OriginalName string         `json:"original_name"`
	SourceType   string         `json:"source_type"`
	Type         warehouse.Type `json:"type"`
}

// RowIterator streams the rows of an extract. It is not safe for
// concurrent use. Always Close it.
type RowIterator interface {
	// Columns are the columns of each row, in order.
	Columns() []ExtractColumn
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Values returns the current row: one typed value per column (see the
	// package doc). The slice is reused by Next; the values are not.
	Values() []any
	// Err is the error that ended iteration, if any. A cancelled context
	// gives an error that errors.Is context.Canceled (or DeadlineExceeded).
	Err() error
	// Rows is the number of rows returned so far.
	Rows() int64
	// Watermark is the greatest TimestampColumn value returned so far
	// (time.Time in UTC, int64 or string), nil without TimestampColumn or
	// when no non-NULL value was read. Store it after a successful load and
	// pass it as the next Since.
	Watermark() any
	// KeyColumns are the source names of the primary key.
	KeyColumns() []string
	// BoundaryKeys are the encoded primary keys (EncodeKey) of the rows
	// returned whose TimestampColumn equals Watermark(); nil without a
	// primary key. Pass them as the next SeenAtSince.
	BoundaryKeys() []string
	Close() error
}

// Driver is what a database backend implements. Methods with a schema
// argument take "" as the connection's default schema. Missing schemas and
// tables are errs.NotFound; bad credentials errs.Unauthenticated; missing
// privileges errs.Permission; unreachable servers and timeouts
// errs.Transient.
type Driver interface {
	Dialect() Dialect
	// Test connects (10 s timeout), pings and lists the base tables of
	// the connection's schema with their row counts.
	Test(ctx context.Context) (TestResult, error)
	// Schemas lists the schemas a job can read, without system schemas
	// (MySQL: the databases the user sees).
	Schemas(ctx context.Context) ([]string, error)
	// Tables lists the base tables of a schema, sorted by name.
	Tables(ctx context.Context, schema string) ([]TableInfo, error)
	// Describe returns the columns of a table with their mapping and up to
	// samples sample values each (0 = none).
	Describe(ctx context.Context, schema, table string, samples int) (TableMeta, error)
	// Extract streams rows; the context bounds the whole iteration.
	Extract(ctx context.Context, req ExtractRequest) (RowIterator, error)
	// ErrorKind classifies an error the driver returned that carries no
	// errs kind; errs.Unknown when it cannot tell.
	ErrorKind(err error) errs.Kind
	Close() error
}

// Opener opens a driver for a connection. It does not connect.
type Opener func(ctx context.Context, c Connection) (Driver, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// Register makes a driver available under a URL scheme, matched without
// regard to case. Call it from init. It panics on an empty scheme, a nil
// opener or a scheme registered twice, as registry.Registry does.
func Register(scheme string, o Opener) {
	s := strings.ToLower(scheme)
	if s == "" || o == nil {
		panic(fmt.Sprintf("sources: Register(%q) without a scheme or an opener", scheme))
	}
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[s]; dup {
		panic(fmt.Sprintf("sources: scheme %q registered twice", s))
	}
	openers[s] = o
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	out := make([]string, 0, len(openers))
	for k := range openers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Open opens the source named by rawURL (see the package doc), reaching
// only the addresses policy allows (nil: public ones). Opening does not
// connect: Test does.
func Open(ctx context.Context, rawURL string, policy *egress.Policy) (*Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url errors quote the URL, which may hold a password.
		return nil, errs.E(errs.Invalid, "sources: the connection URL does not parse")
	}
	c, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	c.Egress = policy
	return OpenConnection(ctx, u.Scheme, c)
}

// OpenConnection opens a driver for c by scheme ("postgres", "mysql").
func OpenConnection(ctx context.Context, scheme string, c Connection) (*Source, error) {
	openersMu.RLock()
	o := openers[strings.ToLower(scheme)]
	openersMu.RUnlock()
	if o == nil {
		return nil, errs.E(errs.Invalid, "sources: no driver for scheme %q (registered: %v)", scheme, Schemes())
	}
	d, err := o(ctx, c)
	if err != nil {
		return nil, err
	}
	return New(d), nil
}
