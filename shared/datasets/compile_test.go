package datasets

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files")

// goldenCases covers every filter kind and a combination of all.
var goldenCases = []struct {
	name    string
	filters []Filter
}{
	{"no_filters", nil},
	{"rolling_timestamp", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 180}}},
	{"rolling_date", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), LastDays: 7}}},
	{"fixed_dates_timestamp", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), Start: "2024-01-01", End: "2024-01-31"}}},
	{"fixed_start_date_nulls", []Filter{{Kind: FilterDate, Column: col("lines", "invoice_day"), Start: "2024-01-01", IncludeNulls: true}}},
	{"category_include", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include", Values: []string{"toys", "'; DROP TABLE x; --"}}}},
	{"category_include_nulls", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include", Values: []string{"toys"}, IncludeNulls: true}}},
	{"category_exclude", []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "exclude", Values: []string{"toys"}}}},
	{"category_exclude_nulls", []Filter{{Kind: FilterCategory, Column: col("customers", "country"), Mode: "exclude", Values: []string{"UK", "FR"}, IncludeNulls: true}}},
	{"numeric_between", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "between", Min: fp(1), Max: fp(10)}}},
	{"numeric_gt_nulls", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "gt", Value: fp(2.5), IncludeNulls: true}}},
	{"numeric_lt", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "lt", Value: fp(100)}}},
	{"numeric_eq", []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "eq", Value: fp(3)}}},
	{"top_products", []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 80}}},
	{"top_customers", []Filter{{Kind: FilterTopShare, Entity: Customer, Percent: 50}}},
	{"customer_min_transactions", []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(2)}}},
	{"customer_spend_range", []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Revenue, Min: fp(10), Max: fp(500)}}},
	{"product_max_transactions", []Filter{{Kind: FilterEntityMetric, Entity: Product, Metric: Transactions, Max: fp(1000)}}},
	{"combined", []Filter{
		{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 180},
		{Kind: FilterCategory, Column: col("customers", "country"), Mode: "include", Values: []string{"UK"}},
		{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "gt", Value: fp(0)},
		{Kind: FilterTopShare, Entity: Product, Percent: 80},
		{Kind: FilterTopShare, Entity: Customer, Percent: 90},
		{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(2)},
	}},
}

func renderGolden(q Query) string {
	var b strings.Builder
	b.WriteString(q.SQL)
	b.WriteString("\n")
	for _, p := range q.Params {
		fmt.Fprintf(&b, "-- @%s = %T %v\n", p.Name, p.Value, p.Value)
	}
	return b.String()
}

