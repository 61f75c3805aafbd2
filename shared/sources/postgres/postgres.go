// Package postgres is the PostgreSQL driver of the sources port (pgx v5).
// Importing it registers the URL schemes postgres:// and postgresql://
// (see package sources).
//
// Each operation opens its own connection (10 s connect timeout) and closes
// it when done; Extract keeps its connection until the iterator is closed and
// streams the rows off the wire as they are consumed.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
)

func init() {
	open := func(_ context.Context, c sources.Connection) (sources.Driver, error) { return New(c) }
	sources.Register("postgres", open)
	sources.Register("postgresql", open)
}

// Driver reads a PostgreSQL database.
type Driver struct {
	c   sources.Connection
	cfg *pgx.ConnConfig
}

var _ sources.Driver = (*Driver)(nil)

// exactBelow is the estimated size under which tables are counted exactly.
const exactBelow = 100_000

// New returns a driver for c. It does not connect.
//
// The configuration is made from c alone: pgx reads PG* environment
// variables, ~/.pgpass (or PGPASSFILE), the service file and the client
// certificate under ~/.postgresql by default, and a tenant's connection
// must never send the server's credentials. Every such setting is given
// explicitly (empty) to the parser and cleared again after it.
func New(c sources.Connection) (*Driver, error) {
	if c.Host == "" {
		c.Host = "localhost"
	}
	if c.Port == 0 {
		c.Port = 5432
	}
	if c.Schema == "" {
		c.Schema = "public"
	}
	if c.Database == "" {
		return nil, errs.Userf(errs.Invalid, "no database given")
	}
	if c.Port < 1 || c.Port > 65535 {
		return nil, errs.E(errs.Invalid, "postgres: port %d is not 1-65535", c.Port)
	}
	sslmode := c.SSLMode
	if sslmode == "" {
		sslmode = "prefer"
	}
	settings := [][2]string{
		{"host", c.Host}, {"port", strconv.Itoa(c.Port)}, {"dbname", c.Database}, {"user", c.Username},
		{"password", c.Password}, {"sslmode", sslmode},
		// Ambient credentials and settings, overridden.
		{"passfile", ""}, {"sslcert", ""}, {"sslkey", ""}, {"sslrootcert", ""}, {"sslpassword", ""},
		{"sslcertmode", "disable"}, {"sslsni", "1"}, {"sslnegotiation", "postgres"}, {"target_session_attrs", "any"},
		{"require_auth", ""}, {"channel_binding", "prefer"}, {"min_protocol_version", "3.0"}, {"max_protocol_version", "3.0"},
	}
	var dsn strings.Builder
	for _, kv := range settings {
		fmt.Fprintf(&dsn, "%s='%s' ", kv[0], strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kv[1]))
	}
	cfg, err := pgx.ParseConfig(dsn.String())
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, sourcedriver.Redact(err, c.Password), "postgres: invalid connection settings")
	}
	pc := &cfg.Config
	pc.Host, pc.Port, pc.Database, pc.User, pc.Password = c.Host, uint16(c.Port), c.Database, c.Username, c.Password
	pc.RuntimeParams = map[string]string{}
	for k, v := range c.Params {
		pc.RuntimeParams[k] = v
	}
	pc.KerberosSrvName, pc.KerberosSpn = "", ""
	pc.ValidateConnect, pc.AfterConnect, pc.OAuthTokenProvider = nil, nil, nil
	pc.SSLCertMode = "disable"
	var fallbacks []*pgconn.FallbackConfig
	for _, fb := range pc.Fallbacks { // sslmode allow/prefer: the other TLS choice
		if fb.Host == c.Host && fb.Port == pc.Port {
			fallbacks = append(fallbacks, fb)
		}
	}
	pc.Fallbacks = fallbacks
	for _, t := range append([]*pgconn.FallbackConfig{{TLSConfig: pc.TLSConfig}}, pc.Fallbacks...) {
		if t.TLSConfig != nil {
			t.TLSConfig.Certificates, t.TLSConfig.GetClientCertificate = nil, nil
		}
	}
	// Dial through the outbound policy; the dialer resolves the host itself
	// so that the address checked is the address connected to.
	cfg.ConnectTimeout = c.Timeout()
	pc.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	dialer := c.Egress.Dialer(c.Host)
	dialer.KeepAlive = 5 * time.Minute
	pc.DialFunc = dialer.DialContext
	return &Driver{c: c, cfg: cfg}, nil
}

