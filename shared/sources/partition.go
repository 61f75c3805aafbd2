package sources

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// KeyRange selects the rows of an extract whose Column (a source column
// name) lies in [From, To): From inclusive, To exclusive, a nil bound
// open. Bounds are int64 (an integer key) or time.Time (a timestamp,
// compared as Since is); both bounds of a range have the same type.
// Ranges that meet (one's To the next one's From) read every row once.
type KeyRange struct {
	Column string
	From   any
	To     any
}

// Size is a table's size as the server's statistics put it: an estimate,
// cheap to get (no scan). -1 is unknown.
type Size struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
}

// Partitioner is the capability of a driver whose tables a run can read
// in partitions (key or time ranges, ExtractRequest.Range): PostgreSQL,
// MySQL/MariaDB and BigQuery. Drivers without it (Firestore) are read in
// one piece.
type Partitioner interface {
	// Estimate returns the table's size from the server's statistics
	// (PostgreSQL pg_class.reltuples and pg_total_relation_size, MySQL
	// information_schema.TABLES, BigQuery's table metadata), without
	// scanning it.
	Estimate(ctx context.Context, schema, table string) (Size, error)
	// Bounds returns the least and greatest non-NULL value of column (an
	// integer or temporal column) as Extract types them (int64,
	// time.Time); nil, nil for a table without such values.
	Bounds(ctx context.Context, schema, table, column string) (lo, hi any, err error)
}

// Quantiler is a capability beside Partitioner: the values of a column
// that cut a table's rows into groups of about the same size, so that a
// skewed column (most rows in recent times, a key with gaps) still gives
// partitions of even size: PostgreSQL from its statistics (no scan),
// BigQuery with APPROX_QUANTILES (one query job over the column).
type Quantiler interface {
	// Quantiles returns up to n-1 ascending, distinct values of column
	// (int64 or time.Time, as Bounds) that cut the rows into n groups of
	// about the same size; nil when the statistics have none (a table
	// never analysed).
	Quantiles(ctx context.Context, schema, table, column string, n int) ([]any, error)
}

// Quantiles returns the cuts of a column from the server's statistics
// (see Quantiler); nil, without an error, for a driver without the
// capability.
func (s *Source) Quantiles(ctx context.Context, schema, table, column string, n int) ([]any, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	q, ok := s.Driver.(Quantiler)
	if !ok || n < 2 {
		return nil, nil
	}
	if table == "" || column == "" {
		return nil, errs.E(errs.Invalid, "sources: quantiles without a table or a column")
	}
	cuts, err := q.Quantiles(ctx, schema, table, column, n)
	return cuts, s.classify(err, "quantiles")
}

// CanPartition reports whether the source's driver can be read in
// partitions (implements Partitioner).
func (s *Source) CanPartition() bool {
	_, ok := s.Driver.(Partitioner)
	return ok
}

func (s *Source) partitioner() (Partitioner, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p, ok := s.Driver.(Partitioner)
	if !ok {
		return nil, errs.E(errs.Unsupported, "sources: %s sources cannot be read in partitions", s.Dialect())
	}
	return p, nil
}

// Estimate returns a table's estimated size (see Partitioner);
// errs.Unsupported for a driver without the capability.
func (s *Source) Estimate(ctx context.Context, schema, table string) (Size, error) {
	p, err := s.partitioner()
	if err != nil {
		return Size{}, err
	}
	if table == "" {
		return Size{}, errs.E(errs.Invalid, "sources: estimate without a table")
	}
	r, err := p.Estimate(ctx, schema, table)
	return r, s.classify(err, "estimate")
}

// Bounds returns the least and greatest value of a column (see
// Partitioner); errs.Unsupported for a driver without the capability.
func (s *Source) Bounds(ctx context.Context, schema, table, column string) (lo, hi any, err error) {
	p, err := s.partitioner()
	if err != nil {
		return nil, nil, err
	}
	if table == "" || column == "" {
		return nil, nil, errs.E(errs.Invalid, "sources: bounds without a table or a column")
	}
	lo, hi, err = p.Bounds(ctx, schema, table, column)
	return lo, hi, s.classify(err, "bounds")
}

// validateRange checks a range: a column, and bounds of one type that
// Range can hold.
func validateRange(r *KeyRange) error {
	if r == nil {
		return nil
	}
	if r.Column == "" {
		return errs.E(errs.Invalid, "sources: a range without a column")
	}
	kind := ""
	for _, b := range []any{r.From, r.To} {
		k := ""
		switch b.(type) {
		case nil:
			continue
		case int64:
			k = "int64"
		case time.Time:
			k = "time"
		default:
			return errs.E(errs.Invalid, "sources: a range bound is a %T (want int64 or time.Time)", b)
		}
		if kind != "" && k != kind {
			return errs.E(errs.Invalid, "sources: a range's bounds differ in type")
		}
		kind = k
	}
	return nil
}
