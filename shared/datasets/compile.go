package datasets

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Query is SQL in one dialect with its @name parameters.
type Query struct {
	SQL    string            `json:"sql"`
	Params []warehouse.Param `json:"params"`
}

// column is a resolved column: where it comes from, its type and its name
// inside the generated CTEs (the output name for selected columns, a
// reserved helper name otherwise).
type column struct {
	ref      ColumnRef // spelled as in the schema
	alias    string    // table alias t0, t1, ...
	typ      warehouse.Type
	name     string // name inside the CTEs
	selected bool
	role     Role
}

// plan is a dataset resolved against the schemas.
type plan struct {
	tables  []TableRef        // tables[0] is the primary; alias "t<i>"
	aliases map[string]string // lower(table) -> alias
	schemas map[string]warehouse.Schema
	joins   []Join             // in SQL order, spelled as in the schemas
	cols    []*column          // selected first (in order), then helpers
	byRef   map[string]*column // lower(table)+"\x00"+lower(col)
	roles   map[Role]*column
}

func refKey(table, col string) string { return strings.ToLower(table) + "\x00" + strings.ToLower(col) }

// Resolve checks a dataset against the schemas of its tables (every table
// and column must exist; join keys and filter columns of fitting types;
// roles of fitting types; output names distinct; a column filtered by at
// most one filter) and returns the first problem as errs.Invalid naming the
// field. It runs Validate first.
func Resolve(d *Dataset, schemas Schemas) error {
	_, err := resolve(d, schemas)
	return err
}