func TestCompileGolden(t *testing.T) {
	for _, tc := range goldenCases {
		for _, d := range []warehouse.Dialect{warehouse.BigQuery, warehouse.DuckDB} {
			t.Run(tc.name+"/"+string(d), func(t *testing.T) {
				q, err := Compile(baseDataset(tc.filters...), testSchemas, d)
				if err != nil {
					t.Fatal(err)
				}
				got := renderGolden(q)
				path := filepath.Join("testdata", "golden", tc.name+"."+string(d)+".sql")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update once to create it)", err)
				}
				if got != string(want) {
					t.Errorf("SQL differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

// TestCompileSameModelBothDialects: the two dialects differ only in quoting
// and date arithmetic; the parameters are the same.
func TestCompileSameParams(t *testing.T) {
	for _, tc := range goldenCases {
		bq, err := Compile(baseDataset(tc.filters...), testSchemas, warehouse.BigQuery)
		if err != nil {
			t.Fatal(err)
		}
		dd, err := Compile(baseDataset(tc.filters...), testSchemas, warehouse.DuckDB)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(bq.Params) != fmt.Sprint(dd.Params) {
			t.Errorf("%s: params differ: %v vs %v", tc.name, bq.Params, dd.Params)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(d *Dataset)
		field  string
	}{
		{"no name", func(d *Dataset) { d.Name = " " }, "name"},
		{"metadata table", func(d *Dataset) { d.Primary.Dataset = "_b2brecs_meta" }, "primary_table"},
		{"unknown table", func(d *Dataset) { d.Secondary[0].Table = "nope" }, "secondary_tables[0]"},
		{"duplicate table", func(d *Dataset) { d.Secondary[1].Table = "Products" }, "secondary_tables[1]"},
		{"unknown column", func(d *Dataset) { d.Columns[0].Column = "nope" }, "columns[0]"},
		{"join type", func(d *Dataset) { d.Joins[0].Type = "outer" }, "joins[0].type"},
		{"join self", func(d *Dataset) { d.Joins[0].Right = col("lines", "invoice_no") }, "joins[0]"},
		{"join types differ", func(d *Dataset) { d.Joins[0].Left = col("lines", "quantity") }, "joins[0]"},
		{"join column unknown", func(d *Dataset) { d.Joins[1].Right = col("customers", "nope") }, "joins[1].right"},
		{"table not joined", func(d *Dataset) { d.Joins = d.Joins[:1] }, "secondary_tables[1]"},
		{"join cycle", func(d *Dataset) {
			d.Joins = append(d.Joins, Join{Left: col("products", "code"), Right: col("customers", "id"), Type: LeftJoin})
		}, "joins[2]"},
		{"alias taken", func(d *Dataset) { d.Columns[1].Alias = "INVOICE_NO" }, "columns[1].alias"},
		{"reserved alias", func(d *Dataset) { d.Columns[1].Alias = "_b2b_x" }, "columns[1].alias"},
		{"selected twice", func(d *Dataset) {
			d.Columns = append(d.Columns, SelectedColumn{ColumnRef: col("lines", "amount"), Alias: "a2"})
		}, "columns[6]"},
		{"role twice", func(d *Dataset) { d.Columns[0].Role = RoleCustomer }, "columns[1].role"},
		{"role type", func(d *Dataset) { d.Columns[5].Role = RoleRevenue; d.Columns[4].Role = RoleQuantity }, "columns[5].role"},
		{"unknown role", func(d *Dataset) { d.Columns[0].Role = "boss" }, "columns[0].role"},
		{"split", func(d *Dataset) { d.Split = Split{Kind: SplitRandom, TrainPercent: 80, ValPercent: 20} }, "split.val_percent"},
		{"split kind", func(d *Dataset) { d.Split = Split{} }, "split.kind"},
		{"column used twice", func(d *Dataset) {
			d.Filters = []Filter{
				{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "gt", Value: fp(1)},
				{Kind: FilterNumeric, Column: col("LINES", "Quantity"), Op: "lt", Value: fp(9)},
			}
		}, "filters[1].column"},
		{"revenue aggregated and filtered", func(d *Dataset) {
			d.Filters = []Filter{
				{Kind: FilterNumeric, Column: col("lines", "amount"), Op: "gt", Value: fp(1)},
				{Kind: FilterTopShare, Entity: Product, Percent: 80},
			}
		}, "filters[0].column"},
		{"two top shares", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 80}, {Kind: FilterTopShare, Entity: Product, Percent: 50}}
		}, "filters[1]"},
		{"no product role", func(d *Dataset) {
			d.Columns[2].Role = ""
			d.Filters = []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 80}}
		}, "filters[0].entity"},
		{"no revenue role", func(d *Dataset) {
			d.Columns[4].Role = ""
			d.Filters = []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Revenue, Min: fp(1)}}
		}, "filters[0].kind"},
		{"date filter on text", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterDate, Column: col("lines", "invoice_no"), LastDays: 3}}
		}, "filters[0].column"},
		{"numeric filter on text", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterNumeric, Column: col("lines", "invoice_no"), Op: "gt", Value: fp(3)}}
		}, "filters[0].column"},
		{"category on float", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterCategory, Column: col("lines", "amount"), Mode: "include", Values: []string{"1"}}}
		}, "filters[0].column"},
		{"category int value", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterCategory, Column: col("lines", "quantity"), Mode: "include", Values: []string{"x"}}}
		}, "filters[0].values"},
		{"bad date", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), Start: "01/02/2024"}}
		}, "filters[0].start"},
		{"end before start", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), Start: "2024-02-01", End: "2024-01-01"}}
		}, "filters[0].end"},
		{"rolling and fixed", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 3, Start: "2024-02-01"}}
		}, "filters[0].last_days"},
		{"percent", func(d *Dataset) { d.Filters = []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 120}} }, "filters[0].percent"},
		{"entity", func(d *Dataset) { d.Filters = []Filter{{Kind: FilterTopShare, Entity: "shop", Percent: 20}} }, "filters[0].entity"},
		{"metric range", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(5), Max: fp(2)}}
		}, "filters[0].max"},
		{"metric bounds", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions}}
		}, "filters[0].min"},
		{"category empty", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterCategory, Column: col("products", "category"), Mode: "include"}}
		}, "filters[0].values"},
		{"numeric op", func(d *Dataset) {
			d.Filters = []Filter{{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "ge", Value: fp(1)}}
		}, "filters[0].op"},
		{"filter kind", func(d *Dataset) { d.Filters = []Filter{{Kind: "magic"}} }, "filters[0].kind"},
		{"filter column missing", func(d *Dataset) { d.Filters = []Filter{{Kind: FilterNumeric, Op: "gt", Value: fp(1)}} }, "filters[0].column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := baseDataset()
			tc.modify(d)
			_, err := Compile(d, testSchemas, warehouse.DuckDB)
			if err == nil {
				t.Fatal("no error")
			}
			if errs.KindOf(err) != errs.Invalid {
				t.Errorf("kind %v, want invalid: %v", errs.KindOf(err), err)
			}
			if got := errs.FieldOf(err); got != tc.field {
				t.Errorf("field %q, want %q (%v)", got, tc.field, err)
			}
			msg := errs.UserMessage(err)
			if msg == "" || strings.Contains(msg, "datasets:") || strings.Contains(msg, "warehouse:") {
				t.Errorf("user message %q", msg)
			}
		})
	}
}

