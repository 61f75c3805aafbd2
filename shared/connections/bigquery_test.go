package connections_test

import (
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/bigquerysrc/bqrequestfake"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// TestBigQuery: a BigQuery connection billed to the tenant's project that
// reads another project's dataset (on the request fake) is tested before
// it is saved, browsed and read by the runner through OpenSource; the
// data project is read, the query job runs in the billing project.
func TestBigQuery(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	f := bqrequestfake.New(t)
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	fields := []bqrequestfake.Field{{Name: "id", Type: "INTEGER", Mode: "REQUIRED"}, {Name: "name", Type: "STRING"}, {Name: "created_at", Type: "TIMESTAMP"}}
	f.Tables["public-data.shop.customers"] = bqrequestfake.Table{Kind: "TABLE", Fields: fields, Rows: [][]any{
		{"1", "acme", bqrequestfake.Micros(at)}, {"2", "globex", bqrequestfake.Micros(at.Add(time.Hour))},
	}}
	f.Answer = func(bqrequestfake.Query) ([]bqrequestfake.Field, [][]any, int) {
		return fields[:2], [][]any{{"1", "acme"}, {"2", "globex"}}, http.StatusOK
	}
	endpoint := "http://" + net.JoinHostPort(f.Host, strconv.Itoa(f.Port))
	in := connections.NewConnection{Fields: connections.Fields{Name: "public shop", Type: connections.BigQuery, Project: "tenant-billing",
		DataProject: "public-data", Dataset: "shop", Endpoint: endpoint}, TestFirst: true}
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c := res.Connection
	if res.Test == nil || !res.Test.OK || res.Test.Message != "connected to BigQuery project public-data (queries billed to tenant-billing); 1 datasets, 1 tables in shop" ||
		len(res.Test.Tables) != 1 || *res.Test.Tables[0].Rows != 2 {
		t.Fatalf("test before saving: %s", mustJSON(t, res.Test))
	}
	if schemas, err := e.svc.Schemas(ctx, tenantA, c.ID); err != nil || !reflect.DeepEqual(schemas, []string{"shop"}) {
		t.Errorf("Schemas: %v %v", err, schemas)
	}
	meta, err := e.svc.Describe(ctx, tenantA, c.ID, "shop", "customers")
	if err != nil || len(meta.Columns) != 3 || meta.Columns[2].Type != warehouse.Timestamp || meta.Recommended.TimestampColumn != "created_at" ||
		!reflect.DeepEqual(meta.Columns[1].Samples, []string{"acme", "globex"}) {
		t.Fatalf("Describe: %v %+v", err, meta)
	}
	src, _, err := e.svc.OpenSource(ctx, tenantA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	it, err := src.Extract(ctx, sources.ExtractRequest{Table: "customers", Columns: []string{"id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.Values()[1].(string))
	}
	it.Close()
	if it.Err() != nil || !reflect.DeepEqual(names, []string{"acme", "globex"}) {
		t.Errorf("extract: %v %v", it.Err(), names)
	}
	for _, r := range f.Requests() {
		want := "public-data"
		if r.Query != nil || strings.Contains(r.Path, "/queries") {
			want = "tenant-billing"
		}
		if r.Project != want {
			t.Errorf("%s %s in project %s, want %s", r.Method, r.Path, r.Project, want)
		}
	}
}

// TestBigQueryValidationAndSecrets: what a BigQuery connection needs, and
// its key goes to its project only.
func TestBigQueryValidationAndSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const key = `{"type":"service_account","private_key":"Not-A-Pem-Bq-S3cret"}`
	for _, c := range []struct {
		name   string
		fields connections.Fields
		secret string
		field  string
	}{
		{"no billing project", connections.Fields{Name: "b", Type: connections.BigQuery}, key, "project"},
		{"no key", connections.Fields{Name: "b", Type: connections.BigQuery, Project: "shop-prod"}, "", "service_account_json"},
		{"bad data project", connections.Fields{Name: "b", Type: connections.BigQuery, Project: "shop-prod", DataProject: "Public Data"}, key, "data_project"},
		{"bad dataset", connections.Fields{Name: "b", Type: connections.BigQuery, Project: "shop-prod", Dataset: "my-dataset"}, key, "dataset"},
	} {
		_, err := e.svc.Create(ctx, tenantA, connections.NewConnection{Fields: c.fields, Secret: connections.Secret{ServiceAccountJSON: c.secret}})
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != c.field {
			t.Errorf("%s: %v (field %q)", c.name, err, errs.FieldOf(err))
		}
	}
	res, err := e.svc.Create(ctx, tenantA, connections.NewConnection{Fields: connections.Fields{Name: "prod", Type: connections.BigQuery, Project: "shop-prod"},
		Secret: connections.Secret{ServiceAccountJSON: key}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connection.DataProject != "shop-prod" {
		t.Errorf("data project %q, want the billing project", res.Connection.DataProject)
	}
	if tr, err := e.svc.Test(ctx, tenantA, res.Connection.ID); err != nil || tr.OK || tr.Message != "the service account key is not a usable service account key file" {
		t.Errorf("Test with an unusable key: %v %s", err, mustJSON(t, tr))
	}
	other := "shop-other"
	if _, err := e.svc.Update(ctx, tenantA, res.Connection.ID, connections.Patch{Project: &other}); !errs.Is(err, errs.Invalid) ||
		err.Error() != "connection: service_account_json: re-enter the service account key to use this connection with another project" {
		t.Errorf("re-targeting the key: %v", err)
	}
	// Another data project keeps the key: it goes to Google's BigQuery either way.
	if _, err := e.svc.Update(ctx, tenantA, res.Connection.ID, connections.Patch{DataProject: &other}); err != nil {
		t.Errorf("another data project: %v", err)
	}
	assertNoSecret(t, "logs", e.logs.String(), "Not-A-Pem-Bq-S3cret")
}
