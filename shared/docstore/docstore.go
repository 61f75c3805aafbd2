// Package docstore is the port for configuration and run state: small JSON
// documents addressed by tenant, kind and id, with optimistic concurrency and
// read-modify-write transactions.
//
// Drivers register a URL scheme with Register (sqlite://, firestore://);
// Open picks the driver by the URL's scheme. Every operation names the tenant,
// so one tenant can never read another's documents through this API.
package docstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
)

// Key addresses one document.
type Key struct {
	Tenant string
	Kind   string // e.g. "etl_job", "run", "user"
	ID     string
}

// Doc is a stored document. Data is a JSON object.
type Doc struct {
	Key
	Data json.RawMessage
	// Version is set by the store: 1 on create, +1 on every update.
	Version int64
	// UpdateTime is set by the store on every write.
	UpdateTime time.Time
}

// Precondition constrains a write.
type Precondition struct {
	// IfVersion: 0 means "no condition"; -1 means "must not exist";
	// n > 0 means "the stored version must be n".
	IfVersion int64
}

// Common preconditions.
var (
	Any        = Precondition{}
	MustCreate = Precondition{IfVersion: -1}
)

// IfVersion returns a precondition that the stored version is v.
func IfVersion(v int64) Precondition { return Precondition{IfVersion: v} }

// Op is a filter comparison.
type Op string

// Filter operators.
const (
	Eq Op = "=="
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
)

// Filter compares a top-level field of Data with a value (string, bool,
// int64, float64 or time.Time, the latter stored as RFC 3339 strings).
// Drivers store top-level RFC 3339 strings in TimeFormat and convert time
// values the same way (see CanonicalData and FilterValue), so times compare
// as instants. A filter matches only values of its own type (integers and
// floats are both numbers) and never documents that lack the field.
type Filter struct {
	Field string
	Op    Op
	Value any
}

// Query lists documents of one tenant and kind.
type Query struct {
	Tenant  string
	Kind    string
	Filters []Filter
	// OrderBy is a top-level field of Data; empty means by ID. Documents
	// without the field are left out; ties are broken by ID in the same
	// direction.
	OrderBy string
	Desc    bool
	// Limit 0 means no limit.
	Limit int
}

// Reader reads documents.
type Reader interface {
	// Get returns errs.NotFound when the document does not exist.
	Get(ctx context.Context, key Key) (Doc, error)
}

// Writer writes documents.
type Writer interface {
	// Put creates or replaces the document; a failed precondition returns
	// errs.Conflict. It returns the stored version.
	Put(ctx context.Context, key Key, data json.RawMessage, pre Precondition) (int64, error)
	// Delete removes the document; deleting a missing document is not an
	// error unless pre requires a version.
	Delete(ctx context.Context, key Key, pre Precondition) error
}

// Tx is a read-modify-write transaction. Writes become visible to others on
// commit; a Get after a Put or Delete in the same transaction sees it (the
// Firestore driver buffers writes until commit, so its reads may come
// after writes). Inside fn, write only through the Tx: writing through the
// Store with fn's context is errs.Invalid.
type Tx interface {
	Reader
	Writer
}

// Driver is what a backend implements. The Store in front of it validates
// keys, queries and data (Data reaching Put is canonical, see CanonicalData),
// refuses calls after Close and writes through the Store inside one of its
// transactions, and gives errors their kind, so a driver does none of that:
// it stores, reads, checks preconditions (CheckPrecondition) and says what
// its own errors mean (ErrorKind).
type Driver interface {
	Reader
	Writer
	List(ctx context.Context, q Query) ([]Doc, error)
	// RunTx runs fn in a transaction, retrying it on contention. If fn
	// returns an error nothing is written and that error is returned.
	RunTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// ErrorKind classifies an error the driver returned that carries no
	// errs kind (a database or RPC error); errs.Unknown when it cannot tell.
	ErrorKind(err error) errs.Kind
	Close() error
}

// Opener opens a driver from a URL.
type Opener = registry.Opener[Driver]

var drivers = registry.New[Driver]("docstore")

// Register makes a driver available under a URL scheme. Call it from init.
func Register(scheme string, o Opener) { drivers.Register(scheme, o) }

// Schemes lists the registered schemes.
func Schemes() []string { return drivers.Schemes() }

// Open opens the docstore named by rawURL (see the package doc for schemes).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	d, err := drivers.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return NewStore(d), nil
}

// TxRunner is the transaction half of a Driver.
type TxRunner interface {
	RunTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// PutInTx is a driver's Put as a one-write transaction, for drivers
// whose single writes need the transaction's precondition check.
func PutInTx(ctx context.Context, d TxRunner, key Key, data json.RawMessage, pre Precondition) (int64, error) {
	var v int64
	err := d.RunTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		v, err = tx.Put(ctx, key, data, pre)
		return err
	})
	return v, err
}

// DeleteInTx is a driver's Delete as a one-write transaction.
func DeleteInTx(ctx context.Context, d TxRunner, key Key, pre Precondition) error {
	return d.RunTx(ctx, func(ctx context.Context, tx Tx) error { return tx.Delete(ctx, key, pre) })
}
