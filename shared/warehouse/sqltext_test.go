package warehouse

import (
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestQuoteIdent(t *testing.T) {
	tests := []struct {
		d    Dialect
		in   string
		want string
	}{
		{DuckDB, "a", `"a"`},
		{DuckDB, "select", `"select"`},
		{DuckDB, "unit price", `"unit price"`},
		{DuckDB, `we"ird`, `"we""ird"`},
		{BigQuery, "a", "`a`"},
		{BigQuery, "unit price", "`unit price`"},
		{BigQuery, "we`ird", "`we\\`ird`"},
		{BigQuery, `back\slash`, "`back\\\\slash`"},
	}
	for _, tt := range tests {
		if got := QuoteIdent(tt.d, tt.in); got != tt.want {
			t.Errorf("QuoteIdent(%s, %q) = %s, want %s", tt.d, tt.in, got, tt.want)
		}
	}
	if got := QuoteTable(DuckDB, "raw_data", "order lines"); got != `"raw_data"."order lines"` {
		t.Errorf("QuoteTable duckdb = %s", got)
	}
	if got := QuoteTable(BigQuery, "raw_data", "t"); got != "`raw_data`.`t`" {
		t.Errorf("QuoteTable bigquery = %s", got)
	}
}

func dollar(name string) string { return "$" + name }

func TestRewriteParams(t *testing.T) {
	tests := []struct {
		name  string
		d     Dialect
		in    string
		want  string
		names []string
	}{
		{"simple", DuckDB, "SELECT * FROM t WHERE a = @a AND b > @b_2", "SELECT * FROM t WHERE a = $a AND b > $b_2", []string{"a", "b_2"}},
		{"repeat", DuckDB, "SELECT @x + @x, @y", "SELECT $x + $x, $y", []string{"x", "y"}},
		{"in string", DuckDB, "SELECT 'me@example.com', @p", "SELECT 'me@example.com', $p", []string{"p"}},
		{"doubled quote", DuckDB, "SELECT 'it''s @not', @p", "SELECT 'it''s @not', $p", []string{"p"}},
		{"quoted ident", DuckDB, `SELECT "col@x", "a""@b" FROM t WHERE c=@c`, `SELECT "col@x", "a""@b" FROM t WHERE c=$c`, []string{"c"}},
		{"line comment", DuckDB, "SELECT 1 -- @nope\n, @yes", "SELECT 1 -- @nope\n, $yes", []string{"yes"}},
		{"block comment", DuckDB, "SELECT /* @no /* nested @no */ @no */ @yes", "SELECT /* @no /* nested @no */ @no */ $yes", []string{"yes"}},
		{"dollar string", DuckDB, "SELECT $$ @no $$, $t$ @no $t$, @yes", "SELECT $$ @no $$, $t$ @no $t$, $yes", []string{"yes"}},
		{"positional untouched", DuckDB, "SELECT $1, $name, @z", "SELECT $1, $name, $z", []string{"z"}},
		{"escape string", DuckDB, `SELECT E'a\'@no', @yes`, `SELECT E'a\'@no', $yes`, []string{"yes"}},
		{"at operator", DuckDB, "SELECT a @> b, @ 3, @1", "SELECT a @> b, @ 3, @1", nil},
		{"bq double string", BigQuery, `SELECT "a@b", '@c', @d`, `SELECT "a@b", '@c', $d`, []string{"d"}},
		{"bq backslash", BigQuery, `SELECT 'it\'s @no', @d`, `SELECT 'it\'s @no', $d`, []string{"d"}},
		{"bq triple", BigQuery, `SELECT """x " @no""", '''@no''', @d`, `SELECT """x " @no""", '''@no''', $d`, []string{"d"}},
		{"bq raw", BigQuery, `SELECT r'\d@no', @d`, `SELECT r'\d@no', $d`, []string{"d"}},
		{"bq backtick", BigQuery, "SELECT `a@b` FROM `p.d.t` WHERE x=@x", "SELECT `a@b` FROM `p.d.t` WHERE x=$x", []string{"x"}},
		{"bq hash comment", BigQuery, "SELECT 1 # @no\n, @x", "SELECT 1 # @no\n, $x", []string{"x"}},
		{"bq system var", BigQuery, "SELECT @@project_id, @x", "SELECT @@project_id, $x", []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names, err := RewriteParams(tt.d, tt.in, dollar)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !slices.Equal(names, tt.names) {
				t.Errorf("names = %v, want %v", names, tt.names)
			}
		})
	}
}

