package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

func TestRunCreatesTablesFromAFile(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "it's.csv")
	if err := os.WriteFile(csv, []byte("code,qty\nA,2\nB,3\nA,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "w.duckdb")
	script := expand(`CREATE SCHEMA raw;
CREATE TABLE raw.t AS SELECT code, SUM(qty) AS qty FROM read_csv({{file}}) GROUP BY code;`, map[string]string{"file": csv})
	if err := run(context.Background(), db, script); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("duckdb", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n, total int
	if err := conn.QueryRow(`SELECT COUNT(*), SUM(qty) FROM raw.t`).Scan(&n, &total); err != nil {
		t.Fatal(err)
	}
	if n != 2 || total != 10 {
		t.Errorf("rows %d, total %d; want 2, 10", n, total)
	}
}

func TestRunIsOneTransaction(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.duckdb")
	if err := run(context.Background(), db, "CREATE TABLE a (x INT); SELECT * FROM missing;"); err == nil {
		t.Fatal("a failing script succeeded")
	}
	conn, err := sql.Open("duckdb", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'a'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table a after a failed script: %d, %v", n, err)
	}
}

func TestExpandQuotes(t *testing.T) {
	got := expand("SELECT {{v}}, {{v}}, {{w}}", map[string]string{"v": "it's", "w": "x"})
	if want := "SELECT 'it''s', 'it''s', 'x'"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
