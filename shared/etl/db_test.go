package etl_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/cloudevents/sdk-go/v2/event"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

var dbSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e6, dbSeq.Add(1))
}

// pgSource creates a schema of its own in the test PostgreSQL (dropped at
// the end) and returns an exec func and the connection to save.
func pgSource(t testing.TB) (exec func(q string, args ...any), conn connections.NewConnection) {
	t.Helper()
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw := func(q string, args ...any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("exec %s: %v", q, err)
		}
	}
	schema := uniqueName("b2b_etl")
	raw(`CREATE SCHEMA "` + schema + `"`)
	t.Cleanup(func() { raw(`DROP SCHEMA "` + schema + `" CASCADE`) })
	port, _ := strconv.Atoi(u.Port())
	pw, _ := u.User.Password()
	conn = connections.NewConnection{
		Fields: connections.Fields{Name: "Shop " + schema, Type: connections.Postgres, Host: u.Hostname(), Port: port,
			Database: strings.TrimPrefix(u.Path, "/"), Schema: schema, Username: u.User.Username(), SSLMode: "disable"},
		Secret: connections.Secret{Password: pw},
	}
	return func(q string, args ...any) { raw(strings.ReplaceAll(q, "$S", `"`+schema+`"`), args...) }, conn
}

func (e *env) createConn(in connections.NewConnection) string {
	e.t.Helper()
	res, err := e.p.Connections.Create(context.Background(), tenant, in)
	if err != nil {
		e.t.Fatalf("create connection: %v", err)
	}
	return res.Connection.ID
}

func (e *env) createJob(in etl.NewJob) etl.JobView {
	e.t.Helper()
	v, err := e.p.ETL.CreateJob(context.Background(), tenant, in)
	if err != nil {
		e.t.Fatalf("CreateJob(%s): %v", in.Name, err)
	}
	return v
}

// runJob triggers one manual run of a job and waits for the chain.
func (e *env) runJob(jobID string) etl.Run {
	e.t.Helper()
	ctx := context.Background()
	runs, err := e.p.ETL.TriggerJob(ctx, tenant, jobID, eventschemas.TriggerManual)
	if err != nil {
		e.t.Fatalf("TriggerJob: %v", err)
	}
	if len(runs) != 1 {
		e.t.Fatalf("TriggerJob started %d runs, want 1", len(runs))
	}
	e.wait()
	r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.Status != etl.StatusCompleted {
		e.t.Fatalf("run %s: status %s (%s: %s)", r.ID, r.Status, r.ErrorType, r.ErrorMessage)
	}
	return r
}

func (e *env) schemaOf(table string) map[string]warehouse.Type {
	e.t.Helper()
	wh, err := e.p.Resources.Warehouse(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	tm, err := wh.DescribeTable(context.Background(), etl.DefaultDataset, table)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]warehouse.Type{}
	for _, c := range tm.Schema {
		out[c.Name] = c.Type
	}
	return out
}

func ids(rows [][]any) []int64 {
	var out []int64
	for _, r := range rows {
		n, _ := r[0].(int64)
		out = append(out, n)
	}
	return out
}

