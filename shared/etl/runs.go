package etl

import (
	"context"
	"errors"
	"fmt"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// GetRun returns a run of the tenant.
func (s *Service) GetRun(ctx context.Context, tenant, id string) (Run, error) {
	r, _, err := docstore.Get[Run](ctx, s.store, docstore.Key{Tenant: tenant, Kind: KindRun, ID: id})
	if errs.Is(err, errs.NotFound) {
		err = errs.Explain(err, "there is no such run (it may have been deleted)")
	}
	return r, err
}

// RunFilter narrows ListRuns.
type RunFilter struct {
	JobID string
	// Status "" is any status; another value than the run statuses is
	// errs.Invalid (field "status").
	Status RunStatus
	Limit  int
}

// ListRuns lists a tenant's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, tenant string, f RunFilter) ([]Run, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, errs.Fieldf(errs.Invalid, "status", "%q is not a run status (one of %s)", f.Status, joinStatuses())
	}
	q := docstore.Query{Tenant: tenant, Kind: KindRun, OrderBy: "created_at", Desc: true, Limit: f.Limit}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 50
	}
	if f.JobID != "" {
		q.Filters = append(q.Filters, docstore.Filter{Field: "job_id", Op: docstore.Eq, Value: f.JobID})
	}
	if f.Status != "" {
		q.Filters = append(q.Filters, docstore.Filter{Field: "status", Op: docstore.Eq, Value: string(f.Status)})
	}
	return docstore.List[Run](ctx, s.store, q)
}

// hasRuns reports whether the job has a run (in status, when not empty).
func (s *Service) hasRuns(ctx context.Context, tenant, jobID string, status RunStatus) (bool, error) {
	runs, err := s.ListRuns(ctx, tenant, RunFilter{JobID: jobID, Status: status, Limit: 1})
	return len(runs) > 0, err
}

// phaseError carries the phase a run failed in.
type phaseError struct {
	phase Phase
	err   error
}

func (p *phaseError) Error() string { return p.err.Error() }

func (p *phaseError) Unwrap() error { return p.err }

func inPhase(phase Phase, err error) error {
	if err == nil {
		return nil
	}
	return &phaseError{phase: phase, err: err}
}

// failOrRetry records a failed attempt: permanent errors and the last
// attempt fail the run (and the event is acknowledged); other errors are
// returned so the bus retries.
func (s *Service) failOrRetry(ctx context.Context, run Run, err error) error {
	phase := PhaseUnknown
	if pe := (*phaseError)(nil); errors.As(err, &pe) {
		phase = pe.phase
	}
	attempts := run.Attempts
	if run.Stages.LoadingStartedAt != nil {
		attempts = run.LoadAttempts
	}
	if errs.Retryable(err) && attempts < s.maxAttempts {
		s.log.WarnContext(ctx, "etl: run attempt failed, will retry", "tenant", run.Tenant, "run", run.ID, "attempt", attempts, "phase", phase, "err", err)
		s.runLog(ctx, run, LogWarn, phase, fmt.Sprintf("attempt %d of %d failed and will be tried again: %s", attempts, s.maxAttempts, runMessage(phase, err)), nil)
		// Hand the run back so the retry can claim it.
		if _, rerr := s.stamp(ctx, run.Tenant, run.ID, s.release); rerr != nil && !errors.Is(rerr, errAlreadyFinished) {
			s.log.WarnContext(ctx, "etl: could not release the run's lease", "run", run.ID, "err", rerr)
		}
		return err
	}
	s.log.ErrorContext(ctx, "etl: run failed", "tenant", run.Tenant, "run", run.ID, "phase", phase, "err", err)
	final, uerr := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Status = StatusFailed
		r.ErrorType = phase
		r.ErrorMessage = runMessage(phase, err) // the cause stays in the log line above
	})
	if uerr != nil {
		return uerr
	}
	return s.announce(ctx, final)
}

// runMessage is what a run shows for err: its message for users, and where
// no code wrote one, the step that failed and the kind's plain sentence
// (the technical cause is in the log, never on the run).
func runMessage(phase Phase, err error) string {
	if errs.HasUserMessage(err) {
		return errs.UserMessage(err)
	}
	step := map[Phase]string{
		PhaseInit: "the run could not start", PhaseValidation: "the file could not be checked",
		PhaseExtraction: "the file could not be read", PhaseLoad: "the rows could not be loaded into the warehouse",
	}[phase]
	if step == "" {
		step = "the run failed"
	}
	return step + ": " + errs.UserMessage(err)
}

// stamp updates the run record.
func (s *Service) stamp(ctx context.Context, tenant, id string, fn func(r *Run)) (Run, error) {
	return docstore.Update(ctx, s.store, docstore.Key{Tenant: tenant, Kind: KindRun, ID: id}, func(r *Run, exists bool) error {
		if !exists {
			return errs.E(errs.NotFound, "etl: run %s not found", id)
		}
		if r.Terminal() {
			return errAlreadyFinished
		}
		fn(r)
		return nil
	})
}

