package datasets

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// ---- a tokenizer for checking generated SQL (test only) ----

type tokKind int

const (
	tokOther  tokKind = iota
	tokIdent          // a quoted identifier
	tokString         // a string literal (must never appear)
	tokParam          // @name
	tokWord           // a bare word
	tokNumber         // digits
)

type token struct {
	kind tokKind
	text string // as written
	val  string // decoded identifier, parameter name or word
}

func tokenize(d warehouse.Dialect, s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '`' && d == warehouse.BigQuery:
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '`'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(s[j])
					}
					continue
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated identifier at %d", i)
			}
			out = append(out, token{tokIdent, s[i : j+1], b.String()})
			i = j + 1
		case c == '"' && d == warehouse.DuckDB:
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated identifier at %d", i)
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{tokIdent, s[i : j+1], b.String()})
			i = j + 1
		case c == '\'' || c == '"' || c == '`' || c == '$':
			out = append(out, token{tokString, string(c), ""})
			i++
		case c == '@':
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{tokParam, s[i:j], s[i+1 : j]})
			i = j
		case isWordByte(c) && !(c >= '0' && c <= '9'):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{tokWord, s[i:j], s[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			out = append(out, token{tokNumber, s[i:j], s[i:j]})
			i = j
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '#', c == '/' && i+1 < len(s) && s[i+1] == '*':
			out = append(out, token{tokString, s[i : i+1], "comment"})
			i++
		default:
			out = append(out, token{tokOther, s[i : i+1], ""})
			i++
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// sqlWords are the bare words the compiler may write: keywords, functions,
// types and its own CTE, subquery and table alias names.
var sqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`WITH AS SELECT FROM WHERE AND OR NOT IN IS NULL LEFT INNER JOIN ON GROUP BY HAVING
		ORDER DESC ROWS BETWEEN UNBOUNDED PRECEDING CURRENT ROW OVER SUM COUNT MAX CAST INTERVAL DAY
		DATE TIMESTAMP DATETIME TIMESTAMPTZ INTEGER DATE_SUB TIMESTAMP_SUB DATETIME_SUB to_days
		joined filtered k revenue running total totals ranked
		top_products top_customers product_transactions product_revenue customer_transactions customer_revenue
		base CASE WHEN THEN ELSE END UNIX_SECONDS floor epoch BIGINT hash MOD FARM_FINGERPRINT TO_JSON_STRING STRUCT
		hash_seed hash_key1 hash_key2 hash_key3
		DISTINCT AVG MIN LIMIT UNION ALL DOUBLE FLOAT64 VARCHAR STRING quantile_cont APPROX_QUANTILES OFFSET d pairs cc cp
		ROW_NUMBER GREATEST DIV r UNNEST ANY`) {
		sqlWords[w] = true
	}
	for i := range MaxTables {
		sqlWords["t"+strconv.Itoa(i)] = true
	}
	for i := range MaxColumns {
		sqlWords["top"+strconv.Itoa(i)] = true
		sqlWords["hash_key"+strconv.Itoa(i+1)] = true
	}
}