func resolve(d *Dataset, schemas Schemas) (*plan, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	p := &plan{aliases: map[string]string{}, schemas: map[string]warehouse.Schema{}, byRef: map[string]*column{}, roles: map[Role]*column{}}
	// lookupSchema finds a table's schema and its name as the schemas
	// spell it (BigQuery table names are case-sensitive).
	lookupSchema := func(name string) (warehouse.Schema, string, bool) {
		if s, ok := schemas[name]; ok {
			return s, name, true
		}
		for k, s := range schemas {
			if strings.EqualFold(k, name) {
				return s, k, true
			}
		}
		return nil, "", false
	}
	for i, t := range append([]TableRef{d.Primary}, d.Secondary...) {
		s, spelled, ok := lookupSchema(t.Table)
		t.Table = spelled
		field := "primary_table"
		if i > 0 {
			field = fmt.Sprintf("secondary_tables[%d]", i-1)
		}
		if !ok || len(s) == 0 {
			return nil, errs.Fieldf(errs.Invalid, field, "the table %q does not exist in the warehouse", t.Table)
		}
		p.tables = append(p.tables, t)
		p.aliases[strings.ToLower(t.Table)] = "t" + strconv.Itoa(i)
		p.schemas[strings.ToLower(t.Table)] = s
	}
	// find resolves a column reference to its schema column.
	find := func(r ColumnRef, field string) (ColumnRef, warehouse.Type, error) {
		s, ok := p.schemas[strings.ToLower(r.Table)]
		if !ok {
			return r, "", errs.Fieldf(errs.Invalid, field, "the table %q is not one of the dataset's tables", r.Table)
		}
		c, ok := lookupFold(s, r.Column)
		if !ok {
			return r, "", errs.Fieldf(errs.Invalid, field, "the table %q has no column %q", r.Table, r.Column)
		}
		return ColumnRef{Table: p.tableName(r.Table), Column: c.Name}, c.Type, nil
	}

	// Joins: order them so each joins a new table to the tree.
	connected := map[string]bool{strings.ToLower(d.Primary.Table): true}
	used := make([]bool, len(d.Joins))
	for range d.Joins {
		progress := false
		for i, j := range d.Joins {
			if used[i] {
				continue
			}
			f := fmt.Sprintf("joins[%d]", i)
			l, lt, err := find(j.Left, f+".left")
			if err != nil {
				return nil, err
			}
			r, rt, err := find(j.Right, f+".right")
			if err != nil {
				return nil, err
			}
			lc, rc := connected[strings.ToLower(l.Table)], connected[strings.ToLower(r.Table)]
			if lc && rc {
				return nil, errs.Fieldf(errs.Invalid, f, "the tables %q and %q are already joined another way; remove one of the joins", l.Table, r.Table)
			}
			if !lc {
				continue
			}
			if !joinable(lt, rt) {
				return nil, errs.Fieldf(errs.Invalid, f, "%s (%s) and %s (%s) have types that cannot be compared", l, lt, r, rt)
			}
			connected[strings.ToLower(r.Table)] = true
			p.joins = append(p.joins, Join{Left: l, Right: r, Type: j.Type})
			used[i] = true
			progress = true
		}
		if !progress {
			break
		}
	}
	for i := range d.Joins {
		if !used[i] {
			return nil, errs.Fieldf(errs.Invalid, fmt.Sprintf("joins[%d].left", i), "the table %q is not joined to the primary table (directly or through other tables); join it first", d.Joins[i].Left.Table)
		}
	}
	for i, t := range d.Secondary {
		if !connected[strings.ToLower(t.Table)] {
			return nil, errs.Fieldf(errs.Invalid, fmt.Sprintf("secondary_tables[%d]", i), "the table %q is not joined to the others: add a join", t.Table)
		}
	}

	// Selected columns and their output names.
	taken := map[string]bool{}
	add := func(c *column) {
		p.cols = append(p.cols, c)
		p.byRef[refKey(c.ref.Table, c.ref.Column)] = c
	}
	sel := d.Columns
	if len(sel) == 0 {
		for _, c := range p.schemas[strings.ToLower(d.Primary.Table)] {
			sel = append(sel, SelectedColumn{ColumnRef: ColumnRef{Table: d.Primary.Table, Column: c.Name}})
		}
	}
	for i, sc := range sel {
		f := fmt.Sprintf("columns[%d]", i)
		r, t, err := find(sc.ColumnRef, f)
		if err != nil {
			return nil, err
		}
		if _, dup := p.byRef[refKey(r.Table, r.Column)]; dup {
			return nil, errs.Fieldf(errs.Invalid, f, "the column %s is selected twice", r)
		}
		name := sc.Alias
		if name == "" {
			name = r.Column
			if taken[strings.ToLower(name)] {
				name = r.Table + "_" + r.Column
			}
		}
		if taken[strings.ToLower(name)] {
			return nil, errs.Fieldf(errs.Invalid, f+".alias", "the name %q is used by another column: give this column another name", name)
		}
		if strings.HasPrefix(strings.ToLower(name), ReservedPrefix) {
			return nil, errs.Fieldf(errs.Invalid, f+".alias", "names starting with %q are reserved: give this column another name", ReservedPrefix)
		}
		taken[strings.ToLower(name)] = true
		if err := checkRoleType(sc.Role, t, f+".role", r); err != nil {
			return nil, err
		}
		c := &column{ref: r, alias: p.aliases[strings.ToLower(r.Table)], typ: t, name: name, selected: true, role: sc.Role}
		add(c)
		if sc.Role != RoleNone && sc.Role != RoleOther && sc.Role != RoleCategory {
			p.roles[sc.Role] = c
		}
	}

	// Filter columns (helpers when not selected) and the one-filter-per-column rule.
	owner := map[*column]int{}
	for i := range d.Filters {
		f := &d.Filters[i]
		field := fmt.Sprintf("filters[%d]", i)
		if f.isRowFilter() {
			r, t, err := find(f.Column, field+".column")
			if err != nil {
				return nil, err
			}
			c, ok := p.byRef[refKey(r.Table, r.Column)]
			if !ok {
				c = &column{ref: r, alias: p.aliases[strings.ToLower(r.Table)], typ: t, name: ReservedPrefix + strconv.Itoa(len(p.cols))}
				add(c)
			}
			if err := checkFilterType(f, t, field+".column", r); err != nil {
				return nil, err
			}
			if prev, dup := owner[c]; dup {
				return nil, errs.Fieldf(errs.Invalid, field+".column", "the column %s is already used by filter %d: combine the conditions in one filter", r, prev+1)
			}
			owner[c] = i
			continue
		}
		key := p.roles[entityRole(f.Entity)]
		if key == nil {
			return nil, errs.Fieldf(errs.Invalid, field+".entity", "give a selected column the %s role first", roleWords(entityRole(f.Entity)))
		}
		if f.Kind == FilterTopShare || f.Metric == Revenue {
			if p.roles[RoleRevenue] == nil {
				return nil, errs.Fieldf(errs.Invalid, field+".kind", "give a selected numeric column the revenue role first")
			}
		}
		for j := range i {
			g := &d.Filters[j]
			if g.Kind == f.Kind && g.Entity == f.Entity && (f.Kind == FilterTopShare || g.Metric == f.Metric) {
				return nil, errs.Fieldf(errs.Invalid, field, "filter %d already does this: combine them in one filter", j+1)
			}
		}
	}
	// The revenue column is aggregated by revenue-based filters; it cannot
	// also be filtered row by row.
	if rev := p.roles[RoleRevenue]; rev != nil {
		if i, ok := owner[rev]; ok {
			for j := range d.Filters {
				g := &d.Filters[j]
				if g.Kind == FilterTopShare || (g.Kind == FilterEntityMetric && g.Metric == Revenue) {
					return nil, errs.Fieldf(errs.Invalid, fmt.Sprintf("filters[%d].column", i), "the column %s is the revenue used by filter %d: it cannot also be filtered row by row", rev.ref, j+1)
				}
			}
		}
	}
	return p, nil
}

