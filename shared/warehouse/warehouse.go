// Package warehouse is the port for the analytical store that ETL loads land
// in and datasets query: DuckDB locally (cgo, linked only into the local
// binary) and BigQuery in the cloud.
//
// Types are normalised once, to BigQuery's standard SQL names (INT64, not
// INTEGER), whatever the driver reports.
//
// Schemes (each registered by importing its driver package):
//
//	duckdb:///abs/wh.duckdb, duckdb://./rel.duckdb, duckdb://:memory:   (duckdbwh, cgo, local binary only)
//	bigquery://PROJECT?location=EU[&endpoint=http://host:port]         (bigquerywh)
//
// SQL passed to Query is in the driver's Dialect, with @name parameters.
// Build identifiers with QuoteIdent / QuoteTable, never by hand; the
// parameter tokenizer is RewriteParams. The conformance suite every driver
// passes is in package warehousetest.
package warehouse

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/registry"
)

// Type is a column type in BigQuery standard SQL names.
type Type string

// Column types.
const (
	String    Type = "STRING"
	Int64     Type = "INT64"
	Float64   Type = "FLOAT64"
	Numeric   Type = "NUMERIC"
	Bool      Type = "BOOL"
	Date      Type = "DATE"
	Timestamp Type = "TIMESTAMP"
	DateTime  Type = "DATETIME"
	Time      Type = "TIME"
	JSON      Type = "JSON"
	Bytes     Type = "BYTES"
)

// Column describes one column.
type Column struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Nullable    bool   `json:"nullable"`
	Description string `json:"description,omitempty"`
}

// Schema is an ordered list of columns.
type Schema []Column

// Table describes a table.
type Table struct {
	Dataset  string    `json:"dataset"`
	Name     string    `json:"name"`
	Schema   Schema    `json:"schema"`
	NumRows  int64     `json:"num_rows"`
	NumBytes int64     `json:"num_bytes"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
}

// Format is the format of files to load.
type Format string

// Load formats.
const (
	Parquet Format = "PARQUET"
	CSV     Format = "CSV"
	JSONL   Format = "NEWLINE_DELIMITED_JSON"
)

// Mode is what a load does to rows already in the table.
type Mode string

// Load modes.
const (
	Append   Mode = "APPEND"   // add the rows
	Truncate Mode = "TRUNCATE" // replace all rows, atomically
	Merge    Mode = "MERGE"    // upsert on MergeKeys
)

// LoadRequest loads files into one table in one job: either all rows land or
// none do.
type LoadRequest struct {
	Dataset string
	Table   string
	// Sources are object URLs the warehouse can read: file:///abs/path for
	// DuckDB, gs://bucket/object for BigQuery.
	Sources []string
	Format  Format
	Mode    Mode
	// Schema creates the table if it does not exist. Files must carry the
	// columns of the schema by name (Parquet) or in order (CSV, with header).
	Schema Schema
	// MergeKeys are the key columns for Mode == Merge.
	MergeKeys []string
	// Labels are attached to the load job where the backend supports it
	// (BigQuery job labels); they name the run for idempotency checks.
	Labels map[string]string
}

// LoadResult reports a finished load.
type LoadResult struct {
	RowsLoaded int64
	JobID      string
}

// Param is a named query parameter, referenced as @name in SQL.
type Param struct {
	Name  string
	Value any // string, int64, float64, bool, time.Time, nil
}

// Result is a query result with typed values: string, int64, float64, bool,
// time.Time, []byte or nil per cell.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// Dialect names the SQL dialect a driver speaks.
type Dialect string

// Dialects.
const (
	DuckDB   Dialect = "duckdb"
	BigQuery Dialect = "bigquery"
)

// Driver is what a backend implements.
type Driver interface {
	Dialect() Dialect
	// CreateDataset creates the dataset (DuckDB: schema) if missing.
	CreateDataset(ctx context.Context, dataset string) error
	// CreateTable returns errs.Conflict if the table exists.
	CreateTable(ctx context.Context, dataset, table string, schema Schema) error
	// DescribeTable returns errs.NotFound if the table does not exist.
	DescribeTable(ctx context.Context, dataset, table string) (Table, error)
	ListTables(ctx context.Context, dataset string) ([]Table, error)
	DropTable(ctx context.Context, dataset, table string) error
	Load(ctx context.Context, req LoadRequest) (LoadResult, error)
	// Query runs SQL in the driver's dialect with @name parameters and
	// returns at most maxRows rows (0 = all).
	Query(ctx context.Context, sql string, params []Param, maxRows int) (Result, error)
	Close() error
}

// Warehouse is the portable type.
type Warehouse struct {
	Driver
}

// Opener opens a driver from a URL.
type Opener = registry.Opener[Driver]

var drivers = registry.New[Driver]("warehouse")

// Register makes a driver available under a URL scheme. Call it from init.
func Register(scheme string, o Opener) { drivers.Register(scheme, o) }

// Schemes lists the registered schemes.
func Schemes() []string { return drivers.Schemes() }

// Open opens the warehouse named by rawURL (see the package doc for schemes).
func Open(ctx context.Context, rawURL string) (*Warehouse, error) {
	d, err := drivers.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &Warehouse{Driver: d}, nil
}
