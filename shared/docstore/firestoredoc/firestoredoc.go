// Package firestoredoc is the docstore driver for Cloud Firestore (native
// mode), cloud.google.com/go/firestore.
//
// URLs (scheme "firestore"):
//
//	firestore://PROJECT                 the project's (default) database
//	firestore://PROJECT?database=ID     a named database
//	firestore://                        the project detected from credentials
//
// The client is created on first use, so Open does no I/O; it honours
// FIRESTORE_EMULATOR_HOST as the client library does.
//
// Layout: the document of Key{Tenant, Kind, ID} is tenants/{Tenant}/{Kind}/{ID},
// so every query is confined to one tenant's collection. Data's fields are
// stored as the document's top-level fields (so queries filter and order on
// them), plus the reserved field _ds_version. JSON numbers that are integers
// within int64 are stored as integers, others as doubles; arrays directly
// inside arrays (which Firestore cannot store) are wrapped in a map with the
// single reserved key _ds_a. Times are strings in docstore.TimeFormat, as in
// every driver (see docstore.CanonicalData), never Firestore timestamps.
//
// Queries that filter on one field and order by another, or filter with
// equality on several fields, need composite indexes in production (the
// emulator does not check); Firestore's error is reported as errs.Invalid.
// Queries in id order (no OrderBy) that are descending or have an inequality
// filter read the whole filtered set and sort it by id here.
package firestoredoc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/errs/grpcerr"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "firestore"

// Reserved field names.
const (
	versionField = docstore.ReservedPrefix + "version"
	arrayField   = docstore.ReservedPrefix + "a"
)

// maxTxAttempts bounds RunTx's retries on contention (Firestore's default is 5,
// too few for a burst of writers on one document).
const maxTxAttempts = 30

func init() {
	docstore.Register(Scheme, func(ctx context.Context, u *url.URL) (docstore.Driver, error) {
		return OpenURL(ctx, u)
	})
}

// Driver is the Firestore docstore driver.
type Driver struct {
	project  string
	database string
	opts     []option.ClientOption
	log      *slog.Logger

	// txSem serialises this driver's transactions (see RunTx).
	txSem chan struct{}

	mu     sync.Mutex
	client *firestore.Client
	closed bool
}

var _ docstore.Driver = (*Driver)(nil)

// OpenURL returns a driver for a firestore:// URL (see the package doc). It
// does no I/O.
func OpenURL(ctx context.Context, u *url.URL) (*Driver, error) {
	if u.Path != "" && u.Path != "/" {
		return nil, errs.E(errs.Invalid, "firestoredoc: unexpected path %q in URL (want firestore://PROJECT)", u.Path)
	}
	q := u.Query()
	for k := range q {
		if k != "database" {
			return nil, errs.E(errs.Invalid, "firestoredoc: unknown URL parameter %q", k)
		}
	}
	return New(u.Host, q.Get("database")), nil
}

// New returns a driver for the project's database (empty: "(default)");
// project "" means detect it from the credentials. opts are passed to the
// client when it is created on first use.
func New(project, database string, opts ...option.ClientOption) *Driver {
	if project == "" {
		project = firestore.DetectProjectID
	}
	if database == "" {
		database = firestore.DefaultDatabaseID
	}
	return &Driver{
		project:  project,
		database: database,
		opts:     opts,
		txSem:    make(chan struct{}, 1),
		log:      slog.Default().With("component", "docstore", "driver", "firestore", "project", project, "database", database),
	}
}

// NewWithClient returns a driver using an existing client; Close closes it.
func NewWithClient(c *firestore.Client) *Driver {
	return &Driver{client: c, txSem: make(chan struct{}, 1), log: slog.Default().With("component", "docstore", "driver", "firestore")}
}

func (d *Driver) fs(ctx context.Context) (*firestore.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errs.E(errs.Invalid, "firestoredoc: driver is closed")
	}
	if d.client != nil {
		return d.client, nil
	}
	// The client outlives the request that happens to create it.
	c, err := firestore.NewClientWithDatabase(context.WithoutCancel(ctx), d.project, d.database, d.opts...)
	if err != nil {
		return nil, mapErr(err, "firestoredoc: create client")
	}
	d.log.DebugContext(ctx, "firestore client created", "emulator", c.UsesEmulator)
	d.client = c
	return c, nil
}

