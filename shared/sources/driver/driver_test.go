package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestMapPostgres(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want warehouse.Type
		conf sources.Confidence
		warn string
	}{
		{"smallint", warehouse.Int64, sources.High, ""},
		{"integer", warehouse.Int64, sources.High, ""},
		{"int8", warehouse.Int64, sources.High, ""},
		{"bigserial", warehouse.Int64, sources.High, ""},
		{"numeric(12,4)", warehouse.Numeric, sources.High, ""},
		{"money", warehouse.Numeric, sources.High, ""},
		{"double precision", warehouse.Float64, sources.High, ""},
		{"real", warehouse.Float64, sources.High, ""},
		{"Character Varying(20)", warehouse.String, sources.High, ""},
		{"character(3)", warehouse.String, sources.High, ""},
		{"text", warehouse.String, sources.High, LargeFieldWarning},
		{"boolean", warehouse.Bool, sources.High, ""},
		{"date", warehouse.Date, sources.High, ""},
		{"timestamp(3) without time zone", warehouse.Timestamp, sources.High, ""},
		{"timestamp with time zone", warehouse.Timestamp, sources.High, ""},
		{"timestamptz", warehouse.Timestamp, sources.High, ""},
		{"time with time zone", warehouse.Time, sources.High, ""},
		{"interval", warehouse.String, sources.High, ""},
		{"uuid", warehouse.String, sources.High, ""},
		{"inet", warehouse.String, sources.High, ""},
		{"jsonb", warehouse.JSON, sources.High, ""},
		{"bytea", warehouse.Bytes, sources.High, LargeFieldWarning},
		{"integer[]", warehouse.JSON, sources.High, ""},
		{"point", warehouse.String, sources.Medium, UnknownTypeWarning},
		{"tsvector", warehouse.String, sources.Medium, UnknownTypeWarning},
	} {
		got, conf, warn := MapPostgres(tc.in)
		if got != tc.want || conf != tc.conf || warn != tc.warn {
			t.Errorf("MapPostgres(%q) = %s %s %q, want %s %s %q", tc.in, got, conf, warn, tc.want, tc.conf, tc.warn)
		}
	}
}

func TestMapMySQL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want warehouse.Type
		conf sources.Confidence
	}{
		{"tinyint(1)", warehouse.Bool, sources.High},
		{"tinyint(1) unsigned", warehouse.Bool, sources.High},
		{"tinyint(4)", warehouse.Int64, sources.High},
		{"tinyint", warehouse.Int64, sources.High},
		{"smallint(6)", warehouse.Int64, sources.High},
		{"mediumint", warehouse.Int64, sources.High},
		{"int(11)", warehouse.Int64, sources.High},
		{"int(10) unsigned", warehouse.Int64, sources.High},
		{"bigint(20)", warehouse.Int64, sources.High},
		{"bigint(20) unsigned", warehouse.Numeric, sources.High},
		{"bigint unsigned zerofill", warehouse.Numeric, sources.High},
		{"year(4)", warehouse.Int64, sources.High},
		{"bit(1)", warehouse.Bool, sources.High},
		{"bit(8)", warehouse.Int64, sources.High},
		{"float", warehouse.Float64, sources.High},
		{"double", warehouse.Float64, sources.High},
		{"decimal(10,2)", warehouse.Numeric, sources.High},
		{"varchar(255)", warehouse.String, sources.High},
		{"longtext", warehouse.String, sources.High},
		{"enum('a','b')", warehouse.String, sources.High},
		{"set('x','y')", warehouse.String, sources.High},
		{"boolean", warehouse.Bool, sources.High},
		{"date", warehouse.Date, sources.High},
		{"datetime(6)", warehouse.DateTime, sources.High},
		{"timestamp", warehouse.Timestamp, sources.High},
		{"time", warehouse.Time, sources.High},
		{"json", warehouse.JSON, sources.High},
		{"varbinary(16)", warehouse.Bytes, sources.High},
		{"mediumblob", warehouse.Bytes, sources.High},
		{"INTEGER", warehouse.Int64, sources.High},
		{"geometry", warehouse.String, sources.Medium},
		{"RECORD", warehouse.String, sources.Medium},
	} {
		got, conf, _ := MapMySQL(tc.in)
		if got != tc.want || conf != tc.conf {
			t.Errorf("MapMySQL(%q) = %s %s, want %s %s", tc.in, got, conf, tc.want, tc.conf)
		}
	}
	if _, _, w := MapMySQL("mediumtext"); w != LargeFieldWarning {
		t.Errorf("mediumtext warning %q", w)
	}
}

