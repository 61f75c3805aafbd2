package connections_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"cloud.google.com/go/firestore"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// firestoreProject seeds a fresh project on the Firestore emulator (the
// library's client, through FIRESTORE_EMULATOR_HOST) and returns its id
// and the emulator's endpoint; the project is emptied when the test ends.
func firestoreProject(t *testing.T, docs map[string]map[string]any) (project, endpoint string) {
	t.Helper()
	addr := testenv.Require(t, testenv.Firestore)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	project = "conn-" + hex.EncodeToString(b)
	ctx := context.Background()
	c, err := firestore.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for path, d := range docs {
		if _, err := c.Doc(path).Set(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/emulator/v1/projects/"+project+"/databases/(default)/documents", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
	return project, "http://" + addr
}

// TestFirestore: a Firestore connection (on the emulator) is tested before
// it is saved, tested again, browsed (the root, a document's
// subcollections, a collection's inferred columns) and read by the runner
// through OpenSource.
func TestFirestore(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	project, endpoint := firestoreProject(t, map[string]map[string]any{
		"customers/acme":              {"name": "Acme", "address": map[string]any{"city": "Lyon"}},
		"customers/globex":            {"name": "Globex", "vip": true},
		"customers/acme/orders/o1":    {"total": 12.5},
		"customers/acme/invoices/i1":  {"total": int64(3)},
		"products/p1":                 {"sku": "A-1"},
		"customers/globex/orders/o2":  {"total": 4.0},
		"customers/globex/orders/o3 ": {"total": 1.0},
	})
	in := connections.NewConnection{Fields: connections.Fields{Name: "app data", Type: connections.Firestore, Project: project, Endpoint: endpoint + "/"}, TestFirst: true}
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c := res.Connection
	if c.Database != "(default)" || c.Endpoint != endpoint || c.HasSecret {
		t.Errorf("saved %s", mustJSON(t, c))
	}
	if res.Test == nil || !res.Test.OK || res.Test.Schema != "(default)" || !strings.Contains(res.Test.Message, "2 top-level collections") {
		t.Fatalf("test before saving: %s", mustJSON(t, res.Test))
	}
	tables := map[string]int64{}
	for _, ti := range res.Test.Tables {
		tables[ti.Name] = *ti.Rows
	}
	if !reflect.DeepEqual(tables, map[string]int64{"customers": 2, "products": 1}) {
		t.Errorf("tables %v", tables)
	}
	if tr, err := e.svc.Test(ctx, tenantA, c.ID); err != nil || !tr.OK {
		t.Fatalf("Test: %v %s", err, mustJSON(t, tr))
	}
	if schemas, err := e.svc.Schemas(ctx, tenantA, c.ID); err != nil || !reflect.DeepEqual(schemas, []string{"(default)"}) {
		t.Errorf("Schemas: %v %v", err, schemas)
	}
	sub, err := e.svc.Tables(ctx, tenantA, c.ID, "customers/acme")
	if err != nil || !reflect.DeepEqual(sub, []sources.TableInfo{{Name: "invoices", Rows: 1, RowsExact: true}, {Name: "orders", Rows: 1, RowsExact: true}}) {
		t.Errorf("subcollections: %v %+v", err, sub)
	}
	meta, err := e.svc.Describe(ctx, tenantA, c.ID, "", "customers")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, col := range meta.Columns {
		got = append(got, col.Name+":"+string(col.Type))
	}
	if want := []string{"document_id:STRING", "address:JSON", "name:STRING", "vip:BOOL", "update_time:TIMESTAMP"}; !reflect.DeepEqual(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
	if meta.Columns[3].Presence != 0.5 || meta.Columns[2].Presence != 1 || meta.Recommended.TimestampColumn != "__update_time" {
		t.Errorf("presence %v %v, recommended %+v", meta.Columns[3].Presence, meta.Columns[2].Presence, meta.Recommended)
	}
	// The sample size reaches the driver: one document shows no vip.
	one := connections.New(e.docs, e.secrets, connections.Options{Egress: egress.LoopbackOnly(), SampleDocs: 1})
	if m, err := one.Describe(ctx, tenantA, c.ID, "", "customers"); err != nil || len(m.Columns) != 4 || m.Columns[2].Name != "name" {
		t.Errorf("Describe with SampleDocs 1: %v %+v", err, m.Columns)
	}
	if _, err := e.svc.Describe(ctx, tenantA, c.ID, "", "nothing_here"); !errs.Is(err, errs.NotFound) || !strings.Contains(errs.UserMessage(err), `collection "nothing_here" has no documents`) {
		t.Errorf("Describe of an empty collection: %v (%q)", err, errs.UserMessage(err))
	}
	if _, err := e.svc.ListFiles(ctx, tenantA, c.ID, "", ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("ListFiles on Firestore: %v, want Invalid", err)
	}

	src, _, err := e.svc.OpenSource(ctx, tenantA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	it, err := src.Extract(ctx, sources.ExtractRequest{Schema: "customers/globex", Table: "orders", Columns: []string{"__id", "total"}})
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for it.Next() {
		rows = append(rows, append([]any(nil), it.Values()...))
	}
	it.Close()
	if it.Err() != nil || !reflect.DeepEqual(rows, [][]any{{"o2", 4.0}, {"o3 ", 1.0}}) {
		t.Errorf("extract through OpenSource: %v %v", it.Err(), rows)
	}

	// The same project and emulator again is a duplicate.
	in.Name = "app data 2"
	if tv, err := e.svc.TestValues(ctx, tenantA, in); err != nil || !tv.OK || tv.DuplicateOf != c.ID {
		t.Errorf("TestValues duplicate: %v %s", err, mustJSON(t, tv))
	}
}

// TestFirestoreValidationAndSecrets: what a Firestore connection needs, a
// key that cannot be used (a failed test whose message names the key, not
// its text), a key that is not sent to another project, and an emulator on
// an internal address in the cloud.
func TestFirestoreValidationAndSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const key = `{"type":"service_account","project_id":"shop-prod","private_key":"Not-A-Pem-Key-S3cret"}`
	for _, c := range []struct {
		name  string
		in    connections.NewConnection
		field string
	}{
		{"no project", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore}, Secret: connections.Secret{ServiceAccountJSON: key}}, "project"},
		{"bad project", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "Shop Prod"}, Secret: connections.Secret{ServiceAccountJSON: key}}, "project"},
		{"no key", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "shop-prod"}}, "service_account_json"},
		{"bad database", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "shop-prod", Database: "Orders DB"}, Secret: connections.Secret{ServiceAccountJSON: key}}, "database"},
		{"https emulator", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "shop-prod", Endpoint: "https://firestore.example.com"}}, "endpoint"},
		{"emulator without a port", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "shop-prod", Endpoint: "http://127.0.0.1"}}, "endpoint"},
		{"a host", connections.NewConnection{Fields: connections.Fields{Name: "f", Type: connections.Firestore, Project: "shop-prod", Host: "10.0.0.1"}, Secret: connections.Secret{ServiceAccountJSON: key}}, "host"},
	} {
		_, err := e.svc.Create(ctx, tenantA, c.in)
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != c.field {
			t.Errorf("%s: %v (field %q), want invalid %s", c.name, err, errs.FieldOf(err), c.field)
		}
	}

	in := connections.NewConnection{Fields: connections.Fields{Name: "prod", Type: connections.Firestore, Project: "shop-prod"}, Secret: connections.Secret{ServiceAccountJSON: key}}
	res, err := e.svc.Create(ctx, tenantA, in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Connection.SecretFields, []string{"service_account_json"}) {
		t.Errorf("secret fields %v", res.Connection.SecretFields)
	}
	tr, err := e.svc.Test(ctx, tenantA, res.Connection.ID)
	if err != nil || tr.OK || tr.Message != "the service account key is not a usable service account key file" {
		t.Errorf("Test with an unusable key: %v %s", err, mustJSON(t, tr))
	}
	if _, err := e.svc.Tables(ctx, tenantA, res.Connection.ID, ""); !errs.Is(err, errs.Invalid) || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("Tables with an unusable key: %v", err)
	}
	// The key goes to its project only.
	other := "shop-other"
	if _, err := e.svc.Update(ctx, tenantA, res.Connection.ID, connections.Patch{Project: &other}); !errs.Is(err, errs.Invalid) ||
		err.Error() != "connection: service_account_json: re-enter the service account key to use this connection with another project" {
		t.Errorf("re-targeting the key: %v", err)
	}
	assertNoSecret(t, "logs", e.logs.String(), "Not-A-Pem-Key-S3cret")

	// An emulator on loopback is refused in the cloud, before any request.
	project, endpoint := firestoreProject(t, map[string]map[string]any{"a/b": {"x": int64(1)}})
	tv, err := cloudService(e).TestValues(ctx, tenantA, connections.NewConnection{Fields: connections.Fields{Name: "emu", Type: connections.Firestore, Project: project, Endpoint: endpoint}})
	if err != nil || tv.OK || !strings.HasPrefix(tv.Message, "connections to 127.0.0.1 (loopback)"+notAllowed) {
		t.Errorf("emulator in the cloud: %v %s", err, mustJSON(t, tv))
	}
}
