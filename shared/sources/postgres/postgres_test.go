package postgres_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/postgres"
	"github.com/b2brecs/b2brecs/shared/sources/sourcetest"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func conn(t testing.TB) (sources.Connection, string) {
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sources.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c.Egress = egress.LoopbackOnly()
	return c, dsn
}

func open(t testing.TB) sources.Driver {
	c, _ := conn(t)
	d, err := postgres.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func execer(dsn string) func(t testing.TB, sql string) {
	return func(t testing.TB, sql string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("exec %.200s: %v", sql, err)
		}
	}
}

func TestConformance(t *testing.T) {
	_, dsn := conn(t)
	sourcetest.Run(t, sourcetest.Config{
		Open: open,
		Exec: execer(dsn),
		OpenBadAuth: func(t testing.TB) (sources.Driver, string) {
			// The test server trusts local users, so an unknown role is
			// what it rejects.
			c, _ := conn(t)
			c.Username, c.Password = "srct_no_such_role", "Secr3t-pw-do-not-leak"
			d, err := postgres.New(c)
			if err != nil {
				t.Fatal(err)
			}
			return d, c.Password
		},
		Conn: func(t testing.TB) sources.Connection { c, _ := conn(t); return c },
		New:  func(c sources.Connection) (sources.Driver, error) { return postgres.New(c) },
	})
}

func TestOpenURL(t *testing.T) {
	_, dsn := conn(t)
	for _, scheme := range []string{"postgres", "postgresql"} {
		src, err := sources.Open(context.Background(), strings.Replace(dsn, "postgres://", scheme+"://", 1), egress.LoopbackOnly())
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if src.Dialect() != sources.Postgres {
			t.Errorf("%s: dialect %s", scheme, src.Dialect())
		}
		if _, err := src.Test(context.Background()); err != nil {
			t.Errorf("%s: Test: %v", scheme, err)
		}
		_ = src.Close()
	}
}

func TestUnreachable(t *testing.T) {
	d, err := postgres.New(sources.Connection{Host: "127.0.0.1", Port: 1, Database: "x", Username: "u", Password: "Secr3t-pw-do-not-leak", ConnectTimeout: 2 * time.Second,
		Egress: egress.LoopbackOnly()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Test(context.Background())
	if !errs.Is(err, errs.Transient) || strings.Contains(err.Error(), "Secr3t") {
		t.Errorf("unreachable server: %v, want transient without the password", err)
	}
}

func TestUnknownDatabase(t *testing.T) {
	c, _ := conn(t)
	c.Database = "srct_no_such_db"
	d, err := postgres.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Test(context.Background()); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown database: %v, want not_found", err)
	}
}

func BenchmarkExtract(b *testing.B) {
	_, dsn := conn(b)
	// Reference: the same query through bare pgx, raw values, no decoding.
	ref := func(ctx context.Context, query string) (int64, error) {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return 0, err
		}
		defer c.Close(ctx)
		rows, err := c.Query(ctx, query)
		if err != nil {
			return 0, err
		}
		var n int64
		for rows.Next() {
			_ = rows.RawValues()
			n++
		}
		return n, rows.Err()
	}
	sourcetest.Bench(b, open(b), execer(dsn), 100_000, ref)
}

func TestPermissionDenied(t *testing.T) {
	c, dsn := conn(t)
	exec := execer(dsn)
	exec(t, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'srct_noaccess') THEN CREATE ROLE srct_noaccess LOGIN; END IF; END $$`)
	table := "srct_perm_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	exec(t, `CREATE TABLE "`+table+`" (id integer PRIMARY KEY)`)
	t.Cleanup(func() { exec(t, `DROP TABLE IF EXISTS "`+table+`"`) })
	c.Username = "srct_noaccess"
	d, err := postgres.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Extract(context.Background(), sources.ExtractRequest{Table: table}); !errs.Is(err, errs.Permission) {
		t.Errorf("Extract without SELECT: %v, want permission", err)
	}
	if _, err := d.Describe(context.Background(), "", table, 3); !errs.Is(err, errs.Permission) {
		t.Errorf("Describe with samples without SELECT: %v, want permission", err)
	}
}

// TestPostgresTypes covers types only PostgreSQL has.
func TestPostgresTypes(t *testing.T) {
	_, dsn := conn(t)
	exec := execer(dsn)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	table, enum, domain := "srct_pgtypes_"+suffix, "srct_mood_"+suffix, "srct_posint_"+suffix
	exec(t, `CREATE TYPE "`+enum+`" AS ENUM ('sad', 'happy')`)
	exec(t, `CREATE DOMAIN "`+domain+`" AS integer CHECK (VALUE > 0)`)
	exec(t, `CREATE TABLE "`+table+`" (id serial PRIMARY KEY, m money, iv interval, ip inet, net cidr,
		mood "`+enum+`", n "`+domain+`", arr integer[], tags text[], ttz timetz, ts timestamp, d date, x xml, p point, nan numeric)`)
	t.Cleanup(func() {
		exec(t, `DROP TABLE IF EXISTS "`+table+`"`)
		exec(t, `DROP TYPE IF EXISTS "`+enum+`"`)
		exec(t, `DROP DOMAIN IF EXISTS "`+domain+`"`)
	})
	exec(t, `SET lc_monetary = 'C'`)
	exec(t, `INSERT INTO "`+table+`" (m, iv, ip, net, mood, n, arr, tags, ttz, ts, d, x, p, nan) VALUES
		(12.34, '1 day 2 hours', '10.0.0.1', '10.1.0.0/16', 'happy', 42, '{1,2,3}', '{"a b","c"}', '10:00:00+02',
		 'infinity', '-infinity', '<a>1</a>', '(1,2)', 'NaN')`)
	d := open(t)
	m, err := d.Describe(context.Background(), "", table, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]warehouse.Type{"id": warehouse.Int64, "m": warehouse.Numeric, "iv": warehouse.String, "ip": warehouse.String,
		"net": warehouse.String, "mood": warehouse.String, "n": warehouse.Int64, "arr": warehouse.JSON, "tags": warehouse.JSON,
		"ttz": warehouse.Time, "ts": warehouse.Timestamp, "d": warehouse.Date, "x": warehouse.String, "p": warehouse.String, "nan": warehouse.Numeric}
	for _, c := range m.Columns {
		if c.Type != wantTypes[c.OriginalName] {
			t.Errorf("column %s (%s): %s, want %s", c.OriginalName, c.SourceType, c.Type, wantTypes[c.OriginalName])
		}
		if (c.OriginalName == "p") != (c.Confidence == sources.Medium) {
			t.Errorf("column %s: confidence %s", c.OriginalName, c.Confidence)
		}
	}
	it, err := d.Extract(context.Background(), sources.ExtractRequest{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Next() {
		t.Fatalf("no row: %v", it.Err())
	}
	want := []any{int64(1), "12.34", "1 day 02:00:00", "10.0.0.1", "10.1.0.0/16", "happy", int64(42), "[1,2,3]", `["a b","c"]`,
		"08:00:00", nil, nil, "<a>1</a>", "(1,2)", "NaN"}
	for i, v := range it.Values() {
		if !sourcetest.Same(v, want[i]) {
			t.Errorf("column %s: %#v, want %#v", it.Columns()[i].OriginalName, v, want[i])
		}
	}
}
