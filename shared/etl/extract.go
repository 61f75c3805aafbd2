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

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

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
