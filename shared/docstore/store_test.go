package docstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/errs"
)

var key = docstore.Key{Tenant: "t1", Kind: "thing", ID: "a"}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	st := docstore.NewStore(memdoc.New())
	if _, err := st.Put(ctx, key, json.RawMessage(`{"a":1}`), docstore.Any); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	_, err := st.Get(ctx, key)
	wantKind(t, "Get after Close", err, errs.Invalid)
	_, err = st.Put(ctx, key, json.RawMessage(`{}`), docstore.Any)
	wantKind(t, "Put after Close", err, errs.Invalid)
	wantKind(t, "Delete after Close", st.Delete(ctx, key, docstore.Any), errs.Invalid)
	_, err = st.List(ctx, docstore.Query{Tenant: "t1", Kind: "thing"})
	wantKind(t, "List after Close", err, errs.Invalid)
	wantKind(t, "RunTx after Close", st.RunTx(ctx, func(context.Context, docstore.Tx) error { return nil }), errs.Invalid)
}

// failingDriver is a mock: a memdoc driver whose calls fail with a raw
// driver error, which no real driver produces on demand.
type failingDriver struct {
	*memdoc.Driver
	err  error
	kind errs.Kind
}

func (d failingDriver) Get(context.Context, docstore.Key) (docstore.Doc, error) {
	return docstore.Doc{}, fmt.Errorf("driver: get: %w", d.err)
}

func (d failingDriver) List(context.Context, docstore.Query) ([]docstore.Doc, error) {
	return nil, d.err
}

func (d failingDriver) ErrorKind(err error) errs.Kind {
	if errors.Is(err, d.err) {
		return d.kind
	}
	return errs.Unknown
}

func TestStoreClassifiesDriverErrors(t *testing.T) {
	ctx := context.Background()
	raw := errors.New("database is busy")
	for _, tc := range []struct {
		kind errs.Kind
		err  error
		want errs.Kind
	}{
		{errs.Transient, raw, errs.Transient},
		{errs.Conflict, raw, errs.Conflict},
		{errs.Unknown, raw, errs.Unknown},
		{errs.Unknown, context.DeadlineExceeded, errs.Transient},
		// A kind the driver already gave is kept.
		{errs.Transient, errs.E(errs.NotFound, "gone: %w", raw), errs.NotFound},
	} {
		st := docstore.NewStore(failingDriver{Driver: memdoc.New(), err: tc.err, kind: tc.kind})
		_, err := st.Get(ctx, key)
		if got := errs.KindOf(err); got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Get failing with %v (ErrorKind %v) = %v (kind %v), want kind %v wrapping the cause", tc.err, tc.kind, err, got, tc.want)
		}
		_, err = st.List(ctx, docstore.Query{Tenant: "t1", Kind: "thing"})
		if got := errs.KindOf(err); got != tc.want {
			t.Errorf("List failing with %v = kind %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestStoreCanonicalisesData(t *testing.T) {
	ctx := context.Background()
	st := docstore.NewStore(memdoc.New())
	if _, err := st.Put(ctx, key, json.RawMessage(`{"b":1, "a":"2026-01-02T03:04:05+01:00"}`), docstore.Any); err != nil {
		t.Fatal(err)
	}
	doc, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"2026-01-02T02:04:05.000000000Z","b":1}`; string(doc.Data) != want {
		t.Errorf("stored %s, want %s", doc.Data, want)
	}
}

func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Errorf("%s: err = %v, want kind %v", what, err, k)
	}
}
