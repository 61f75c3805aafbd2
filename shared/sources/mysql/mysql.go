// Package mysql is the MySQL and MariaDB driver of the sources port
// (go-sql-driver/mysql). Importing it registers the URL scheme mysql://
// (see package sources).
//
// Sessions run with time_zone '+00:00' and utf8mb4, so TIMESTAMP values are
// read and compared in UTC. Rows are read with the unbuffered text protocol:
// the driver reads each row off the wire when the iterator asks for it.
// Connection.Params are session system variables (SET on each connection).
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func init() {
	sources.Register("mysql", func(_ context.Context, c sources.Connection) (sources.Driver, error) { return New(c) })
}

// exactBelow is the estimated size under which tables are counted exactly.
const exactBelow = 100_000

// Driver reads a MySQL or MariaDB server.
type Driver struct {
	c  sources.Connection
	db *sql.DB
}

var _ sources.Driver = (*Driver)(nil)

// New returns a driver for c. It does not connect.
//
// Nothing comes from the server's environment: go-sql-driver reads no
// option file (~/.my.cnf) and no variable (MYSQL_PWD); the configuration is
// built field by field, and connections are dialled through c.Egress.
func New(c sources.Connection) (*Driver, error) {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Port == 0 {
		c.Port = 3306
	}
	if c.Schema == "" {
		c.Schema = c.Database
	}
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd = c.Username, c.Password
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	cfg.DBName = c.Database
	cfg.Timeout = c.Timeout()
	// The dialer resolves the host and checks each address it connects to.
	dialer := c.Egress.Dialer(c.Host)
	dialer.KeepAlive = 5 * time.Minute
	cfg.DialFunc = dialer.DialContext
	cfg.Loc = time.UTC
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	cfg.Collation = "utf8mb4_general_ci"
	cfg.Params = map[string]string{}
	for k, v := range c.Params {
		cfg.Params[k] = v
	}
	cfg.Params["time_zone"] = "'+00:00'"
	switch strings.ToLower(c.SSLMode) {
	case "", "prefer", "preferred", "allow":
		cfg.TLSConfig = "preferred"
	case "disable", "false":
		cfg.TLSConfig = "false"
	case "require", "skip-verify":
		cfg.TLSConfig = "skip-verify"
	case "verify-ca", "verify-full", "true":
		cfg.TLSConfig = "true"
	default:
		return nil, errs.E(errs.Invalid, "mysql: unknown sslmode %q", c.SSLMode)
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, sourcedriver.Redact(err, c.Password), "mysql: invalid connection settings")
	}
	db := sql.OpenDB(conn)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	return &Driver{c: c, db: db}, nil
}

// Dialect is sources.MySQL.
func (d *Driver) Dialect() sources.Dialect { return sources.MySQL }

// Close closes the connection pool.
func (d *Driver) Close() error { return d.db.Close() }

func (d *Driver) schema(s string) (string, error) {
	if s == "" {
		s = d.c.Schema
	}
	if s == "" {
		return "", errs.Userf(errs.Invalid, "no database (schema) given")
	}
	return s, nil
}

// Test pings the server and lists the tables of the connection's database.
func (d *Driver) Test(ctx context.Context) (sources.TestResult, error) {
	var version string
	pctx, cancel := context.WithTimeout(ctx, d.c.Timeout())
	err := d.db.QueryRowContext(pctx, "SELECT VERSION()").Scan(&version)
	cancel()
	if err != nil {
		return sources.TestResult{}, d.mapErr(err, "connect to "+d.c.String())
	}
	res := sources.TestResult{ServerVersion: version, Schema: d.c.Schema}
	server := "MySQL"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		server = "MariaDB"
	}
	if d.c.Schema == "" {
		res.Message = fmt.Sprintf("connected to %s %s; no database selected", server, version)
		return res, nil
	}
	tables, err := d.Tables(ctx, d.c.Schema)
	if err != nil {
		return sources.TestResult{}, err
	}
	res.Tables = tables
	res.Message = fmt.Sprintf("connected to %s %s; %d tables in database %s", server, version, len(tables), d.c.Schema)
	return res, nil
}

