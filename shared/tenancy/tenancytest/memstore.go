// Package tenancytest gives tests of tenancy and auth a ready Service over
// an in-memory docstore (mem://), without a database file or emulator.
package tenancytest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// NewStore returns an empty in-memory store.
func NewStore() *docstore.Store { return docstore.NewStore(memdoc.New()) }

// NewService returns a Service over a new in-memory store, logging nowhere
// unless opts set a logger.
func NewService(t testing.TB, opts ...tenancy.Option) (*tenancy.Service, *docstore.Store) {
	t.Helper()
	st := NewStore()
	t.Cleanup(func() { _ = st.Close() })
	opts = append([]tenancy.Option{tenancy.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	return tenancy.NewService(st, opts...), st
}

// Count returns how many documents of a kind a tenant has (for assertions).
func Count(st *docstore.Store, tenant, kind string) int {
	docs, err := st.List(context.Background(), docstore.Query{Tenant: tenant, Kind: kind})
	if err != nil {
		panic(err)
	}
	return len(docs)
}