// checkSQL checks compiled SQL token by token: every identifier is quoted
// and is a known name, no literal or comment appears, the parameters
// referenced are exactly the ones given, and no value is written in the
// text.
func checkSQL(t testing.TB, d warehouse.Dialect, q Query, known map[string]bool, values []string) {
	t.Helper()
	toks, err := tokenize(d, q.SQL)
	if err != nil {
		t.Fatalf("%v\n%s", err, q.SQL)
	}
	params := map[string]bool{}
	var rest strings.Builder
	for _, tk := range toks {
		switch tk.kind {
		case tokIdent:
			if !known[tk.val] && !strings.HasPrefix(tk.val, ReservedPrefix) {
				t.Fatalf("quoted identifier %q is not a name of the model\n%s", tk.val, q.SQL)
			}
			rest.WriteString(" ")
			continue
		case tokString:
			t.Fatalf("literal or comment %q in the SQL\n%s", tk.text, q.SQL)
		case tokParam:
			params[tk.val] = true
		case tokWord:
			if !sqlWords[tk.val] {
				t.Fatalf("unquoted word %q\n%s", tk.val, q.SQL)
			}
		case tokNumber:
			switch tk.val {
			case "0", "1", "2", "100": // constants: split codes, percent
			case "3", "4", "0.25", "0.50", "0.75": // quartiles
			default:
				t.Fatalf("number %q written in the SQL\n%s", tk.val, q.SQL)
			}
		}
		rest.WriteString(tk.text)
	}
	given := map[string]bool{}
	for _, p := range q.Params {
		if given[p.Name] {
			t.Fatalf("parameter %s given twice", p.Name)
		}
		given[p.Name] = true
		if !params[p.Name] {
			t.Fatalf("parameter %s not used\n%s", p.Name, q.SQL)
		}
	}
	for n := range params {
		if !given[n] {
			t.Fatalf("parameter @%s has no value\n%s", n, q.SQL)
		}
	}
	text := rest.String()
	for _, v := range values {
		if len(v) >= 4 && strings.Contains(text, v) {
			t.Fatalf("value %q appears in the SQL text\n%s", v, q.SQL)
		}
	}
}

// ---- random models ----

var (
	namePool = []string{"id", "customer_id", "product_id", "select", "from", "order", "Group", "a b", "naïve ünicode", "日本語",
		`quo"te`, "back`tick", `back\slash`, "it's", "'; DROP TABLE x; --", "new\nline", "tab\there", "k", "total", "_b2b", "@p1", "$1", "-- c", "#x", "/*c*/", "amount", "ts"}
	valuePool = []string{"'; DROP TABLE x; --", `x" OR "1"="1`, "v4lue_ZQX", "back`tick value", "ünï-valüe", "@p1", "$$dollar$$", "-- comment", "' OR 1=1 --", "", "toys"}
	typePool  = []warehouse.Type{warehouse.String, warehouse.Int64, warehouse.Float64, warehouse.Numeric, warehouse.Date, warehouse.Timestamp, warehouse.DateTime, warehouse.Bool}
	numPool   = []float64{0, 1, -1, 2.5, 80, 100, 1e6 + 0.123, 987654.321, -42}
)

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) name(taken map[string]bool) string {
	for {
		n := namePool[g.pick(len(namePool))]
		if g.pick(4) == 0 {
			n += strconv.Itoa(g.pick(100))
		}
		if !taken[strings.ToLower(n)] {
			taken[strings.ToLower(n)] = true
			return n
		}
	}
}

func (g *gen) num() *float64 {
	v := numPool[g.pick(len(numPool))]
	return &v
}

