package bigquerywh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Query implements warehouse.Driver (see the package doc for value types).
// Every @name in the SQL must have a Param; Params the SQL does not reference
// are not sent.
func (d *Driver) Query(ctx context.Context, sql string, params []warehouse.Param, maxRows int) (warehouse.Result, error) {
	names, err := warehouse.ParamNames(warehouse.BigQuery, sql)
	if err != nil {
		return warehouse.Result{}, err
	}
	// The Warehouse checked the parameters against the references.
	byName := warehouse.ParamValues(params)
	q := d.c.Query(sql)
	q.Location = d.location
	for _, n := range names {
		q.Parameters = append(q.Parameters, bigquery.QueryParameter{Name: n, Value: paramValue(byName[n])})
	}
	it, err := q.Read(ctx)
	if err != nil {
		return warehouse.Result{}, mapErr(err, "bigquerywh: query")
	}
	var res warehouse.Result
	for maxRows <= 0 || len(res.Rows) < maxRows {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return warehouse.Result{}, mapErr(err, "bigquerywh: query")
		}
		if res.Columns == nil {
			res.Columns = resultColumns(it.Schema)
		}
		out := make([]any, len(row))
		for i, v := range row {
			var f *bigquery.FieldSchema
			if i < len(it.Schema) {
				f = it.Schema[i]
			}
			if out[i], err = cell(v, f); err != nil {
				return warehouse.Result{}, errs.Wrap(errs.Unsupported, err, "bigquerywh: column %d", i)
			}
		}
		res.Rows = append(res.Rows, out)
	}
	if res.Columns == nil {
		res.Columns = resultColumns(it.Schema)
	}
	return res, nil
}

func resultColumns(s bigquery.Schema) []warehouse.Column {
	cols := FromBigQuery(s)
	for i := range cols {
		cols[i].Nullable = true
	}
	return cols
}

// paramValue is what the client binds for a parameter value the Warehouse
// checked and normalised: the value itself (the client derives the type,
// ARRAY<T> for a slice), or a NULL STRING for nil.
func paramValue(v any) any {
	if v == nil {
		return bigquery.NullString{}
	}
	return v
}

// cell converts one BigQuery value of field f (nil if unknown) to the port's
// Result value.
func cell(v bigquery.Value, f *bigquery.FieldSchema) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64, float64, bool, string:
		return x, nil
	case []byte:
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case civil.Date:
		return x.In(time.UTC), nil
	case civil.DateTime:
		return x.In(time.UTC), nil
	case civil.Time:
		return time.Date(1, 1, 1, x.Hour, x.Minute, x.Second, x.Nanosecond, time.UTC).Format("15:04:05.999999"), nil
	case *big.Rat: // NUMERIC, BIGNUMERIC
		return numericText(x)
	case *bigquery.IntervalValue:
		return x.String(), nil
	case []bigquery.Value, map[string]bigquery.Value:
		b, err := json.Marshal(jsonable(x, f))
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// numericText is a NUMERIC or BIGNUMERIC value as exact decimal text.
func numericText(r *big.Rat) (string, error) {
	s, ok := warehouse.RatText(r)
	if !ok {
		return "", fmt.Errorf("NUMERIC value %s has no exact decimal text", r)
	}
	return s, nil
}

// jsonable turns nested values into what encoding/json renders naturally:
// records become objects keyed by field name when the schema is known.
func jsonable(v any, f *bigquery.FieldSchema) any {
	switch x := v.(type) {
	case []bigquery.Value:
		if f != nil && f.Repeated {
			elem := *f
			elem.Repeated = false
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = jsonable(e, &elem)
			}
			return out
		}
		if f != nil && f.Type == bigquery.RecordFieldType && len(f.Schema) == len(x) {
			out := make(map[string]any, len(x))
			for i, e := range x {
				out[f.Schema[i].Name] = jsonable(e, f.Schema[i])
			}
			return out
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e, nil)
		}
		return out
	case map[string]bigquery.Value:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e, nil)
		}
		return out
	case *big.Rat:
		if s, err := numericText(x); err == nil {
			return json.Number(s) // an exact number in the JSON text
		}
		return x.FloatString(38)
	case civil.Date, civil.DateTime, civil.Time:
		return fmt.Sprint(x)
	}
	return v
}