func TestRewriteParamsUnterminated(t *testing.T) {
	for _, q := range []string{"SELECT 'abc", `SELECT "abc`, "SELECT /* x", "SELECT $t$ abc", "SELECT `a"} {
		for _, d := range []Dialect{DuckDB, BigQuery} {
			_, _, err := RewriteParams(d, q, dollar)
			if q == "SELECT $t$ abc" && d == BigQuery {
				continue
			}
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("%s %q: err = %v, want invalid", d, q, err)
			}
		}
	}
}

func TestNormalizeType(t *testing.T) {
	tests := map[string]Type{
		"BIGINT": Int64, "INTEGER": Int64, "int64": Int64, "DOUBLE": Float64, "FLOAT": Float64,
		"DECIMAL(18,3)": Numeric, "NUMERIC": Numeric, "VARCHAR": String, "STRING": String,
		"BOOLEAN": Bool, "BOOL": Bool, "DATE": Date, "TIMESTAMP": Timestamp,
		"TIMESTAMP WITH TIME ZONE": Timestamp, "TIMESTAMPTZ": Timestamp, "TIME": Time,
		"JSON": JSON, "BLOB": Bytes, "BYTES": Bytes, "DATETIME": DateTime,
	}
	for in, want := range tests {
		got, ok := NormalizeType(in)
		if !ok || got != want {
			t.Errorf("NormalizeType(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"STRUCT(a INT)", "INTEGER[]", "MAP(VARCHAR, INT)", "INTERVAL"} {
		if _, ok := NormalizeType(in); ok {
			t.Errorf("NormalizeType(%q) ok, want not", in)
		}
	}
}

func TestSchemaValidate(t *testing.T) {
	good := Schema{{Name: "a", Type: Int64}, {Name: "b c", Type: String}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Schema{nil, {{Name: "", Type: String}}, {{Name: "a", Type: "INT"}}, {{Name: "a", Type: String}, {Name: "A", Type: Int64}}} {
		if err := bad.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("Validate(%v) = %v, want invalid", bad, err)
		}
	}
}

// FuzzRewriteParams checks invariants on arbitrary input: no panic; the
// identity rewrite (@name -> @name) returns the input unchanged; every
// reported name occurs in the input; and rewriting to a marker that cannot
// appear otherwise changes exactly the reported references.
func FuzzRewriteParams(f *testing.F) {
	for _, s := range []string{
		"SELECT @a", "SELECT '@a' , @b", `SELECT "x@y"`, "SELECT $$@a$$ @b", "-- @a\n@b",
		"/* /* @a */ */ @b", "SELECT E'\\'@a' @b", "SELECT '''@a''' @b", "SELECT @@x @y", "x@y",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, q string, bq bool) {
		d := DuckDB
		if bq {
			d = BigQuery
		}
		same, names, err := RewriteParams(d, q, func(n string) string { return "@" + n })
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error without kind invalid: %v", err)
			}
			return
		}
		if same != q {
			t.Fatalf("identity rewrite changed %q to %q", q, same)
		}
		for _, n := range names {
			if !strings.Contains(q, "@"+n) || n == "" || !isIdentStart(n[0]) {
				t.Fatalf("bad name %q from %q", n, q)
			}
		}
		marked, names2, err := RewriteParams(d, q, func(n string) string { return "\x00" + n + "\x00" })
		if err != nil || !slices.Equal(names, names2) {
			t.Fatalf("second rewrite differs: %v %v %v", err, names, names2)
		}
		if len(names) == 0 && marked != q {
			t.Fatalf("no names but rewrite changed %q to %q", q, marked)
		}
		// Anything wrapped in a string literal is never a parameter.
		for _, lit := range []string{"'" + strings.ReplaceAll(q, "'", "''") + "'", "$zz$" + strings.ReplaceAll(q, "$", "") + "$zz$"} {
			if d == BigQuery {
				lit = "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(q) + "'"
			}
			w, ns, err := RewriteParams(d, "SELECT "+lit+", @p", dollar)
			if err != nil || !slices.Equal(ns, []string{"p"}) || w != "SELECT "+lit+", $p" {
				t.Fatalf("literal %s: got %q %v %v", lit, w, ns, err)
			}
		}
		if len(names) > 0 && !strings.Contains(q, "\x00") && !strings.Contains(marked, "\x00"+names[0]+"\x00") {
			t.Fatalf("first name %q not rewritten in %q", names[0], marked)
		}
	})
}