// Schemas lists the databases the user sees, without the system ones.
func (d *Driver) Schemas(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
		WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
		ORDER BY SCHEMA_NAME`)
	if err != nil {
		return nil, d.mapErr(err, "list databases")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, d.mapErr(err, "list databases")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, d.mapErr(err, "list databases")
	}
	return out, nil
}

func (d *Driver) schemaExists(ctx context.Context, schema string) error {
	var n int
	err := d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", schema).Scan(&n)
	if err != nil {
		return d.mapErr(err, "look up database")
	}
	if n == 0 {
		return errs.Userf(errs.NotFound, "database %q does not exist", schema)
	}
	return nil
}

// Tables lists the base tables of a database.
func (d *Driver) Tables(ctx context.Context, schema string) ([]sources.TableInfo, error) {
	schema, err := d.schema(schema)
	if err != nil {
		return nil, err
	}
	if err := d.schemaExists(ctx, schema); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(TABLE_ROWS, -1) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, schema)
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
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, d.mapErr(err, "list tables")
	}
	for i := range out {
		if out[i].Rows < exactBelow {
			if n, ok := d.count(ctx, schema, out[i].Name); ok {
				out[i].Rows, out[i].RowsExact = n, true
			}
		}
	}
	return out, nil
}

// count counts a table's rows exactly, giving up after 5 s.
func (d *Driver) count(ctx context.Context, schema, table string) (int64, bool) {
	qt, err := sourcedriver.QuoteTable(sources.MySQL, schema, table)
	if err != nil {
		return 0, false
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int64
	if err := d.db.QueryRowContext(cctx, "SELECT COUNT(*) FROM "+qt).Scan(&n); err != nil {
		return 0, false
	}
	return n, true
}

type column struct {
	meta     sources.ColumnMeta
	dataType string // information_schema DATA_TYPE
}

// columnMeta is a column's meta, for the driver kit.
func columnMeta(c *column) *sources.ColumnMeta { return &c.meta }

func (d *Driver) columns(ctx context.Context, schema, table string) ([]column, []string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table)
	if err != nil {
		return nil, nil, d.mapErr(err, "describe table")
	}
	var cols []column
	for rows.Next() {
		var c column
		var nullable string
		if err := rows.Scan(&c.meta.OriginalName, &c.meta.SourceType, &c.dataType, &nullable); err != nil {
			rows.Close()
			return nil, nil, d.mapErr(err, "describe table")
		}
		c.dataType = strings.ToLower(c.dataType)
		c.meta.Nullable = nullable == "YES"
		c.meta.Type, c.meta.Confidence, c.meta.Warning = sourcedriver.MapMySQL(c.meta.SourceType)
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, d.mapErr(err, "describe table")
	}
	if len(cols) == 0 {
		if err := d.schemaExists(ctx, schema); err != nil {
			return nil, nil, err
		}
		return nil, nil, errs.Userf(errs.NotFound, "table %s.%s does not exist", schema, table)
	}
	if err := d.jsonColumns(ctx, schema, table, cols); err != nil {
		return nil, nil, err
	}
	pkRows, err := d.db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, schema, table)
	if err != nil {
		return nil, nil, d.mapErr(err, "read primary key")
	}
	var pk []string
	for pkRows.Next() {
		var k string
		if err := pkRows.Scan(&k); err != nil {
			pkRows.Close()
			return nil, nil, d.mapErr(err, "read primary key")
		}
		pk = append(pk, k)
	}
	pkRows.Close()
	if err := pkRows.Err(); err != nil {
		return nil, nil, d.mapErr(err, "read primary key")
	}
	sourcedriver.DescribeColumns(schema, table, cols, columnMeta, pk)
	return cols, pk, nil
}

// jsonColumns marks MariaDB JSON columns (LONGTEXT with a json_valid
// check) as JSON. MySQL reports JSON as its own type.
func (d *Driver) jsonColumns(ctx context.Context, schema, table string, cols []column) error {
	hasText := false
	for _, c := range cols {
		hasText = hasText || c.dataType == "longtext"
	}
	if !hasText {
		return nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, schema, table)
	if err != nil {
		return nil // MySQL has no TABLE_NAME there; it has a real JSON type
	}
	defer rows.Close()
	for rows.Next() {
		var clause string
		if rows.Scan(&clause) != nil {
			return nil
		}
		for i := range cols {
			if cols[i].dataType == "longtext" && strings.EqualFold(clause, "json_valid(`"+strings.ReplaceAll(cols[i].meta.OriginalName, "`", "``")+"`)") {
				cols[i].meta.Type, cols[i].meta.Confidence, cols[i].meta.Warning = warehouse.JSON, sources.High, ""
				cols[i].meta.SourceType = "json"
			}
		}
	}
	return nil
}

