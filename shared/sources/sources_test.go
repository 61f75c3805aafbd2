package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestMapPostgres(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want warehouse.Type
		conf Confidence
		warn string
	}{
		{"smallint", warehouse.Int64, High, ""},
		{"integer", warehouse.Int64, High, ""},
		{"int8", warehouse.Int64, High, ""},
		{"bigserial", warehouse.Int64, High, ""},
		{"numeric(12,4)", warehouse.Numeric, High, ""},
		{"money", warehouse.Numeric, High, ""},
		{"double precision", warehouse.Float64, High, ""},
		{"real", warehouse.Float64, High, ""},
		{"Character Varying(20)", warehouse.String, High, ""},
		{"character(3)", warehouse.String, High, ""},
		{"text", warehouse.String, High, LargeFieldWarning},
		{"boolean", warehouse.Bool, High, ""},
		{"date", warehouse.Date, High, ""},
		{"timestamp(3) without time zone", warehouse.Timestamp, High, ""},
		{"timestamp with time zone", warehouse.Timestamp, High, ""},
		{"timestamptz", warehouse.Timestamp, High, ""},
		{"time with time zone", warehouse.Time, High, ""},
		{"interval", warehouse.String, High, ""},
		{"uuid", warehouse.String, High, ""},
		{"inet", warehouse.String, High, ""},
		{"jsonb", warehouse.JSON, High, ""},
		{"bytea", warehouse.Bytes, High, LargeFieldWarning},
		{"integer[]", warehouse.JSON, High, ""},
		{"point", warehouse.String, Medium, UnknownTypeWarning},
		{"tsvector", warehouse.String, Medium, UnknownTypeWarning},
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
		conf Confidence
	}{
		{"tinyint(1)", warehouse.Bool, High},
		{"tinyint(1) unsigned", warehouse.Bool, High},
		{"tinyint(4)", warehouse.Int64, High},
		{"tinyint", warehouse.Int64, High},
		{"smallint(6)", warehouse.Int64, High},
		{"mediumint", warehouse.Int64, High},
		{"int(11)", warehouse.Int64, High},
		{"int(10) unsigned", warehouse.Int64, High},
		{"bigint(20)", warehouse.Int64, High},
		{"bigint(20) unsigned", warehouse.Numeric, High},
		{"bigint unsigned zerofill", warehouse.Numeric, High},
		{"year(4)", warehouse.Int64, High},
		{"bit(1)", warehouse.Bool, High},
		{"bit(8)", warehouse.Int64, High},
		{"float", warehouse.Float64, High},
		{"double", warehouse.Float64, High},
		{"decimal(10,2)", warehouse.Numeric, High},
		{"varchar(255)", warehouse.String, High},
		{"longtext", warehouse.String, High},
		{"enum('a','b')", warehouse.String, High},
		{"set('x','y')", warehouse.String, High},
		{"boolean", warehouse.Bool, High},
		{"date", warehouse.Date, High},
		{"datetime(6)", warehouse.DateTime, High},
		{"timestamp", warehouse.Timestamp, High},
		{"time", warehouse.Time, High},
		{"json", warehouse.JSON, High},
		{"varbinary(16)", warehouse.Bytes, High},
		{"mediumblob", warehouse.Bytes, High},
		{"INTEGER", warehouse.Int64, High},
		{"geometry", warehouse.String, Medium},
		{"RECORD", warehouse.String, Medium},
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
	c := func(name string, temporal bool) ColumnMeta { return ColumnMeta{OriginalName: name, Temporal: temporal} }
	for _, tc := range []struct {
		cols []ColumnMeta
		want string
	}{
		{[]ColumnMeta{c("id", false), c("Created_At", true), c("Updated_At", true)}, "Updated_At"},
		{[]ColumnMeta{c("id", false), c("date", true), c("created", true)}, "created"},
		{[]ColumnMeta{c("shipped", true), c("Timestamp", true)}, "Timestamp"},
		{[]ColumnMeta{c("shipped", true), c("paid", true)}, "shipped"},
		{[]ColumnMeta{c("updated_at", false), c("paid", true)}, "paid"},
		{[]ColumnMeta{c("id", false)}, ""},
	} {
		got, why := RecommendTimestamp(tc.cols)
		if got != tc.want || why == "" {
			t.Errorf("RecommendTimestamp(%v) = %q (%q), want %q", tc.cols, got, why, tc.want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for _, tc := range []struct {
		d          Dialect
		in, want   string
		wantErrors bool
	}{
		{Postgres, "orders", `"orders"`, false},
		{Postgres, `a"b`, `"a""b"`, false},
		{MySQL, "Order Total (€)", "`Order Total (€)`", false},
		{MySQL, "a`b", "`a``b`", false},
		{MySQL, "", "", true},
		{Postgres, "a\x00b", "", true},
	} {
		got, err := QuoteIdent(tc.d, tc.in)
		if got != tc.want || (err != nil) != tc.wantErrors {
			t.Errorf("QuoteIdent(%s, %q) = %q, %v; want %q", tc.d, tc.in, got, err, tc.want)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("error kind %v", errs.KindOf(err))
		}
	}
	if got, _ := QuoteTable(Postgres, "s", "t"); got != `"s"."t"` {
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
		for _, d := range []Dialect{Postgres, MySQL} {
			q, err := QuoteIdent(d, name)
			if err != nil {
				if name != "" && !strings.Contains(name, "\x00") {
					t.Fatalf("QuoteIdent(%q): %v", name, err)
				}
				continue
			}
			quote := byte('"')
			if d == MySQL {
				quote = '`'
			}
			back, ok := unquote(q, quote)
			if !ok || back != name {
				t.Fatalf("%s: %q quotes to %q which reads back as %q (%v)", d, name, q, back, ok)
			}
		}
	})
}

func TestParseURL(t *testing.T) {
	u, _ := url.Parse("postgres://alice:p%40ss%3Aword@db.example.com:6543/shop?sslmode=require&schema=sales&connect_timeout=3&application_name=etl")
	c, err := ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	want := Connection{Host: "db.example.com", Port: 6543, Database: "shop", Schema: "sales", Username: "alice", Password: "p@ss:word",
		SSLMode: "require", Params: map[string]string{"application_name": "etl"}, ConnectTimeout: 3 * time.Second}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("ParseURL = %#v, want %#v", c, want)
	}
	back, err := ParseURL(c.URL("postgres"))
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{"mysql://h:0/db", "mysql://h:99999/db", "mysql://h/db?connect_timeout=soon"} {
		u, _ := url.Parse(bad)
		if _, err := ParseURL(u); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseURL(%s): %v, want invalid", bad, err)
		}
	}
}

