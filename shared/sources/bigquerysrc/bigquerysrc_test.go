package bigquerysrc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/bigquerysrc"
	"github.com/b2brecs/b2brecs/shared/sources/bigquerysrc/bqrequestfake"
	"github.com/b2brecs/b2brecs/shared/sources/sourcetest"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

const (
	billing = "tenant-billing"
	data    = "public-data"
)

var (
	t1 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	t2 = time.Date(2024, 5, 2, 10, 0, 0, 500000000, time.UTC)
	t3 = time.Date(2024, 5, 3, 10, 0, 0, 0, time.UTC)
)

var orderFields = []bqrequestfake.Field{
	{Name: "id", Type: "INTEGER", Mode: "REQUIRED"},
	{Name: "customer", Type: "STRING"},
	{Name: "amount", Type: "NUMERIC"},
	{Name: "updated_at", Type: "TIMESTAMP"},
	{Name: "day", Type: "DATE"},
	{Name: "tags", Type: "STRING", Mode: "REPEATED"},
	{Name: "addr", Type: "RECORD", Fields: []bqrequestfake.Field{{Name: "city", Type: "STRING"}}},
	{Name: "geo", Type: "GEOGRAPHY"},
}

// event is a row of the events the query answers come from.
type event struct {
	id       int64
	customer string
	at       time.Time
}

