package etl

import (
	"context"
	"slices"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// MaxSummaryWindow is the longest window SummarizeRuns accepts (30 days).
const MaxSummaryWindow = 720 * time.Hour

// RunsSummary counts a tenant's runs over a window [WindowStart,
// WindowEnd] ending now (GET /api/runs/summary).
type RunsSummary struct {
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
	// Active counts the runs not finished now, whenever they started.
	Active int `json:"active"`
	// Completed counts the runs that finished in the window with a
	// status other than failed (completed, partial, cancelled);
	// Failed those that failed in it.
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	// RowsLoaded and RowsRejected are summed over the runs that finished
	// in the window.
	RowsLoaded   int64 `json:"rowsLoaded"`
	RowsRejected int64 `json:"rowsRejected"`
}

// SummarizeRuns counts the tenant's runs over the window of the given
// length ending now (whole seconds, UTC). It reads the runs that finished
// in the window (a query bounded by their completion time) and the runs
// that have not finished; window must be positive and at most
// MaxSummaryWindow.
func (s *Service) SummarizeRuns(ctx context.Context, tenant string, window time.Duration) (RunsSummary, error) {
	const op errs.Op = "etl.SummarizeRuns"
	if window <= 0 || window > MaxSummaryWindow {
		return RunsSummary{}, errs.E(errs.Invalid, "etl: summary window %s is outside (0, %s]", window, MaxSummaryWindow)
	}
	end := s.nowUTC().Truncate(time.Second)
	sum := RunsSummary{WindowStart: end.Add(-window), WindowEnd: end}
	finished, err := s.finishedIn(ctx, tenant, sum.WindowStart, sum.WindowEnd)
	if err != nil {
		return RunsSummary{}, errs.At(op, err)
	}
	for _, r := range finished {
		if r.Status == StatusFailed {
			sum.Failed++
		} else {
			sum.Completed++
		}
		sum.RowsLoaded += r.RowsLoaded
		sum.RowsRejected += r.RowsRejected
	}
	for _, status := range []string{string(StatusPending), string(StatusRunning)} {
		active, err := docstore.List[Run](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindRun,
			Filters: []docstore.Filter{{Field: "status", Op: docstore.Eq, Value: status}}})
		if err != nil {
			return RunsSummary{}, errs.At(op, err)
		}
		sum.Active += len(active)
	}
	return sum, nil
}

// finishedIn lists the tenant's runs that finished in [start, end]: one
// query bounded by their completion time (an index on completed_at), so
// its cost follows the runs in the window, not all the tenant's runs.
func (s *Service) finishedIn(ctx context.Context, tenant string, start, end time.Time) ([]Run, error) {
	runs, err := docstore.List[Run](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindRun, Filters: []docstore.Filter{
		{Field: "completed_at", Op: docstore.Ge, Value: start},
		{Field: "completed_at", Op: docstore.Le, Value: end},
	}})
	if err != nil {
		return nil, err
	}
	// A completion time without a terminal status is not a finished run.
	return slices.DeleteFunc(runs, func(r Run) bool { return !r.Terminal() }), nil
}