func (p *plan) tableName(name string) string {
	for _, t := range p.tables {
		if strings.EqualFold(t.Table, name) {
			return t.Table
		}
	}
	return name
}

func lookupFold(s warehouse.Schema, name string) (warehouse.Column, bool) {
	if c, ok := s.Lookup(name); ok {
		return c, true
	}
	for _, c := range s {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return warehouse.Column{}, false
}

func entityRole(e Entity) Role {
	if e == Customer {
		return RoleCustomer
	}
	return RoleProduct
}

func isNumeric(t warehouse.Type) bool {
	return t == warehouse.Int64 || t == warehouse.Float64 || t == warehouse.Numeric
}

func isDate(t warehouse.Type) bool {
	return t == warehouse.Date || t == warehouse.Timestamp || t == warehouse.DateTime
}

// joinable reports whether columns of types a and b can be join keys.
func joinable(a, b warehouse.Type) bool {
	switch {
	case a == warehouse.JSON || b == warehouse.JSON:
		return false
	case a == b:
		return true
	case isNumeric(a) && isNumeric(b):
		return true
	}
	return false
}

func checkRoleType(r Role, t warehouse.Type, field string, c ColumnRef) error {
	ok := true
	want := ""
	switch r {
	case RoleCustomer, RoleProduct:
		ok, want = t == warehouse.String || t == warehouse.Int64, "text or whole numbers"
	case RoleTimestamp:
		ok, want = isDate(t), "dates or timestamps"
	case RoleRevenue, RoleQuantity:
		ok, want = isNumeric(t), "numbers"
	}
	if !ok {
		return errs.Fieldf(errs.Invalid, field, "the %s role needs a column of %s; %s is %s", roleWords(r), want, c, t)
	}
	return nil
}

func checkFilterType(f *Filter, t warehouse.Type, field string, c ColumnRef) error {
	switch f.Kind {
	case FilterDate:
		if !isDate(t) {
			return errs.Fieldf(errs.Invalid, field, "%s is not a date or timestamp column", c)
		}
	case FilterNumeric:
		if !isNumeric(t) {
			return errs.Fieldf(errs.Invalid, field, "%s is not a numeric column", c)
		}
	case FilterCategory:
		switch t {
		case warehouse.String:
		case warehouse.Int64:
			for _, v := range f.Values {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return errs.Fieldf(errs.Invalid, strings.TrimSuffix(field, ".column")+".values", "%s holds whole numbers; %q is not one", c, v)
				}
			}
		case warehouse.Bool:
			for _, v := range f.Values {
				if _, err := strconv.ParseBool(v); err != nil {
					return errs.Fieldf(errs.Invalid, strings.TrimSuffix(field, ".column")+".values", "%s holds true/false values; %q is not one", c, v)
				}
			}
		default:
			return errs.Fieldf(errs.Invalid, field, "%s (%s) cannot be filtered by categories: use a numeric or date filter", c, t)
		}
	}
	return nil
}