// fake returns the request fake with the sales dataset of the data
// project, and a driver billed to the billing project.
func fake(t *testing.T) (*bqrequestfake.Fake, *sources.Source) {
	f := bqrequestfake.New(t)
	f.Tables[data+".sales.orders"] = bqrequestfake.Table{Kind: "TABLE", Fields: orderFields, PK: []string{"id"}, Rows: [][]any{
		{"1", "acme", "12.5", bqrequestfake.Micros(t1), "2024-05-01", []any{"a", "b"}, bqrequestfake.Record{"Lyon"}, "POINT(1 2)"},
		{"2", "globex", nil, bqrequestfake.Micros(t2), nil, []any{}, nil, nil},
		{"3", "initech", "0.01", bqrequestfake.Micros(t2), "2024-05-02", []any{"c"}, bqrequestfake.Record{nil}, nil},
	}}
	f.Tables[data+".sales.orders_view"] = bqrequestfake.Table{Kind: "VIEW", Fields: orderFields[:2]}
	d, err := bigquerysrc.New(sources.Connection{Project: billing, Database: data, Schema: "sales", Host: f.Host, Port: f.Port, Egress: egress.LoopbackOnly(),
		Params: map[string]string{"location": "EU"}})
	if err != nil {
		t.Fatal(err)
	}
	src := sources.New(d)
	t.Cleanup(func() { src.Close() })
	return f, src
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestDiscovery(t *testing.T) {
	f, src := fake(t)
	res, err := src.Test(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Message != "connected to BigQuery project public-data (queries billed to tenant-billing); 1 datasets, 2 tables in sales" || res.Schema != "sales" {
		t.Errorf("Test: %+v", res)
	}
	want := []sources.TableInfo{{Name: "orders", Rows: 3, RowsExact: true}, {Name: "orders_view", Rows: -1}}
	if !reflect.DeepEqual(res.Tables, want) {
		t.Errorf("tables %+v, want %+v", res.Tables, want)
	}
	m, err := src.Describe(ctx(t), "", "orders", 2)
	if err != nil {
		t.Fatal(err)
	}
	type col struct {
		name, src string
		typ       warehouse.Type
		nullable  bool
		samples   []string
	}
	var got []col
	for _, c := range m.Columns {
		got = append(got, col{c.Name, c.SourceType, c.Type, c.Nullable, c.Samples})
	}
	wantCols := []col{
		{"id", "INTEGER", warehouse.Int64, false, []string{"1", "2"}},
		{"customer", "STRING", warehouse.String, true, []string{"acme", "globex"}},
		{"amount", "NUMERIC", warehouse.Numeric, true, []string{"12.500000000", "NULL"}},
		{"updated_at", "TIMESTAMP", warehouse.Timestamp, true, []string{"2024-05-01T10:00:00Z", "2024-05-02T10:00:00.5Z"}},
		{"day", "DATE", warehouse.Date, true, []string{"2024-05-01", "NULL"}},
		{"tags", "ARRAY<STRING>", warehouse.JSON, true, []string{`["a","b"]`, `[]`}},
		{"addr", "RECORD", warehouse.JSON, true, []string{`{"city":"Lyon"}`, "NULL"}},
		{"geo", "GEOGRAPHY", warehouse.String, true, []string{"POINT(1 2)", "NULL"}},
	}
	if !reflect.DeepEqual(got, wantCols) {
		t.Errorf("columns\n%+v\nwant\n%+v", got, wantCols)
	}
	if m.TotalRows != 3 || !m.RowsExact || m.Recommended.TimestampColumn != "updated_at" || !reflect.DeepEqual(m.Recommended.PrimaryKey, []string{"id"}) || !m.Columns[0].PrimaryKey {
		t.Errorf("meta %+v", m)
	}
	if m.Columns[7].Confidence != sources.Medium || m.Columns[7].Warning != bigquerysrc.UnknownTypeWarning {
		t.Errorf("geography: %+v", m.Columns[7])
	}
	// Every discovery request names the data project; none is a job.
	for _, r := range f.Requests() {
		if r.Project != data || r.Query != nil {
			t.Errorf("discovery request %s %s in project %s", r.Method, r.Path, r.Project)
		}
	}
	// A view: columns, no samples (it cannot be listed), rows unknown.
	v, err := src.Describe(ctx(t), "sales", "orders_view", 5)
	if err != nil || len(v.Columns) != 2 || len(v.Columns[0].Samples) != 0 || v.TotalRows != -1 || v.RowsExact {
		t.Errorf("Describe view: %v %+v", err, v)
	}
	if _, err := src.Describe(ctx(t), "", "nope", 0); !errs.Is(err, errs.NotFound) {
		t.Errorf("Describe missing table: %v", err)
	}
	if _, err := src.Tables(ctx(t), "nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Tables of a missing dataset: %v", err)
	}
}

// answerEvents makes the fake answer queries from events: the rows with
// at >= the since parameter (all without it), ordered by at, with the
// columns id, customer, updated_at.
func answerEvents(t *testing.T, f *bqrequestfake.Fake, events []event) {
	f.Answer = func(q bqrequestfake.Query) ([]bqrequestfake.Field, [][]any, int) {
		var since time.Time
		for _, p := range q.QueryParameter {
			if p.Name == "since" {
				var err error
				if since, err = time.Parse("2006-01-02 15:04:05.999999-07:00", p.ParameterValue.Value); err != nil {
					t.Errorf("since parameter %q: %v", p.ParameterValue.Value, err)
				}
			}
		}
		var rows [][]any
		for _, e := range events {
			if !e.at.Before(since) {
				rows = append(rows, []any{strconv.FormatInt(e.id, 10), e.customer, bqrequestfake.Micros(e.at)})
			}
		}
		return []bqrequestfake.Field{orderFields[0], orderFields[1], orderFields[3]}, rows, http.StatusOK
	}
}

func ids(t *testing.T, it sources.RowIterator) []int64 {
	t.Helper()
	defer it.Close()
	var out []int64
	for it.Next() {
		out = append(out, it.Values()[0].(int64))
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIncrementalQuery: the extract is one query job in the billing
// project that reads the data project's table, with Since as a typed
// parameter (never in the SQL), read page by page, with the boundary
// contract.
func TestIncrementalQuery(t *testing.T) {
	f, src := fake(t)
	events := []event{{1, "acme", t1}, {2, "globex", t2}, {3, "initech", t2}, {4, "hooli", t3}, {5, "umbrella", t3}}
	answerEvents(t, f, events)
	req := sources.ExtractRequest{Table: "orders", Columns: []string{"id", "customer"}, TimestampColumn: "updated_at"}
	it, err := src.Extract(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, it); !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5}) || !sourcetest.Same(it.Watermark(), t3) ||
		!reflect.DeepEqual(it.BoundaryKeys(), []string{`"4"`, `"5"`}) {
		t.Fatalf("first run: %v watermark %v boundary %v", got, it.Watermark(), it.BoundaryKeys())
	}
	req.Since, req.SeenAtSince = t2, []string{`"2"`}
	it, err = src.Extract(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, it); !reflect.DeepEqual(got, []int64{3, 4, 5}) {
		t.Errorf("since t2 with 2 seen: %v", got)
	}
	var queries []*bqrequestfake.Query
	pages := 0
	for _, r := range f.Requests() {
		switch {
		case r.Query != nil:
			queries = append(queries, r.Query)
			if r.Project != billing {
				t.Errorf("query job in project %s, want the billing project %s", r.Project, billing)
			}
		case strings.Contains(r.Path, "/queries/"):
			pages++
			if r.Project != billing {
				t.Errorf("results read from project %s", r.Project)
			}
		}
	}
	if len(queries) != 2 || pages < 3 {
		t.Fatalf("%d query jobs, %d result pages; want 2 and pages of %d rows", len(queries), pages, bqrequestfake.Page)
	}
	wantSQL := "SELECT `id`, `customer`, `updated_at` FROM `public-data.sales.orders` ORDER BY `updated_at`"
	if q := queries[0]; q.Query != wantSQL || len(q.QueryParameter) != 0 || q.UseLegacySQL == nil || *q.UseLegacySQL || q.Location != "EU" {
		t.Errorf("first query %+v, want %q in standard SQL, location EU", q, wantSQL)
	}
	wantSQL = "SELECT `id`, `customer`, `updated_at` FROM `public-data.sales.orders` WHERE `updated_at` >= @since ORDER BY `updated_at`"
	q := queries[1]
	if q.Query != wantSQL || len(q.QueryParameter) != 1 || q.QueryParameter[0].ParameterType.Type != "TIMESTAMP" {
		t.Errorf("incremental query %+v, want %q with a TIMESTAMP parameter", q, wantSQL)
	}
	if strings.Contains(q.Query, "2024") {
		t.Errorf("the Since value is inlined: %s", q.Query)
	}
	checkGrammar(t, []string{queries[0].Query, queries[1].Query})
}

func TestValues(t *testing.T) {
	f, src := fake(t)
	f.Answer = func(q bqrequestfake.Query) ([]bqrequestfake.Field, [][]any, int) {
		return orderFields, f.Tables[data+".sales.orders"].Rows, http.StatusOK
	}
	it, err := src.Extract(ctx(t), sources.ExtractRequest{Table: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var rows [][]any
	for it.Next() {
		rows = append(rows, slices.Clone(it.Values()))
	}
	if it.Err() != nil || len(rows) != 3 {
		t.Fatalf("%d rows: %v", len(rows), it.Err())
	}
	want := [][]any{
		{int64(1), "acme", "12.500000000", t1, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), `["a","b"]`, `{"city":"Lyon"}`, "POINT(1 2)"},
		{int64(2), "globex", nil, t2, nil, `[]`, nil, nil},
		{int64(3), "initech", "0.010000000", t2, time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), `["c"]`, `{"city":null}`, nil},
	}
	for r := range want {
		for c := range want[r] {
			if !sourcetest.Same(rows[r][c], want[r][c]) {
				t.Errorf("row %d column %s: %#v, want %#v", r+1, orderFields[c].Name, rows[r][c], want[r][c])
			}
		}
	}
	var last *bqrequestfake.Query
	for _, r := range f.Requests() {
		if r.Query != nil {
			last = r.Query
		}
	}
	if last == nil || last.Query != "SELECT `id`, `customer`, `amount`, `updated_at`, `day`, `tags`, `addr`, `geo` FROM `public-data.sales.orders`" {
		t.Errorf("query %+v", last)
	}
}

func TestOutboundPolicy(t *testing.T) {
	f, _ := fake(t)
	sourcetest.RunOutbound(t, sourcetest.Config{
		Conn: func(testing.TB) sources.Connection {
			return sources.Connection{Project: billing, Database: data, Host: f.Host, Port: f.Port}
		},
		New: func(c sources.Connection) (sources.Driver, error) { return bigquerysrc.New(c) },
	})
}

func TestNew(t *testing.T) {
	const key = `{"type":"service_account","private_key":"Not-A-Pem-S3cret"}`
	for _, c := range []struct {
		name  string
		conn  sources.Connection
		field string
	}{
		{"no billing project", sources.Connection{CredentialsJSON: key}, "project"},
		{"no key for Google's service", sources.Connection{Project: "p"}, "service_account_json"},
		{"test endpoint without a port", sources.Connection{Project: "p", Host: "127.0.0.1"}, ""},
	} {
		if _, err := bigquerysrc.New(c.conn); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != c.field {
			t.Errorf("%s: %v (field %q)", c.name, err, errs.FieldOf(err))
		}
	}
	d, err := bigquerysrc.New(sources.Connection{Project: "p", CredentialsJSON: key})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = sources.New(d).Schemas(context.Background())
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "service_account_json" || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("unusable key: %v", err)
	}
}