// model returns a random dataset and schemas. Many are invalid on purpose.
func (g *gen) model() (*Dataset, Schemas) {
	schemas := Schemas{}
	tables := map[string]bool{}
	var refs []TableRef
	for range 1 + g.pick(3) {
		tn := g.name(tables)
		cols := map[string]bool{}
		var s warehouse.Schema
		for range 2 + g.pick(5) {
			s = append(s, warehouse.Column{Name: g.name(cols), Type: typePool[g.pick(len(typePool))], Nullable: true})
		}
		schemas[tn] = s
		refs = append(refs, TableRef{Dataset: "raw_data", Table: tn})
	}
	splits := []Split{{Kind: SplitTimeHoldout, HoldoutDays: 1 + g.pick(30)}, {Kind: SplitStrictTime, TrainDays: 60, ValDays: 7, TestDays: 7},
		{Kind: SplitRandom, TrainPercent: 80, ValPercent: 10, Seed: int64(g.pick(1000)) - 500}}
	d := &Dataset{Name: "fuzz", Primary: refs[0], Secondary: refs[1:], Split: splits[g.pick(len(splits))]}
	anyCol := func() ColumnRef {
		t := refs[g.pick(len(refs))].Table
		c := schemas[t][g.pick(len(schemas[t]))]
		return ColumnRef{Table: t, Column: c.Name}
	}
	// colOf mostly picks a column whose type fits, sometimes any column.
	colOf := func(fits func(warehouse.Type) bool) ColumnRef {
		var fit []ColumnRef
		for _, t := range refs {
			for _, c := range schemas[t.Table] {
				if fits(c.Type) {
					fit = append(fit, ColumnRef{t.Table, c.Name})
				}
			}
		}
		if len(fit) == 0 || g.pick(10) == 0 {
			return anyCol()
		}
		return fit[g.pick(len(fit))]
	}
	for i := 1; i < len(refs); i++ {
		lt := refs[g.pick(i)].Table
		lc := schemas[lt][g.pick(len(schemas[lt]))]
		rc := schemas[refs[i].Table][g.pick(len(schemas[refs[i].Table]))]
		found := false
		for _, c := range schemas[refs[i].Table] {
			if c.Type == lc.Type && (!found || g.pick(2) == 0) {
				rc, found = c, true
			}
		}
		if !found && g.pick(8) > 0 {
			// add a key column of the left key's type (mostly valid joins)
			taken := map[string]bool{}
			for _, c := range schemas[refs[i].Table] {
				taken[strings.ToLower(c.Name)] = true
			}
			rc = warehouse.Column{Name: g.name(taken), Type: lc.Type, Nullable: true}
			schemas[refs[i].Table] = append(schemas[refs[i].Table], rc)
		}
		jt := LeftJoin
		if g.pick(2) == 0 {
			jt = InnerJoin
		}
		d.Joins = append(d.Joins, Join{Left: ColumnRef{lt, lc.Name}, Right: ColumnRef{refs[i].Table, rc.Name}, Type: jt})
	}
	roles := []Role{RoleNone, RoleNone, RoleCustomer, RoleProduct, RoleRevenue, RoleTimestamp, RoleQuantity, RoleCategory}
	usedRole := map[Role]bool{}
	for _, t := range refs {
		for _, c := range schemas[t.Table] {
			if g.pick(3) == 0 {
				continue
			}
			sc := SelectedColumn{ColumnRef: ColumnRef{t.Table, c.Name}}
			if g.pick(3) == 0 {
				sc.Alias = namePool[g.pick(len(namePool))] + " alias"
			}
			r := roles[g.pick(len(roles))]
			if !usedRole[r] && checkRoleType(r, c.Type, "", sc.ColumnRef) == nil {
				sc.Role = r
				if r != RoleCategory && r != RoleNone {
					usedRole[r] = true
				}
			}
			d.Columns = append(d.Columns, sc)
		}
	}
	if g.pick(2) == 0 {
		// give the training roles to fitting selected columns
		for _, r := range []Role{RoleCustomer, RoleProduct, RoleTimestamp, RoleRevenue} {
			for i := range d.Columns {
				sc := &d.Columns[i]
				if usedRole[r] || sc.Role != RoleNone {
					continue
				}
				if c, _ := lookupFold(schemas[sc.Table], sc.Column); checkRoleType(r, c.Type, "", sc.ColumnRef) == nil {
					sc.Role, usedRole[r] = r, true
				}
			}
		}
	}
	for range g.pick(4) {
		f := Filter{IncludeNulls: g.pick(2) == 0}
		switch g.pick(5) {
		case 0:
			f.Kind, f.Column = FilterDate, colOf(isDate)
			switch g.pick(3) {
			case 0:
				f.LastDays = 1 + g.pick(400)
			case 1:
				f.Start = "2024-01-0" + strconv.Itoa(1+g.pick(9))
			default:
				f.Start, f.End = "2023-12-31", "2024-02-29"
			}
		case 1:
			f.Kind, f.Column, f.Mode = FilterCategory, colOf(func(t warehouse.Type) bool { return t == warehouse.String }), []string{"include", "exclude"}[g.pick(2)]
			for range 1 + g.pick(3) {
				f.Values = append(f.Values, valuePool[g.pick(len(valuePool))])
			}
		case 2:
			f.Kind, f.Column = FilterNumeric, colOf(isNumeric)
			f.Op = []string{"between", "gt", "lt", "eq"}[g.pick(4)]
			if f.Op == "between" {
				f.Min, f.Max = g.num(), g.num()
			} else {
				f.Value = g.num()
			}
		case 3:
			f.Kind, f.Entity, f.Percent = FilterTopShare, []Entity{Product, Customer}[g.pick(2)], []float64{0.5, 50, 80, 99.9, 100}[g.pick(5)]
		default:
			f.Kind, f.Entity, f.Metric = FilterEntityMetric, []Entity{Product, Customer}[g.pick(2)], []Metric{Transactions, Revenue}[g.pick(2)]
			if g.pick(2) == 0 {
				f.Min = g.num()
			}
			if g.pick(2) == 0 {
				f.Max = g.num()
			}
		}
		d.Filters = append(d.Filters, f)
	}
	return d, schemas
}

