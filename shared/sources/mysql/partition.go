package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

var _ sources.Partitioner = (*Driver)(nil)

// Estimate implements sources.Partitioner: information_schema.TABLES
// (TABLE_ROWS, InnoDB's estimate, and DATA_LENGTH + INDEX_LENGTH).
func (d *Driver) Estimate(ctx context.Context, schema, table string) (sources.Size, error) {
	schema, err := d.schema(schema)
	if err != nil {
		return sources.Size{}, err
	}
	var rows, bytes sql.NullInt64
	err = d.db.QueryRowContext(ctx, `SELECT TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, schema, table).Scan(&rows, &bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return sources.Size{}, errs.E(errs.NotFound, "mysql: table %s.%s not found", schema, table)
	}
	if err != nil {
		return sources.Size{}, d.mapErr(err, "estimate "+schema+"."+table)
	}
	out := sources.Size{Rows: -1, Bytes: -1}
	if rows.Valid {
		out.Rows = rows.Int64
	}
	if bytes.Valid {
		out.Bytes = bytes.Int64
	}
	return out, nil
}

// Bounds implements sources.Partitioner for integer, date and datetime
// or timestamp columns.
func (d *Driver) Bounds(ctx context.Context, schema, table, name string) (lo, hi any, err error) {
	schema, err = d.schema(schema)
	if err != nil {
		return nil, nil, err
	}
	cols, _, err := d.columns(ctx, schema, table)
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
		return nil, nil, errs.E(errs.Invalid, "mysql: column %q is not a column of %s.%s", name, schema, table)
	}
	switch col.meta.Type {
	case warehouse.Int64, warehouse.Date, warehouse.DateTime, warehouse.Timestamp:
	default:
		return nil, nil, errs.E(errs.Invalid, "mysql: column %q of %s.%s is not an integer or temporal column", name, schema, table)
	}
	q, _ := sourcedriver.QuoteIdent(sources.MySQL, name)
	qt, err := sourcedriver.QuoteTable(sources.MySQL, schema, table)
	if err != nil {
		return nil, nil, err
	}
	var min, max []byte
	if err := d.db.QueryRowContext(ctx, "SELECT MIN("+q+"), MAX("+q+") FROM "+qt).Scan(&min, &max); err != nil {
		return nil, nil, d.mapErr(err, "bounds of "+schema+"."+table)
	}
	if lo, err = decode(min, *col); err != nil {
		return nil, nil, errs.Wrap(errs.Invalid, err, "mysql: column %q", name)
	}
	if hi, err = decode(max, *col); err != nil {
		return nil, nil, errs.Wrap(errs.Invalid, err, "mysql: column %q", name)
	}
	return lo, hi, nil
}
