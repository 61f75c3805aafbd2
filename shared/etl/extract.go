package etl

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

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

// HandleRunRequested runs the extract half of a run: it stages the object
// as Parquet parts (and the rejected rows as a JSONL file) and requests the
// load. Bad input fails the run with a message and is not retried;
// transient errors are retried by the bus, up to the run's attempts (see
// lease.go for how a run whose workers keep stopping ends).
func (s *Service) HandleRunRequested(ctx context.Context, e events.Event) error {
	req, err := eventschemas.Decode[eventschemas.RunRequested](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	if req.RunID == "" {
		// A scheduled or manual request for a file job: start one run per
		// matching object that is new or changed.
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
	key := docstore.Key{Tenant: req.Tenant, Kind: KindRun, ID: req.RunID}
	token := newLeaseToken()
	run, err := docstore.Update(ctx, s.store, key, func(r *Run, exists bool) error {
		if !exists {
			return errs.E(errs.NotFound, "etl: run %s not found", req.RunID)
		}
		if r.Terminal() || r.Stages.ExtractionCompletedAt != nil {
			return nil
		}
		if err := s.claim(r, token); err != nil {
			return err
		}
		if r.Attempts >= s.maxAttempts {
			// Every attempt began and none finished (a failed one would
			// have failed the run): the workers stopped on this run.
			return errAttemptsSpent
		}
		now := s.nowUTC()
		r.Status = StatusRunning
		if r.StartedAt == nil {
			r.StartedAt = ptr(now)
		}
		r.Attempts++
		r.Progress = Progress{Phase: PhaseInit}
		return nil
	})
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
	case err == nil && len(run.Parts) == 0:
		// Nothing staged: loadRun books the run and handles its own errors.
		return s.loadRun(ctx, run.Tenant, run.ID)
	case err == nil:
		err = inPhase(PhaseLoad, s.requestLoad(ctx, run))
	}
	switch {
	case err == nil, errors.Is(err, errAlreadyFinished):
		return nil
	default:
		return s.failOrRetry(ctx, run, err)
	}
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
	err := s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
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
		out = r
		return nil
	})
	return out, err
}

// complete sets the terminal timestamps and duration.
func (s *Service) complete(r *Run) {
	now := s.nowUTC()
	r.CompletedAt = ptr(now)
	if r.StartedAt != nil {
		r.DurationSeconds = now.Sub(*r.StartedAt).Seconds()
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

// extract stages the run's object.
func (s *Service) extract(ctx context.Context, run *Run, token string) (outcome, error) {
	job, err := s.GetJob(ctx, run.Tenant, run.JobID)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	if job.SourceType == SourceDatabase {
		return s.extractDB(ctx, run, job, token)
	}
	drop, err := s.res.Bucket(ctx, run.Tenant, BucketDrop)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	staging, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	wh, err := s.res.Warehouse(ctx, run.Tenant)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	if _, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) { r.Stages.InitCompletedAt = ptr(s.nowUTC()); r.Progress.Phase = PhaseValidation }); err != nil {
		return proceed, err
	}

	// Validation: the object (this version) and its format, the destination.
	obj := run.Object
	if obj == nil {
		return proceed, inPhase(PhaseValidation, invalidf("etl: run %s has no object", run.ID))
	}
	format, err := fileFormat(job, obj.Name)
	if err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	attrs, err := drop.Attributes(ctx, obj.Name)
	if err != nil {
		return proceed, inPhase(PhaseValidation, blobstore.Wrap(err, "etl: read object %q", obj.Name))
	}
	// Versions are ordered by generation: when the object has been
	// replaced since this run's event, the newer version's own run loads
	// it and this one has nothing to do.
	current := blobstore.Generation(attrs)
	order, ordered := blobstore.CompareGenerations(current, obj.Generation)
	if ordered && order > 0 {
		return s.supersede(ctx, run, current)
	}
	md5, err := contentHash(ctx, drop, obj.Name, attrs.MD5, obj.MD5)
	if err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	if prev, ok, err := s.ledgerEntry(ctx, run.Tenant, job.ID, obj.Name); err != nil {
		return proceed, inPhase(PhaseValidation, err)
	} else if ok && md5 != "" && prev.MD5 == md5 {
		_, err := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
			r.Status = StatusCompleted
			r.SkippedReason = fmt.Sprintf("unchanged: the same content of %s was loaded by run %s", obj.Name, prev.RunID)
		})
		if err != nil {
			return proceed, err
		}
		*run, _ = s.GetRun(ctx, run.Tenant, run.ID)
		return skipped, nil
	}
	if err := wh.CreateDataset(ctx, job.Dest.Dataset); err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	var target warehouse.Schema
	if t, err := wh.DescribeTable(ctx, job.Dest.Dataset, job.Dest.Table); err == nil {
		target = dataColumns(t.Schema)
	} else if !errs.Is(err, errs.NotFound) {
		return proceed, inPhase(PhaseValidation, err)
	}
	now := s.nowUTC()
	if _, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ValidationCompletedAt = ptr(now)
		r.Stages.ExtractionStartedAt = ptr(now)
		r.Progress.Phase = PhaseExtraction
	}); err != nil {
		return proceed, err
	}

	// Extraction.
	// The read is pinned to the version validated above (where the store
	// can): a replacement written meanwhile fails it rather than being
	// loaded under this version's name.
	var pin *blob.ReaderOptions
	if ordered && order == 0 {
		pin = blobstore.AtGeneration(obj.Generation)
	}
	open := func() (io.ReadCloser, error) { return drop.NewReader(ctx, obj.Name, pin) }
	res, err := s.stage(ctx, stageInput{
		run: *run, job: job, format: format, open: open, staging: staging, target: target, loadedAt: now, lease: token,
	})
	if err != nil && pin != nil && (errors.Is(err, blobstore.ErrGenerationChanged) || errs.Is(err, errs.NotFound)) {
		if a, aerr := drop.Attributes(ctx, obj.Name); aerr == nil {
			if c, ok := blobstore.CompareGenerations(blobstore.Generation(a), obj.Generation); ok && c > 0 {
				return s.supersede(ctx, run, blobstore.Generation(a))
			}
		} else if blobstore.KindOf(aerr) == errs.NotFound {
			return proceed, inPhase(PhaseValidation, errs.Wrap(errs.NotFound, aerr, "etl: object %q was deleted before it could be read", obj.Name))
		}
	}
	if err != nil {
		return proceed, inPhase(PhaseExtraction, err)
	}
	updated, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ExtractionCompletedAt = ptr(s.nowUTC())
		r.RowsRead = res.stats.RowsRead
		r.RowsRejected = res.stats.RowsRejected
		r.BytesProcessed = attrs.Size
		r.Parts = res.parts
		r.RejectsObject = res.rejectsObject
		r.Schema = res.schema
		r.FirstRejects = res.firstRejects
		r.Encoding = res.encoding
		r.Progress = Progress{Phase: PhaseLoading, RowsRead: res.stats.RowsRead}
		s.release(r)
		r.Object.MD5 = md5
	})
	if err != nil {
		return proceed, err
	}
	*run = updated
	return proceed, nil
}