// Close closes the client, if one was created.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.client == nil {
		return nil
	}
	err := d.client.Close()
	d.client = nil
	return err
}

func collection(c *firestore.Client, tenant, kind string) *firestore.CollectionRef {
	return c.Collection("tenants").Doc(tenant).Collection(kind)
}

func ref(c *firestore.Client, key docstore.Key) *firestore.DocumentRef {
	return collection(c, key.Tenant, key.Kind).Doc(key.ID)
}

// Get implements docstore.Reader.
func (d *Driver) Get(ctx context.Context, key docstore.Key) (docstore.Doc, error) {
	c, err := d.fs(ctx)
	if err != nil {
		return docstore.Doc{}, err
	}
	snap, err := ref(c, key).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return docstore.Doc{}, docstore.NotFound(key)
	}
	if err != nil {
		return docstore.Doc{}, mapErr(err, "firestoredoc: get %s", key)
	}
	return fromSnapshot(key, snap)
}

// Put implements docstore.Writer.
func (d *Driver) Put(ctx context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	if pre.IfVersion < 0 {
		// Create needs no transaction: the service checks existence.
		fields, _, err := encode(key, data, 1)
		if err != nil {
			return 0, err
		}
		c, err := d.fs(ctx)
		if err != nil {
			return 0, err
		}
		if _, err := ref(c, key).Create(ctx, fields); err != nil {
			if status.Code(err) == codes.AlreadyExists {
				return 0, errs.Wrap(errs.Conflict, err, "docstore: %s already exists", key)
			}
			return 0, mapErr(err, "firestoredoc: create %s", key)
		}
		return 1, nil
	}
	return docstore.PutInTx(ctx, d, key, data, pre)
}

// Delete implements docstore.Writer.
func (d *Driver) Delete(ctx context.Context, key docstore.Key, pre docstore.Precondition) error {
	if pre.IfVersion != 0 {
		return docstore.DeleteInTx(ctx, d, key, pre)
	}
	c, err := d.fs(ctx)
	if err != nil {
		return err
	}
	if _, err := ref(c, key).Delete(ctx); err != nil {
		return mapErr(err, "firestoredoc: delete %s", key)
	}
	return nil
}

