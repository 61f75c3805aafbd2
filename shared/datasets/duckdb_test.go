package datasets

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// openDuckDB opens a DuckDB warehouse in a temporary file and runs the
// setup statements.
func openDuckDB(t testing.TB, setup ...string) *warehouse.Warehouse {
	t.Helper()
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, "duckdb://"+filepath.Join(t.TempDir(), "wh.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	for _, s := range setup {
		if _, err := wh.Query(ctx, s, nil, 0); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return wh
}

// tableSchemas reads the schemas of the tables from the warehouse.
func tableSchemas(t testing.TB, wh *warehouse.Warehouse, tables ...string) Schemas {
	t.Helper()
	s := Schemas{}
	for _, name := range tables {
		tb, err := wh.DescribeTable(context.Background(), "raw_data", name)
		if err != nil {
			t.Fatal(err)
		}
		s[name] = tb.Schema
	}
	return s
}

// retailSetup: revenue per product A 50, B 30, C 15, D 5 (total 100);
// per customer c1 50, c2 30, c3 20; L6 has a product missing from products
// (the left join keeps it, category NULL) and no amount; L7's customer is
// not in customers (the inner join drops it) and it has the latest
// timestamp of the primary table, so a window anchored at the primary
// table instead of the joined data would return nothing.
var retailSetup = []string{
	`CREATE SCHEMA raw_data`,
	`CREATE TABLE raw_data.lines (invoice_no VARCHAR, customer_id VARCHAR, stock_code VARCHAR, invoice_ts TIMESTAMPTZ, invoice_day DATE, quantity BIGINT, amount DOUBLE)`,
	`INSERT INTO raw_data.lines VALUES
	 ('L1', 'c1', 'A', '2024-03-31 12:00:00+00', '2024-03-31', 1, 50),
	 ('L2', 'c2', 'B', '2024-03-30 08:00:00+00', '2024-03-30', 2, 20),
	 ('L3', 'c2', 'B', '2024-03-01 00:00:00+00', '2024-03-01', 3, 10),
	 ('L4', 'c3', 'C', '2024-02-15 10:00:00+00', '2024-02-15', 1, 15),
	 ('L5', 'c3', 'D', '2024-01-01 00:00:00+00', '2024-01-01', 5, 5),
	 ('L6', 'c1', 'X', '2023-12-01 00:00:00+00', '2023-12-01', NULL, NULL),
	 ('L7', 'c4', 'A', '2024-04-30 00:00:00+00', '2024-04-30', 1, 1000),
	 ('L9', 'c2', 'B', '2024-03-15 00:00:00+00', '2024-03-15', 1, 0)`,
	`CREATE TABLE raw_data.products (code VARCHAR, description VARCHAR, category VARCHAR)`,
	`INSERT INTO raw_data.products VALUES ('A', 'apple', 'toys'), ('B', 'bench', 'garden'), ('C', 'cup', NULL), ('D', 'doll', 'toys')`,
	`CREATE TABLE raw_data.customers (id VARCHAR, country VARCHAR)`,
	`INSERT INTO raw_data.customers VALUES ('c1', 'UK'), ('c2', 'FR'), ('c3', 'UK')`,
}

// runInvoices compiles the dataset for DuckDB, runs it and returns the
// invoice_no column, sorted.
func runInvoices(t *testing.T, wh *warehouse.Warehouse, d *Dataset, schemas Schemas) []string {
	t.Helper()
	q, err := Compile(d, schemas, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	res, err := wh.Query(context.Background(), q.SQL, q.Params, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, q.SQL)
	}
	out := []string{}
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	slices.Sort(out)
	return out
}

func TestDuckDBRows(t *testing.T) {
	wh := openDuckDB(t, retailSetup...)
	schemas := tableSchemas(t, wh, "lines", "products", "customers")
	all := []string{"L1", "L2", "L3", "L4", "L5", "L6", "L9"}
	tests := []struct {
		name    string
		filters []Filter
		want    []string
	}{
		{"no filters: inner join drops L7, left join keeps L6", nil, all},
		{"rolling 1 day on a timestamp, anchored at the joined max", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 1}}, []string{"L1"}},
		{"rolling 2 days on a timestamp", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 2}}, []string{"L1", "L2"}},
		{"rolling 1 day on a date: one calendar day", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), LastDays: 1}}, []string{"L1"}},
		{"rolling 2 days on a date", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), LastDays: 2}}, []string{"L1", "L2"}},
		{"rolling 31 days on a date", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), LastDays: 31}}, []string{"L1", "L2", "L3", "L9"}},
		{"fixed dates on a timestamp, end inclusive", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), Start: "2024-03-01", End: "2024-03-30"}}, []string{"L2", "L3", "L9"}},
		{"fixed start on a date", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), Start: "2024-03-15"}}, []string{"L1", "L2", "L9"}},
		{"fixed end on a date", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), End: "2024-01-01"}}, []string{"L5", "L6"}},
		{"category include", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include", Values: []string{"toys"}}}, []string{"L1", "L5"}},
		{"category include with nulls", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include", Values: []string{"toys"}, IncludeNulls: true}}, []string{"L1", "L4", "L5", "L6"}},
		{"category exclude drops nulls", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "exclude", Values: []string{"toys"}}}, []string{"L2", "L3", "L9"}},
		{"category exclude keeps nulls", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "exclude", Values: []string{"toys"}, IncludeNulls: true}}, []string{"L2", "L3", "L4", "L6", "L9"}},
		{"category value that looks like SQL", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include", Values: []string{"toys' OR '1'='1"}}}, []string{}},
		{"numeric between", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "between", Min: fp(2), Max: fp(3)}}, []string{"L2", "L3"}},
		{"numeric gt with nulls", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "gt", Value: fp(2), IncludeNulls: true}}, []string{"L3", "L5", "L6"}},
		{"numeric lt fractional", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "lt", Value: fp(1.5)}}, []string{"L1", "L4", "L9"}},
		{"numeric eq", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "eq", Value: fp(5)}}, []string{"L5"}},
		{"top 80% products: B reaches exactly 80, C not needed", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 80}}, []string{"L1", "L2", "L3", "L9"}},
		{"top 70% products: B crosses 70 and is included", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 70}}, []string{"L1", "L2", "L3", "L9"}},
		{"top 50% products: A reaches 50", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 50}}, []string{"L1"}},
		{"top 81% products: C crosses", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 81}}, []string{"L1", "L2", "L3", "L4", "L9"}},
		{"top 100% products: products without revenue are not ranked", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 100}}, []string{"L1", "L2", "L3", "L4", "L5", "L9"}},
		{"top 60% customers", []Filter{{Kind: FilterTopShare, Entity: Customer, Percent: 60}}, []string{"L1", "L2", "L3", "L6", "L9"}},
		{"customers with at least 3 transactions", []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(3)}}, []string{"L2", "L3", "L9"}},
		{"customers with at most 2 transactions", []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Max: fp(2)}}, []string{"L1", "L4", "L5", "L6"}},
		{"customer spend range", []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Revenue, Min: fp(25), Max: fp(40)}}, []string{"L2", "L3", "L9"}},
		{"products with revenue at least 15", []Filter{{Kind: FilterEntityMetric, Entity: Product, Metric: Revenue, Min: fp(15)}}, []string{"L1", "L2", "L3", "L4", "L9"}},
		{"top products inside the filtered slice", []Filter{
			{Kind: FilterCategory, Column: col("customers", "country"), Mode: "include", Values: []string{"UK"}},
			{Kind: FilterTopShare, Entity: Product, Percent: 75}, // of UK revenue 70: A 50, C 15 (crosses 52.5); over all rows it would be A, B
		}, []string{"L1", "L4"}},
		{"top products inside a window", []Filter{
			{Kind: FilterDate, Column: col("lines", "invoice_day"), LastDays: 60},
			{Kind: FilterTopShare, Entity: Product, Percent: 90},
			{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(2)},
		}, []string{"L2", "L3", "L9"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := baseDataset(tc.filters...)
			got := runInvoices(t, wh, d, schemas)
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDuckDBParetoTies: equal revenues are ranked by key, so the same
// products are kept every time.
func TestDuckDBParetoTies(t *testing.T) {
	wh := openDuckDB(t,
		`CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data.sales (id VARCHAR, product VARCHAR, revenue DECIMAL(18,2))`,
		`INSERT INTO raw_data.sales VALUES ('s1', 'P1', 40.00), ('s2', 'P3', 30.00), ('s3', 'P2', 30.00), ('s4', 'P4', -5.00)`,
	)
	schemas := tableSchemas(t, wh, "sales")
	for _, tc := range []struct {
		pct  float64
		want []string
	}{
		{40, []string{"s1"}},
		{50, []string{"s1", "s3"}}, // P2 before P3: the tie goes by key
		{70, []string{"s1", "s3"}},
		{70.01, []string{"s1", "s2", "s3"}},
		{100, []string{"s1", "s2", "s3"}}, // a product with negative revenue is never ranked
	} {
		d := &Dataset{
			Name:    "ties",
			Primary: TableRef{Dataset: "raw_data", Table: "sales"},
			Columns: []SelectedColumn{
				{ColumnRef: col("sales", "id")},
				{ColumnRef: col("sales", "product"), Role: RoleProduct},
				{ColumnRef: col("sales", "revenue"), Role: RoleRevenue},
			},
			Filters: []Filter{{Kind: FilterTopShare, Entity: Product, Percent: tc.pct}},
			Split:   Split{Kind: SplitTimeHoldout, HoldoutDays: 1},
		}
		for range 3 {
			if got := runInvoices(t, wh, d, schemas); !slices.Equal(got, tc.want) {
				t.Errorf("top %v%%: %v, want %v", tc.pct, got, tc.want)
			}
		}
	}
}

// TestDuckDBAwkwardNames: names with quotes, spaces, keywords and unicode
// work as tables, columns and aliases.
func TestDuckDBAwkwardNames(t *testing.T) {
	wh := openDuckDB(t,
		`CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data."order ""lines""" ("select" VARCHAR, "prod`+"`"+`uct" VARCHAR, "Ümsatz €" DOUBLE, "from" DATE)`,
		`INSERT INTO raw_data."order ""lines""" VALUES ('a', 'p1', 10, '2024-01-02'), ('b', 'p2', 1, '2024-01-01')`,
	)
	schemas := tableSchemas(t, wh, `order "lines"`)
	d := &Dataset{
		Name:    "awkward",
		Primary: TableRef{Dataset: "raw_data", Table: `order "lines"`},
		Columns: []SelectedColumn{
			{ColumnRef: col(`order "lines"`, "select")},
			{ColumnRef: col(`order "lines"`, "prod`uct"), Alias: `it's "the" product`, Role: RoleProduct},
			{ColumnRef: col(`order "lines"`, "Ümsatz €"), Role: RoleRevenue},
		},
		Filters: []Filter{
			{Kind: FilterDate, Column: col(`order "lines"`, "from"), LastDays: 1},
			{Kind: FilterTopShare, Entity: Product, Percent: 50},
		},
		Split: Split{Kind: SplitTimeHoldout, HoldoutDays: 1},
	}
	got := runInvoices(t, wh, d, schemas)
	if !slices.Equal(got, []string{"a"}) {
		t.Errorf("rows %v", got)
	}
	q, _ := Compile(d, schemas, warehouse.DuckDB)
	if !strings.Contains(q.SQL, `AS "it's ""the"" product"`) {
		t.Errorf("alias not quoted:\n%s", q.SQL)
	}
}
