package etl

import (
	"context"
	"errors"
	"fmt"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// load claims the run for its load half, loads its staged rows in one
// warehouse load job and books the run, its job and the file's ledger
// entry together. It returns skipped when a newer version of the file
// was loaded meanwhile (the run is finished as superseded).
func (s *Service) load(ctx context.Context, run Run) (outcome, error) {
	job, err := s.GetJob(ctx, run.Tenant, run.JobID)
	if err != nil {
		return proceed, inPhase(PhaseLoad, err)
	}
	wh, err := s.res.Warehouse(ctx, run.Tenant)
	if err != nil {
		return proceed, inPhase(PhaseLoad, err)
	}
	token := newLeaseToken()
	retry, err := s.claimLoad(ctx, run, token)
	if err != nil {
		return proceed, err
	}
	if err := s.claimObject(ctx, run); err != nil {
		var sup *supersededError
		if errors.As(err, &sup) && run.LatestOrder != "" {
			return s.supersedeLatest(ctx, &run, sup.file)
		}
		if errors.As(err, &sup) {
			return s.supersede(ctx, &run, sup.newer)
		}
		return proceed, err
	}
	s.runLog(ctx, run, LogInfo, PhaseLoading, fmt.Sprintf("loading %s into %s.%s", rowsText(run.RowsRead-run.RowsRejected), job.Dest.Dataset, job.Dest.Table), nil)
	// The warehouse job may outlast the lease: renew it (and the file's
	// loading lease) while it runs, so that no redelivery starts the same
	// load a second time; should another delivery take the run over, this
	// load is cancelled.
	work, stop := s.keepAlive(ctx, run.ID, s.renewLoad(run, token))
	defer stop()
	loaded, err := s.loadRows(work, wh, job, run, retry)
	stop()
	if err != nil && leaseLost(work) {
		return proceed, errLeaseLost
	}
	if err != nil {
		return proceed, err
	}
	return proceed, s.bookLoad(ctx, run, job.ID, token, loaded)
}

// claimLoad takes the run's lease for token and counts a load attempt;
// retry reports whether an earlier attempt got as far as the warehouse.
func (s *Service) claimLoad(ctx context.Context, run Run, token string) (retry bool, err error) {
	_, err = docstore.Update(ctx, s.store, docstore.Key{Tenant: run.Tenant, Kind: KindRun, ID: run.ID}, func(r *Run, exists bool) error {
		if !exists {
			return errs.E(errs.NotFound, "etl: run %s not found", run.ID)
		}
		if r.Terminal() {
			return errAlreadyFinished
		}
		if err := s.claim(r, token); err != nil {
			return err
		}
		if r.LoadAttempts >= s.maxAttempts {
			return errAttemptsSpent // see HandleRunRequested
		}
		retry = r.Stages.LoadingStartedAt != nil
		if !retry {
			r.Stages.LoadingStartedAt = ptr(s.nowUTC())
		}
		r.LoadAttempts++
		return nil
	})
	return retry, err
}

// bookLoad completes a loaded run and, in the same transaction, its job's
// last run and incremental state and the file's ledger entry; it refuses
// (errLeaseLost) when token no longer holds the run.
func (s *Service) bookLoad(ctx context.Context, run Run, jobID, token string, loaded int64) error {
	return s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		rkey := docstore.Key{Tenant: run.Tenant, Kind: KindRun, ID: run.ID}
		r, ver, err := docstore.Get[Run](ctx, tx, rkey)
		if err != nil {
			return err
		}
		if r.Terminal() {
			return errAlreadyFinished
		}
		if r.LeaseOwner != token {
			return errLeaseLost
		}
		jkey := docstore.Key{Tenant: run.Tenant, Kind: KindJob, ID: jobID}
		j, jver, err := docstore.Get[Job](ctx, tx, jkey)
		if err != nil {
			return err
		}
		now := s.nowUTC()
		r.RowsLoaded = loaded
		r.Stages.LoadingCompletedAt = ptr(now)
		r.Status = StatusCompleted
		if r.RowsRejected > 0 {
			r.Status = StatusPartial
		}
		s.complete(&r)
		j.LastRun = &RunSummary{ID: r.ID, Status: r.Status, CompletedAt: r.CompletedAt}
		if r.NextState != nil && j.incremental() && (r.WatermarkFrom == nil || !behind(r.NextState, j.State)) {
			// The watermark moves only with the booked load, and never
			// back (should two runs of the job ever overlap), unless the
			// run read from the start (the stale-watermark guard).
			st := *r.NextState
			st.UpdatedAt = now
			j.State = &st
		}
		if r.Object != nil {
			slot, order := fileSlot(r.Object, r.LatestOrder)
			entry := LedgerEntry{JobID: jobID, Object: r.Object.Name, Generation: order, Size: r.Object.Size,
				MD5: r.Object.MD5, RunID: r.ID, RowsLoaded: loaded, LoadedAt: now}
			if _, err := docstore.Put(ctx, tx, ledgerKey(run.Tenant, jobID, slot), entry, docstore.Any); err != nil {
				return err
			}
		}
		if _, err := docstore.Put(ctx, tx, rkey, r, docstore.IfVersion(ver)); err != nil {
			return err
		}
		_, err = docstore.Put(ctx, tx, jkey, j, docstore.IfVersion(jver))
		return err
	})
}

