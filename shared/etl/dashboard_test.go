package etl_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
)

// The dashboard counts the runs that finished inside the window (both
// ends included), never those before it, nor runs not finished, nor other
// tenants' runs: in all and per job, with success rates, rows, mean
// durations and failures by error type.
func TestETLDashboard(t *testing.T) {
	for name, open := range configStores("dashboard") {
		t.Run(name, func(t *testing.T) { testETLDashboard(t, open(t)) })
	}
}

func testETLDashboard(t *testing.T, store *docstore.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 500_000_000, time.UTC)
	end := now.Truncate(time.Second)
	day := 24 * time.Hour
	svc := etl.New(store, nil, nil, nil, etl.WithClock(func() time.Time { return now }))
	type run struct {
		tenant, job string
		status      etl.RunStatus
		finished    time.Time // zero: not finished
		started     bool
		duration    float64
		loaded      int64
		errorType   etl.Phase
	}
	runs := []run{
		{tenant, "j_a", etl.StatusCompleted, now.Add(-time.Hour), true, 10, 100, ""},
		{tenant, "j_a", etl.StatusPartial, now.Add(-2 * day), true, 20, 50, ""},
		{tenant, "j_a", etl.StatusFailed, now.Add(-3 * day), true, 30, 0, etl.PhaseExtraction},
		{tenant, "j_a", etl.StatusCancelled, now.Add(-4 * day), false, 0, 0, ""},         // cancelled while pending
		{tenant, "j_b", etl.StatusFailed, end.Add(-30 * day), true, 4, 0, etl.PhaseLoad}, // at the window's start
		{tenant, "j_b", etl.StatusFailed, now.Add(-5 * day), true, 6, 0, ""},             // no error type: unknown
		{tenant, "j_b", etl.StatusCompleted, end.Add(-30*day - time.Second), true, 99, 7, ""},
		{tenant, "j_c", etl.StatusCompleted, now.Add(-200 * day), true, 8, 1000, ""},
		{tenant, "j_a", etl.StatusRunning, time.Time{}, true, 0, 0, ""},
		{"globex", "j_x", etl.StatusCompleted, now.Add(-time.Hour), true, 1, 555, ""},
	}
	for i, r := range runs {
		doc := etl.Run{ID: fmt.Sprintf("r_%02d", i), Tenant: r.tenant, JobID: r.job, JobName: "Job " + r.job, Status: r.status,
			CreatedAt: now.Add(-300 * day), RowsLoaded: r.loaded, DurationSeconds: r.duration, ErrorType: r.errorType}
		if r.started {
			doc.StartedAt = &doc.CreatedAt
		}
		if !r.finished.IsZero() {
			doc.CompletedAt = &r.finished
		}
		if _, err := docstore.Put(ctx, store, docstore.Key{Tenant: r.tenant, Kind: etl.KindRun, ID: doc.ID}, doc, docstore.Any); err != nil {
			t.Fatal(err)
		}
	}
	rate := func(f float64) *float64 { return &f }
	type stats struct {
		runs, ok, failed, cancelled int
		rate                        *float64
		rows                        int64
		mean                        float64
		failures                    map[etl.Phase]int
	}
	check := func(what string, got etl.RunStats, want stats) {
		t.Helper()
		if got.Runs != want.runs || got.Succeeded != want.ok || got.Failed != want.failed || got.Cancelled != want.cancelled ||
			got.RowsLoaded != want.rows || got.MeanDurationSeconds != want.mean || fmt.Sprint(got.FailuresByErrorType) != fmt.Sprint(want.failures) ||
			fmt.Sprint(deref(got.SuccessRate)) != fmt.Sprint(deref(want.rate)) {
			t.Errorf("%s = runs %d ok %d failed %d cancelled %d rate %v rows %d mean %v failures %v\nwant %+v (rate %v)",
				what, got.Runs, got.Succeeded, got.Failed, got.Cancelled, deref(got.SuccessRate), got.RowsLoaded, got.MeanDurationSeconds, got.FailuresByErrorType, want, deref(want.rate))
		}
	}

	d, err := svc.Dashboard(ctx, tenant, 30)
	if err != nil {
		t.Fatal(err)
	}
	if d.Days != 30 || !d.WindowEnd.Equal(end) || !d.WindowStart.Equal(end.Add(-30*day)) {
		t.Errorf("window = %d days [%s, %s]", d.Days, d.WindowStart, d.WindowEnd)
	}
	check("30 days", d.RunStats, stats{6, 2, 3, 1, rate(2.0 / 5), 150, (10 + 20 + 30 + 4 + 6) / 5.0,
		map[etl.Phase]int{etl.PhaseExtraction: 1, etl.PhaseLoad: 1, etl.PhaseUnknown: 1}})
	if len(d.Jobs) != 2 || d.Jobs[0].JobID != "j_a" || d.Jobs[0].JobName != "Job j_a" || d.Jobs[1].JobID != "j_b" {
		t.Fatalf("jobs = %+v", d.Jobs)
	}
	check("30 days j_a", d.Jobs[0].RunStats, stats{4, 2, 1, 1, rate(2.0 / 3), 150, 20, map[etl.Phase]int{etl.PhaseExtraction: 1}})
	check("30 days j_b", d.Jobs[1].RunStats, stats{2, 0, 2, 0, rate(0), 0, 5, map[etl.Phase]int{etl.PhaseLoad: 1, etl.PhaseUnknown: 1}})

	d, err = svc.Dashboard(ctx, tenant, 1)
	if err != nil {
		t.Fatal(err)
	}
	check("1 day", d.RunStats, stats{1, 1, 0, 0, rate(1), 100, 10, map[etl.Phase]int{}})

	d, err = svc.Dashboard(ctx, tenant, 365)
	if err != nil {
		t.Fatal(err)
	}
	if d.Runs != 8 || len(d.Jobs) != 3 || d.RowsLoaded != 1157 {
		t.Errorf("365 days = %d runs, %d jobs, %d rows; want 8, 3, 1157", d.Runs, len(d.Jobs), d.RowsLoaded)
	}
	d, err = svc.Dashboard(ctx, "nobody", 30)
	if err != nil || d.Runs != 0 || d.SuccessRate != nil || d.Jobs == nil || len(d.Jobs) != 0 {
		t.Errorf("empty dashboard = %+v, %v; want no runs, null rate, [] jobs", d, err)
	}
	for _, bad := range []int{0, -1, 366} {
		if _, err := svc.Dashboard(ctx, tenant, bad); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "days" {
			t.Errorf("days %d: %v, want invalid naming days", bad, err)
		}
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
