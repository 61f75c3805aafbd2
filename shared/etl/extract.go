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
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// extract stages the run's object, or a database job's table
// (extractDB). It returns skipped when the run was finished without
// staging anything (unchanged content, a superseded version).
func (s *Service) extract(ctx context.Context, run *Run, token string) (outcome, error) {
	job, err := s.GetJob(ctx, run.Tenant, run.JobID)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	if job.SourceType == SourceDatabase {
		return s.extractDB(ctx, run, job, token)
	}
	dst, err := s.openStaging(ctx, *run)
	if err != nil {
		return proceed, err
	}
	b, err := s.openJobBucket(ctx, run.Tenant, job)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	defer b.release()
	if err := s.initDone(ctx, *run); err != nil {
		return proceed, err
	}
	obj, out, err := s.checkObject(ctx, run, job, b.Bucket)
	if err != nil || out == skipped {
		return out, err
	}
	if dst.target, _, err = s.destination(ctx, dst.wh, job, false); err != nil {
		return proceed, err
	}
	out, err = s.stageObject(ctx, run, job, b.Bucket, obj, dst, token)
	if err == nil && job.File.ConnectionID != "" {
		s.markUsed(ctx, run.Tenant, job.File.ConnectionID)
	}
	return out, err
}

// markUsed records that a run read through a saved connection (its
// last_used_at); a failure is only logged.
func (s *Service) markUsed(ctx context.Context, tenant, connID string) {
	if err := s.conns.MarkUsed(ctx, tenant, connID); err != nil {
		s.log.WarnContext(ctx, "etl: could not mark the connection used", "tenant", tenant, "connection", connID, "err", err)
	}
}

// staging is where a run's extraction writes: the staging bucket, the
// warehouse, and the destination table's data columns (nil: no table yet).
type staging struct {
	bucket *blob.Bucket
	wh     *warehouse.Warehouse
	target warehouse.Schema
}

// openStaging opens the run's staging bucket and warehouse (phase init).
func (s *Service) openStaging(ctx context.Context, run Run) (staging, error) {
	b, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err != nil {
		return staging{}, inPhase(PhaseInit, err)
	}
	wh, err := s.res.Warehouse(ctx, run.Tenant)
	if err != nil {
		return staging{}, inPhase(PhaseInit, err)
	}
	return staging{bucket: b, wh: wh}, nil
}

// initDone records the end of the run's init phase.
func (s *Service) initDone(ctx context.Context, run Run) error {
	_, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) { r.Stages.InitCompletedAt = ptr(s.nowUTC()); r.Progress.Phase = PhaseValidation })
	return err
}

// destination makes sure the job's dataset exists and returns its
// table's data columns (nil when there is no table yet), and with
// count its number of rows (-1: no table). Phase validation.
func (s *Service) destination(ctx context.Context, wh *warehouse.Warehouse, job Job, count bool) (warehouse.Schema, int64, error) {
	if err := wh.CreateDataset(ctx, job.Dest.Dataset); err != nil {
		return nil, 0, inPhase(PhaseValidation, err)
	}
	t, err := wh.DescribeTable(ctx, job.Dest.Dataset, job.Dest.Table)
	if errs.Is(err, errs.NotFound) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, 0, inPhase(PhaseValidation, err)
	}
	var rows int64
	if count {
		if rows, err = s.countRows(ctx, wh, job.Dest); err != nil {
			return nil, 0, inPhase(PhaseValidation, err)
		}
	}
	return dataColumns(t.Schema), rows, nil
}

// startExtraction records the end of validation and the start of the
// extraction (at now), with more changes to the run.
func (s *Service) startExtraction(ctx context.Context, run Run, now time.Time, more func(r *Run)) error {
	_, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ValidationCompletedAt = ptr(now)
		r.Stages.ExtractionStartedAt = ptr(now)
		r.Progress.Phase = PhaseExtraction
		more(r)
	})
	return err
}