// Describe returns the table's columns, mapping, samples and row count.
func (d *Driver) Describe(ctx context.Context, schema, table string, samples int) (sources.TableMeta, error) {
	schema, err := d.schema(schema)
	if err != nil {
		return sources.TableMeta{}, err
	}
	cols, pk, err := d.columns(ctx, schema, table)
	if err != nil {
		return sources.TableMeta{}, err
	}
	metas := make([]sources.ColumnMeta, len(cols))
	for i := range cols {
		metas[i] = cols[i].meta
	}
	meta := sourcedriver.Describe(schema, table, metas, pk)
	if samples > 0 {
		it, err := d.extract(ctx, cols, pk, sources.ExtractRequest{Schema: schema, Table: table, Limit: int64(samples)})
		if err != nil {
			return sources.TableMeta{}, err
		}
		if err := sourcedriver.CollectSamples(&meta, it); err != nil {
			return sources.TableMeta{}, err
		}
	}
	var est int64
	err = d.db.QueryRowContext(ctx, `SELECT COALESCE(TABLE_ROWS, -1) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, schema, table).Scan(&est)
	if err != nil {
		return sources.TableMeta{}, d.mapErr(err, "estimate rows")
	}
	meta.TotalRows = est
	if est < exactBelow {
		if n, ok := d.count(ctx, schema, table); ok {
			meta.TotalRows, meta.RowsExact = n, true
		}
	}
	return meta, nil
}

// Extract streams rows (see sources.ExtractRequest).
func (d *Driver) Extract(ctx context.Context, req sources.ExtractRequest) (sources.RowIterator, error) {
	schema, err := d.schema(req.Schema)
	if err != nil {
		return nil, err
	}
	req.Schema = schema
	cols, pk, err := d.columns(ctx, req.Schema, req.Table)
	if err != nil {
		return nil, err
	}
	return d.extract(ctx, cols, pk, req)
}

func (d *Driver) extract(ctx context.Context, all []column, pk []string, req sources.ExtractRequest) (sources.RowIterator, error) {
	read, plan, err := sourcedriver.PlanRead("mysql", all, columnMeta, pk, req)
	if err != nil {
		return nil, err
	}

	selects := make([]string, len(read))
	for i, c := range read {
		q, _ := sourcedriver.QuoteIdent(sources.MySQL, c.meta.OriginalName)
		selects[i] = q
	}
	query, args, err := sourcedriver.SelectQuery(sources.MySQL, "mysql", req, selects, "?")
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, d.mapErr(err, "read "+req.Schema+"."+req.Table)
	}
	raw := &rawRows{rows: rows, cols: read, buf: make([]sql.RawBytes, len(read)), targets: make([]any, len(read))}
	for i := range raw.buf {
		raw.targets[i] = &raw.buf[i]
	}
	return sourcedriver.NewIterator(ctx, plan, len(read), raw, func(err error) error {
		return d.mapErr(err, "read "+req.Schema+"."+req.Table)
	}), nil
}

type rawRows struct {
	rows    *sql.Rows
	cols    []column
	buf     []sql.RawBytes
	targets []any
}

func (r *rawRows) Next() bool   { return r.rows.Next() }
func (r *rawRows) Err() error   { return r.rows.Err() }
func (r *rawRows) Close() error { return r.rows.Close() }

func (r *rawRows) Scan(dst []any) error {
	if err := r.rows.Scan(r.targets...); err != nil {
		return err
	}
	for i, b := range r.buf {
		v, err := decode(b, r.cols[i])
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "mysql: column %q", r.cols[i].meta.OriginalName)
		}
		dst[i] = v
	}
	return nil
}

// decode turns a text-protocol value into the Go value of its warehouse
// type.
func decode(b sql.RawBytes, c column) (any, error) {
	if b == nil {
		return nil, nil
	}
	switch c.meta.Type {
	case warehouse.Int64:
		if c.dataType == "bit" {
			var n int64
			for _, x := range b {
				n = n<<8 | int64(x)
			}
			return n, nil
		}
		return strconv.ParseInt(string(b), 10, 64)
	case warehouse.Float64:
		return strconv.ParseFloat(string(b), 64)
	case warehouse.Bool:
		if c.dataType == "bit" {
			for _, x := range b {
				if x != 0 {
					return true, nil
				}
			}
			return false, nil
		}
		return string(b) != "0", nil
	case warehouse.Date:
		s := string(b)
		if strings.HasPrefix(s, "0000-00-00") {
			return nil, nil
		}
		return time.Parse(time.DateOnly, s)
	case warehouse.DateTime, warehouse.Timestamp:
		s := string(b)
		if strings.HasPrefix(s, "0000-00-00") {
			return nil, nil
		}
		return time.Parse("2006-01-02 15:04:05.999999999", s)
	case warehouse.Bytes:
		return append([]byte{}, b...), nil
	}
	return string(b), nil
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
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1698, 1251:
			return errs.WrapField(errs.Unauthenticated, red, "", "%s: access denied for user %q (check the user name and password)", op, d.c.Username)
		case 1044, 1142, 1143, 1227, 1370:
			return errs.WrapField(errs.Permission, red, "", "%s: permission denied for user %q", op, d.c.Username)
		case 1049:
			return errs.WrapField(errs.NotFound, red, "", "%s: database %q does not exist", op, d.c.Database)
		case 1146, 1109:
			return errs.WrapField(errs.NotFound, red, "", "%s: no such table", op)
		case 1054, 1064:
			return errs.WrapField(errs.Invalid, red, "", "%s", op)
		case 1040, 1053, 1205, 1213, 1317, 2006, 2013, 1927, 3024, 1969:
			return errs.WrapField(errs.Transient, red, "", "%s: the server is unavailable, busy or the query was interrupted; try again", op)
		}
		return errs.WrapField(errs.Unknown, red, "", "%s", op)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
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
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) {
		if netErr != nil && netErr.Timeout() {
			return errs.WrapField(errs.Transient, red, "", "%s: timed out reaching the server", op)
		}
		return errs.WrapField(errs.Transient, red, "", "%s: cannot reach the server", op)
	}
	return errs.WrapField(errs.Unknown, red, "", "%s", op)
}