// knownNames are the names the SQL may quote: datasets, tables, columns,
// aliases and the <table>_<column> names.
func knownNames(d *Dataset, schemas Schemas) map[string]bool {
	k := map[string]bool{"raw_data": true}
	for t, s := range schemas {
		k[t] = true
		for _, c := range s {
			k[c.Name] = true
			k[t+"_"+c.Name] = true
		}
	}
	for _, c := range d.Columns {
		k[c.Alias] = true
	}
	return k
}

func filterValues(d *Dataset) []string {
	var vs []string
	for _, f := range d.Filters {
		vs = append(vs, f.Values...)
		for _, p := range []*float64{f.Value, f.Min, f.Max} {
			if p != nil && *p != 0 && *p != 100 && *p != 1 {
				vs = append(vs, strconv.FormatFloat(*p, 'f', -1, 64))
			}
		}
		if f.Start != "" {
			vs = append(vs, f.Start)
		}
		if f.End != "" {
			vs = append(vs, f.End)
		}
	}
	return vs
}

var (
	fuzzWHOnce sync.Once
	fuzzWH     *warehouse.Warehouse
	fuzzWHErr  error
	fuzzMu     sync.Mutex
	fuzzN      int
)

// fuzzWarehouse is one DuckDB for the whole fuzz run; each model gets a
// dataset (schema) of its own.
func fuzzWarehouse(t testing.TB) *warehouse.Warehouse {
	fuzzWHOnce.Do(func() {
		dir, err := tempDirOutsideTest()
		if err != nil {
			fuzzWHErr = err
			return
		}
		fuzzWH, fuzzWHErr = warehouse.Open(context.Background(), "duckdb://"+filepath.Join(dir, "fuzz.duckdb"))
	})
	if fuzzWHErr != nil {
		t.Fatal(fuzzWHErr)
	}
	return fuzzWH
}

