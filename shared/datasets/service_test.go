package datasets

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// oneWarehouse serves the same warehouse to one tenant and none to others.
type oneWarehouse struct {
	tenant string
	wh     *warehouse.Warehouse
}

func (o oneWarehouse) Warehouse(_ context.Context, tenant string) (*warehouse.Warehouse, error) {
	if tenant != o.tenant {
		return nil, errs.E(errs.NotFound, "no warehouse for tenant %q", tenant)
	}
	return o.wh, nil
}

// fakeUsage is a named fake of the experiments service's usage count
// (experiments do not exist yet).
type fakeUsage map[string]int

func (f fakeUsage) CountExperimentsUsing(_ context.Context, _, id string) (int, error) {
	return f[id], nil
}

func newService(t *testing.T, opts Options) (*Service, *warehouse.Warehouse) {
	t.Helper()
	wh := openDuckDB(t, retailSetup...)
	return New(docstore.NewStore(memdoc.New()), oneWarehouse{"t1", wh}, opts), wh
}

func TestServiceVersions(t *testing.T) {
	ctx := context.Background()
	usage := fakeUsage{}
	s, _ := newService(t, Options{Usage: usage})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.Problem != "" || len(v.Columns) != 6 || v.Columns[2].Name != "product" || v.Columns[2].Role != RoleProduct {
		t.Fatalf("created: version %d problem %q columns %+v", v.Version, v.Problem, v.Columns)
	}
	if _, err := s.Create(ctx, "t1", "ana", *baseDataset()); !errs.Is(err, errs.Conflict) || errs.FieldOf(err) != "name" {
		t.Errorf("same name again: %v (field %q), want conflict on name", err, errs.FieldOf(err))
	}
	missing := *baseDataset()
	missing.Name, missing.Primary.Table = "other", "nope"
	if _, err := s.Create(ctx, "t1", "ana", missing); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "primary_table" {
		t.Errorf("missing table: %v (field %q)", err, errs.FieldOf(err))
	}

	// A new description alone keeps the version; a filter makes version 2.
	d := *baseDataset()
	d.Description = "invoice lines"
	res, err := s.Update(ctx, "t1", "bo", v.ID, d, 1)
	if err != nil || res.NewVersion || res.Dataset.Version != 1 || res.Dataset.Description != "invoice lines" {
		t.Fatalf("describe: %+v, %v", res, err)
	}
	d.Filters = []Filter{{Kind: FilterTopShare, Entity: Product, Percent: 50}}
	res, err = s.Update(ctx, "t1", "bo", v.ID, d, 1)
	if err != nil || !res.NewVersion || res.Dataset.Version != 2 || len(res.Dataset.FilterSummary) != 1 {
		t.Fatalf("filter: %+v, %v", res, err)
	}
	if _, err := s.Update(ctx, "t1", "bo", v.ID, d, 1); !errs.Is(err, errs.Conflict) {
		t.Errorf("stale version: %v, want conflict", err)
	}
	vs, err := s.Versions(ctx, "t1", v.ID)
	if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	if len(vs[1].Model.Filters) != 0 || len(vs[0].Model.Filters) != 1 || vs[1].CreatedBy != "ana" || vs[0].CreatedBy != "bo" {
		t.Errorf("version 1 must keep its model: %+v", vs[1].Model.Filters)
	}
	want, _ := Compile(&d, tableSchemas(t, s.whs.(oneWarehouse).wh, "lines", "products", "customers"), warehouse.DuckDB)
	got, err := s.SQL(ctx, "t1", v.ID, 0, warehouse.DuckDB, false)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("SQL(current) = %+v, %v; want the compiled SQL", got, err)
	}
	if q, err := s.SQL(ctx, "t1", v.ID, 1, warehouse.BigQuery, true); err != nil || q.SQL == "" {
		t.Errorf("training SQL of version 1: %v", err)
	}
	if _, err := s.Version(ctx, "t1", v.ID, 3); !errs.Is(err, errs.NotFound) {
		t.Errorf("version 3: %v", err)
	}

	// Tenants are isolated; a dataset in use is not deleted.
	if _, err := s.Get(ctx, "t2", v.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("other tenant: %v", err)
	}
	usage[v.ID] = 2
	if err := s.Delete(ctx, "t1", v.ID); !errs.Is(err, errs.Conflict) || errs.UserMessage(err) != `the dataset "retail" is used by 2 experiment(s): delete those experiments first` {
		t.Errorf("delete in use: %v / %q", err, errs.UserMessage(err))
	}
	if _, err := s.Version(ctx, "t1", v.ID, 1); err != nil {
		t.Errorf("refused delete removed something: %v", err)
	}
	usage[v.ID] = 0
	if err := s.Delete(ctx, "t1", v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Versions(ctx, "t1", v.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("after delete: %v", err)
	}
	if _, err := s.Create(ctx, "t1", "ana", *baseDataset()); err != nil {
		t.Errorf("the name is free again after delete: %v", err)
	}
}

