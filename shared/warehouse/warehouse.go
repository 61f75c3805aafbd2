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
// Loads are all-or-nothing (see LoadRequest). Mode Replace deletes the rows
// matching LoadRequest.ReplaceWhere and appends the loaded rows in one atomic
// step: the way to load a new version of a file over the rows of the old one.
//
// SQL passed to Query is in the driver's Dialect, with @name parameters.
// Build identifiers with QuoteIdent / QuoteTable, never by hand; the
// parameter tokenizer is RewriteParams. The conformance suite every driver
// passes is in package warehousetest.
//
// # Array parameters
//
// An IN list is one parameter whose Value is a typed slice (see Param),
// bound as a real array (BigQuery: an ARRAY query parameter; DuckDB: a
// LIST), so its values are never inlined and the SQL does not grow with
// the list. Each dialect spells the membership test its own way (InArray
// writes it):
//
//	           x IN the list          x NOT IN the list
//	BigQuery   x IN UNNEST(@p)        x NOT IN UNNEST(@p)
//	DuckDB     x = ANY(@p)            x <> ALL(@p)
//
// Both are NULL when x is NULL (as IN and NOT IN are), and DuckDB plans
// x = ANY(@p) as a hash semi join (list_contains(@p, x) scans the list for
// every row: seven times slower over 5M rows and 500 values). An empty
// array is refused (errs.Invalid): BigQuery's client sends it as a NULL
// array; a caller with no values leaves the condition out or writes FALSE.
package warehouse

import (
	"context"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
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
	// Replace deletes the rows matching ReplaceWhere and appends the loaded
	// rows, atomically: either both happen or neither does.
	Replace Mode = "REPLACE"
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
	// ReplaceWhere selects the rows that Mode == Replace deletes before it
	// appends the loaded rows: those where, for every condition, the column
	// named Name equals Value (all conditions must match). The delete and
	// the append are one atomic step: after a failed load the old rows are
	// all still there. If the table does not exist it is created from
	// Schema and the delete is a no-op. RowsLoaded counts the rows appended.
	//
	// Replace needs at least one condition, and ReplaceWhere is only for
	// Replace. Each Name is a column of the table (of Schema when the load
	// creates it; matched case-insensitively, as both backends do) and
	// appears once. Each Value is non-nil (NULL equals nothing) and of a type
	// comparable with its column: string for STRING; int64 for INT64,
	// NUMERIC or FLOAT64; float64 for FLOAT64 or NUMERIC; bool for BOOL;
	// time.Time for TIMESTAMP. Anything else is errs.Invalid naming the
	// column. Values are bound as query parameters, never spliced into SQL.
	ReplaceWhere []Param
	// Labels are attached to the load job where the backend supports it
	// (BigQuery job labels); they name the run for idempotency checks.
	Labels map[string]string
	// Layout lays out the table when the load creates it (from Schema);
	// a table that exists keeps its layout. BigQuery applies it; DuckDB
	// has no partitions or clustering and ignores it.
	Layout Layout
}

// MaxClusterBy is how many clustering columns a table may have
// (BigQuery's limit).
const MaxClusterBy = 4

// Layout is how a table is laid out on storage (BigQuery).
type Layout struct {
	// PartitionBy names a DATE, TIMESTAMP or DATETIME column of the
	// schema: the table is partitioned by day on it ("" = none).
	PartitionBy string
	// ClusterBy names up to MaxClusterBy columns of the schema the
	// table's rows are clustered on, in order.
	ClusterBy []string
}

// IsZero reports whether the layout asks for nothing.
func (l Layout) IsZero() bool { return l.PartitionBy == "" && len(l.ClusterBy) == 0 }

// Check checks a layout against the schema a table is created from:
// its columns exist (matched case-insensitively, as both backends do), the
// partition column is a DATE, TIMESTAMP or DATETIME column, and there are
// at most MaxClusterBy clustering columns, each named once. Errors are
// errs.Invalid.
func (l Layout) Check(s Schema) error {
	if l.PartitionBy != "" {
		c, ok := lookupFold(s, l.PartitionBy)
		if !ok {
			return errs.E(errs.Invalid, "warehouse: partition column %q is not a column of the table", l.PartitionBy)
		}
		switch c.Type {
		case Date, Timestamp, DateTime:
		default:
			return errs.E(errs.Invalid, "warehouse: partition column %q is %s: it must be DATE, TIMESTAMP or DATETIME", c.Name, c.Type)
		}
	}
	if len(l.ClusterBy) > MaxClusterBy {
		return errs.E(errs.Invalid, "warehouse: %d clustering columns: at most %d", len(l.ClusterBy), MaxClusterBy)
	}
	seen := map[string]bool{}
	for _, name := range l.ClusterBy {
		if _, ok := lookupFold(s, name); !ok {
			return errs.E(errs.Invalid, "warehouse: clustering column %q is not a column of the table", name)
		}
		if seen[strings.ToLower(name)] {
			return errs.E(errs.Invalid, "warehouse: clustering column %q given twice", name)
		}
		seen[strings.ToLower(name)] = true
	}
	return nil
}