// runOnDuckDB creates the model's tables (empty) in a fresh dataset and
// runs the compiled SQL: DuckDB must parse and bind it.
func runOnDuckDB(t testing.TB, d *Dataset, schemas Schemas) {
	t.Helper()
	ctx := context.Background()
	wh := fuzzWarehouse(t)
	fuzzMu.Lock()
	fuzzN++
	ds := "fz" + strconv.Itoa(fuzzN)
	fuzzMu.Unlock()
	if err := wh.CreateDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	dd := *d
	dd.Primary.Dataset = ds
	dd.Secondary = slices.Clone(d.Secondary)
	for i := range dd.Secondary {
		dd.Secondary[i].Dataset = ds
	}
	for tn, s := range schemas {
		if err := wh.CreateTable(ctx, ds, tn, s); err != nil {
			t.Fatal(err)
		}
	}
	q, err := Compile(&dd, schemas, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Query(ctx, q.SQL, q.Params, 0); err != nil {
		t.Fatalf("DuckDB refused the SQL: %v\n%s\nparams %v", err, q.SQL, q.Params)
	}
	if q, err = CompileTraining(&dd, schemas, warehouse.DuckDB); err == nil {
		if _, err := wh.Query(ctx, q.SQL, q.Params, 0); err != nil {
			t.Fatalf("DuckDB refused the training SQL: %v\n%s\nparams %v", err, q.SQL, q.Params)
		}
	}
	for _, q := range analysisQueries(t, &dd, schemas, warehouse.DuckDB) {
		if _, err := wh.Query(ctx, q.SQL, q.Params, 0); err != nil {
			t.Fatalf("DuckDB refused an analysis query: %v\n%s\nparams %v", err, q.SQL, q.Params)
		}
	}
}

// analysisQueries compiles the preview, statistics, top-values and (when
// the roles allow) quality queries of a model that compiles.
func analysisQueries(t testing.TB, d *Dataset, schemas Schemas, dia warehouse.Dialect) []Query {
	t.Helper()
	var out []Query
	for _, f := range []func() (Query, error){
		func() (Query, error) { return CompilePreview(d, schemas, dia, 3, 10) },
		func() (Query, error) { return CompileStats(d, schemas, dia) },
		func() (Query, error) { return CompileTopValues(d, schemas, dia, 5) },
	} {
		q, err := f()
		if err != nil {
			t.Fatalf("analysis query of a model that compiles: %v", err)
		}
		if q.SQL != "" {
			out = append(out, q)
		}
	}
	if q, err := CompileQuality(d, schemas, dia, 5); err == nil {
		out = append(out, q)
	}
	for _, e := range []Entity{Product, Customer} {
		if q, err := CompilePareto(d, schemas, dia, e, 50); err == nil {
			out = append(out, q)
		}
	}
	return out
}

// checkModel compiles a model in both dialects and checks the results.
func checkModel(t testing.TB, d *Dataset, schemas Schemas) (compiled, training bool) {
	t.Helper()
	known := knownNames(d, schemas)
	values := filterValues(d)
	ok := false
	trained := 0
	for _, dia := range []warehouse.Dialect{warehouse.BigQuery, warehouse.DuckDB} {
		q, err := Compile(d, schemas, dia)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) == "" || errs.UserMessage(err) == "" {
				t.Fatalf("error without kind invalid, field and message: %v", err)
			}
			continue
		}
		ok = true
		checkSQL(t, dia, q, known, values)
		if q, err := CompileTraining(d, schemas, dia); err == nil {
			trained++
			k := maps.Clone(known)
			k[SplitColumn] = true
			checkSQL(t, dia, q, k, values)
		}
		for _, q := range analysisQueries(t, d, schemas, dia) {
			checkSQL(t, dia, q, known, values)
		}
	}
	if ok {
		runOnDuckDB(t, d, schemas)
	}
	return ok, trained > 0
}

func FuzzCompile(f *testing.F) {
	for _, s := range []uint64{0, 1, 2, 3, 42, 1234, 99999} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		d, schemas := newGen(seed).model()
		checkModel(t, d, schemas)
	})
}

// TestRandomModels runs the fuzz checks over many fixed seeds in a normal
// test run.
func TestRandomModels(t *testing.T) {
	compiled, training := 0, 0
	for seed := range uint64(400) {
		d, schemas := newGen(seed).model()
		c, tr := checkModel(t, d, schemas)
		if c {
			compiled++
		}
		if tr {
			training++
		}
	}
	t.Logf("%d of 400 random models have a training query", training)
	if training < 15 {
		t.Errorf("only %d random models have a training query", training)
	}
	t.Logf("%d of 400 random models compiled", compiled)
	if compiled < 100 {
		t.Errorf("only %d of 400 random models compiled: the generator makes too few valid models", compiled)
	}
}

func TestCompiledSQLTokens(t *testing.T) {
	for _, tc := range goldenCases {
		d := baseDataset(tc.filters...)
		for _, dia := range []warehouse.Dialect{warehouse.BigQuery, warehouse.DuckDB} {
			q, err := Compile(d, testSchemas, dia)
			if err != nil {
				t.Fatal(err)
			}
			checkSQL(t, dia, q, knownNames(d, testSchemas), filterValues(d))
		}
	}
}

// tempDirOutsideTest makes a directory that outlives one fuzz iteration
// (t.TempDir is removed after each); the OS cleans /tmp.
func tempDirOutsideTest() (string, error) { return os.MkdirTemp("", "datasets-fuzz-") }
