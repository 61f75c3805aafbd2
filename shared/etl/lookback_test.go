package etl_test

import (
	"context"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
)

// TestLookbackAndResetWatermark on a real PostgreSQL table: a row committed
// late with a timestamp below the watermark is loaded by a job with a
// lookback window (and missed without one), the rows read again are merged
// once; a reset watermark makes the next run read everything again.
func TestLookbackAndResetWatermark(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.events (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL)`)
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	exec(`INSERT INTO $S.events VALUES (1,'a',$1),(2,'b',$2)`, t0, t0.Add(5*time.Minute))
	connID := e.createConn(in)

	src := func(lookback int) *etl.DatabaseSource {
		return &etl.DatabaseSource{ConnectionID: connID, Table: "events", TimestampColumn: "updated_at", LookbackMinutes: lookback}
	}
	_, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "no merge", SourceType: "postgresql", Dest: etl.Dest{Table: "ev_bad"}, Database: src(10)})
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "database.lookback_minutes" {
		t.Errorf("lookback with append: %v (field %q)", err, errs.FieldOf(err))
	}
	with := e.createJob(etl.NewJob{Name: "with lookback", SourceType: "postgresql", Dest: etl.Dest{Table: "ev_lookback"}, LoadMode: etl.Merge, Database: src(10)})
	without := e.createJob(etl.NewJob{Name: "without lookback", SourceType: "postgresql", Dest: etl.Dest{Table: "ev_plain"}, LoadMode: etl.Merge, Database: src(0)})
	for _, j := range []etl.JobView{with, without} {
		if r := e.runJob(j.ID); r.RowsLoaded != 2 {
			t.Fatalf("%s run 1 loaded %d", j.Name, r.RowsLoaded)
		}
	}
	// Committed now, stamped before the watermark (10:05).
	exec(`INSERT INTO $S.events VALUES (3,'late',$1)`, t0.Add(time.Minute))
	r := e.runJob(with.ID)
	if r.RowsRead != 3 {
		t.Errorf("lookback run read %d rows, want the 3 of the last 10 minutes below the watermark", r.RowsRead)
	}
	e.runJob(without.ID)
	count := func(table string) int64 {
		rows := e.query(`SELECT COUNT(*), COUNT(DISTINCT id) FROM raw_data.` + table)
		if rows[0][0] != rows[0][1] {
			t.Errorf("%s has duplicate ids: %v", table, rows[0])
		}
		return rows[0][0].(int64)
	}
	if n := count("ev_lookback"); n != 3 {
		t.Errorf("with lookback: %d rows, want 3 (the late row loaded, the others once)", n)
	}
	if n := count("ev_plain"); n != 2 {
		t.Errorf("without lookback: %d rows, want 2 (the late row is missed, as documented)", n)
	}

	// Reset: the state goes; the next run reads the whole table.
	v, err := e.p.ETL.ResetWatermark(ctx, tenant, without.ID)
	if err != nil || v.State != nil {
		t.Fatalf("reset: %+v, %v", v.State, err)
	}
	r = e.runJob(without.ID)
	if r.WatermarkFrom != nil || r.RowsRead != 3 {
		t.Errorf("after reset: from %v, read %d", r.WatermarkFrom, r.RowsRead)
	}
	if n := count("ev_plain"); n != 3 {
		t.Errorf("after reset: %d rows, want 3", n)
	}
	file := e.createJob(etl.NewJob{Name: "files", File: etl.FileSource{Pattern: "*.csv"}})
	if _, err := e.p.ETL.ResetWatermark(ctx, tenant, file.ID); !errs.Is(err, errs.Invalid) {
		t.Errorf("reset of a file job: %v", err)
	}
}
