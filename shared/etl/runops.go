package etl

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"gocloud.dev/blob"
)

// runStart says why a run starts: its trigger, the nonce that names the
// trigger (the same nonce finds the same run) and the run it re-runs.
type runStart struct {
	trigger eventschemas.Trigger
	nonce   string
	retryOf string
	// latestOrder is Run.LatestOrder of a file run.
	latestOrder string
}

// requested is the first line of the run's log.
func (st runStart) requested(source string) string {
	if st.retryOf != "" {
		return fmt.Sprintf("re-run of run %s requested for %s", st.retryOf, source)
	}
	return fmt.Sprintf("run requested for %s (trigger: %s)", source, st.trigger)
}

// CancelRun cancels a pending or running run of the tenant: it is
// finished as cancelled at once; a delivery extracting it stops at its
// next batch (its progress finds the run finished) and nothing it staged
// is loaded. A run whose load has started cannot be cancelled (the load
// is one warehouse job that completes or leaves the table as it was), nor
// a finished one: both are errs.Conflict with a message.
func (s *Service) CancelRun(ctx context.Context, tenant, runID string) (Run, error) {
	const op errs.Op = "etl.CancelRun"
	if _, err := s.GetRun(ctx, tenant, runID); err != nil {
		return Run{}, errs.At(op, err)
	}
	var before Run
	loading := false
	final, err := s.finishWhen(ctx, tenant, runID, func(r *Run) bool {
		if r.Stages.LoadingStartedAt != nil {
			loading = true
			return false
		}
		before = *r
		r.Status = StatusCancelled
		return true
	})
	switch {
	case err != nil:
		return Run{}, errs.At(op, err)
	case loading:
		return Run{}, errs.Userf(errs.Conflict, "this run is already loading its rows into the warehouse and can no longer be cancelled: the load completes, or fails leaving the table as it was")
	case before.ID == "":
		return Run{}, errs.Userf(errs.Conflict, "this run has already finished (%s): only a pending or running run can be cancelled", final.Status)
	}
	s.log.InfoContext(ctx, "etl: run cancelled", "tenant", tenant, "run", runID, "was", before.Status)
	s.removeStaged(ctx, before)
	return final, errs.At(op, s.announce(ctx, final))
}

// RetryRun re-runs a finished run of the tenant as a new run (trigger
// retry, RetryOf the old run): a file run reads the same version of the
// same object again (skipped as unchanged when that content is loaded
// already, superseded when a newer version exists); a database run runs
// its job again from the job's state. A run that has not finished is
// errs.Conflict, a paused job errs.Invalid.
func (s *Service) RetryRun(ctx context.Context, tenant, runID string) (Run, error) {
	const op errs.Op = "etl.RetryRun"
	old, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return Run{}, errs.At(op, err)
	}
	if !old.Terminal() {
		return Run{}, errs.Userf(errs.Conflict, "this run has not finished yet (%s): wait for it, or cancel it, before running it again", old.Status)
	}
	job, err := s.GetJob(ctx, tenant, old.JobID)
	if errs.Is(err, errs.NotFound) {
		return Run{}, errs.Explain(errs.At(op, err), "the job of this run has been deleted, so the run cannot be run again")
	}
	if err != nil {
		return Run{}, errs.At(op, err)
	}
	if err := runnable(job); err != nil {
		return Run{}, err
	}
	st := runStart{trigger: eventschemas.TriggerRetry, nonce: "retry@" + old.ID + "@" + s.nowUTC().Format(time.RFC3339Nano), retryOf: old.ID, latestOrder: old.LatestOrder}
	var run Run
	switch {
	case job.SourceType == SourceDatabase:
		run, err = s.startDBRun(ctx, tenant, job, st, false)
	case old.Object != nil:
		run, err = s.startFileRun(ctx, tenant, job, *old.Object, st)
	default:
		return Run{}, errs.Userf(errs.Invalid, "this run read no file, so there is nothing to run again: run its job instead")
	}
	return run, errs.At(op, err)
}

// removeStaged removes what a run that will not load staged: its parts
// (best effort: the staging bucket's lifecycle rule removes what is left).
func (s *Service) removeStaged(ctx context.Context, run Run) {
	b, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err != nil {
		return
	}
	it := b.List(&blob.ListOptions{Prefix: runPrefix(run.ID)})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return
		}
		if err != nil {
			s.log.WarnContext(ctx, "etl: could not list the run's staged parts", "run", run.ID, "err", err)
			return
		}
		if err := b.Delete(ctx, obj.Key); err != nil && !errs.Is(err, errs.NotFound) {
			s.log.WarnContext(ctx, "etl: could not remove staged part", "run", run.ID, "part", obj.Key, "err", err)
		}
	}
}
