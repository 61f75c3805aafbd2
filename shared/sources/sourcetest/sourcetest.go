// Package sourcetest is the conformance suite every sources driver must
// pass, run against a real server: connection test, discovery, type mapping
// of a table with every common type (NULLs, unicode, names that need
// sanitising), exact extracted values, incremental extracts with the
// boundary contract, selected columns, the partitioning capability
// (estimate, bounds, range extracts) where a driver has it, missing tables, bad credentials
// (without the password in the error text), cancellation, and the
// outbound policy (package egress): loopback, link-local, private and
// metadata addresses refused or allowed by the policy, checked on the
// address a host name resolves to.
//
// The suite creates its own tables (unique names per run) in the default
// schema of the driver Open returns and drops them at the end: with SQL
// through Config.Exec, or, for a source without SQL (a document store),
// through Config.Fixture. Config.Caps says what a source cannot do; the
// checks that need it are skipped with the reason, or (Schemaless) check
// what a source that infers its columns from stored values can promise.
package sourcetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Config is what the suite needs from a driver's test.
type Config struct {
	// Open returns a driver whose default schema is where Exec creates
	// tables. The suite closes it.
	Open func(t testing.TB) sources.Driver
	// Exec runs one SQL statement on the same database, outside the driver
	// (MySQL sessions must use time_zone '+00:00').
	Exec func(t testing.TB, sql string)
	// OpenBadAuth returns a driver for the same server whose credentials
	// the server rejects, and the password it was given.
	OpenBadAuth func(t testing.TB) (sources.Driver, string)
	// Conn returns the connection Open uses (a server on loopback, where
	// the test services run), for the outbound policy tests.
	Conn func(t testing.TB) sources.Connection
	// New opens the driver for a connection (the driver's New).
	New func(c sources.Connection) (sources.Driver, error)
	// Fixture makes the suite's tables in a source without SQL; nil: the
	// suite runs SQL through Exec.
	Fixture Fixture
	// Caps are the source's limits.
	Caps Caps
}

// Fixture makes tables in a source without SQL (a document store).
type Fixture interface {
	// Insert writes rows into table name (creating it): each row maps a
	// column name to its value (nil: a null value). Values are int64,
	// float64, string, bool, time.Time, []byte, map[string]any or []any.
	// Every row has an int64 "id": the row's key, whose text the source
	// must use as its own key (a document id), so that BoundaryKeys
	// encode as the id's.
	Insert(t testing.TB, name string, rows []map[string]any)
	// Drop removes table name and its rows.
	Drop(t testing.TB, name string)
}

// Caps say what a source cannot do.
type Caps struct {
	// Schemaless: the source has no declared columns; it infers them from
	// the stored values (NUMERIC, DATE, TIME... are stored as what holds
	// them: text, timestamps), may add columns of its own, orders them its
	// way and reports every column nullable. The suite finds columns by
	// name and checks the types the values determine.
	Schemaless bool
	// KeyColumn is the source name of the key column a Schemaless source
	// reports (its document id column); "id" otherwise.
	KeyColumn string
	// NoAuth: the test server accepts any credentials (an emulator);
	// BadAuth is skipped.
	NoAuth bool
}

func (c Caps) key() string {
	if c.KeyColumn == "" {
		return "id"
	}
	return c.KeyColumn
}

// Run runs the suite.
func Run(t *testing.T, cfg Config) {
	d := sources.New(cfg.Open(t)) // through the portable type, as the code uses it
	t.Cleanup(func() { _ = d.Close() })
	s := &suite{cfg: cfg, d: d, dialect: d.Dialect(), prefix: "srct_" + randHex(4) + "_"}
	s.createAll(t)
	s.createEvents(t)
	t.Run("Test", s.testTest)
	t.Run("Schemas", s.testSchemas)
	t.Run("Describe", s.testDescribe)
	t.Run("ExtractAll", s.testExtractAll)
	t.Run("SelectedColumns", s.testSelected)
	t.Run("Incremental", s.testIncremental)
	t.Run("Partitions", s.testPartitions)
	t.Run("NotFound", s.testNotFound)
	t.Run("BadAuth", s.testBadAuth)
	t.Run("Cancel", s.testCancel)
	t.Run("OutboundPolicy", s.testOutbound)
}

// RunOutbound runs only the outbound policy tests: for a source the suite
// cannot create tables in (a request fake of a cloud service), whose Test
// succeeds against the server Conn names. It needs Conn and New.
func RunOutbound(t *testing.T, cfg Config) {
	(&suite{cfg: cfg}).testOutbound(t)
}