// builder accumulates SQL parameters.
type builder struct {
	x      dialect
	params []warehouse.Param
}

// param adds a parameter and returns its reference.
func (b *builder) param(v any) string {
	name := "p" + strconv.Itoa(len(b.params)+1)
	b.params = append(b.params, warehouse.Param{Name: name, Value: v})
	return "@" + name
}

// Compile returns the SQL of the dataset in the dialect: the joined
// tables' needed columns (CTE "joined"), the rows that pass the row filters
// ("filtered"), one CTE per top-share or metric filter, and the final
// selection of the output columns. Identifiers are quoted, every value is a
// parameter. Errors are those of Resolve.
func Compile(d *Dataset, schemas Schemas, dia warehouse.Dialect) (Query, error) {
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	return Query{SQL: c.with + "\n" + c.sel, Params: c.b.params}, nil
}

// compiled is a dataset's SQL in parts: the CTEs (from "WITH" on) and the
// final SELECT, so wrappers (the training query) can add CTEs.
type compiled struct {
	b    *builder
	p    *plan
	with string
	sel  string
}

func compile(d *Dataset, schemas Schemas, dia warehouse.Dialect) (*compiled, error) {
	if dia != warehouse.BigQuery && dia != warehouse.DuckDB {
		return nil, errs.Fieldf(errs.Invalid, "dialect", "choose the SQL dialect: bigquery or duckdb")
	}
	p, err := resolve(d, schemas)
	if err != nil {
		return nil, err
	}
	b := &builder{x: dialect{dia}}
	x := b.x
	var sb strings.Builder

	// joined
	sb.WriteString("WITH joined AS (\n  SELECT ")
	for i, c := range p.cols {
		if i > 0 {
			sb.WriteString(",\n    ")
		}
		sb.WriteString(c.alias + "." + x.ident(c.ref.Column) + " AS " + x.ident(c.name))
	}
	sb.WriteString("\n  FROM " + x.table(p.tables[0]) + " AS t0")
	for _, j := range p.joins {
		kw := "LEFT JOIN"
		if j.Type == InnerJoin {
			kw = "INNER JOIN"
		}
		la, ra := p.aliases[strings.ToLower(j.Left.Table)], p.aliases[strings.ToLower(j.Right.Table)]
		var rt TableRef
		for _, t := range p.tables {
			if strings.EqualFold(t.Table, j.Right.Table) {
				rt = t
			}
		}
		fmt.Fprintf(&sb, "\n  %s %s AS %s ON %s.%s = %s.%s", kw, x.table(rt), ra, la, x.ident(j.Left.Column), ra, x.ident(j.Right.Column))
	}
	sb.WriteString("\n)")

	// filtered
	var conds []string
	for i := range d.Filters {
		f := &d.Filters[i]
		if !f.isRowFilter() {
			continue
		}
		c := p.byRef[refKey(f.Column.Table, p.colName(f.Column))]
		conds = append(conds, b.rowCond(f, c))
	}
	source := "joined"
	if len(conds) > 0 {
		sb.WriteString(",\nfiltered AS (\n  SELECT * FROM joined\n  WHERE " + strings.Join(conds, "\n    AND ") + "\n)")
		source = "filtered"
	}

	// entity CTEs
	var final []string
	for i := range d.Filters {
		f := &d.Filters[i]
		if f.isRowFilter() {
			continue
		}
		key := x.ident(p.roles[entityRole(f.Entity)].name)
		var rev string
		if r := p.roles[RoleRevenue]; r != nil {
			rev = x.ident(r.name)
		}
		var name string
		switch f.Kind {
		case FilterTopShare:
			name = "top_" + string(f.Entity) + "s"
			pct := b.param(f.Percent)
			fmt.Fprintf(&sb, ",\n%s AS (\n  SELECT k FROM (\n    SELECT k, revenue,\n      SUM(revenue) OVER (ORDER BY revenue DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,\n      SUM(revenue) OVER () AS total\n    FROM (\n      SELECT %s AS k, SUM(%s) AS revenue FROM %s\n      WHERE %s IS NOT NULL AND %s IS NOT NULL\n      GROUP BY %s\n      HAVING SUM(%s) > 0\n    ) AS totals\n  ) AS ranked\n  WHERE (running - revenue) * 100 < total * %s\n)",
				name, key, rev, source, key, rev, key, rev, pct)
		case FilterEntityMetric:
			name = string(f.Entity) + "_" + string(f.Metric)
			agg := "COUNT(*)"
			if f.Metric == Revenue {
				agg = "SUM(" + rev + ")"
			}
			var having []string
			if f.Min != nil {
				having = append(having, agg+" >= "+b.param(metricValue(f.Metric, *f.Min, false)))
			}
			if f.Max != nil {
				having = append(having, agg+" <= "+b.param(metricValue(f.Metric, *f.Max, true)))
			}
			fmt.Fprintf(&sb, ",\n%s AS (\n  SELECT %s AS k FROM %s\n  WHERE %s IS NOT NULL\n  GROUP BY %s\n  HAVING %s\n)",
				name, key, source, key, key, strings.Join(having, " AND "))
		}
		final = append(final, key+" IN (SELECT k FROM "+name+")")
	}

	var sel strings.Builder
	sel.WriteString("SELECT ")
	n := 0
	for _, c := range p.cols {
		if !c.selected {
			continue
		}
		if n > 0 {
			sel.WriteString(", ")
		}
		sel.WriteString(x.ident(c.name))
		n++
	}
	sel.WriteString("\nFROM " + source)
	if len(final) > 0 {
		sel.WriteString("\nWHERE " + strings.Join(final, "\n  AND "))
	}
	return &compiled{b: b, p: p, with: sb.String(), sel: sel.String()}, nil
}