func TestRecommendTimestamp(t *testing.T) {
	c := func(name string, temporal bool) sources.ColumnMeta {
		return sources.ColumnMeta{OriginalName: name, Temporal: temporal}
	}
	for _, tc := range []struct {
		cols []sources.ColumnMeta
		want string
	}{
		{[]sources.ColumnMeta{c("id", false), c("Created_At", true), c("Updated_At", true)}, "Updated_At"},
		{[]sources.ColumnMeta{c("id", false), c("date", true), c("created", true)}, "created"},
		{[]sources.ColumnMeta{c("shipped", true), c("Timestamp", true)}, "Timestamp"},
		{[]sources.ColumnMeta{c("shipped", true), c("paid", true)}, "shipped"},
		{[]sources.ColumnMeta{c("updated_at", false), c("paid", true)}, "paid"},
		{[]sources.ColumnMeta{c("id", false)}, ""},
		// By the warehouse name too: "Updated At" is updated_at.
		{[]sources.ColumnMeta{c("paid", true), {OriginalName: "Updated At", Name: "updated_at", Temporal: true}}, "Updated At"},
	} {
		got, why := RecommendTimestamp(tc.cols)
		if got != tc.want || why == "" {
			t.Errorf("RecommendTimestamp(%v) = %q (%q), want %q", tc.cols, got, why, tc.want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for _, tc := range []struct {
		d          sources.Dialect
		in, want   string
		wantErrors bool
	}{
		{sources.Postgres, "orders", `"orders"`, false},
		{sources.Postgres, `a"b`, `"a""b"`, false},
		{sources.MySQL, "Order Total (€)", "`Order Total (€)`", false},
		{sources.MySQL, "a`b", "`a``b`", false},
		{sources.MySQL, "", "", true},
		{sources.Postgres, "a\x00b", "", true},
	} {
		got, err := QuoteIdent(tc.d, tc.in)
		if got != tc.want || (err != nil) != tc.wantErrors {
			t.Errorf("QuoteIdent(%s, %q) = %q, %v; want %q", tc.d, tc.in, got, err, tc.want)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("error kind %v", errs.KindOf(err))
		}
	}
	if got, _ := QuoteTable(sources.Postgres, "s", "t"); got != `"s"."t"` {
		t.Errorf("QuoteTable = %s", got)
	}
}

// unquote reverses QuoteIdent the way the server's lexer does.
func unquote(q string, quote byte) (string, bool) {
	if len(q) < 2 || q[0] != quote || q[len(q)-1] != quote {
		return "", false
	}
	var b strings.Builder
	body := q[1 : len(q)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == quote {
			if i+1 >= len(body) || body[i+1] != quote {
				return "", false // the identifier would end early
			}
			i++
		}
		b.WriteByte(body[i])
	}
	return b.String(), true
}

func FuzzQuoteIdent(f *testing.F) {
	for _, s := range []string{"a", `a"b`, "a`b", `""`, "``", "x\x00", "Order Total (€)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, d := range []sources.Dialect{sources.Postgres, sources.MySQL} {
			q, err := QuoteIdent(d, name)
			if err != nil {
				if name != "" && !strings.Contains(name, "\x00") {
					t.Fatalf("QuoteIdent(%q): %v", name, err)
				}
				continue
			}
			quote := byte('"')
			if d == sources.MySQL {
				quote = '`'
			}
			back, ok := unquote(q, quote)
			if !ok || back != name {
				t.Fatalf("%s: %q quotes to %q which reads back as %q (%v)", d, name, q, back, ok)
			}
		}
	})
}

// FakeRows is a RawRows over fixed rows.
type FakeRows struct {
	rows [][]any
	i    int
	err  error
}

func (f *FakeRows) Next() bool {
	if f.i >= len(f.rows) {
		return false
	}
	f.i++
	return true
}
func (f *FakeRows) Scan(dst []any) error { copy(dst, f.rows[f.i-1]); return nil }
func (f *FakeRows) Err() error           { return f.err }
func (f *FakeRows) Close() error         { return nil }

func TestIteratorBoundary(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	// Raw rows: name (visible), ts, id (hidden), ordered by ts.
	rows := [][]any{{"a", day(1), int64(1)}, {"b", day(1), int64(2)}, {"c", day(2), int64(3)}, {"d", day(2), int64(4)}, {"e", day(2), int64(5)}}
	read := func(p Plan, rows [][]any) ([]string, sources.RowIterator) {
		it := NewIterator(context.Background(), p, 3, &FakeRows{rows: rows}, nil)
		var names []string
		for it.Next() {
			if len(it.Values()) != 1 {
				t.Fatalf("values %v: hidden columns leak", it.Values())
			}
			names = append(names, it.Values()[0].(string))
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return names, it
	}
	p := Plan{Columns: []sources.ExtractColumn{{Name: "name"}}, TSIndex: 1, KeyIndexes: []int{2}, KeyColumns: []string{"id"}}
	names, it := read(p, rows)
	if len(names) != 5 || it.Watermark() != day(2) || !reflect.DeepEqual(it.BoundaryKeys(), []string{`"3"`, `"4"`, `"5"`}) {
		t.Errorf("names %v watermark %v boundary %v", names, it.Watermark(), it.BoundaryKeys())
	}
	// Next run: the server returns rows >= day(2); those seen are skipped.
	p.Since, p.SeenAtSince = it.Watermark(), it.BoundaryKeys()
	names, it = read(p, append(rows[2:], []any{"f", day(2), int64(6)}, []any{"g", day(3), int64(7)}))
	if !reflect.DeepEqual(names, []string{"f", "g"}) || it.Watermark() != day(3) || !reflect.DeepEqual(it.BoundaryKeys(), []string{`"7"`}) {
		t.Errorf("second run: names %v watermark %v boundary %v", names, it.Watermark(), it.BoundaryKeys())
	}
	// Limit, and no key: no boundary keys.
	names, it = read(Plan{Columns: []sources.ExtractColumn{{Name: "name"}}, TSIndex: 1, Limit: 2}, rows)
	if len(names) != 2 || it.BoundaryKeys() != nil || it.Rows() != 2 {
		t.Errorf("limit: names %v boundary %v", names, it.BoundaryKeys())
	}
	// A cancelled context stops the iterator with context.Canceled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it = NewIterator(ctx, p, 3, &FakeRows{rows: rows}, nil)
	if it.Next() || !errors.Is(it.Err(), context.Canceled) || !errs.Is(it.Err(), errs.Transient) {
		t.Errorf("cancelled: %v", it.Err())
	}
}

func TestRedact(t *testing.T) {
	err := Redact(errors.New("auth failed for Secr3t-pw"), "Secr3t-pw")
	if err.Error() != "auth failed for ****" {
		t.Errorf("Redact = %q", err)
	}
}

type closer struct{ closed int }

func (c *closer) Close() error { c.closed++; return nil }

func TestClient(t *testing.T) {
	l := Client[*closer]{Name: "test"}
	if err := l.Close(); err != nil { // nothing made yet
		t.Fatal(err)
	}
	l = Client[*closer]{Name: "test"}
	made := 0
	create := func() (*closer, error) { made++; return &closer{}, nil }
	a, _ := l.Get(create)
	b, _ := l.Get(create)
	if a != b || made != 1 {
		t.Errorf("Get made %d clients", made)
	}
	if err := l.Close(); err != nil || a.closed != 1 {
		t.Errorf("Close: %v, closed %d times", err, a.closed)
	}
	if _, err := l.Get(create); !errs.Is(err, errs.Invalid) || made != 1 {
		t.Errorf("Get after Close: %v (made %d)", err, made)
	}
	if err := l.Close(); err != nil || a.closed != 1 {
		t.Errorf("second Close: %v, closed %d times", err, a.closed)
	}
	failing := Client[*closer]{Name: "test"}
	if _, err := failing.Get(func() (*closer, error) { return nil, errors.New("no") }); err == nil {
		t.Error("a failed create gave no error")
	}
	if c, err := failing.Get(create); err != nil || c == nil {
		t.Errorf("Get after a failed create: %v", err)
	}
}

func TestEndedErr(t *testing.T) {
	denied := &egress.DeniedError{Host: "10.0.0.1", Class: "private"}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	refused, stop := context.WithCancelCause(context.Background())
	stop(denied)
	other := errors.New("rpc error: unavailable")
	for _, c := range []struct {
		name     string
		ctx      context.Context
		err      error
		kind     errs.Kind
		canceled bool
	}{
		{"refusal in the chain", context.Background(), &net.OpError{Op: "dial", Err: denied}, errs.Permission, false},
		{"refusal as the context's cause", refused, other, errs.Permission, false},
		{"cancelled context", cancelled, other, errs.Transient, true},
		{"cancellation in the chain", context.Background(), fmt.Errorf("read: %w", context.Canceled), errs.Transient, true},
		{"anything else", context.Background(), other, errs.Unknown, false},
	} {
		got := EndedErr(c.ctx, c.err, c.err, "read")
		if c.kind == errs.Unknown {
			if got != nil {
				t.Errorf("%s: %v, want nil", c.name, got)
			}
			continue
		}
		if errs.KindOf(got) != c.kind || errors.Is(got, context.Canceled) != c.canceled {
			t.Errorf("%s: %v (kind %v)", c.name, got, errs.KindOf(got))
		}
		if c.kind == errs.Permission && errs.UserMessage(got) != denied.Error() {
			t.Errorf("%s: message %q", c.name, errs.UserMessage(got))
		}
	}
}

func TestParallel(t *testing.T) {
	var mu sync.Mutex
	running, most, done := 0, 0, make([]bool, 20)
	err := Parallel(context.Background(), len(done), 3, func(ctx context.Context, i int) error {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		running--
		done[i] = true
		mu.Unlock()
		return nil
	})
	if err != nil || most > 3 || slices.Contains(done, false) {
		t.Errorf("err %v, %d at once, done %v", err, most, done)
	}
	boom := errors.New("boom")
	calls := 0
	err = Parallel(context.Background(), 100, 1, func(ctx context.Context, i int) error {
		calls++
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls > 4 {
		t.Errorf("first error: %v after %d calls", err, calls)
	}
}

func TestEvenCuts(t *testing.T) {
	bounds := func(v ...int64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	tests := []struct {
		name   string
		bounds []any
		n      int
		want   []any
	}{
		{"quarters of a histogram", bounds(0, 10, 20, 30, 40, 50, 60, 70, 80), 4, bounds(20, 40, 60)},
		{"more groups than buckets", bounds(0, 10, 20), 8, bounds(10)},
		{"repeated bounds once", bounds(0, 5, 5, 5, 9), 4, bounds(5)},
		{"too few bounds", bounds(0, 10), 4, nil},
		{"one group", bounds(0, 10, 20), 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EvenCuts(tc.bounds, tc.n); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("EvenCuts = %v, want %v", got, tc.want)
			}
		})
	}
}
