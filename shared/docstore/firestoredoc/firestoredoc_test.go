package firestoredoc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/docstoretest"
	_ "github.com/b2brecs/b2brecs/shared/docstore/firestoredoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// project returns a project id of its own for this test run, so runs
// against a long-lived emulator never see each other's documents.
func project(t *testing.T) string {
	return fmt.Sprintf("b2b-docstore-test-%d", time.Now().UnixNano())
}

func open(t *testing.T, rawURL string) *docstore.Store {
	t.Helper()
	s, err := docstore.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformanceEmulator runs the suite against the Firestore emulator.
func TestConformanceEmulator(t *testing.T) {
	testenv.Require(t, testenv.Firestore)
	p := project(t)
	docstoretest.Run(t, func(t *testing.T) *docstore.Store {
		s, err := docstore.Open(context.Background(), "firestore://"+p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestNamedDatabaseEmulator checks ?database= selects another database.
func TestNamedDatabaseEmulator(t *testing.T) {
	testenv.Require(t, testenv.Firestore)
	ctx := context.Background()
	p := project(t)
	key := docstore.Key{Tenant: "t", Kind: "k", ID: "i"}
	def, named := open(t, "firestore://"+p), open(t, "firestore://"+p+"?database=other")
	if _, err := named.Put(ctx, key, json.RawMessage(`{"a":1}`), docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	if _, err := named.Get(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := def.Get(ctx, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("default database sees the named database's document: %v", err)
	}
}

// TestLayoutEmulator reads a stored document with the plain client to
// check the layout other tools (console, exports, rules) see.
func TestLayoutEmulator(t *testing.T) {
	testenv.Require(t, testenv.Firestore)
	ctx := context.Background()
	p := project(t)
	s := open(t, "firestore://"+p)
	key := docstore.Key{Tenant: "acme", Kind: "etl_job", ID: "j1"}
	data := `{"name":"orders","n":9007199254740993,"x":1.5,"at":"2026-01-01T01:00:00+01:00","m":{"k":[1,[2,3]]}}`
	if _, err := s.Put(ctx, key, json.RawMessage(data), docstore.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, key, json.RawMessage(data), docstore.Any); err != nil {
		t.Fatal(err)
	}
	c, err := firestore.NewClient(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap, err := c.Doc("tenants/acme/etl_job/j1").Get(ctx)
	if err != nil {
		t.Fatalf("document not at tenants/acme/etl_job/j1: %v", err)
	}
	got := snap.Data()
	want := map[string]any{
		"name":        "orders",
		"n":           int64(9007199254740993),
		"x":           1.5,
		"at":          "2026-01-01T00:00:00.000000000Z",
		"m":           map[string]any{"k": []any{int64(1), map[string]any{"_ds_a": []any{int64(2), int64(3)}}}},
		"_ds_version": int64(2),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored fields\n got %v\nwant %v", got, want)
	}
	doc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at":"2026-01-01T00:00:00.000000000Z","m":{"k":[1,[2,3]]},"n":9007199254740993,"name":"orders","x":1.5}`; string(doc.Data) != want {
		t.Errorf("Get data = %s, want %s", doc.Data, want)
	}
	if !doc.UpdateTime.Equal(snap.UpdateTime) {
		t.Errorf("UpdateTime = %v, want the document's %v", doc.UpdateTime, snap.UpdateTime)
	}
}

// TestTwoClientsEmulator: two drivers stand for two function instances;
// Firestore's transactions (not the in-process serialisation) keep their
// read-modify-writes of one counter exact.
func TestTwoClientsEmulator(t *testing.T) {
	testenv.Require(t, testenv.Firestore)
	ctx := context.Background()
	p := project(t)
	stores := []*docstore.Store{open(t, "firestore://"+p), open(t, "firestore://"+p)}
	key := docstore.Key{Tenant: "t", Kind: "counter", ID: "c"}
	type counter struct{ N int }
	const perStore = 3
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range stores {
		for range perStore {
			wg.Go(func() {
				if _, err := docstore.Update(ctx, s, key, func(c *counter, _ bool) error { c.N++; return nil }); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	t.Logf("%d contended increments from 2 clients took %v", 2*perStore, time.Since(start))
	c, v, err := docstore.Get[counter](ctx, stores[0], key)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 2*perStore || v != 2*perStore {
		t.Errorf("counter %d at version %d, want %d", c.N, v, 2*perStore)
	}
}

// TestOpenDoesNoIO: Open and Close succeed with no emulator and no
// credentials, because the client is created on first use.
func TestOpenDoesNoIO(t *testing.T) {
	t.Setenv("FIRESTORE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credentials.json")
	for _, u := range []string{"firestore://p", "firestore://p?database=db", "firestore://"} {
		s, err := docstore.Open(context.Background(), u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	for _, bad := range []string{"firestore://p/extra", "firestore://p?db=x"} {
		if _, err := docstore.Open(context.Background(), bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q) = %v, want Invalid", bad, err)
		}
	}
}
