package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// TestJobWizardRoutes: the wizard's name check and destination grid, for
// a viewer: answers, field-named errors, the job itself when editing.
func TestJobWizardRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.createJob(`{"name":"Orders","file":{"prefix":"orders","pattern":"*.csv"},"dest":{"table":"orders"}}`)

	check := func(name, jobID string) etl.NameCheck {
		t.Helper()
		q := url.Values{"name": {name}}
		if jobID != "" {
			q.Set("job_id", jobID)
		}
		r := f.send(tenancy.RoleViewer, "GET", "/api/jobs/name-check?"+q.Encode(), "")
		if r.status != http.StatusOK {
			t.Fatalf("name-check %q = %d %s", name, r.status, r.body)
		}
		var c etl.NameCheck
		r.json(t, &c)
		return c
	}
	if c := check("ORDERS", ""); c.Available || c.Message != `A job named "Orders" already exists. Pick another name.` {
		t.Errorf("taken name: %+v", c)
	}
	if c := check("orders", j.ID); !c.Available || c.Message != "" {
		t.Errorf("the job's own name: %+v", c)
	}
	if c := check("", ""); c.Available || c.Message != "The name is required." {
		t.Errorf("empty name: %+v", c)
	}

	b, err := f.p.Resources.Bucket(ctx, f.tenant.ID, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "orders/o1.csv", []byte("Day,Qty\n2026-01-02,3\n"), nil); err != nil {
		t.Fatal(err)
	}
	body := `{"job":{"name":"New orders","file":{"prefix":"orders","pattern":"*.csv"},"dest":{"table":"new_orders",
		"columns":[{"source":"Qty","name":"quantity","type":"NUMERIC"}],"partition":{"column":"day"},"cluster_by":["quantity"]}},"object":"orders/o1.csv"}`
	r := f.send(tenancy.RoleViewer, "POST", "/api/jobs/destination", body)
	if r.status != http.StatusOK {
		t.Fatalf("destination = %d %s", r.status, r.body)
	}
	var d etl.Destination
	r.json(t, &d)
	if d.TableExists || len(d.Columns) != 5 || d.Columns[1].Name != "quantity" || d.Columns[1].DefaultName != "qty" ||
		d.Columns[1].Type != "NUMERIC" || d.Columns[1].DefaultType != "INT64" || d.Warehouse != "duckdb" || !d.Compatibility.Compatible {
		t.Errorf("destination = %s", r.body)
	}
	for _, want := range []string{`"partition_candidates":["day","_b2b_loaded_at"]`, `"added":[]`, `"allowed_types":["INT64","NUMERIC","FLOAT64","STRING"]`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("destination body lacks %s: %s", want, r.body)
		}
	}
	r = f.send(tenancy.RoleViewer, "POST", "/api/jobs/destination", strings.Replace(body, `"type":"NUMERIC"`, `"type":"BOOL"`, 1))
	if r.status != http.StatusBadRequest || r.fieldOf(t) != "dest.columns[0].type" {
		t.Errorf("unsafe type = %d %s", r.status, r.body)
	}
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"Snap","file":{"pattern":"*.csv"},"dest":{"lineage":false}}`)
	if r.status != http.StatusBadRequest || r.fieldOf(t) != "dest.lineage" {
		t.Errorf("append file job without lineage = %d %s", r.status, r.body)
	}
}
