package datasets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A plain-Go evaluation of the dataset semantics over the same rows, to
// compare with what the compiled SQL returns on DuckDB.

type refRow struct {
	inv          string
	cust, prod   *string
	ts, day      time.Time
	qty          *int64
	amt          *float64
	cat, country *string
}

func sp(s string) *string { return &s }

type refData struct {
	lines     []refRow
	category  map[string]*string // products: code -> category
	countries map[string]*string // customers: id -> country
}

func randomRefData(r *rand.Rand) (refData, []string) {
	d := refData{category: map[string]*string{}, countries: map[string]*string{}}
	cats := []*string{sp("toys"), sp("garden"), sp("books"), nil}
	ctry := []*string{sp("UK"), sp("FR"), sp("DE"), nil}
	lit := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return "'" + *p + "'"
	}
	var prodVals, custVals, lineVals []string
	for i := range 14 { // P14 is not in products
		code := fmt.Sprintf("P%02d", i)
		d.category[code] = cats[r.IntN(len(cats))]
		prodVals = append(prodVals, fmt.Sprintf("('%s', %s)", code, lit(d.category[code])))
	}
	for i := range 9 { // c9 is not in customers
		id := fmt.Sprintf("c%d", i)
		d.countries[id] = ctry[r.IntN(len(ctry))]
		custVals = append(custVals, fmt.Sprintf("('%s', %s)", id, lit(d.countries[id])))
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		row := refRow{inv: fmt.Sprintf("L%03d", i)}
		if r.IntN(15) > 0 {
			row.cust = sp(fmt.Sprintf("c%d", r.IntN(10)))
		}
		if r.IntN(15) > 0 {
			row.prod = sp(fmt.Sprintf("P%02d", r.IntN(15)))
		}
		row.ts = base.Add(time.Duration(r.Int64N(int64(182*24*time.Hour/time.Second))) * time.Second)
		row.day = row.ts.Truncate(24 * time.Hour)
		if r.IntN(10) > 0 {
			q := int64(1 + r.IntN(10))
			row.qty = &q
		}
		if r.IntN(10) > 0 {
			a := float64(r.IntN(120) - 10)
			row.amt = &a
		}
		qty, amt := "NULL", "NULL"
		if row.qty != nil {
			qty = strconv.FormatInt(*row.qty, 10)
		}
		if row.amt != nil {
			amt = strconv.FormatFloat(*row.amt, 'f', -1, 64)
		}
		lineVals = append(lineVals, fmt.Sprintf("('%s', %s, %s, '%s', '%s', %s, %s)", row.inv, lit(row.cust), lit(row.prod),
			row.ts.Format("2006-01-02 15:04:05+00"), row.day.Format(dateLayout), qty, amt))
		d.lines = append(d.lines, row)
	}
	setup := []string{
		`CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data.lines (invoice_no VARCHAR, customer_id VARCHAR, stock_code VARCHAR, invoice_ts TIMESTAMPTZ, invoice_day DATE, quantity BIGINT, amount DOUBLE)`,
		`INSERT INTO raw_data.lines VALUES ` + strings.Join(lineVals, ", "),
		`CREATE TABLE raw_data.products (code VARCHAR, description VARCHAR, category VARCHAR)`,
		`INSERT INTO raw_data.products (code, category) VALUES ` + strings.Join(prodVals, ", "),
		`CREATE TABLE raw_data.customers (id VARCHAR, country VARCHAR)`,
		`INSERT INTO raw_data.customers VALUES ` + strings.Join(custVals, ", "),
	}
	return d, setup
}

// joinedRows: lines LEFT JOIN products, INNER JOIN customers (baseDataset).
func (d refData) joinedRows() []refRow {
	var out []refRow
	for _, l := range d.lines {
		if l.cust == nil {
			continue
		}
		c, ok := d.countries[*l.cust]
		if !ok {
			continue
		}
		l.country = c
		if l.prod != nil {
			l.cat = d.category[*l.prod]
		}
		out = append(out, l)
	}
	return out
}

