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
	col, err := d.rangeColumn(ctx, conn, schema, table, name)
	if err != nil {
		return nil, nil, err
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

var _ sources.Quantiler = (*Driver)(nil)

// Quantiles implements sources.Quantiler from pg_stats.histogram_bounds
// (equal-frequency bounds of the column's values that are not among the
// most common ones, kept by ANALYZE and autovacuum): n-1 of them, evenly
// spaced; nil when the column has no histogram.
func (d *Driver) Quantiles(ctx context.Context, schema, table, name string, n int) ([]any, error) {
	schema = d.schema(schema)
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	col, err := d.rangeColumn(ctx, conn, schema, table, name)
	if err != nil {
		return nil, err
	}
	typ := rangeTypes[col.kind]
	rows, err := conn.Query(ctx, `SELECT b FROM pg_stats, unnest(histogram_bounds::text::`+typ+`[]) AS b
		WHERE schemaname = $1 AND tablename = $2 AND attname = $3 AND NOT inherited`, schema, table, name)
	if err != nil {
		return nil, d.mapErr(err, "statistics of "+schema+"."+table)
	}
	defer rows.Close()
	var bounds []any
	for rows.Next() {
		var h holder
		if err := rows.Scan(h.target(col.kind)); err != nil {
			return nil, d.mapErr(err, "statistics of "+schema+"."+table)
		}
		if v := h.value(); v != nil {
			bounds = append(bounds, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.mapErr(err, "statistics of "+schema+"."+table)
	}
	return sourcedriver.EvenCuts(bounds, n), nil
}

// rangeTypes are the kinds of columns a table can be split on, with the
// type their values are read as.
var rangeTypes = map[kind]string{kInt: "int8", kDate: "date", kTimestamp: "timestamp", kTimestamptz: "timestamptz"}

// rangeColumn is the column of a table named name, which must be an
// integer or temporal column (errs.Invalid otherwise).
func (d *Driver) rangeColumn(ctx context.Context, conn *pgx.Conn, schema, table, name string) (*column, error) {
	cols, _, err := d.columns(ctx, conn, schema, table)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		if cols[i].meta.OriginalName != name {
			continue
		}
		if rangeTypes[cols[i].kind] == "" {
			return nil, errs.E(errs.Invalid, "postgres: column %q of %s.%s is not an integer or temporal column", name, schema, table)
		}
		return &cols[i], nil
	}
	return nil, errs.E(errs.Invalid, "postgres: column %q is not a column of %s.%s", name, schema, table)
}
