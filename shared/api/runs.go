package api

import (
	"context"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// Run operations (docs/api.md "Runs"): cancel, re-run, the run's log, its
// rejected rows as a file, and the ETL dashboard.

func (s *server) cancelRun(ctx context.Context, c *call) (any, error) {
	run, err := s.ETL.CancelRun(ctx, c.tenant(), c.path("id"))
	return run.Public(), err
}

func (s *server) retryRun(ctx context.Context, c *call) (any, error) {
	run, err := s.ETL.RetryRun(ctx, c.tenant(), c.path("id"))
	return run.Public(), err
}

func (s *server) runLogs(ctx context.Context, c *call) (any, error) {
	return s.ETL.RunLogs(ctx, c.tenant(), c.path("id"))
}

// downloadRejects streams a run's whole rejects file (?format=csv|jsonl).
func (s *server) downloadRejects(ctx context.Context, c *call) (any, error) {
	f, err := s.ETL.OpenRejects(ctx, c.tenant(), c.path("id"), etl.RejectsFormat(c.query("format")))
	if err != nil {
		return nil, err
	}
	return download{name: f.Name, contentType: f.ContentType, body: f, idle: s.Limits.StreamIdleTimeout}, nil
}

// etlDashboard answers the ETL dashboard over the last ?days= days.
func (s *server) etlDashboard(ctx context.Context, c *call) (any, error) {
	days, err := queryIntIn(c.r, "days", etl.DefaultDashboardDays, 1, etl.MaxDashboardDays)
	if err != nil {
		return nil, err
	}
	return s.ETL.Dashboard(ctx, c.tenant(), days)
}