type suite struct {
	cfg     Config
	d       *sources.Source
	dialect sources.Dialect
	prefix  string
	all     string // table with every type
	events  string // incremental table
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// Q quotes an identifier for the dialect.
func Q(d sources.Dialect, name string) string {
	q, err := sourcedriver.QuoteIdent(d, name)
	if err != nil {
		panic(err)
	}
	return q
}

func (s *suite) q(name string) string { return Q(s.dialect, name) }

func (s *suite) create(t *testing.T, name, ddl string) {
	if s.cfg.Fixture != nil {
		t.Cleanup(func() { s.cfg.Fixture.Drop(t, name) })
		return
	}
	s.cfg.Exec(t, "DROP TABLE IF EXISTS "+s.q(name))
	s.cfg.Exec(t, ddl)
	t.Cleanup(func() { s.cfg.Exec(t, "DROP TABLE IF EXISTS "+s.q(name)) })
}

// col is one column of the all-types table with its expected mapping.
type col struct {
	name, pgType, myType string
	pgWant, myWant       warehouse.Type
	nullable             bool
}

var allCols = []col{
	{"id", "bigint PRIMARY KEY", "bigint PRIMARY KEY", warehouse.Int64, warehouse.Int64, false},
	{"small", "smallint", "smallint", warehouse.Int64, warehouse.Int64, true},
	{"i", "integer NOT NULL", "int NOT NULL", warehouse.Int64, warehouse.Int64, false},
	{"big", "bigint", "bigint", warehouse.Int64, warehouse.Int64, true},
	{"num", "numeric(12,4)", "decimal(12,4)", warehouse.Numeric, warehouse.Numeric, true},
	{"real_c", "real", "float", warehouse.Float64, warehouse.Float64, true},
	{"dbl", "double precision", "double", warehouse.Float64, warehouse.Float64, true},
	{"txt", "text", "text", warehouse.String, warehouse.String, true},
	{"vc", "varchar(20)", "varchar(20)", warehouse.String, warehouse.String, true},
	{"ch", "char(3)", "char(3)", warehouse.String, warehouse.String, true},
	{"flag", "boolean", "tinyint(1)", warehouse.Bool, warehouse.Bool, true},
	{"d", "date", "date", warehouse.Date, warehouse.Date, true},
	{"ts", "timestamp", "datetime(6)", warehouse.Timestamp, warehouse.DateTime, true},
	{"tstz", "timestamptz", "timestamp(6) NULL", warehouse.Timestamp, warehouse.Timestamp, true},
	{"tm", "time", "time", warehouse.Time, warehouse.Time, true},
	{"js", "jsonb", "json", warehouse.JSON, warehouse.JSON, true},
	{"bin", "bytea", "varbinary(16)", warehouse.Bytes, warehouse.Bytes, true},
	{"uid", "uuid", "char(36)", warehouse.String, warehouse.String, true},
	{"Order Total (€)", "numeric(10,2)", "decimal(10,2)", warehouse.Numeric, warehouse.Numeric, true},
	{"order-total", "integer", "int", warehouse.Int64, warehouse.Int64, true},
	{"created_at", "timestamp", "datetime(6)", warehouse.Timestamp, warehouse.DateTime, true},
	{"updated_at", "timestamp", "datetime(6)", warehouse.Timestamp, warehouse.DateTime, true},
}

// sanitised names of allCols, in order.
var allNames = []string{"id", "small", "i", "big", "num", "real_c", "dbl", "txt", "vc", "ch", "flag", "d", "ts", "tstz", "tm", "js", "bin", "uid", "order_total", "order_total_2", "created_at", "updated_at"}

const unicodeText = "héllo 世界 🚀 \"q\" 'a'"

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

// allRows are the expected extracted values, by id.
var allRows = [][]any{
	{int64(1), int64(-32768), int64(2147483647), int64(9223372036854775807), "12345678.1234", 1.5, 2.25,
		unicodeText, "it's", "abc", true, utc("2024-02-29 00:00:00"), utc("2024-03-01 12:34:56.123456"),
		utc("2024-03-01 12:34:56.654321"), "13:14:15", `{"a": 1}`, []byte{0x00, 0xff, 0x10},
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "99.95", int64(7), utc("2023-12-31 23:59:59"), utc("2024-01-01 00:00:00")},
	{int64(2), nil, int64(0), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	{int64(3), int64(0), int64(-1), int64(-9223372036854775808), "0.0000", 0.0, -0.5,
		"", "", "xyz", false, utc("1970-01-01 00:00:00"), utc("1999-12-31 23:59:59"),
		utc("2038-01-19 03:14:07"), "00:00:00", `[]`, []byte{}, "00000000-0000-0000-0000-000000000000", "-0.01", int64(0), utc("2024-01-01 00:00:00"), utc("2024-06-01 08:00:00")},
}

func (s *suite) lit(v any, c col) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprint(x)
	case bool:
		if s.dialect == sources.MySQL {
			if x {
				return "1"
			}
			return "0"
		}
		return fmt.Sprint(x)
	case []byte:
		if s.dialect == sources.MySQL {
			if len(x) == 0 {
				return "''"
			}
			return "X'" + hex.EncodeToString(x) + "'"
		}
		return `'\x` + hex.EncodeToString(x) + `'::bytea`
	case time.Time:
		if c.name == "d" {
			return "'" + x.Format(time.DateOnly) + "'"
		}
		if s.dialect == sources.Postgres && c.name == "tstz" {
			return "'" + x.Format("2006-01-02 15:04:05.999999") + "+00'"
		}
		return "'" + x.Format("2006-01-02 15:04:05.999999") + "'"
	case string:
		if c.name == "num" || c.name == "Order Total (€)" {
			return x
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	panic(fmt.Sprintf("lit %T", v))
}

// docValue is an allRows value as a document stores it: JSON as a map or
// an array.
func docValue(v any, c col) any {
	if c.name == "js" && v != nil {
		if v == `[]` {
			return []any{}
		}
		return map[string]any{"a": int64(1)}
	}
	return v
}

// docWant is the value a Schemaless source extracts for an allRows value:
// JSON as compact text.
func docWant(v any, c col) any {
	if c.name == "js" && v != nil {
		return strings.ReplaceAll(v.(string), " ", "")
	}
	return v
}

// docType is the warehouse type a Schemaless source infers from a value.
func docType(v any) warehouse.Type {
	switch v.(type) {
	case int64:
		return warehouse.Int64
	case float64:
		return warehouse.Float64
	case bool:
		return warehouse.Bool
	case time.Time:
		return warehouse.Timestamp
	case []byte:
		return warehouse.Bytes
	case map[string]any, []any:
		return warehouse.JSON
	}
	return warehouse.String
}

func (s *suite) createAll(t *testing.T) {
	s.all = s.prefix + "All Types"
	if s.cfg.Fixture != nil {
		s.create(t, s.all, "")
		var docs []map[string]any
		for _, r := range allRows {
			doc := map[string]any{}
			for i, v := range r {
				doc[allCols[i].name] = docValue(v, allCols[i])
			}
			docs = append(docs, doc)
		}
		s.cfg.Fixture.Insert(t, s.all, docs)
		return
	}
	var defs, names []string
	for _, c := range allCols {
		typ := c.pgType
		if s.dialect == sources.MySQL {
			typ = c.myType
		}
		defs = append(defs, s.q(c.name)+" "+typ)
		names = append(names, s.q(c.name))
	}
	ddl := "CREATE TABLE " + s.q(s.all) + " (" + strings.Join(defs, ", ") + ")"
	if s.dialect == sources.MySQL {
		ddl += " CHARACTER SET utf8mb4"
	}
	s.create(t, s.all, ddl)
	var rows []string
	for _, r := range allRows {
		var vals []string
		for i, v := range r {
			vals = append(vals, s.lit(v, allCols[i]))
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	s.cfg.Exec(t, "INSERT INTO "+s.q(s.all)+" ("+strings.Join(names, ", ")+") VALUES "+strings.Join(rows, ", "))
}

var (
	t1 = utc("2024-05-01 10:00:00")
	t2 = utc("2024-05-02 10:00:00.5")
	t3 = utc("2024-05-03 10:00:00")
	t4 = utc("2024-05-04 10:00:00")
)

func (s *suite) createEvents(t *testing.T) {
	s.events = s.prefix + "events"
	if s.cfg.Fixture != nil {
		s.create(t, s.events, "")
		s.insertEvents(t, [][]any{{1, "a", t1}, {2, "b", t2}, {3, "c", t2}, {4, "d", t3}, {5, "null ts", nil}})
		return
	}
	typ := "timestamp"
	if s.dialect == sources.MySQL {
		typ = "datetime(6)"
	}
	s.create(t, s.events, "CREATE TABLE "+s.q(s.events)+" (id integer PRIMARY KEY, name varchar(50), "+s.q("Updated At")+" "+typ+")")
	s.insertEvents(t, [][]any{{1, "a", t1}, {2, "b", t2}, {3, "c", t2}, {4, "d", t3}, {5, "null ts", nil}})
}

func (s *suite) insertEvents(t *testing.T, rows [][]any) {
	if s.cfg.Fixture != nil {
		var docs []map[string]any
		for _, r := range rows {
			var ts any
			if tm, ok := r[2].(time.Time); ok {
				ts = tm
			}
			docs = append(docs, map[string]any{"id": int64(r[0].(int)), "name": r[1], "Updated At": ts})
		}
		s.cfg.Fixture.Insert(t, s.events, docs)
		return
	}
	var vals []string
	for _, r := range rows {
		ts := "NULL"
		if tm, ok := r[2].(time.Time); ok {
			ts = "'" + tm.Format("2006-01-02 15:04:05.999999") + "'"
		}
		vals = append(vals, fmt.Sprintf("(%d, '%s', %s)", r[0], r[1], ts))
	}
	s.cfg.Exec(t, "INSERT INTO "+s.q(s.events)+" VALUES "+strings.Join(vals, ", "))
}

func (s *suite) testTest(t *testing.T) {
	res, err := s.d.Test(ctx(t))
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	if res.Message == "" || res.ServerVersion == "" || res.Schema == "" {
		t.Errorf("Test result lacks message, version or schema: %+v", res)
	}
	found := map[string]sources.TableInfo{}
	for _, ti := range res.Tables {
		found[ti.Name] = ti
	}
	for name, rows := range map[string]int64{s.all: 3, s.events: 5} {
		ti, ok := found[name]
		if !ok {
			t.Errorf("Test tables lack %q", name)
			continue
		}
		if ti.Rows != rows || !ti.RowsExact {
			t.Errorf("table %q: rows %d exact %v, want %d exact", name, ti.Rows, ti.RowsExact, rows)
		}
	}
	tables, err := s.d.Tables(ctx(t), "")
	if err != nil {
		t.Fatalf("Tables: %v", err)
	}
	if !slices.IsSortedFunc(tables, func(a, b sources.TableInfo) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Tables not sorted by name")
	}
	if len(tables) != len(res.Tables) {
		t.Errorf("Tables(\"\") gave %d tables, Test %d", len(tables), len(res.Tables))
	}
}

func (s *suite) testSchemas(t *testing.T) {
	schemas, err := s.d.Schemas(ctx(t))
	if err != nil {
		t.Fatalf("Schemas: %v", err)
	}
	res, err := s.d.Test(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(schemas, res.Schema) {
		t.Errorf("Schemas %v lack the default schema %q", schemas, res.Schema)
	}
	for _, sys := range []string{"information_schema", "pg_catalog", "mysql", "performance_schema"} {
		if slices.Contains(schemas, sys) {
			t.Errorf("Schemas %v list system schema %q", schemas, sys)
		}
	}
	tables, err := s.d.Tables(ctx(t), res.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tables, func(ti sources.TableInfo) bool { return ti.Name == s.all }) {
		t.Errorf("Tables(%q) lacks %q", res.Schema, s.all)
	}
}

func (s *suite) testDescribe(t *testing.T) {
	m, err := s.d.Describe(ctx(t), "", s.all, 5)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if m.Table != s.all || m.Schema == "" {
		t.Errorf("Describe names %q.%q", m.Schema, m.Table)
	}
	if m.TotalRows != 3 || !m.RowsExact {
		t.Errorf("TotalRows = %d (exact %v), want 3", m.TotalRows, m.RowsExact)
	}
	if s.cfg.Caps.Schemaless {
		s.describeSchemaless(t, m)
	} else {
		s.describeTyped(t, m)
	}
	// Zero samples, and a table without a primary key.
	ev, err := s.d.Describe(ctx(t), "", s.events, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Columns[0].Samples) != 0 || ev.Recommended.TimestampColumn != "Updated At" {
		t.Errorf("events: samples %v, recommended %q", ev.Columns[0].Samples, ev.Recommended.TimestampColumn)
	}
}

// describeSchemaless checks the columns of the all-types table as a source
// that infers them from the values reports them.
func (s *suite) describeSchemaless(t *testing.T, m sources.TableMeta) {
	byName := map[string]sources.ColumnMeta{}
	names := map[string]bool{}
	for _, c := range m.Columns {
		byName[c.OriginalName] = c
		if names[c.Name] {
			t.Errorf("warehouse name %q given twice", c.Name)
		}
		names[c.Name] = true
	}
	for i, want := range allCols {
		c, ok := byName[want.name]
		if !ok {
			t.Errorf("no column %q among %d", want.name, len(m.Columns))
			continue
		}
		wt := docType(docValue(allRows[0][i], want))
		if c.Type != wt || c.Confidence != sources.High || c.Temporal != sourcedriver.IsTemporal(wt) || c.SourceType == "" {
			t.Errorf("column %q (%s): type %s confidence %s temporal %v, want %s high", want.name, c.SourceType, c.Type, c.Confidence, c.Temporal, wt)
		}
		if c.NameChanged != (c.Name != want.name) || len(c.Samples) != 3 {
			t.Errorf("column %q: name %q changed %v, %d samples (want 3)", want.name, c.Name, c.NameChanged, len(c.Samples))
		}
	}
	if c := byName["Order Total (€)"]; c.Name != "order_total" {
		t.Errorf("Order Total (€) is named %q, want order_total", c.Name)
	}
	if txt := byName["txt"]; !slices.Contains(txt.Samples, unicodeText) || !slices.Contains(txt.Samples, "NULL") {
		t.Errorf("txt samples %q lack the unicode value or NULL", txt.Samples)
	}
	key := s.cfg.Caps.key()
	if !byName[key].PrimaryKey || !reflect.DeepEqual(m.Recommended.PrimaryKey, []string{key}) {
		t.Errorf("key column %q: primary key %v, recommended key %v", key, byName[key].PrimaryKey, m.Recommended.PrimaryKey)
	}
	if m.Recommended.TimestampColumn != "updated_at" || m.Recommended.TimestampReason == "" {
		t.Errorf("recommended timestamp %q (%s), want updated_at", m.Recommended.TimestampColumn, m.Recommended.TimestampReason)
	}
}

// describeTyped checks the columns of the all-types table of a SQL source.
func (s *suite) describeTyped(t *testing.T, m sources.TableMeta) {
	if len(m.Columns) != len(allCols) {
		t.Fatalf("%d columns, want %d", len(m.Columns), len(allCols))
	}
	for i, c := range m.Columns {
		want := allCols[i]
		wt := want.pgWant
		if s.dialect == sources.MySQL {
			wt = want.myWant
		}
		if c.OriginalName != want.name || c.Name != allNames[i] || c.NameChanged != (want.name != allNames[i]) {
			t.Errorf("column %d: name %q original %q changed %v, want %q %q", i, c.Name, c.OriginalName, c.NameChanged, allNames[i], want.name)
		}
		if c.Type != wt || c.Confidence != sources.High {
			t.Errorf("column %q (%s): type %s confidence %s, want %s high", want.name, c.SourceType, c.Type, c.Confidence, wt)
		}
		if c.Nullable != want.nullable {
			t.Errorf("column %q: nullable %v, want %v", want.name, c.Nullable, want.nullable)
		}
		if c.PrimaryKey != (want.name == "id") {
			t.Errorf("column %q: primary key %v", want.name, c.PrimaryKey)
		}
		if c.Temporal != sourcedriver.IsTemporal(wt) {
			t.Errorf("column %q: temporal %v", want.name, c.Temporal)
		}
		if c.SourceType == "" {
			t.Errorf("column %q: no source type", want.name)
		}
		if len(c.Samples) != 3 {
			t.Errorf("column %q: %d samples, want 3", want.name, len(c.Samples))
		}
	}
	txt := m.Columns[7]
	if !slices.Contains(txt.Samples, unicodeText) || !slices.Contains(txt.Samples, "NULL") {
		t.Errorf("txt samples %q lack the unicode value or NULL", txt.Samples)
	}
	if txt.Warning != sourcedriver.LargeFieldWarning {
		t.Errorf("text column warning %q", txt.Warning)
	}
	if m.Recommended.TimestampColumn != "updated_at" || m.Recommended.TimestampReason == "" {
		t.Errorf("recommended timestamp %q (%s), want updated_at", m.Recommended.TimestampColumn, m.Recommended.TimestampReason)
	}
	if !reflect.DeepEqual(m.Recommended.PrimaryKey, []string{"id"}) {
		t.Errorf("recommended key %v, want [id]", m.Recommended.PrimaryKey)
	}
	ws := m.WarehouseSchema()
	if ws[0].Name != "id" || ws[0].Nullable || ws[18].Name != "order_total" {
		t.Errorf("warehouse schema %+v", ws)
	}
}

// collect reads all rows of an iterator.
func collect(t *testing.T, it sources.RowIterator) [][]any {
	t.Helper()
	defer func() {
		if err := it.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var out [][]any
	for it.Next() {
		out = append(out, slices.Clone(it.Values()))
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	if it.Rows() != int64(len(out)) {
		t.Errorf("Rows() = %d, read %d", it.Rows(), len(out))
	}
	return out
}

// Same reports whether two extracted values are equal (times by instant).
func Same(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb) && ta.Location() == time.UTC && tb.Location() == time.UTC
	}
	if ra, ok := a.(*big.Rat); ok {
		rb, ok := b.(*big.Rat)
		return ok && ra.Cmp(rb) == 0
	}
	return reflect.DeepEqual(a, b)
}

func (s *suite) testExtractAll(t *testing.T) {
	it, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.all})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	cols := it.Columns()
	// at[i] is the extract column of allCols[i].
	at := make([]int, len(allCols))
	if s.cfg.Caps.Schemaless {
		pos := map[string]int{}
		for j, c := range cols {
			pos[c.OriginalName] = j
		}
		for i, c := range allCols {
			j, ok := pos[c.name]
			if !ok {
				t.Fatalf("no column %q in the extract", c.name)
			}
			at[i] = j
		}
	} else {
		if len(cols) != len(allCols) {
			t.Fatalf("%d columns, want %d", len(cols), len(allCols))
		}
		for i, c := range cols {
			at[i] = i
			if c.Name != allNames[i] || c.OriginalName != allCols[i].name {
				t.Errorf("column %d: %q (%q)", i, c.Name, c.OriginalName)
			}
		}
	}
	rows := collect(t, it)
	if len(rows) != len(allRows) {
		t.Fatalf("%d rows, want %d", len(rows), len(allRows))
	}
	slices.SortFunc(rows, func(a, b []any) int { return int(a[at[0]].(int64) - b[at[0]].(int64)) })
	for r := range rows {
		for i, c := range allCols {
			want := allRows[r][i]
			if s.cfg.Caps.Schemaless {
				want = docWant(want, c)
			}
			if v := rows[r][at[i]]; !Same(v, want) {
				t.Errorf("row %d column %q: got %#v (%T), want %#v (%T)", r+1, c.name, v, v, want, want)
			}
		}
	}
	if it.Watermark() != nil || it.BoundaryKeys() != nil {
		t.Errorf("watermark %v / boundary %v without a timestamp column", it.Watermark(), it.BoundaryKeys())
	}
}

func (s *suite) testSelected(t *testing.T) {
	it, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.all, Columns: []string{"Order Total (€)", "id"}, TimestampColumn: "updated_at"})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if cols := it.Columns(); len(cols) != 2 || cols[0].Name != "order_total" || cols[1].Name != "id" {
		t.Errorf("columns %+v", cols)
	}
	rows := collect(t, it)
	// Ordered by updated_at; NULL is first (MySQL) or last (PostgreSQL).
	var got [][]any
	for _, r := range rows {
		if r[1] != int64(2) {
			got = append(got, r)
		}
	}
	want := [][]any{{"99.95", int64(1)}, {"-0.01", int64(3)}}
	if len(rows) != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v, want %v plus the NULL row", rows, want)
	}
	if !Same(it.Watermark(), utc("2024-06-01 08:00:00")) {
		t.Errorf("watermark %v", it.Watermark())
	}
	if !reflect.DeepEqual(it.BoundaryKeys(), []string{sources.EncodeKey([]any{int64(3)})}) || !reflect.DeepEqual(it.KeyColumns(), []string{s.cfg.Caps.key()}) {
		t.Errorf("boundary %v key %v", it.BoundaryKeys(), it.KeyColumns())
	}
	_, err = s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.all, Columns: []string{"nope"}})
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown column: %v, want invalid", err)
	}
}

