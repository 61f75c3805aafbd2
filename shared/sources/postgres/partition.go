package postgres

import (
	"context"
	"errors"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/jackc/pgx/v5"
)

var _ sources.Partitioner = (*Driver)(nil)

// Estimate implements sources.Partitioner: pg_class.reltuples (a table
// never analysed is counted, giving up after 5 s: -1 then) and
// pg_total_relation_size (table, indexes and TOAST).
func (d *Driver) Estimate(ctx context.Context, schema, table string) (sources.Size, error) {
	schema = d.schema(schema)
	conn, err := d.connect(ctx)
	if err != nil {
		return sources.Size{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var rows, bytes int64
	err = conn.QueryRow(ctx, `SELECT c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm')`, schema, table).Scan(&rows, &bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return sources.Size{}, errs.E(errs.NotFound, "postgres: table %s.%s not found", schema, table)
	}
	if err != nil {
		return sources.Size{}, d.mapErr(err, "estimate "+schema+"."+table)
	}
	if rows < 0 {
		rows = -1
		if n, ok := d.count(ctx, conn, schema, table); ok {
			rows = n
		}
	}
	return sources.Size{Rows: rows, Bytes: bytes}, nil
}

// Bounds implements sources.Partitioner for integer, date and timestamp
// columns (an index on the column makes it two index lookups).
func (d *Driver) Bounds(ctx context.Context, schema, table, name string) (lo, hi any, err error) {
	schema = d.schema(schema)
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cols, _, err := d.columns(ctx, conn, schema, table)
	if err != nil {
		return nil, nil, err
	}
	var col *column
	for i := range cols {
		if cols[i].meta.OriginalName == name {
			col = &cols[i]
		}
	}
	if col == nil {
		return nil, nil, errs.E(errs.Invalid, "postgres: column %q is not a column of %s.%s", name, schema, table)
	}
	switch col.kind {
	case kInt, kDate, kTimestamp, kTimestamptz:
	default:
		return nil, nil, errs.E(errs.Invalid, "postgres: column %q of %s.%s is not an integer or temporal column", name, schema, table)
	}
	q, _ := sourcedriver.QuoteIdent(sources.Postgres, name)
	qt, err := sourcedriver.QuoteTable(sources.Postgres, schema, table)
	if err != nil {
		return nil, nil, err
	}
	expr := selectExpr(q, *col)
	var min, max holder
	err = conn.QueryRow(ctx, "SELECT MIN("+expr+"), MAX("+expr+") FROM "+qt).Scan(min.target(col.kind), max.target(col.kind))
	if err != nil {
		return nil, nil, d.mapErr(err, "bounds of "+schema+"."+table)
	}
	return min.value(), max.value(), nil
}
