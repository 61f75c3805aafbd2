// Package duckdbwh is the DuckDB driver of the warehouse port, for local
// mode. It links DuckDB through cgo (github.com/duckdb/duckdb-go/v2), so only
// the local binary imports it; cloud function code never does.
//
// # URLs
//
// The scheme is "duckdb":
//
//	duckdb:///abs/path/wh.duckdb   a file, absolute path
//	duckdb://./rel/wh.duckdb       a file, relative to the working directory
//	duckdb://:memory:              a private in-memory database
//
// A query string is passed to DuckDB as its configuration, e.g.
// duckdb:///var/wh.duckdb?threads=2&memory_limit=2GB.
//
// A DuckDB file may be opened by one process at a time, and the driver keeps
// one *sql.DB (one DuckDB instance) per Open: callers open a file once per
// process and share the Driver (it is safe for concurrent use).
//
// # Model
//
// A dataset is a DuckDB schema (raw_data). Types map to the port's
// BigQuery-named types: STRING=VARCHAR, INT64=BIGINT, FLOAT64=DOUBLE,
// NUMERIC=DECIMAL(38,9), BOOL=BOOLEAN, DATE, TIMESTAMP=TIMESTAMPTZ,
// DATETIME=TIMESTAMP, TIME, JSON, BYTES=BLOB; when describing, all DuckDB
// integer types read as INT64, FLOAT/DOUBLE as FLOAT64, DECIMAL and HUGEINT as
// NUMERIC, and both TIMESTAMP and TIMESTAMPTZ as TIMESTAMP (so a DATETIME
// column describes as TIMESTAMP). Column.Nullable=false creates a NOT NULL
// column. Every session runs with TimeZone=UTC.
//
// Created and Modified are kept in a metadata table in the reserved schema
// "_b2brecs_meta", written by CreateTable and Load in the same transaction as
// the change; tables created by other means have zero times. NumBytes is a
// rough estimate of the uncompressed size (rows times a typical width per
// column type), not the file space used.
//
// # Queries
//
// Query takes DuckDB SQL with @name parameters; they are rewritten to
// DuckDB's $name outside literals, quoted identifiers and comments (see
// warehouse.RewriteParams). An array parameter binds as a LIST
// (VARCHAR[], BIGINT[], DOUBLE[], BOOLEAN[], TIMESTAMPTZ[]), used as
// x = ANY(@p) or x <> ALL(@p). Cells come back as the port's Result types:
// integers as int64, FLOAT/DOUBLE as float64, DECIMAL/HUGEINT/UBIGINT
// (column type NUMERIC) as exact decimal text (a string, see
// warehouse.Result), VARCHAR/UUID/ENUM as string, BOOLEAN as bool, DATE as
// time.Time at 00:00 UTC, TIMESTAMP and TIMESTAMPTZ as time.Time in UTC, TIME
// as a string "15:04:05.999999", BLOB as []byte, JSON and nested types (LIST,
// STRUCT, MAP) as their JSON text (column type JSON), INTERVAL as a string,
// NULL as nil.
//
// # External access
//
// The SQL a caller passes to Query cannot reach the host: reading or
// writing files (read_csv('/etc/passwd'), COPY ... TO, EXPORT DATABASE),
// ATTACH, INSTALL and LOAD are refused with errs.Permission, and SET with
// errs.Invalid, each with a message for the user. DuckDB has no
// per-connection switch for this: enable_external_access is a setting of
// the whole instance and, once off, cannot be turned on again. So every
// instance runs with it off from its start, before any caller's SQL, and
// with lock_configuration on, which freezes every setting (so a query
// cannot change the time zone of the connection the next query reuses).
//
// Load must still read the files it is given. The instance may read one
// directory, its load directory (allowed_directories, which is frozen too):
// <database file>.load, private to the process (0700) and emptied when the
// database is opened; a memory database gets a temporary directory that
// Close removes. Load copies its sources into a fresh subdirectory there,
// reads the copies and removes them, so a query can see nothing but the
// copies of loads in progress: the warehouse's own data on its way in.
// DuckDB's own files (the database, its write-ahead log, the spill
// directory) are not affected.
package duckdbwh

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "duckdb"

