package data

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
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
	idx := map[string]int{}
	var names []string
	for i, c := range res.Columns {
		idx[strings.ToLower(c.Name)] = i
		names = append(names, c.Name)
	}
	find := func(role, name string, required bool) (int, error) {
		if name == "" {
			if required {
				return -1, errs.Userf(errs.Invalid, "the %s column is required", role)
			}
			return -1, nil
		}
		i, ok := idx[strings.ToLower(name)]
		if !ok {
			return -1, errs.Userf(errs.Invalid, "the %s column %q is not in the query result (columns: %s)", role, name, strings.Join(names, ", "))
		}
		return i, nil
	}
	var ci [7]int
	for k, c := range []struct {
		role, name string
		req        bool
	}{{"customer", cols.Customer, true}, {"product", cols.Product, true}, {"time", cols.Time, true},
		{"invoice", cols.Invoice, false}, {"quantity", cols.Quantity, false}, {"price", cols.Price, false}, {"country", cols.Country, false}} {
		if ci[k], err = find(c.role, c.name, c.req); err != nil {
			return nil, Stats{}, err
		}
	}
	layouts := cols.TimeLayouts
	if len(layouts) == 0 {
		layouts = DefaultTimeLayouts()
	}
	log := NewLog()
	var st Stats
	layout := ""
	for n, r := range res.Rows {
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, st, ctx.Err()
		}
		cell := func(i int) string {
			if i < 0 || i >= len(r) {
				return ""
			}
			return text(r[i])
		}
		st.Read++
		row := Row{Line: n + 1, Customer: cell(ci[0]), Product: cell(ci[1]), Time: cell(ci[2]), Invoice: cell(ci[3]),
			Qty: cell(ci[4]), Pr: cell(ci[5]), Country: cell(ci[6])}
		ev, reason := rules.apply(row, layouts, &layout)
		if reason != "" {
			st.drop(reason)
			continue
		}
		log.Append(ev)
		st.Kept++
	}
	return log, st, nil
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
