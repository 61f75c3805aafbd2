// Package docstoretest is the conformance suite every docstore driver must
// pass. A driver's test calls Run with a function that opens a driver; the
// suite gives every subtest its own tenant names (random per Run), so
// drivers backed by a shared server (the Firestore emulator) need no cleanup
// between runs.
package docstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Run runs the conformance suite. open is called once per subtest and must
// return a ready store (docstore.Open, or docstore.NewStore over a driver):
// the suite tests the driver through the portable type, as the code uses it.
// The suite closes the store when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) *docstore.Store) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	s := &suite{prefix: "ct" + hex.EncodeToString(b[:]), open: open}
	tests := []struct {
		name string
		fn   func(t *testing.T, st *docstore.Store, tenant string)
	}{
		{"RoundTrip", testRoundTrip},
		{"TypedRoundTrip", testTypedRoundTrip},
		{"NotFound", testNotFound},
		{"Versions", testVersions},
		{"MustCreate", testMustCreate},
		{"IfVersion", testIfVersion},
		{"Delete", testDelete},
		{"ListFilters", testListFilters},
		{"ListOrder", testListOrder},
		{"TenantIsolation", testTenantIsolation},
		{"TxCounter", testTxCounter},
		{"TxErrorWritesNothing", testTxErrorWritesNothing},
		{"TxReadYourWrites", testTxReadYourWrites},
		{"TxConflict", testTxConflict},
		{"TxNestedWrite", testTxNestedWrite},
		{"Update", testUpdate},
		{"Invalid", testInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.open(t)
			t.Cleanup(func() {
				if err := d.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, d, s.prefix+"-"+strings.ToLower(tc.name))
		})
	}
}