// colName is the schema spelling of a filter column (resolve checked it).
func (p *plan) colName(r ColumnRef) string {
	if c, ok := lookupFold(p.schemas[strings.ToLower(r.Table)], r.Column); ok {
		return c.Name
	}
	return r.Column
}

// metricValue is the parameter for a metric bound: transaction counts are
// whole numbers (a fractional minimum rounds up, a maximum down).
func metricValue(m Metric, v float64, upper bool) any {
	if m != Transactions {
		return v
	}
	if upper {
		return int64(math.Floor(v))
	}
	return int64(math.Ceil(v))
}

// numValue is the parameter for a number compared with a column of type t.
func numValue(v float64, t warehouse.Type) any {
	if t == warehouse.Int64 && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return int64(v)
	}
	return v
}

// rowCond is the condition of a row filter on column c of "joined".
func (b *builder) rowCond(f *Filter, c *column) string {
	x := b.x
	col := x.ident(c.name)
	var cond string
	switch f.Kind {
	case FilterDate:
		if f.LastDays > 0 {
			cond = col + " > " + x.minusDays("(SELECT MAX("+col+") FROM joined)", b.param(int64(f.LastDays)), c.typ)
		} else {
			var parts []string
			if f.Start != "" {
				parts = append(parts, col+" >= "+x.castDate(b.param(f.Start), c.typ))
			}
			if f.End != "" {
				e, _ := time.Parse(dateLayout, f.End)
				parts = append(parts, col+" < "+x.castDate(b.param(e.AddDate(0, 0, 1).Format(dateLayout)), c.typ))
			}
			cond = strings.Join(parts, " AND ")
			if len(parts) > 1 {
				cond = "(" + cond + ")"
			}
		}
	case FilterCategory:
		ref := b.param(categoryValues(f.Values, c.typ))
		if f.Mode == "exclude" {
			if f.IncludeNulls {
				return "(" + col + " IS NULL OR " + warehouse.InArray(x.d, col, ref, true) + ")"
			}
			return "(" + col + " IS NOT NULL AND " + warehouse.InArray(x.d, col, ref, true) + ")"
		}
		cond = warehouse.InArray(x.d, col, ref, false)
	case FilterNumeric:
		switch f.Op {
		case "gt":
			cond = col + " > " + b.param(numValue(*f.Value, c.typ))
		case "lt":
			cond = col + " < " + b.param(numValue(*f.Value, c.typ))
		case "eq":
			cond = col + " = " + b.param(numValue(*f.Value, c.typ))
		default:
			var parts []string
			if f.Min != nil {
				parts = append(parts, col+" >= "+b.param(numValue(*f.Min, c.typ)))
			}
			if f.Max != nil {
				parts = append(parts, col+" <= "+b.param(numValue(*f.Max, c.typ)))
			}
			cond = strings.Join(parts, " AND ")
			if len(parts) > 1 {
				cond = "(" + cond + ")"
			}
		}
	}
	if f.IncludeNulls {
		return "(" + cond + " OR " + col + " IS NULL)"
	}
	return cond
}

