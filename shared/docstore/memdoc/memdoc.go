// Package memdoc is an in-memory docstore driver, registered as mem://.
// It passes the docstore conformance suite, so unit tests of the domain
// packages need neither SQLite files nor emulators. Every Open of "mem://"
// returns a new, empty store; nothing is kept after Close.
//
// Transactions run one at a time and see their own writes; a plain Put or
// Delete is a transaction of its own, so every write is serialisable.
package memdoc

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Scheme is the URL scheme of the driver.
const Scheme = "mem"

func init() {
	docstore.Register(Scheme, func(_ context.Context, u *url.URL) (docstore.Driver, error) {
		if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.RawQuery != "" {
			return nil, errs.E(errs.Invalid, "memdoc: unexpected %q (want mem://)", u.Redacted())
		}
		return New(), nil
	})
}

// Driver is the in-memory driver.
type Driver struct {
	txMu sync.Mutex // serialises transactions (and plain writes)
	mu   sync.Mutex // guards docs
	docs map[docstore.Key]docstore.Doc
}

var _ docstore.Driver = (*Driver)(nil)

// New returns an empty driver; docstore.NewStore(memdoc.New()) is a ready
// store.
func New() *Driver { return &Driver{docs: map[docstore.Key]docstore.Doc{}} }

// Get implements docstore.Reader.
func (d *Driver) Get(_ context.Context, key docstore.Key) (docstore.Doc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.docs[key]
	if !ok {
		return docstore.Doc{}, docstore.NotFound(key)
	}
	return doc, nil
}

// Put implements docstore.Writer.
func (d *Driver) Put(ctx context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	return docstore.PutInTx(ctx, d, key, data, pre)
}

// Delete implements docstore.Writer.
func (d *Driver) Delete(ctx context.Context, key docstore.Key, pre docstore.Precondition) error {
	return docstore.DeleteInTx(ctx, d, key, pre)
}

// RunTx implements docstore.Driver: fn's writes are buffered and applied
// together when it returns nil.
func (d *Driver) RunTx(ctx context.Context, fn func(ctx context.Context, tx docstore.Tx) error) error {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &tx{d: d, writes: map[docstore.Key]*docstore.Doc{}}
	if err := fn(ctx, t); err != nil {
		return err
	}
	now := time.Now().UTC()
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, w := range t.writes {
		if w == nil {
			delete(d.docs, k)
			continue
		}
		w.UpdateTime = now
		d.docs[k] = *w
	}
	return nil
}

// tx buffers writes; nil in writes is a delete.
type tx struct {
	d      *Driver
	writes map[docstore.Key]*docstore.Doc
}

func (t *tx) current(key docstore.Key) (docstore.Doc, bool) {
	if w, ok := t.writes[key]; ok {
		if w == nil {
			return docstore.Doc{}, false
		}
		return *w, true
	}
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	doc, ok := t.d.docs[key]
	return doc, ok
}

func (t *tx) Get(_ context.Context, key docstore.Key) (docstore.Doc, error) {
	doc, ok := t.current(key)
	if !ok {
		return docstore.Doc{}, docstore.NotFound(key)
	}
	return doc, nil
}

func (t *tx) Put(_ context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	cur, ok := t.current(key)
	if err := docstore.CheckPrecondition(key, pre, ok, cur.Version); err != nil {
		return 0, err
	}
	doc := docstore.Doc{Key: key, Data: slices.Clone(data), Version: cur.Version + 1, UpdateTime: time.Now().UTC()}
	t.writes[key] = &doc
	return doc.Version, nil
}

func (t *tx) Delete(_ context.Context, key docstore.Key, pre docstore.Precondition) error {
	cur, ok := t.current(key)
	if err := docstore.CheckPrecondition(key, pre, ok, cur.Version); err != nil {
		return err
	}
	t.writes[key] = nil
	return nil
}

