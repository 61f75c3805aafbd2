package mysql_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources/mysql"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// TestNoAmbientCredentials: a connection without a password sends none,
// whatever the server's environment holds (MYSQL_PWD, ~/.my.cnf, an option
// file named by MYSQL_HOME). Checked on the real MariaDB with a user that
// needs a password: if an ambient password were sent, the login would
// succeed.
func TestNoAmbientCredentials(t *testing.T) {
	const (
		user = "b2b_ambient"
		pw   = "Ambient-My-S3cret"
	)
	dsn := testenv.Require(t, testenv.MariaDB)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, _ := conn(t) // creates the test database
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS '" + user + "'@'%' IDENTIFIED BY '" + pw + "'",
		"ALTER USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'",
		"GRANT SELECT ON " + testDB + ".* TO '" + user + "'@'%'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c.Username, c.Password = user, ""
	c.ConnectTimeout = 5 * time.Second

	home := t.TempDir()
	opt := "[client]\nuser=" + user + "\npassword=" + pw + "\n"
	for _, p := range []string{filepath.Join(home, ".my.cnf"), filepath.Join(home, "my.cnf"), filepath.Join(home, ".mylogin.cnf")} {
		if err := os.WriteFile(p, []byte(opt), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("MYSQL_HOME", home)
	t.Setenv("MYSQL_PWD", pw)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d, err := mysql.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Test(ctx); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("Test without a password: %v, want unauthenticated (nothing ambient may be sent)", err)
	}
	// The same user with the password saved on the connection logs in.
	c.Password = pw
	d2, err := mysql.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := d2.Test(ctx); err != nil {
		t.Fatalf("Test with the saved password: %v", err)
	}
}
