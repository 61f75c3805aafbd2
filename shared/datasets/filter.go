package datasets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// FilterKind names a kind of filter.
type FilterKind string

// Filter kinds.
const (
	// FilterDate keeps rows whose date column is in a rolling window (the
	// last LastDays days, counted back from the latest value of the column
	// in the joined data) or between Start and End (dates YYYY-MM-DD, both
	// inclusive, each optional).
	FilterDate FilterKind = "date"
	// FilterCategory keeps (Mode include) or drops (Mode exclude) rows whose
	// column is one of Values.
	FilterCategory FilterKind = "category"
	// FilterNumeric compares a numeric column with Op: between (Min..Max,
	// inclusive, each optional), gt / lt / eq (Value).
	FilterNumeric FilterKind = "numeric"
	// FilterTopShare keeps the rows of the Entity's top Percent by revenue
	// (Pareto: ranked by revenue, the entities whose running total stays
	// below Percent of the total, plus the one that crosses it).
	FilterTopShare FilterKind = "top_share"
	// FilterEntityMetric keeps the rows of the Entity's members whose Metric
	// (transactions: number of rows; revenue: sum of revenue) is within
	// Min..Max (inclusive, each optional).
	FilterEntityMetric FilterKind = "entity_metric"
)

// Entity is what top-share and metric filters group by: the column with the
// product id or the customer id role.
type Entity string

// Entities.
const (
	Product  Entity = "product"
	Customer Entity = "customer"
)

// Metric is what an entity metric filter measures.
type Metric string

// Metrics.
const (
	Transactions Metric = "transactions"
	Revenue      Metric = "revenue"
)

// Filter is one filter of a dataset; Kind says which fields apply. All
// filters are AND-ed. Row filters (date, category, numeric) apply to the
// joined rows first; top-share and metric filters are computed over the
// rows that pass the row filters, each independently of the others.
type Filter struct {
	Kind FilterKind `json:"kind"`
	// Column is the column of a date, category or numeric filter.
	Column ColumnRef `json:"column,omitzero"`
	// IncludeNulls keeps rows whose column is NULL (row filters).
	IncludeNulls bool `json:"include_nulls,omitempty"`

	LastDays int    `json:"last_days,omitempty"` // date: rolling window
	Start    string `json:"start,omitempty"`     // date: fixed, YYYY-MM-DD
	End      string `json:"end,omitempty"`       // date: fixed, YYYY-MM-DD, inclusive

	Mode   string   `json:"mode,omitempty"`   // category: include | exclude
	Values []string `json:"values,omitempty"` // category

	Op    string   `json:"op,omitempty"` // numeric: between | gt | lt | eq
	Value *float64 `json:"value,omitempty"`
	Min   *float64 `json:"min,omitempty"` // numeric between, entity metric
	Max   *float64 `json:"max,omitempty"` // numeric between, entity metric

	Entity  Entity  `json:"entity,omitempty"`  // top_share, entity_metric
	Percent float64 `json:"percent,omitempty"` // top_share: (0, 100]
	Metric  Metric  `json:"metric,omitempty"`  // entity_metric
}

// MaxLastDays bounds a rolling window.
const MaxLastDays = 36500

const dateLayout = "2006-01-02"

// isRowFilter reports whether the filter tests a column of each row.
func (f *Filter) isRowFilter() bool {
	return f.Kind == FilterDate || f.Kind == FilterCategory || f.Kind == FilterNumeric
}

