package etl

import (
	"context"
	"errors"
	"fmt"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// HandleRunRequested runs the extract half of a run: it stages the object
// as Parquet parts (and the rejected rows as a JSONL file) and requests the
// load. Bad input fails the run with a message and is not retried;
// transient errors are retried by the bus, up to the run's attempts (see
// lease.go for how a run whose workers keep stopping ends). A request
// without a run (a schedule tick, a manual trigger) starts the job's runs.
func (s *Service) HandleRunRequested(ctx context.Context, e events.Event) (err error) {
	defer func() { err = errs.At("etl.HandleRunRequested", err) }()
	req, err := eventschemas.Decode[eventschemas.RunRequested](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	if req.RunID == "" {
		return s.startRequested(ctx, e, req)
	}
	token := newLeaseToken()
	run, err := s.claimExtract(ctx, req.Tenant, req.RunID, token)
	if errors.Is(err, errAttemptsSpent) {
		return s.failStopped(ctx, req.Tenant, req.RunID)
	}
	if err != nil {
		return err
	}
	if run.Terminal() {
		// A redelivery: the run finished, but the delivery that finished
		// it may have died before announcing. The announcement keeps its
		// event id, so subscribers see the same event again, not a new one.
		return s.announce(ctx, run)
	}
	if run.Stages.ExtractionCompletedAt != nil {
		// Extracted before; the load request may have been lost.
		return s.requestLoad(ctx, run)
	}
	if run.Partitions != nil {
		// Planned as partitions before: their deliveries extract it.
		return s.resumePartitions(ctx, run)
	}
	s.runLog(ctx, run, LogInfo, PhaseInit, fmt.Sprintf("attempt %d of %d started", run.Attempts, s.maxAttempts), nil)
	work, stop := s.keepAlive(ctx, run.ID, s.renewRun(run.Tenant, run.ID, token))
	defer stop()
	out, err := s.extract(work, &run, token)
	stop()
	switch {
	case err != nil && leaseLost(work):
		s.log.InfoContext(ctx, "etl: run taken over by another delivery; this one stops", "tenant", run.Tenant, "run", run.ID)
		return nil
	case err == nil && out == skipped:
		return s.announce(ctx, run)
	case err == nil && out == fannedOut:
		return nil
	case err == nil && len(run.Parts) == 0:
		// Nothing staged: loadRun books the run and handles its own errors.
		return s.loadRun(ctx, run.Tenant, run.ID)
	case err == nil:
		err = inPhase(PhaseLoad, s.requestLoad(ctx, run))
	}
	if errors.Is(err, errAlreadyFinished) {
		// Finished meanwhile (cancelled): nothing of this attempt loads.
		s.removeStaged(ctx, run)
		return nil
	}
	if err == nil {
		return nil
	}
	return s.failOrRetry(ctx, run, err)
}

// startRequested starts the runs a request without a run asks for: one
// per matching object of a file job that is new or changed, or one of a
// database job.
func (s *Service) startRequested(ctx context.Context, e events.Event, req eventschemas.RunRequested) error {
	key := e.ID()
	if k, ok := scheduler.FireKey(e); ok {
		key = k // Cloud Scheduler reuses one event id for every fire
	}
	_, err := s.triggerJob(ctx, req.Tenant, req.JobID, req.Trigger, string(req.Trigger)+"@"+key, req.Trigger == eventschemas.TriggerSchedule)
	if errs.Is(err, errs.NotFound) {
		// Nothing to load (no file yet) or a job deleted under its
		// schedule: a normal outcome of a tick, not a failure.
		s.log.InfoContext(ctx, "etl: triggered job has nothing to run", "tenant", req.Tenant, "job", req.JobID, "reason", err)
		return nil
	}
	return err
}

// claimExtract takes the run's lease for token and counts an attempt of
// its extract half, unless the run has finished, been extracted or been
// planned as partitions (it is returned as stored then);
// errAttemptsSpent when every attempt began and none finished.
func (s *Service) claimExtract(ctx context.Context, tenant, runID, token string) (Run, error) {
	return docstore.Update(ctx, s.store, docstore.Key{Tenant: tenant, Kind: KindRun, ID: runID}, func(r *Run, exists bool) error {
		if !exists {
			return errs.E(errs.NotFound, "etl: run %s not found", runID)
		}
		if r.Terminal() || r.Stages.ExtractionCompletedAt != nil || r.Partitions != nil {
			return nil // a partitioned run's partitions hold their own leases
		}
		if err := s.claim(r, token); err != nil {
			return err
		}
		if r.Attempts >= s.maxAttempts {
			// Every attempt began and none finished (a failed one would
			// have failed the run): the workers stopped on this run.
			return errAttemptsSpent
		}
		if r.StartedAt == nil {
			r.StartedAt = ptr(s.nowUTC())
		}
		r.Status = StatusRunning
		r.Attempts++
		r.Progress = Progress{Phase: PhaseInit}
		return nil
	})
}

func (s *Service) requestLoad(ctx context.Context, run Run) error {
	if len(run.Parts) == 0 {
		// Nothing staged (a file with a header and no rows): there is
		// nothing to load, so book the run here.
		return s.loadRun(ctx, run.Tenant, run.ID)
	}
	return s.publish(ctx, eventschemas.TopicLoadRequested, eventschemas.TypeLoadRequested, run.ID,
		eventschemas.LoadRequested{Tenant: run.Tenant, RunID: run.ID, JobID: run.JobID, Parts: s.partURLs(run)})
}