func ids(rows [][]any) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r[0].(int64))
	}
	return out
}

func (s *suite) testIncremental(t *testing.T) {
	ts := "Updated At"
	extract := func(since any, seen []string) ([]int64, sources.RowIterator) {
		t.Helper()
		it, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.events, Columns: []string{"id", "name"}, TimestampColumn: ts, Since: since, SeenAtSince: seen})
		if err != nil {
			t.Fatalf("Extract since %v: %v", since, err)
		}
		return ids(collect(t, it)), it
	}
	// From the start: every row with a timestamp, in order (NULL first or last).
	got, it := extract(nil, nil)
	noNull := slices.DeleteFunc(slices.Clone(got), func(id int64) bool { return id == 5 })
	if len(got) != 5 || !reflect.DeepEqual(noNull, []int64{1, 2, 3, 4}) && !reflect.DeepEqual(noNull, []int64{1, 3, 2, 4}) {
		t.Errorf("full incremental: ids %v", got)
	}
	if !Same(it.Watermark(), t3) || !reflect.DeepEqual(it.BoundaryKeys(), []string{sources.EncodeKey([]any{int64(4)})}) {
		t.Errorf("watermark %v boundary %v, want %v [4]", it.Watermark(), it.BoundaryKeys(), t3)
	}
	// Since t2: rows equal to t2 are included (>=), NULL is not.
	got, it = extract(t2, nil)
	slices.Sort(got[:2])
	if !reflect.DeepEqual(got, []int64{2, 3, 4}) || !Same(it.Watermark(), t3) {
		t.Errorf("since t2: ids %v watermark %v", got, it.Watermark())
	}
	// Since t2 with one of the two rows at t2 already seen.
	got, _ = extract(t2, []string{sources.EncodeKey([]any{int64(2)})})
	if !reflect.DeepEqual(got, []int64{3, 4}) {
		t.Errorf("since t2 seen [2]: ids %v", got)
	}
	// Since t3 without SeenAtSince re-reads the boundary row.
	got, it = extract(t3, nil)
	if !reflect.DeepEqual(got, []int64{4}) {
		t.Errorf("since t3: ids %v", got)
	}
	mark, seen := it.Watermark(), it.BoundaryKeys()
	// With it, nothing new means nothing read; the watermark stays unset.
	got, it = extract(mark, seen)
	if len(got) != 0 || it.Watermark() != nil {
		t.Errorf("since watermark with its boundary keys: ids %v watermark %v", got, it.Watermark())
	}
	// A late row at the boundary timestamp and a newer one are both read.
	s.insertEvents(t, [][]any{{6, "late at t3", t3}, {7, "new", t4}})
	got, it = extract(mark, seen)
	if !reflect.DeepEqual(got, []int64{6, 7}) || !Same(it.Watermark(), t4) ||
		!reflect.DeepEqual(it.BoundaryKeys(), []string{sources.EncodeKey([]any{int64(7)})}) {
		t.Errorf("after new rows: ids %v watermark %v boundary %v", got, it.Watermark(), it.BoundaryKeys())
	}
	// A since beyond every row.
	got, _ = extract(t4.Add(time.Microsecond), nil)
	if len(got) != 0 {
		t.Errorf("since after t4: ids %v", got)
	}
	// Since without a timestamp column is invalid.
	if _, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.events, Since: t1}); !errs.Is(err, errs.Invalid) {
		t.Errorf("since without column: %v, want invalid", err)
	}
}