// List implements docstore.Driver.
func (d *Driver) List(ctx context.Context, q docstore.Query) ([]docstore.Doc, error) {
	c, err := d.fs(ctx)
	if err != nil {
		return nil, err
	}
	fq, clientSort := buildQuery(collection(c, q.Tenant, q.Kind).Query, q)
	snaps, err := fq.Documents(ctx).GetAll()
	if err != nil {
		return nil, mapQueryErr(err, "firestoredoc: list %s/%s", q.Tenant, q.Kind)
	}
	out := make([]docstore.Doc, 0, len(snaps))
	for _, s := range snaps {
		doc, err := fromSnapshot(docstore.Key{Tenant: q.Tenant, Kind: q.Kind, ID: s.Ref.ID}, s)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	if clientSort {
		slices.SortFunc(out, func(a, b docstore.Doc) int {
			if q.Desc {
				return strings.Compare(b.ID, a.ID)
			}
			return strings.Compare(a.ID, b.ID)
		})
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	return out, nil
}

// buildQuery applies q (already validated) to base. Ordering by id is
// served by Firestore only when ascending without inequality filters
// (Firestore orders a query with an inequality filter by that field first,
// and the emulator cannot scan ids descending); otherwise clientSort reports
// that the caller must sort the whole result by id and apply the limit.
func buildQuery(base firestore.Query, q docstore.Query) (fq firestore.Query, clientSort bool) {
	fq = base
	inequality := false
	for _, f := range q.Filters {
		v, _ := docstore.FilterValue(f.Value)
		fq = fq.Where(f.Field, string(f.Op), v)
		if f.Op != docstore.Eq {
			inequality = true
		}
	}
	switch {
	case q.OrderBy != "":
		dir := firestore.Asc
		if q.Desc {
			dir = firestore.Desc
		}
		fq = fq.OrderBy(q.OrderBy, dir)
	case inequality || q.Desc:
		return fq, true
	default:
		fq = fq.OrderBy(firestore.DocumentID, firestore.Asc)
	}
	if q.Limit > 0 {
		fq = fq.Limit(q.Limit)
	}
	return fq, false
}

// RunTx implements docstore.Driver with a Firestore transaction, retried on
// contention. Writes are buffered and sent at commit, so Gets may follow
// Puts (they see the transaction's own writes).
//
// Transactions through one Driver run one at a time: Firestore locks what a
// transaction reads, so concurrent read-modify-writes of one document from
// one process would otherwise wait for each other's lock timeouts before
// retrying. Transactions of different processes are isolated by Firestore
// and retried on contention. (The docstore.Store refuses writes through
// itself from inside fn, which would deadlock or escape the transaction.)
func (d *Driver) RunTx(ctx context.Context, fn func(ctx context.Context, tx docstore.Tx) error) error {
	c, err := d.fs(ctx)
	if err != nil {
		return err
	}
	select {
	case d.txSem <- struct{}{}:
		defer func() { <-d.txSem }()
	case <-ctx.Done():
		return errs.Wrap(errs.Transient, ctx.Err(), "firestoredoc: wait for transaction")
	}
	var fnErr error
	err = c.RunTransaction(ctx, func(ctx context.Context, ftx *firestore.Transaction) error {
		t := &tx{c: c, ftx: ftx, entries: map[docstore.Key]*entry{}}
		fnErr = fn(ctx, t)
		if fnErr != nil {
			return fnErr
		}
		return t.flush()
	}, firestore.MaxAttempts(maxTxAttempts))
	switch {
	case err == nil:
		return nil
	case fnErr != nil && errors.Is(err, fnErr):
		return err
	default:
		return mapErr(err, "firestoredoc: transaction")
	}
}

// entry is what a transaction knows of one document.
type entry struct {
	ref     *firestore.DocumentRef
	exists  bool
	version int64
	data    json.RawMessage
	updated time.Time
	write   int // opNone, opSet, opDelete
	fields  map[string]any
}

const (
	opNone = iota
	opSet
	opDelete
)

type tx struct {
	c       *firestore.Client
	ftx     *firestore.Transaction
	entries map[docstore.Key]*entry
	order   []docstore.Key
}

// load reads a document into the transaction once.
func (t *tx) load(key docstore.Key) (*entry, error) {
	if e, ok := t.entries[key]; ok {
		return e, nil
	}
	e := &entry{ref: ref(t.c, key)}
	snap, err := t.ftx.Get(e.ref)
	switch {
	case status.Code(err) == codes.NotFound:
	case err != nil:
		return nil, mapErr(err, "firestoredoc: get %s", key)
	default:
		doc, err := fromSnapshot(key, snap)
		if err != nil {
			return nil, err
		}
		e.exists, e.version, e.data, e.updated = true, doc.Version, doc.Data, doc.UpdateTime
	}
	t.entries[key] = e
	t.order = append(t.order, key)
	return e, nil
}

func (t *tx) Get(ctx context.Context, key docstore.Key) (docstore.Doc, error) {
	e, err := t.load(key)
	if err != nil {
		return docstore.Doc{}, err
	}
	if !e.exists {
		return docstore.Doc{}, docstore.NotFound(key)
	}
	return docstore.Doc{Key: key, Data: e.data, Version: e.version, UpdateTime: e.updated}, nil
}

func (t *tx) Put(ctx context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	e, err := t.load(key)
	if err != nil {
		return 0, err
	}
	if err := check(key, pre, e); err != nil {
		return 0, err
	}
	version := int64(1)
	if e.exists {
		version = e.version + 1
	}
	fields, canon, err := encode(key, data, version)
	if err != nil {
		return 0, err
	}
	e.exists, e.version, e.data, e.updated = true, version, canon, time.Now().UTC()
	e.write, e.fields = opSet, fields
	return version, nil
}

func (t *tx) Delete(ctx context.Context, key docstore.Key, pre docstore.Precondition) error {
	e, ok := t.entries[key]
	if !ok && pre.IfVersion == 0 {
		// No need to read: record a blind delete.
		e = &entry{ref: ref(t.c, key)}
		t.entries[key] = e
		t.order = append(t.order, key)
	} else if !ok {
		var err error
		if e, err = t.load(key); err != nil {
			return err
		}
	}
	if err := check(key, pre, e); err != nil {
		return err
	}
	e.exists, e.version, e.data, e.fields = false, 0, nil, nil
	e.write = opDelete
	return nil
}

// flush sends the buffered writes, the last one per document.
func (t *tx) flush() error {
	for _, key := range t.order {
		e := t.entries[key]
		var err error
		switch e.write {
		case opSet:
			err = t.ftx.Set(e.ref, e.fields)
		case opDelete:
			err = t.ftx.Delete(e.ref)
		}
		if err != nil {
			return mapErr(err, "firestoredoc: write %s", key)
		}
	}
	return nil
}

func check(key docstore.Key, pre docstore.Precondition, e *entry) error {
	return docstore.CheckPrecondition(key, pre, e.exists, e.version)
}

// encode turns Data (canonical: the docstore.Store checked it) into
// Firestore fields carrying the version; it also returns the data.
func encode(key docstore.Key, canon json.RawMessage, version int64) (map[string]any, json.RawMessage, error) {
	dec := json.NewDecoder(strings.NewReader(string(canon)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, nil, errs.Wrap(errs.Invalid, err, "docstore: put %s", key)
	}
	fields := make(map[string]any, len(m)+1)
	for k, v := range m {
		fv, err := toFirestore(v, false)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Invalid, err, "docstore: put %s: field %q", key, k)
		}
		fields[k] = fv
	}
	fields[versionField] = version
	return fields, canon, nil
}

// toFirestore converts a JSON value decoded with UseNumber.
func toFirestore(v any, inArray bool) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s out of range: %w", x, err)
		}
		return f, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			fe, err := toFirestore(e, false)
			if err != nil {
				return nil, err
			}
			out[k] = fe
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			fe, err := toFirestore(e, true)
			if err != nil {
				return nil, err
			}
			out[i] = fe
		}
		if inArray {
			return map[string]any{arrayField: out}, nil
		}
		return out, nil
	default: // string, bool, nil
		return v, nil
	}
}

