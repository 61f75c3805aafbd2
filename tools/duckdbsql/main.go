// Command duckdbsql runs a SQL script on a DuckDB database file, creating it
// when missing. It is the setup of browser tests whose warehouse tables are
// made by SQL before the platform opens the file (static/e2e/datasets.e2e.mjs
// splits the Online Retail sample into an invoice-lines and a products
// table); the platform's warehouse driver cannot be used for this, as it
// refuses to read host files.
//
//	go run ./tools/duckdbsql -db var/warehouse.duckdb -var file=/abs/data.csv.gz script.sql
//
// Each -var name=value replaces {{name}} in the script with value as a SQL
// string literal. Statements run in order, in one transaction.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	db := flag.String("db", "", "DuckDB database file (created when missing)")
	var vars varFlags
	flag.Var(&vars, "var", "name=value: {{name}} in the script becomes 'value' (repeatable)")
	flag.Parse()
	if *db == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: duckdbsql -db FILE [-var name=value]... SCRIPT.sql")
		os.Exit(2)
	}
	script, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		err = run(context.Background(), *db, expand(string(script), vars))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckdbsql:", err)
		os.Exit(1)
	}
}

// varFlags collects -var name=value flags.
type varFlags map[string]string

func (v *varFlags) String() string { return fmt.Sprint(map[string]string(*v)) }

func (v *varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return errors.New("want name=value")
	}
	if *v == nil {
		*v = map[string]string{}
	}
	(*v)[name] = value
	return nil
}

// expand replaces {{name}} with value quoted as a SQL string literal.
func expand(script string, vars map[string]string) string {
	for name, value := range vars {
		script = strings.ReplaceAll(script, "{{"+name+"}}", "'"+strings.ReplaceAll(value, "'", "''")+"'")
	}
	return script
}

// run executes script on the database at path in one transaction.
func run(ctx context.Context, path, script string) (err error) {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return errors.Join(fmt.Errorf("run the script: %w", err), tx.Rollback())
	}
	return tx.Commit()
}
