// Package tenancytest gives tests of tenancy and auth a small in-memory
// docstore and a ready Service, without a database file or emulator.
//
// The store implements the docstore.Driver contract closely enough for
// these packages (preconditions, versions, transactions with buffered
// writes, equality filters and ordering on top-level fields); it is not a
// general docstore driver and is not registered under a URL scheme.
package tenancytest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// NewStore returns an empty in-memory store.
func NewStore() *docstore.Store {
	return &docstore.Store{Driver: &memDriver{docs: map[docstore.Key]docstore.Doc{}}}
}

// NewService returns a Service over a new in-memory store, logging nowhere
// unless opts set a logger.
func NewService(t testing.TB, opts ...tenancy.Option) (*tenancy.Service, *docstore.Store) {
	t.Helper()
	st := NewStore()
	t.Cleanup(func() { _ = st.Close() })
	opts = append([]tenancy.Option{tenancy.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	return tenancy.NewService(st, opts...), st
}

type memDriver struct {
	txMu sync.Mutex // serialises transactions
	mu   sync.Mutex // guards docs
	docs map[docstore.Key]docstore.Doc
}

func (d *memDriver) Get(_ context.Context, key docstore.Key) (docstore.Doc, error) {
	if err := docstore.ValidateKey(key); err != nil {
		return docstore.Doc{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.docs[key]
	if !ok {
		return docstore.Doc{}, errs.E(errs.NotFound, "memstore: %s not found", key)
	}
	return doc, nil
}

func check(cur docstore.Doc, ok bool, pre docstore.Precondition, key docstore.Key) error {
	switch {
	case pre.IfVersion == -1 && ok:
		return errs.E(errs.Conflict, "memstore: %s already exists", key)
	case pre.IfVersion > 0 && (!ok || cur.Version != pre.IfVersion):
		return errs.E(errs.Conflict, "memstore: %s version mismatch", key)
	}
	return nil
}

func (d *memDriver) Put(_ context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	if err := docstore.ValidateKey(key); err != nil {
		return 0, err
	}
	data, err := docstore.CanonicalData(data)
	if err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, ok := d.docs[key]
	if err := check(cur, ok, pre, key); err != nil {
		return 0, err
	}
	v := cur.Version + 1
	d.docs[key] = docstore.Doc{Key: key, Data: data, Version: v, UpdateTime: time.Now().UTC()}
	return v, nil
}

func (d *memDriver) Delete(_ context.Context, key docstore.Key, pre docstore.Precondition) error {
	if err := docstore.ValidateKey(key); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, ok := d.docs[key]
	if pre.IfVersion != 0 {
		if err := check(cur, ok, pre, key); err != nil {
			return err
		}
	}
	delete(d.docs, key)
	return nil
}

func (d *memDriver) List(_ context.Context, q docstore.Query) ([]docstore.Doc, error) {
	if err := docstore.ValidateQuery(q); err != nil {
		return nil, err
	}
	d.mu.Lock()
	var out []docstore.Doc
	for k, doc := range d.docs {
		if k.Tenant == q.Tenant && k.Kind == q.Kind {
			out = append(out, doc)
		}
	}
	d.mu.Unlock()
	fields := func(doc docstore.Doc) map[string]any {
		var m map[string]any
		_ = json.Unmarshal(doc.Data, &m)
		return m
	}
	out = slices.DeleteFunc(out, func(doc docstore.Doc) bool {
		m := fields(doc)
		for _, f := range q.Filters {
			if f.Op != docstore.Eq {
				panic("tenancytest: only == filters are supported")
			}
			want, _ := docstore.FilterValue(f.Value)
			if fmt.Sprint(m[f.Field]) != fmt.Sprint(want) {
				return true
			}
		}
		return false
	})
	slices.SortFunc(out, func(a, b docstore.Doc) int {
		c := 0
		if q.OrderBy != "" {
			c = cmp.Compare(fmt.Sprint(fields(a)[q.OrderBy]), fmt.Sprint(fields(b)[q.OrderBy]))
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

type write struct {
	key    docstore.Key
	data   json.RawMessage
	pre    docstore.Precondition
	delete bool
}

type memTx struct {
	d      *memDriver
	writes []write
}

func (t *memTx) Get(ctx context.Context, key docstore.Key) (docstore.Doc, error) {
	if len(t.writes) > 0 {
		return docstore.Doc{}, errs.E(errs.Invalid, "memstore: Get after a write in a transaction")
	}
	return t.d.Get(ctx, key)
}

func (t *memTx) Put(_ context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	if err := docstore.ValidateKey(key); err != nil {
		return 0, err
	}
	t.writes = append(t.writes, write{key: key, data: data, pre: pre})
	return 0, nil
}

func (t *memTx) Delete(_ context.Context, key docstore.Key, pre docstore.Precondition) error {
	if err := docstore.ValidateKey(key); err != nil {
		return err
	}
	t.writes = append(t.writes, write{key: key, pre: pre, delete: true})
	return nil
}

func (d *memDriver) RunTx(ctx context.Context, fn func(ctx context.Context, tx docstore.Tx) error) error {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	tx := &memTx{d: d}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	// Check every precondition first, then apply: all or nothing.
	d.mu.Lock()
	seen := map[docstore.Key]bool{}
	for _, w := range tx.writes {
		cur, ok := d.docs[w.key]
		if seen[w.key] {
			continue
		}
		seen[w.key] = true
		if w.delete && w.pre.IfVersion == 0 {
			continue
		}
		if err := check(cur, ok, w.pre, w.key); err != nil {
			d.mu.Unlock()
			return err
		}
	}
	d.mu.Unlock()
	for _, w := range tx.writes {
		var err error
		if w.delete {
			err = d.Delete(ctx, w.key, docstore.Any)
		} else {
			_, err = d.Put(ctx, w.key, w.data, docstore.Any)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *memDriver) Close() error { return nil }

// Count returns how many documents of a kind a tenant has (for assertions).
func Count(st *docstore.Store, tenant, kind string) int {
	docs, err := st.List(context.Background(), docstore.Query{Tenant: tenant, Kind: kind})
	if err != nil {
		panic(err)
	}
	return len(docs)
}