// fromFirestore reverses toFirestore.
func fromFirestore(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if a, ok := x[arrayField]; ok && len(x) == 1 {
			return fromFirestore(a)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fromFirestore(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromFirestore(e)
		}
		return out
	case time.Time: // written by other tools
		return docstore.FormatTime(x)
	default:
		return v
	}
}

func fromSnapshot(key docstore.Key, snap *firestore.DocumentSnapshot) (docstore.Doc, error) {
	m := snap.Data()
	var version int64
	switch v := m[versionField].(type) {
	case int64:
		version = v
	case nil:
		version = 1 // written by another tool
	default:
		return docstore.Doc{}, errs.E(errs.Invalid, "firestoredoc: %s: %s has type %T", key, versionField, v)
	}
	delete(m, versionField)
	data, err := json.Marshal(fromFirestore(m))
	if err != nil {
		return docstore.Doc{}, errs.Wrap(errs.Invalid, err, "firestoredoc: %s: encode data", key)
	}
	return docstore.Doc{Key: key, Data: data, Version: version, UpdateTime: snap.UpdateTime.UTC()}, nil
}

// mapErr adds the operation to a Firestore error; the docstore.Store gives
// it its kind (ErrorKind).
func mapErr(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ErrorKind implements docstore.Driver: the kind of the gRPC status code.
func (d *Driver) ErrorKind(err error) errs.Kind { return grpcerr.KindOf(err) }

// mapQueryErr is mapErr for queries, where FailedPrecondition means a
// missing index rather than a version conflict.
func mapQueryErr(err error, format string, args ...any) error {
	if status.Code(err) == codes.FailedPrecondition {
		return errs.Wrap(errs.Invalid, err, format+" (the query may need a composite index)", args...)
	}
	return mapErr(err, format, args...)
}