type suite struct {
	prefix string
	open   func(t *testing.T) *docstore.Store
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %v", what, kind)
		return
	}
	if got := errs.KindOf(err); got != kind {
		t.Errorf("%s: got error kind %v (%v), want %v", what, got, err, kind)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// jsonEqual compares two JSON texts as values, numbers by their exact text
// after normalising integers and floats written in different forms.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(decodeNumbers(t, a), decodeNumbers(t, b))
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func testRoundTrip(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	cases := []struct {
		id   string
		data string
	}{
		{"nested", `{"a":{"b":{"c":[1,2,{"d":"e"}]}},"list":[],"obj":{},"null":null,"t":true,"f":false}`},
		{"unicode-é中文😀", `{"name":"Zürich — 東京 😀","quote":"say \"hi\"\n\ttab","empty":""}`},
		{"bigints", fmt.Sprintf(`{"max":%d,"min":%d,"odd":9007199254740993,"neg":-9007199254740995,"zero":0}`, int64(math.MaxInt64), int64(math.MinInt64))},
		{"floats", `{"pi":3.141592653589793,"neg":-0.25,"small":1.5e-300,"big":1.7976931348623157e+308}`},
		{"id with spaces & symbols:+=", `{"x":"y"}`},
		{"deep-array", `{"m":[[1,[2,[3]]],{"k":[{"a":1}]}]}`},
	}
	for _, tc := range cases {
		key := docstore.Key{Tenant: tenant, Kind: "thing", ID: tc.id}
		v := must[int64](t, "put "+tc.id)(st.Put(c, key, json.RawMessage(tc.data), docstore.Any))
		if v != 1 {
			t.Errorf("%s: put version = %d, want 1", tc.id, v)
		}
		doc := must[docstore.Doc](t, "get "+tc.id)(st.Get(c, key))
		if doc.Key != key {
			t.Errorf("%s: key = %+v, want %+v", tc.id, doc.Key, key)
		}
		if !jsonEqual(t, doc.Data, []byte(tc.data)) {
			t.Errorf("%s: data = %s, want %s", tc.id, doc.Data, tc.data)
		}
		if doc.Version != 1 {
			t.Errorf("%s: version = %d, want 1", tc.id, doc.Version)
		}
	}
	// Exact int64 through the typed helpers.
	type nums struct {
		Max, Min, Odd int64
	}
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "bigints"}
	got, _, err := docstore.Get[nums](c, st, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := (nums{Max: math.MaxInt64, Min: math.MinInt64, Odd: 9007199254740993}); got != want {
		t.Errorf("typed bigints = %+v, want %+v", got, want)
	}
}

type record struct {
	Name   string            `json:"name"`
	N      int64             `json:"n"`
	X      float64           `json:"x"`
	OK     bool              `json:"ok"`
	At     time.Time         `json:"at"`
	Tags   []string          `json:"tags,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

func testTypedRoundTrip(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	zone := time.FixedZone("X", 5*3600+30*60)
	in := record{
		Name: "ü", N: math.MaxInt64 - 1, X: 0.1, OK: true,
		At:     time.Date(2026, 3, 4, 5, 6, 7, 123456789, zone),
		Tags:   []string{"a", "b"},
		Labels: map[string]string{"k": "v"},
	}
	key := docstore.Key{Tenant: tenant, Kind: "record", ID: "r1"}
	if v := must[int64](t, "Put")(docstore.Put(c, st, key, in, docstore.MustCreate)); v != 1 {
		t.Errorf("Put version = %d, want 1", v)
	}
	out, v, err := docstore.Get[record](c, st, key)
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("Get version = %d, want 1", v)
	}
	if !out.At.Equal(in.At) {
		t.Errorf("At = %v, want %v", out.At, in.At)
	}
	out.At = in.At
	if !reflect.DeepEqual(out, in) {
		t.Errorf("Get = %+v, want %+v", out, in)
	}
	// Data that does not decode into T is Invalid and names the key.
	if _, err := st.Put(c, key, json.RawMessage(`{"n":"not a number"}`), docstore.Any); err != nil {
		t.Fatal(err)
	}
	_, _, err = docstore.Get[record](c, st, key)
	wantKind(t, "decode mismatched type", err, errs.Invalid)
	if err != nil && !strings.Contains(err.Error(), key.String()) {
		t.Errorf("decode error %q does not name the key %s", err, key)
	}
	// A value that is not a JSON object cannot be stored.
	_, err = docstore.Put(c, st, key, []int{1}, docstore.Any)
	wantKind(t, "Put of a slice", err, errs.Invalid)
}

func testNotFound(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "missing"}
	_, err := st.Get(c, key)
	wantKind(t, "Get missing", err, errs.NotFound)
	_, _, err = docstore.Get[record](c, st, key)
	wantKind(t, "typed Get missing", err, errs.NotFound)
	err = st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		_, err := tx.Get(ctx, key)
		return err
	})
	wantKind(t, "tx Get missing", err, errs.NotFound)
}

func testVersions(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "v"}
	before := time.Now().Add(-time.Minute)
	var last time.Time
	for i := int64(1); i <= 3; i++ {
		v := must[int64](t, "put")(st.Put(c, key, json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), docstore.Any))
		if v != i {
			t.Errorf("put %d: version = %d", i, v)
		}
		doc := must[docstore.Doc](t, "get")(st.Get(c, key))
		if doc.Version != i {
			t.Errorf("get after put %d: version = %d", i, doc.Version)
		}
		if !jsonEqual(t, doc.Data, []byte(fmt.Sprintf(`{"i":%d}`, i))) {
			t.Errorf("get after put %d: data = %s", i, doc.Data)
		}
		if doc.UpdateTime.Before(before) || doc.UpdateTime.After(time.Now().Add(time.Minute)) {
			t.Errorf("update time %v is not about now", doc.UpdateTime)
		}
		if doc.UpdateTime.Before(last) {
			t.Errorf("update time went back: %v after %v", doc.UpdateTime, last)
		}
		last = doc.UpdateTime
	}
}

func testMustCreate(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "once"}
	if v := must[int64](t, "create")(st.Put(c, key, json.RawMessage(`{"a":1}`), docstore.MustCreate)); v != 1 {
		t.Errorf("create version = %d, want 1", v)
	}
	_, err := st.Put(c, key, json.RawMessage(`{"a":2}`), docstore.MustCreate)
	wantKind(t, "second create", err, errs.Conflict)
	doc := must[docstore.Doc](t, "get")(st.Get(c, key))
	if !jsonEqual(t, doc.Data, []byte(`{"a":1}`)) || doc.Version != 1 {
		t.Errorf("after failed create: %s v%d, want {\"a\":1} v1", doc.Data, doc.Version)
	}
}

func testIfVersion(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "cas"}
	_, err := st.Put(c, key, json.RawMessage(`{"a":0}`), docstore.IfVersion(1))
	wantKind(t, "IfVersion(1) on missing", err, errs.Conflict)
	if _, err := st.Get(c, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("failed conditional put created the document: %v", err)
	}
	must[int64](t, "create")(st.Put(c, key, json.RawMessage(`{"a":1}`), docstore.Any))
	_, err = st.Put(c, key, json.RawMessage(`{"a":2}`), docstore.IfVersion(2))
	wantKind(t, "IfVersion(2) at version 1", err, errs.Conflict)
	if v := must[int64](t, "IfVersion(1)")(st.Put(c, key, json.RawMessage(`{"a":3}`), docstore.IfVersion(1))); v != 2 {
		t.Errorf("IfVersion(1) put version = %d, want 2", v)
	}
	doc := must[docstore.Doc](t, "get")(st.Get(c, key))
	if !jsonEqual(t, doc.Data, []byte(`{"a":3}`)) || doc.Version != 2 {
		t.Errorf("got %s v%d, want {\"a\":3} v2", doc.Data, doc.Version)
	}
	_, err = st.Put(c, key, json.RawMessage(`{"a":4}`), docstore.IfVersion(1))
	wantKind(t, "stale IfVersion(1)", err, errs.Conflict)
}

func testDelete(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "del"}
	if err := st.Delete(c, key, docstore.Any); err != nil {
		t.Errorf("delete missing without precondition: %v", err)
	}
	wantKind(t, "delete missing IfVersion(1)", st.Delete(c, key, docstore.IfVersion(1)), errs.Conflict)
	must[int64](t, "put")(st.Put(c, key, json.RawMessage(`{"a":1}`), docstore.Any))
	must[int64](t, "put")(st.Put(c, key, json.RawMessage(`{"a":2}`), docstore.Any))
	wantKind(t, "delete IfVersion(1) at version 2", st.Delete(c, key, docstore.IfVersion(1)), errs.Conflict)
	wantKind(t, "delete MustCreate of existing", st.Delete(c, key, docstore.MustCreate), errs.Conflict)
	if _, err := st.Get(c, key); err != nil {
		t.Errorf("document gone after failed conditional delete: %v", err)
	}
	if err := st.Delete(c, key, docstore.IfVersion(2)); err != nil {
		t.Errorf("delete IfVersion(2): %v", err)
	}
	if _, err := st.Get(c, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("get after delete: %v, want NotFound", err)
	}
	// Recreated documents start again at version 1.
	if v := must[int64](t, "recreate")(st.Put(c, key, json.RawMessage(`{"a":3}`), docstore.MustCreate)); v != 1 {
		t.Errorf("recreate version = %d, want 1", v)
	}
	if err := st.Delete(c, key, docstore.Any); err != nil {
		t.Errorf("delete without precondition: %v", err)
	}
	if _, err := st.Get(c, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("get after delete: %v, want NotFound", err)
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seed writes the documents the list tests query. Times use several zones
// and fraction lengths, which only compare correctly once canonicalised.
func seed(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	plus2 := time.FixedZone("P2", 2*3600)
	minus5 := time.FixedZone("M5", -5*3600)
	docs := map[string]string{
		"a": fmt.Sprintf(`{"name":"alice","n":1,"x":0.5,"ok":true,"at":%q,"grp":"g1"}`, t0.Format(time.RFC3339Nano)),
		"b": fmt.Sprintf(`{"name":"bob","n":2,"x":1.5,"ok":false,"at":%q,"grp":"g1"}`, t0.Add(500*time.Millisecond).In(plus2).Format(time.RFC3339Nano)),
		"c": fmt.Sprintf(`{"name":"carol","n":2,"x":2.25,"ok":true,"at":%q,"grp":"g2"}`, t0.Add(time.Second).In(minus5).Format(time.RFC3339Nano)),
		"d": fmt.Sprintf(`{"name":"dave","n":10,"x":-1,"ok":false,"at":%q,"grp":"g2"}`, t0.Add(time.Hour).Format(time.RFC3339Nano)),
		"e": fmt.Sprintf(`{"name":"Eve","n":-3,"x":100,"ok":true,"at":%q,"grp":"g1"}`, t0.Add(-time.Nanosecond).Format(time.RFC3339Nano)),
		// f has a float where the others have integers: numbers compare
		// across integer and float.
		"f": `{"name":"frank","n":2.5,"x":3,"ok":true,"grp":"g3"}`,
		// g has the fields with other types: filters of one type never
		// match values of another.
		"g": `{"name":7,"n":"2","x":"1.5","ok":1,"at":12,"grp":"g3"}`,
		// h has none of the fields.
		"h": `{"other":"z","grp":"g3"}`,
	}
	for id, data := range docs {
		must[int64](t, "seed "+id)(st.Put(c, docstore.Key{Tenant: tenant, Kind: "item", ID: id}, json.RawMessage(data), docstore.Any))
	}
	// Noise: another kind in the tenant and the same kind in another tenant.
	must[int64](t, "seed other kind")(st.Put(c, docstore.Key{Tenant: tenant, Kind: "other", ID: "a"}, json.RawMessage(`{"name":"alice","n":1}`), docstore.Any))
	must[int64](t, "seed other tenant")(st.Put(c, docstore.Key{Tenant: tenant + "-x", Kind: "item", ID: "a"}, json.RawMessage(`{"name":"alice","n":1}`), docstore.Any))
}

func ids(docs []docstore.Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func testListFilters(t *testing.T, st *docstore.Store, tenant string) {
	seed(t, st, tenant)
	c := ctx(t)
	f := func(field string, op docstore.Op, v any) docstore.Filter {
		return docstore.Filter{Field: field, Op: op, Value: v}
	}
	cases := []struct {
		name    string
		filters []docstore.Filter
		want    []string
	}{
		{"all", nil, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"string eq", []docstore.Filter{f("name", docstore.Eq, "bob")}, []string{"b"}},
		{"string lt (bytes order, upper case first)", []docstore.Filter{f("name", docstore.Lt, "bob")}, []string{"a", "e"}},
		{"string ge", []docstore.Filter{f("name", docstore.Ge, "carol")}, []string{"c", "d", "f"}},
		{"int eq", []docstore.Filter{f("n", docstore.Eq, int64(2))}, []string{"b", "c"}},
		{"int eq plain int", []docstore.Filter{f("n", docstore.Eq, 2)}, []string{"b", "c"}},
		{"int lt", []docstore.Filter{f("n", docstore.Lt, int64(2))}, []string{"a", "e"}},
		{"int ge crosses float", []docstore.Filter{f("n", docstore.Ge, int64(2))}, []string{"b", "c", "d", "f"}},
		{"int gt", []docstore.Filter{f("n", docstore.Gt, int64(2))}, []string{"d", "f"}},
		{"int le", []docstore.Filter{f("n", docstore.Le, int64(1))}, []string{"a", "e"}},
		{"float lt", []docstore.Filter{f("x", docstore.Lt, 1.5)}, []string{"a", "d"}},
		{"float ge", []docstore.Filter{f("x", docstore.Ge, 2.25)}, []string{"c", "e", "f"}},
		{"float eq matches integer", []docstore.Filter{f("x", docstore.Eq, 3.0)}, []string{"f"}},
		{"float gt", []docstore.Filter{f("x", docstore.Gt, 2.0)}, []string{"c", "e", "f"}},
		{"bool eq true", []docstore.Filter{f("ok", docstore.Eq, true)}, []string{"a", "c", "e", "f"}},
		{"bool eq false", []docstore.Filter{f("ok", docstore.Eq, false)}, []string{"b", "d"}},
		{"bool lt true", []docstore.Filter{f("ok", docstore.Lt, true)}, []string{"b", "d"}},
		{"time ge", []docstore.Filter{f("at", docstore.Ge, t0)}, []string{"a", "b", "c", "d"}},
		{"time gt", []docstore.Filter{f("at", docstore.Gt, t0)}, []string{"b", "c", "d"}},
		{"time lt", []docstore.Filter{f("at", docstore.Lt, t0.Add(time.Second))}, []string{"a", "b", "e"}},
		{"time eq other zone", []docstore.Filter{f("at", docstore.Eq, t0.Add(500*time.Millisecond).In(time.FixedZone("Z9", 9*3600)))}, []string{"b"}},
		{"time le", []docstore.Filter{f("at", docstore.Le, t0.Add(500*time.Millisecond))}, []string{"a", "b", "e"}},
		{"time as RFC 3339 string", []docstore.Filter{f("at", docstore.Gt, "2026-01-01T01:00:00+01:00")}, []string{"b", "c", "d"}},
		{"eq and eq", []docstore.Filter{f("grp", docstore.Eq, "g1"), f("ok", docstore.Eq, true)}, []string{"a", "e"}},
		{"range on one field", []docstore.Filter{f("n", docstore.Gt, int64(1)), f("n", docstore.Lt, int64(10))}, []string{"b", "c", "f"}},
		{"eq and range", []docstore.Filter{f("grp", docstore.Eq, "g2"), f("n", docstore.Ge, int64(5))}, []string{"d"}},
		{"no match", []docstore.Filter{f("name", docstore.Eq, "nobody")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := st.List(c, docstore.Query{Tenant: tenant, Kind: "item", Filters: tc.filters})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := ids(docs); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
			for _, d := range docs {
				if d.Tenant != tenant || d.Kind != "item" || d.Version != 1 || len(d.Data) == 0 || d.UpdateTime.IsZero() {
					t.Errorf("doc %+v lacks key or metadata", d)
				}
			}
		})
	}
}

func testListOrder(t *testing.T, st *docstore.Store, tenant string) {
	seed(t, st, tenant)
	c := ctx(t)
	cases := []struct {
		name string
		q    docstore.Query
		want []string
	}{
		{"id asc", docstore.Query{}, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"id desc", docstore.Query{Desc: true}, []string{"h", "g", "f", "e", "d", "c", "b", "a"}},
		{"id limit", docstore.Query{Limit: 3}, []string{"a", "b", "c"}},
		{"id desc limit", docstore.Query{Desc: true, Limit: 2}, []string{"h", "g"}},
		{"id order with inequality and limit", docstore.Query{Limit: 2, Filters: []docstore.Filter{{Field: "n", Op: docstore.Ge, Value: int64(2)}}}, []string{"b", "c"}},
		{"id desc with inequality and limit", docstore.Query{Desc: true, Limit: 2, Filters: []docstore.Filter{{Field: "n", Op: docstore.Ge, Value: int64(2)}}}, []string{"f", "d"}},
		{"id desc with equality", docstore.Query{Desc: true, Filters: []docstore.Filter{{Field: "grp", Op: docstore.Eq, Value: "g1"}}}, []string{"e", "b", "a"}},
		{"int asc, id breaks ties, numbers before strings", docstore.Query{OrderBy: "n"}, []string{"e", "a", "b", "c", "f", "d", "g"}},
		{"int desc, id breaks ties descending", docstore.Query{OrderBy: "n", Desc: true}, []string{"g", "d", "f", "c", "b", "a", "e"}},
		{"int asc limit", docstore.Query{OrderBy: "n", Limit: 3}, []string{"e", "a", "b"}},
		{"int desc limit", docstore.Query{OrderBy: "n", Desc: true, Limit: 2}, []string{"g", "d"}},
		{"float asc with filter", docstore.Query{OrderBy: "x", Filters: []docstore.Filter{{Field: "x", Op: docstore.Ge, Value: 0.0}}}, []string{"a", "b", "c", "f", "e"}},
		{"string asc", docstore.Query{OrderBy: "name", Filters: []docstore.Filter{{Field: "name", Op: docstore.Ge, Value: ""}}}, []string{"e", "a", "b", "c", "d", "f"}},
		{"time desc", docstore.Query{OrderBy: "at", Desc: true, Filters: []docstore.Filter{{Field: "at", Op: docstore.Ge, Value: time.Time{}}}}, []string{"d", "c", "b", "a", "e"}},
		{"bool asc with eq filter", docstore.Query{OrderBy: "ok", Filters: []docstore.Filter{{Field: "grp", Op: docstore.Eq, Value: "g1"}}}, []string{"b", "a", "e"}},
		{"eq filter, order by other field desc", docstore.Query{OrderBy: "x", Desc: true, Filters: []docstore.Filter{{Field: "ok", Op: docstore.Eq, Value: true}}}, []string{"e", "f", "c", "a"}},
		{"limit larger than result", docstore.Query{OrderBy: "n", Limit: 100, Filters: []docstore.Filter{{Field: "grp", Op: docstore.Eq, Value: "g2"}}}, []string{"c", "d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Tenant, q.Kind = tenant, "item"
			docs, err := st.List(c, q)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := ids(docs); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
	// The typed helpers decode in order.
	type named struct {
		Name string `json:"name"`
	}
	got, err := docstore.List[named](c, st, docstore.Query{Tenant: tenant, Kind: "item", OrderBy: "n", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []named{{"Eve"}, {"alice"}}; !slices.Equal(got, want) {
		t.Errorf("List[named] = %v, want %v", got, want)
	}
	items, err := docstore.ListItems[named](c, st, docstore.Query{Tenant: tenant, Kind: "item", Filters: []docstore.Filter{{Field: "name", Op: docstore.Eq, Value: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Key != (docstore.Key{Tenant: tenant, Kind: "item", ID: "b"}) || items[0].Version != 1 || items[0].Value.Name != "bob" || items[0].UpdateTime.IsZero() {
		t.Errorf("ListItems = %+v", items)
	}
	// A document whose type mismatches makes the typed List fail as Invalid.
	_, err = docstore.List[record](c, st, docstore.Query{Tenant: tenant, Kind: "item"})
	wantKind(t, "List[record] over mismatched docs", err, errs.Invalid)
}

func testTenantIsolation(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	a, b := tenant+"-a", tenant+"-b"
	ka := docstore.Key{Tenant: a, Kind: "user", ID: "u1"}
	kb := docstore.Key{Tenant: b, Kind: "user", ID: "u1"}
	must[int64](t, "put a")(st.Put(c, ka, json.RawMessage(`{"owner":"a","role":"admin"}`), docstore.MustCreate))
	if v := must[int64](t, "put b")(st.Put(c, kb, json.RawMessage(`{"owner":"b","role":"admin"}`), docstore.MustCreate)); v != 1 {
		t.Errorf("same kind and id in another tenant: version %d, want 1 (a separate document)", v)
	}
	must[int64](t, "put a2")(st.Put(c, docstore.Key{Tenant: a, Kind: "user", ID: "u2"}, json.RawMessage(`{"owner":"a","role":"viewer"}`), docstore.Any))
	for _, k := range []docstore.Key{ka, kb} {
		doc := must[docstore.Doc](t, "get")(st.Get(c, k))
		if want := fmt.Sprintf(`{"owner":%q,"role":"admin"}`, k.Tenant[len(k.Tenant)-1:]); !jsonEqual(t, doc.Data, []byte(want)) {
			t.Errorf("%s: %s, want %s", k, doc.Data, want)
		}
	}
	for _, q := range []docstore.Query{
		{Tenant: b, Kind: "user"},
		{Tenant: b, Kind: "user", Filters: []docstore.Filter{{Field: "role", Op: docstore.Eq, Value: "admin"}}},
		{Tenant: b, Kind: "user", OrderBy: "role", Desc: true},
		{Tenant: b, Kind: "user", Filters: []docstore.Filter{{Field: "owner", Op: docstore.Ge, Value: ""}}},
	} {
		docs := must[[]docstore.Doc](t, "list b")(st.List(c, q))
		if len(docs) != 1 || docs[0].Tenant != b || !strings.Contains(string(docs[0].Data), `"b"`) {
			t.Errorf("List %+v = %v, want only tenant b's u1", q, docs)
		}
	}
	if docs := must[[]docstore.Doc](t, "list a")(st.List(c, docstore.Query{Tenant: a, Kind: "user"})); !slices.Equal(ids(docs), []string{"u1", "u2"}) {
		t.Errorf("List a = %v, want [u1 u2]", ids(docs))
	}
	// A tenant that is a prefix of another sees nothing of it.
	if docs := must[[]docstore.Doc](t, "list prefix")(st.List(c, docstore.Query{Tenant: tenant, Kind: "user"})); len(docs) != 0 {
		t.Errorf("List of prefix tenant = %v, want none", ids(docs))
	}
	if err := st.Delete(c, ka, docstore.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(c, kb); err != nil {
		t.Errorf("deleting tenant a's document affected tenant b: %v", err)
	}
	wantKind(t, "IfVersion across tenants", st.Delete(c, docstore.Key{Tenant: a, Kind: "user", ID: "u1"}, docstore.IfVersion(1)), errs.Conflict)
}

func testTxCounter(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "counter", ID: "c"}
	const workers = 20
	var wg sync.WaitGroup
	errc := make(chan error, workers*2)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half use the raw Tx, half the typed Update.
			if i%2 == 0 {
				errc <- st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
					n := int64(0)
					pre := docstore.MustCreate
					doc, err := tx.Get(ctx, key)
					switch {
					case errs.Is(err, errs.NotFound):
					case err != nil:
						return err
					default:
						var v struct{ N int64 }
						if err := json.Unmarshal(doc.Data, &v); err != nil {
							return err
						}
						n, pre = v.N, docstore.IfVersion(doc.Version)
					}
					_, err = tx.Put(ctx, key, json.RawMessage(fmt.Sprintf(`{"N":%d}`, n+1)), pre)
					return err
				})
				return
			}
			_, err := docstore.Update(c, st, key, func(v *struct{ N int64 }, exists bool) error {
				v.N++
				return nil
			})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("increment: %v", err)
		}
	}
	v, version, err := docstore.Get[struct{ N int64 }](c, st, key)
	if err != nil {
		t.Fatal(err)
	}
	if v.N != workers || version != workers {
		t.Errorf("counter = %d at version %d, want %d at %d", v.N, version, workers, workers)
	}
}

var errBoom = errors.New("boom")

func testTxErrorWritesNothing(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	existing := docstore.Key{Tenant: tenant, Kind: "thing", ID: "existing"}
	must[int64](t, "put")(st.Put(c, existing, json.RawMessage(`{"a":1}`), docstore.Any))
	fresh := docstore.Key{Tenant: tenant, Kind: "thing", ID: "fresh"}
	gone := docstore.Key{Tenant: tenant, Kind: "thing", ID: "gone"}
	must[int64](t, "put")(st.Put(c, gone, json.RawMessage(`{"g":1}`), docstore.Any))
	err := st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		if _, err := tx.Get(ctx, existing); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, existing, json.RawMessage(`{"a":2}`), docstore.Any); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, fresh, json.RawMessage(`{"b":1}`), docstore.MustCreate); err != nil {
			return err
		}
		if err := tx.Delete(ctx, gone, docstore.Any); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("RunTx error = %v, want the function's error", err)
	}
	doc := must[docstore.Doc](t, "get")(st.Get(c, existing))
	if !jsonEqual(t, doc.Data, []byte(`{"a":1}`)) || doc.Version != 1 {
		t.Errorf("existing = %s v%d after failed tx, want unchanged", doc.Data, doc.Version)
	}
	if _, err := st.Get(c, fresh); !errs.Is(err, errs.NotFound) {
		t.Errorf("fresh after failed tx: %v, want NotFound", err)
	}
	if _, err := st.Get(c, gone); err != nil {
		t.Errorf("deleted-in-failed-tx document: %v, want it kept", err)
	}
	// Update's fn error writes nothing either.
	_, err = docstore.Update(c, st, fresh, func(v *record, exists bool) error { return errBoom })
	if !errors.Is(err, errBoom) {
		t.Errorf("Update error = %v, want boom", err)
	}
	if _, err := st.Get(c, fresh); !errs.Is(err, errs.NotFound) {
		t.Errorf("fresh after failed Update: %v, want NotFound", err)
	}
}

func testTxReadYourWrites(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	k1 := docstore.Key{Tenant: tenant, Kind: "thing", ID: "k1"}
	k2 := docstore.Key{Tenant: tenant, Kind: "thing", ID: "k2"}
	must[int64](t, "put")(st.Put(c, k1, json.RawMessage(`{"a":1}`), docstore.Any))
	err := st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		d1, err := tx.Get(ctx, k1)
		if err != nil {
			return err
		}
		if _, err := tx.Get(ctx, k2); !errs.Is(err, errs.NotFound) {
			return fmt.Errorf("k2 before put: %v, want NotFound", err)
		}
		v, err := tx.Put(ctx, k1, json.RawMessage(`{"a":2}`), docstore.IfVersion(d1.Version))
		if err != nil {
			return err
		}
		if v != 2 {
			return fmt.Errorf("tx put version %d, want 2", v)
		}
		if v, err = tx.Put(ctx, k1, json.RawMessage(`{"a":3}`), docstore.IfVersion(2)); err != nil || v != 3 {
			return fmt.Errorf("second tx put: v%d, %v; want v3", v, err)
		}
		if v, err = tx.Put(ctx, k2, json.RawMessage(`{"b":1}`), docstore.MustCreate); err != nil || v != 1 {
			return fmt.Errorf("tx create: v%d, %v; want v1", v, err)
		}
		got, err := tx.Get(ctx, k1)
		if err != nil {
			return err
		}
		if !jsonEqual(t, got.Data, []byte(`{"a":3}`)) || got.Version != 3 {
			return fmt.Errorf("tx read after write: %s v%d, want {\"a\":3} v3", got.Data, got.Version)
		}
		return tx.Delete(ctx, k2, docstore.IfVersion(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := must[docstore.Doc](t, "get")(st.Get(c, k1))
	if !jsonEqual(t, doc.Data, []byte(`{"a":3}`)) || doc.Version != 3 {
		t.Errorf("k1 = %s v%d, want {\"a\":3} v3", doc.Data, doc.Version)
	}
	if _, err := st.Get(c, k2); !errs.Is(err, errs.NotFound) {
		t.Errorf("k2: %v, want NotFound (created and deleted in the tx)", err)
	}
}

func testTxConflict(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "k"}
	must[int64](t, "put")(st.Put(c, key, json.RawMessage(`{"a":1}`), docstore.Any))
	err := st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		_, err := tx.Put(ctx, key, json.RawMessage(`{"a":2}`), docstore.MustCreate)
		return err
	})
	wantKind(t, "tx MustCreate of existing", err, errs.Conflict)
	err = st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		return tx.Delete(ctx, key, docstore.IfVersion(7))
	})
	wantKind(t, "tx Delete IfVersion(7)", err, errs.Conflict)
	doc := must[docstore.Doc](t, "get")(st.Get(c, key))
	if !jsonEqual(t, doc.Data, []byte(`{"a":1}`)) || doc.Version != 1 {
		t.Errorf("after conflicts: %s v%d, want unchanged", doc.Data, doc.Version)
	}
}

func testTxNestedWrite(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	key := docstore.Key{Tenant: tenant, Kind: "thing", ID: "k"}
	var putErr, delErr, txErr error
	err := st.RunTx(c, func(ctx context.Context, tx docstore.Tx) error {
		if _, err := tx.Get(ctx, key); !errs.Is(err, errs.NotFound) {
			return fmt.Errorf("get: %v", err)
		}
		_, putErr = st.Put(ctx, key, json.RawMessage(`{"a":1}`), docstore.MustCreate)
		delErr = st.Delete(ctx, key, docstore.Any)
		txErr = st.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error { return nil })
		// Reads through the store are allowed.
		_, err := st.Get(ctx, key)
		if !errs.Is(err, errs.NotFound) {
			return fmt.Errorf("store get inside tx: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "store Put inside tx", putErr, errs.Invalid)
	wantKind(t, "store Delete inside tx", delErr, errs.Invalid)
	wantKind(t, "nested RunTx", txErr, errs.Invalid)
	if _, err := st.Get(c, key); !errs.Is(err, errs.NotFound) {
		t.Errorf("nested write went through: %v", err)
	}
}

func testUpdate(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	type watermark struct {
		Value time.Time `json:"value"`
		Runs  int       `json:"runs"`
	}
	key := docstore.Key{Tenant: tenant, Kind: "watermark", ID: "job1"}
	var sawExists []bool
	for i := 0; i < 3; i++ {
		got, err := docstore.Update(c, st, key, func(w *watermark, exists bool) error {
			sawExists = append(sawExists, exists)
			w.Runs++
			w.Value = t0.Add(time.Duration(w.Runs) * time.Hour)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Runs != i+1 || !got.Value.Equal(t0.Add(time.Duration(i+1)*time.Hour)) {
			t.Errorf("Update %d returned %+v", i, got)
		}
	}
	if !slices.Equal(sawExists, []bool{false, true, true}) {
		t.Errorf("exists flags = %v, want [false true true]", sawExists)
	}
	w, v, err := docstore.Get[watermark](c, st, key)
	if err != nil {
		t.Fatal(err)
	}
	if w.Runs != 3 || v != 3 || !w.Value.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("stored %+v v%d, want 3 runs at v3", w, v)
	}
	// Update over data that does not decode is Invalid and writes nothing.
	bad := docstore.Key{Tenant: tenant, Kind: "watermark", ID: "bad"}
	must[int64](t, "put")(st.Put(c, bad, json.RawMessage(`{"runs":"x"}`), docstore.Any))
	_, err = docstore.Update(c, st, bad, func(w *watermark, exists bool) error { w.Runs = 1; return nil })
	wantKind(t, "Update over undecodable data", err, errs.Invalid)
}

func testInvalid(t *testing.T, st *docstore.Store, tenant string) {
	c := ctx(t)
	good := docstore.Key{Tenant: tenant, Kind: "thing", ID: "x"}
	for _, field := range []string{"", "a.b", "1x", "x y", "a]", "$x", "a'b", `a"b`, "é", strings.Repeat("a", 65), "_ds_version", "n--", "a;DROP TABLE docs"} {
		_, err := st.List(c, docstore.Query{Tenant: tenant, Kind: "thing", Filters: []docstore.Filter{{Field: field, Op: docstore.Eq, Value: "v"}}})
		wantKind(t, fmt.Sprintf("filter field %q", field), err, errs.Invalid)
		_, err = st.List(c, docstore.Query{Tenant: tenant, Kind: "thing", OrderBy: field})
		if field != "" { // empty OrderBy means by id
			wantKind(t, fmt.Sprintf("order by %q", field), err, errs.Invalid)
		}
	}
	for _, v := range []any{struct{}{}, []string{"a"}, nil, math.NaN(), math.Inf(1), uint64(1)} {
		_, err := st.List(c, docstore.Query{Tenant: tenant, Kind: "thing", Filters: []docstore.Filter{{Field: "a", Op: docstore.Eq, Value: v}}})
		wantKind(t, fmt.Sprintf("filter value %#v", v), err, errs.Invalid)
	}
	for _, op := range []docstore.Op{"", "!=", "in", "= 1 OR 1 ="} {
		_, err := st.List(c, docstore.Query{Tenant: tenant, Kind: "thing", Filters: []docstore.Filter{{Field: "a", Op: op, Value: "v"}}})
		wantKind(t, fmt.Sprintf("operator %q", op), err, errs.Invalid)
	}
	_, err := st.List(c, docstore.Query{Tenant: tenant, Kind: "thing", Limit: -1})
	wantKind(t, "negative limit", err, errs.Invalid)
	_, err = st.List(c, docstore.Query{Kind: "thing"})
	wantKind(t, "list without tenant", err, errs.Invalid)
	for _, k := range []docstore.Key{
		{Kind: "thing", ID: "x"},
		{Tenant: tenant, ID: "x"},
		{Tenant: tenant, Kind: "thing"},
		{Tenant: tenant, Kind: "thing", ID: "a/b"},
		{Tenant: "a/b", Kind: "thing", ID: "x"},
		{Tenant: tenant, Kind: "th/ing", ID: "x"},
		{Tenant: tenant, Kind: "thing", ID: ".."},
		{Tenant: tenant, Kind: "thing", ID: "__x__"},
		{Tenant: tenant, Kind: "thing", ID: "\xff"},
	} {
		_, err := st.Get(c, k)
		wantKind(t, fmt.Sprintf("Get %+v", k), err, errs.Invalid)
		_, err = st.Put(c, k, json.RawMessage(`{}`), docstore.Any)
		wantKind(t, fmt.Sprintf("Put %+v", k), err, errs.Invalid)
		wantKind(t, fmt.Sprintf("Delete %+v", k), st.Delete(c, k, docstore.Any), errs.Invalid)
	}
	for _, data := range []string{``, `[]`, `1`, `"s"`, `null`, `{`, `{"a":1} {}`, `{"_ds_version":1}`, `{"a":{"b":[{"_ds_a":[1]}]}}`} {
		_, err := st.Put(c, good, json.RawMessage(data), docstore.Any)
		wantKind(t, fmt.Sprintf("Put data %q", data), err, errs.Invalid)
	}
	if _, err := st.Get(c, good); !errs.Is(err, errs.NotFound) {
		t.Errorf("invalid puts stored something: %v", err)
	}
}
