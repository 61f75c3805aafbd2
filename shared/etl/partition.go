package etl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// Partitioned runs.
//
// A database run whose table is large (see Partitioning) is planned as
// partitions: ranges of an integer key or of the incremental timestamp
// that meet. The run records the plan (Run.Partitions) and hands its
// lease back; each partition is a record of its own (KindPartition) and
// is extracted by its own etl.partition.requested delivery into Parquet
// parts under the run's prefix, with its own lease and attempts, so a
// failed partition is tried again alone and the others stay as they are.
// The partition that finishes last gathers every partition's parts,
// counts and incremental state into the run in the same transaction
// (the fan-in) and requests the run's one load, as an unpartitioned run
// does. A partition whose attempts are spent fails the run; a cancelled
// run stops its partitions at their next batch. No delivery reads more
// than a partition, so a cloud function's time limit bounds the size of
// a partition, never the size of a table.

// KindPartition is the document kind of a partition of a run.
const KindPartition = "etl_partition"

// PartitionStatus is where a partition is in its life.
type PartitionStatus string

// Partition statuses: pending until a delivery claims it (and again after
// a failed attempt), running, done once its parts are staged.
const (
	PartitionPending PartitionStatus = "pending"
	PartitionRunning PartitionStatus = "running"
	PartitionDone    PartitionStatus = "done"
)

// PartitionProgress is a partitioned run's plan and progress, shown with
// the run.
type PartitionProgress struct {
	// Total partitions, Done of them staged.
	Total int `json:"total"`
	Done  int `json:"done"`
	// Column is the source column the table is split on.
	Column string `json:"column"`
	// RowsRead by the partitions done.
	RowsRead int64 `json:"rows_read"`
}

