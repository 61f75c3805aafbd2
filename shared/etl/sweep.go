package etl

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// SweeperName is the name of the platform schedule that sweeps a tenant's
// runs (a scheduler job in the local cron; a Cloud Scheduler job declared
// in Terraform in the cloud).
const SweeperName = "etl-run-sweeper"

// DefaultSweepCron is how often the sweeper runs unless B2B_SWEEP_CRON
// says otherwise: every five minutes.
const DefaultSweepCron = "*/5 * * * *"

// SweepResult counts what a sweep did.
type SweepResult struct {
	// Requested runs had attempts left and were requested again.
	Requested int `json:"requested"`
	// Failed runs had spent their attempts and were failed with a message.
	Failed int `json:"failed"`
}

// sweepBatch bounds the runs of one status a sweep looks at; the next
// sweep takes the rest.
const sweepBatch = 500

// Sweep finds the tenant's unfinished runs that no delivery is working on
// (their lease, or the deadline they were handed back with, has run out):
// a run with attempts left is requested again, one whose attempts are spent
// is failed with a message. A job is thereby never blocked by a run whose
// worker died, nor a run left waiting by a request that was lost.
func (s *Service) Sweep(ctx context.Context, tenant string) (SweepResult, error) {
	var res SweepResult
	for _, status := range []RunStatus{StatusPending, StatusRunning} {
		runs, err := s.ListRuns(ctx, tenant, RunFilter{Status: status, Limit: sweepBatch})
		if err != nil {
			return res, err
		}
		for _, r := range runs {
			if !s.overdue(r, s.nowUTC()) {
				continue
			}
			requested, failed, err := s.sweepRun(ctx, r)
			if err != nil {
				return res, err
			}
			if requested {
				res.Requested++
			}
			if failed {
				res.Failed++
			}
		}
	}
	if res != (SweepResult{}) {
		s.log.InfoContext(ctx, "etl: swept runs", "tenant", tenant, "requested", res.Requested, "failed", res.Failed)
	}
	return res, nil
}

// errNotOverdue: a delivery took the run while the sweeper looked at it.
var errNotOverdue = errors.New("not overdue")

// sweepRun requests an overdue run again or fails it. Each decision is
// taken on the run as stored, so a delivery that claims the run meanwhile
// wins.
func (s *Service) sweepRun(ctx context.Context, r Run) (requested, failed bool, err error) {
	if s.attemptsSpent(r) {
		var before Run
		final, err := s.finishWhen(ctx, r.Tenant, r.ID, func(cur *Run) bool {
			if !s.overdue(*cur, s.nowUTC()) || !s.attemptsSpent(*cur) {
				return false
			}
			before = *cur
			phase, _ := stoppedPhase(*cur)
			cur.Status = StatusFailed
			cur.ErrorType = phase
			cur.ErrorMessage = stoppedMessage(*cur, s.maxAttempts)
			return true
		})
		if err != nil || before.ID == "" {
			return false, false, err
		}
		s.log.ErrorContext(ctx, "etl: run failed by the sweeper: its attempts were spent and its lease expired",
			"tenant", r.Tenant, "run", r.ID, "attempts", before.Attempts, "load_attempts", before.LoadAttempts, "phase", final.ErrorType)
		s.releaseObject(ctx, before)
		s.cleanupParts(ctx, before)
		return false, true, s.announce(ctx, final)
	}
	// Hand the run back with a fresh deadline first, so that the next
	// sweep leaves it to the request published now.
	cur, err := docstore.Update(ctx, s.store, docstore.Key{Tenant: r.Tenant, Kind: KindRun, ID: r.ID}, func(cur *Run, exists bool) error {
		if !exists || !s.overdue(*cur, s.nowUTC()) {
			return errNotOverdue
		}
		s.release(cur)
		return nil
	})
	if errors.Is(err, errNotOverdue) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	s.log.WarnContext(ctx, "etl: requesting a run again: no delivery worked on it for a lease's length",
		"tenant", r.Tenant, "run", r.ID, "status", cur.Status, "attempts", cur.Attempts, "load_attempts", cur.LoadAttempts)
	return true, false, s.requestAgain(ctx, cur)
}

// HandleSweepRequested sweeps the tenant a sweeper tick names (see Sweep).
func (s *Service) HandleSweepRequested(ctx context.Context, e events.Event) (err error) {
	defer func() { err = errs.At("etl.HandleSweepRequested", err) }()
	req, err := eventschemas.Decode[eventschemas.SweepRequested](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	_, err = s.Sweep(ctx, req.Tenant)
	return err
}

// SweeperJob is the schedule that sweeps a tenant's runs: it publishes a
// SweepRequested for the tenant on the sweep topic, on cron (UTC). The
// local platform puts it in its cron; Terraform declares the same job in
// Cloud Scheduler (terraform/modules/tenant/scheduler.tf, checked against
// this one by the HCL contract test).
func SweeperJob(tenant, cron string) (scheduler.Job, error) {
	if cron == "" {
		cron = DefaultSweepCron
	}
	data, err := json.Marshal(eventschemas.SweepRequested{Tenant: tenant})
	if err != nil {
		return scheduler.Job{}, errs.Wrap(errs.Invalid, err, "etl: sweeper data")
	}
	j := scheduler.Job{
		Tenant: tenant, Name: SweeperName, Cron: cron, TimeZone: "UTC",
		Topic: eventschemas.TopicSweepRequested, EventType: eventschemas.TypeSweepRequested, Data: data,
	}
	if _, err := scheduler.Validate(j); err != nil {
		return scheduler.Job{}, err
	}
	return j, nil
}
