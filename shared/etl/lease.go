package etl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// The run lifecycle.
//
// A delivery works on a run only while it holds the run's lease
// (LeaseOwner, LeaseUntil): claiming it counts an attempt (Attempts for
// the extract half, LoadAttempts for the load half) in the same write, so
// an attempt is on record before any work starts. While the work runs, a
// heartbeat renews the lease every third of its length; a delivery that
// finds the lease taken by another stops. A run handed back (released)
// keeps a deadline in LeaseUntil, a lease's length from then, by which a
// delivery should have taken it again.
//
// A worker that dies (out of memory, killed, timed out) leaves its lease
// to expire. The next delivery of the run, or the sweeper, finds the
// lease expired: with attempts left the run is tried again; with its
// attempts spent it fails with a message, before any work, so a file that
// kills its worker cannot do so again and again.

// errBusy: another delivery holds the run; retry later.
var errBusy = errs.E(errs.Conflict, "etl: the run is being processed by another delivery")

// errLeaseLost: another delivery (or the sweeper) took the run over while
// this one worked on it; this one stops and leaves the run to it.
var errLeaseLost = errs.E(errs.Conflict, "etl: another delivery took the run over")

// errLeaseDone: the work handed the run back itself; nothing to renew.
var errLeaseDone = errors.New("lease handed back")

// errAttemptsSpent: every attempt of the run began and none finished.
var errAttemptsSpent = errors.New("attempts spent")

// newLeaseToken names one handler invocation.
func newLeaseToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// claim takes the run's lease for token, or fails with errBusy while
// another live delivery holds it.
func (s *Service) claim(r *Run, token string) error {
	now := s.nowUTC()
	if r.LeaseOwner != "" && r.LeaseOwner != token && r.LeaseUntil != nil && now.Before(*r.LeaseUntil) {
		return errBusy
	}
	r.LeaseOwner = token
	r.LeaseUntil = ptr(now.Add(s.leaseTTL))
	return nil
}

// renew extends the lease if token still holds it.
func (s *Service) renew(r *Run, token string) {
	if r.LeaseOwner == token {
		r.LeaseUntil = ptr(s.nowUTC().Add(s.leaseTTL))
	}
}

// release hands the run back: no delivery holds it, and if none has taken
// it again a lease's length from now, the sweeper requests it again.
func (s *Service) release(r *Run) {
	r.LeaseOwner = ""
	r.LeaseUntil = ptr(s.nowUTC().Add(s.leaseTTL))
}

// overdue reports whether no delivery is working on an unfinished run: its
// lease (or the deadline it was handed back with) has run out, or, never
// claimed, it was created a lease's length ago.
func (s *Service) overdue(r Run, now time.Time) bool {
	if r.Terminal() {
		return false
	}
	deadline := r.CreatedAt.Add(s.leaseTTL)
	if r.LeaseUntil != nil {
		deadline = *r.LeaseUntil
	}
	return now.After(deadline)
}

// attemptsSpent reports whether the half of the run that is next (extract,
// or load once extracted) has used all its attempts; a partitioned run's
// extraction never has (its partitions have attempts of their own).
func (s *Service) attemptsSpent(r Run) bool {
	if r.Stages.ExtractionCompletedAt != nil {
		return r.LoadAttempts >= s.maxAttempts
	}
	if r.Partitions != nil {
		return false // each partition counts its own (partition.go)
	}
	return r.Attempts >= s.maxAttempts
}

// stoppedPhase names, in a user's words, what the run was doing when its
// worker last stopped, and the error type of that phase.
func stoppedPhase(r Run) (errorType Phase, doing string) {
	source := "the file"
	if r.Object == nil {
		source = "the table"
	}
	switch {
	case r.Stages.LoadingStartedAt != nil || r.Stages.ExtractionCompletedAt != nil:
		return PhaseLoad, "loading the rows into the warehouse"
	case r.Stages.ExtractionStartedAt != nil:
		return PhaseExtraction, "reading " + source
	case r.Stages.InitCompletedAt != nil:
		return PhaseValidation, "checking " + source
	}
	return PhaseInit, "starting"
}