func TestDatabaseJobPostgres(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.orders (id bigint PRIMARY KEY, "Customer Name" text NOT NULL, amount numeric(10,2), created_at timestamptz, meta jsonb, day date)`)
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	t2 := t1.Add(time.Hour)
	t3 := t2.Add(time.Hour)
	exec(`INSERT INTO $S.orders VALUES (1,'acme',12.50,$1,'{"a": [1, 2]}','2026-01-02'),(2,'globex',NULL,$2,NULL,NULL),(3,'initech',7.25,$2,'{"b":"x\ny"}','2026-01-03')`, t1, t2)
	connID := e.createConn(in)

	job := e.createJob(etl.NewJob{Name: "PG orders", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_orders"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", TimestampColumn: "created_at"}})
	if job.SourceType != etl.SourceDatabase || job.LoadMode != etl.Append || job.Database.Schema != in.Schema || job.State != nil {
		t.Fatalf("created job = %+v %+v", job.Job, job.Database)
	}

	// First run: every row, typed from the table.
	r1 := e.runJob(job.ID)
	if r1.RowsRead != 3 || r1.RowsLoaded != 3 || r1.RowsRejected != 0 || r1.WatermarkFrom != nil {
		t.Fatalf("run 1 = read %d loaded %d rejected %d from %v", r1.RowsRead, r1.RowsLoaded, r1.RowsRejected, r1.WatermarkFrom)
	}
	if r1.WatermarkTo == nil || *r1.WatermarkTo != (etl.Watermark{Type: "timestamp", Value: "2026-01-02T04:04:05.123456Z"}) {
		t.Fatalf("run 1 watermark_to = %+v", r1.WatermarkTo)
	}
	got := e.schemaOf("pg_orders")
	want := map[string]warehouse.Type{"id": warehouse.Int64, "customer_name": warehouse.String, "amount": warehouse.Numeric,
		"created_at": warehouse.Timestamp, "meta": warehouse.JSON, "day": warehouse.Date,
		etl.ColSourceFile: warehouse.String, etl.ColRunID: warehouse.String, etl.ColLoadedAt: warehouse.Timestamp}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s: %s, want %s (schema %v)", k, got[k], v, got)
		}
	}
	rows := e.query(`SELECT id, customer_name, CAST(amount AS VARCHAR), created_at, CAST(meta AS VARCHAR), CAST(day AS VARCHAR), _b2b_source_file, _b2b_run_id FROM raw_data.pg_orders ORDER BY id`)
	if len(rows) != 3 {
		t.Fatalf("rows = %v", rows)
	}
	wantRows := [][]any{
		{int64(1), "acme", "12.500000000", t1, `{"a":[1,2]}`, "2026-01-02", in.Schema + ".orders", r1.ID},
		{int64(2), "globex", nil, t2, nil, nil, in.Schema + ".orders", r1.ID},
		{int64(3), "initech", "7.250000000", t2, `{"b":"x\ny"}`, "2026-01-03", in.Schema + ".orders", r1.ID},
	}
	assertRows(t, rows, wantRows)
	stored, err := e.p.ETL.GetJob(ctx, tenant, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State == nil || stored.State.RunID != r1.ID || *stored.State.Watermark != *r1.WatermarkTo || !slices.Equal(stored.State.BoundaryKeys, []string{`"2"`, `"3"`}) {
		t.Fatalf("state after run 1 = %+v", stored.State)
	}
	if v, err := e.p.Connections.Get(ctx, tenant, connID); err != nil || v.LastUsedAt == nil || v.JobsCount != 1 {
		t.Fatalf("connection after run = %+v, %v", v, err)
	}

	// New rows, one at exactly the watermark: loaded once, none lost.
	exec(`INSERT INTO $S.orders VALUES (4,'umbrella',1,$1,NULL,NULL),(5,'hooli',2,$2,NULL,NULL)`, t2, t3)
	r2 := e.runJob(job.ID)
	if r2.RowsRead != 2 || r2.RowsLoaded != 2 || r2.WatermarkFrom == nil || r2.WatermarkFrom.Value != "2026-01-02T04:04:05.123456Z" ||
		r2.WatermarkTo.Value != "2026-01-02T05:04:05.123456Z" {
		t.Fatalf("run 2 = read %d loaded %d from %+v to %+v", r2.RowsRead, r2.RowsLoaded, r2.WatermarkFrom, r2.WatermarkTo)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.pg_orders ORDER BY id`)); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("ids after run 2 = %v", got)
	}
	// Nothing new: nothing read, the watermark stays.
	r3 := e.runJob(job.ID)
	if r3.RowsRead != 0 || r3.RowsLoaded != 0 || r3.WatermarkTo == nil || *r3.WatermarkTo != *r2.WatermarkTo {
		t.Fatalf("run 3 = read %d loaded %d to %+v", r3.RowsRead, r3.RowsLoaded, r3.WatermarkTo)
	}
	// A row at the watermark after a run that read nothing new.
	exec(`INSERT INTO $S.orders VALUES (6,'pied piper',3,$1,NULL,NULL)`, t3)
	if r := e.runJob(job.ID); r.RowsRead != 1 {
		t.Fatalf("run 4 read %d rows, want 1", r.RowsRead)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.pg_orders ORDER BY id`)); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("ids after run 4 = %v", got)
	}
	// Stale-watermark guard: an emptied destination is loaded from the start.
	e.query(`DELETE FROM raw_data.pg_orders`)
	if r := e.runJob(job.ID); r.RowsRead != 6 || r.WatermarkFrom != nil {
		t.Fatalf("run after emptying = read %d from %+v", r.RowsRead, r.WatermarkFrom)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.pg_orders ORDER BY id`)); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("ids after reload = %v", got)
	}

	// Snapshot: reloads the table and reflects deletions.
	snap := e.createJob(etl.NewJob{Name: "PG snapshot", SourceType: "database", LoadMode: etl.Truncate, Dest: etl.Dest{Table: "pg_snap"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", Columns: []string{"id", "Customer Name"}}})
	e.runJob(snap.ID)
	exec(`DELETE FROM $S.orders WHERE id IN (1, 4)`)
	if r := e.runJob(snap.ID); r.RowsRead != 4 || r.WatermarkTo != nil {
		t.Fatalf("snapshot run = read %d watermark %+v", r.RowsRead, r.WatermarkTo)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.pg_snap ORDER BY id`)); !slices.Equal(got, []int64{2, 3, 5, 6}) {
		t.Fatalf("snapshot ids = %v", got)
	}
	if s := e.schemaOf("pg_snap"); len(s) != 5 || s["amount"] != "" {
		t.Fatalf("snapshot schema = %v, want id, customer_name and lineage", s)
	}

	// Merge on the primary key (the default keys): changed rows updated.
	merge := e.createJob(etl.NewJob{Name: "PG merge", LoadMode: etl.Merge, Dest: etl.Dest{Table: "pg_merge"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders"}})
	if !slices.Equal(merge.MergeKeys, []string{"id"}) {
		t.Fatalf("merge keys = %v", merge.MergeKeys)
	}
	e.runJob(merge.ID)
	exec(`UPDATE $S.orders SET "Customer Name" = 'globex2' WHERE id = 2`)
	e.runJob(merge.ID)
	rows = e.query(`SELECT id, customer_name FROM raw_data.pg_merge ORDER BY id`)
	if fmt.Sprint(rows) != "[[2 globex2] [3 initech] [5 hooli] [6 pied piper]]" {
		t.Fatalf("merged rows = %v", rows)
	}

	// Validation: a missing table, a non-temporal timestamp column, a
	// connection of another tenant.
	_, err = e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "missing", Database: &etl.DatabaseSource{ConnectionID: connID, Table: "no_such_table", TimestampColumn: "x"}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "database.table") || !strings.Contains(err.Error(), `"no_such_table"`) {
		t.Fatalf("missing table: %v", err)
	}
	_, err = e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "bad ts", Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", TimestampColumn: "Customer Name"}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "database.timestamp_column") {
		t.Fatalf("string timestamp column: %v", err)
	}
	_, err = e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "no ts", Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders"}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), `"created_at" is recommended`) {
		t.Fatalf("incremental without a timestamp column: %v", err)
	}
	_, err = e.p.ETL.CreateJob(ctx, "other-tenant", etl.NewJob{Name: "steal", Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", TimestampColumn: "created_at"}})
	if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "database.connection_id") {
		t.Fatalf("another tenant's connection: %v", err)
	}

	exec(`CREATE TABLE $S.nokey (n int, at timestamptz)`)
	_, err = e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "no key", Database: &etl.DatabaseSource{ConnectionID: connID, Table: "nokey", TimestampColumn: "at"}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "has no primary key") {
		t.Fatalf("incremental append without a key: %v", err)
	}

	// The connection is in use: deleting it is refused.
	err = e.p.Connections.Delete(ctx, tenant, connID)
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "3 ETL job") {
		t.Fatalf("delete used connection: %v", err)
	}
}

// mariaSource creates a database of its own in the test MariaDB (dropped
// at the end).
func mariaSource(t *testing.T) (exec func(q string, args ...any), conn connections.NewConnection) {
	t.Helper()
	dsn := testenv.Require(t, testenv.MariaDB)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	name := uniqueName("b2b_etl")
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(strings.ReplaceAll(q, "$S", "`"+name+"`"), args...); err != nil {
			t.Fatalf("exec %s: %v", q, err)
		}
	}
	exec("CREATE DATABASE $S")
	t.Cleanup(func() { exec("DROP DATABASE $S") })
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	conn = connections.NewConnection{
		Fields: connections.Fields{Name: "ERP " + name, Type: connections.MariaDB, Host: host, Port: p,
			Database: name, Username: cfg.User, SSLMode: "disable"},
		Secret: connections.Secret{Password: cfg.Passwd},
	}
	return exec, conn
}

func TestDatabaseJobMariaDB(t *testing.T) {
	e := newEnv(t)
	exec, in := mariaSource(t)
	exec("CREATE TABLE $S.customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, active TINYINT(1), score DOUBLE, updated_at DATETIME(6))")
	exec("INSERT INTO $S.customers VALUES (1,'Acme',1,1.5,'2026-01-01 10:00:00'),(2,'Globex',0,NULL,'2026-01-01 11:00:00.250000'),(3,'Initech',1,2,'2026-01-01 11:00:00.250000'),(4,'Nulls',NULL,NULL,NULL)")
	connID := e.createConn(in)
	job := e.createJob(etl.NewJob{Name: "ERP customers", SourceType: "mariadb", Dest: etl.Dest{Table: "erp_customers"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "customers", TimestampColumn: "updated_at",
			HistoricalStart: new(time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC))}})
	// The historical start skips row 1; NULL timestamps are never read incrementally.
	r1 := e.runJob(job.ID)
	if r1.RowsRead != 2 || r1.WatermarkTo == nil || *r1.WatermarkTo != (etl.Watermark{Type: "timestamp", Value: "2026-01-01T11:00:00.25Z"}) {
		t.Fatalf("run 1 = read %d to %+v", r1.RowsRead, r1.WatermarkTo)
	}
	// DuckDB describes a DATETIME (its TIMESTAMP) as TIMESTAMP: check the
	// staged schema and DuckDB's own type.
	types := map[string]warehouse.Type{}
	for _, c := range r1.Schema {
		types[c.Name] = c.Type
	}
	if types["updated_at"] != warehouse.DateTime || types["id"] != warehouse.Int64 || types["score"] != warehouse.Float64 || types["active"] != warehouse.Bool {
		t.Fatalf("staged schema = %v", r1.Schema)
	}
	if got := fmt.Sprint(e.query(`SELECT DISTINCT typeof(updated_at) FROM raw_data.erp_customers`)); got != "[[TIMESTAMP]]" {
		t.Fatalf("DuckDB type of updated_at = %s, want TIMESTAMP (no zone)", got)
	}
	exec("INSERT INTO $S.customers VALUES (5,'Umbrella',1,3,'2026-01-01 11:00:00.250000'),(6,'Hooli',0,4,'2026-01-02 00:00:00')")
	r2 := e.runJob(job.ID)
	if r2.RowsRead != 2 || r2.WatermarkTo.Value != "2026-01-02T00:00:00Z" {
		t.Fatalf("run 2 = read %d to %+v", r2.RowsRead, r2.WatermarkTo)
	}
	rows := e.query(`SELECT id, name, score, updated_at FROM raw_data.erp_customers ORDER BY id`)
	want := "[[2 Globex <nil> 2026-01-01 11:00:00.25 +0000 UTC] [3 Initech 2 2026-01-01 11:00:00.25 +0000 UTC] [5 Umbrella 3 2026-01-01 11:00:00.25 +0000 UTC] [6 Hooli 4 2026-01-02 00:00:00 +0000 UTC]]"
	if got := fmt.Sprint(rows); got != want {
		t.Fatalf("rows = %s\nwant %s", got, want)
	}
}

// TestDatabaseJobRetryAndTicks: an incremental database load that committed
// but reported an error is retried without adding its rows twice, and the
// watermark moves with the booked load; a schedule tick delivered twice
// starts one run, and a tick while nothing is new starts a run that reads
// nothing.
func TestDatabaseJobRetryAndTicks(t *testing.T) {
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.items (id int PRIMARY KEY, seq bigint NOT NULL)`)
	exec(`INSERT INTO $S.items VALUES (1, 10), (2, 20), (3, 20)`)
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	log := slog.New(slog.DiscardHandler)
	bus := membus.New(membus.Options{Concurrency: 2, MaxAttempts: 4, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: log})
	p, err := platform.Open(ctx, platform.FromEnv(), platform.Options{Bus: &events.Bus{Driver: bus}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fw := &faultyWarehouse{failAfterCommit: true}
	svc := etl.New(p.Store, bus, &faultyResources{Resources: p.Resources, wh: fw}, p.Validator, etl.WithLogger(log), etl.WithConnections(p.Connections))
	for topic, h := range map[string]events.Handler{
		eventschemas.TopicRunRequested:  svc.HandleRunRequested,
		eventschemas.TopicLoadRequested: svc.HandleLoadRequested,
	} {
		if err := bus.Subscribe(topic, "h", h); err != nil {
			t.Fatal(err)
		}
	}
	wait := func() {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := bus.Wait(wctx); err != nil {
			t.Fatal(err)
		}
	}
	const tenant = "t_dbretry"
	c, err := p.Connections.Create(ctx, tenant, in)
	if err != nil {
		t.Fatal(err)
	}
	job, err := svc.CreateJob(ctx, tenant, etl.NewJob{Name: "items", Database: &etl.DatabaseSource{ConnectionID: c.Connection.ID, Table: "items", TimestampColumn: "seq"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual); err != nil {
		t.Fatal(err)
	}
	wait()
	runs, err := svc.ListRuns(ctx, tenant, etl.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	if r := runs[0]; r.Status != etl.StatusCompleted || r.RowsLoaded != 3 || fw.loads.Load() != 1 || r.LoadAttempts != 2 {
		t.Fatalf("run = %s loaded %d (%s), load jobs %d, load attempts %d; want completed, 3, 1 load job, 2 attempts",
			r.Status, r.RowsLoaded, r.ErrorMessage, fw.loads.Load(), r.LoadAttempts)
	}
	stored, err := svc.GetJob(ctx, tenant, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State == nil || *stored.State.Watermark != (etl.Watermark{Type: "int64", Value: "20"}) || !slices.Equal(stored.State.BoundaryKeys, []string{`"2"`, `"3"`}) {
		t.Fatalf("state = %+v", stored.State)
	}

	// A schedule tick, delivered twice: one run, which reads the new row.
	exec(`INSERT INTO $S.items VALUES (4, 20), (5, 30)`)
	tick := event.New()
	tick.SetID("tick-1")
	tick.SetType(eventschemas.TypeRunRequested)
	tick.SetSource("test")
	_ = tick.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: job.ID, Trigger: eventschemas.TriggerSchedule})
	for range 2 {
		if err := bus.Publish(ctx, eventschemas.TopicRunRequested, tick); err != nil {
			t.Fatal(err)
		}
		wait()
	}
	runs, err = svc.ListRuns(ctx, tenant, etl.RunFilter{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs after the tick = %d, %v; want 2", len(runs), err)
	}
	if r := runs[0]; r.Trigger != eventschemas.TriggerSchedule || r.RowsRead != 2 || r.Status != etl.StatusCompleted {
		t.Fatalf("tick run = %s %s read %d (%s)", r.Trigger, r.Status, r.RowsRead, r.ErrorMessage)
	}
	w, _ := p.Resources.Warehouse(ctx, tenant)
	res, err := w.Query(ctx, `SELECT COUNT(*), COUNT(DISTINCT id) FROM raw_data.items`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[5 5]]" {
		t.Fatalf("rows, distinct ids = %v; want 5, 5", res.Rows)
	}
}

func TestWatermarkRoundTrip(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
	for _, v := range []any{ts, int64(-42), int64(1 << 62), "2026-01-01 x", nil} {
		w, err := etl.NewWatermark(v)
		if err != nil {
			t.Fatalf("NewWatermark(%v): %v", v, err)
		}
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var back *etl.Watermark
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got, err := back.Decode()
		if err != nil {
			t.Fatalf("Decode(%s): %v", b, err)
		}
		want := v
		if tv, ok := v.(time.Time); ok {
			want = tv.UTC()
		}
		if got != want {
			t.Errorf("%v → %s → %#v", v, b, got)
		}
	}
	if _, err := etl.NewWatermark(1.5); !errs.Is(err, errs.Invalid) {
		t.Errorf("float watermark: %v, want Invalid", err)
	}
	for _, bad := range []etl.Watermark{{Type: "timestamp", Value: "yesterday"}, {Type: "int64", Value: "1.5"}, {Type: "float64", Value: "1"}} {
		if _, err := bad.Decode(); !errs.Is(err, errs.Invalid) {
			t.Errorf("Decode(%+v) = %v, want Invalid", bad, err)
		}
	}
}

func FuzzWatermarkDecode(f *testing.F) {
	for _, s := range []string{"timestamp|2026-01-02T03:04:05.123Z", "int64|-9", "string|x", "timestamp|2026-01-02T03:04:05+07:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, val, _ := strings.Cut(s, "|")
		v, err := (&etl.Watermark{Type: typ, Value: val}).Decode()
		if err != nil {
			return
		}
		// What decodes encodes to a watermark that decodes to the same value.
		w, err := etl.NewWatermark(v)
		if err != nil {
			t.Fatalf("NewWatermark(%#v): %v", v, err)
		}
		again, err := w.Decode()
		if err != nil || sources.Compare(again, v) != 0 {
			t.Fatalf("%q → %#v → %+v → %#v, %v", s, v, w, again, err)
		}
	})
}

// TestDatabaseJobRejects: a value that does not fit the warehouse type (a
// NUMERIC with more than 9 decimals) rejects its row with the column
// named, as a file's bad value does; the other rows load.
func TestDatabaseJobRejects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.prices (id int PRIMARY KEY, price numeric(30,12))`)
	exec(`INSERT INTO $S.prices VALUES (1, 1.5), (2, 1.123456789012), (3, NULL)`)
	job := e.createJob(etl.NewJob{Name: "prices", LoadMode: etl.Truncate, Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "prices"}})
	runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != etl.StatusPartial || r.RowsRead != 3 || r.RowsLoaded != 2 || r.RowsRejected != 1 || len(r.FirstRejects) != 1 {
		t.Fatalf("run = %s read %d loaded %d rejected %d rejects %+v (%s)", r.Status, r.RowsRead, r.RowsLoaded, r.RowsRejected, r.FirstRejects, r.ErrorMessage)
	}
	if rj := r.FirstRejects[0]; rj.Line != 2 || rj.Column != "price" || !strings.Contains(rj.Reason, "NUMERIC") || rj.Raw != `{"id":2,"price":"1.123456789012"}` {
		t.Fatalf("reject = %+v", rj)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.prices ORDER BY id`)); !slices.Equal(got, []int64{1, 3}) {
		t.Fatalf("loaded ids = %v", got)
	}
}

// TestDatabaseJobLimits: the input limits (settings) hold for database
// rows: a value past B2B_MAX_FIELD_BYTES rejects its row, naming the
// column and the setting, and the run loads the others as partial.
func TestDatabaseJobLimits(t *testing.T) {
	t.Setenv("B2B_MAX_FIELD_BYTES", "16")
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.notes (id int PRIMARY KEY, note text, created timestamptz, amount numeric(12,2))`)
	exec(`INSERT INTO $S.notes VALUES (1, 'short', '2026-01-02 03:04:05.25+00', 1.50), (2, repeat('x', 17), NULL, NULL), (3, NULL, NULL, 2)`)
	job := e.createJob(etl.NewJob{Name: "notes", LoadMode: etl.Truncate, Database: &etl.DatabaseSource{ConnectionID: e.createConn(in), Table: "notes"}})
	runs, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	r, err := e.p.ETL.GetRun(ctx, tenant, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != etl.StatusPartial || r.RowsRead != 3 || r.RowsLoaded != 2 || r.RowsRejected != 1 || len(r.FirstRejects) != 1 {
		t.Fatalf("run = %s read %d loaded %d rejected %d rejects %+v (%s)", r.Status, r.RowsRead, r.RowsLoaded, r.RowsRejected, r.FirstRejects, r.ErrorMessage)
	}
	want := etl.Reject{Line: 2, Column: "note", Reason: "the value is longer than 16 bytes, the longest value allowed (setting B2B_MAX_FIELD_BYTES)",
		Raw: `{"id":2,"note":"xxxxxxxxxxxxxxxxx","created":null,"amount":null}`}
	if r.FirstRejects[0] != want {
		t.Errorf("reject = %+v, want %+v", r.FirstRejects[0], want)
	}
	rows := e.query(`SELECT id, note, created, CAST(amount AS VARCHAR) FROM raw_data.notes ORDER BY id`)
	if len(rows) != 2 || fmt.Sprint(rows[0][1], " ", rows[0][3], " ", rows[1][1], " ", rows[1][2], " ", rows[1][3]) != "short 1.500000000 <nil> <nil> 2.000000000" {
		t.Fatalf("rows = %v", rows)
	}
	if created, _ := rows[0][2].(time.Time); !created.Equal(time.Date(2026, 1, 2, 3, 4, 5, 250_000_000, time.UTC)) {
		t.Errorf("created = %v", rows[0][2])
	}
}