// TestJoinUsesSavedColumns: each side of a join uses its own saved column,
// and a join between two secondary tables (not through the primary) works
// whatever order the joins are given in.
func TestJoinUsesSavedColumns(t *testing.T) {
	schemas := Schemas{
		"lines":      {{Name: "sku", Type: warehouse.String}, {Name: "qty", Type: warehouse.Int64}},
		"products":   {{Name: "product_code", Type: warehouse.String}, {Name: "cat_ref", Type: warehouse.Int64}},
		"categories": {{Name: "id", Type: warehouse.Int64}, {Name: "label", Type: warehouse.String}},
	}
	d := &Dataset{
		Name:      "chain",
		Primary:   TableRef{Dataset: "raw_data", Table: "lines"},
		Secondary: []TableRef{{Dataset: "raw_data", Table: "products"}, {Dataset: "raw_data", Table: "categories"}},
		Joins: []Join{
			{Left: col("products", "cat_ref"), Right: col("categories", "id"), Type: InnerJoin},
			{Left: col("lines", "sku"), Right: col("products", "product_code"), Type: LeftJoin},
		},
		Columns: []SelectedColumn{{ColumnRef: col("lines", "sku")}, {ColumnRef: col("categories", "label")}},
		Split:   Split{Kind: SplitTimeHoldout, HoldoutDays: 1},
	}
	q, err := Compile(d, schemas, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`LEFT JOIN "raw_data"."products" AS t1 ON t0."sku" = t1."product_code"`,
		`INNER JOIN "raw_data"."categories" AS t2 ON t1."cat_ref" = t2."id"`,
	} {
		if !strings.Contains(q.SQL, want) {
			t.Errorf("SQL lacks %s:\n%s", want, q.SQL)
		}
	}
	if strings.Index(q.SQL, "LEFT JOIN") > strings.Index(q.SQL, "INNER JOIN") {
		t.Errorf("joins out of order:\n%s", q.SQL)
	}
}

