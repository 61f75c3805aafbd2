package driver

import (
	"strings"

	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// baseType lower-cases a source type and cuts it at the first "(" (and the
// PostgreSQL array marker), trimming spaces: "Character Varying(20)" →
// "character varying", "numeric(10,2)[]" → "numeric".
func baseType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if i := strings.IndexByte(t, '('); i >= 0 {
		rest := t[i:]
		t = t[:i]
		// "timestamp(3) with time zone": keep what follows the modifier.
		if j := strings.IndexByte(rest, ')'); j >= 0 {
			t += rest[j+1:]
		}
	}
	return strings.Join(strings.Fields(t), " ")
}

var pgTypes = map[string]warehouse.Type{
	"smallint": warehouse.Int64, "integer": warehouse.Int64, "int": warehouse.Int64, "bigint": warehouse.Int64,
	"int2": warehouse.Int64, "int4": warehouse.Int64, "int8": warehouse.Int64,
	"smallserial": warehouse.Int64, "serial": warehouse.Int64, "bigserial": warehouse.Int64,
	"serial2": warehouse.Int64, "serial4": warehouse.Int64, "serial8": warehouse.Int64,
	"decimal": warehouse.Numeric, "numeric": warehouse.Numeric, "money": warehouse.Numeric,
	"real": warehouse.Float64, "double precision": warehouse.Float64, "float4": warehouse.Float64, "float8": warehouse.Float64, "float": warehouse.Float64,
	"char": warehouse.String, "character": warehouse.String, "varchar": warehouse.String, "character varying": warehouse.String,
	"bpchar": warehouse.String, "text": warehouse.String, "name": warehouse.String, "citext": warehouse.String,
	"bool": warehouse.Bool, "boolean": warehouse.Bool,
	"date":      warehouse.Date,
	"timestamp": warehouse.Timestamp, "timestamptz": warehouse.Timestamp,
	"timestamp without time zone": warehouse.Timestamp, "timestamp with time zone": warehouse.Timestamp,
	"time": warehouse.Time, "timetz": warehouse.Time, "time without time zone": warehouse.Time, "time with time zone": warehouse.Time,
	"interval": warehouse.String, "uuid": warehouse.String, "inet": warehouse.String, "cidr": warehouse.String,
	"macaddr": warehouse.String, "macaddr8": warehouse.String, "xml": warehouse.String,
	"json": warehouse.JSON, "jsonb": warehouse.JSON,
	"bytea": warehouse.Bytes,
}

var mysqlTypes = map[string]warehouse.Type{
	"tinyint": warehouse.Int64, "smallint": warehouse.Int64, "mediumint": warehouse.Int64, "int": warehouse.Int64,
	"integer": warehouse.Int64, "bigint": warehouse.Int64, "year": warehouse.Int64, "int64": warehouse.Int64,
	"float": warehouse.Float64, "double": warehouse.Float64, "double precision": warehouse.Float64, "real": warehouse.Float64, "float64": warehouse.Float64,
	"decimal": warehouse.Numeric, "numeric": warehouse.Numeric, "dec": warehouse.Numeric, "fixed": warehouse.Numeric,
	"char": warehouse.String, "varchar": warehouse.String, "tinytext": warehouse.String, "text": warehouse.String,
	"mediumtext": warehouse.String, "longtext": warehouse.String, "enum": warehouse.String, "set": warehouse.String, "string": warehouse.String,
	"bool": warehouse.Bool, "boolean": warehouse.Bool,
	"date": warehouse.Date, "datetime": warehouse.DateTime, "timestamp": warehouse.Timestamp, "time": warehouse.Time,
	"json":   warehouse.JSON,
	"binary": warehouse.Bytes, "varbinary": warehouse.Bytes, "tinyblob": warehouse.Bytes, "blob": warehouse.Bytes,
	"mediumblob": warehouse.Bytes, "longblob": warehouse.Bytes, "bytes": warehouse.Bytes,
}

// large names the TEXT/BLOB families that get a "large field" warning.
var large = map[string]bool{
	"text": true, "tinytext": true, "mediumtext": true, "longtext": true,
	"blob": true, "tinyblob": true, "mediumblob": true, "longblob": true, "bytea": true,
}

// LargeFieldWarning is the warning on TEXT/BLOB-family columns.
const LargeFieldWarning = "large field: values may be big; consider leaving it out"

// UnknownTypeWarning is the warning on unknown types mapped to STRING.
const UnknownTypeWarning = "unknown source type: read as text"