// supersede completes a run whose version of its object has been replaced
// by a newer one (generation newer) before it was loaded.
func (s *Service) supersede(ctx context.Context, run *Run, newer string) (outcome, error) {
	_, err := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Status = StatusCompleted
		r.SkippedReason = fmt.Sprintf("superseded: %s was replaced by a newer version (generation %s) before this one (generation %s) was loaded; the newer version's run loads it",
			r.Object.Name, newer, r.Object.Generation)
	})
	if err != nil {
		return proceed, err
	}
	if updated, err := s.GetRun(ctx, run.Tenant, run.ID); err == nil {
		*run = updated
	}
	return skipped, nil
}

// outcome is how a step of a run ended that did not fail: the run goes
// on, or the step finished it as skipped (its content already loaded,
// or its version superseded) and the caller only announces it.
type outcome int

const (
	proceed outcome = iota
	skipped
)

func (s *Service) requestLoad(ctx context.Context, run Run) error {
	if len(run.Parts) == 0 {
		// Nothing staged (a file with a header and no rows): there is
		// nothing to load, so book the run here.
		return s.loadRun(ctx, run.Tenant, run.ID)
	}
	return s.publish(ctx, eventschemas.TopicLoadRequested, eventschemas.TypeLoadRequested, run.ID,
		eventschemas.LoadRequested{Tenant: run.Tenant, RunID: run.ID, JobID: run.JobID, Parts: s.partURLs(run)})
}

// fileFormat is the job's format, or the one the object name implies.
func fileFormat(job Job, name string) (tabular.Format, error) {
	if job.File.Format != "" {
		return tabular.Format(job.File.Format), nil
	}
	f, _, err := tabular.DetectFormat(name)
	return f, err
}

// contentHash picks a comparable content hash (hex MD5): the store's, else
// the event's, else one computed by reading the object.
func contentHash(ctx context.Context, b *blob.Bucket, name string, attrMD5 []byte, eventMD5 string) (string, error) {
	if len(attrMD5) > 0 {
		return hex.EncodeToString(attrMD5), nil
	}
	if h := normalizeMD5(eventMD5); h != "" {
		return h, nil
	}
	r, err := b.NewReader(ctx, name, nil)
	if err != nil {
		return "", blobstore.Wrap(err, "etl: read object %q", name)
	}
	defer r.Close()
	h := md5.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", blobstore.Wrap(err, "etl: hash object %q", name)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// normalizeMD5 turns a base64 (GCS) or hex MD5 into hex; "" if neither.
func normalizeMD5(s string) string {
	if len(s) == 32 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s)
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == md5.Size {
		return hex.EncodeToString(b)
	}
	return ""
}

// dataColumns drops the lineage columns from a table schema.
func dataColumns(s warehouse.Schema) warehouse.Schema {
	out := make(warehouse.Schema, 0, len(s))
	for _, c := range s {
		switch c.Name {
		case ColSourceFile, ColRunID, ColLoadedAt:
			continue
		}
		out = append(out, c)
	}
	return out
}

// lineageColumns are appended to every loaded table.
func lineageColumns() warehouse.Schema {
	return warehouse.Schema{
		{Name: ColSourceFile, Type: warehouse.String, Nullable: true},
		{Name: ColRunID, Type: warehouse.String, Nullable: true},
		{Name: ColLoadedAt, Type: warehouse.Timestamp, Nullable: true},
	}
}

func (s *Service) ledgerEntry(ctx context.Context, tenant, jobID, object string) (LedgerEntry, bool, error) {
	e, _, err := docstore.Get[LedgerEntry](ctx, s.store, ledgerKey(tenant, jobID, object))
	if errs.Is(err, errs.NotFound) {
		return LedgerEntry{}, false, nil
	}
	return e, err == nil, err
}

func ledgerKey(tenant, jobID, object string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindLedger, ID: hashID("f_", jobID, object)}
}
