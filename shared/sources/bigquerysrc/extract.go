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
		q, err := d.query(c, req, read)
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

// SinceParam is the name of the query parameter that holds Since.
const SinceParam = "since"

// query builds the extract's query job: the columns read, in order, from
// the data project's table, with Since as a parameter typed after the
// timestamp column.
func (d *Driver) query(c *bigquery.Client, req sources.ExtractRequest, read []column) (*bigquery.Query, error) {
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
	if ts != nil {
		qts, _ := quote(ts.meta.OriginalName)
		if req.Since != nil {
			v, err := sinceValue(req.Since, ts.field.Type)
			if err != nil {
				return nil, err
			}
			sb.WriteString(" WHERE " + qts + " >= @" + SinceParam)
			params = append(params, bigquery.QueryParameter{Name: SinceParam, Value: v})
		}
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
