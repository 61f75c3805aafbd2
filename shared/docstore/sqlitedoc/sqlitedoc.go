// Package sqlitedoc is the docstore driver for local mode: one SQLite file
// (pure Go, modernc.org/sqlite) holding every tenant's documents in one
// table keyed by (tenant, kind, id).
//
// URLs (scheme "sqlite"):
//
//	sqlite:///abs/path/config.db   absolute path
//	sqlite://./rel/config.db       path relative to the working directory
//	sqlite:rel/config.db           the same
//	sqlite::memory:                a private ephemeral database (tests)
//	sqlite://:memory:              the same
//
// Query parameter busy_timeout (milliseconds, default 10000) bounds how long
// a writer waits for the database lock. Databases use WAL mode, so readers
// never wait for a writer. A ":memory:" database is in fact a temporary file
// removed on Close, so that it behaves exactly like a file database (plain
// SQLite :memory: gives every pooled connection its own database).
//
// Transactions start with BEGIN IMMEDIATE, so read-modify-write cycles of
// concurrent RunTx calls (and processes) are serialised rather than failing.
//
// Filters compare top-level JSON fields with json_extract and a parameter,
// guarded by json_type so that, as in Firestore, a filter only matches values
// of its own type (numbers match numbers, integer or float; strings strings;
// bools bools) and never documents without the field. Ordering by a field
// skips documents without it and orders mixed types in Firestore's type
// order, then by id in the same direction.
package sqlitedoc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "sqlite"

func init() {
	docstore.Register(Scheme, func(ctx context.Context, u *url.URL) (docstore.Driver, error) {
		return OpenURL(ctx, u)
	})
}

const (
	defaultBusyTimeout = 10 * time.Second
	maxTxAttempts      = 10
)

// Driver is the SQLite docstore driver.
type Driver struct {
	db     *sql.DB
	tmpDir string // removed on Close (":memory:" databases)
	log    *slog.Logger
}

var _ docstore.Driver = (*Driver)(nil)

// OpenURL opens the database named by a sqlite:// URL (see the package doc).
func OpenURL(ctx context.Context, u *url.URL) (*Driver, error) {
	busy := defaultBusyTimeout
	if v := u.Query().Get("busy_timeout"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return nil, errs.E(errs.Invalid, "sqlitedoc: invalid busy_timeout %q", v)
		}
		busy = time.Duration(ms) * time.Millisecond
	}
	return Open(ctx, registry.LocalPath(u), busy)
}

// Open opens (creating it and its directory if needed) the database at path, or a private
// ephemeral database when path is ":memory:". busyTimeout bounds how long a
// writer waits for the lock.
func Open(ctx context.Context, path string, busyTimeout time.Duration) (*Driver, error) {
	if path == "" {
		return nil, errs.E(errs.Invalid, "sqlitedoc: empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, errs.E(errs.Invalid, "sqlitedoc: database path %q contains '?' or '#'", path)
	}
	syncMode := "NORMAL"
	var tmpDir string
	if path == ":memory:" {
		// A private temporary file rather than SQLite's :memory: (one
		// database per connection) or memdb (whose locks block readers
		// while a transaction is open): it behaves exactly like a file
		// database and is removed on Close.
		var err error
		if tmpDir, err = os.MkdirTemp("", "b2b-docstore-*"); err != nil {
			return nil, fmt.Errorf("sqlitedoc: temporary database: %w", err)
		}
		path, syncMode = filepath.Join(tmpDir, "docstore.db"), "OFF"
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "sqlitedoc: create the directory of %s", path)
	}
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_txlock=immediate&_journal_mode=WAL&_synchronous=%s", path, busyTimeout.Milliseconds(), syncMode)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		if tmpDir != "" {
			os.RemoveAll(tmpDir)
		}
		return nil, errs.Wrap(errs.Invalid, err, "sqlitedoc: open %s", path)
	}
	d := &Driver{db: db, tmpDir: tmpDir, log: slog.Default().With("component", "docstore", "driver", "sqlite")}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

const schema = `CREATE TABLE IF NOT EXISTS "docs" (
	"tenant"      TEXT NOT NULL,
	"kind"        TEXT NOT NULL,
	"id"          TEXT NOT NULL,
	"data"        TEXT NOT NULL,
	"version"     INTEGER NOT NULL,
	"update_time" INTEGER NOT NULL,
	PRIMARY KEY ("tenant", "kind", "id")
) WITHOUT ROWID`

func (d *Driver) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, schema); err != nil {
		return mapErr(err, "sqlitedoc: create table")
	}
	return nil
}