// testPartitions checks sources.Partitioner on the events table (ids 1-7
// after testIncremental, timestamps t1-t4 and one NULL): the estimate,
// the bounds of the key and the timestamp, range extracts whose ranges
// meet read every row once, and (sources.Quantiler) the cuts from the
// table's statistics.
func (s *suite) testPartitions(t *testing.T) {
	if !s.d.CanPartition() {
		if _, err := s.d.Estimate(ctx(t), "", s.events); !errs.Is(err, errs.Unsupported) {
			t.Errorf("Estimate without the capability: %v, want unsupported", err)
		}
		t.Skip("the driver cannot read a table in partitions (no sources.Partitioner)")
	}
	size, err := s.d.Estimate(ctx(t), "", s.events)
	if err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	if size.Rows < -1 || size.Rows > 100 || size.Bytes <= 0 {
		t.Errorf("Estimate = %+v, want rows -1 or 0-100 (7 rows) and bytes > 0", size)
	}
	if _, err := s.d.Estimate(ctx(t), "", s.prefix+"missing"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Estimate of a missing table: %v, want not_found", err)
	}
	lo, hi, err := s.d.Bounds(ctx(t), "", s.events, "id")
	if err != nil || !Same(lo, int64(1)) || !Same(hi, int64(7)) {
		t.Errorf("Bounds(id) = %v, %v, %v; want 1, 7", lo, hi, err)
	}
	lo, hi, err = s.d.Bounds(ctx(t), "", s.events, "Updated At")
	if err != nil || !Same(lo, t1) || !Same(hi, t4) {
		t.Errorf("Bounds(Updated At) = %v, %v, %v; want %v, %v", lo, hi, err, t1, t4)
	}
	if _, _, err := s.d.Bounds(ctx(t), "", s.events, "name"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Bounds of a text column: %v, want invalid", err)
	}
	read := func(r sources.KeyRange, ts string) []int64 {
		t.Helper()
		it, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.events, Columns: []string{"id"}, TimestampColumn: ts, Range: &r})
		if err != nil {
			t.Fatalf("Extract range %+v: %v", r, err)
		}
		got := ids(collect(t, it))
		slices.Sort(got)
		return got
	}
	var all []int64
	for _, r := range []sources.KeyRange{{Column: "id", To: int64(3)}, {Column: "id", From: int64(3), To: int64(6)}, {Column: "id", From: int64(6)}} {
		all = append(all, read(r, "")...)
	}
	if !reflect.DeepEqual(all, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("key ranges that meet: ids %v, want 1-7 once each", all)
	}
	if got := read(sources.KeyRange{Column: "Updated At", From: t2, To: t3}, "Updated At"); !reflect.DeepEqual(got, []int64{2, 3}) {
		t.Errorf("time range [t2, t3): ids %v, want [2 3]", got)
	}
	for _, bad := range []sources.KeyRange{{Column: "id", From: int64(1), To: t2}, {Column: "id", From: 1.5}, {Column: s.prefix + "nope", From: int64(1)}} {
		if _, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: s.events, Range: &bad}); !errs.Is(err, errs.Invalid) {
			t.Errorf("Extract range %+v: %v, want invalid", bad, err)
		}
	}
	if _, ok := s.d.Driver.(sources.Quantiler); ok && s.cfg.Fixture == nil {
		// Statistics are taken by ANALYZE (autovacuum, later, in life).
		s.cfg.Exec(t, "ANALYZE "+s.q(s.events))
		cuts, err := s.d.Quantiles(ctx(t), "", s.events, "id", 2)
		if err != nil || len(cuts) != 1 || sources.Compare(cuts[0], int64(1)) <= 0 || sources.Compare(cuts[0], int64(7)) >= 0 {
			t.Errorf("Quantiles(id, 2) = %v, %v; want one cut between 1 and 7", cuts, err)
		}
		if _, err := s.d.Quantiles(ctx(t), "", s.events, "name", 2); !errs.Is(err, errs.Invalid) {
			t.Errorf("Quantiles of a text column: %v, want invalid", err)
		}
	}
}

