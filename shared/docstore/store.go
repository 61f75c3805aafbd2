package docstore

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Store is the portable type the rest of the code uses. It does the work
// every driver would otherwise repeat: it validates keys, queries and data
// (and hands the driver canonical data), refuses calls after Close, refuses
// writes through the Store from inside one of its own transactions (they
// would deadlock or escape the transaction), and gives a driver's errors
// their kind through Driver.ErrorKind.
type Store struct {
	d      Driver
	closed atomic.Bool
}

// NewStore returns a Store over d. Drivers' tests use it; code that opens a
// store by URL gets one from Open.
func NewStore(d Driver) *Store { return &Store{d: d} }

// inTxKey marks the context a Store passes to a transaction's function.
type inTxKey struct{}

func (s *Store) check(ctx context.Context, write bool) error {
	if s.closed.Load() {
		return errs.E(errs.Invalid, "docstore: the store is closed")
	}
	if write && ctx.Value(inTxKey{}) == s {
		return errs.E(errs.Invalid, "docstore: write through the store inside a transaction (use the Tx passed to the function)")
	}
	return nil
}

// Get implements Reader.
func (s *Store) Get(ctx context.Context, key Key) (Doc, error) {
	if err := s.check(ctx, false); err != nil {
		return Doc{}, err
	}
	if err := ValidateKey(key); err != nil {
		return Doc{}, err
	}
	doc, err := s.d.Get(ctx, key)
	return doc, s.classify(err, "docstore: get %s", key)
}

// Put implements Writer.
func (s *Store) Put(ctx context.Context, key Key, data json.RawMessage, pre Precondition) (int64, error) {
	if err := s.check(ctx, true); err != nil {
		return 0, err
	}
	data, err := checkPut(key, data)
	if err != nil {
		return 0, err
	}
	v, err := s.d.Put(ctx, key, data, pre)
	return v, s.classify(err, "docstore: put %s", key)
}

// Delete implements Writer.
func (s *Store) Delete(ctx context.Context, key Key, pre Precondition) error {
	if err := s.check(ctx, true); err != nil {
		return err
	}
	if err := ValidateKey(key); err != nil {
		return err
	}
	return s.classify(s.d.Delete(ctx, key, pre), "docstore: delete %s", key)
}

// List returns the documents q selects, in its order.
func (s *Store) List(ctx context.Context, q Query) ([]Doc, error) {
	if err := s.check(ctx, false); err != nil {
		return nil, err
	}
	if err := ValidateQuery(q); err != nil {
		return nil, err
	}
	docs, err := s.d.List(ctx, q)
	return docs, s.classify(err, "docstore: list %s/%s", q.Tenant, q.Kind)
}

// RunTx runs fn in a transaction, retrying it on contention. If fn returns
// an error nothing is written and that error is returned. Inside fn, write
// only through tx: a write through the Store with fn's context is
// errs.Invalid.
func (s *Store) RunTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if err := s.check(ctx, true); err != nil {
		return err
	}
	var fnErr error
	err := s.d.RunTx(ctx, func(ctx context.Context, tx Tx) error {
		fnErr = fn(context.WithValue(ctx, inTxKey{}, s), &storeTx{s: s, tx: tx})
		return fnErr
	})
	if err != nil && fnErr != nil && errors.Is(err, fnErr) {
		return err // fn's own error, as fn returned it
	}
	return s.classify(err, "docstore: transaction")
}

// Close closes the driver. Later calls fail with errs.Invalid; closing
// again does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.d.Close()
}

// classify gives err a kind when it has none: cancelled and timed-out
// contexts are Transient, a driver's own errors what its ErrorKind says.
// Errors the driver cannot classify are returned unchanged (they are
// internal errors: errs.Unknown).
func (s *Store) classify(err error, format string, args ...any) error {
	return errs.Classify(err, s.d.ErrorKind, format, args...)
}

// checkPut validates a key and the data written at it, returning the
// canonical data.
func checkPut(key Key, data json.RawMessage) (json.RawMessage, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	c, err := CanonicalData(data)
	if err != nil {
		return nil, errs.At("docstore.Put", err) // Invalid already
	}
	return c, nil
}

// storeTx is the Tx fn sees: it validates like the Store and classifies
// the driver's errors.
type storeTx struct {
	s  *Store
	tx Tx
}

func (t *storeTx) Get(ctx context.Context, key Key) (Doc, error) {
	if err := ValidateKey(key); err != nil {
		return Doc{}, err
	}
	doc, err := t.tx.Get(ctx, key)
	return doc, t.s.classify(err, "docstore: get %s", key)
}

func (t *storeTx) Put(ctx context.Context, key Key, data json.RawMessage, pre Precondition) (int64, error) {
	data, err := checkPut(key, data)
	if err != nil {
		return 0, err
	}
	v, err := t.tx.Put(ctx, key, data, pre)
	return v, t.s.classify(err, "docstore: put %s", key)
}

func (t *storeTx) Delete(ctx context.Context, key Key, pre Precondition) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return t.s.classify(t.tx.Delete(ctx, key, pre), "docstore: delete %s", key)
}

// CheckPrecondition tests pre against a document's state (exists, and its
// stored version when it does). A failed precondition is errs.Conflict.
// Drivers call it inside the transaction that then writes.
func CheckPrecondition(key Key, pre Precondition, exists bool, version int64) error {
	switch {
	case pre.IfVersion == 0:
		return nil
	case pre.IfVersion < 0 && exists:
		return errs.E(errs.Conflict, "docstore: %s already exists", key)
	case pre.IfVersion > 0 && !exists:
		return errs.E(errs.Conflict, "docstore: %s does not exist (want version %d)", key, pre.IfVersion)
	case pre.IfVersion > 0 && version != pre.IfVersion:
		return errs.E(errs.Conflict, "docstore: %s is at version %d, not %d", key, version, pre.IfVersion)
	}
	return nil
}

// NotFound is the error a driver returns for a missing document.
func NotFound(key Key) error { return errs.E(errs.NotFound, "docstore: %s not found", key) }