func TestServiceStats(t *testing.T) {
	ctx := context.Background()
	s, wh := newService(t, Options{TopValues: 3})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, "t1", v.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 7 || st.Cached || len(st.Columns) != 6 {
		t.Fatalf("rows %d cached %v columns %d", st.Rows, st.Cached, len(st.Columns))
	}
	byName := map[string]ColumnStats{}
	for _, c := range st.Columns {
		byName[c.Name] = c
	}
	amount := byName["amount"]
	// amounts of the 7 joined rows: 50 20 10 15 5 NULL 0
	if amount.Count != 6 || amount.Nulls != 1 || amount.Distinct != 6 || amount.Min != 0.0 || amount.Max != 50.0 {
		t.Errorf("amount: %+v", amount)
	}
	for name, c := range map[string]struct{ got *float64 }{"mean": {amount.Mean}, "p25": {amount.P25}, "p50": {amount.P50}, "p75": {amount.P75}} {
		want := map[string]float64{"mean": 100.0 / 6, "p25": 6.25, "p50": 12.5, "p75": 18.75}[name]
		if c.got == nil || math.Abs(*c.got-want) > 1e-9 {
			t.Errorf("amount %s = %v, want %v", name, c.got, want)
		}
	}
	cust := byName["customer_id"]
	if cust.Distinct != 3 || math.Abs(cust.Uniqueness-3.0/7) > 1e-9 || len(cust.Top) != 3 ||
		*cust.Top[0].Value != "c2" || cust.Top[0].Count != 3 || *cust.Top[1].Value != "c1" || *cust.Top[2].Value != "c3" {
		t.Errorf("customer_id: %+v top %v", cust, cust.Top)
	}
	cat := byName["category"]
	if cat.Count != 5 || cat.Nulls != 2 || *cat.Top[0].Value != "garden" || cat.Top[0].Count != 3 || *cat.Top[1].Value != "toys" || cat.Top[2].Value != nil || cat.Top[2].Count != 2 {
		t.Errorf("category: %+v top %+v", cat, cat.Top)
	}
	ts := byName["invoice_ts"]
	if ts.Min != time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC) || ts.Max != time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC) || ts.Mean != nil {
		t.Errorf("invoice_ts: %+v", ts)
	}

	again, err := s.Stats(ctx, "t1", v.ID, false)
	if err != nil || !again.Cached || again.Rows != 7 {
		t.Errorf("second call: cached %v rows %d, %v", again.Cached, again.Rows, err)
	}
	if _, err := wh.Query(ctx, `INSERT INTO raw_data.lines VALUES ('L8', 'c1', 'B', '2024-03-02 00:00:00+00', '2024-03-02', 1, 1)`, nil, 0); err != nil {
		t.Fatal(err)
	}
	changed, err := s.Stats(ctx, "t1", v.ID, false)
	if err != nil || changed.Cached || changed.Rows != 8 {
		t.Errorf("after the table changed: cached %v rows %d, %v", changed.Cached, changed.Rows, err)
	}
	if fresh, err := s.Stats(ctx, "t1", v.ID, true); err != nil || fresh.Cached {
		t.Errorf("refresh: cached %v, %v", fresh.Cached, err)
	}

	tbl, err := s.TableStats(ctx, "t1", TableRef{Dataset: "raw_data", Table: "products"}, false)
	if err != nil || tbl.Rows != 4 || len(tbl.Columns) != 3 || tbl.Columns[0].Name != "code" || tbl.Columns[0].Uniqueness != 1 {
		t.Errorf("table stats: %+v, %v", tbl, err)
	}
	if _, err := s.TableStats(ctx, "t1", TableRef{Dataset: MetaDataset, Table: "tables"}, false); !errs.Is(err, errs.Invalid) {
		t.Errorf("metadata table stats: %v, want invalid", err)
	}
}