// MapPostgres maps a PostgreSQL type (as format_type or information_schema
// spells it, or its internal name) to a warehouse type: spec A4, looked up
// on the lower-cased base type (before "("). Arrays are JSON (read as JSON
// arrays); unknown types are STRING with Medium confidence, among them
// point/geography (BigQuery GEOGRAPHY, which the warehouse port has no type
// for). The warning is set for large fields and unknown types.
func MapPostgres(sourceType string) (warehouse.Type, sources.Confidence, string) {
	if strings.HasSuffix(strings.TrimSpace(sourceType), "]") {
		return warehouse.JSON, sources.High, ""
	}
	return lookup(pgTypes, baseType(sourceType))
}

// MapMySQL maps a MySQL / MariaDB column type (information_schema
// COLUMN_TYPE, e.g. "tinyint(1)", "bigint(20) unsigned") to a warehouse
// type: spec A4. tinyint(1) and bit(1) are BOOL; bigint unsigned is NUMERIC
// (its values may exceed INT64); other bit(n) are INT64. It is also the
// table for other non-PostgreSQL sources (INTEGER, FLOAT, BOOLEAN, ...).
func MapMySQL(columnType string) (warehouse.Type, sources.Confidence, string) {
	full := strings.ToLower(strings.Join(strings.Fields(columnType), " "))
	b := baseType(columnType)
	unsigned := strings.HasSuffix(b, " unsigned") || strings.HasSuffix(b, " unsigned zerofill")
	b = strings.TrimSuffix(strings.TrimSuffix(b, " zerofill"), " unsigned")
	b = strings.TrimSuffix(b, " zerofill")
	switch {
	case strings.HasPrefix(full, "tinyint(1)"), strings.HasPrefix(full, "bit(1)"):
		return warehouse.Bool, sources.High, ""
	case b == "bit":
		return warehouse.Int64, sources.High, ""
	case b == "bigint" && unsigned:
		return warehouse.Numeric, sources.High, ""
	}
	return lookup(mysqlTypes, b)
}

func lookup(m map[string]warehouse.Type, b string) (warehouse.Type, sources.Confidence, string) {
	t, ok := m[b]
	if !ok {
		return warehouse.String, sources.Medium, UnknownTypeWarning
	}
	if large[b] {
		return t, sources.High, LargeFieldWarning
	}
	return t, sources.High, ""
}

// IsTemporal reports whether columns of type t can be incremental
// timestamp columns.
func IsTemporal(t warehouse.Type) bool {
	return t == warehouse.Date || t == warehouse.DateTime || t == warehouse.Timestamp
}

var (
	updatedNames = []string{"updated_at", "updatedat", "updated", "modified_at", "modifiedat", "modified", "last_modified", "lastmodified", "last_updated", "lastupdated", "updated_on", "modified_on"}
	createdNames = []string{"created_at", "createdat", "created", "timestamp", "date"}
)

// RecommendTimestamp picks the incremental column among cols: a temporal
// column named like updated_at (it also catches updated rows), else the
// spec's preference created_at, createdat, created, timestamp, date
// (case-insensitive), else the first temporal column. It returns the source
// name and the reason ("" if there is no temporal column).
func RecommendTimestamp(cols []sources.ColumnMeta) (name, reason string) {
	if name, reason := RecommendNamedTimestamp(cols); name != "" {
		return name, reason
	}
	for _, c := range cols {
		if c.Temporal {
			return c.OriginalName, "first date/time column: check that it grows with new rows"
		}
	}
	return "", "no date/time column: use a full (catalog) load"
}

// RecommendNamedTimestamp is the first two steps of RecommendTimestamp: a
// temporal column named like updated_at, else like created_at, by its
// source name or its warehouse name ("Updated At" is updated_at); "" (and
// no reason) when no column has such a name.
func RecommendNamedTimestamp(cols []sources.ColumnMeta) (name, reason string) {
	find := func(want string) string {
		for _, c := range cols {
			if c.Temporal && (strings.EqualFold(c.OriginalName, want) || strings.EqualFold(c.Name, want)) {
				return c.OriginalName
			}
		}
		return ""
	}
	for _, w := range updatedNames {
		if n := find(w); n != "" {
			return n, "last-modified column: incremental loads pick up updated rows as well as new ones"
		}
	}
	for _, w := range createdNames {
		if n := find(w); n != "" {
			return n, "creation time: incremental loads pick up new rows only, not updates"
		}
	}
	return "", ""
}