func TestErrorKind(t *testing.T) {
	d, err := bigquerysrc.New(sources.Connection{Project: "p", Host: "127.0.0.1", Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	gerr := func(code int, reason string) error {
		return &googleapi.Error{Code: code, Message: "m", Errors: []googleapi.ErrorItem{{Reason: reason}}}
	}
	for _, c := range []struct {
		err  error
		want errs.Kind
	}{
		{gerr(401, "unauthorized"), errs.Unauthenticated},
		{gerr(403, "accessDenied"), errs.Permission},
		{gerr(403, "rateLimitExceeded"), errs.Transient},
		{gerr(404, "notFound"), errs.NotFound},
		{gerr(400, "invalidQuery"), errs.Invalid},
		{gerr(429, ""), errs.Transient},
		{gerr(503, "backendError"), errs.Transient},
		{context.DeadlineExceeded, errs.Transient},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &egress.DeniedError{Class: "loopback"}}, errs.Permission},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, errs.Transient},
		{errors.New("something else"), errs.Unknown},
	} {
		if got := d.ErrorKind(c.err); got != c.want {
			t.Errorf("ErrorKind(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// checkGrammar parses the queries with node-sql-parser's BigQuery grammar
// (the tool in shared/datasets/testdata/sqlcheck), skipping when node or
// the tool is missing, except under B2B_REQUIRE_SERVICES=1.
func checkGrammar(t *testing.T, stmts []string) {
	t.Helper()
	dir := filepath.Join("..", "..", "datasets", "testdata", "sqlcheck")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "node-sql-parser"))
	}
	if err != nil {
		if os.Getenv("B2B_REQUIRE_SERVICES") == "1" {
			t.Fatalf("the BigQuery grammar check needs node and node-sql-parser (scripts/install-deps.sh): %v", err)
		}
		t.Skipf("the BigQuery grammar check needs node and node-sql-parser: %v", err)
	}
	body, _ := json.Marshal(stmts)
	cmd := exec.Command(node, "check.js")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.js: %v", err)
	}
	var res []*string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(stmts) {
		t.Fatalf("check.js answered %q (%v)", out, err)
	}
	for i, r := range res {
		if r != nil {
			t.Errorf("BigQuery grammar refuses %q: %s", stmts[i], *r)
		}
	}
}