// MetaSchema is the reserved schema holding the driver's table metadata.
const MetaSchema = "_b2brecs_meta"

func init() {
	warehouse.Register(Scheme, func(ctx context.Context, u *url.URL) (warehouse.Driver, error) {
		return OpenURL(ctx, u)
	})
}

// Driver is a warehouse.Driver backed by one DuckDB database.
//
// A fatal DuckDB error (a checkpoint that could not be written, say)
// invalidates the database instance: every later statement fails with
// "database has been invalidated". The driver notices such an error, and
// the next call closes the broken instance and opens the file again
// (DuckDB replays its write-ahead log), so one full disk does not leave
// the warehouse unusable until the process restarts.
type Driver struct {
	path, config string
	// loadDir is the only directory the instance may read (see External
	// access); tempLoadDir: Close removes it (a memory database's).
	loadDir     string
	tempLoadDir bool
	log         *slog.Logger

	mu     sync.RWMutex
	db     *sql.DB
	broken bool // db was invalidated by a fatal error: reopen before use
}

var _ warehouse.Driver = (*Driver)(nil)

// OpenURL opens the database named by a duckdb:// URL (see the package doc).
func OpenURL(ctx context.Context, u *url.URL) (*Driver, error) {
	if u.Scheme != Scheme {
		return nil, errs.E(errs.Invalid, "duckdbwh: scheme %q is not %q", u.Scheme, Scheme)
	}
	path := registry.LocalPath(u)
	if path == "" {
		return nil, errs.E(errs.Invalid, "duckdbwh: url %q names no file (use duckdb://:memory: for memory)", u.Redacted())
	}
	return Open(ctx, path, u.RawQuery)
}

// Open opens the DuckDB file at path (":memory:" for an in-memory database)
// with an optional DuckDB configuration query string ("threads=2").
// The driver sets TimeZone, allowed_directories, enable_external_access and
// lock_configuration itself (see External access).
func Open(ctx context.Context, path, config string) (*Driver, error) {
	dir, temp, err := loadDirFor(path)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, path, config, dir)
	if err == nil && !temp {
		// The database's file lock is ours now: no other process is
		// loading, so what the directory holds was left by one that died.
		if err = emptyDir(dir); err != nil {
			db.Close()
			err = errs.Wrap(errorKind(err), err, "duckdbwh: empty the load directory %s", dir)
		}
	}
	if err != nil {
		if temp {
			_ = os.RemoveAll(dir)
		}
		return nil, err
	}
	return &Driver{db: db, path: path, config: config, loadDir: dir, tempLoadDir: temp, log: slog.Default().With("driver", "duckdb")}, nil
}

// openDB opens one DuckDB instance, locks it down (lockDown: no external
// access but to loadDir, configuration frozen) and makes sure the metadata
// table exists.
func openDB(ctx context.Context, path, config, loadDir string) (*sql.DB, error) {
	dsn := path
	if path == ":memory:" {
		dsn = ""
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, errs.Wrap(errs.Permission, err, "duckdbwh: create the folder of the database")
	}
	if config != "" {
		dsn += "?" + config
	}
	conn, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, openErr(err, "duckdbwh: open %s", path)
	}
	db := sql.OpenDB(conn)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openErr(err, "duckdbwh: open %s", path)
	}
	if err := lockDown(ctx, db, loadDir); err != nil {
		db.Close()
		return nil, openErr(err, "duckdbwh: open %s: settings", path)
	}
	// The metadata table is created once here, not in every write
	// transaction: concurrent CREATE ... IF NOT EXISTS conflict in DuckDB.
	for _, s := range []string{
		"CREATE SCHEMA IF NOT EXISTS " + qi(MetaSchema),
		"CREATE TABLE IF NOT EXISTS " + metaTable + " (dataset VARCHAR NOT NULL, name VARCHAR NOT NULL, created TIMESTAMPTZ, modified TIMESTAMPTZ)",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, openErr(err, "duckdbwh: open %s: metadata", path)
		}
	}
	return db, nil
}