// LoadResult reports a finished load.
type LoadResult struct {
	RowsLoaded int64
	JobID      string
}

// Param is a named query parameter, referenced as @name in SQL.
//
// Value is a scalar: string, int64, float64, bool, time.Time (a TIMESTAMP),
// []byte (BYTES) or nil (int and int32 pass as int64, float32 as float64);
// or an array of one scalar type, for IN lists: []string, []int64,
// []float64, []bool or []time.Time with at least one element (see "Array
// parameters" in the package doc). Another type ([]any, []int, a struct),
// or an empty array, is errs.Invalid from Warehouse.Query. Values are
// always bound by the driver, never written into the SQL text.
type Param struct {
	Name  string
	Value any
}

// CheckReplaceWhere checks what can be checked of Replace conditions without
// the table (see LoadRequest.ReplaceWhere): at least one condition, each
// naming a column once, with a non-nil value of a supported type. Errors are
// errs.Invalid.
func CheckReplaceWhere(conds []Param) error {
	if len(conds) == 0 {
		return errs.E(errs.Invalid, "warehouse: replace load without a ReplaceWhere condition")
	}
	seen := map[string]bool{}
	for _, c := range conds {
		if c.Name == "" {
			return errs.E(errs.Invalid, "warehouse: replace condition without a column name")
		}
		k := strings.ToLower(c.Name)
		if seen[k] {
			return errs.E(errs.Invalid, "warehouse: replace condition on column %q given twice", c.Name)
		}
		seen[k] = true
		if len(replaceTypes(c.Value)) == 0 {
			if c.Value == nil {
				return errs.E(errs.Invalid, "warehouse: replace condition on column %q has a nil value (NULL equals nothing)", c.Name)
			}
			return errs.E(errs.Invalid, "warehouse: replace condition on column %q has a value of type %T (want string, int64, float64, bool or time.Time)", c.Name, c.Value)
		}
	}
	return nil
}

// ResolveReplaceWhere checks Replace conditions against the columns of the
// target table (or the schema it is created from) and returns them with each
// Name spelled as in cols and time values in UTC. An unknown column, or a
// value whose type does not compare with its column's, is errs.Invalid naming
// the column.
func ResolveReplaceWhere(conds []Param, cols Schema) ([]Param, error) {
	if err := CheckReplaceWhere(conds); err != nil {
		return nil, err
	}
	out := make([]Param, len(conds))
	for i, c := range conds {
		col, ok := lookupFold(cols, c.Name)
		if !ok {
			return nil, errs.E(errs.Invalid, "warehouse: replace condition column %q is not a column of the table", c.Name)
		}
		types := replaceTypes(c.Value)
		match := false
		for _, t := range types {
			match = match || t == col.Type
		}
		if !match {
			return nil, errs.E(errs.Invalid, "warehouse: replace condition on column %q: a %T value does not compare with a %s column", col.Name, c.Value, col.Type)
		}
		v := c.Value
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC()
		}
		out[i] = Param{Name: col.Name, Value: v}
	}
	return out, nil
}

// replaceTypes lists the column types a Replace condition value compares
// with (none for an unsupported value).
func replaceTypes(v any) []Type {
	switch v.(type) {
	case string:
		return []Type{String}
	case int64:
		return []Type{Int64, Numeric, Float64}
	case float64:
		return []Type{Float64, Numeric}
	case bool:
		return []Type{Bool}
	case time.Time:
		return []Type{Timestamp}
	}
	return nil
}

func lookupFold(s Schema, name string) (Column, bool) {
	if c, ok := s.Lookup(name); ok {
		return c, true
	}
	for _, c := range s {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// Result is a query result with typed values: string, int64, float64, bool,
// time.Time, []byte or nil per cell (see each driver for which cell type a
// column type gives).
//
// NUMERIC cells (BigQuery NUMERIC and BIGNUMERIC; DuckDB DECIMAL, HUGEINT
// and UBIGINT) are exact: a string holding the value's decimal text, as
// DecimalText writes it ("1234.5", "-0.000000001", "0": no exponent, no
// trailing zeros), never a float64, so revenue sums do not drift. The
// column's Type (NUMERIC) tells it from a STRING cell. Read it with
// big.Rat's SetString for exact arithmetic, or strconv.ParseFloat where an
// approximation will do.
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
	// ErrorKind classifies an error the driver returned that carries no
	// errs kind (a database or API error); errs.Unknown when it cannot tell.
	ErrorKind(err error) errs.Kind
	Close() error
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
	return New(d), nil
}