func (s *suite) testNotFound(t *testing.T) {
	missing := s.prefix + "missing"
	if _, err := s.d.Describe(ctx(t), "", missing, 5); !errs.Is(err, errs.NotFound) {
		t.Errorf("Describe missing table: %v, want not_found", err)
	}
	if _, err := s.d.Extract(ctx(t), sources.ExtractRequest{Table: missing}); !errs.Is(err, errs.NotFound) {
		t.Errorf("Extract missing table: %v, want not_found", err)
	}
	if _, err := s.d.Tables(ctx(t), s.prefix+"no_schema"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Tables of a missing schema: %v, want not_found", err)
	}
	if _, err := s.d.Describe(ctx(t), s.prefix+"no_schema", s.all, 0); !errs.Is(err, errs.NotFound) {
		t.Errorf("Describe in a missing schema: %v, want not_found", err)
	}
}

func (s *suite) testBadAuth(t *testing.T) {
	if s.cfg.Caps.NoAuth {
		t.Skip("the test server accepts any credentials")
	}
	raw, password := s.cfg.OpenBadAuth(t)
	d := sources.New(raw)
	defer d.Close()
	if len(password) < 6 {
		t.Fatalf("OpenBadAuth must give a password of 6+ characters, got %d", len(password))
	}
	_, err := d.Test(ctx(t))
	if k := errs.KindOf(err); k != errs.Unauthenticated && k != errs.Permission {
		t.Fatalf("Test with bad credentials: %v (kind %v), want unauthenticated or permission", err, k)
	}
	if strings.Contains(err.Error(), password) || strings.Contains(fmt.Sprintf("%+v", err), password) {
		t.Errorf("error text contains the password: %v", err)
	}
	if errs.Retryable(err) {
		t.Errorf("an auth failure must not be retryable")
	}
}