// Dialect implements warehouse.Driver.
func (d *Driver) Dialect() warehouse.Dialect { return warehouse.DuckDB }

// Close implements warehouse.Driver.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.db.Close()
	if d.tempLoadDir {
		if rerr := os.RemoveAll(d.loadDir); rerr != nil {
			d.log.Warn("removing the load directory failed", "dir", d.loadDir, "err", rerr)
		}
	}
	return err
}

// use runs fn with the database instance, reopening it first if a fatal
// error broke it, and marks the instance broken when fn fails with a fatal
// error, so that the next call reopens it.
func (d *Driver) use(ctx context.Context, fn func(db *sql.DB) error) error {
	db, err := d.handle(ctx)
	if err != nil {
		return err
	}
	err = fn(db)
	if isFatal(err) {
		d.mu.Lock()
		if d.db == db && !d.broken {
			d.broken = true
			d.log.ErrorContext(ctx, "the database was invalidated by a fatal error; it is reopened on the next use", "path", d.path, "err", err)
		}
		d.mu.Unlock()
	}
	return err
}

// handle returns the database instance, reopening a broken one.
func (d *Driver) handle(ctx context.Context) (*sql.DB, error) {
	d.mu.RLock()
	db, broken := d.db, d.broken
	d.mu.RUnlock()
	if !broken {
		return db, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.broken { // reopened by another call meanwhile
		return d.db, nil
	}
	// The old instance must be closed before the file is opened again:
	// two instances of one file would overwrite each other's writes.
	if err := d.db.Close(); err != nil {
		d.log.WarnContext(ctx, "closing the invalidated database failed", "path", d.path, "err", err)
	}
	db, err := openDB(ctx, d.path, d.config, d.loadDir)
	if err != nil {
		// Still broken: the next call tries again. The old handle is
		// closed, so calls fail rather than reach the broken instance.
		return nil, errs.Wrap(errs.Transient, err, "duckdbwh: reopen %s after a fatal error", d.path)
	}
	d.db, d.broken = db, false
	d.log.InfoContext(ctx, "database reopened after a fatal error", "path", d.path)
	return db, nil
}

// isFatal reports whether err is a DuckDB error that invalidates the
// database instance.
func isFatal(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return false
	}
	return de.Type == duckdb.ErrorTypeFatal || strings.Contains(strings.ToLower(de.Msg), "database has been invalidated")
}

func qi(name string) string { return warehouse.QuoteIdentDuckDB(name) }

func qt(dataset, table string) string { return warehouse.QuoteTable(warehouse.DuckDB, dataset, table) }

// CreateDataset implements warehouse.Driver.
func (d *Driver) CreateDataset(ctx context.Context, dataset string) error {
	if dataset == MetaSchema {
		return errs.E(errs.Invalid, "duckdbwh: dataset name %q is reserved", dataset)
	}
	return d.use(ctx, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+qi(dataset))
		return mapErr(err, "duckdbwh: create dataset %q", dataset)
	})
}

func createTableSQL(dataset, table string, schema warehouse.Schema) (string, error) {
	if err := schema.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(qt(dataset, table))
	b.WriteString(" (")
	for i, c := range schema {
		if i > 0 {
			b.WriteString(", ")
		}
		typ, err := warehouse.ColumnType(warehouse.DuckDB, c.Type)
		if err != nil {
			return "", err
		}
		b.WriteString(qi(c.Name))
		b.WriteByte(' ')
		b.WriteString(typ)
		if !c.Nullable {
			b.WriteString(" NOT NULL")
		}
	}
	b.WriteString(")")
	return b.String(), nil
}

