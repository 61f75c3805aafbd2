package etl

import (
	"context"
	"errors"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
)

// HandleLoadRequested loads a run's staged parts into the warehouse in one
// load job, then records the file in the ledger and completes the run in one
// transaction. Before loading it asks the warehouse whether rows of this run
// are already there (the lineage column), so a redelivered request or a
// retry after a crash between load and bookkeeping never loads twice.
func (s *Service) HandleLoadRequested(ctx context.Context, e events.Event) (err error) {
	defer func() { err = errs.At("etl.HandleLoadRequested", err) }()
	req, err := eventschemas.Decode[eventschemas.LoadRequested](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	return s.loadRun(ctx, req.Tenant, req.RunID)
}

// loadRun loads a run's staged parts and completes the run.
func (s *Service) loadRun(ctx context.Context, tenant, runID string) error {
	run, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return err
	}
	if run.Terminal() {
		return s.announce(ctx, run) // a redelivery: see HandleRunRequested
	}
	out, err := s.load(ctx, run)
	if err == nil && out == skipped {
		s.cleanupParts(ctx, run)
		final, gerr := s.GetRun(ctx, tenant, runID)
		if gerr != nil {
			return gerr
		}
		return s.announce(ctx, final)
	}
	switch {
	case errors.Is(err, errAttemptsSpent):
		return s.failStopped(ctx, tenant, runID)
	case errors.Is(err, errLeaseLost):
		// The delivery that took the run over (it holds the file's
		// loading lease too, under the same run) finishes it.
		s.log.InfoContext(ctx, "etl: run taken over by another delivery; this one stops", "tenant", tenant, "run", runID)
		return nil
	case errors.Is(err, errObjectBusy):
		// This attempt did not start: hand the run back, attempt and
		// all, so the retry (or the sweeper) can claim it.
		if _, rerr := s.stamp(ctx, tenant, runID, func(r *Run) {
			s.release(r)
			r.LoadAttempts = max(r.LoadAttempts-1, 0)
		}); rerr != nil && !errors.Is(rerr, errAlreadyFinished) {
			s.log.WarnContext(ctx, "etl: could not release the run's lease", "run", runID, "err", rerr)
		}
		return err
	}
	if err != nil {
		if !errors.Is(err, errBusy) {
			s.releaseObject(ctx, run)
		}
		run, _ = s.GetRun(ctx, tenant, runID)
		if errors.Is(err, errAlreadyFinished) || run.Terminal() {
			return nil // another delivery finished the run
		}
		if errors.Is(err, errBusy) || errors.Is(err, errObjectBusy) {
			return err // another delivery is loading it: retry later
		}
		return s.failOrRetry(ctx, run, err)
	}
	final, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return err
	}
	s.finished(ctx, final)
	s.cleanupParts(ctx, run)
	return s.announce(ctx, final)
}
