package sqlitedoc_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/docstoretest"
	"github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func open(t *testing.T, rawURL string) *docstore.Store {
	t.Helper()
	s, err := docstore.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	return s
}

func TestConformanceFile(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T) *docstore.Store {
		return open(t, "sqlite://"+filepath.Join(t.TempDir(), "config.db"))
	})
}

func TestConformanceMemory(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T) *docstore.Store {
		return open(t, "sqlite::memory:")
	})
}

var key = docstore.Key{Tenant: "t1", Kind: "job", ID: "j1"}

func TestURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	cases := []struct {
		url  string
		file string // the file the URL must create, relative to dir; "" for none
	}{
		{"sqlite://" + filepath.Join(dir, "abs.db"), "abs.db"},
		{"sqlite://./rel.db", "rel.db"},
		{"sqlite:opaque.db", "opaque.db"},
		{"sqlite://./sub/../rel2.db?busy_timeout=500", "rel2.db"},
		{"sqlite://./new/dir/x.db", "new/dir/x.db"},
		{"sqlite::memory:", ""},
		{"sqlite://:memory:", ""},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			if tc.file != "" {
				if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			s := open(t, tc.url)
			if _, err := s.Put(ctx, key, json.RawMessage(`{"a":1}`), docstore.Any); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.file == "" {
				return
			}
			if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
				t.Fatalf("database file: %v", err)
			}
			// Reopening sees the document.
			s = open(t, tc.url)
			defer s.Close()
			doc, err := s.Get(ctx, key)
			if err != nil || doc.Version != 1 {
				t.Fatalf("after reopen: %+v, %v", doc, err)
			}
		})
	}
	for _, bad := range []string{"sqlite://./x.db?busy_timeout=abc", "sqlite://./x.db?busy_timeout=-1", "sqlite://", "sqlite://./x.db%3Fy"} {
		_, err := docstore.Open(ctx, bad)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q) = %v, want Invalid", bad, err)
		}
	}
}

func TestMemoryIsPrivateAndRemoved(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a, b := open(t, "sqlite::memory:"), open(t, "sqlite::memory:")
	if _, err := a.Put(ctx, key, json.RawMessage(`{"a":1}`), docstore.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("second memory database sees the first's document: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 2 {
		t.Errorf("want 2 temporary databases in %s, found %d", tmp, len(ents))
	}
	a.Close()
	b.Close()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary databases left after Close: %v", ents)
	}
}

// Two drivers on one file stand for two processes: BEGIN IMMEDIATE
// serialises their read-modify-writes.
func TestTwoDriversOneFile(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	stores := []*docstore.Store{open(t, url), open(t, url)}
	defer stores[0].Close()
	defer stores[1].Close()
	type counter struct{ N int }
	const perStore = 15
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
	c, v, err := docstore.Get[counter](ctx, stores[1], key)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 2*perStore || v != 2*perStore {
		t.Errorf("counter %d at version %d, want %d", c.N, v, 2*perStore)
	}
}

// Stored times are canonical whatever zone and precision they were written in.
func TestTimesStoredCanonically(t *testing.T) {
	ctx := context.Background()
	s := open(t, "sqlite::memory:")
	defer s.Close()
	if _, err := s.Put(ctx, key, json.RawMessage(`{"at":"2026-01-01T02:00:00.5+02:00","nested":{"at":"2026-01-01T02:00:00+02:00"},"label":"2026-01-01"}`), docstore.Any); err != nil {
		t.Fatal(err)
	}
	doc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"at":"2026-01-01T00:00:00.500000000Z","label":"2026-01-01","nested":{"at":"2026-01-01T02:00:00+02:00"}}`
	if string(doc.Data) != want {
		t.Errorf("stored %s, want %s", doc.Data, want)
	}
}

func TestBuildQuery(t *testing.T) {
	sql, args, err := sqlitedoc.BuildQuery(docstore.Query{
		Tenant: "t", Kind: "k",
		Filters: []docstore.Filter{{Field: "secret_field", Op: docstore.Ge, Value: true}},
		OrderBy: "other_field", Desc: true, Limit: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sql, "secret_field") || strings.Contains(sql, "other_field") {
		t.Errorf("field names spliced into SQL: %s", sql)
	}
	for _, want := range []string{`json_type("data", ?) IN ('true', 'false')`, `json_extract("data", ?) >= ?`, `"id" DESC`, `LIMIT ?`} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q: %s", want, sql)
		}
	}
	wantArgs := []any{"t", "k", "$.secret_field", "$.secret_field", int64(1), "$.other_field", "$.other_field", "$.other_field", 5}
	if len(args) != len(wantArgs) {
		t.Fatalf("args = %#v, want %#v", args, wantArgs)
	}
	for i := range args {
		if args[i] != wantArgs[i] {
			t.Errorf("arg %d = %#v, want %#v", i, args[i], wantArgs[i])
		}
	}
}