// Close closes the database; a ":memory:" database is discarded.
func (d *Driver) Close() error {
	err := d.db.Close()
	if d.tmpDir != "" {
		if rerr := os.RemoveAll(d.tmpDir); rerr != nil && err == nil {
			err = fmt.Errorf("sqlitedoc: remove temporary database: %w", rerr)
		}
	}
	return err
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Get implements docstore.Reader.
func (d *Driver) Get(ctx context.Context, key docstore.Key) (docstore.Doc, error) {
	return get(ctx, d.db, key)
}

func get(ctx context.Context, q querier, key docstore.Key) (docstore.Doc, error) {
	var (
		data    string
		version int64
		updated int64
	)
	err := q.QueryRowContext(ctx, `SELECT "data", "version", "update_time" FROM "docs" WHERE "tenant" = ? AND "kind" = ? AND "id" = ?`,
		key.Tenant, key.Kind, key.ID).Scan(&data, &version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return docstore.Doc{}, docstore.NotFound(key)
	}
	if err != nil {
		return docstore.Doc{}, mapErr(err, "sqlitedoc: get %s", key)
	}
	return docstore.Doc{Key: key, Data: json.RawMessage(data), Version: version, UpdateTime: time.Unix(0, updated).UTC()}, nil
}

// Put implements docstore.Writer.
func (d *Driver) Put(ctx context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	return docstore.PutInTx(ctx, d, key, data, pre)
}

// Delete implements docstore.Writer.
func (d *Driver) Delete(ctx context.Context, key docstore.Key, pre docstore.Precondition) error {
	return docstore.DeleteInTx(ctx, d, key, pre)
}

func put(ctx context.Context, q querier, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	cur, err := currentVersion(ctx, q, key)
	if err != nil {
		return 0, err
	}
	if err := docstore.CheckPrecondition(key, pre, cur != 0, cur); err != nil {
		return 0, err
	}
	now := time.Now().UnixNano()
	if cur == 0 {
		_, err = q.ExecContext(ctx, `INSERT INTO "docs" ("tenant", "kind", "id", "data", "version", "update_time") VALUES (?, ?, ?, ?, 1, ?)`,
			key.Tenant, key.Kind, key.ID, string(data), now)
	} else {
		_, err = q.ExecContext(ctx, `UPDATE "docs" SET "data" = ?, "version" = ?, "update_time" = ? WHERE "tenant" = ? AND "kind" = ? AND "id" = ?`,
			string(data), cur+1, now, key.Tenant, key.Kind, key.ID)
	}
	if err != nil {
		return 0, mapErr(err, "sqlitedoc: put %s", key)
	}
	return cur + 1, nil
}

func del(ctx context.Context, q querier, key docstore.Key, pre docstore.Precondition) error {
	if pre.IfVersion != 0 {
		cur, err := currentVersion(ctx, q, key)
		if err != nil {
			return err
		}
		if err := docstore.CheckPrecondition(key, pre, cur != 0, cur); err != nil {
			return err
		}
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM "docs" WHERE "tenant" = ? AND "kind" = ? AND "id" = ?`, key.Tenant, key.Kind, key.ID); err != nil {
		return mapErr(err, "sqlitedoc: delete %s", key)
	}
	return nil
}

// currentVersion returns the stored version, 0 when the document is missing.
func currentVersion(ctx context.Context, q querier, key docstore.Key) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT "version" FROM "docs" WHERE "tenant" = ? AND "kind" = ? AND "id" = ?`,
		key.Tenant, key.Kind, key.ID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err, "sqlitedoc: read version of %s", key)
	}
	return v, nil
}

// List implements docstore.Driver.
func (d *Driver) List(ctx context.Context, q docstore.Query) ([]docstore.Doc, error) {
	query, args, err := BuildQuery(q)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, "sqlitedoc: list %s/%s", q.Tenant, q.Kind)
	}
	defer rows.Close()
	var out []docstore.Doc
	for rows.Next() {
		var (
			doc     docstore.Doc
			data    string
			updated int64
		)
		if err := rows.Scan(&doc.ID, &data, &doc.Version, &updated); err != nil {
			return nil, mapErr(err, "sqlitedoc: list %s/%s", q.Tenant, q.Kind)
		}
		doc.Tenant, doc.Kind = q.Tenant, q.Kind
		doc.Data = json.RawMessage(data)
		doc.UpdateTime = time.Unix(0, updated).UTC()
		out = append(out, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "sqlitedoc: list %s/%s", q.Tenant, q.Kind)
	}
	return out, nil
}