func (s *suite) testCancel(t *testing.T) {
	name := s.prefix + "many"
	s.create(t, name, "CREATE TABLE "+s.q(name)+" (id integer PRIMARY KEY, payload varchar(100))")
	const n = 20000
	if s.cfg.Fixture != nil {
		docs := make([]map[string]any, n)
		for i := range docs {
			docs[i] = map[string]any{"id": int64(i), "payload": fmt.Sprintf("payload %d", i)}
		}
		s.cfg.Fixture.Insert(t, name, docs)
	}
	for start := 0; start < n && s.cfg.Fixture == nil; start += 5000 {
		var vals []string
		for i := start; i < start+5000; i++ {
			vals = append(vals, fmt.Sprintf("(%d, 'payload %d')", i, i))
		}
		s.cfg.Exec(t, "INSERT INTO "+s.q(name)+" VALUES "+strings.Join(vals, ", "))
	}
	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	it, err := s.d.Extract(c, sources.ExtractRequest{Table: name})
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for it.Next() {
		read++
		if read == 10 {
			cancel()
		}
	}
	if read != 10 {
		t.Errorf("read %d rows after cancelling at 10", read)
	}
	if err := it.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after cancel = %v, want context.Canceled", err)
	}
	done := make(chan struct{})
	go func() { _ = it.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs after cancel")
	}
	// The driver still works.
	it, err = s.d.Extract(ctx(t), sources.ExtractRequest{Table: name, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, it); len(got) != 3 {
		t.Errorf("after cancel: %d rows with limit 3", len(got))
	}
	// An already-cancelled context fails Extract or the first Next.
	dead, cancel2 := context.WithCancel(context.Background())
	cancel2()
	it, err = s.d.Extract(dead, sources.ExtractRequest{Table: name})
	if err == nil {
		if it.Next() {
			t.Error("Next with a cancelled context returned a row")
		}
		err = it.Err()
		_ = it.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v, want context.Canceled", err)
	}
}