// validate checks the filter's shape (no schema); field is its JSON path.
func (f *Filter) validate(field string) error {
	if f.isRowFilter() && (f.Column.Table == "" || f.Column.Column == "") {
		return errs.Fieldf(errs.Invalid, field+".column", "choose the column to filter on")
	}
	finite := func(p *float64, name string) error {
		if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
			return errs.Fieldf(errs.Invalid, field+"."+name, "enter a number")
		}
		return nil
	}
	for _, c := range []struct {
		p    *float64
		name string
	}{{f.Value, "value"}, {f.Min, "min"}, {f.Max, "max"}} {
		if err := finite(c.p, c.name); err != nil {
			return err
		}
	}
	rangeOK := func() error {
		if f.Min == nil && f.Max == nil {
			return errs.Fieldf(errs.Invalid, field+".min", "enter a minimum, a maximum or both")
		}
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			return errs.Fieldf(errs.Invalid, field+".max", "the maximum is below the minimum")
		}
		return nil
	}
	switch f.Kind {
	case FilterDate:
		if f.LastDays != 0 {
			if f.Start != "" || f.End != "" {
				return errs.Fieldf(errs.Invalid, field+".last_days", "choose either a rolling window or fixed dates, not both")
			}
			if f.LastDays < 1 || f.LastDays > MaxLastDays {
				return errs.Fieldf(errs.Invalid, field+".last_days", "the number of days must be between 1 and %d", MaxLastDays)
			}
			return nil
		}
		if f.Start == "" && f.End == "" {
			return errs.Fieldf(errs.Invalid, field+".last_days", "enter a number of days, or a start date, an end date or both")
		}
		var s, e time.Time
		var err error
		if f.Start != "" {
			if s, err = time.Parse(dateLayout, f.Start); err != nil {
				return errs.Fieldf(errs.Invalid, field+".start", "enter the start date as YYYY-MM-DD")
			}
		}
		if f.End != "" {
			if e, err = time.Parse(dateLayout, f.End); err != nil {
				return errs.Fieldf(errs.Invalid, field+".end", "enter the end date as YYYY-MM-DD")
			}
		}
		if f.Start != "" && f.End != "" && e.Before(s) {
			return errs.Fieldf(errs.Invalid, field+".end", "the end date is before the start date")
		}
		return nil
	case FilterCategory:
		if f.Mode != "include" && f.Mode != "exclude" {
			return errs.Fieldf(errs.Invalid, field+".mode", "choose whether to include or exclude the values")
		}
		if len(f.Values) == 0 {
			return errs.Fieldf(errs.Invalid, field+".values", "choose at least one value")
		}
		if len(f.Values) > MaxFilterValue {
			return errs.Fieldf(errs.Invalid, field+".values", "choose at most %d values", MaxFilterValue)
		}
		return nil
	case FilterNumeric:
		switch f.Op {
		case "between":
			return rangeOK()
		case "gt", "lt", "eq":
			if f.Value == nil {
				return errs.Fieldf(errs.Invalid, field+".value", "enter the value to compare with")
			}
			return nil
		}
		return errs.Fieldf(errs.Invalid, field+".op", "choose a comparison: between, gt, lt or eq")
	case FilterTopShare:
		if err := checkEntity(f.Entity, field); err != nil {
			return err
		}
		if math.IsNaN(f.Percent) || f.Percent <= 0 || f.Percent > 100 {
			return errs.Fieldf(errs.Invalid, field+".percent", "the share must be above 0 and at most 100 percent")
		}
		return nil
	case FilterEntityMetric:
		if err := checkEntity(f.Entity, field); err != nil {
			return err
		}
		if f.Metric != Transactions && f.Metric != Revenue {
			return errs.Fieldf(errs.Invalid, field+".metric", "choose a metric: transactions or revenue")
		}
		return rangeOK()
	}
	return errs.Fieldf(errs.Invalid, field+".kind", "unknown filter kind %q", f.Kind)
}

func checkEntity(e Entity, field string) error {
	if e != Product && e != Customer {
		return errs.Fieldf(errs.Invalid, field+".entity", "choose products or customers")
	}
	return nil
}

// Summary describes every filter in words, numbered in order (1., 2., ...).
// It expects a valid model.
func Summary(filters []Filter) []string {
	out := make([]string, len(filters))
	for i := range filters {
		out[i] = fmt.Sprintf("%d. %s", i+1, describe(&filters[i]))
	}
	return out
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func describe(f *Filter) string {
	nulls := ""
	if f.isRowFilter() {
		if f.IncludeNulls {
			nulls = "; rows where it is empty are kept"
		} else {
			nulls = "; rows where it is empty are dropped"
		}
	}
	col := f.Column.String()
	switch f.Kind {
	case FilterDate:
		switch {
		case f.LastDays > 0:
			return fmt.Sprintf("%s is within the last %d days, counted back from the latest %s in the data%s", col, f.LastDays, col, nulls)
		case f.Start != "" && f.End != "":
			return fmt.Sprintf("%s is from %s to %s (inclusive)%s", col, f.Start, f.End, nulls)
		case f.Start != "":
			return fmt.Sprintf("%s is on or after %s%s", col, f.Start, nulls)
		default:
			return fmt.Sprintf("%s is on or before %s%s", col, f.End, nulls)
		}
	case FilterCategory:
		verb := "is one of"
		if f.Mode == "exclude" {
			verb = "is none of"
		}
		return fmt.Sprintf("%s %s: %s%s", col, verb, quoteList(f.Values), nulls)
	case FilterNumeric:
		switch f.Op {
		case "gt":
			return fmt.Sprintf("%s is greater than %s%s", col, num(f.Value), nulls)
		case "lt":
			return fmt.Sprintf("%s is less than %s%s", col, num(f.Value), nulls)
		case "eq":
			return fmt.Sprintf("%s equals %s%s", col, num(f.Value), nulls)
		}
		return fmt.Sprintf("%s is %s%s", col, rangeWords(f.Min, f.Max), nulls)
	case FilterTopShare:
		return fmt.Sprintf("only the top %s%% of %ss by revenue (ranked by revenue, up to and including the %s that crosses %s%% of the total)",
			strconv.FormatFloat(f.Percent, 'f', -1, 64), f.Entity, f.Entity, strconv.FormatFloat(f.Percent, 'f', -1, 64))
	case FilterEntityMetric:
		what := "number of transactions"
		if f.Metric == Revenue {
			what = "total revenue"
		}
		return fmt.Sprintf("only %ss whose %s is %s", f.Entity, what, rangeWords(f.Min, f.Max))
	}
	return string(f.Kind)
}

func rangeWords(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("between %s and %s (inclusive)", num(lo), num(hi))
	case lo != nil:
		return "at least " + num(lo)
	default:
		return "at most " + num(hi)
	}
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
