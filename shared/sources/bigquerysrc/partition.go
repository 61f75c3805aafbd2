package bigquerysrc

import (
	"context"
	"errors"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

var _ sources.Partitioner = (*Driver)(nil)

// Estimate implements sources.Partitioner from the table's metadata
// (numRows, numBytes; -1 for a view, which has neither).
func (d *Driver) Estimate(ctx context.Context, schema, table string) (sources.Size, error) {
	ds, err := d.dataset(schema)
	if err != nil {
		return sources.Size{}, err
	}
	size := sources.Size{Rows: -1, Bytes: -1}
	err = d.call(ctx, "estimate "+ds+"."+table, func(c *bigquery.Client) error {
		md, err := c.DatasetInProject(d.data, ds).Table(table).Metadata(ctx)
		if err != nil {
			return err
		}
		if md.Type == bigquery.RegularTable {
			size = sources.Size{Rows: int64(md.NumRows), Bytes: md.NumBytes}
		}
		return nil
	})
	return size, err
}

// Bounds implements sources.Partitioner for INTEGER, DATE, DATETIME and
// TIMESTAMP columns: one query job (billed to the billing project; it
// scans the one column).
func (d *Driver) Bounds(ctx context.Context, schema, table, name string) (lo, hi any, err error) {
	ds, err := d.dataset(schema)
	if err != nil {
		return nil, nil, err
	}
	err = d.call(ctx, "bounds of "+ds+"."+table, func(c *bigquery.Client) error {
		_, cols, _, err := d.columns(ctx, c, ds, table)
		if err != nil {
			return err
		}
		col := findColumn(cols, name)
		if col == nil {
			return errs.E(errs.Invalid, "bigquerysrc: column %q is not a column of %s.%s", name, ds, table)
		}
		switch col.field.Type {
		case bigquery.IntegerFieldType, bigquery.DateFieldType, bigquery.DateTimeFieldType, bigquery.TimestampFieldType:
		default:
			return errs.E(errs.Invalid, "bigquerysrc: column %q of %s.%s is not an integer or temporal column", name, ds, table)
		}
		if col.field.Repeated {
			return errs.E(errs.Invalid, "bigquerysrc: column %q of %s.%s is repeated", name, ds, table)
		}
		qt, err := quote(d.data + "." + ds + "." + table)
		if err != nil {
			return err
		}
		qc, err := quote(name)
		if err != nil {
			return err
		}
		q := c.Query("SELECT MIN(" + qc + ") AS lo, MAX(" + qc + ") AS hi FROM " + qt)
		q.Location = d.location
		it, err := q.Read(ctx)
		if err != nil {
			return err
		}
		var row []bigquery.Value
		if err := it.Next(&row); err != nil {
			if errors.Is(err, iterator.Done) {
				return nil // no rows: no bounds
			}
			return err
		}
		if len(row) != 2 {
			return errs.E(errs.Transient, "bigquerysrc: bounds query answered %d columns", len(row))
		}
		lo, hi = convert(row[0], col.field), convert(row[1], col.field)
		return nil
	})
	return lo, hi, err
}

// findColumn is the column named name (its source name), or nil.
func findColumn(cols []column, name string) *column {
	for i := range cols {
		if cols[i].meta.OriginalName == name {
			return &cols[i]
		}
	}
	return nil
}
