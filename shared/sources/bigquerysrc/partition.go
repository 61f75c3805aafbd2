package bigquerysrc

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
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
		col, row, err := d.aggregate(ctx, c, ds, table, name, "MIN(%[1]s) AS lo, MAX(%[1]s) AS hi")
		if err != nil || row == nil {
			return err // no row: no bounds
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

var _ sources.Quantiler = (*Driver)(nil)

// Quantiles implements sources.Quantiler with APPROX_QUANTILES: one query
// job (billed to the billing project; it scans the one column).
func (d *Driver) Quantiles(ctx context.Context, schema, table, name string, n int) ([]any, error) {
	ds, err := d.dataset(schema)
	if err != nil {
		return nil, err
	}
	var cuts []any
	err = d.call(ctx, "quantiles of "+ds+"."+table, func(c *bigquery.Client) error {
		col, row, err := d.aggregate(ctx, c, ds, table, name, "APPROX_QUANTILES(%[1]s, "+strconv.Itoa(n)+") AS q")
		if err != nil || row == nil {
			return err
		}
		vals, _ := row[0].([]bigquery.Value)
		bounds := make([]any, 0, len(vals))
		for _, v := range vals {
			if x := convert(v, col.field); x != nil {
				bounds = append(bounds, x)
			}
		}
		// min, n-1 quantiles, max: the quantiles are the cuts.
		cuts = sourcedriver.EvenCuts(bounds, n)
		return nil
	})
	return cuts, err
}

// aggregate runs one aggregate over an integer or temporal column of a
// table: selects is the SELECT list, %[1]s the quoted column. It returns
// the column and the one row (nil when the table has none).
func (d *Driver) aggregate(ctx context.Context, c *bigquery.Client, ds, table, name, selects string) (*column, []bigquery.Value, error) {
	_, cols, _, err := d.columns(ctx, c, ds, table)
	if err != nil {
		return nil, nil, err
	}
	col := findColumn(cols, name)
	if col == nil {
		return nil, nil, errs.E(errs.Invalid, "bigquerysrc: column %q is not a column of %s.%s", name, ds, table)
	}
	switch col.field.Type {
	case bigquery.IntegerFieldType, bigquery.DateFieldType, bigquery.DateTimeFieldType, bigquery.TimestampFieldType:
	default:
		return nil, nil, errs.E(errs.Invalid, "bigquerysrc: column %q of %s.%s is not an integer or temporal column", name, ds, table)
	}
	if col.field.Repeated {
		return nil, nil, errs.E(errs.Invalid, "bigquerysrc: column %q of %s.%s is repeated", name, ds, table)
	}
	qt, err := quote(d.data + "." + ds + "." + table)
	if err != nil {
		return nil, nil, err
	}
	qc, err := quote(name)
	if err != nil {
		return nil, nil, err
	}
	q := c.Query("SELECT " + fmt.Sprintf(selects, qc) + " FROM " + qt)
	q.Location = d.location
	it, err := q.Read(ctx)
	if err != nil {
		return nil, nil, err
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil {
		if errors.Is(err, iterator.Done) {
			return col, nil, nil
		}
		return nil, nil, err
	}
	return col, row, nil
}
