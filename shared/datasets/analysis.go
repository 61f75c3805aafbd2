package datasets

import (
	"strconv"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// The statistics, the preview and the data-quality report are queries over
// the dataset's own SQL (the CTE "base" below is exactly Compile's result),
// so they cannot disagree with it or with the training query.

// base returns the compiled dataset as CTEs ending in "base", the rows
// Compile returns.
func (c *compiled) base() string {
	return c.with + ",\nbase AS (\n" + c.sel + "\n)\n"
}

// OutputColumn is a column of the dataset's result.
type OutputColumn struct {
	Name string         `json:"name"`
	Type warehouse.Type `json:"type"`
	Role Role           `json:"role,omitempty"`
}

// Output returns the columns Compile's SQL returns, in order.
func Output(d *Dataset, schemas Schemas) ([]OutputColumn, error) {
	p, err := resolve(d, schemas)
	if err != nil {
		return nil, err
	}
	var out []OutputColumn
	for _, c := range p.cols {
		if c.selected {
			out = append(out, OutputColumn{Name: c.name, Type: c.typ, Role: c.role})
		}
	}
	return out, nil
}

// PreviewTotalColumn names the column of CompilePreview's result that
// holds the number of rows of the whole result.
const PreviewTotalColumn = ReservedPrefix + "total"

// MaxPreviewRows bounds CompilePreview's limit.
const MaxPreviewRows = 1000

// CompilePreview returns a seeded sample of the dataset's rows: the rows of
// Compile ordered by a hash of the seed and every output column (ties by the
// columns themselves), at most limit of them, each with the number of rows
// of the whole result in PreviewTotalColumn. The same seed gives the same
// rows. The sample is drawn from the joined, filtered rows, so joins always
// return rows (sampling each table on its own would lose them) and the
// filters that aggregate (top share, metrics) see all the data.
func CompilePreview(d *Dataset, schemas Schemas, dia warehouse.Dialect, seed int64, limit int) (Query, error) {
	if limit < 1 || limit > MaxPreviewRows {
		return Query{}, errs.Fieldf(errs.Invalid, "limit", "a preview has 1 to %d rows", MaxPreviewRows)
	}
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	b, x := c.b, c.b.x
	var cols []string
	for _, col := range c.p.cols {
		if col.selected {
			cols = append(cols, x.ident(col.name))
		}
	}
	sql := c.base() + "SELECT *, (SELECT COUNT(*) FROM base) AS " + x.ident(PreviewTotalColumn) +
		"\nFROM base\nORDER BY " + x.hash(b.param(seed), cols...) + ", " + strings.Join(cols, ", ") +
		"\nLIMIT " + b.param(int64(limit))
	return Query{SQL: sql, Params: b.params}, nil
}

// Statistic names, the columns of CompileStats' result: one column per
// statistic and output column, named <statistic><column index>.
const (
	StatCount    = "n"        // non-NULL values
	StatDistinct = "distinct" // distinct non-NULL values
	StatMin      = "min"      // numbers, dates, times, strings
	StatMax      = "max"
	StatMean     = "mean" // numbers
	StatP25      = "p25"  // numbers: quartiles (BigQuery: approximate)
	StatP50      = "p50"
	StatP75      = "p75"
	StatRows     = "rows" // the result's rows (one column, no index)
)

// StatsColumn names the result column of a statistic of output column i.
func StatsColumn(stat string, i int) string {
	return ReservedPrefix + stat + strconv.Itoa(i)
}

// statsFor lists the statistics CompileStats computes for a column type.
func statsFor(t warehouse.Type) []string {
	switch {
	case isNumeric(t):
		return []string{StatCount, StatDistinct, StatMin, StatMax, StatMean, StatP25, StatP50, StatP75}
	case isDate(t), t == warehouse.Time, t == warehouse.String:
		return []string{StatCount, StatDistinct, StatMin, StatMax}
	case t == warehouse.Bool:
		return []string{StatCount, StatDistinct}
	default: // JSON, BYTES: presence only
		return []string{StatCount}
	}
}

// StatsFor reports which statistics CompileStats computes for a column
// of type t (in the order of its result columns).
func StatsFor(t warehouse.Type) []string { return statsFor(t) }

// CompileStats returns one query with one row: the number of rows
// (StatRows) and, for each output column i (Output's order), the
// statistics StatsFor its type in the columns StatsColumn(stat, i), over
// the whole result (not a sample).
func CompileStats(d *Dataset, schemas Schemas, dia warehouse.Dialect) (Query, error) {
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	x := c.b.x
	exprs := []string{"COUNT(*) AS " + x.ident(ReservedPrefix+StatRows)}
	i := 0
	for _, col := range c.p.cols {
		if !col.selected {
			continue
		}
		id := x.ident(col.name)
		for _, st := range statsFor(col.typ) {
			var e string
			switch st {
			case StatCount:
				e = "COUNT(" + id + ")"
			case StatDistinct:
				e = "COUNT(DISTINCT " + id + ")"
			case StatMin:
				e = "MIN(" + id + ")"
			case StatMax:
				e = "MAX(" + id + ")"
			case StatMean:
				e = "AVG(" + x.toFloat(id) + ")"
			case StatP25:
				e = x.quantile(x.toFloat(id), 1)
			case StatP50:
				e = x.quantile(x.toFloat(id), 2)
			case StatP75:
				e = x.quantile(x.toFloat(id), 3)
			}
			exprs = append(exprs, e+" AS "+x.ident(StatsColumn(st, i)))
		}
		i++
	}
	return Query{SQL: c.base() + "SELECT " + strings.Join(exprs, ",\n  ") + "\nFROM base", Params: c.b.params}, nil
}

// TopValuesColumns names the columns of CompileTopValues' result: the
// output column's index, the value as a string and its number of rows.
const (
	TopColumn = ReservedPrefix + "column"
	TopValue  = ReservedPrefix + "value"
	TopCount  = ReservedPrefix + "count"
)

// HasTopValues reports whether CompileTopValues lists the values of a
// column of type t: categories (strings, booleans, integers).
func HasTopValues(t warehouse.Type) bool {
	return t == warehouse.String || t == warehouse.Bool || t == warehouse.Int64
}

// CompileTopValues returns the n most frequent values (NULL included, ties
// by value) of each output column whose type HasTopValues, over the whole
// result, as rows (TopColumn = the output column's index, TopValue as a
// string, TopCount). It returns an empty Query when no column qualifies.
func CompileTopValues(d *Dataset, schemas Schemas, dia warehouse.Dialect, n int) (Query, error) {
	if n < 1 || n > 100 {
		return Query{}, errs.Fieldf(errs.Invalid, "top", "list 1 to 100 top values")
	}
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	b, x := c.b, c.b.x
	limit := b.param(int64(n))
	var parts []string
	i := -1
	for _, col := range c.p.cols {
		if !col.selected {
			continue
		}
		i++
		if !HasTopValues(col.typ) {
			continue
		}
		id := x.ident(col.name)
		parts = append(parts, "SELECT * FROM (SELECT "+b.param(int64(i))+" AS "+x.ident(TopColumn)+", "+x.toString(id)+" AS "+x.ident(TopValue)+
			", COUNT(*) AS "+x.ident(TopCount)+" FROM base GROUP BY "+id+
			" ORDER BY "+x.ident(TopCount)+" DESC, "+x.ident(TopValue)+" LIMIT "+limit+") AS top"+strconv.Itoa(i))
	}
	if len(parts) == 0 {
		return Query{}, nil
	}
	return Query{SQL: c.base() + strings.Join(parts, "\nUNION ALL\n"), Params: b.params}, nil
}

// Quality measures, the columns of CompileQuality's result (one row).
const (
	QRowsBefore    = ReservedPrefix + "rows_before" // joined rows before the filters
	QRows          = ReservedPrefix + "rows"        // the result's rows
	QDistinctRows  = ReservedPrefix + "distinct_rows"
	QCustomers     = ReservedPrefix + "customers"
	QProducts      = ReservedPrefix + "products"
	QPairs         = ReservedPrefix + "pairs"          // distinct customer-product pairs
	QInteractions  = ReservedPrefix + "interactions"   // rows with a customer and a product
	QColdCustomers = ReservedPrefix + "cold_customers" // customers with fewer than ColdStart rows
	QColdProducts  = ReservedPrefix + "cold_products"
	QFirst         = ReservedPrefix + "first" // timestamp range (NULL without the role)
	QLast          = ReservedPrefix + "last"
)

// CompileQuality returns one query with one row of the measures a
// data-quality report needs (the Q* columns). It needs the customer id and
// product id roles; the timestamp role gives the date span. coldStart is
// the number of interactions below which a customer or product is cold.
func CompileQuality(d *Dataset, schemas Schemas, dia warehouse.Dialect, coldStart int) (Query, error) {
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	p, b, x := c.p, c.b, c.b.x
	for _, r := range []Role{RoleCustomer, RoleProduct} {
		if p.roles[r] == nil {
			return Query{}, errs.Fieldf(errs.Invalid, "columns", "the data-quality report needs a selected column with the %s role", roleWords(r))
		}
	}
	cid, pid := x.ident(p.roles[RoleCustomer].name), x.ident(p.roles[RoleProduct].name)
	both := cid + " IS NOT NULL AND " + pid + " IS NOT NULL"
	cold := b.param(int64(coldStart))
	var all []string
	for _, col := range p.cols {
		if col.selected {
			all = append(all, x.ident(col.name))
		}
	}
	first, last := "CAST(NULL AS "+x.timestampType()+")", "CAST(NULL AS "+x.timestampType()+")"
	if ts := p.roles[RoleTimestamp]; ts != nil {
		id := x.ident(ts.name)
		first, last = x.toTimestamp("MIN("+id+")", ts.typ), x.toTimestamp("MAX("+id+")", ts.typ)
	}
	m := []string{
		"(SELECT COUNT(*) FROM joined) AS " + x.ident(QRowsBefore),
		"(SELECT COUNT(*) FROM base) AS " + x.ident(QRows),
		"(SELECT COUNT(*) FROM (SELECT DISTINCT " + strings.Join(all, ", ") + " FROM base) AS d) AS " + x.ident(QDistinctRows),
		"(SELECT COUNT(DISTINCT " + cid + ") FROM base) AS " + x.ident(QCustomers),
		"(SELECT COUNT(DISTINCT " + pid + ") FROM base) AS " + x.ident(QProducts),
		"(SELECT COUNT(*) FROM (SELECT DISTINCT " + cid + ", " + pid + " FROM base WHERE " + both + ") AS pairs) AS " + x.ident(QPairs),
		"(SELECT COUNT(*) FROM base WHERE " + both + ") AS " + x.ident(QInteractions),
		"(SELECT COUNT(*) FROM (SELECT " + cid + " FROM base WHERE " + both + " GROUP BY " + cid + " HAVING COUNT(*) < " + cold + ") AS cc) AS " + x.ident(QColdCustomers),
		"(SELECT COUNT(*) FROM (SELECT " + pid + " FROM base WHERE " + both + " GROUP BY " + pid + " HAVING COUNT(*) < " + cold + ") AS cp) AS " + x.ident(QColdProducts),
		"(SELECT " + first + " FROM base) AS " + x.ident(QFirst),
		"(SELECT " + last + " FROM base) AS " + x.ident(QLast),
	}
	return Query{SQL: c.base() + "SELECT " + strings.Join(m, ",\n  "), Params: b.params}, nil
}

// Pareto columns: the entity's rank by revenue (1 = largest), its key, its
// revenue and the running share of the total revenue up to and including it.
const (
	ParetoRank  = ReservedPrefix + "rank"
	ParetoKey   = ReservedPrefix + "key"
	ParetoValue = ReservedPrefix + "revenue"
	ParetoShare = ReservedPrefix + "share"
	ParetoCount = ReservedPrefix + "entities"
)

// MaxParetoPoints bounds CompilePareto's points.
const MaxParetoPoints = 1000

// CompilePareto returns the Pareto curve a top-share filter on entity is
// chosen from: the entities with positive revenue ranked as the filter
// ranks them (revenue descending, ties by key), over the dataset's rows
// without its top-share filters on that entity (the other filters apply).
// At most points rows: the first and last entity and evenly spaced ranks
// between, each with ParetoCount, the number of entities.
func CompilePareto(d *Dataset, schemas Schemas, dia warehouse.Dialect, entity Entity, points int) (Query, error) {
	if entity != Product && entity != Customer {
		return Query{}, errs.Fieldf(errs.Invalid, "entity", "choose products or customers")
	}
	if points < 2 || points > MaxParetoPoints {
		return Query{}, errs.Fieldf(errs.Invalid, "points", "a Pareto curve has 2 to %d points", MaxParetoPoints)
	}
	dd := *d
	dd.Filters = nil
	for _, f := range d.Filters {
		if !(f.Kind == FilterTopShare && f.Entity == entity) {
			dd.Filters = append(dd.Filters, f)
		}
	}
	c, err := compile(&dd, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	p, b, x := c.p, c.b, c.b.x
	if p.roles[RoleRevenue] == nil || p.roles[entityRole(entity)] == nil {
		return Query{}, errs.Fieldf(errs.Invalid, "columns", "a Pareto curve needs selected columns with the revenue and %s roles", roleWords(entityRole(entity)))
	}
	key, rev := x.ident(p.roles[entityRole(entity)].name), x.ident(p.roles[RoleRevenue].name)
	n := x.ident(ParetoCount)
	sql := c.base() + "SELECT * FROM (\n  SELECT ROW_NUMBER() OVER (ORDER BY r DESC, k) AS " + x.ident(ParetoRank) + ", " + x.toString("k") + " AS " + x.ident(ParetoKey) +
		", r AS " + x.ident(ParetoValue) + ",\n    SUM(r) OVER (ORDER BY r DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / SUM(r) OVER () AS " + x.ident(ParetoShare) +
		", COUNT(*) OVER () AS " + n + "\n  FROM (SELECT " + key + " AS k, " + x.toFloat("SUM("+rev+")") + " AS r FROM base WHERE " + key + " IS NOT NULL AND " + rev + " IS NOT NULL GROUP BY " + key + " HAVING SUM(" + rev + ") > 0) AS totals\n) AS ranked\n" +
		"WHERE " + x.ident(ParetoRank) + " = 1 OR " + x.ident(ParetoRank) + " = " + n + " OR MOD(" + x.ident(ParetoRank) + ", " + x.ceilDiv(n, b.param(int64(points-1))) + ") = 0\nORDER BY " + x.ident(ParetoRank)
	return Query{SQL: sql, Params: b.params}, nil
}
