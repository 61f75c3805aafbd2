package api

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/schedule"
)

// The job routes are the example to follow for a new route
// (docs/architecture.md, "Adding a domain route"): each endpoint reads
// the call, calls one method of the domain service with the caller's
// tenant, and returns what to answer; routes() in api.go lists it with its
// role and success status.

// PreviewFires is how many fire times a schedule preview lists.
const PreviewFires = 5

func (s *server) listJobs(ctx context.Context, c *call) (any, error) {
	jobs, err := s.ETL.ListJobViews(ctx, c.tenant())
	return map[string]any{"jobs": jobs}, err
}

func (s *server) getJob(ctx context.Context, c *call) (any, error) {
	return s.ETL.GetJobView(ctx, c.tenant(), c.path("id"))
}

func (s *server) createJob(ctx context.Context, c *call, in etl.NewJob) (any, error) {
	return s.ETL.CreateJob(ctx, c.tenant(), in)
}

func (s *server) updateJob(ctx context.Context, c *call, p etl.JobPatch) (any, error) {
	return s.ETL.UpdateJob(ctx, c.tenant(), c.path("id"), p)
}

func (s *server) deleteJob(ctx context.Context, c *call) (any, error) {
	return nil, s.ETL.DeleteJob(ctx, c.tenant(), c.path("id"))
}

func (s *server) pauseJob(ctx context.Context, c *call) (any, error) {
	return s.ETL.PauseJob(ctx, c.tenant(), c.path("id"))
}

func (s *server) resumeJob(ctx context.Context, c *call) (any, error) {
	return s.ETL.ResumeJob(ctx, c.tenant(), c.path("id"))
}

func (s *server) resetWatermark(ctx context.Context, c *call) (any, error) {
	return s.ETL.ResetWatermark(ctx, c.tenant(), c.path("id"))
}

func (s *server) triggerJob(ctx context.Context, c *call) (any, error) {
	runs, err := s.ETL.TriggerJob(ctx, c.tenant(), c.path("id"), eventschemas.TriggerManual)
	return map[string]any{"runs": publicRuns(runs)}, err
}

// jobSchedule answers a job's schedule and its next fire times.
func (s *server) jobSchedule(ctx context.Context, c *call) (any, error) {
	v, err := s.ETL.GetJobView(ctx, c.tenant(), c.path("id"))
	return map[string]any{"job_id": v.ID, "schedule": v.Schedule, "next_runs": v.NextRuns}, err
}

// previewSchedule converts a schedule spec for the job wizard: its cron
// expression, label and next fire times, or the field that is wrong.
func (s *server) previewSchedule(_ context.Context, _ *call, spec schedule.Spec) (any, error) {
	ps, err := schedule.Parse(spec)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"spec": ps.Spec, "cron": ps.Cron, "time_zone": ps.TimeZone, "label": ps.Label,
		"next_runs": ps.Next(time.Now(), PreviewFires),
	}, nil
}

// checkJobName answers whether a job name is available (the wizard's live
// check); job_id is the job being edited, whose own name is available.
func (s *server) checkJobName(ctx context.Context, c *call) (any, error) {
	return s.ETL.CheckJobName(ctx, c.tenant(), c.query("name"), c.query("job_id"))
}

// jobDestination answers the destination grid of a job draft.
func (s *server) jobDestination(ctx context.Context, c *call, in etl.DestinationRequest) (any, error) {
	return s.ETL.DescribeDestination(ctx, c.tenant(), in)
}
