package etl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/cloudevents/sdk-go/v2/event"
)

// TestLateTypeChangeWidensColumn: a column that looks numeric for more
// rows than the sample holds, then has a code, is loaded as STRING with no
// row rejected (the optimistic one-pass conversion falls back to a
// whole-file inference).
func TestLateTypeChangeWidensColumn(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("code,qty\n")
	const n = 60_000
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "%d,%d\n", 1000+i, i%7)
	}
	b.WriteString("X-99,3\n")
	r := e.drop("codes.csv", b.String())
	if r.Status != etl.StatusCompleted || r.RowsLoaded != n || r.RowsRejected != 0 {
		t.Fatalf("run = %s loaded %d rejected %d (%s)", r.Status, r.RowsLoaded, r.RowsRejected, r.ErrorMessage)
	}
	types := map[string]string{}
	for _, c := range r.Schema {
		types[c.Name] = string(c.Type)
	}
	if types["code"] != "STRING" || types["qty"] != "INT64" {
		t.Errorf("types = %v, want code STRING, qty INT64", types)
	}
	if got := e.query(`SELECT code FROM raw_data.codes WHERE qty = 3 AND code = 'X-99'`); len(got) != 1 {
		t.Errorf("the late code row is missing: %v", got)
	}
}

// TestSampleWithoutValuesInfersWholeFile: a column empty in the first rows
// is typed from the whole file, not guessed as STRING from the sample.
func TestSampleWithoutValuesInfersWholeFile(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("sku,discount\n")
	const n = 55_000
	for i := 0; i < n; i++ {
		if i < 52_000 {
			fmt.Fprintf(&b, "S%d,\n", i)
		} else {
			fmt.Fprintf(&b, "S%d,%d.5\n", i, i%10)
		}
	}
	r := e.drop("discounts.csv", b.String())
	if r.Status != etl.StatusCompleted || r.RowsLoaded != n {
		t.Fatalf("run = %s loaded %d (%s)", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	for _, c := range r.Schema {
		if c.Name == "discount" && c.Type != "FLOAT64" {
			t.Errorf("discount type = %s, want FLOAT64", c.Type)
		}
	}
}

// TestScheduledTickWithoutFiles: a schedule firing for a file job with no
// file yet is acknowledged, not failed or retried.
func TestScheduledTickWithoutFiles(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_daily", Name: "daily", File: etl.FileSource{Pattern: "daily_*.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "daily"}, LoadMode: etl.Append, Enabled: true})
	ev := event.New()
	ev.SetID("tick-1")
	ev.SetType(eventschemas.TypeRunRequested)
	ev.SetSource("//b2brecs/scheduler/" + tenant + "/etl-job-j_daily")
	_ = ev.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: "j_daily", Trigger: eventschemas.TriggerSchedule})
	if err := e.p.ETL.HandleRunRequested(context.Background(), ev); err != nil {
		t.Errorf("tick without files = %v, want nil", err)
	}
	if runs, _ := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{}); len(runs) != 0 {
		t.Errorf("runs = %d, want 0", len(runs))
	}
}

// TestRedeliveredTickStartsNoSecondRun: the same schedule tick delivered
// twice starts its runs once.
func TestRedeliveredTickStartsNoSecondRun(t *testing.T) {
	e := newEnv(t)
	e.putJob(etl.Job{ID: "j_tick", Name: "tick", File: etl.FileSource{Pattern: "tick_*.csv"},
		Dest: etl.Dest{Dataset: "raw_data", Table: "tick"}, LoadMode: etl.Append, Enabled: true})
	e.drop("tick_1.csv", "a\n1\n")
	// A tick with nothing new starts no run.
	nothing := event.New()
	nothing.SetID("tick-41")
	nothing.SetType(eventschemas.TypeRunRequested)
	nothing.SetSource("//test/cron")
	_ = nothing.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: "j_tick", Trigger: eventschemas.TriggerSchedule})
	if err := e.p.ETL.HandleRunRequested(context.Background(), nothing); err != nil {
		t.Fatal(err)
	}
	e.wait()
	if runs, _ := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{JobID: "j_tick"}); len(runs) != 1 {
		t.Fatalf("runs after a tick with nothing new = %d, want 1", len(runs))
	}
	// A file that arrived without an event is picked up by the next tick,
	// once however often the tick is delivered.
	b, err := e.p.Resources.Bucket(context.Background(), tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	e.write(b, "tick_2.csv", "a\n2\n")
	ev := event.New()
	ev.SetID("tick-42")
	ev.SetType(eventschemas.TypeRunRequested)
	ev.SetSource("//test/cron")
	_ = ev.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: "j_tick", Trigger: eventschemas.TriggerSchedule})
	for i := 0; i < 2; i++ {
		if err := e.p.ETL.HandleRunRequested(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	e.wait()
	runs, _ := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{JobID: "j_tick"})
	if len(runs) != 2 { // the drop's run and one scheduled run
		t.Fatalf("runs = %d, want 2", len(runs))
	}
	if n := e.rows("tick"); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
}
