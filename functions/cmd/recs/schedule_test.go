package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/schedule"
)

// TestSchedulesRestoredAtStart: the in-process cron starts empty; a new
// process loads every stored schedule into it (paused ones paused), and
// the run sweeper.
func TestSchedulesRestoredAtStart(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := Settings{TenantName: "Acme", AdminEmail: "admin@acme.test", AdminPassword: "correct horse battery"}
	first, err := NewApp(ctx, cfg, s, log)
	if err != nil {
		t.Fatal(err)
	}
	tenant := first.Tenant.ID
	daily, err := first.P.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Orders", File: etl.FileSource{Pattern: "orders_*.csv"},
		Schedule: &schedule.Spec{Type: schedule.Daily, Time: "06:30", TimeZone: "Europe/Warsaw"}})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	paused, err := first.P.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Items", File: etl.FileSource{Pattern: "items.csv"}, Enabled: &off,
		Schedule: &schedule.Spec{Type: schedule.Weekly, DayOfWeek: "mon", Time: "09:00"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.P.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "Manual", File: etl.FileSource{Pattern: "m.csv"}}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second, err := NewApp(ctx, cfg, s, log)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close(ctx)
	st, err := second.P.Scheduler.List(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, j := range st {
		state := "active"
		if j.Paused {
			state = "paused"
		}
		got[j.Name] = j.Cron + " " + j.TimeZone + " " + state
	}
	want := map[string]string{
		etl.SchedulerJobName(daily.ID):  "30 6 * * * Europe/Warsaw active",
		etl.SchedulerJobName(paused.ID): "0 9 * * 1 UTC paused",
		etl.SweeperName:                 etl.DefaultSweepCron + " UTC active", // the run sweeper
	}
	if len(got) != len(want) {
		t.Fatalf("scheduler after restart = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("scheduler job %s = %q, want %q", k, got[k], v)
		}
	}
}