// errAlreadyFinished stops a handler working on a run that another delivery
// of the same event has finished meanwhile; the handler acknowledges.
var errAlreadyFinished = errs.E(errs.Conflict, "etl: run already finished")

// finish moves a run to a terminal state and updates its job's last run.
func (s *Service) finish(ctx context.Context, tenant, id string, fn func(r *Run)) (Run, error) {
	return s.finishWhen(ctx, tenant, id, func(r *Run) bool { fn(r); return true })
}

// finishWhen is finish for a change decided on the run as stored: fn
// returns false to leave the run as it is (out is then the run unchanged).
func (s *Service) finishWhen(ctx context.Context, tenant, id string, fn func(r *Run) bool) (Run, error) {
	var out Run
	finished := false
	err := s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		finished = false
		rkey := docstore.Key{Tenant: tenant, Kind: KindRun, ID: id}
		r, ver, err := docstore.Get[Run](ctx, tx, rkey)
		if err != nil {
			return err
		}
		if r.Terminal() { // finished by another delivery: keep its outcome
			out = r
			return nil
		}
		if !fn(&r) {
			out = r
			return nil
		}
		jkey := docstore.Key{Tenant: tenant, Kind: KindJob, ID: r.JobID}
		job, jver, err := docstore.Get[Job](ctx, tx, jkey)
		if err != nil {
			return err
		}
		s.complete(&r)
		job.LastRun = &RunSummary{ID: r.ID, Status: r.Status, CompletedAt: r.CompletedAt}
		if _, err := docstore.Put(ctx, tx, rkey, r, docstore.IfVersion(ver)); err != nil {
			return err
		}
		if _, err := docstore.Put(ctx, tx, jkey, job, docstore.IfVersion(jver)); err != nil {
			return err
		}
		out, finished = r, true
		return nil
	})
	if err == nil && finished {
		s.finished(ctx, out)
	}
	return out, err
}

// finished follows a run's move to a terminal status, wherever it
// happened: it writes the outcome to the run's log and removes a rejects
// file the run does not keep (a cancelled run's, or a failed attempt's
// that a later attempt did not replace). Best effort.
func (s *Service) finished(ctx context.Context, r Run) {
	s.logFinished(ctx, r)
	if r.RejectsObject != "" || s.res == nil {
		return
	}
	b, err := s.res.Bucket(ctx, r.Tenant, BucketStaging)
	if err != nil {
		return
	}
	if err := b.Delete(ctx, rejectsKey(r.ID)); err != nil && blobstore.KindOf(err) != errs.NotFound {
		s.log.WarnContext(ctx, "etl: could not remove a rejects file the run does not keep", "run", r.ID, "err", err)
	}
}

// logFinished writes the last line of a finished run's log: its outcome.
func (s *Service) logFinished(ctx context.Context, r Run) {
	level, msg := LogInfo, ""
	switch {
	case r.SkippedReason != "":
		msg = "skipped: " + r.SkippedReason
	case r.Status == StatusCompleted:
		msg = fmt.Sprintf("completed: %s loaded into %s.%s", rowsText(r.RowsLoaded), r.Dest.Dataset, r.Dest.Table)
	case r.Status == StatusPartial:
		level, msg = LogWarn, fmt.Sprintf("completed with rejected rows: %s loaded into %s.%s, %s rejected (download them from the run page)",
			rowsText(r.RowsLoaded), r.Dest.Dataset, r.Dest.Table, rowsText(r.RowsRejected))
	case r.Status == StatusCancelled:
		level, msg = LogWarn, "cancelled: nothing was loaded"
	default:
		level, msg = LogError, "failed: "+r.ErrorMessage
	}
	s.runLog(ctx, r, level, r.Progress.Phase, msg, runCounts(r))
}

// complete sets the terminal timestamps and duration.
func (s *Service) complete(r *Run) {
	now := s.nowUTC()
	r.CompletedAt = ptr(now)
	if r.StartedAt != nil {
		r.DurationSeconds = now.Sub(*r.StartedAt).Seconds()
	}
	if r.DurationSeconds > 0 {
		r.RowsPerSecond = float64(r.RowsRead) / r.DurationSeconds
	}
	r.Progress.Phase = finishedPhase(r.Status)
	r.Parts = nil
	r.LeaseOwner, r.LeaseUntil = "", nil
}

// announce publishes etl.run.finished.
func (s *Service) announce(ctx context.Context, r Run) error {
	return s.publish(ctx, eventschemas.TopicRunFinished, eventschemas.TypeRunFinished, r.ID, eventschemas.RunFinished{
		Tenant: r.Tenant, RunID: r.ID, JobID: r.JobID, Status: string(r.Status),
		RowsRead: r.RowsRead, RowsLoaded: r.RowsLoaded, RowsRejected: r.RowsRejected, Error: r.ErrorMessage,
	})
}

// outcome is how a step of a run ended that did not fail: the run goes
// on, or the step finished it as skipped (its content already loaded,
// or its version superseded) and the caller only announces it.
type outcome int

const (
	proceed outcome = iota
	skipped
	// fannedOut: the run was planned as partitions, whose deliveries
	// extract it (partition.go); the caller only acknowledges.
	fannedOut
)
