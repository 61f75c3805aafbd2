package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// datasetFixture is the API fixture with two tables: invoice lines and
// products.
func datasetFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	wh, err := f.p.Resources.Warehouse(ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE SCHEMA raw_data`,
		`CREATE TABLE raw_data.lines (invoice_no VARCHAR, customer_id VARCHAR, stock_code VARCHAR, invoice_ts TIMESTAMPTZ, amount DOUBLE)`,
		`INSERT INTO raw_data.lines VALUES ('L1','c1','A','2024-03-31 12:00:00+00',50), ('L2','c2','B','2024-03-30 08:00:00+00',20),
		 ('L3','c2','B','2024-03-01 00:00:00+00',10), ('L4','c3','C','2024-02-15 10:00:00+00',15), ('L5','c3','D','2024-01-01 00:00:00+00',5)`,
		`CREATE TABLE raw_data.products (code VARCHAR, description VARCHAR)`,
		`INSERT INTO raw_data.products VALUES ('A','apple'), ('B','bench'), ('C','cup'), ('D','doll')`,
	} {
		if _, err := wh.Query(ctx, q, nil, 0); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return f
}

const datasetBody = `{"name":"retail","primary_table":{"dataset":"raw_data","table":"lines"},
 "secondary_tables":[{"dataset":"raw_data","table":"products"}],
 "joins":[{"left":{"table":"lines","column":"stock_code"},"right":{"table":"products","column":"code"},"type":"left"}],
 "columns":[{"table":"lines","column":"customer_id","role":"customer_id"},{"table":"lines","column":"stock_code","role":"product_id"},
  {"table":"lines","column":"invoice_ts","role":"timestamp"},{"table":"lines","column":"amount","role":"revenue"},{"table":"products","column":"description"}],
 "split":{"kind":"time_holdout","holdout_days":14}%s}`

func TestDatasetRoutes(t *testing.T) {
	f := datasetFixture(t)
	editor, viewer := tenancy.RoleEditor, tenancy.RoleViewer

	if r := f.postJSON(viewer, "/api/datasets", fmt.Sprintf(datasetBody, "")); r.status != 403 {
		t.Errorf("viewer create: %d", r.status)
	}
	r := f.postJSON(editor, "/api/datasets", fmt.Sprintf(datasetBody, ""))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
		Columns []struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"output_columns"`
	}
	r.json(t, &created)
	if created.Version != 1 || len(created.Columns) != 5 || created.Columns[0].Role != "customer_id" {
		t.Fatalf("created %+v", created)
	}
	base := "/api/datasets/" + created.ID

	bad := f.postJSON(editor, "/api/datasets", strings.Replace(fmt.Sprintf(datasetBody, ""), `"column":"amount"`, `"column":"nope"`, 1))
	if kind, _ := bad.errorOf(t); bad.status != 400 || kind != "invalid" || bad.fieldOf(t) != "columns[3]" {
		t.Errorf("unknown column: %d %s", bad.status, bad.body)
	}

	var list struct {
		Datasets []struct{ ID string } `json:"datasets"`
	}
	f.do(viewer, "GET", "/api/datasets", nil, "").json(t, &list)
	if len(list.Datasets) != 1 || list.Datasets[0].ID != created.ID {
		t.Errorf("list %+v", list)
	}

	var prev struct {
		Rows  [][]any `json:"rows"`
		Total int     `json:"total"`
	}
	if r := f.do(viewer, "GET", base+"/preview?seed=7&limit=2", nil, ""); r.status != 200 {
		t.Fatalf("preview %d %s", r.status, r.body)
	} else {
		r.json(t, &prev)
	}
	if len(prev.Rows) != 2 || prev.Total != 5 {
		t.Errorf("preview %+v", prev)
	}
	if r := f.do(viewer, "GET", base+"/preview?limit=5000", nil, ""); r.status != 400 || r.fieldOf(t) != "limit" {
		t.Errorf("preview limit: %d %s", r.status, r.body)
	}

	var stats struct {
		Rows    int `json:"rows"`
		Columns []struct {
			Name     string `json:"name"`
			Distinct int    `json:"distinct"`
		} `json:"columns"`
	}
	f.do(viewer, "GET", base+"/stats", nil, "").json(t, &stats)
	if stats.Rows != 5 || len(stats.Columns) != 5 || stats.Columns[0].Distinct != 3 {
		t.Errorf("stats %+v", stats)
	}
	var quality struct {
		Score    int `json:"score"`
		Measures struct {
			Customers int `json:"customers"`
		} `json:"measures"`
	}
	f.do(viewer, "GET", base+"/quality", nil, "").json(t, &quality)
	if quality.Measures.Customers != 3 || quality.Score <= 0 || quality.Score >= 100 {
		t.Errorf("quality %+v", quality)
	}
	var sql struct {
		SQL    string `json:"sql"`
		Params []any  `json:"params"`
	}
	f.do(viewer, "GET", base+"/sql?dialect=bigquery&training=true", nil, "").json(t, &sql)
	if !strings.Contains(sql.SQL, "`raw_data`.`lines`") || !strings.Contains(sql.SQL, "UNIX_SECONDS") {
		t.Errorf("bigquery training SQL: %s", sql.SQL)
	}
	if r := f.do(viewer, "GET", base+"/sql?dialect=oracle", nil, ""); r.status != 400 || r.fieldOf(t) != "dialect" {
		t.Errorf("bad dialect: %d %s", r.status, r.body)
	}

	// A filter makes version 2; both versions stay readable.
	upd := fmt.Sprintf(datasetBody, `,"filters":[{"kind":"top_share","entity":"product","percent":50}],"if_version":1`)
	if r := f.do(editor, "PUT", base, strings.NewReader(upd), "application/json"); r.status != 200 || !strings.Contains(string(r.body), `"new_version":true`) {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r := f.do(editor, "PUT", base, strings.NewReader(upd), "application/json"); r.status != 409 {
		t.Errorf("stale if_version: %d %s", r.status, r.body)
	}
	var versions struct {
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
	}
	f.do(viewer, "GET", base+"/versions", nil, "").json(t, &versions)
	if len(versions.Versions) != 2 || versions.Versions[0].Version != 2 {
		t.Errorf("versions %+v", versions)
	}
	if r := f.do(viewer, "GET", base+"/versions/1", nil, ""); r.status != 200 || strings.Contains(string(r.body), "top_share") {
		t.Errorf("version 1: %d %s", r.status, r.body)
	}

	// The wizard's calls on an unsaved model.
	model := `{"dataset":` + fmt.Sprintf(datasetBody, "") + `,"limit":3}`
	if r := f.postJSON(viewer, "/api/datasets/preview", model); r.status != 200 || !strings.Contains(string(r.body), `"total":5`) {
		t.Errorf("model preview: %d %s", r.status, r.body)
	}
	pareto := `{"dataset":` + fmt.Sprintf(datasetBody, "") + `,"entity":"product"}`
	if r := f.postJSON(viewer, "/api/datasets/pareto", pareto); r.status != 200 || !strings.Contains(string(r.body), `{"rank":1,"key":"A","revenue":50,"share":0.5}`) {
		t.Errorf("pareto: %d %s", r.status, r.body)
	}
	if r := f.postJSON(viewer, "/api/datasets/compile", model); r.status != 200 || !strings.Contains(string(r.body), `"duckdb"`) {
		t.Errorf("compile: %d %s", r.status, r.body)
	}
	js := f.postJSON(viewer, "/api/datasets/join-suggestions", `{"left":{"dataset":"raw_data","table":"lines"},"right":{"dataset":"raw_data","table":"products"}}`)
	if js.status != 200 || !strings.Contains(string(js.body), `"left":{"table":"lines","column":"stock_code"},"right":{"table":"products","column":"code"}`) {
		t.Errorf("join suggestions: %d %s", js.status, js.body)
	}
	rs := f.postJSON(viewer, "/api/datasets/role-suggestions", `{"tables":[{"dataset":"raw_data","table":"lines"}]}`)
	if rs.status != 200 || !strings.Contains(string(rs.body), `"role":"customer_id"`) {
		t.Errorf("role suggestions: %d %s", rs.status, rs.body)
	}
	if r := f.do(viewer, "GET", "/api/tables/raw_data/products/stats", nil, ""); r.status != 200 || !strings.Contains(string(r.body), `"rows":4`) {
		t.Errorf("table stats: %d %s", r.status, r.body)
	}
	if r := f.do(viewer, "GET", "/api/tables/_b2brecs_meta/tables/stats", nil, ""); r.status != 400 {
		t.Errorf("internal table stats: %d %s", r.status, r.body)
	}

	if r := f.do(viewer, "DELETE", base, nil, ""); r.status != 403 {
		t.Errorf("viewer delete: %d", r.status)
	}
	if r := f.do(editor, "DELETE", base, nil, ""); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := f.do(viewer, "GET", base, nil, ""); r.status != 404 {
		t.Errorf("after delete: %d", r.status)
	}
}
