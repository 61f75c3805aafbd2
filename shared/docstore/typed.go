package docstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Lister lists documents; *Store and every Driver implement it.
type Lister interface {
	List(ctx context.Context, q Query) ([]Doc, error)
}

// Transactor runs read-modify-write transactions; *Store and every Driver
// implement it.
type Transactor interface {
	RunTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Item is a decoded document with its key and store metadata.
type Item[T any] struct {
	Key        Key
	Version    int64
	UpdateTime time.Time
	Value      T
}

// Decode decodes a document's Data into a T. A decode failure is
// errs.Invalid naming the key.
func Decode[T any](doc Doc) (T, error) {
	var v T
	if err := json.Unmarshal(doc.Data, &v); err != nil {
		return v, errs.Wrap(errs.Invalid, err, "docstore: decode %s", doc.Key)
	}
	return v, nil
}

// Encode encodes v as the Data of a document; v must encode as a JSON
// object (a struct or a map), else the error is errs.Invalid.
func Encode(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "docstore: encode %T", v)
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, errs.E(errs.Invalid, "docstore: %T does not encode as a JSON object", v)
	}
	return b, nil
}

// Get reads the document at key and decodes it into a T, returning its
// version. A missing document is errs.NotFound; Data that does not decode
// into T is errs.Invalid. r may be a *Store, a Driver or a Tx.
func Get[T any](ctx context.Context, r Reader, key Key) (T, int64, error) {
	doc, err := r.Get(ctx, key)
	if err != nil {
		var zero T
		return zero, 0, err
	}
	v, err := Decode[T](doc)
	if err != nil {
		return v, 0, err
	}
	return v, doc.Version, nil
}

// Put encodes v (which must encode as a JSON object) and writes it at key
// under pre, returning the stored version. w may be a *Store, a Driver or a
// Tx.
func Put[T any](ctx context.Context, w Writer, key Key, v T, pre Precondition) (int64, error) {
	data, err := Encode(v)
	if err != nil {
		return 0, errs.At("docstore.Put", err) // Invalid already
	}
	return w.Put(ctx, key, data, pre)
}

// List runs q and decodes every document into a T, in the query's order.
func List[T any](ctx context.Context, l Lister, q Query) ([]T, error) {
	docs, err := l.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(docs))
	for _, d := range docs {
		v, err := Decode[T](d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ListItems is List keeping each document's key, version and update time.
func ListItems[T any](ctx context.Context, l Lister, q Query) ([]Item[T], error) {
	docs, err := l.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Item[T], 0, len(docs))
	for _, d := range docs {
		v, err := Decode[T](d)
		if err != nil {
			return nil, err
		}
		out = append(out, Item[T]{Key: d.Key, Version: d.Version, UpdateTime: d.UpdateTime, Value: v})
	}
	return out, nil
}

// Update reads the document at key in a transaction, calls fn with its
// decoded value (the zero T and exists=false when it is missing), and writes
// the value fn leaves back, all atomically: concurrent Updates of one key are
// serialised, and fn may be called more than once on contention, so it must
// not have side effects beyond *v. If fn returns an error nothing is written
// and that error is returned. Update returns the value written.
func Update[T any](ctx context.Context, s Transactor, key Key, fn func(v *T, exists bool) error) (T, error) {
	var out T
	err := s.RunTx(ctx, func(ctx context.Context, tx Tx) error {
		var v T
		exists := true
		doc, err := tx.Get(ctx, key)
		switch {
		case errs.Is(err, errs.NotFound):
			exists = false
		case err != nil:
			return err
		default:
			if v, err = Decode[T](doc); err != nil {
				return err
			}
		}
		if err := fn(&v, exists); err != nil {
			return err
		}
		pre := MustCreate
		if exists {
			pre = IfVersion(doc.Version)
		}
		if _, err := Put(ctx, tx, key, v, pre); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