// extracted records what the extraction staged, with more changes to the
// run, and hands the run back for its load.
func (s *Service) extracted(ctx context.Context, run *Run, res stageResult, more func(r *Run)) error {
	updated, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ExtractionCompletedAt = ptr(s.nowUTC())
		r.RowsRead = res.stats.RowsRead
		r.RowsRejected = res.stats.RowsRejected
		r.Parts = res.parts
		r.RejectsObject = res.rejectsObject
		r.Schema = res.schema
		r.FirstRejects = res.firstRejects
		r.AddedColumns = res.added
		r.Progress = Progress{Phase: PhaseLoading, RowsRead: res.stats.RowsRead}
		more(r)
		s.release(r)
	})
	if err != nil {
		return err
	}
	*run = updated
	msg := fmt.Sprintf("read %s", rowsText(res.stats.RowsRead))
	if res.stats.RowsRejected > 0 {
		msg += fmt.Sprintf(", %s rejected", rowsText(res.stats.RowsRejected))
	}
	s.runLog(ctx, *run, LogInfo, PhaseExtraction, fmt.Sprintf("%s; %d staged %s", msg, len(res.parts), plural(len(res.parts), "part", "parts")), runCounts(*run))
	if run.Object != nil && res.encoding != "" && res.encoding != "utf-8" {
		s.runLog(ctx, *run, LogWarn, PhaseExtraction, "the file is not UTF-8: it was read as "+res.encoding, nil)
	}
	return nil
}

// checkedObject is the version of a run's object that validation found.
type checkedObject struct {
	format tabular.Format
	attrs  *blob.Attributes
	md5    string // hex
	// pin reads exactly this version, where the store can.
	pin *blob.ReaderOptions
}

// checkObject validates the run's object: its format, that this version
// is still the current one (else the run is superseded) and that its
// content is not loaded already (else the run is skipped as unchanged).
func (s *Service) checkObject(ctx context.Context, run *Run, job Job, drop *blob.Bucket) (checkedObject, outcome, error) {
	obj := run.Object
	if obj == nil {
		return checkedObject{}, proceed, inPhase(PhaseValidation, invalidf("etl: run %s has no object", run.ID))
	}
	format, err := fileFormat(job, obj.Name)
	if err != nil {
		return checkedObject{}, proceed, inPhase(PhaseValidation, err)
	}
	attrs, err := drop.Attributes(ctx, obj.Name)
	if err != nil {
		return checkedObject{}, proceed, inPhase(PhaseValidation, blobstore.Wrap(err, "etl: read object %q", obj.Name))
	}
	// Versions are ordered by generation: when the object has been
	// replaced since this run's event, the newer version's own run loads
	// it and this one has nothing to do.
	current := blobstore.Generation(attrs)
	order, ordered := blobstore.CompareGenerations(current, obj.Generation)
	if ordered && order > 0 {
		out, err := s.supersede(ctx, run, current)
		return checkedObject{}, out, err
	}
	md5, err := contentHash(ctx, drop, obj.Name, attrs.MD5, obj.MD5)
	if err != nil {
		return checkedObject{}, proceed, inPhase(PhaseValidation, err)
	}
	if out, err := s.skipUnchanged(ctx, run, job, md5); err != nil || out == skipped {
		return checkedObject{}, out, err
	}
	co := checkedObject{format: format, attrs: attrs, md5: md5}
	if ordered && order == 0 {
		co.pin = blobstore.AtGeneration(obj.Generation)
	}
	return co, proceed, nil
}

// skipUnchanged finishes the run as skipped when the ledger shows the
// same content (hex MD5) of its object loaded already (for a FilesLatest
// job: the table holds that content), or, for a FilesLatest job, a newer
// file loaded already.
func (s *Service) skipUnchanged(ctx context.Context, run *Run, job Job, md5 string) (outcome, error) {
	slot, _ := fileSlot(run.Object, run.LatestOrder)
	prev, ok, err := s.ledgerEntry(ctx, run.Tenant, job.ID, slot)
	if err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	if ok && run.LatestOrder != "" && loadedNewer(prev, run.Object, run.LatestOrder) {
		return s.supersedeLatest(ctx, run, prev.Object)
	}
	if !ok || md5 == "" || prev.MD5 != md5 {
		return proceed, nil
	}
	if _, err := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Status = StatusCompleted
		r.SkippedReason = fmt.Sprintf("unchanged: the same content of %s was loaded by run %s", r.Object.Name, prev.RunID)
	}); err != nil {
		return proceed, err
	}
	*run, _ = s.GetRun(ctx, run.Tenant, run.ID)
	return skipped, nil
}