func randomRefFilters(r *rand.Rand) []Filter {
	var fs []Filter
	nulls := func() bool { return r.IntN(2) == 0 }
	if r.IntN(2) == 0 {
		c := col("lines", []string{"invoice_ts", "invoice_day"}[r.IntN(2)])
		f := Filter{Kind: FilterDate, Column: c, IncludeNulls: nulls()}
		switch r.IntN(3) {
		case 0:
			f.LastDays = 1 + r.IntN(120)
		case 1:
			f.Start = time.Date(2024, time.Month(1+r.IntN(6)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(dateLayout)
		default:
			s := time.Date(2024, time.Month(1+r.IntN(5)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
			f.Start, f.End = s.Format(dateLayout), s.AddDate(0, 0, r.IntN(60)).Format(dateLayout)
		}
		fs = append(fs, f)
	}
	if r.IntN(2) == 0 {
		c := col("products", "category")
		vals := []string{"toys", "garden", "books"}
		if r.IntN(2) == 0 {
			c, vals = col("customers", "country"), []string{"UK", "FR", "DE"}
		}
		r.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		fs = append(fs, Filter{Kind: FilterCategory, Column: c, Mode: []string{"include", "exclude"}[r.IntN(2)], Values: vals[:1+r.IntN(2)], IncludeNulls: nulls()})
	}
	if r.IntN(2) == 0 {
		f := Filter{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: []string{"between", "gt", "lt", "eq"}[r.IntN(4)], IncludeNulls: nulls()}
		if f.Op == "between" {
			f.Min, f.Max = fp(float64(1+r.IntN(5))), fp(float64(5+r.IntN(7)))
			if r.IntN(3) == 0 {
				f.Max = nil
			}
		} else {
			f.Value = fp(float64(r.IntN(11)) + []float64{0, 0.5}[r.IntN(2)])
		}
		fs = append(fs, f)
	}
	for _, e := range []Entity{Product, Customer} {
		if r.IntN(2) == 0 {
			fs = append(fs, Filter{Kind: FilterTopShare, Entity: e, Percent: []float64{10, 33.3, 50, 80, 95, 100}[r.IntN(6)]})
		}
		if r.IntN(3) == 0 {
			f := Filter{Kind: FilterEntityMetric, Entity: e, Metric: []Metric{Transactions, Revenue}[r.IntN(2)]}
			if f.Metric == Transactions {
				f.Min = fp(float64(1 + r.IntN(20)))
			} else {
				f.Min, f.Max = fp(float64(r.IntN(300))), fp(float64(300+r.IntN(1000)))
			}
			fs = append(fs, f)
		}
	}
	r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	return fs
}

func refDateValue(row refRow, column string) time.Time {
	if column == "invoice_day" {
		return row.day
	}
	return row.ts
}

// refEvaluate returns the invoice numbers the filters keep, sorted.
func refEvaluate(d refData, fs []Filter) []string {
	joined := d.joinedRows()
	keep := func(row refRow, f *Filter) bool {
		switch f.Kind {
		case FilterDate:
			v := refDateValue(row, f.Column.Column)
			if f.LastDays > 0 {
				var max time.Time
				for _, j := range joined {
					if t := refDateValue(j, f.Column.Column); t.After(max) {
						max = t
					}
				}
				return v.After(max.AddDate(0, 0, -f.LastDays))
			}
			if f.Start != "" {
				s, _ := time.Parse(dateLayout, f.Start)
				if v.Before(s) {
					return false
				}
			}
			if f.End != "" {
				e, _ := time.Parse(dateLayout, f.End)
				if !v.Before(e.AddDate(0, 0, 1)) {
					return false
				}
			}
			return true
		case FilterCategory:
			v := row.cat
			if f.Column.Column == "country" {
				v = row.country
			}
			if v == nil {
				return f.IncludeNulls
			}
			return slices.Contains(f.Values, *v) == (f.Mode == "include")
		case FilterNumeric:
			if row.qty == nil {
				return f.IncludeNulls
			}
			q := float64(*row.qty)
			switch f.Op {
			case "gt":
				return q > *f.Value
			case "lt":
				return q < *f.Value
			case "eq":
				return q == *f.Value
			}
			return (f.Min == nil || q >= *f.Min) && (f.Max == nil || q <= *f.Max)
		}
		return true
	}
	var filtered []refRow
	for _, row := range joined {
		ok := true
		for i := range fs {
			ok = ok && keep(row, &fs[i])
		}
		if ok {
			filtered = append(filtered, row)
		}
	}
	key := func(row refRow, e Entity) *string {
		if e == Customer {
			return row.cust
		}
		return row.prod
	}
	var sets []map[string]bool
	var setEntity []Entity
	for i := range fs {
		f := &fs[i]
		if f.isRowFilter() {
			continue
		}
		set := map[string]bool{}
		switch f.Kind {
		case FilterTopShare:
			sum := map[string]float64{}
			for _, row := range filtered {
				if k := key(row, f.Entity); k != nil && row.amt != nil {
					sum[*k] += *row.amt
				}
			}
			var ks []string
			total := 0.0
			for k, v := range sum {
				if v > 0 {
					ks = append(ks, k)
					total += v
				}
			}
			sort.Slice(ks, func(i, j int) bool {
				if sum[ks[i]] != sum[ks[j]] {
					return sum[ks[i]] > sum[ks[j]]
				}
				return ks[i] < ks[j]
			})
			running := 0.0
			for _, k := range ks {
				if running*100 < total*f.Percent {
					set[k] = true
				}
				running += sum[k]
			}
		case FilterEntityMetric:
			count := map[string]float64{}
			sum := map[string]*float64{}
			for _, row := range filtered {
				k := key(row, f.Entity)
				if k == nil {
					continue
				}
				count[*k]++
				if row.amt != nil {
					if sum[*k] == nil {
						sum[*k] = new(float64)
					}
					*sum[*k] += *row.amt
				}
			}
			for k, c := range count {
				v := c
				if f.Metric == Revenue {
					if sum[k] == nil {
						continue
					}
					v = *sum[k]
				}
				if (f.Min == nil || v >= *f.Min) && (f.Max == nil || v <= *f.Max) {
					set[k] = true
				}
			}
		}
		sets = append(sets, set)
		setEntity = append(setEntity, f.Entity)
	}
	out := []string{}
	for _, row := range filtered {
		ok := true
		for i, set := range sets {
			k := key(row, setEntity[i])
			ok = ok && k != nil && set[*k]
		}
		if ok {
			out = append(out, row.inv)
		}
	}
	slices.Sort(out)
	return out
}

// TestDuckDBMatchesReference: on random data, the rows the compiled SQL
// returns on DuckDB are the rows a plain-Go evaluation of the same filters
// keeps.
func TestDuckDBMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	data, setup := randomRefData(r)
	wh := openDuckDB(t, setup...)
	schemas := tableSchemas(t, wh, "lines", "products", "customers")
	sizes := map[int]int{}
	empty := 0
	for i := range 150 {
		fs := randomRefFilters(r)
		want := refEvaluate(data, fs)
		got := runInvoices(t, wh, baseDataset(fs...), schemas)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: filters\n%s\nDuckDB returned %d rows %v\nreference keeps %d rows %v", i, strings.Join(Summary(fs), "\n"), len(got), got, len(want), want)
		}
		sizes[min(len(want)/50, 4)]++
		if len(want) == 0 {
			empty++
		}
	}
	if empty > 50 {
		t.Errorf("%d of 150 cases keep no row: the cases are too strict to test much", empty)
	}
	// The cases are not all trivial: results of every size occur.
	if sizes[0] == 0 || sizes[1]+sizes[2]+sizes[3]+sizes[4] == 0 {
		t.Errorf("result sizes (by 50 rows) %v", sizes)
	}
	t.Logf("result sizes (by 50 rows): %v, %d empty", sizes, empty)
}
