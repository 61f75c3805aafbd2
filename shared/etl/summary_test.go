package etl_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// The summary counts over a real window on every docstore the platform
// runs on: runs finished inside it (both ends included) by outcome, runs
// finished before it not at all, runs not finished whenever they started,
// other tenants' runs never.
func TestSummarizeRuns(t *testing.T) {
	for name, open := range configStores("summary") {
		t.Run(name, func(t *testing.T) { testSummarizeRuns(t, open(t)) })
	}
}

// configStores opens an empty config store on every docstore the
// platform runs on (the Firestore emulator's project named after what).
func configStores(what string) map[string]func(t *testing.T) *docstore.Store {
	return map[string]func(t *testing.T) *docstore.Store{
		"mem": func(*testing.T) *docstore.Store { return docstore.NewStore(memdoc.New()) },
		"sqlite": func(t *testing.T) *docstore.Store {
			return openStore(t, "sqlite://"+filepath.Join(t.TempDir(), "config.db"))
		},
		"firestore emulator": func(t *testing.T) *docstore.Store {
			testenv.Require(t, testenv.Firestore)
			return openStore(t, fmt.Sprintf("firestore://b2b-etl-%s-%d", what, time.Now().UnixNano()))
		},
	}
}

func openStore(t *testing.T, rawURL string) *docstore.Store {
	t.Helper()
	s, err := docstore.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testSummarizeRuns(t *testing.T, store *docstore.Store) {
	ctx := context.Background()
	// Now is half a second past the hour: the window ends on the whole
	// second before.
	now := time.Date(2026, 12, 7, 12, 0, 0, 500_000_000, time.UTC)
	end := now.Truncate(time.Second)
	svc := etl.New(store, nil, nil, nil, etl.WithClock(func() time.Time { return now }))
	type run struct {
		tenant           string
		status           etl.RunStatus
		finished         time.Duration // before now; 0: not finished
		loaded, rejected int64
		created          time.Duration // before now
	}
	runs := []run{
		{tenant, etl.StatusCompleted, time.Hour, 100, 0, time.Hour + time.Minute},
		{tenant, etl.StatusPartial, 2 * time.Hour, 50, 5, 2 * time.Hour},
		{tenant, etl.StatusFailed, 3 * time.Hour, 0, 7, 3 * time.Hour},
		{tenant, etl.StatusCancelled, 23*time.Hour + 59*time.Minute, 0, 0, 24 * time.Hour},
		{tenant, etl.StatusCompleted, 0, 10, 0, 0}, // finished exactly at the window's start: set below
		{tenant, etl.StatusCompleted, 0, 1, 0, 0},  // one second before the window: set below
		{tenant, etl.StatusCompleted, 25 * time.Hour, 1000, 0, 25 * time.Hour},
		{tenant, etl.StatusFailed, 30 * time.Hour, 0, 3, 30 * time.Hour},
		{tenant, etl.StatusRunning, 0, 0, 0, 40 * 24 * time.Hour}, // started long before any window: active
		{tenant, etl.StatusPending, 0, 0, 0, time.Minute},
		{"globex", etl.StatusCompleted, time.Hour, 999, 99, time.Hour},
		{"globex", etl.StatusRunning, 0, 0, 0, time.Hour},
	}
	for i, r := range runs {
		doc := etl.Run{ID: fmt.Sprintf("r_%02d", i), Tenant: r.tenant, JobID: "j_1", Status: r.status,
			CreatedAt: now.Add(-r.created), RowsLoaded: r.loaded, RowsRejected: r.rejected}
		var done time.Time
		switch {
		case i == 4:
			done = end.Add(-24 * time.Hour)
		case i == 5:
			done = end.Add(-24*time.Hour - time.Second)
		case r.finished > 0:
			done = now.Add(-r.finished)
		}
		if !done.IsZero() {
			doc.CompletedAt = &done
		}
		if _, err := docstore.Put(ctx, store, docstore.Key{Tenant: r.tenant, Kind: etl.KindRun, ID: doc.ID}, doc, docstore.Any); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		hours int
		want  etl.RunsSummary
	}{
		{24, etl.RunsSummary{Active: 2, Completed: 4, Failed: 1, RowsLoaded: 160, RowsRejected: 12}},
		{48, etl.RunsSummary{Active: 2, Completed: 6, Failed: 2, RowsLoaded: 1161, RowsRejected: 15}},
		{1, etl.RunsSummary{Active: 2, Completed: 1, Failed: 0, RowsLoaded: 100, RowsRejected: 0}},
	}
	for _, c := range cases {
		got, err := svc.SummarizeRuns(ctx, tenant, time.Duration(c.hours)*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c.want.WindowEnd, c.want.WindowStart = end, end.Add(-time.Duration(c.hours)*time.Hour)
		if got != c.want {
			t.Errorf("%d hours = %+v\nwant %+v", c.hours, got, c.want)
		}
	}
	for _, bad := range []time.Duration{0, -time.Hour, etl.MaxSummaryWindow + time.Hour} {
		if _, err := svc.SummarizeRuns(ctx, tenant, bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("window %s: err = %v, want invalid", bad, err)
		}
	}
}
