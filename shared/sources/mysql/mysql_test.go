package mysql_test

import (
	"context"
	"database/sql"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/sources/mysql"
	"github.com/b2brecs/b2brecs/shared/sources/sourcetest"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

const testDB = "b2b_sourcetest"

var createDB sync.Once

// conn returns the connection to the test database (created if missing)
// and a DSN for Exec.
func conn(t testing.TB) (sources.Connection, string) {
	dsn := testenv.Require(t, testenv.MariaDB)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	var cerr error
	createDB.Do(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			cerr = err
			return
		}
		defer db.Close()
		_, cerr = db.Exec("CREATE DATABASE IF NOT EXISTS " + testDB + " CHARACTER SET utf8mb4")
	})
	if cerr != nil {
		t.Fatal(cerr)
	}
	cfg.DBName = testDB
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.Collation = "utf8mb4_general_ci"
	return sources.Connection{Host: host, Port: p, Database: testDB, Username: cfg.User, Password: cfg.Passwd, SSLMode: "disable",
		Egress: egress.LoopbackOnly()}, cfg.FormatDSN()
}

func open(t testing.TB) sources.Driver {
	c, _ := conn(t)
	d, err := mysql.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func execer(dsn string) func(t testing.TB, sql string) {
	return func(t testing.TB, q string) {
		t.Helper()
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("exec %.200s: %v", q, err)
		}
	}
}

func TestConformance(t *testing.T) {
	_, dsn := conn(t)
	sourcetest.Run(t, sourcetest.Config{
		Open: open,
		Exec: execer(dsn),
		OpenBadAuth: func(t testing.TB) (sources.Driver, string) {
			c, _ := conn(t)
			c.Password = "Secr3t-pw-do-not-leak"
			d, err := mysql.New(c)
			if err != nil {
				t.Fatal(err)
			}
			return d, c.Password
		},
		Conn: func(t testing.TB) sources.Connection { c, _ := conn(t); return c },
		New:  func(c sources.Connection) (sources.Driver, error) { return mysql.New(c) },
	})
}

func TestOpenURL(t *testing.T) {
	c, _ := conn(t)
	src, err := sources.OpenConnection(context.Background(), "mysql", c)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Dialect() != sources.MySQL {
		t.Errorf("dialect %s", src.Dialect())
	}
	res, err := src.Test(context.Background())
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	if res.Schema != testDB || !strings.Contains(res.Message, testDB) {
		t.Errorf("Test result %+v", res)
	}
}

func TestUnreachable(t *testing.T) {
	d, err := mysql.New(sources.Connection{Host: "127.0.0.1", Port: 1, Database: "x", Username: "u", Password: "Secr3t-pw-do-not-leak", ConnectTimeout: 2 * time.Second,
		Egress: egress.LoopbackOnly()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Test(context.Background())
	if !errs.Is(err, errs.Transient) || strings.Contains(err.Error(), "Secr3t") {
		t.Errorf("unreachable server: %v, want transient without the password", err)
	}
}

func TestUnknownDatabase(t *testing.T) {
	c, _ := conn(t)
	c.Database, c.Schema = "srct_no_such_db", ""
	d, err := mysql.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Test(context.Background()); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown database: %v, want not_found", err)
	}
}

func BenchmarkExtract(b *testing.B) {
	_, dsn := conn(b)
	// Reference: the same query through bare database/sql, raw bytes.
	ref := func(ctx context.Context, query string) (int64, error) {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return 0, err
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		raw := make([]sql.RawBytes, len(cols))
		dst := make([]any, len(cols))
		for i := range raw {
			dst[i] = &raw[i]
		}
		var n int64
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				return n, err
			}
			n++
		}
		return n, rows.Err()
	}
	sourcetest.Bench(b, open(b), execer(dsn), 100_000, ref)
}

func TestPermissionDenied(t *testing.T) {
	c, dsn := conn(t)
	exec := execer(dsn)
	exec(t, "CREATE USER IF NOT EXISTS 'srct_noaccess'@'%'")
	c.Username, c.Password = "srct_noaccess", ""
	d, err := mysql.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Test(context.Background()); !errs.Is(err, errs.Permission) {
		t.Errorf("Test without access to the database: %v, want permission", err)
	}
}

// TestMySQLTypes covers types only MySQL / MariaDB have.
func TestMySQLTypes(t *testing.T) {
	_, dsn := conn(t)
	exec := execer(dsn)
	table := "srct_mytypes_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	exec(t, "CREATE TABLE `"+table+"` (id int unsigned PRIMARY KEY, ub bigint unsigned, b1 bit(1), b8 bit(8), y year, "+
		"e enum('sad','happy'), s set('a','b','c'), ti tinyint(4), mt mediumtext, f float, ts timestamp NULL, neg time)")
	t.Cleanup(func() { exec(t, "DROP TABLE IF EXISTS `"+table+"`") })
	exec(t, "INSERT INTO `"+table+"` VALUES (4294967295, 18446744073709551615, b'1', b'10000001', 2024, 'happy', 'a,c', -5, 'long', 0.5, '2024-01-02 03:04:05', '-838:59:59')")
	d := open(t)
	defer d.Close()
	m, err := d.Describe(context.Background(), "", table, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]warehouse.Type{"id": warehouse.Int64, "ub": warehouse.Numeric, "b1": warehouse.Bool, "b8": warehouse.Int64,
		"y": warehouse.Int64, "e": warehouse.String, "s": warehouse.String, "ti": warehouse.Int64, "mt": warehouse.String,
		"f": warehouse.Float64, "ts": warehouse.Timestamp, "neg": warehouse.Time}
	for _, c := range m.Columns {
		if c.Type != wantTypes[c.OriginalName] {
			t.Errorf("column %s (%s): %s, want %s", c.OriginalName, c.SourceType, c.Type, wantTypes[c.OriginalName])
		}
	}
	if m.Columns[8].Warning != sourcedriver.LargeFieldWarning {
		t.Errorf("mediumtext warning %q", m.Columns[8].Warning)
	}
	it, err := d.Extract(context.Background(), sources.ExtractRequest{Table: table, TimestampColumn: "ts", Since: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Next() {
		t.Fatalf("no row: %v", it.Err())
	}
	want := []any{int64(4294967295), "18446744073709551615", true, int64(129), int64(2024), "happy", "a,c", int64(-5), "long", 0.5,
		time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "-838:59:59"}
	for i, v := range it.Values() {
		if !sourcetest.Same(v, want[i]) {
			t.Errorf("column %s: %#v, want %#v", it.Columns()[i].OriginalName, v, want[i])
		}
	}
	if !reflect.DeepEqual(it.BoundaryKeys(), []string{`"4294967295"`}) {
		t.Errorf("boundary %v", it.BoundaryKeys())
	}
}
