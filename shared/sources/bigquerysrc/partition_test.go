package bigquerysrc_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/bigquerysrc/bqrequestfake"
	"github.com/b2brecs/b2brecs/shared/sources/sourcetest"
)

// TestPartitions (request fake): the estimate comes from the table's
// metadata, the bounds from one MIN/MAX query job in the billing project,
// the cuts from one APPROX_QUANTILES query job,
// and a range read puts its bounds in typed parameters, never in the SQL.
func TestPartitions(t *testing.T) {
	f, src := fake(t)
	orders := f.Tables[data+".sales.orders"]
	orders.Bytes = 4096
	f.Tables[data+".sales.orders"] = orders
	if !src.CanPartition() {
		t.Fatal("the BigQuery source cannot be partitioned")
	}
	size, err := src.Estimate(ctx(t), "", "orders")
	if err != nil || size != (sources.Size{Rows: 3, Bytes: 4096}) {
		t.Fatalf("Estimate(orders) = %+v, %v; want 3 rows, 4096 bytes", size, err)
	}
	if size, err := src.Estimate(ctx(t), "", "orders_view"); err != nil || size != (sources.Size{Rows: -1, Bytes: -1}) {
		t.Errorf("Estimate(view) = %+v, %v; want unknown", size, err)
	}
	var queries []bqrequestfake.Query
	f.Answer = func(q bqrequestfake.Query) ([]bqrequestfake.Field, [][]any, int) {
		queries = append(queries, q)
		if strings.HasPrefix(q.Query, "SELECT MIN(") {
			return []bqrequestfake.Field{{Name: "lo", Type: "INTEGER"}, {Name: "hi", Type: "INTEGER"}}, [][]any{{"1", "3"}}, http.StatusOK
		}
		if strings.HasPrefix(q.Query, "SELECT APPROX_QUANTILES(") {
			return []bqrequestfake.Field{{Name: "q", Type: "INTEGER", Mode: "REPEATED"}}, [][]any{{[]any{"1", "5", "5", "13", "20"}}}, http.StatusOK
		}
		return []bqrequestfake.Field{orderFields[0], orderFields[1], orderFields[3]}, nil, http.StatusOK
	}
	lo, hi, err := src.Bounds(ctx(t), "", "orders", "id")
	if err != nil || !sourcetest.Same(lo, int64(1)) || !sourcetest.Same(hi, int64(3)) {
		t.Fatalf("Bounds(id) = %v, %v, %v; want 1, 3", lo, hi, err)
	}
	if _, _, err := src.Bounds(ctx(t), "", "orders", "customer"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Bounds of a STRING column: %v, want invalid", err)
	}
	// min, 3 quantiles (two equal), max: the distinct quantiles are the cuts.
	cuts, err := src.Quantiles(ctx(t), "", "orders", "id", 4)
	if err != nil || len(cuts) != 2 || !sourcetest.Same(cuts[0], int64(5)) || !sourcetest.Same(cuts[1], int64(13)) {
		t.Fatalf("Quantiles(id, 4) = %v, %v; want 5, 13", cuts, err)
	}
	for _, req := range []sources.ExtractRequest{
		{Table: "orders", Columns: []string{"id", "customer"}, TimestampColumn: "updated_at", Since: t1,
			Range: &sources.KeyRange{Column: "updated_at", From: t2, To: t3}},
		{Table: "orders", Columns: []string{"id", "customer"}, Range: &sources.KeyRange{Column: "id", From: int64(2)}},
	} {
		it, err := src.Extract(ctx(t), req)
		if err != nil {
			t.Fatalf("Extract %+v: %v", req.Range, err)
		}
		it.Close()
	}
	want := []struct {
		sql   string
		types []string
	}{
		{"SELECT MIN(`id`) AS lo, MAX(`id`) AS hi FROM `public-data.sales.orders`", nil},
		{"SELECT APPROX_QUANTILES(`id`, 4) AS q FROM `public-data.sales.orders`", nil},
		{"SELECT `id`, `customer`, `updated_at` FROM `public-data.sales.orders` WHERE `updated_at` >= @since AND `updated_at` >= @range_from AND `updated_at` < @range_to ORDER BY `updated_at`",
			[]string{"TIMESTAMP", "TIMESTAMP", "TIMESTAMP"}},
		{"SELECT `id`, `customer` FROM `public-data.sales.orders` WHERE `id` >= @range_from", []string{"INT64"}},
	}
	if len(queries) != len(want) {
		t.Fatalf("%d query jobs, want %d: %+v", len(queries), len(want), queries)
	}
	var stmts []string
	for i, w := range want {
		q := queries[i]
		var types []string
		for _, p := range q.QueryParameter {
			types = append(types, p.ParameterType.Type)
		}
		if q.Query != w.sql || strings.Join(types, ",") != strings.Join(w.types, ",") {
			t.Errorf("query %d = %q with %v, want %q with %v", i, q.Query, types, w.sql, w.types)
		}
		stmts = append(stmts, q.Query)
	}
	for _, r := range f.Requests() {
		if r.Query != nil && r.Project != billing {
			t.Errorf("query job in project %s, want the billing project", r.Project)
		}
	}
	checkGrammar(t, stmts)
}