// execer is what *sql.DB, *sql.Conn and *sql.Tx share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaExists(ctx context.Context, q execer, dataset string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1 AND catalog_name = current_database()", dataset).Scan(&n)
	return n > 0, err
}

// createTable creates the table and records it in the metadata table, in tx.
func createTable(ctx context.Context, tx *sql.Tx, dataset, table string, schema warehouse.Schema, now time.Time) error {
	ok, err := schemaExists(ctx, tx, dataset)
	if err != nil {
		return mapErr(err, "duckdbwh: create table %q.%q", dataset, table)
	}
	if !ok {
		return warehouse.DatasetNotFound(dataset)
	}
	stmt, err := createTableSQL(dataset, table, schema)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return mapErr(err, "duckdbwh: create table %q.%q", dataset, table)
	}
	return touchMeta(ctx, tx, dataset, table, now, true)
}

const metaTable = `"` + MetaSchema + `"."tables"`

// touchMeta records a table's modification (and creation if created).
func touchMeta(ctx context.Context, tx *sql.Tx, dataset, table string, now time.Time, created bool) error {
	var err error
	if created {
		if _, err = tx.ExecContext(ctx, "DELETE FROM "+metaTable+" WHERE dataset = $1 AND name = $2", dataset, table); err == nil {
			_, err = tx.ExecContext(ctx, "INSERT INTO "+metaTable+" VALUES ($1, $2, $3, $3)", dataset, table, now)
		}
	} else {
		var res sql.Result
		res, err = tx.ExecContext(ctx, "UPDATE "+metaTable+" SET modified = $3 WHERE dataset = $1 AND name = $2", dataset, table, now)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				_, err = tx.ExecContext(ctx, "INSERT INTO "+metaTable+" VALUES ($1, $2, NULL, $3)", dataset, table, now)
			}
		}
	}
	return mapErr(err, "duckdbwh: metadata")
}

// CreateTable implements warehouse.Driver.
func (d *Driver) CreateTable(ctx context.Context, dataset, table string, schema warehouse.Schema) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		cols, err := tableColumns(ctx, tx, dataset, table)
		if err != nil {
			return err
		}
		if cols != nil {
			return warehouse.TableExists(dataset, table)
		}
		return createTable(ctx, tx, dataset, table, schema, time.Now().UTC())
	})
}

// inTx runs fn in a transaction, committing if it returns nil.
//
// DuckDB's concurrency control is optimistic: two transactions that write
// the same catalog entry or row fail at the second writer with a
// "write-write conflict". Such a transaction is rolled back and run again
// (fn must be safe to repeat: everything it does is in tx), up to
// maxTxAttempts times with a short jittered backoff; only then the conflict
// is returned (errs.Transient).
func (d *Driver) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.use(ctx, func(db *sql.DB) error {
		for attempt := 1; ; attempt++ {
			err := d.tryTx(ctx, db, fn)
			if err == nil || !isTxConflict(err) || attempt == maxTxAttempts {
				return err
			}
			d.log.DebugContext(ctx, "transaction conflict, retrying", "attempt", attempt, "err", err)
			wait := time.Duration(attempt*attempt)*5*time.Millisecond + time.Duration(mrand.Int64N(int64(5*time.Millisecond)))
			select {
			case <-ctx.Done():
				return mapErr(ctx.Err(), "duckdbwh: transaction")
			case <-time.After(wait):
			}
		}
	})
}

// maxTxAttempts bounds the retries of a conflicting write transaction.
const maxTxAttempts = 8

func (d *Driver) tryTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "duckdbwh: begin")
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			d.log.WarnContext(ctx, "rollback failed", "err", rerr)
		}
		return err
	}
	return mapErr(tx.Commit(), "duckdbwh: commit")
}

// isTxConflict reports whether err is DuckDB's optimistic concurrency
// failure, which a fresh transaction may not meet again.
func isTxConflict(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) || de.Type != duckdb.ErrorTypeTransaction {
		return false
	}
	return strings.Contains(strings.ToLower(de.Msg), "conflict")
}