func TestServiceQuality(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Options{Quality: Thresholds{ColdStart: 3}})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Quality(ctx, "t1", v.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Measures
	first, last := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC)
	want := Measures{RowsBeforeFilters: 7, Rows: 7, Customers: 3, Products: 5, Interactions: 7, Pairs: 5,
		PerCustomer: 7.0 / 3, PerProduct: 7.0 / 5, Sparsity: 1 - 5.0/15, ColdCustomers: 2, ColdCustomerShare: 2.0 / 3,
		ColdProducts: 4, ColdProductShare: 4.0 / 5, First: &first, Last: &last, SpanDays: 121.5, HasTimestamp: true}
	if math.Abs(m.Sparsity-want.Sparsity) < 1e-12 {
		want.Sparsity = m.Sparsity
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("measures:\n got %+v\nwant %+v", m, want)
	}
	codes := []string{}
	for _, is := range r.Issues {
		codes = append(codes, is.Code)
	}
	wantCodes := []string{"few_rows", "few_interactions_per_customer", "few_interactions_per_product", "cold_customers", "cold_products"}
	if !slices.Equal(codes, wantCodes) || r.Score != 100-30-4*10 || r.Thresholds.ColdStart != 3 || r.Thresholds.MinRows != 1000 {
		t.Errorf("issues %v score %d thresholds %+v", codes, r.Score, r.Thresholds)
	}

	d := *baseDataset(Filter{Kind: FilterTopShare, Entity: Product, Percent: 50})
	fr, err := s.QualityOf(ctx, "t1", d)
	if err != nil {
		t.Fatal(err)
	}
	if fr.Measures.Rows != 1 || fr.Measures.RowsBeforeFilters != 7 || math.Abs(fr.Measures.FilteredShare-6.0/7) > 1e-9 || !slices.ContainsFunc(fr.Issues, func(i Issue) bool { return i.Code == "filtered_out" }) {
		t.Errorf("filtered: %+v %+v", fr.Measures, fr.Issues)
	}
}

