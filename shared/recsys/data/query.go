package data

import (
	"context"
	"strconv"
	"time"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Querier runs warehouse SQL (the warehouse port's Query).
type Querier interface {
	Query(ctx context.Context, sql string, params []warehouse.Param, maxRows int) (warehouse.Result, error)
}

// ReadQuery reads order lines from a warehouse query whose result has the
// columns cols names (matched case-insensitively), keeping the lines the
// rules accept, exactly as ReadCSV does with a file.
func ReadQuery(ctx context.Context, q Querier, sql string, params []warehouse.Param, cols Columns, rules Rules) (*Log, Stats, error) {
	res, err := q.Query(ctx, sql, params, 0)
	if err != nil {
		return nil, Stats{}, err
	}
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	ci, err := cols.resolve(names, "query result")
	if err != nil {
		return nil, Stats{}, err
	}
	b := newBuilder(cols, rules)
	for n, r := range res.Rows {
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, b.st, ctx.Err()
		}
		cell := func(i int) string {
			if i < 0 || i >= len(r) {
				return ""
			}
			return text(r[i])
		}
		b.add(Row{Line: n + 1, Customer: cell(ci[0]), Product: cell(ci[1]), Time: cell(ci[2]), Invoice: cell(ci[3]),
			Qty: cell(ci[4]), Pr: cell(ci[5]), Country: cell(ci[6])})
	}
	return b.log, b.st, nil
}

// text renders a typed warehouse value as the text the rules read.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	default:
		return ""
	}
}
