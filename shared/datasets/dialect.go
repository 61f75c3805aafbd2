package datasets

import (
	"strconv"
	"strings"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// dialect holds every difference between the BigQuery and the DuckDB SQL the
// compiler writes; nothing else in the compiler looks at the dialect.
type dialect struct{ d warehouse.Dialect }

func (x dialect) ident(name string) string { return warehouse.QuoteIdent(x.d, name) }

func (x dialect) table(t TableRef) string { return warehouse.QuoteTable(x.d, t.Dataset, t.Table) }

// castDate turns a parameter holding a date "YYYY-MM-DD" into a value of the
// column type t (DATE, TIMESTAMP or DATETIME): midnight UTC for timestamps.
func (x dialect) castDate(param string, t warehouse.Type) string {
	target, _ := warehouse.ColumnType(x.d, t) // a date type: resolve checked it
	return "CAST(" + param + " AS " + target + ")"
}

// minusDays is expr (of column type t) minus days (an INT64 parameter), in
// the same type.
func (x dialect) minusDays(expr, days string, t warehouse.Type) string {
	if x.d == warehouse.BigQuery {
		fn := "TIMESTAMP_SUB"
		switch t {
		case warehouse.Date:
			fn = "DATE_SUB"
		case warehouse.DateTime:
			fn = "DATETIME_SUB"
		}
		return fn + "(" + expr + ", INTERVAL " + days + " DAY)"
	}
	if t == warehouse.Date {
		return "(" + expr + " - CAST(" + days + " AS INTEGER))"
	}
	return "(" + expr + " - to_days(CAST(" + days + " AS INTEGER)))"
}

// unixSeconds is a DATE, TIMESTAMP or DATETIME expression as whole seconds
// since 1970-01-01 00:00 UTC, rounded down.
func (x dialect) unixSeconds(expr string) string {
	if x.d == warehouse.BigQuery {
		return "UNIX_SECONDS(CAST(" + expr + " AS TIMESTAMP))"
	}
	return "CAST(floor(epoch(" + expr + ")) AS BIGINT)"
}

// bucket is a number 0..99 from a hash of the seed parameter and the key
// expressions, NULL-safe and the same in every run (each dialect has its
// own hash function, so the buckets differ between the dialects).
func (x dialect) bucket(seed string, keys ...string) string {
	if x.d == warehouse.BigQuery {
		return "MOD(MOD(" + x.hash(seed, keys...) + ", 100) + 100, 100)"
	}
	return "CAST(" + x.hash(seed, keys...) + " % 100 AS INTEGER)"
}

// hash is an integer hash of the seed parameter and the key expressions,
// NULL-safe and the same in every run.
func (x dialect) hash(seed string, keys ...string) string {
	if x.d == warehouse.BigQuery {
		fields := []string{seed + " AS hash_seed"}
		for i, k := range keys {
			fields = append(fields, k+" AS hash_key"+strconv.Itoa(i+1))
		}
		return "FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(" + strings.Join(fields, ", ") + ")))"
	}
	return "hash(" + seed + ", " + strings.Join(keys, ", ") + ")"
}

// toFloat casts a numeric expression to a double.
func (x dialect) toFloat(expr string) string {
	if x.d == warehouse.BigQuery {
		return "CAST(" + expr + " AS FLOAT64)"
	}
	return "CAST(" + expr + " AS DOUBLE)"
}

// toString casts an expression to a string.
func (x dialect) toString(expr string) string {
	if x.d == warehouse.BigQuery {
		return "CAST(" + expr + " AS STRING)"
	}
	return "CAST(" + expr + " AS VARCHAR)"
}

// quantile is the q-th quartile (1..3) of a double expression: exact on
// DuckDB (interpolated), approximate on BigQuery (APPROX_QUANTILES).
func (x dialect) quantile(expr string, q int) string {
	if x.d == warehouse.BigQuery {
		return "APPROX_QUANTILES(" + expr + ", 4)[OFFSET(" + strconv.Itoa(q) + ")]"
	}
	return "quantile_cont(" + expr + ", " + strconv.FormatFloat(float64(q)/4, 'f', 2, 64) + ")"
}

// timestampType is the name of the UTC timestamp type.
func (x dialect) timestampType() string {
	t, _ := warehouse.ColumnType(x.d, warehouse.Timestamp)
	return t
}

// toTimestamp casts a DATE, DATETIME or TIMESTAMP expression (of type t) to
// a UTC timestamp.
func (x dialect) toTimestamp(expr string, t warehouse.Type) string {
	if t == warehouse.Timestamp {
		return expr
	}
	return "CAST(" + expr + " AS " + x.timestampType() + ")"
}

// ceilDiv is the integer a / b rounded up, at least 1 (a, b INT64
// expressions, b > 0).
func (x dialect) ceilDiv(a, b string) string {
	if x.d == warehouse.BigQuery {
		return "GREATEST(DIV(" + a + " + " + b + " - 1, " + b + "), 1)"
	}
	return "GREATEST((" + a + " + " + b + " - 1) // " + b + ", 1)"
}