func TestAssessScoresAndThresholds(t *testing.T) {
	good := Measures{Rows: 50000, RowsBeforeFilters: 60000, FilteredShare: 1.0 / 6, Customers: 1000, Products: 500,
		Interactions: 50000, Pairs: 30000, PerCustomer: 50, PerProduct: 100, Sparsity: 0.94, ColdCustomerShare: 0.1,
		ColdProductShare: 0.2, SpanDays: 365, HasTimestamp: true, DuplicateRows: 10, DuplicateShare: 0.0002}
	cases := []struct {
		name  string
		edit  func(m *Measures)
		codes []string
		score int
	}{
		{"good data", func(*Measures) {}, nil, 100},
		{"short span", func(m *Measures) { m.SpanDays = 30 }, []string{"short_span"}, 90},
		{"span without timestamp role is not judged", func(m *Measures) { m.SpanDays, m.HasTimestamp = 0, false }, nil, 100},
		{"duplicates", func(m *Measures) { m.DuplicateShare = 0.05 }, []string{"duplicate_rows"}, 90},
		{"sparse", func(m *Measures) { m.Sparsity = 0.9995 }, []string{"sparse"}, 90},
		{"everything", func(m *Measures) {
			*m = Measures{Rows: 10, Customers: 10, Products: 10, Interactions: 10, PerCustomer: 1, PerProduct: 1, Sparsity: 0.9999,
				ColdCustomerShare: 1, ColdProductShare: 1, HasTimestamp: true, SpanDays: 1, FilteredShare: 0.99, DuplicateShare: 0.5}
		}, []string{"few_rows", "few_interactions_per_customer", "few_interactions_per_product", "sparse", "cold_customers", "cold_products", "short_span", "filtered_out", "duplicate_rows"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good
			c.edit(&m)
			r := Assess(m, Thresholds{})
			var codes []string
			for _, is := range r.Issues {
				codes = append(codes, is.Code)
				if is.Message == "" || is.Threshold == 0 {
					t.Errorf("issue %s without message or threshold", is.Code)
				}
			}
			if !slices.Equal(codes, c.codes) || r.Score != c.score {
				t.Errorf("codes %v score %d, want %v %d", codes, r.Score, c.codes, c.score)
			}
			if r.Thresholds != DefaultThresholds {
				t.Errorf("thresholds shown %+v", r.Thresholds)
			}
		})
	}
}

func TestServicePreviewIsSeeded(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Options{})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Preview(ctx, "t1", v.ID, 42, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Preview(ctx, "t1", v.ID, 42, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Rows) != 3 || a.Total != 7 || !reflect.DeepEqual(a.Rows, b.Rows) || len(a.Columns) != 6 || len(a.Rows[0]) != 6 {
		t.Fatalf("preview: %d rows total %d, same seed same rows %v", len(a.Rows), a.Total, reflect.DeepEqual(a.Rows, b.Rows))
	}
	firsts := map[string]bool{}
	for seed := int64(1); seed <= 12; seed++ {
		p, err := s.Preview(ctx, "t1", v.ID, seed, 7)
		if err != nil {
			t.Fatal(err)
		}
		var inv []string
		for _, r := range p.Rows {
			inv = append(inv, r[0].(string))
		}
		firsts[inv[0]] = true
		slices.Sort(inv)
		if !slices.Equal(inv, []string{"L1", "L2", "L3", "L4", "L5", "L6", "L9"}) {
			t.Fatalf("seed %d: rows %v, want all joined rows", seed, inv)
		}
	}
	if len(firsts) < 3 {
		t.Errorf("12 seeds put only %v first: the order does not depend on the seed", firsts)
	}
	// An unsaved model previews too (the wizard), with its filters.
	p, err := s.PreviewOf(ctx, "t1", *baseDataset(Filter{Kind: FilterTopShare, Entity: Product, Percent: 50}), 1, 10)
	if err != nil || p.Total != 1 || len(p.Rows) != 1 || p.Rows[0][0] != "L1" {
		t.Errorf("model preview: %+v, %v", p, err)
	}
	if _, err := s.Preview(ctx, "t1", v.ID, 1, MaxPreviewRows+1); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "limit" {
		t.Errorf("limit too large: %v", err)
	}
}