func TestNoPasswordInText(t *testing.T) {
	c := Connection{Host: "h", Port: 5432, Database: "d", Username: "u", Password: "Secr3t-pw"}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "conn", c)
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		if strings.Contains(s, "Secr3t") {
			t.Errorf("password in %q", s)
		}
	}
	if _, err := Open(context.Background(), "postgres://u:Secr3t-pw@h:bad port/d", nil); err == nil || strings.Contains(err.Error(), "Secr3t") {
		t.Errorf("Open with a bad URL: %v", err)
	}
	err := Redact(errors.New("auth failed for Secr3t-pw"), "Secr3t-pw")
	if err.Error() != "auth failed for ****" {
		t.Errorf("Redact = %q", err)
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	if _, err := Open(context.Background(), "oracle://h/db", nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown scheme: %v", err)
	}
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
	read := func(p Plan, rows [][]any) ([]string, RowIterator) {
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
	p := Plan{Columns: []ExtractColumn{{Name: "name"}}, TSIndex: 1, KeyIndexes: []int{2}, KeyColumns: []string{"id"}}
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
	names, it = read(Plan{Columns: []ExtractColumn{{Name: "name"}}, TSIndex: 1, Limit: 2}, rows)
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

func TestCompareAndFormat(t *testing.T) {
	tm := time.Date(2024, 3, 1, 12, 0, 0, 5000, time.UTC)
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{nil, nil, 0}, {nil, int64(1), -1}, {int64(1), nil, 1},
		{int64(1), int64(2), -1}, {"b", "a", 1}, {tm, tm.Add(time.Nanosecond), -1}, {tm, tm, 0}, {1.5, 1.5, 0},
	} {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%v, %v) = %d", tc.a, tc.b, got)
		}
	}
	for v, want := range map[any]string{nil: "NULL", int64(-3): "-3", 0.25: "0.25", true: "true", "x": "x",
		tm: "2024-03-01T12:00:00.000005Z", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC): "2024-03-01"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
	if got := FormatValue([]byte{0, 255}); got != "AP8=" {
		t.Errorf("bytes = %q", got)
	}
	if got := EncodeKey([]any{int64(1), "a,\"b", nil}); got != `"1","a,\"b",null` {
		t.Errorf("EncodeKey = %s", got)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h:5432/db?sslmode=disable&schema=s", "mysql://root@[::1]:3306/x?connect_timeout=2s&a=b", "mysql:///", "postgres://h/d%2Fe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		c, err := ParseURL(u)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ParseURL(%q): %v is not invalid", raw, err)
			}
			if c.Password != "" && strings.Contains(err.Error(), c.Password) {
				t.Fatalf("password in error")
			}
			return
		}
		back, err := ParseURL(c.URL("x"))
		if err != nil {
			t.Fatalf("ParseURL(URL(%+v)): %v", c, err)
		}
		if len(back.Params) == 0 && len(c.Params) == 0 {
			back.Params, c.Params = nil, nil
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip of %q: %#v != %#v (%s)", raw, back, c, c.Password)
		}
	})
}