// List implements docstore.Driver with the semantics of the other drivers:
// a filter matches only values of its own type (integers and floats are
// both numbers), ordering puts values by type (null, bool, number, string,
// array, object) and then by value, ties by ID.
func (d *Driver) List(_ context.Context, q docstore.Query) ([]docstore.Doc, error) {
	type row struct {
		doc    docstore.Doc
		fields map[string]json.RawMessage
	}
	var rows []row
	d.mu.Lock()
	for k, doc := range d.docs {
		if k.Tenant != q.Tenant || k.Kind != q.Kind {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(doc.Data, &m); err != nil {
			d.mu.Unlock()
			return nil, errs.Wrap(errs.Invalid, err, "memdoc: %s holds no JSON object", k)
		}
		rows = append(rows, row{doc, m})
	}
	d.mu.Unlock()
	rows = slices.DeleteFunc(rows, func(r row) bool {
		for _, f := range q.Filters {
			want, _ := docstore.FilterValue(f.Value) // the Store validated it
			raw, ok := r.fields[f.Field]
			if !ok || !matches(value(raw), f.Op, want) {
				return true
			}
		}
		if q.OrderBy != "" {
			_, ok := r.fields[q.OrderBy]
			return !ok
		}
		return false
	})
	slices.SortFunc(rows, func(a, b row) int {
		c := 0
		if q.OrderBy != "" {
			c = compare(value(a.fields[q.OrderBy]), value(b.fields[q.OrderBy]))
		}
		if c == 0 {
			c = cmp.Compare(a.doc.ID, b.doc.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	out := make([]docstore.Doc, len(rows))
	for i, r := range rows {
		out[i] = r.doc
	}
	return out, nil
}

// ErrorKind implements docstore.Driver: the driver's errors carry their
// kind already.
func (d *Driver) ErrorKind(error) errs.Kind { return errs.Unknown }

// Close implements docstore.Driver; the documents are dropped.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.docs = map[docstore.Key]docstore.Doc{}
	return nil
}

// jsonValue is a top-level field's value: its type rank (null 0, bool 1,
// number 2, string 3, array 4, object 5) and, for scalars, the value
// (bool, int64, float64 or string); arrays and objects keep their text.
type jsonValue struct {
	rank int
	v    any
}

func value(raw json.RawMessage) jsonValue {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return jsonValue{rank: 0}
	}
	switch raw[0] {
	case 'n':
		return jsonValue{rank: 0}
	case 't', 'f':
		return jsonValue{rank: 1, v: raw[0] == 't'}
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return jsonValue{rank: 3, v: s}
	case '[':
		return jsonValue{rank: 4, v: string(raw)}
	case '{':
		return jsonValue{rank: 5, v: string(raw)}
	}
	if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return jsonValue{rank: 2, v: i}
	}
	f, _ := strconv.ParseFloat(string(raw), 64)
	return jsonValue{rank: 2, v: f}
}

func rankOf(filter any) int {
	switch filter.(type) {
	case bool:
		return 1
	case int64, float64:
		return 2
	default:
		return 3
	}
}

func matches(got jsonValue, op docstore.Op, want any) bool {
	if got.rank != rankOf(want) {
		return false
	}
	c := compare(got, jsonValue{rank: got.rank, v: want})
	switch op {
	case docstore.Eq:
		return c == 0
	case docstore.Lt:
		return c < 0
	case docstore.Le:
		return c <= 0
	case docstore.Gt:
		return c > 0
	case docstore.Ge:
		return c >= 0
	}
	return false
}

func compare(a, b jsonValue) int {
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	switch x := a.v.(type) {
	case bool:
		y := b.v.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		default:
			return 1
		}
	case int64:
		if y, ok := b.v.(int64); ok {
			return cmp.Compare(x, y)
		}
		return cmpFloat(float64(x), b.v.(float64))
	case float64:
		if y, ok := b.v.(int64); ok {
			return cmpFloat(x, float64(y))
		}
		return cmpFloat(x, b.v.(float64))
	case string:
		return cmp.Compare(x, b.v.(string))
	}
	return 0
}

func cmpFloat(a, b float64) int {
	if math.IsNaN(a) || math.IsNaN(b) {
		return 0
	}
	return cmp.Compare(a, b)
}
