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
	target := string(t)
	if x.d == warehouse.DuckDB {
		switch t {
		case warehouse.Timestamp:
			target = "TIMESTAMPTZ"
		case warehouse.DateTime:
			target = "TIMESTAMP"
		}
	}
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
		fields := []string{seed + " AS hash_seed"}
		for i, k := range keys {
			fields = append(fields, k+" AS hash_key"+strconv.Itoa(i+1))
		}
		return "MOD(MOD(FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(" + strings.Join(fields, ", ") + "))), 100) + 100, 100)"
	}
	return "CAST(hash(" + seed + ", " + strings.Join(keys, ", ") + ") % 100 AS INTEGER)"
}
