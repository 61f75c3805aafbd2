package api

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// Summary windows of GET /api/runs/summary, in hours.
const (
	DefaultSummaryHours = 24
	MaxSummaryHours     = int(etl.MaxSummaryWindow / time.Hour)
)

func (s *server) listRuns(ctx context.Context, c *call) (any, error) {
	limit, err := queryInt(c.r, "limit", 50, 500)
	if err != nil {
		return nil, err
	}
	runs, err := s.ETL.ListRuns(ctx, c.tenant(), etl.RunFilter{JobID: c.query("job_id"), Status: etl.RunStatus(c.query("status")), Limit: limit})
	return map[string]any{"runs": publicRuns(runs)}, err
}

// runsSummary counts the caller's runs over the last ?hours= hours
// (etl.Service.SummarizeRuns).
func (s *server) runsSummary(ctx context.Context, c *call) (any, error) {
	hours, err := queryIntIn(c.r, "hours", DefaultSummaryHours, 1, MaxSummaryHours)
	if err != nil {
		return nil, err
	}
	return s.ETL.SummarizeRuns(ctx, c.tenant(), time.Duration(hours)*time.Hour)
}

func (s *server) getRun(ctx context.Context, c *call) (any, error) {
	run, err := s.ETL.GetRun(ctx, c.tenant(), c.path("id"))
	return run.Public(), err
}

// runRejects answers the first rejected rows of a run.
func (s *server) runRejects(ctx context.Context, c *call) (any, error) {
	limit, err := queryInt(c.r, "limit", 100, 10_000)
	if err != nil {
		return nil, err
	}
	rejects, total, err := s.ETL.RunRejects(ctx, c.tenant(), c.path("id"), limit)
	return map[string]any{"rejects": rejects, "total": total}, err
}

// publicRuns is runs as the API shows them (never null).
func publicRuns(runs []etl.Run) []etl.Run {
	out := make([]etl.Run, len(runs))
	for i, r := range runs {
		out[i] = r.Public()
	}
	return out
}