// stoppedMessage is the message of a run failed because its workers
// stopped without finishing it, attempts times.
func stoppedMessage(r Run, attempts int) string {
	_, doing := stoppedPhase(r)
	what, advice := "the file", "Check the file (its size, its longest line, its format) and upload it again; split a very large file into smaller ones."
	if r.Object == nil {
		what, advice = "the table", "Check the size of the table and run the job again."
	}
	return fmt.Sprintf("%s could not be processed after %d attempts; the worker stopped while %s and did not finish (it may have run out of memory or time). %s",
		what, attempts, doing, advice)
}

// failStopped fails a run whose attempts its workers spent without
// finishing, with a message saying so, and announces it. It leaves a run
// that finished meanwhile as it is.
func (s *Service) failStopped(ctx context.Context, tenant, runID string) error {
	var before Run
	final, err := s.finishWhen(ctx, tenant, runID, func(r *Run) bool {
		before = *r
		phase, _ := stoppedPhase(*r)
		r.Status = StatusFailed
		r.ErrorType = phase
		r.ErrorMessage = stoppedMessage(*r, s.maxAttempts)
		return true
	})
	if err != nil {
		return err
	}
	if before.ID != "" {
		s.log.ErrorContext(ctx, "etl: run failed: its attempts were spent by workers that stopped without finishing",
			"tenant", tenant, "run", runID, "attempts", before.Attempts, "load_attempts", before.LoadAttempts, "phase", final.ErrorType)
		s.releaseObject(ctx, before)
		s.cleanupParts(ctx, before)
	}
	return s.announce(ctx, final)
}

// keepAlive renews a lease every third of the lease length while work
// runs with the returned context: renew returns errLeaseLost when another
// delivery has taken the lease (the work's context is then cancelled with
// errLeaseLost as its cause, see leaseLost), errLeaseDone when the work
// handed it back itself. A renewal that fails otherwise (the store cannot
// be reached) is tried again at the next beat: the lease lasts until its
// end meanwhile. stop ends the renewals and cancels the context; call it
// when the work returns, and defer it too: a worker that panics must not
// leave a heartbeat renewing its lease (stop may be called more than once).
func (s *Service) keepAlive(ctx context.Context, runID string, renew func(context.Context) error) (work context.Context, stop func()) {
	work, cancel := context.WithCancelCause(ctx)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(max(s.leaseTTL/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-work.Done():
				return
			case <-t.C:
			}
			err := renew(work)
			switch {
			case err == nil:
			case errors.Is(err, errLeaseDone):
				return
			case errors.Is(err, errLeaseLost):
				s.log.WarnContext(ctx, "etl: the run's lease was taken by another delivery; stopping this one", "run", runID)
				cancel(errLeaseLost)
				return
			case work.Err() != nil:
				return
			default:
				s.log.WarnContext(ctx, "etl: could not renew the run's lease; trying again", "run", runID, "err", err)
			}
		}
	}()
	var once sync.Once
	return work, func() {
		once.Do(func() {
			close(done)
			<-stopped
			cancel(nil)
		})
	}
}

// leaseLost reports whether work stopped because its lease was taken.
func leaseLost(work context.Context) bool {
	return errors.Is(context.Cause(work), errLeaseLost)
}

// renewRun renews token's lease on a run.
func (s *Service) renewRun(tenant, runID, token string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := docstore.Update(ctx, s.store, docstore.Key{Tenant: tenant, Kind: KindRun, ID: runID}, func(r *Run, exists bool) error {
			switch {
			case !exists || r.Terminal():
				return errLeaseLost
			case r.LeaseOwner == "":
				return errLeaseDone
			case r.LeaseOwner != token:
				return errLeaseLost
			}
			r.LeaseUntil = ptr(s.nowUTC().Add(s.leaseTTL))
			return nil
		})
		return err
	}
}