// typeRank orders JSON types as Firestore orders value types: null, bool,
// number, string (times are strings here), then arrays and objects.
const typeRank = `CASE json_type("data", %[1]s) WHEN 'null' THEN 0 WHEN 'true' THEN 1 WHEN 'false' THEN 1 ` +
	`WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'array' THEN 4 ELSE 5 END`

// BuildQuery returns the SQL text and arguments for q. Field names are
// validated (docstore.ValidateField) and passed as JSON path parameters; no
// caller text is ever spliced into the SQL.
func BuildQuery(q docstore.Query) (string, []any, error) {
	if err := docstore.ValidateQuery(q); err != nil {
		return "", nil, err
	}
	var (
		sb   strings.Builder
		args = []any{q.Tenant, q.Kind}
	)
	sb.WriteString(`SELECT "id", "data", "version", "update_time" FROM "docs" WHERE "tenant" = ? AND "kind" = ?`)
	for _, f := range q.Filters {
		v, _ := docstore.FilterValue(f.Value) // validated above
		path := "$." + f.Field
		var guard string
		switch x := v.(type) {
		case string:
			guard = `= 'text'`
		case bool:
			guard = `IN ('true', 'false')`
			if x {
				v = int64(1)
			} else {
				v = int64(0)
			}
		case int64, float64:
			guard = `IN ('integer', 'real')`
		}
		fmt.Fprintf(&sb, ` AND json_type("data", ?) %s AND json_extract("data", ?) %s ?`, guard, f.Op)
		args = append(args, path, path, v)
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	if q.OrderBy != "" {
		path := "$." + q.OrderBy
		sb.WriteString(` AND json_type("data", ?) IS NOT NULL ORDER BY `)
		fmt.Fprintf(&sb, typeRank, "?")
		sb.WriteString(dir + `, json_extract("data", ?)` + dir + `, "id"` + dir)
		args = append(args, path, path, path)
	} else {
		sb.WriteString(` ORDER BY "id"` + dir)
	}
	if q.Limit > 0 {
		sb.WriteString(` LIMIT ?`)
		args = append(args, q.Limit)
	}
	return sb.String(), args, nil
}

// RunTx implements docstore.Driver. The transaction holds SQLite's write
// lock from its start (BEGIN IMMEDIATE); fn is retried when the database
// stays busy past the busy timeout. (The docstore.Store refuses writes
// through itself inside fn: BEGIN IMMEDIATE would wait for the lock this
// goroutine holds.)
func (d *Driver) RunTx(ctx context.Context, fn func(ctx context.Context, tx docstore.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = d.runTxOnce(ctx, fn)
		if err == nil || !isBusy(err) || attempt == maxTxAttempts {
			return err
		}
		d.log.DebugContext(ctx, "transaction busy, retrying", "attempt", attempt, "err", err)
		wait := time.Duration(attempt*10+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return errs.Wrap(errs.Transient, ctx.Err(), "sqlitedoc: transaction")
		case <-time.After(wait):
		}
	}
}

func (d *Driver) runTxOnce(ctx context.Context, fn func(ctx context.Context, tx docstore.Tx) error) (err error) {
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "sqlitedoc: begin transaction")
	}
	defer func() {
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err := fn(ctx, &tx{tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return mapErr(err, "sqlitedoc: commit")
	}
	return nil
}

// tx is a docstore.Tx over a SQLite transaction. Reads see the
// transaction's own earlier writes.
type tx struct{ tx *sql.Tx }

func (t *tx) Get(ctx context.Context, key docstore.Key) (docstore.Doc, error) {
	return get(ctx, t.tx, key)
}

func (t *tx) Put(ctx context.Context, key docstore.Key, data json.RawMessage, pre docstore.Precondition) (int64, error) {
	return put(ctx, t.tx, key, data, pre)
}

func (t *tx) Delete(ctx context.Context, key docstore.Key, pre docstore.Precondition) error {
	return del(ctx, t.tx, key, pre)
}

// SQLite primary result codes.
const (
	codeBusy   = 5
	codeLocked = 6
	codeFull   = 13
	codeIOErr  = 10
)

func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff, true
	}
	return 0, false
}

func isBusy(err error) bool {
	c, ok := sqliteCode(err)
	return ok && (c == codeBusy || c == codeLocked)
}

// mapErr adds the operation to a SQLite error; the docstore.Store gives it
// its kind (ErrorKind).
func mapErr(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ErrorKind implements docstore.Driver: busy, locked, full and I/O errors
// are transient, the rest internal.
func (d *Driver) ErrorKind(err error) errs.Kind {
	if c, ok := sqliteCode(err); ok {
		switch c {
		case codeBusy, codeLocked, codeIOErr, codeFull:
			return errs.Transient
		}
	}
	return errs.Unknown
}
