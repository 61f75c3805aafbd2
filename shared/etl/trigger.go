package etl

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"gocloud.dev/blob"
)

// TriggerJob starts a new run for every object the file job claims in the
// tenant's drop bucket. Objects whose content is already loaded finish at
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
	drop, err := s.res.Bucket(ctx, tenant, BucketDrop)
	if err != nil {
		return nil, err
	}
	prefix := strings.Trim(job.File.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	bucketName := s.res.BucketName(tenant, BucketDrop)
	it := drop.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var runs []Run
	unchanged := 0
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return runs, blobstore.Wrap(err, "etl: list drop bucket")
		}
		if obj.IsDir || !job.matches(obj.Key) {
			continue
		}
		ref := eventschemas.ObjectRef{
			Bucket:     bucketName,
			Name:       obj.Key,
			Generation: blobstore.ListGeneration(obj),
			Size:       obj.Size,
		}
		if len(obj.MD5) > 0 {
			ref.MD5 = base64.StdEncoding.EncodeToString(obj.MD5)
		}
		if onlyNew {
			loaded, err := s.alreadyLoaded(ctx, tenant, job.ID, ref.Name, ref.Generation, hex.EncodeToString(obj.MD5))
			if err != nil {
				return runs, err
			}
			if loaded {
				unchanged++
				continue
			}
		}
		run, err := s.startFileRun(ctx, tenant, job, ref, runStart{trigger: trigger, nonce: nonce})
		if err != nil {
			return runs, err
		}
		runs = append(runs, run)
	}
	if len(runs) == 0 && unchanged > 0 {
		return nil, errs.Explain(errs.E(errs.NotFound, "etl: job %s has no new or changed file (%d already loaded)", jobID, unchanged),
			"there is no new or changed file to load (%d already loaded)", unchanged)
	}
	if len(runs) == 0 {
		return nil, errs.Explain(errs.E(errs.NotFound, "etl: job %s claims no object in the drop area (prefix %q, pattern %q)", jobID, job.File.Prefix, job.File.Pattern),
			"no file in the drop area matches this job (folder %q, pattern %q)", job.File.Prefix, job.File.Pattern)
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

// alreadyLoaded reports whether the ledger shows the object loaded at this
// generation or with this content (hex MD5, "" when unknown).
func (s *Service) alreadyLoaded(ctx context.Context, tenant, jobID, object, gen, md5 string) (bool, error) {
	e, ok, err := s.ledgerEntry(ctx, tenant, jobID, object)
	if err != nil || !ok || e.RunID == "" {
		return false, err
	}
	return e.Generation == gen || (md5 != "" && e.MD5 == md5), nil
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