// loadRows puts the run's staged rows into the warehouse (unless a retry
// finds them there) and returns how many the run loaded.
func (s *Service) loadRows(ctx context.Context, wh *warehouse.Warehouse, job Job, run Run, retry bool) (int64, error) {
	dest := job.Dest
	// Only a retry can find its rows already there; a first attempt does
	// not pay for the lineage count (a scan on BigQuery).
	var loaded int64
	var err error
	if retry {
		if loaded, err = s.rowsOfRun(ctx, wh, dest, run.ID); err != nil {
			return 0, inPhase(PhaseLoad, err)
		}
	}
	if len(run.Parts) == 0 {
		if err := s.loadEmpty(ctx, wh, job, run); err != nil {
			return 0, inPhase(PhaseLoad, err)
		}
	}
	if loaded == 0 && len(run.Parts) > 0 {
		req := loadRequest(job, run, s.partURLs(run))
		if err := s.addColumns(ctx, wh, dest, run); err != nil {
			return 0, inPhase(PhaseLoad, err)
		}
		res, err := wh.Load(ctx, req)
		if err != nil {
			return 0, inPhase(PhaseLoad, err)
		}
		loaded = res.RowsLoaded
	}
	return loaded, nil
}

// loadRequest is the warehouse load of a run's staged parts (at urls)
// into its job's table: the staged columns, all nullable (tables made from
// files are: the next file may have gaps this one did not), then the
// job's lineage columns; the job's load mode; the job's table layout.
func loadRequest(job Job, run Run, urls []string) warehouse.LoadRequest {
	dest := job.Dest
	schema := append(warehouse.Schema{}, run.Schema...)
	for i := range schema {
		schema[i].Nullable = true
	}
	schema = append(schema, lineageSchema(dest)...)
	req := warehouse.LoadRequest{
		Dataset: dest.Dataset, Table: dest.Table,
		Sources: urls,
		Format:  warehouse.Parquet,
		Mode:    warehouseMode(job.LoadMode),
		Schema:  schema, MergeKeys: job.MergeKeys,
		Labels: map[string]string{"b2b_run": run.ID, "b2b_job": job.ID},
	}
	if lay := layoutOf(dest); lay.Check(schema) == nil {
		// The staged columns fit the layout unless they took the types
		// of a table that exists (whose own layout stays).
		req.Layout = lay
	}
	if job.LoadMode == Append && run.Object != nil {
		// A new version of a file replaces the rows of the old one, in
		// the same atomic step as the load.
		req.Mode = warehouse.Replace
		req.ReplaceWhere = []warehouse.Param{{Name: ColSourceFile, Value: run.Object.Name}}
	}
	return req
}

func warehouseMode(m LoadMode) warehouse.Mode {
	switch m {
	case Truncate:
		return warehouse.Truncate
	case Merge:
		return warehouse.Merge
	default:
		return warehouse.Append
	}
}

// rowsOfRun counts the rows a run already put in the table (0 if the table
// does not exist yet).
func (s *Service) rowsOfRun(ctx context.Context, wh *warehouse.Warehouse, dest Dest, runID string) (int64, error) {
	if _, err := wh.DescribeTable(ctx, dest.Dataset, dest.Table); err != nil {
		if errs.Is(err, errs.NotFound) {
			return 0, nil
		}
		return 0, err
	}
	q := fmt.Sprintf("SELECT COUNT(*) AS n FROM %s WHERE %s = @run",
		warehouse.QuoteTable(wh.Dialect(), dest.Dataset, dest.Table), warehouse.QuoteIdent(wh.Dialect(), ColRunID))
	res, err := wh.Query(ctx, q, []warehouse.Param{{Name: "run", Value: runID}}, 1)
	if err != nil {
		return 0, err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return 0, errs.E(errs.Transient, "etl: count rows of run: unexpected result shape")
	}
	n, _ := res.Rows[0][0].(int64)
	return n, nil
}

// partURLs turns staged part keys into URLs the warehouse reads.
func (s *Service) partURLs(run Run) []string {
	base := s.res.BucketURL(run.Tenant, BucketStaging)
	out := make([]string, len(run.Parts))
	for i, p := range run.Parts {
		out[i] = blobstore.ObjectURL(base, p)
	}
	return out
}

// cleanupParts removes a finished run's staged parts (best effort; the
// staging bucket's lifecycle rule removes what is left).
func (s *Service) cleanupParts(ctx context.Context, run Run) {
	b, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err != nil {
		return
	}
	for _, p := range run.Parts {
		if err := b.Delete(ctx, p); err != nil && !errs.Is(err, errs.NotFound) {
			s.log.WarnContext(ctx, "etl: could not remove staged part", "run", run.ID, "part", p, "err", err)
		}
	}
}

