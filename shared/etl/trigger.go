package etl

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// TriggerJob starts a new run for every object the file job claims in the
// tenant's drop bucket or its connection's bucket (only the newest for a
// FilesLatest job). Objects whose content is already loaded finish at
// once as skipped "unchanged", so no rows are added twice.
func (s *Service) TriggerJob(ctx context.Context, tenant, jobID string, trigger eventschemas.Trigger) ([]Run, error) {
	return s.triggerJob(ctx, tenant, jobID, trigger, string(trigger)+"@"+s.nowUTC().Format(time.RFC3339Nano), false)
}

// triggerJob is TriggerJob with the key that names this trigger: the same
// key (a redelivered schedule tick) finds the same runs instead of
// starting new ones. With onlyNew (schedule ticks, resuming a job) objects
// the ledger shows loaded at their current generation or content start no
// run at all, so an hourly tick over a hundred unchanged files does not
// book a hundred skipped runs; when nothing is new the error is NotFound.
func (s *Service) triggerJob(ctx context.Context, tenant, jobID string, trigger eventschemas.Trigger, nonce string, onlyNew bool) ([]Run, error) {
	job, err := s.GetJob(ctx, tenant, jobID)
	if err != nil {
		return nil, err
	}
	if err := runnable(job); err != nil {
		return nil, err
	}
	if job.SourceType == SourceDatabase {
		run, err := s.startDBRun(ctx, tenant, job, runStart{trigger: trigger, nonce: nonce}, onlyNew)
		if err != nil {
			return nil, err
		}
		return []Run{run}, nil
	}
	if job.SourceType != SourceFile {
		return nil, errs.E(errs.Unsupported, "etl: job %s: source type %q cannot be triggered", jobID, job.SourceType)
	}
	b, err := s.openJobBucket(ctx, tenant, job)
	if err != nil {
		return nil, err
	}
	defer b.release()
	var runs []Run
	unchanged := 0
	err = b.listFiles(ctx, job, func(f listedFile) error {
		if onlyNew {
			loaded, err := s.alreadyLoaded(ctx, tenant, job.ID, f)
			if err != nil {
				return err
			}
			if loaded {
				unchanged++
				return nil
			}
		}
		run, err := s.startFileRun(ctx, tenant, job, f.ref, runStart{trigger: trigger, nonce: nonce, latestOrder: f.latestOrder})
		if err != nil {
			return err
		}
		runs = append(runs, run)
		return nil
	})
	if err != nil {
		return runs, err
	}
	if len(runs) == 0 && unchanged > 0 {
		return nil, errs.Explain(errs.E(errs.NotFound, "etl: job %s has no new or changed file (%d already loaded)", jobID, unchanged),
			"there is no new or changed file to load (%d already loaded)", unchanged)
	}
	if len(runs) == 0 {
		where := "the drop area"
		if job.File.ConnectionID != "" {
			where = "the connection's bucket"
		}
		return nil, errs.Explain(errs.E(errs.NotFound, "etl: job %s claims no object in %s (prefix %q, pattern %q)", jobID, where, job.File.Prefix, job.File.Pattern),
			"no file in %s matches this job (folder %q, pattern %q)", where, job.File.Prefix, job.File.Pattern)
	}
	return runs, nil
}

// runnable refuses to start a run of a paused job.
func runnable(job Job) error {
	if !job.Enabled {
		return errs.Explain(errs.E(errs.Invalid, "etl: job %s is paused", job.ID), "this job is paused: resume it to run it")
	}
	return nil
}

// startDBRun starts one run of a database job for a trigger (nonce names
// the trigger: the same nonce finds the same run). A job whose earlier
// run has not finished starts none: two incremental runs from the same
// watermark would load the same rows twice. That is errs.Conflict for a
// manual trigger and errs.NotFound ("nothing to run") for a schedule tick
// (quiet).
func (s *Service) startDBRun(ctx context.Context, tenant string, job Job, st runStart, quiet bool) (Run, error) {
	id := hashID("r_", tenant, job.ID, SourceDatabase, st.nonce)
	key := docstore.Key{Tenant: tenant, Kind: KindRun, ID: id}
	if existing, _, err := docstore.Get[Run](ctx, s.store, key); err == nil {
		if existing.Status != StatusPending {
			return existing, nil
		}
		return existing, s.publishRunRequested(ctx, existing)
	} else if !errs.Is(err, errs.NotFound) {
		return Run{}, err
	}
	for _, st := range []RunStatus{StatusRunning, StatusPending} {
		busy, err := s.hasRuns(ctx, tenant, job.ID, st)
		if err != nil {
			return Run{}, err
		}
		if busy {
			kind := errs.Conflict
			if quiet {
				kind = errs.NotFound
			}
			return Run{}, errs.Explain(errs.E(kind, "etl: job %s has a %s run", job.ID, st), "this job has a %s run: start another when it has finished", st)
		}
	}
	run := Run{
		ID: id, Tenant: tenant, JobID: job.ID, JobName: job.Name, Status: StatusPending,
		Trigger: st.trigger, Dest: job.Dest, CreatedAt: s.nowUTC(), RetryOf: st.retryOf,
	}
	if _, err := docstore.Put(ctx, s.store, key, run, docstore.MustCreate); err != nil {
		if !errs.Is(err, errs.Conflict) {
			return Run{}, err
		}
		// Another delivery of the same trigger created it.
		existing, _, gerr := docstore.Get[Run](ctx, s.store, key)
		if gerr != nil {
			return Run{}, gerr
		}
		return existing, nil
	}
	s.runLog(ctx, run, LogInfo, PhaseInit, st.requested("table "+dbSourceName(job.Database)), nil)
	s.log.InfoContext(ctx, "etl: run requested", "tenant", tenant, "run", run.ID, "job", job.ID, "table", dbSourceName(job.Database))
	return run, s.publishRunRequested(ctx, run)
}

func (s *Service) publishRunRequested(ctx context.Context, run Run) error {
	return s.publish(ctx, eventschemas.TopicRunRequested, eventschemas.TypeRunRequested, run.ID,
		eventschemas.RunRequested{Tenant: run.Tenant, JobID: run.JobID, RunID: run.ID, Trigger: run.Trigger})
}