// categoryValues is a category filter's values as one array parameter of
// the column's type (validation checked that they parse).
func categoryValues(vs []string, t warehouse.Type) any {
	switch t {
	case warehouse.Int64:
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i], _ = strconv.ParseInt(v, 10, 64)
		}
		return out
	case warehouse.Bool:
		out := make([]bool, len(vs))
		for i, v := range vs {
			out[i], _ = strconv.ParseBool(v)
		}
		return out
	}
	return slices.Clone(vs)
}

// queryJSON is Query's JSON form: each parameter with its type, so that a
// stored query reads back with the same Go types (JSON alone would turn
// every number into a float64).
type queryJSON struct {
	SQL    string      `json:"sql"`
	Params []paramJSON `json:"params"`
}

type paramJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// MarshalJSON writes the SQL and the typed parameters.
func (q Query) MarshalJSON() ([]byte, error) {
	out := queryJSON{SQL: q.SQL, Params: make([]paramJSON, len(q.Params))}
	for i, p := range q.Params {
		pj := paramJSON{Name: p.Name, Value: p.Value}
		switch v := p.Value.(type) {
		case string:
			pj.Type = "string"
		case int64:
			pj.Type, pj.Value = "int64", strconv.FormatInt(v, 10)
		case float64:
			pj.Type = "float64"
		case bool:
			pj.Type = "bool"
		case time.Time:
			pj.Type, pj.Value = "timestamp", v.UTC().Format(time.RFC3339Nano)
		case nil:
			pj.Type = "null"
		case []string:
			pj.Type = "array<string>"
		case []int64:
			strs := make([]string, len(v))
			for i, n := range v {
				strs[i] = strconv.FormatInt(n, 10)
			}
			pj.Type, pj.Value = "array<int64>", strs
		case []bool:
			pj.Type = "array<bool>"
		default:
			return nil, errs.E(errs.Unknown, "datasets: parameter %s has type %T", p.Name, p.Value)
		}
		out.Params[i] = pj
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (q *Query) UnmarshalJSON(b []byte) error {
	var in struct {
		SQL    string `json:"sql"`
		Params []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"params"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	q.SQL, q.Params = in.SQL, make([]warehouse.Param, len(in.Params))
	for i, p := range in.Params {
		v, err := decodeParam(p.Type, p.Value)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "datasets: parameter %s", p.Name)
		}
		q.Params[i] = warehouse.Param{Name: p.Name, Value: v}
	}
	return nil
}

func decodeParam(typ string, raw json.RawMessage) (any, error) {
	var s string
	switch typ {
	case "null":
		return nil, nil
	case "string":
		err := json.Unmarshal(raw, &s)
		return s, err
	case "int64":
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return strconv.ParseInt(s, 10, 64)
	case "float64":
		var f float64
		err := json.Unmarshal(raw, &f)
		return f, err
	case "bool":
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case "timestamp":
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return time.Parse(time.RFC3339Nano, s)
	case "array<string>":
		var vs []string
		err := json.Unmarshal(raw, &vs)
		return vs, err
	case "array<bool>":
		var vs []bool
		err := json.Unmarshal(raw, &vs)
		return vs, err
	case "array<int64>":
		var strs []string
		if err := json.Unmarshal(raw, &strs); err != nil {
			return nil, err
		}
		vs := make([]int64, len(strs))
		for i, v := range strs {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			vs[i] = n
		}
		return vs, nil
	}
	return nil, errs.E(errs.Invalid, "unknown parameter type %q", typ)
}