func TestOutputNames(t *testing.T) {
	d := baseDataset()
	d.Columns = []SelectedColumn{
		{ColumnRef: col("lines", "customer_id")},
		{ColumnRef: col("customers", "id")},
		{ColumnRef: col("products", "code"), Alias: "Product Code"},
		{ColumnRef: col("customers", "country")},
	}
	q, err := Compile(d, Schemas{
		"lines":     testSchemas["lines"],
		"products":  testSchemas["products"],
		"customers": {{Name: "id", Type: warehouse.String}, {Name: "customer_id", Type: warehouse.String}, {Name: "country", Type: warehouse.String}},
	}, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "customer_id", "id", "Product Code", "country"`
	if !strings.Contains(q.SQL, want) {
		t.Errorf("want %s in\n%s", want, q.SQL)
	}
	d.Columns = append(d.Columns, SelectedColumn{ColumnRef: col("customers", "customer_id")})
	q, err = Compile(d, Schemas{
		"lines":     testSchemas["lines"],
		"products":  testSchemas["products"],
		"customers": {{Name: "id", Type: warehouse.String}, {Name: "customer_id", Type: warehouse.String}, {Name: "country", Type: warehouse.String}},
	}, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.SQL, `t2."customer_id" AS "customers_customer_id"`) {
		t.Errorf("a taken name becomes <table>_<column>:\n%s", q.SQL)
	}
	// Nothing selected: every column of the primary table.
	d.Columns = nil
	q, err = Compile(d, testSchemas, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.SQL, `SELECT "invoice_no", "customer_id", "stock_code", "invoice_ts", "invoice_day", "quantity", "amount"`+"\n") {
		t.Errorf("default columns:\n%s", q.SQL)
	}
}

func TestSummary(t *testing.T) {
	got := Summary([]Filter{
		{Kind: FilterDate, Column: col("lines", "invoice_ts"), LastDays: 180},
		{Kind: FilterDate, Column: col("lines", "invoice_day"), Start: "2024-01-01", End: "2024-03-31", IncludeNulls: true},
		{Kind: FilterCategory, Column: col("customers", "country"), Mode: "exclude", Values: []string{"UK", "FR"}},
		{Kind: FilterNumeric, Column: col("lines", "quantity"), Op: "between", Min: fp(1)},
		{Kind: FilterNumeric, Column: col("lines", "amount"), Op: "eq", Value: fp(2.5)},
		{Kind: FilterTopShare, Entity: Product, Percent: 80},
		{Kind: FilterEntityMetric, Entity: Customer, Metric: Transactions, Min: fp(2)},
		{Kind: FilterEntityMetric, Entity: Customer, Metric: Revenue, Min: fp(10), Max: fp(500)},
	})
	want := []string{
		"1. lines.invoice_ts is within the last 180 days, counted back from the latest lines.invoice_ts in the data; rows where it is empty are dropped",
		"2. lines.invoice_day is from 2024-01-01 to 2024-03-31 (inclusive); rows where it is empty are kept",
		`3. customers.country is none of: "UK", "FR"; rows where it is empty are dropped`,
		"4. lines.quantity is at least 1; rows where it is empty are dropped",
		"5. lines.amount equals 2.5; rows where it is empty are dropped",
		"6. only the top 80% of products by revenue (ranked by revenue, up to and including the product that crosses 80% of the total)",
		"7. only customers whose number of transactions is at least 2",
		"8. only customers whose total revenue is between 10 and 500 (inclusive)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTableSpelling: a table named in another case is written as the
// warehouse spells it (BigQuery table names are case-sensitive).
func TestTableSpelling(t *testing.T) {
	d := baseDataset()
	d.Primary.Table = "LINES"
	for i := range d.Columns {
		if d.Columns[i].Table == "lines" {
			d.Columns[i].Table = "Lines"
		}
	}
	q, err := Compile(d, testSchemas, warehouse.BigQuery)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.SQL, "FROM `raw_data`.`lines` AS t0") {
		t.Errorf("table spelling:\n%s", q.SQL)
	}
}