// stageObject extracts the checked version of the run's object into
// staged parts. The read is pinned to that version (where the store can):
// a replacement written meanwhile fails it rather than being loaded under
// this version's name, and supersedes the run.
func (s *Service) stageObject(ctx context.Context, run *Run, job Job, drop *blob.Bucket, obj checkedObject, dst staging, token string) (outcome, error) {
	now := s.nowUTC()
	if err := s.startExtraction(ctx, *run, now, func(*Run) {}); err != nil {
		return proceed, err
	}
	s.runLog(ctx, *run, LogInfo, PhaseExtraction, fmt.Sprintf("reading %s (%d bytes)", run.Object.Name, obj.attrs.Size), nil)
	ctx, abort := context.WithCancelCause(ctx) // see stageInput.abort
	defer abort(nil)
	name := run.Object.Name
	open := func() (io.ReadCloser, error) { return drop.NewReader(ctx, name, obj.pin) }
	res, err := s.stage(ctx, stageInput{
		run: *run, job: job, format: obj.format, open: open, staging: dst.bucket, target: dst.target, loadedAt: now, lease: token, abort: abort,
	})
	err = cancelled(ctx, err)
	if err != nil && obj.pin != nil && (errors.Is(err, blobstore.ErrGenerationChanged) || errs.Is(err, errs.NotFound)) {
		if a, aerr := drop.Attributes(ctx, name); aerr == nil {
			if c, ok := blobstore.CompareGenerations(blobstore.Generation(a), run.Object.Generation); ok && c > 0 {
				return s.supersede(ctx, run, blobstore.Generation(a))
			}
		} else if blobstore.KindOf(aerr) == errs.NotFound {
			return proceed, inPhase(PhaseValidation, errs.Explain(blobstore.Wrap(aerr, "etl: object %q was deleted before it could be read", name),
				"%s was deleted before it could be read", name))
		}
	}
	if err != nil {
		return proceed, inPhase(PhaseExtraction, err)
	}
	return proceed, s.extracted(ctx, run, res, func(r *Run) {
		r.BytesProcessed = obj.attrs.Size
		r.Encoding = res.encoding
		r.Object.MD5 = obj.md5
	})
}

// supersede completes a run whose version of its object has been replaced
// by a newer one (generation newer) before it was loaded.
func (s *Service) supersede(ctx context.Context, run *Run, newer string) (outcome, error) {
	return s.skipSuperseded(ctx, run, fmt.Sprintf("superseded: %s was replaced by a newer version (generation %s) before this one (generation %s) was loaded; the newer version's run loads it",
		run.Object.Name, newer, run.Object.Generation))
}

// supersedeLatest completes a run of a FilesLatest job whose file is
// older than the one the table was replaced with already (newerFile).
func (s *Service) supersedeLatest(ctx context.Context, run *Run, newerFile string) (outcome, error) {
	return s.skipSuperseded(ctx, run, fmt.Sprintf("superseded: the newer file %s has already replaced the table, so this older file %s is not loaded",
		newerFile, run.Object.Name))
}

// skipSuperseded completes a superseded run with its reason.
func (s *Service) skipSuperseded(ctx context.Context, run *Run, reason string) (outcome, error) {
	_, err := s.finish(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Status = StatusCompleted
		r.SkippedReason = reason
	})
	if err != nil {
		return proceed, err
	}
	if updated, err := s.GetRun(ctx, run.Tenant, run.ID); err == nil {
		*run = updated
	}
	return skipped, nil
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