// Partition is one range of a partitioned run and what its extraction
// staged.
type Partition struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	RunID  string `json:"run_id"`
	JobID  string `json:"job_id"`
	// Index of Of, from 0.
	Index int `json:"index"`
	Of    int `json:"of"`
	// Column's range [From, To); a nil bound is open.
	Column string     `json:"column"`
	From   *Watermark `json:"from,omitempty"`
	To     *Watermark `json:"to,omitempty"`
	// Label names the table in lineage and messages ("schema.table").
	Label string `json:"label"`
	// Since and SeenAtSince are the incremental read's lower bound (the
	// first partition only: the others lie above it), FromState the
	// job's state the run reads from (the first partition only; nil:
	// from the start).
	Since       *Watermark        `json:"since,omitempty"`
	SeenAtSince []string          `json:"seen_at_since,omitempty"`
	FromState   *IncrementalState `json:"from_state,omitempty"`

	Status   PartitionStatus `json:"status"`
	Attempts int             `json:"attempts"`
	// What the last attempt staged (once done).
	Parts          []string         `json:"parts,omitempty"`
	RowsRead       int64            `json:"rows_read"`
	RowsRejected   int64            `json:"rows_rejected"`
	BytesProcessed int64            `json:"bytes_processed"`
	RejectsObject  string           `json:"rejects_object,omitempty"`
	FirstRejects   []Reject         `json:"first_rejects,omitempty"`
	Schema         warehouse.Schema `json:"schema,omitempty"`
	AddedColumns   []string         `json:"added_columns,omitempty"`
	// Mark is the greatest timestamp the partition read and BoundaryKeys
	// the keys of its rows at Mark (incremental jobs).
	Mark         *Watermark `json:"mark,omitempty"`
	BoundaryKeys []string   `json:"boundary_keys,omitempty"`
	// Error is the last failed attempt's message.
	Error      string     `json:"error,omitempty"`
	LeaseOwner string     `json:"lease_owner,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
}

func partitionID(runID string, i int) string { return fmt.Sprintf("%s-p%04d", runID, i) }

func partitionKey(tenant, id string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindPartition, ID: id}
}

// describe names the partition's range for a user: "partition 3 of 8
// (id >= 1000 and < 2000)".
func (p Partition) describe() string {
	rng := ""
	switch {
	case p.From != nil && p.To != nil:
		rng = fmt.Sprintf("%s >= %s and < %s", p.Column, p.From.Value, p.To.Value)
	case p.From != nil:
		rng = fmt.Sprintf("%s >= %s", p.Column, p.From.Value)
	case p.To != nil:
		rng = fmt.Sprintf("%s < %s", p.Column, p.To.Value)
	}
	if rng == "" {
		return fmt.Sprintf("partition %d of %d", p.Index+1, p.Of)
	}
	return fmt.Sprintf("partition %d of %d (%s)", p.Index+1, p.Of, rng)
}

// stagingKeys are where a staging writes: the parts' prefix and the
// rejects file; a partition's under its run's.
func (in stageInput) stagingKeys() (parts, rejects string) {
	if in.partition == nil {
		return runPrefix(in.run.ID), rejectsKey(in.run.ID)
	}
	return runPrefix(in.run.ID) + in.partition.ID + "/", "rejects/" + in.partition.ID + ".jsonl"
}

// stageProgress is the progress callback of a staging: the run's (see
// progress), or for a partition its own record's, which renews its lease
// and stops the extraction when the run has finished (cancelled).
func (s *Service) stageProgress(ctx context.Context, in stageInput) func(tabular.Stats) {
	if in.partition == nil {
		return s.progress(ctx, in)
	}
	lastWrite, lastCheck := time.Now(), time.Now()
	return func(st tabular.Stats) {
		now := time.Now()
		if now.Sub(lastCheck) < cancelCheck {
			return
		}
		lastCheck = now
		if r, err := s.GetRun(ctx, in.run.Tenant, in.run.ID); err == nil && r.Terminal() {
			s.log.InfoContext(ctx, "etl: run finished while a partition was extracting; stopping", "run", in.run.ID, "partition", in.partition.ID)
			in.abort(errAlreadyFinished)
			return
		}
		if now.Sub(lastWrite) < progressEvery {
			return
		}
		lastWrite = now
		if _, err := docstore.Update(ctx, s.store, partitionKey(in.run.Tenant, in.partition.ID), func(p *Partition, exists bool) error {
			if !exists || p.LeaseOwner != in.lease {
				return errLeaseLost
			}
			p.RowsRead, p.RowsRejected = st.RowsRead, st.RowsRejected
			p.LeaseUntil = ptr(s.nowUTC().Add(s.leaseTTL))
			return nil
		}); err != nil {
			s.log.WarnContext(ctx, "etl: partition progress update failed", "run", in.run.ID, "partition", in.partition.ID, "err", err)
		}
	}
}

// fanOut records a run's partitions, marks the run partitioned (handing
// its lease back: the partitions hold their own) and requests every
// partition.
func (s *Service) fanOut(ctx context.Context, run *Run, job Job, plan dbPlan, pp *partitionPlan) error {
	n := len(pp.ranges)
	parts := make([]Partition, n)
	for i, r := range pp.ranges {
		p := Partition{ID: partitionID(run.ID, i), Tenant: run.Tenant, RunID: run.ID, JobID: run.JobID, Index: i, Of: n,
			Column: pp.column, Label: plan.label, Status: PartitionPending}
		var err error
		if p.From, err = NewWatermark(r.From); err == nil {
			p.To, err = NewWatermark(r.To)
		}
		if err == nil && i == 0 {
			p.Since, err = NewWatermark(plan.req.Since)
			p.SeenAtSince, p.FromState = plan.req.SeenAtSince, plan.from
		}
		if err != nil {
			return inPhase(PhaseValidation, err)
		}
		if _, err := docstore.Put(ctx, s.store, partitionKey(run.Tenant, p.ID), p, docstore.Any); err != nil {
			return inPhase(PhaseExtraction, err)
		}
		parts[i] = p
	}
	err := s.startExtraction(ctx, *run, s.nowUTC(), func(r *Run) {
		if plan.from != nil {
			r.WatermarkFrom = plan.from.Watermark
		}
		r.Partitions = &PartitionProgress{Total: n, Column: pp.column}
		s.release(r)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "etl: run planned as partitions", "tenant", run.Tenant, "run", run.ID, "partitions", n, "column", pp.column,
		"estimated_rows", pp.rows, "estimated_bytes", pp.bytes)
	s.runLog(ctx, *run, LogInfo, PhaseExtraction, fmt.Sprintf("table %s is large (about %s, %d bytes): it is read in %d partitions on column %s, cut by %s, at most %d at a time per worker",
		plan.label, rowsText(pp.rows), pp.bytes, n, pp.column, pp.cutBy, s.parting.Workers), nil)
	for _, p := range parts {
		if err := s.requestPartition(ctx, p); err != nil {
			return inPhase(PhaseExtraction, err)
		}
	}
	return nil
}

func (s *Service) requestPartition(ctx context.Context, p Partition) error {
	return s.publish(ctx, eventschemas.TopicPartitionRequested, eventschemas.TypePartitionRequested, p.ID,
		eventschemas.PartitionRequested{Tenant: p.Tenant, RunID: p.RunID, JobID: p.JobID, PartitionID: p.ID, Index: p.Index, Of: p.Of})
}

// resumePartitions requests again the partitions of a partitioned run
// that no delivery is working on (a request lost, a worker that died),
// and gives the run a fresh deadline. The sweeper gets here through the
// run's request.
func (s *Service) resumePartitions(ctx context.Context, run Run) error {
	now := s.nowUTC()
	again := 0
	for i := range run.Partitions.Total {
		p, _, err := docstore.Get[Partition](ctx, s.store, partitionKey(run.Tenant, partitionID(run.ID, i)))
		if err != nil {
			return err
		}
		if p.Status == PartitionDone || (p.LeaseOwner != "" && p.LeaseUntil != nil && now.Before(*p.LeaseUntil)) {
			continue
		}
		if err := s.requestPartition(ctx, p); err != nil {
			return err
		}
		again++
	}
	if _, err := s.stamp(ctx, run.Tenant, run.ID, s.release); err != nil && !errors.Is(err, errAlreadyFinished) {
		return err
	}
	s.log.InfoContext(ctx, "etl: partitioned run resumed", "tenant", run.Tenant, "run", run.ID, "requested", again, "done", run.Partitions.Done, "of", run.Partitions.Total)
	return nil
}

// errPartitionDone: the partition was staged by an earlier delivery.
var errPartitionDone = errors.New("partition done")

// HandlePartitionRequested extracts one partition of a partitioned run
// (see the top of this file), waiting for a slot of the worker pool
// first. A partition another live delivery holds is left to it; a failed
// attempt is retried by the bus, this partition alone, up to the run's
// attempts; the last partition to finish requests the run's load.
func (s *Service) HandlePartitionRequested(ctx context.Context, e events.Event) (err error) {
	defer func() { err = errs.At("etl.HandlePartitionRequested", err) }()
	req, err := eventschemas.Decode[eventschemas.PartitionRequested](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return errs.Wrap(errs.Transient, ctx.Err(), "etl: waiting for a partition worker")
	}
	run, err := s.GetRun(ctx, req.Tenant, req.RunID)
	if err != nil || run.Terminal() {
		return err // a finished (cancelled, failed) run reads no more
	}
	job, err := s.GetJob(ctx, run.Tenant, run.JobID)
	if errs.Is(err, errs.NotFound) {
		// Deleted under its run: nothing will load.
		return s.failPartitioned(ctx, run, Partition{ID: req.PartitionID, Index: req.Index, Of: req.Of}, inPhase(PhaseInit, err))
	}
	if err != nil {
		return err // the bus tries again
	}
	token := newLeaseToken()
	p, err := s.claimPartition(ctx, req, token)
	switch {
	case errors.Is(err, errPartitionDone), errors.Is(err, errBusy):
		return nil // staged already, or another live delivery has it
	case errors.Is(err, errAttemptsSpent):
		return s.failPartitioned(ctx, run, p, inPhase(PhaseExtraction, errs.Userf(errs.Transient,
			"the worker stopped %d times while reading it and did not finish (it may have run out of memory or time)", p.Attempts)))
	case err != nil:
		return err
	}
	s.runLog(ctx, run, LogInfo, PhaseExtraction, fmt.Sprintf("%s: attempt %d of %d started", p.describe(), p.Attempts, s.maxAttempts), nil)
	work, stop := s.keepAlive(ctx, p.ID, s.renewPartition(p, token))
	defer stop()
	res, next, err := s.extractPartition(work, run, job, p, token)
	stop()
	switch {
	case err != nil && leaseLost(work):
		return nil
	case errors.Is(err, errAlreadyFinished):
		s.removePartitionStaged(ctx, p, res.parts)
		return nil
	case err != nil:
		return s.partitionFailed(ctx, run, p, token, err)
	}
	return s.partitionDone(ctx, run, job, p, token, res, next)
}

// claimPartition takes a partition's lease for token and counts an
// attempt; errPartitionDone, errBusy, or errAttemptsSpent (with the
// partition) when every attempt began and none finished.
func (s *Service) claimPartition(ctx context.Context, req eventschemas.PartitionRequested, token string) (Partition, error) {
	var seen Partition
	p, err := docstore.Update(ctx, s.store, partitionKey(req.Tenant, req.PartitionID), func(p *Partition, exists bool) error {
		if !exists {
			return errs.E(errs.NotFound, "etl: partition %s not found", req.PartitionID)
		}
		seen = *p
		now := s.nowUTC()
		switch {
		case p.Status == PartitionDone:
			return errPartitionDone
		case p.LeaseOwner != "" && p.LeaseOwner != token && p.LeaseUntil != nil && now.Before(*p.LeaseUntil):
			return errBusy
		case p.Attempts >= s.maxAttempts:
			return errAttemptsSpent
		}
		p.LeaseOwner, p.LeaseUntil = token, ptr(now.Add(s.leaseTTL))
		p.Status = PartitionRunning
		p.Attempts++
		return nil
	})
	if err != nil {
		return seen, err
	}
	return p, nil
}

// renewPartition renews token's lease on a partition.
func (s *Service) renewPartition(p Partition, token string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := docstore.Update(ctx, s.store, partitionKey(p.Tenant, p.ID), func(cur *Partition, exists bool) error {
			switch {
			case !exists || cur.LeaseOwner != token && cur.LeaseOwner != "":
				return errLeaseLost
			case cur.LeaseOwner == "":
				return errLeaseDone
			}
			cur.LeaseUntil = ptr(s.nowUTC().Add(s.leaseTTL))
			return nil
		})
		return err
	}
}

// extractPartition stages a partition's rows as the run's extraction
// would (the same columns, types, destination checks and lineage) and
// returns the incremental state the partition reached (nil: not an
// incremental job).
func (s *Service) extractPartition(ctx context.Context, run Run, job Job, p Partition, token string) (stageResult, *IncrementalState, error) {
	if s.conns == nil || job.Database == nil {
		return stageResult{}, nil, inPhase(PhaseInit, errs.E(errs.Unsupported, "etl: job %s: database jobs need saved connections", job.ID))
	}
	dst, err := s.openStaging(ctx, run)
	if err != nil {
		return stageResult{}, nil, err
	}
	src, _, err := s.conns.OpenSource(ctx, run.Tenant, job.Database.ConnectionID)
	if err != nil {
		return stageResult{}, nil, inPhase(PhaseInit, err)
	}
	defer src.Close()
	if dst.target, _, err = s.destination(ctx, dst.wh, job, false); err != nil {
		return stageResult{}, nil, err
	}
	d := job.Database
	plan := dbPlan{req: sources.ExtractRequest{Schema: d.Schema, Table: d.Table, Columns: d.Columns}, label: p.Label, partition: &p}
	rng := sources.KeyRange{Column: p.Column}
	if rng.From, err = p.From.Decode(); err == nil {
		if rng.To, err = p.To.Decode(); err == nil && job.incremental() {
			plan.req.TimestampColumn, plan.req.SeenAtSince = d.TimestampColumn, p.SeenAtSince
			plan.req.Since, err = p.Since.Decode()
		}
	}
	if err != nil {
		return stageResult{}, nil, inPhase(PhaseValidation, err)
	}
	plan.req.Range = &rng
	loadedAt := s.nowUTC()
	if run.Stages.ExtractionStartedAt != nil {
		loadedAt = *run.Stages.ExtractionStartedAt // one stamp for every partition's rows
	}
	res, next, err := s.stageTable(ctx, &run, job, src, plan, dst, loadedAt, token)
	if err == nil && s.partitionFault != nil {
		err = inPhase(PhaseExtraction, s.partitionFault(p))
	}
	if err != nil {
		return res, nil, err
	}
	s.markUsed(ctx, run.Tenant, d.ConnectionID)
	return res, next, nil
}

// partitionFailed records a partition's failed attempt: a retryable
// error with attempts left hands the partition back and is returned, so
// the bus delivers this partition again (and only it); otherwise the run
// fails.
func (s *Service) partitionFailed(ctx context.Context, run Run, p Partition, token string, err error) error {
	if !errs.Retryable(err) || p.Attempts >= s.maxAttempts {
		return s.failPartitioned(ctx, run, p, err)
	}
	phase := errPhase(err)
	msg := runMessage(phase, err)
	s.log.WarnContext(ctx, "etl: partition attempt failed, will retry", "tenant", run.Tenant, "run", run.ID, "partition", p.ID, "attempt", p.Attempts, "phase", phase, "err", err)
	s.runLog(ctx, run, LogWarn, phase, fmt.Sprintf("%s: attempt %d of %d failed and will be tried again: %s", p.describe(), p.Attempts, s.maxAttempts, msg), nil)
	if _, uerr := docstore.Update(ctx, s.store, partitionKey(run.Tenant, p.ID), func(cur *Partition, exists bool) error {
		if !exists || cur.LeaseOwner != token {
			return errLeaseLost
		}
		cur.Status, cur.Error = PartitionPending, msg
		cur.LeaseOwner, cur.LeaseUntil = "", nil
		return nil
	}); uerr != nil && !errors.Is(uerr, errLeaseLost) {
		s.log.WarnContext(ctx, "etl: could not hand the partition back", "run", run.ID, "partition", p.ID, "err", uerr)
	}
	return err
}

// errPhase is the phase an error was tagged with (PhaseUnknown: none).
func errPhase(err error) Phase {
	if pe := (*phaseError)(nil); errors.As(err, &pe) {
		return pe.phase
	}
	return PhaseUnknown
}

// failPartitioned fails a partitioned run because one of its partitions
// failed for good, removes what its partitions staged, and announces it.
func (s *Service) failPartitioned(ctx context.Context, run Run, p Partition, err error) error {
	phase := errPhase(err)
	s.log.ErrorContext(ctx, "etl: partitioned run failed", "tenant", run.Tenant, "run", run.ID, "partition", p.ID, "phase", phase, "err", err)
	final, uerr := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Status = StatusFailed
		r.ErrorType = phase
		table := "the table"
		if p.Label != "" {
			table = "table " + p.Label
		}
		r.ErrorMessage = fmt.Sprintf("%s of %s could not be read: %s", p.describe(), table, errs.UserMessage(err))
	})
	if uerr != nil {
		return uerr
	}
	s.removeStaged(ctx, final)
	return s.announce(ctx, final)
}

// partitionDone records a staged partition and, when it is the last of
// its run, gathers every partition into the run in the same transaction
// (the fan-in) and requests the run's one load.
func (s *Service) partitionDone(ctx context.Context, run Run, job Job, p Partition, token string, res stageResult, next *IncrementalState) error {
	var final Run
	var all []Partition
	err := s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		all = nil
		pkey := partitionKey(run.Tenant, p.ID)
		cur, pver, err := docstore.Get[Partition](ctx, tx, pkey)
		if err != nil {
			return err
		}
		if cur.LeaseOwner != token {
			return errLeaseLost
		}
		rkey := docstore.Key{Tenant: run.Tenant, Kind: KindRun, ID: run.ID}
		r, rver, err := docstore.Get[Run](ctx, tx, rkey)
		if err != nil {
			return err
		}
		if r.Terminal() || r.Partitions == nil {
			return errAlreadyFinished
		}
		staged(&cur, res, next)
		r.Partitions.Done++
		r.Partitions.RowsRead += cur.RowsRead
		r.RowsRead, r.Progress.RowsRead = r.Partitions.RowsRead, r.Partitions.RowsRead
		if r.Partitions.Done == r.Partitions.Total {
			if all, err = s.partitionsInTx(ctx, tx, r, cur); err != nil {
				return err
			}
			if err := s.gather(&r, job, all); err != nil {
				return err
			}
		}
		if _, err := docstore.Put(ctx, tx, pkey, cur, docstore.IfVersion(pver)); err != nil {
			return err
		}
		if _, err := docstore.Put(ctx, tx, rkey, r, docstore.IfVersion(rver)); err != nil {
			return err
		}
		final = r
		return nil
	})
	switch {
	case errors.Is(err, errLeaseLost):
		return nil // another delivery took the partition over
	case errors.Is(err, errAlreadyFinished):
		s.removePartitionStaged(ctx, p, res.parts)
		return nil
	case err != nil:
		return s.partitionFailed(ctx, run, p, token, inPhase(PhaseExtraction, err))
	}
	s.runLog(ctx, final, LogInfo, PhaseExtraction, fmt.Sprintf("%s: read %s; %d of %d partitions done", p.describe(), rowsText(res.stats.RowsRead), final.Partitions.Done, final.Partitions.Total), nil)
	if all == nil {
		return nil
	}
	s.mergeRejects(ctx, final, all)
	s.runLog(ctx, final, LogInfo, PhaseExtraction, fmt.Sprintf("every partition is read: %s, %s rejected; %d staged parts", rowsText(final.RowsRead), rowsText(final.RowsRejected), len(final.Parts)), runCounts(final))
	return inPhase(PhaseLoad, s.requestLoad(ctx, final))
}

// staged records on a partition what its attempt staged, done.
func staged(p *Partition, res stageResult, next *IncrementalState) {
	p.Status, p.Error = PartitionDone, ""
	p.Parts, p.Schema, p.AddedColumns = res.parts, res.schema, res.added
	p.RowsRead, p.RowsRejected, p.BytesProcessed = res.stats.RowsRead, res.stats.RowsRejected, res.bytes
	p.RejectsObject, p.FirstRejects = res.rejectsObject, res.firstRejects
	p.Mark, p.BoundaryKeys = nil, nil
	if next != nil {
		p.Mark, p.BoundaryKeys = next.Watermark, next.BoundaryKeys
	}
	p.LeaseOwner, p.LeaseUntil = "", nil
}

// partitionsInTx reads every partition of run in tx, with cur (being
// written) as it is now.
func (s *Service) partitionsInTx(ctx context.Context, tx docstore.Tx, r Run, cur Partition) ([]Partition, error) {
	all := make([]Partition, r.Partitions.Total)
	for i := range all {
		if i == cur.Index {
			all[i] = cur
			continue
		}
		p, _, err := docstore.Get[Partition](ctx, tx, partitionKey(r.Tenant, partitionID(r.ID, i)))
		if err != nil {
			return nil, err
		}
		all[i] = p
	}
	return all, nil
}

// gather completes a partitioned run's extraction from its partitions,
// all done: the parts in partition order, the counts, the schema, the
// rejects, and the incremental state, which is the partition's with the
// greatest timestamp (the ranges are ordered and disjoint, so every row
// at that timestamp is in it), read from the job's state as a whole run
// would have.
func (s *Service) gather(r *Run, job Job, all []Partition) error {
	r.Parts, r.RowsRead, r.RowsRejected, r.BytesProcessed, r.FirstRejects = nil, 0, 0, 0, nil
	var top *Partition
	for i := range all {
		p := &all[i]
		r.Parts = append(r.Parts, p.Parts...)
		r.RowsRead += p.RowsRead
		r.RowsRejected += p.RowsRejected
		r.BytesProcessed += p.BytesProcessed
		if r.Schema == nil || len(p.Schema) > len(r.Schema) {
			r.Schema, r.AddedColumns = p.Schema, p.AddedColumns
		}
		if r.FirstRejects == nil {
			r.FirstRejects = p.FirstRejects
		}
		if p.Mark != nil {
			top = p
		}
	}
	if r.RowsRejected > 0 {
		r.RejectsObject = rejectsKey(r.ID)
	}
	if job.incremental() {
		var mark any
		var keys []string
		if top != nil {
			v, err := top.Mark.Decode()
			if err != nil {
				return inPhase(PhaseExtraction, err)
			}
			mark, keys = v, top.BoundaryKeys
		}
		next, err := nextState(job, r.ID, all[0].FromState, mark, keys, s.nowUTC())
		if err != nil {
			return err
		}
		r.NextState, r.WatermarkTo = next, next.Watermark
	}
	r.Stages.ExtractionCompletedAt = ptr(s.nowUTC())
	r.Progress = Progress{Phase: PhaseLoading, RowsRead: r.RowsRead}
	s.release(r)
	return nil
}

// mergeRejects writes the partitions' rejects files, in partition order,
// into the run's one rejects file and removes them (best effort: a
// failure is logged; the run's FirstRejects still show the first).
func (s *Service) mergeRejects(ctx context.Context, run Run, all []Partition) {
	if run.RejectsObject == "" {
		return
	}
	b, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err == nil {
		err = concatObjects(ctx, b, run.RejectsObject, all)
	}
	if err != nil {
		s.log.WarnContext(ctx, "etl: could not merge the partitions' rejected rows", "run", run.ID, "err", err)
		return
	}
	for _, p := range all {
		if p.RejectsObject != "" {
			if err := b.Delete(ctx, p.RejectsObject); err != nil && blobstore.KindOf(err) != errs.NotFound {
				s.log.WarnContext(ctx, "etl: could not remove a partition's rejects file", "run", run.ID, "partition", p.ID, "err", err)
			}
		}
	}
}

// concatObjects writes the rejects objects of parts, in order, into key.
func concatObjects(ctx context.Context, b *blob.Bucket, key string, parts []Partition) (err error) {
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/x-ndjson"})
	if err != nil {
		return blobstore.Wrap(err, "etl: open rejects file")
	}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = blobstore.Wrap(cerr, "etl: write rejects file")
		}
	}()
	for _, p := range parts {
		if p.RejectsObject == "" {
			continue
		}
		r, err := b.NewReader(ctx, p.RejectsObject, nil)
		if err != nil {
			return blobstore.Wrap(err, "etl: read rejects of %s", p.ID)
		}
		_, err = io.Copy(w, r)
		_ = r.Close()
		if err != nil {
			return blobstore.Wrap(err, "etl: copy rejects of %s", p.ID)
		}
	}
	return nil
}

// removePartitionStaged removes a partition's staged parts and rejects
// file (best effort: the staging bucket's lifecycle rule removes what is
// left under runs/).
func (s *Service) removePartitionStaged(ctx context.Context, p Partition, parts []string) {
	b, err := s.res.Bucket(ctx, p.Tenant, BucketStaging)
	if err != nil {
		return
	}
	for _, key := range append(parts, "rejects/"+p.ID+".jsonl") {
		if err := b.Delete(ctx, key); err != nil && blobstore.KindOf(err) != errs.NotFound {
			s.log.WarnContext(ctx, "etl: could not remove a partition's staged object", "run", p.RunID, "partition", p.ID, "key", key, "err", err)
		}
	}
}
