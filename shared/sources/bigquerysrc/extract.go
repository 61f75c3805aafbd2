package bigquerysrc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
)

// Extract runs the table's query job in the billing project and streams
// its results page by page (see the package doc).
func (d *Driver) Extract(ctx context.Context, req sources.ExtractRequest) (sources.RowIterator, error) {
	ds, err := d.dataset(req.Schema)
	if err != nil {
		return nil, err
	}
	req.Schema = ds
	var it sources.RowIterator
	err = d.call(ctx, "read "+ds+"."+req.Table, func(c *bigquery.Client) error {
		_, cols, pk, err := d.columns(ctx, c, ds, req.Table)
		if err != nil {
			return err
		}
		sourcedriver.DescribeColumns(ds, req.Table, cols, metaOf, pk)
		read, plan, err := sourcedriver.PlanRead("bigquery", cols, metaOf, pk, req)
		if err != nil {
			return err
		}
		q, err := d.query(c, req, read, cols)
		if err != nil {
			return err
		}
		res, err := q.Read(ctx)
		if err != nil {
			return err
		}
		res.PageInfo().MaxSize = PageSize
		rows := &resultRows{it: res, cols: read}
		it = sourcedriver.NewIterator(ctx, plan, len(read), rows, func(err error) error { return d.mapErr(ctx, err, "read "+ds+"."+req.Table) })
		return nil
	})
	return it, err
}

// Names of the query parameters that hold Since and the bounds of Range.
const (
	SinceParam     = "since"
	RangeFromParam = "range_from"
	RangeToParam   = "range_to"
)

// query builds the extract's query job: the columns read, in order, from
// the data project's table, with Since and the bounds of Range as
// parameters typed after their column (one of all, the table's columns).
func (d *Driver) query(c *bigquery.Client, req sources.ExtractRequest, read, all []column) (*bigquery.Query, error) {
	table, err := quote(d.data + "." + req.Schema + "." + req.Table)
	if err != nil {
		return nil, err
	}
	selects := make([]string, len(read))
	var ts *column
	for i := range read {
		if selects[i], err = quote(read[i].meta.OriginalName); err != nil {
			return nil, err
		}
		if read[i].meta.OriginalName == req.TimestampColumn {
			ts = &read[i]
		}
	}
	var sb strings.Builder
	sb.WriteString("SELECT " + strings.Join(selects, ", ") + " FROM " + table)
	var params []bigquery.QueryParameter
	var where []string
	cond := func(col *column, op, param string, v any) error {
		q, err := quote(col.meta.OriginalName)
		if err != nil {
			return err
		}
		if v, err = sinceValue(v, col.field.Type); err != nil {
			return err
		}
		where = append(where, q+" "+op+" @"+param)
		params = append(params, bigquery.QueryParameter{Name: param, Value: v})
		return nil
	}
	if ts != nil && req.Since != nil {
		if err := cond(ts, ">=", SinceParam, req.Since); err != nil {
			return nil, err
		}
	}
	if r := req.Range; r != nil {
		col := findColumn(all, r.Column) // PlanRead checked it is one
		for _, b := range []struct {
			op, param string
			v         any
		}{{">=", RangeFromParam, r.From}, {"<", RangeToParam, r.To}} {
			if b.v == nil {
				continue
			}
			if err := cond(col, b.op, b.param, b.v); err != nil {
				return nil, err
			}
		}
	}
	if len(where) > 0 {
		sb.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if ts != nil {
		qts, _ := quote(ts.meta.OriginalName)
		sb.WriteString(" ORDER BY " + qts)
	}
	if req.Limit > 0 && len(req.SeenAtSince) == 0 {
		sb.WriteString(" LIMIT " + strconv.FormatInt(req.Limit, 10))
	}
	q := c.Query(sb.String())
	q.Parameters = params
	q.Location = d.location
	return q, nil
}

// sinceValue is Since as a parameter of the timestamp column's type: a
// time.Time is an instant for TIMESTAMP and its UTC wall clock for DATE
// and DATETIME columns.
func sinceValue(since any, t bigquery.FieldType) (any, error) {
	switch v := since.(type) {
	case time.Time:
		u := v.UTC()
		switch t {
		case bigquery.DateFieldType:
			return civil.DateOf(u), nil
		case bigquery.DateTimeFieldType:
			return civil.DateTimeOf(u), nil
		}
		return u, nil
	case int64, float64, string:
		return v, nil
	}
	return nil, errs.E(errs.Invalid, "bigquerysrc: Since is a %T (want time.Time, int64, float64 or string)", since)
}

// resultRows reads a query's results (the client fetches the pages).
type resultRows struct {
	it   *bigquery.RowIterator
	cols []column
	vals []bigquery.Value
	err  error
}

func (r *resultRows) Next() bool {
	err := r.it.Next(&r.vals)
	if errors.Is(err, iterator.Done) {
		return false
	}
	r.err = err
	return err == nil
}

func (r *resultRows) Scan(dst []any) error {
	for i := range r.cols {
		dst[i] = convert(r.vals[i], r.cols[i].field)
	}
	return nil
}

func (r *resultRows) Err() error   { return r.err }
func (r *resultRows) Close() error { return nil }