// Bench measures Extract of a table of n rows (id, name, amount, qty, ts)
// that it creates, ordered by ts, and reports rows/s. When ref is non-nil it
// is timed too on the same query (SELECT all columns ORDER BY ts, read with
// the bare client library, no decoding) and the benchmark reports ref_rows/s
// and ratio = rows/s over ref_rows/s. ref returns the rows it read.
func Bench(b *testing.B, d sources.Driver, exec func(t testing.TB, sql string), n int, ref func(ctx context.Context, query string) (int64, error)) {
	dl := d.Dialect()
	name := "srcb_" + randHex(4)
	typ := "timestamp"
	if dl == sources.MySQL {
		typ = "datetime(6)"
	}
	exec(b, "CREATE TABLE "+Q(dl, name)+" (id integer PRIMARY KEY, name varchar(40), amount numeric(12,2), qty integer, ts "+typ+")")
	b.Cleanup(func() { exec(b, "DROP TABLE IF EXISTS "+Q(dl, name)) })
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 5000 {
		var vals []string
		for i := start; i < min(n, start+5000); i++ {
			vals = append(vals, fmt.Sprintf("(%d, 'customer %d', %d.%02d, %d, '%s')", i, i%977, i%10000, i%100, i%50,
				base.Add(time.Duration(i)*time.Second).Format("2006-01-02 15:04:05")))
		}
		exec(b, "INSERT INTO "+Q(dl, name)+" VALUES "+strings.Join(vals, ", "))
	}
	query := "SELECT * FROM " + Q(dl, name) + " ORDER BY " + Q(dl, "ts")
	b.ResetTimer()
	var total int64
	var refTime time.Duration
	for b.Loop() {
		it, err := d.Extract(context.Background(), sources.ExtractRequest{Table: name, TimestampColumn: "ts"})
		if err != nil {
			b.Fatal(err)
		}
		for it.Next() {
			_ = it.Values()
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		if it.Rows() != int64(n) {
			b.Fatalf("read %d rows, want %d", it.Rows(), n)
		}
		total += it.Rows()
		_ = it.Close()
		if ref != nil {
			b.StopTimer()
			start := time.Now()
			got, err := ref(context.Background(), query)
			if err != nil || got != int64(n) {
				b.Fatalf("reference read %d rows: %v", got, err)
			}
			refTime += time.Since(start)
			b.StartTimer()
		}
	}
	rate := float64(total) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "rows/s")
	if ref != nil && refTime > 0 {
		refRate := float64(total) / refTime.Seconds()
		b.ReportMetric(refRate, "ref_rows/s")
		b.ReportMetric(rate/refRate, "ratio")
	}
}

