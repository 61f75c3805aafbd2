package firestoresrc_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/genproto/googleapis/type/latlng"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/firestoresrc"
	"github.com/b2brecs/b2brecs/shared/sources/sourcetest"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// emulator is a test project on the Firestore emulator: a driver
// connection and a client (the library's, through FIRESTORE_EMULATOR_HOST)
// that writes the test documents. The project's documents are removed
// when the test ends.
type emulator struct {
	host    string
	port    int
	project string
	client  *firestore.Client
}

func newEmulator(t *testing.T) *emulator {
	addr := testenv.Require(t, testenv.Firestore)
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	e := &emulator{host: host, port: port, project: "srct-" + hex.EncodeToString(b)}
	e.client, err = firestore.NewClient(context.Background(), e.project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.client.Close()
		req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/emulator/v1/projects/"+e.project+"/databases/(default)/documents", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
	return e
}

func (e *emulator) conn() sources.Connection {
	return sources.Connection{Host: e.host, Port: e.port, Project: e.project, Egress: egress.LoopbackOnly(), ConnectTimeout: 5 * time.Second}
}

func (e *emulator) open(t testing.TB) *sources.Source {
	d, err := firestoresrc.New(e.conn())
	if err != nil {
		t.Fatal(err)
	}
	src := sources.New(d)
	t.Cleanup(func() { src.Close() })
	return src
}

// Insert implements sourcetest.Fixture: documents named by their "id".
func (e *emulator) Insert(t testing.TB, coll string, rows []map[string]any) {
	t.Helper()
	ctx := context.Background()
	bw := e.client.BulkWriter(ctx)
	var jobs []*firestore.BulkWriterJob
	for _, r := range rows {
		j, err := bw.Set(e.client.Collection(coll).Doc(fmt.Sprint(r["id"])), r)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	bw.End()
	for _, j := range jobs {
		if _, err := j.Results(); err != nil {
			t.Fatal(err)
		}
	}
}

// Drop implements sourcetest.Fixture: the project is removed at the end.
func (e *emulator) Drop(testing.TB, string) {}

// commit writes documents in one transaction: they get the same update
// time.
func (e *emulator) commit(t *testing.T, coll string, docs map[string]map[string]any) time.Time {
	t.Helper()
	err := e.client.RunTransaction(context.Background(), func(_ context.Context, tx *firestore.Transaction) error {
		for id, d := range docs {
			if err := tx.Set(e.client.Collection(coll).Doc(id), d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	for id := range docs {
		snap, err := e.client.Collection(coll).Doc(id).Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		at = snap.UpdateTime.UTC()
	}
	return at
}

func TestConformance(t *testing.T) {
	e := newEmulator(t)
	sourcetest.Run(t, sourcetest.Config{
		Open: func(t testing.TB) sources.Driver { return e.open(t).Driver },
		Conn: func(testing.TB) sources.Connection { return e.conn() },
		New: func(c sources.Connection) (sources.Driver, error) {
			c.Project = e.project
			return firestoresrc.New(c)
		},
		Fixture: e,
		Caps:    sourcetest.Caps{Schemaless: true, KeyColumn: firestoresrc.IDColumn, NoAuth: true},
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// read extracts every row of req as maps by source column name.
func read(t *testing.T, src *sources.Source, req sources.ExtractRequest) ([]map[string]any, sources.RowIterator) {
	t.Helper()
	it, err := src.Extract(ctx(t), req)
	if err != nil {
		t.Fatalf("Extract %+v: %v", req, err)
	}
	defer it.Close()
	var out []map[string]any
	for it.Next() {
		row := map[string]any{}
		for i, c := range it.Columns() {
			row[c.OriginalName] = it.Values()[i]
		}
		out = append(out, row)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out, it
}

func ids(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[firestoresrc.IDColumn].(string))
	}
	return out
}

func TestNestedMissingAndMixedFields(t *testing.T) {
	e := newEmulator(t)
	when := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	e.Insert(t, "people", []map[string]any{
		{"id": "ann", "name": "Ann", "age": int64(31), "score": int64(3), "address": map[string]any{"city": "Lyon", "zip": "69001", "geo": &latlng.LatLng{Latitude: 45.75, Longitude: 4.85}},
			"tags": []any{"a", int64(2), map[string]any{"x": true}}, "misc": "text", "nothing": nil, "joined": when, "boss": e.client.Doc("people/bob"), "Full Name!": "Ann A."},
		{"id": "bob", "name": "Bob", "score": 2.5, "misc": int64(7), "nothing": nil, "tags": []any{}},
		{"id": "cy", "name": "Cy", "address": map[string]any{}, "score": int64(4)},
	})
	src := e.open(t)
	m, err := src.Describe(ctx(t), "", "people", 5)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name     string
		src      string
		typ      warehouse.Type
		conf     sources.Confidence
		warn     string
		presence float64
	}
	wants := []want{
		{"document_id", "document id", warehouse.String, sources.High, "", 0},
		{"full_name", "string", warehouse.String, sources.High, "", 1.0 / 3},
		{"address", "map", warehouse.JSON, sources.High, "", 2.0 / 3},
		{"age", "integer", warehouse.Int64, sources.High, "", 1.0 / 3},
		{"boss", "reference", warehouse.String, sources.High, "", 1.0 / 3},
		{"id", "string", warehouse.String, sources.High, "", 1}, // a field "id" keeps its name
		{"joined", "timestamp", warehouse.Timestamp, sources.High, "", 1.0 / 3},
		{"misc", "integer|string", warehouse.String, sources.Medium, firestoresrc.MixedTypesWarning, 2.0 / 3},
		{"name", "string", warehouse.String, sources.High, "", 1},
		{"nothing", "null", warehouse.String, sources.Medium, firestoresrc.OnlyNullWarning, 2.0 / 3},
		{"score", "double|integer", warehouse.Float64, sources.High, "", 1},
		{"tags", "array", warehouse.JSON, sources.High, "", 2.0 / 3},
		{"update_time", "document update time", warehouse.Timestamp, sources.High, "", 0},
	}
	if len(m.Columns) != len(wants) {
		t.Fatalf("columns %+v", m.Columns)
	}
	for i, w := range wants {
		c := m.Columns[i]
		if c.Name != w.name || c.SourceType != w.src || c.Type != w.typ || c.Confidence != w.conf || c.Warning != w.warn || c.Presence != w.presence || len(c.Samples) != 3 {
			t.Errorf("column %d = %+v, want %+v", i, c, w)
		}
	}
	if m.TotalRows != 3 || !m.RowsExact || !reflect.DeepEqual(m.Recommended.PrimaryKey, []string{"__id"}) || m.Recommended.TimestampColumn != "__update_time" {
		t.Errorf("rows %d exact %v, recommended %+v", m.TotalRows, m.RowsExact, m.Recommended)
	}

	rows, _ := read(t, src, sources.ExtractRequest{Table: "people"})
	if got := ids(rows); !reflect.DeepEqual(got, []string{"ann", "bob", "cy"}) {
		t.Fatalf("ids %v", got)
	}
	ann, bob, cy := rows[0], rows[1], rows[2]
	for _, c := range []struct {
		row  map[string]any
		col  string
		want any
	}{
		{ann, "address", `{"city":"Lyon","geo":{"latitude":45.75,"longitude":4.85},"zip":"69001"}`},
		{ann, "tags", `["a",2,{"x":true}]`},
		{ann, "age", int64(31)},
		{ann, "score", 3.0},
		{ann, "misc", "text"},
		{ann, "joined", when},
		{ann, "boss", "people/bob"},
		{ann, "Full Name!", "Ann A."},
		{ann, "nothing", nil},
		{bob, "age", nil}, // missing
		{bob, "score", 2.5},
		{bob, "misc", "7"},
		{bob, "tags", `[]`},
		{bob, "address", nil},
		{cy, "address", `{}`},
		{cy, "tags", nil},
		{cy, "nothing", nil},
	} {
		if !sourcetest.Same(c.row[c.col], c.want) {
			t.Errorf("%s.%s = %#v, want %#v", c.row["__id"], c.col, c.row[c.col], c.want)
		}
	}
	if ut, ok := cy["__update_time"].(time.Time); !ok || ut.IsZero() || ut.Location() != time.UTC {
		t.Errorf("update time %v", cy["__update_time"])
	}
}

func TestIncrementalByUpdateTime(t *testing.T) {
	e := newEmulator(t)
	src := e.open(t)
	first := e.commit(t, "orders", map[string]map[string]any{"o1": {"n": int64(1)}, "o2": {"n": int64(2)}})
	req := sources.ExtractRequest{Table: "orders", TimestampColumn: firestoresrc.UpdateTimeColumn}
	rows, it := read(t, src, req)
	if !reflect.DeepEqual(ids(rows), []string{"o1", "o2"}) || !sourcetest.Same(it.Watermark(), first) ||
		!reflect.DeepEqual(it.BoundaryKeys(), []string{`"o1"`, `"o2"`}) || !reflect.DeepEqual(it.KeyColumns(), []string{"__id"}) {
		t.Fatalf("first run: ids %v watermark %v (want %v) boundary %v", ids(rows), it.Watermark(), first, it.BoundaryKeys())
	}
	// Nothing new: nothing read.
	req.Since, req.SeenAtSince = it.Watermark(), it.BoundaryKeys()
	if rows, _ := read(t, src, req); len(rows) != 0 {
		t.Errorf("nothing new: read %v", ids(rows))
	}
	// A new document and a changed one (o1) are read; o2 is not.
	second := e.commit(t, "orders", map[string]map[string]any{"o1": {"n": int64(10)}, "o3": {"n": int64(3)}})
	rows, it = read(t, src, req)
	if !reflect.DeepEqual(ids(rows), []string{"o1", "o3"}) || rows[0]["n"] != int64(10) || !sourcetest.Same(it.Watermark(), second) ||
		!reflect.DeepEqual(it.BoundaryKeys(), []string{`"o1"`, `"o3"`}) {
		t.Errorf("second run: rows %v watermark %v boundary %v", rows, it.Watermark(), it.BoundaryKeys())
	}
	// Since without the boundary keys re-reads the documents at Since.
	req.Since, req.SeenAtSince = second, nil
	if rows, _ := read(t, src, req); !reflect.DeepEqual(ids(rows), []string{"o1", "o3"}) {
		t.Errorf("since without boundary keys: %v", ids(rows))
	}
	// Only one of the two at Since seen: the other is read again.
	req.SeenAtSince = []string{`"o1"`}
	if rows, _ := read(t, src, req); !reflect.DeepEqual(ids(rows), []string{"o3"}) {
		t.Errorf("since with o1 seen: %v", ids(rows))
	}
	if _, err := src.Extract(ctx(t), sources.ExtractRequest{Table: "orders", TimestampColumn: firestoresrc.UpdateTimeColumn, Limit: 1}); !errs.Is(err, errs.Invalid) {
		t.Errorf("limit with the update time: %v, want invalid", err)
	}
}

// TestIncrementalAcrossPages reads more than a page of documents with ties
// on the timestamp field across page boundaries, by the field and by the
// update time: every document once, the boundary at the last value.
func TestIncrementalAcrossPages(t *testing.T) {
	e := newEmulator(t)
	src := e.open(t)
	const n = 2*firestoresrc.PageSize + 500
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]map[string]any, n)
	for i := range docs {
		// Three values: 1,000 documents tie at the first, and the page
		// boundaries fall inside ties.
		docs[i] = map[string]any{"id": fmt.Sprintf("d%05d", i), "updatedAt": base.Add(time.Duration(i*3/n) * time.Hour)}
	}
	e.Insert(t, "events", docs)
	last := base.Add(2 * time.Hour)
	var wantLast []string
	for i := range docs {
		if i*3/n == 2 {
			wantLast = append(wantLast, strconv.Quote(docs[i]["id"].(string)))
		}
	}
	for _, col := range []string{"updatedAt", firestoresrc.UpdateTimeColumn} {
		rows, it := read(t, src, sources.ExtractRequest{Table: "events", TimestampColumn: col})
		got := ids(rows)
		slices.Sort(got)
		if len(got) != n || len(slices.Compact(got)) != n {
			t.Errorf("%s: %d rows, %d distinct, want %d", col, len(rows), len(slices.Compact(got)), n)
		}
		if col == "updatedAt" {
			keys := slices.Clone(it.BoundaryKeys())
			slices.Sort(keys)
			if !sourcetest.Same(it.Watermark(), last) || !reflect.DeepEqual(keys, wantLast) {
				t.Errorf("watermark %v, %d boundary keys (want %v, %d)", it.Watermark(), len(keys), last, len(wantLast))
			}
			// From the watermark with its boundary: nothing; without: the ties.
			rows, _ = read(t, src, sources.ExtractRequest{Table: "events", TimestampColumn: col, Since: last, SeenAtSince: it.BoundaryKeys()})
			if len(rows) != 0 {
				t.Errorf("since the watermark with its boundary keys: %d rows", len(rows))
			}
			rows, _ = read(t, src, sources.ExtractRequest{Table: "events", TimestampColumn: col, Since: last})
			if len(rows) != len(wantLast) {
				t.Errorf("since the watermark: %d rows, want %d", len(rows), len(wantLast))
			}
		}
	}
}

func TestSubcollections(t *testing.T) {
	e := newEmulator(t)
	e.Insert(t, "users", []map[string]any{{"id": "alice"}})
	e.Insert(t, "users/alice/orders", []map[string]any{{"id": int64(1), "total": 9.5}, {"id": int64(2), "total": 3.0}})
	e.Insert(t, "users/alice/visits", []map[string]any{{"id": int64(1)}})
	src := e.open(t)
	top, err := src.Tables(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(top, []sources.TableInfo{{Name: "users", Rows: 1, RowsExact: true}}) {
		t.Errorf("top-level %+v", top)
	}
	sub, err := src.Tables(ctx(t), "users/alice")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sub, []sources.TableInfo{{Name: "orders", Rows: 2, RowsExact: true}, {Name: "visits", Rows: 1, RowsExact: true}}) {
		t.Errorf("subcollections %+v", sub)
	}
	for _, c := range []struct{ schema, table string }{{"users/alice", "orders"}, {"(default)", "users/alice/orders"}, {"/", "users/alice/orders"}} {
		rows, _ := read(t, src, sources.ExtractRequest{Schema: c.schema, Table: c.table, Columns: []string{"total"}})
		if len(rows) != 2 || rows[0]["total"] != 9.5 {
			t.Errorf("%s %s: %v", c.schema, c.table, rows)
		}
	}
	for _, c := range []struct {
		schema, table string
		kind          errs.Kind
	}{
		{"users/nobody", "", errs.NotFound},
		{"users", "", errs.NotFound},
		{"/", "users/alice", errs.Invalid},
		{"/", "a//b", errs.Invalid},
	} {
		var err error
		if c.table == "" {
			_, err = src.Tables(ctx(t), c.schema)
		} else {
			_, err = src.Describe(ctx(t), c.schema, c.table, 0)
		}
		if !errs.Is(err, c.kind) || errs.UserMessage(err) == "" || strings.Contains(errs.UserMessage(err), "firestoresrc") {
			t.Errorf("%q %q: %v (kind %v, message %q), want %v", c.schema, c.table, err, errs.KindOf(err), errs.UserMessage(err), c.kind)
		}
	}
}

func TestNew(t *testing.T) {
	const key = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"}`
	for _, c := range []struct {
		name  string
		conn  sources.Connection
		field string
	}{
		{"no project", sources.Connection{CredentialsJSON: key}, "project"},
		{"no key for Google's service", sources.Connection{Project: "p"}, "service_account_json"},
		{"emulator without a port", sources.Connection{Project: "p", Host: "127.0.0.1"}, ""},
		{"bad sample size", sources.Connection{Project: "p", CredentialsJSON: key, Params: map[string]string{"sample_docs": "0"}}, ""},
	} {
		_, err := firestoresrc.New(c.conn)
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != c.field || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("%s: %v (field %q)", c.name, err, errs.FieldOf(err))
		}
	}
	// A key that is not a service account key fails at the first call,
	// without its text.
	d, err := firestoresrc.New(sources.Connection{Project: "p", CredentialsJSON: key})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = sources.New(d).Test(context.Background())
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "service_account_json" || strings.Contains(fmt.Sprintf("%+v", err), "c2VjcmV0") {
		t.Errorf("unusable key: %v", err)
	}
}

func TestErrorKind(t *testing.T) {
	d, err := firestoresrc.New(sources.Connection{Project: "p", Host: "127.0.0.1", Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		want errs.Kind
	}{
		{status.Error(codes.Unauthenticated, "bad token"), errs.Unauthenticated},
		{status.Error(codes.PermissionDenied, "no"), errs.Permission},
		{status.Error(codes.NotFound, "database"), errs.NotFound},
		{status.Error(codes.FailedPrecondition, "needs an index"), errs.Invalid},
		{status.Error(codes.InvalidArgument, "bad"), errs.Invalid},
		{status.Error(codes.Unavailable, "down"), errs.Transient},
		{status.Error(codes.ResourceExhausted, "quota"), errs.Transient},
		{status.Error(codes.DeadlineExceeded, "slow"), errs.Transient},
		{context.Canceled, errs.Transient},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &egress.DeniedError{Class: "loopback"}}, errs.Permission},
		{errors.New("something else"), errs.Unknown},
	} {
		if got := d.ErrorKind(c.err); got != c.want {
			t.Errorf("ErrorKind(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestUnreachable: a server that refuses connections is a transient error
// saying so, once the call's time is up (gRPC retries until then).
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	d, err := firestoresrc.New(sources.Connection{Project: "p", Host: "127.0.0.1", Port: port, Egress: egress.LoopbackOnly()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = sources.New(d).Test(c)
	want := fmt.Sprintf("list collections: cannot reach the Firestore emulator at 127.0.0.1:%d (the connection was refused or timed out)", port)
	if !errs.Is(err, errs.Transient) || errs.UserMessage(err) != want || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Test: %v (message %q)", err, errs.UserMessage(err))
	}
}