func TestQueryJSONKeepsParameterTypes(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 30, 0, 5, time.UTC)
	q := Query{SQL: "SELECT @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9", Params: []warehouse.Param{
		{Name: "p1", Value: int64(9007199254740993)}, {Name: "p2", Value: 50.0}, {Name: "p3", Value: "x'; --"},
		{Name: "p4", Value: true}, {Name: "p5", Value: ts}, {Name: "p6", Value: nil},
		{Name: "p7", Value: []string{"a'b", ""}}, {Name: "p8", Value: []int64{1 << 62, -3}}, {Name: "p9", Value: []bool{true, false}},
	}}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var back Query
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, q) {
		t.Errorf("round trip:\n got %#v\nwant %#v", back.Params, q.Params)
	}
	if err := json.Unmarshal([]byte(`{"sql":"x","params":[{"name":"p1","type":"int64","value":"1.5"}]}`), &back); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad int64: %v", err)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{
		"B2B_DATASET_TOP_VALUES": "20", "B2B_DATASET_QUERY_TIMEOUT": "2m", "B2B_DATASET_QUALITY_COLD_START": "3",
		"B2B_DATASET_QUALITY_MIN_ROWS": "500", "B2B_DATASET_QUALITY_MAX_SPARSITY": "0.99", "B2B_DATASET_MAX_FILTERS": "2",
	}
	o, err := OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil || o.TopValues != 20 || o.QueryTimeout != 2*time.Minute || o.Quality.ColdStart != 3 || o.Quality.MinRows != 500 || o.Quality.MaxSparsity != 0.99 || o.Limits.Filters != 2 {
		t.Errorf("options %+v, %v", o, err)
	}
	for k, v := range map[string]string{"B2B_DATASET_TOP_VALUES": "x", "B2B_DATASET_QUERY_TIMEOUT": "5", "B2B_DATASET_QUALITY_MAX_COLD_SHARE": "-1", "B2B_DATASET_QUALITY_MIN_ROWS": "0", "B2B_DATASET_MAX_TABLES": "17"} {
		_, err := OptionsFromEnv(func(n string) string {
			if n == k {
				return v
			}
			return ""
		})
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

func TestServicePareto(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Options{})
	// Product revenue A 50, B 30, C 15, D 5 (X has none); the top-share
	// filter on products is left out of its own curve, a row filter is not.
	d := *baseDataset(Filter{Kind: FilterTopShare, Entity: Product, Percent: 10})
	p, err := s.ParetoOf(ctx, "t1", d, Product, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []ParetoPoint{{1, "A", 50, 0.5}, {2, "B", 30, 0.8}, {3, "C", 15, 0.95}, {4, "D", 5, 1}}
	if p.Entities != 4 || !reflect.DeepEqual(p.Points, want) {
		t.Errorf("pareto %+v", p)
	}
	p, err = s.ParetoOf(ctx, "t1", d, Product, 2)
	if err != nil || len(p.Points) != 2 || p.Points[0].Rank != 1 || p.Points[1].Rank != 4 || p.Entities != 4 {
		t.Errorf("two points: %+v, %v", p, err)
	}
	p, err = s.ParetoOf(ctx, "t1", d, Product, 3)
	if err != nil || len(p.Points) != 3 || p.Points[1].Rank != 2 {
		t.Errorf("three points: %+v, %v", p, err)
	}
	cust, err := s.ParetoOf(ctx, "t1", *baseDataset(Filter{Kind: FilterNumeric, Column: col("lines", "amount"), Op: "gt", Value: fp(12)}), Customer, 10)
	// amounts > 12: c1 50, c2 20, c3 15
	if err != nil || cust.Entities != 3 || cust.Points[0].Key != "c1" || cust.Points[0].Revenue != 50 {
		t.Errorf("customers with a row filter: %+v, %v", cust, err)
	}
	if _, err := s.ParetoOf(ctx, "t1", d, "shop", 10); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "entity" {
		t.Errorf("bad entity: %v", err)
	}
}

func TestServiceLimits(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Options{Limits: Limits{Filters: 1, FilterValues: 2}})
	two := *baseDataset(Filter{Kind: FilterTopShare, Entity: Product, Percent: 50}, Filter{Kind: FilterTopShare, Entity: Customer, Percent: 50})
	_, err := s.Create(ctx, "t1", "ana", two)
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "filters" || !strings.Contains(errs.UserMessage(err), "B2B_DATASET_MAX_FILTERS") {
		t.Errorf("two filters over a limit of one: %v", err)
	}
	s2 := New(s.docs, s.whs, Options{Limits: Limits{Tables: 2}})
	three := *baseDataset() // lines, products, customers
	if _, err := s2.PreviewOf(ctx, "t1", three, 1, 5); errs.FieldOf(err) != "secondary_tables" {
		t.Errorf("three tables over a limit of two: %v", err)
	}
	cat := *baseDataset(Filter{Kind: FilterCategory, Column: col("products", "category"), Values: []string{"a", "b", "c"}})
	if _, err := s.CompileModel(ctx, "t1", cat); errs.FieldOf(err) != "filters[0].values" {
		t.Errorf("three values over a limit of two: %v", err)
	}
}