func TestInArray(t *testing.T) {
	tests := []struct {
		d    Dialect
		not  bool
		want string
	}{
		{BigQuery, false, "(`c`) IN UNNEST(@p)"},
		{BigQuery, true, "(`c`) NOT IN UNNEST(@p)"},
		{DuckDB, false, `("c") = ANY(@p)`},
		{DuckDB, true, `("c") <> ALL(@p)`},
	}
	for _, tt := range tests {
		if got := InArray(tt.d, QuoteIdent(tt.d, "c"), "@p", tt.not); got != tt.want {
			t.Errorf("InArray(%s, not=%v) = %s, want %s", tt.d, tt.not, got, tt.want)
		}
	}
}

func TestDecimalText(t *testing.T) {
	big38, _ := new(big.Int).SetString("12345678901234567890123456789", 10)
	tests := []struct {
		unscaled *big.Int
		scale    int
		want     string
	}{
		{big.NewInt(0), 9, "0"},
		{big.NewInt(1234500000000), 9, "1234.5"},
		{big.NewInt(-1), 9, "-0.000000001"},
		{big.NewInt(-5), 1, "-0.5"},
		{big.NewInt(1000), 3, "1"},
		{big.NewInt(42), 0, "42"},
		{big.NewInt(42), -2, "4200"},
		{big38, 9, "12345678901234567890.123456789"},
		{new(big.Int).Neg(big38), 38, "-0.00000000012345678901234567890123456789"},
	}
	for _, tt := range tests {
		if got := DecimalText(tt.unscaled, tt.scale); got != tt.want {
			t.Errorf("DecimalText(%s, %d) = %q, want %q", tt.unscaled, tt.scale, got, tt.want)
		}
		r := new(big.Rat).SetFrac(tt.unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(tt.scale, 0))), nil))
		if tt.scale < 0 {
			r.SetInt(new(big.Int).Mul(tt.unscaled, big.NewInt(100)))
		}
		if got, ok := RatText(r); !ok || got != tt.want {
			t.Errorf("RatText(%s) = %q, %v, want %q", r, got, ok, tt.want)
		}
	}
	for _, s := range []string{"1/3", "1/7", "-2/6"} {
		r, _ := new(big.Rat).SetString(s)
		if got, ok := RatText(r); ok {
			t.Errorf("RatText(%s) = %q, want no exact decimal", s, got)
		}
	}
	for _, s := range []string{"1/8", "3/40", "-1/1024"} {
		r, _ := new(big.Rat).SetString(s)
		f, _ := r.Float64()
		if got, ok := RatText(r); !ok || got != strconv.FormatFloat(f, 'f', -1, 64) {
			t.Errorf("RatText(%s) = %q, %v, want %v", s, got, ok, f)
		}
	}
}

func TestColumnType(t *testing.T) {
	for _, typ := range []Type{String, Int64, Float64, Numeric, Bool, Date, Timestamp, DateTime, Time, JSON, Bytes} {
		if got, err := ColumnType(BigQuery, typ); err != nil || got != string(typ) {
			t.Errorf("BigQuery type of %s = %q, %v", typ, got, err)
		}
		if got, err := ColumnType(DuckDB, typ); err != nil || got == "" {
			t.Errorf("DuckDB type of %s = %q, %v", typ, got, err)
		}
	}
	if got, _ := ColumnType(DuckDB, Timestamp); got != "TIMESTAMPTZ" {
		t.Errorf("DuckDB TIMESTAMP = %q, want TIMESTAMPTZ (an instant)", got)
	}
	if _, err := ColumnType(DuckDB, "MONEY"); !errs.Is(err, errs.Invalid) {
		t.Errorf("an unknown type: %v", err)
	}
}