// countingListener accepts and closes connections on loopback, counting
// them: a refused dial must never reach it.
func countingListener(t *testing.T) (port int, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, accepted
}

func (s *suite) testOutbound(t *testing.T) {
	if s.cfg.Conn == nil || s.cfg.New == nil {
		t.Fatal("sourcetest.Config needs Conn and New for the outbound policy tests")
	}
	policy := func(list string) *egress.Policy {
		p, err := egress.Parse(list)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const tail = " are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"
	real := s.cfg.Conn(t)
	if ip := net.ParseIP(real.Host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("the test server must be on a loopback address, not %q", real.Host)
	}
	port, accepted := countingListener(t)
	cases := []struct {
		name   string
		host   string
		port   int // 0: the test server's
		policy *egress.Policy
		want   string // "" = the test connects; else the message (prefix match)
	}{
		{"loopback allowed in local mode", real.Host, 0, egress.Default(true), ""},
		{"loopback allowed by a range", real.Host, 0, policy("127.0.0.0/8"), ""},
		{"name allowed by the list", "localhost", 0, policy("localhost"), ""},
		{"loopback refused in cloud mode", "127.0.0.1", port, egress.Default(false), "connections to 127.0.0.1 (loopback)" + tail},
		{"loopback refused when the policy says so", "127.0.0.1", port, policy("none"), "connections to 127.0.0.1 (loopback)" + tail},
		{"name resolving to loopback", "localhost", port, egress.Default(false), "connections to localhost ("},
		{"link-local", "169.254.169.254", 0, egress.Default(true), "connections to 169.254.169.254 (link-local)" + tail},
		{"metadata server name", "metadata.google.internal", 0, egress.Default(true), "connections to metadata.google.internal (the cloud metadata server)" + tail},
		{"private", "10.255.255.1", 0, egress.Default(true), "connections to 10.255.255.1 (private)" + tail},
		{"ipv4-mapped private", "::ffff:192.168.0.1", 0, egress.Default(true), "connections to 192.168.0.1 (private)" + tail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := real
			conn.Host, conn.Egress, conn.ConnectTimeout = c.host, c.policy, 5*time.Second
			if c.port != 0 {
				conn.Port = c.port
			}
			d, err := s.cfg.New(conn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			start := time.Now()
			_, err = d.Test(ctx(t))
			if c.want == "" {
				if err != nil {
					t.Fatalf("Test: %v", err)
				}
				return
			}
			if !errs.Is(err, errs.Permission) || errs.Retryable(err) {
				t.Fatalf("Test: %v (kind %v), want a permission error that is not retried", err, errs.KindOf(err))
			}
			if msg := errs.UserMessage(err); !strings.HasPrefix(msg, c.want) {
				t.Errorf("message for users %q, want it to start with %q", msg, c.want)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("the refusal took %v: it must come before any connection attempt", time.Since(start))
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("refused connections reached the listener %d times", n)
	}
}