func TestServiceNumericRevenue(t *testing.T) {
	ctx := context.Background()
	wh := openDuckDB(t, `CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data.dec (customer_id VARCHAR, stock_code VARCHAR, amount DECIMAL(18,2))`,
		`INSERT INTO raw_data.dec VALUES ('c1','A',10.10), ('c1','B',0.20), ('c2','A',5.05), ('c2','C',NULL)`)
	s := New(docstore.NewStore(memdoc.New()), oneWarehouse{"t1", wh}, Options{})
	d := Dataset{Name: "dec", Primary: TableRef{Dataset: "raw_data", Table: "dec"}, Split: Split{Kind: SplitTimeHoldout, HoldoutDays: 1},
		Columns: []SelectedColumn{{ColumnRef: col("dec", "customer_id"), Role: RoleCustomer}, {ColumnRef: col("dec", "stock_code"), Role: RoleProduct}, {ColumnRef: col("dec", "amount"), Role: RoleRevenue}}}
	p, err := s.ParetoOf(ctx, "t1", d, Product, 10)
	if err != nil || len(p.Points) != 2 || p.Points[0].Key != "A" || math.Abs(p.Points[0].Revenue-15.15) > 1e-9 || math.Abs(p.Points[0].Share-15.15/15.35) > 1e-9 {
		t.Errorf("pareto over NUMERIC revenue: %+v, %v", p, err)
	}
	v, err := s.Create(ctx, "t1", "ana", d)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, "t1", v.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	amt := st.Columns[2]
	if amt.Type != warehouse.Numeric || amt.Mean == nil || math.Abs(*amt.Mean-15.35/3) > 1e-9 || amt.Min != "0.2" || amt.Max != "10.1" {
		t.Errorf("NUMERIC stats: %+v mean %v", amt, amt.Mean)
	}
}

func TestServiceDeleteManyVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Options{})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	// More versions than one transaction deletes.
	const n = 2*deleteBatch + 5
	r, _, err := s.get(ctx, "t1", v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if _, err := docstore.Put(ctx, s.docs, versionKey("t1", v.ID, i), Version{DatasetID: v.ID, Number: i}, docstore.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	r.Version = n
	if _, err := docstore.Put(ctx, s.docs, key("t1", v.ID), r, docstore.Any); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "t1", v.ID); err != nil {
		t.Fatal(err)
	}
	left, err := s.docs.List(ctx, docstore.Query{Tenant: "t1", Kind: VersionKind})
	if err != nil || len(left) != 0 {
		t.Errorf("%d versions left after delete, %v", len(left), err)
	}
}

func TestServiceViewProblemWhenATableIsGone(t *testing.T) {
	ctx := context.Background()
	s, wh := newService(t, Options{})
	v, err := s.Create(ctx, "t1", "ana", *baseDataset())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Query(ctx, `DROP TABLE raw_data.products`, nil, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "t1", v.ID)
	if err != nil || len(got.Columns) != 0 || !strings.Contains(got.Problem, `"products"`) {
		t.Errorf("view of a dataset whose table is gone: columns %v problem %q, %v", got.Columns, got.Problem, err)
	}
}
