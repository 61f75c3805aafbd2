package etl

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Dashboard windows, in days (GET /api/etl/dashboard?days=).
const (
	DefaultDashboardDays = 30
	MaxDashboardDays     = 365
)

// RunStats are the numbers of a set of finished runs.
type RunStats struct {
	// Runs counts the runs that finished in the window: Succeeded
	// (completed or partial, skipped ones included), Failed, Cancelled.
	Runs      int `json:"runs"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	// SuccessRate is Succeeded / (Succeeded + Failed), from 0 to 1;
	// null when no run succeeded or failed (cancelled runs do not count).
	SuccessRate *float64 `json:"success_rate"`
	RowsLoaded  int64    `json:"rows_loaded"`
	// MeanDurationSeconds is the mean duration of the runs that started
	// (a run cancelled while pending has none); 0 when none did.
	MeanDurationSeconds float64 `json:"mean_duration_seconds"`
	// FailuresByErrorType counts the failed runs by the phase they failed
	// in (init, validation, extraction, load, unknown).
	FailuresByErrorType map[Phase]int `json:"failures_by_error_type"`

	durations, started float64
}

// JobStats are one job's numbers in the window.
type JobStats struct {
	JobID   string `json:"job_id"`
	JobName string `json:"job_name"`
	RunStats
}

// Dashboard is the ETL dashboard over the last Days days
// (GET /api/etl/dashboard): the numbers of the runs that finished in
// [WindowStart, WindowEnd], in all and per job (most runs first).
type Dashboard struct {
	Days        int       `json:"days"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	RunStats
	Jobs []JobStats `json:"jobs"`
}

// Dashboard computes the dashboard of the tenant's runs that finished
// in the last days days (1 to MaxDashboardDays) ending now (whole
// seconds, UTC), from one query bounded by completion time (finishedIn).
func (s *Service) Dashboard(ctx context.Context, tenant string, days int) (Dashboard, error) {
	const op errs.Op = "etl.Dashboard"
	if days < 1 || days > MaxDashboardDays {
		return Dashboard{}, errs.Fieldf(errs.Invalid, "days", "the dashboard covers 1 to %d days, not %d", MaxDashboardDays, days)
	}
	end := s.nowUTC().Truncate(time.Second)
	d := Dashboard{Days: days, WindowStart: end.AddDate(0, 0, -days), WindowEnd: end, RunStats: newRunStats(), Jobs: []JobStats{}}
	runs, err := s.finishedIn(ctx, tenant, d.WindowStart, d.WindowEnd)
	if err != nil {
		return Dashboard{}, errs.At(op, err)
	}
	byJob := map[string]*JobStats{}
	for _, r := range runs {
		d.add(r)
		j := byJob[r.JobID]
		if j == nil {
			j = &JobStats{JobID: r.JobID, JobName: r.JobName, RunStats: newRunStats()}
			byJob[r.JobID] = j
		}
		j.add(r)
	}
	d.done()
	for _, j := range byJob {
		j.done()
		d.Jobs = append(d.Jobs, *j)
	}
	slices.SortFunc(d.Jobs, func(a, b JobStats) int {
		if a.Runs != b.Runs {
			return b.Runs - a.Runs
		}
		return cmp.Compare(a.JobName, b.JobName)
	})
	return d, nil
}

func newRunStats() RunStats { return RunStats{FailuresByErrorType: map[Phase]int{}} }

// add counts a finished run.
func (st *RunStats) add(r Run) {
	st.Runs++
	switch r.Status {
	case StatusCompleted, StatusPartial:
		st.Succeeded++
	case StatusFailed:
		st.Failed++
		phase := r.ErrorType
		if phase == "" {
			phase = PhaseUnknown
		}
		st.FailuresByErrorType[phase]++
	case StatusCancelled:
		st.Cancelled++
	}
	st.RowsLoaded += r.RowsLoaded
	if r.StartedAt != nil {
		st.durations += r.DurationSeconds
		st.started++
	}
}

// done computes the rates and means from the counts.
func (st *RunStats) done() {
	if n := st.Succeeded + st.Failed; n > 0 {
		rate := float64(st.Succeeded) / float64(n)
		st.SuccessRate = &rate
	}
	if st.started > 0 {
		st.MeanDurationSeconds = st.durations / st.started
	}
}