// loadEmpty applies a file with no rows: an empty new version of a file
// removes that file's rows (append jobs), an empty snapshot empties the
// table (truncate jobs); merge jobs have nothing to do. Each is one
// statement, atomic on its own.
func (s *Service) loadEmpty(ctx context.Context, wh *warehouse.Warehouse, job Job, run Run) error {
	dest := job.Dest
	if _, err := wh.DescribeTable(ctx, dest.Dataset, dest.Table); errs.Is(err, errs.NotFound) {
		return nil
	} else if err != nil {
		return err
	}
	table := warehouse.QuoteTable(wh.Dialect(), dest.Dataset, dest.Table)
	var q string
	var params []warehouse.Param
	switch {
	case job.LoadMode == Truncate:
		q = "DELETE FROM " + table + " WHERE TRUE"
	case job.LoadMode == Append && run.Object != nil:
		q = "DELETE FROM " + table + " WHERE " + warehouse.QuoteIdent(wh.Dialect(), ColSourceFile) + " = @file"
		params = []warehouse.Param{{Name: "file", Value: run.Object.Name}}
	default:
		return nil
	}
	_, err := wh.Query(ctx, q, params, 0)
	return err
}

// errObjectBusy: another run is loading a version of the same object;
// retry later (the bus backs off).
var errObjectBusy = errs.E(errs.Conflict, "etl: another version of the file is being loaded")

// supersededError: the ledger holds a newer version of the run's object
// (generation newer), or, for a FilesLatest job, a newer file.
type supersededError struct{ newer, file string }

func (e *supersededError) Error() string {
	return "etl: a newer version (generation " + e.newer + ") of " + e.file + " is already loaded"
}

// claimObject orders the loads of one file (of every file of a
// FilesLatest job: fileSlot). It takes the slot's loading lease in the
// ledger, so two versions never load at once, and refuses
// (supersededError) a version older than the one already loaded: events
// may arrive, and runs may finish extracting, in any order.
func (s *Service) claimObject(ctx context.Context, run Run) error {
	if run.Object == nil {
		return nil
	}
	slot, _ := fileSlot(run.Object, run.LatestOrder)
	var sup supersededError
	_, err := docstore.Update(ctx, s.store, ledgerKey(run.Tenant, run.JobID, slot), func(e *LedgerEntry, exists bool) error {
		if !exists {
			*e = LedgerEntry{JobID: run.JobID, Object: run.Object.Name}
		}
		if loadedNewer(*e, run.Object, run.LatestOrder) {
			sup = supersededError{newer: e.Generation, file: e.Object}
			return errSupersededMark
		}
		now := s.nowUTC()
		if e.LoadingRun != "" && e.LoadingRun != run.ID && e.LoadingUntil != nil && now.Before(*e.LoadingUntil) {
			return errObjectBusy
		}
		e.LoadingRun = run.ID
		e.LoadingUntil = ptr(now.Add(s.leaseTTL))
		return nil
	})
	if errors.Is(err, errSupersededMark) {
		return &sup
	}
	return err
}

var errSupersededMark = errors.New("superseded")

// renewLoad renews a loading run's leases: token's on the run and the
// run's on its file.
func (s *Service) renewLoad(run Run, token string) func(context.Context) error {
	renewRun := s.renewRun(run.Tenant, run.ID, token)
	return func(ctx context.Context) error {
		if err := renewRun(ctx); err != nil {
			return err
		}
		if run.Object == nil {
			return nil
		}
		slot, _ := fileSlot(run.Object, run.LatestOrder)
		_, err := docstore.Update(ctx, s.store, ledgerKey(run.Tenant, run.JobID, slot), func(e *LedgerEntry, exists bool) error {
			if !exists || e.LoadingRun != run.ID {
				return errLeaseLost
			}
			e.LoadingUntil = ptr(s.nowUTC().Add(s.leaseTTL))
			return nil
		})
		return err
	}
}

// releaseObject drops the run's loading lease on its file after a failed
// load (best effort: the lease expires on its own).
func (s *Service) releaseObject(ctx context.Context, run Run) {
	if run.Object == nil {
		return
	}
	slot, _ := fileSlot(run.Object, run.LatestOrder)
	_, err := docstore.Update(ctx, s.store, ledgerKey(run.Tenant, run.JobID, slot), func(e *LedgerEntry, exists bool) error {
		if !exists || e.LoadingRun != run.ID {
			return errNothingToRelease
		}
		e.LoadingRun, e.LoadingUntil = "", nil
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToRelease) {
		s.log.WarnContext(ctx, "etl: could not release the file's loading lease", "run", run.ID, "object", run.Object.Name, "err", err)
	}
}

var errNothingToRelease = errors.New("nothing to release")