// Dialect is sources.Postgres.
func (d *Driver) Dialect() sources.Dialect { return sources.Postgres }

// Close releases nothing: connections are per operation.
func (d *Driver) Close() error { return nil }

func (d *Driver) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, d.cfg)
	if err != nil {
		return nil, d.mapErr(err, "connect to "+d.c.String())
	}
	return conn, nil
}

func (d *Driver) schema(s string) string {
	if s == "" {
		return d.c.Schema
	}
	return s
}

// Test connects, reads the server version and lists the tables of the
// connection's schema.
func (d *Driver) Test(ctx context.Context) (sources.TestResult, error) {
	conn, err := d.connect(ctx)
	if err != nil {
		return sources.TestResult{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return sources.TestResult{}, d.mapErr(err, "read the server version")
	}
	tables, err := d.tables(ctx, conn, d.c.Schema)
	if err != nil {
		return sources.TestResult{}, err
	}
	return sources.TestResult{
		Message:       fmt.Sprintf("connected to PostgreSQL %s; %d tables in schema %s", version, len(tables), d.c.Schema),
		ServerVersion: version, Schema: d.c.Schema, Tables: tables,
	}, nil
}

// Schemas lists the schemas without the system ones.
func (d *Driver) Schemas(ctx context.Context) ([]string, error) {
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema')
		  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
		ORDER BY nspname`)
	if err != nil {
		return nil, d.mapErr(err, "list schemas")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.mapErr(err, "list schemas")
	}
	return out, nil
}

// Tables lists the base (and partitioned) tables of a schema.
func (d *Driver) Tables(ctx context.Context, schema string) ([]sources.TableInfo, error) {
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return d.tables(ctx, conn, d.schema(schema))
}

func (d *Driver) tables(ctx context.Context, conn *pgx.Conn, schema string) ([]sources.TableInfo, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return nil, d.mapErr(err, "look up schema")
	}
	if !exists {
		return nil, errs.Userf(errs.NotFound, "schema %q does not exist", schema)
	}
	rows, err := conn.Query(ctx, `SELECT c.relname, c.reltuples::bigint FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`, schema)
	if err != nil {
		return nil, d.mapErr(err, "list tables")
	}
	var out []sources.TableInfo
	for rows.Next() {
		var t sources.TableInfo
		if err := rows.Scan(&t.Name, &t.Rows); err != nil {
			rows.Close()
			return nil, d.mapErr(err, "list tables")
		}
		if t.Rows < 0 {
			t.Rows = -1
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, d.mapErr(err, "list tables")
	}
	for i := range out {
		if out[i].Rows < exactBelow {
			if n, ok := d.count(ctx, conn, schema, out[i].Name); ok {
				out[i].Rows, out[i].RowsExact = n, true
			}
		}
	}
	return out, nil
}

// count counts a table's rows exactly, giving up after 5 s.
func (d *Driver) count(ctx context.Context, conn *pgx.Conn, schema, table string) (int64, bool) {
	qt, err := sourcedriver.QuoteTable(sources.Postgres, schema, table)
	if err != nil {
		return 0, false
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, false
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '5s'"); err != nil {
		return 0, false
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+qt).Scan(&n); err != nil {
		return 0, false
	}
	return n, true
}

type column struct {
	meta sources.ColumnMeta
	base string // base type name (pg_type.typname, domains resolved)
	kind kind
}

// columnMeta is a column's meta, for the driver kit.
func columnMeta(c *column) *sources.ColumnMeta { return &c.meta }

func (d *Driver) columns(ctx context.Context, conn *pgx.Conn, schema, table string) ([]column, []string, error) {
	rows, err := conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod),
			COALESCE(bt.typname, t.typname), COALESCE(bt.typtype, t.typtype), COALESCE(bt.typcategory, t.typcategory),
			NOT a.attnotnull
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, schema, table)
	if err != nil {
		return nil, nil, d.mapErr(err, "describe table")
	}
	var cols []column
	for rows.Next() {
		var c column
		var typtype, category string
		if err := rows.Scan(&c.meta.OriginalName, &c.meta.SourceType, &c.base, &typtype, &category, &c.meta.Nullable); err != nil {
			rows.Close()
			return nil, nil, d.mapErr(err, "describe table")
		}
		switch {
		case category == "A":
			c.meta.Type, c.meta.Confidence, c.meta.Warning = sourcedriver.MapPostgres(c.meta.SourceType)
			c.base = "_array"
		case typtype == "e":
			c.meta.Type, c.meta.Confidence = "STRING", sources.High
		default:
			c.meta.Type, c.meta.Confidence, c.meta.Warning = sourcedriver.MapPostgres(c.base)
		}
		c.kind = kindOf(c.base, category)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, d.mapErr(err, "describe table")
	}
	if len(cols) == 0 {
		return nil, nil, errs.Userf(errs.NotFound, "table %s.%s does not exist", schema, table)
	}
	pkRows, err := conn.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, schema, table)
	if err != nil {
		return nil, nil, d.mapErr(err, "read primary key")
	}
	pk, err := pgx.CollectRows(pkRows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, d.mapErr(err, "read primary key")
	}
	sourcedriver.DescribeColumns(schema, table, cols, columnMeta, pk)
	return cols, pk, nil
}

// Describe returns the table's columns, mapping, samples and row count.
func (d *Driver) Describe(ctx context.Context, schema, table string, samples int) (sources.TableMeta, error) {
	schema = d.schema(schema)
	conn, err := d.connect(ctx)
	if err != nil {
		return sources.TableMeta{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cols, pk, err := d.columns(ctx, conn, schema, table)
	if err != nil {
		return sources.TableMeta{}, err
	}
	metas := make([]sources.ColumnMeta, len(cols))
	for i := range cols {
		metas[i] = cols[i].meta
	}
	meta := sourcedriver.Describe(schema, table, metas, pk)
	if samples > 0 {
		it, err := d.extract(ctx, conn, cols, pk, sources.ExtractRequest{Schema: schema, Table: table, Limit: int64(samples)})
		if err != nil {
			return sources.TableMeta{}, err
		}
		if err := sourcedriver.CollectSamples(&meta, it); err != nil {
			return sources.TableMeta{}, err
		}
	}
	var est int64
	err = conn.QueryRow(ctx, `SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2`, schema, table).Scan(&est)
	if err != nil {
		return sources.TableMeta{}, d.mapErr(err, "estimate rows")
	}
	meta.TotalRows = max(est, -1)
	if est < exactBelow {
		if n, ok := d.count(ctx, conn, schema, table); ok {
			meta.TotalRows, meta.RowsExact = n, true
		}
	}
	return meta, nil
}

// Extract streams rows (see sources.ExtractRequest).
func (d *Driver) Extract(ctx context.Context, req sources.ExtractRequest) (sources.RowIterator, error) {
	req.Schema = d.schema(req.Schema)
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	cols, pk, err := d.columns(ctx, conn, req.Schema, req.Table)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	it, err := d.extract(ctx, conn, cols, pk, req)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	it.conn = conn // closed with the iterator
	return it, nil
}

// extract runs the query on conn. The iterator closes conn only if its conn
// field is set.
func (d *Driver) extract(ctx context.Context, conn *pgx.Conn, all []column, pk []string, req sources.ExtractRequest) (*ownedIter, error) {
	read, plan, err := sourcedriver.PlanRead("postgres", all, columnMeta, pk, req)
	if err != nil {
		return nil, err
	}

	selects := make([]string, len(read))
	for i, c := range read {
		q, _ := sourcedriver.QuoteIdent(sources.Postgres, c.meta.OriginalName)
		selects[i] = selectExpr(q, c)
	}
	query, args, err := sourcedriver.SelectQuery(sources.Postgres, "postgres", req, selects, "$1")
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return nil, d.mapErr(err, "read "+req.Schema+"."+req.Table)
	}
	// pgx reports server errors (no such column, permission denied) with
	// the first row: read it now so that Extract fails, not the first Next.
	has := rows.Next()
	if !has {
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, d.mapErr(err, "read "+req.Schema+"."+req.Table)
		}
	}
	raw := &rawRows{rows: rows, cols: read, peeked: true, has: has}
	raw.targets = make([]any, len(read))
	raw.holders = make([]holder, len(read))
	for i := range read {
		raw.targets[i] = raw.holders[i].target(read[i].kind)
	}
	it := sourcedriver.NewIterator(ctx, plan, len(read), raw, func(err error) error {
		return d.mapErr(err, "read "+req.Schema+"."+req.Table)
	})
	return &ownedIter{RowIterator: it, raw: raw}, nil
}

// ownedIter closes the connection an Extract opened with the iterator.
type ownedIter struct {
	sources.RowIterator
	raw  *rawRows
	conn *pgx.Conn
}

func (o *ownedIter) Close() error {
	err := o.RowIterator.Close()
	if o.conn != nil {
		cerr := o.conn.Close(context.Background())
		o.conn = nil
		if err == nil && cerr != nil {
			err = errs.Wrap(errs.Transient, cerr, "postgres: close connection")
		}
	}
	return err
}

// ErrorKind implements sources.Driver: the kind mapErr gives err.
func (d *Driver) ErrorKind(err error) errs.Kind { return errs.KindOf(d.mapErr(err, "")) }

// mapErr gives err a kind and a friendly message, without the password.
func (d *Driver) mapErr(err error, op string) error {
	if err == nil {
		return nil
	}
	red := sourcedriver.Redact(err, d.c.Password)
	if denied, ok := egress.AsDenied(err); ok {
		// The policy's message is written for users: the address refused
		// and the setting that allows it.
		return errs.Explain(errs.WrapField(errs.Permission, red, "", "%s: refused by the outbound policy", op), "%s", denied.Error())
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "28P01" || pg.Code == "28000":
			return errs.WrapField(errs.Unauthenticated, red, "", "%s: authentication failed for user %q (check the user name and password)", op, d.c.Username)
		case pg.Code == "42501":
			return errs.WrapField(errs.Permission, red, "", "%s: permission denied for user %q", op, d.c.Username)
		case pg.Code == "3D000":
			return errs.WrapField(errs.NotFound, red, "", "%s: database %q does not exist", op, d.c.Database)
		case pg.Code == "42P01" || pg.Code == "3F000":
			return errs.WrapField(errs.NotFound, red, "", "%s: no such table or schema", op)
		case pg.Code == "42703" || pg.Code == "42804" || strings.HasPrefix(pg.Code, "22"):
			return errs.WrapField(errs.Invalid, red, "", "%s", op)
		case pg.Code == "57014" || strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "53") ||
			strings.HasPrefix(pg.Code, "40") || pg.Code == "57P01" || pg.Code == "57P03":
			return errs.WrapField(errs.Transient, red, "", "%s: the server is unavailable or busy; try again", op)
		}
		return errs.WrapField(errs.Unknown, red, "", "%s", op)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return errs.WrapField(errs.Transient, red, "", "%s: timed out or cancelled", op)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errs.WrapField(errs.Transient, red, "", "%s: connection refused: is the server running on %s:%d?", op, d.c.Host, d.c.Port)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return errs.WrapField(errs.NotFound, red, "", "%s: unknown host %q", op, d.c.Host)
		}
		return errs.WrapField(errs.Transient, red, "", "%s: cannot resolve host %q", op, d.c.Host)
	}
	var netErr net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &ce) {
		return errs.WrapField(errs.Transient, red, "", "%s: cannot reach the server", op)
	}
	return errs.WrapField(errs.Unknown, red, "", "%s", op)
}

type kind int

const (
	kText kind = iota
	kInt
	kFloat
	kBool
	kDate
	kTimestamp
	kTimestamptz
	kBytes
)

func kindOf(base string, category string) kind {
	if category == "A" {
		return kText
	}
	switch base {
	case "int2", "int4", "int8":
		return kInt
	case "float4", "float8":
		return kFloat
	case "bool":
		return kBool
	case "date":
		return kDate
	case "timestamp":
		return kTimestamp
	case "timestamptz":
		return kTimestamptz
	case "bytea":
		return kBytes
	}
	return kText
}

// selectExpr is the expression that reads column q in a form the scanner
// decodes: canonical binary types, text for the rest.
func selectExpr(q string, c column) string {
	switch c.kind {
	case kInt:
		return q + "::int8"
	case kFloat:
		return q + "::float8"
	case kBool:
		return q + "::bool"
	case kDate:
		return q + "::date"
	case kTimestamp:
		return q + "::timestamp"
	case kTimestamptz:
		return q + "::timestamptz"
	case kBytes:
		return q + "::bytea"
	}
	switch c.base {
	case "money":
		return q + "::numeric::text"
	case "timetz":
		return "(" + q + " AT TIME ZONE 'UTC')::time::text"
	case "inet":
		return "abbrev(" + q + ")" // the output form: no /32 on hosts
	case "_array":
		return "to_json(" + q + ")::text"
	}
	return q + "::text"
}

type holder struct {
	kind  kind
	i     pgtype.Int8
	f     pgtype.Float8
	b     pgtype.Bool
	d     pgtype.Date
	ts    pgtype.Timestamp
	tstz  pgtype.Timestamptz
	bytes []byte
	text  pgtype.Text
}

func (h *holder) target(k kind) any {
	h.kind = k
	switch k {
	case kInt:
		return &h.i
	case kFloat:
		return &h.f
	case kBool:
		return &h.b
	case kDate:
		return &h.d
	case kTimestamp:
		return &h.ts
	case kTimestamptz:
		return &h.tstz
	case kBytes:
		return &h.bytes
	}
	return &h.text
}

func (h *holder) value() any {
	switch h.kind {
	case kInt:
		if h.i.Valid {
			return h.i.Int64
		}
	case kFloat:
		if h.f.Valid {
			return h.f.Float64
		}
	case kBool:
		if h.b.Valid {
			return h.b.Bool
		}
	case kDate:
		if h.d.Valid && h.d.InfinityModifier == pgtype.Finite {
			t := h.d.Time
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	case kTimestamp:
		if h.ts.Valid && h.ts.InfinityModifier == pgtype.Finite {
			t := h.ts.Time
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		}
	case kTimestamptz:
		if h.tstz.Valid && h.tstz.InfinityModifier == pgtype.Finite {
			return h.tstz.Time.UTC()
		}
	case kBytes:
		if h.bytes != nil {
			b := h.bytes
			h.bytes = nil
			return b
		}
	default:
		if h.text.Valid {
			return h.text.String
		}
	}
	return nil
}

type rawRows struct {
	rows    pgx.Rows
	cols    []column
	targets []any
	holders []holder
	// peeked: the first row was read by extract; has is its Next result.
	peeked, has bool
}

func (r *rawRows) Next() bool {
	if r.peeked {
		r.peeked = false
		return r.has
	}
	return r.rows.Next()
}
func (r *rawRows) Err() error { return r.rows.Err() }
func (r *rawRows) Close() error {
	r.rows.Close()
	return nil
}

func (r *rawRows) Scan(dst []any) error {
	if err := r.rows.Scan(r.targets...); err != nil {
		return err
	}
	for i := range r.holders {
		dst[i] = r.holders[i].value()
	}
	return nil
}