// tableColumns returns the table's columns, or nil if it does not exist.
// Columns whose DuckDB type the port does not model are reported as JSON.
func tableColumns(ctx context.Context, q execer, dataset, table string) (warehouse.Schema, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2 AND table_catalog = current_database() ORDER BY ordinal_position`, dataset, table)
	if err != nil {
		return nil, mapErr(err, "duckdbwh: describe %q.%q", dataset, table)
	}
	defer rows.Close()
	var s warehouse.Schema
	for rows.Next() {
		var name, typ, nullable string
		if err := rows.Scan(&name, &typ, &nullable); err != nil {
			return nil, mapErr(err, "duckdbwh: describe %q.%q", dataset, table)
		}
		t, ok := warehouse.NormalizeType(typ)
		if !ok {
			t = warehouse.JSON
		}
		s = append(s, warehouse.Column{Name: name, Type: t, Nullable: nullable == "YES"})
	}
	return s, mapErr(rows.Err(), "duckdbwh: describe %q.%q", dataset, table)
}

// typicalWidth is the rough per-value size used for NumBytes.
func typicalWidth(t warehouse.Type) int64 {
	switch t {
	case warehouse.Bool:
		return 1
	case warehouse.Date:
		return 4
	case warehouse.Numeric:
		return 16
	case warehouse.String, warehouse.Bytes:
		return 16
	case warehouse.JSON:
		return 32
	default:
		return 8
	}
}

func describe(ctx context.Context, q execer, dataset, table string) (warehouse.Table, error) {
	cols, err := tableColumns(ctx, q, dataset, table)
	if err != nil {
		return warehouse.Table{}, err
	}
	if cols == nil {
		return warehouse.Table{}, warehouse.TableNotFound(dataset, table)
	}
	t := warehouse.Table{Dataset: dataset, Name: table, Schema: cols}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+qt(dataset, table)).Scan(&t.NumRows); err != nil {
		return warehouse.Table{}, mapErr(err, "duckdbwh: count %q.%q", dataset, table)
	}
	var width int64
	for _, c := range cols {
		width += typicalWidth(c.Type)
	}
	t.NumBytes = t.NumRows * width
	var created, modified sql.NullTime
	err = q.QueryRowContext(ctx, "SELECT created, modified FROM "+metaTable+" WHERE dataset = $1 AND name = $2", dataset, table).Scan(&created, &modified)
	switch {
	case err == nil:
		t.Created, t.Modified = created.Time.UTC(), modified.Time.UTC()
	case errors.Is(err, sql.ErrNoRows), errorKind(err) == errs.NotFound:
		// no metadata (table made by other means, or no metadata table yet)
	default:
		return warehouse.Table{}, mapErr(err, "duckdbwh: metadata of %q.%q", dataset, table)
	}
	return t, nil
}

// DescribeTable implements warehouse.Driver.
func (d *Driver) DescribeTable(ctx context.Context, dataset, table string) (t warehouse.Table, err error) {
	err = d.use(ctx, func(db *sql.DB) (err error) {
		t, err = describe(ctx, db, dataset, table)
		return err
	})
	return t, err
}

// ListTables implements warehouse.Driver: the tables (not views) of the
// dataset, sorted by name, described as DescribeTable does. A missing dataset
// is errs.NotFound.
func (d *Driver) ListTables(ctx context.Context, dataset string) (out []warehouse.Table, err error) {
	err = d.use(ctx, func(db *sql.DB) (err error) {
		out, err = listTables(ctx, db, dataset)
		return err
	})
	return out, err
}

func listTables(ctx context.Context, db *sql.DB, dataset string) ([]warehouse.Table, error) {
	ok, err := schemaExists(ctx, db, dataset)
	if err != nil {
		return nil, mapErr(err, "duckdbwh: list tables")
	}
	if !ok {
		return nil, errs.E(errs.NotFound, "duckdbwh: dataset %q not found", dataset)
	}
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY table_name`, dataset)
	if err != nil {
		return nil, mapErr(err, "duckdbwh: list tables")
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, mapErr(err, "duckdbwh: list tables")
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "duckdbwh: list tables")
	}
	out := make([]warehouse.Table, 0, len(names))
	for _, n := range names {
		t, err := describe(ctx, db, dataset, n)
		if kind(err) == errs.NotFound {
			continue // dropped meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// DropTable implements warehouse.Driver; a missing table is errs.NotFound.
func (d *Driver) DropTable(ctx context.Context, dataset, table string) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		cols, err := tableColumns(ctx, tx, dataset, table)
		if err != nil {
			return err
		}
		if cols == nil {
			return warehouse.TableNotFound(dataset, table)
		}
		if _, err := tx.ExecContext(ctx, "DROP TABLE "+qt(dataset, table)); err != nil {
			return mapErr(err, "duckdbwh: drop %q.%q", dataset, table)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM "+metaTable+" WHERE dataset = $1 AND name = $2", dataset, table)
		if err != nil && errorKind(err) != errs.NotFound {
			return mapErr(err, "duckdbwh: metadata")
		}
		return nil
	})
}

// mapErr adds the operation to a DuckDB error (warehouse.WithOp).
func mapErr(err error, format string, args ...any) error {
	return warehouse.WithOp(err, format, args...)
}

// openErr gives an error of opening the database its kind (errorKind):
// opening happens before there is a warehouse.Warehouse to classify it.
func openErr(err error, format string, args ...any) error {
	return errs.Wrap(errorKind(err), err, format, args...)
}

// kind is err's kind for the driver's own decisions.
func kind(err error) errs.Kind { return warehouse.KindWith(err, errorKind) }

// ErrorKind implements warehouse.Driver.
func (d *Driver) ErrorKind(err error) errs.Kind { return errorKind(err) }

// errorKind classifies a DuckDB or file system error: the one place that
// knows what DuckDB's error types mean.
func errorKind(err error) errs.Kind {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return errs.NotFound
		case errors.Is(err, fs.ErrPermission):
			return errs.Permission
		}
		return errs.Unknown
	}
	text := strings.ToLower(de.Msg)
	switch de.Type {
	case duckdb.ErrorTypeCatalog:
		if strings.Contains(text, "already exists") {
			return errs.Conflict
		}
		return errs.NotFound
	case duckdb.ErrorTypeIO:
		// Bad input is not an I/O error in DuckDB (a damaged Parquet file
		// is "Invalid Input"): what is left here is the file system,
		// and its failures pass (a lock another process holds on the
		// database file, a full disk, a failing device), except a file
		// that is not there or may not be read.
		switch {
		case strings.Contains(text, "no files found") || strings.Contains(text, "no such file") || strings.Contains(text, "does not exist"):
			return errs.NotFound
		case strings.Contains(text, "permission denied"):
			return errs.Permission
		}
		return errs.Transient
	case duckdb.ErrorTypeTransaction, duckdb.ErrorTypeInterrupt, duckdb.ErrorTypeOutOfMemory, duckdb.ErrorTypeConnection, duckdb.ErrorTypeNetwork, duckdb.ErrorTypeHTTP:
		return errs.Transient
	case duckdb.ErrorTypePermission:
		return errs.Permission
	case duckdb.ErrorTypeNotImplemented, duckdb.ErrorTypeMissingExtension, duckdb.ErrorTypeAutoLoad:
		return errs.Unsupported
	case duckdb.ErrorTypeFatal:
		// The instance is invalidated; the driver reopens it on the next
		// use (see Driver), so trying again is what to do.
		return errs.Transient
	case duckdb.ErrorTypeInternal:
		return errs.Unknown
	}
	if strings.Contains(text, "interrupted") {
		return errs.Transient
	}
	return errs.Invalid
}
