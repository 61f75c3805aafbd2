package etl

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// extractDB stages the rows of a database job's table (incrementally from
// the job's watermark, or all of them) as Parquet parts, the same way a
// file is staged: typed from the table's description, values that do not
// fit rejected with their column named (row number as the line).
func (s *Service) extractDB(ctx context.Context, run *Run, job Job, token string) (outcome, error) {
	if s.conns == nil || job.Database == nil {
		return proceed, inPhase(PhaseInit, errs.E(errs.Unsupported, "etl: job %s: database jobs need saved connections", job.ID))
	}
	dst, err := s.openStaging(ctx, *run)
	if err != nil {
		return proceed, err
	}
	src, _, err := s.conns.OpenSource(ctx, run.Tenant, job.Database.ConnectionID)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	defer src.Close()
	if err := s.initDone(ctx, *run); err != nil {
		return proceed, err
	}
	plan, err := s.planExtract(ctx, src, job, &dst)
	if err != nil {
		return proceed, err
	}
	parts, err := s.planPartitions(ctx, *run, src, job, plan)
	if err != nil {
		return proceed, err
	}
	if parts != nil {
		return fannedOut, s.fanOut(ctx, run, job, plan, parts)
	}
	now := s.nowUTC()
	if err := s.startExtraction(ctx, *run, now, func(r *Run) {
		if plan.from != nil {
			r.WatermarkFrom = plan.from.Watermark
		}
	}); err != nil {
		return proceed, err
	}
	from := "all rows"
	if plan.from != nil && plan.from.Watermark != nil {
		from = "rows from watermark " + plan.from.Watermark.Value
	} else if t, ok := plan.req.Since.(time.Time); ok {
		from = "rows from the historical start " + t.Format(time.RFC3339)
	}
	s.runLog(ctx, *run, LogInfo, PhaseExtraction, fmt.Sprintf("reading table %s: %s", plan.label, from), nil)
	res, next, err := s.stageTable(ctx, run, job, src, plan, dst, now, token)
	if err != nil {
		return proceed, err
	}
	s.markUsed(ctx, run.Tenant, job.Database.ConnectionID)
	return proceed, s.extracted(ctx, run, res, func(r *Run) {
		r.BytesProcessed = res.bytes
		if next != nil {
			r.NextState = next
			r.WatermarkTo = next.Watermark
		}
	})
}

// dbPlan is what a database run reads: the request, the incremental
// state it reads from (nil: from the start or the historical start), and
// the source's name in messages and lineage ("schema.table").
type dbPlan struct {
	req   sources.ExtractRequest
	from  *IncrementalState
	label string
	// meta is the table as described when the run was planned.
	meta sources.TableMeta
	// partition is the partition of a partitioned run this read is
	// (nil: the whole run).
	partition *Partition
}

// planExtract validates the table as it is now and the destination (its
// data columns go to dst.target) and plans the read from the job's state.
func (s *Service) planExtract(ctx context.Context, src *sources.Source, job Job, dst *staging) (dbPlan, error) {
	d := job.Database
	meta, err := src.Describe(ctx, d.Schema, d.Table, 0)
	if err != nil {
		return dbPlan{}, inPhase(PhaseValidation, err)
	}
	target, destRows, err := s.destination(ctx, dst.wh, job, true)
	if err != nil {
		return dbPlan{}, err
	}
	dst.target = target
	plan := dbPlan{
		req:   sources.ExtractRequest{Schema: d.Schema, Table: d.Table, Columns: d.Columns},
		label: dbSourceName(&DatabaseSource{Schema: meta.Schema, Table: meta.Table}),
		meta:  meta,
	}
	if !job.incremental() {
		return plan, nil
	}
	plan.req.TimestampColumn = d.TimestampColumn
	// Stale-watermark guard: a destination without rows (emptied or
	// dropped) is reloaded from the start, whatever the state says.
	if job.State != nil && job.State.Watermark != nil && destRows > 0 {
		plan.from = job.State
		if plan.req.Since, err = plan.from.Watermark.Decode(); err != nil {
			return dbPlan{}, inPhase(PhaseValidation, err)
		}
		plan.req.SeenAtSince = plan.from.BoundaryKeys
		if t, ok := plan.req.Since.(time.Time); ok && d.LookbackMinutes > 0 {
			// Re-read the window below the watermark; the merge loads the
			// rows read again once, so no boundary keys are skipped.
			plan.req.Since, plan.req.SeenAtSince = t.Add(-time.Duration(d.LookbackMinutes)*time.Minute), nil
		}
	} else if d.HistoricalStart != nil {
		plan.req.Since = *d.HistoricalStart
	}
	return plan, nil
}

// stageTable reads the planned rows into staged parts and returns what
// was staged and the incremental state the run reaches (nil for a job
// that is not incremental).
func (s *Service) stageTable(ctx context.Context, run *Run, job Job, src *sources.Source, plan dbPlan, dst staging, now time.Time, token string) (stageResult, *IncrementalState, error) {
	// A cancelled run stops the read itself, not only the conversion.
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	it, err := src.Extract(ctx, plan.req)
	if err != nil {
		return stageResult{}, nil, inPhase(PhaseExtraction, cancelled(ctx, err))
	}
	defer it.Close()
	in := stageInput{
		run: *run, job: job, staging: dst.bucket, target: dst.target, loadedAt: now, lease: token, label: plan.label, abort: abort,
		partition: plan.partition,
	}
	inferred, err := applyColumns(dbInferred(it.Columns()), job.Dest, false)
	if err != nil {
		return stageResult{}, nil, inPhase(PhaseValidation, err)
	}
	if dst.target != nil {
		if inferred, err = s.reconcile(ctx, in, inferred); err != nil {
			return stageResult{}, nil, inPhase(PhaseValidation, err)
		}
	}
	rows := &rowSource{it: it}
	res, err := s.convertRows(ctx, in, inferred, rows)
	if err == nil {
		err = it.Err()
	}
	if err = cancelled(ctx, err); err != nil {
		return stageResult{}, nil, inPhase(PhaseExtraction, err)
	}
	res.bytes = rows.bytes
	next, err := nextState(job, run.ID, plan.from, it.Watermark(), it.BoundaryKeys(), now)
	return res, next, err
}

// nextState is the incremental state a run of job reaches having read
// from the state from up to mark (the greatest timestamp read; nil: no
// row), with keys the keys of the rows at mark (nil for a job that is
// not incremental).
func nextState(job Job, runID string, from *IncrementalState, mark any, keys []string, now time.Time) (*IncrementalState, error) {
	if !job.incremental() {
		return nil, nil
	}
	next := &IncrementalState{RunID: runID, UpdatedAt: now}
	if from != nil {
		next.Watermark, next.BoundaryKeys = from.Watermark, from.BoundaryKeys
	}
	if mark == nil {
		return next, nil
	}
	w, err := NewWatermark(mark)
	if err != nil {
		return nil, inPhase(PhaseExtraction, err)
	}
	next.Watermark, next.BoundaryKeys = w, keys
	if c, ok := sameMark(from, mark); ok && c == 0 {
		// Only rows at the old watermark were new: the rows seen at it
		// are the old ones and these.
		next.BoundaryKeys = append(slices.Clone(from.BoundaryKeys), keys...)
	}
	return next, nil
}

// countRows counts the rows of a destination table.
func (s *Service) countRows(ctx context.Context, wh *warehouse.Warehouse, dest Dest) (int64, error) {
	q := "SELECT COUNT(*) AS n FROM " + warehouse.QuoteTable(wh.Dialect(), dest.Dataset, dest.Table)
	res, err := wh.Query(ctx, q, nil, 1)
	if err != nil {
		return 0, err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return 0, errs.E(errs.Transient, "etl: count rows: unexpected result shape")
	}
	n, _ := res.Rows[0][0].(int64)
	return n, nil
}

// dbInferred describes the extract's columns as tabular columns: every
// column nullable, as for files (values the warehouse cannot hold, such
// as PostgreSQL infinity dates, arrive as NULL).
func dbInferred(cols []sources.ExtractColumn) tabular.Inferred {
	in := tabular.Inferred{Complete: true}
	for _, c := range cols {
		in.Columns = append(in.Columns, tabular.InferredColumn{
			Name: c.Name, Original: c.OriginalName, Type: c.Type, Nullable: true, Confidence: 1, Samples: []string{},
		})
	}
	in.Fingerprint = tabular.Fingerprint(in.Schema())
	return in
}

// rowSource reads a database extract as typed rows: the sources package
// types its values as tabular.RowSource takes them. It counts the bytes
// of the values it reads (bytes_processed of a database run).
type rowSource struct {
	it    sources.RowIterator
	bytes int64
}

func (r *rowSource) Columns() []tabular.RowColumn {
	cols := r.it.Columns()
	out := make([]tabular.RowColumn, len(cols))
	for i, c := range cols {
		out[i] = tabular.RowColumn{Name: c.Name, Original: c.OriginalName, Type: c.Type}
	}
	return out
}

func (r *rowSource) Next() ([]any, error) {
	if r.it.Next() {
		vals := r.it.Values()
		for _, v := range vals {
			r.bytes += valueSize(v)
		}
		return vals, nil
	}
	if err := r.it.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

// valueSize is the size a database value counts in bytes_processed: text
// and binary values their length, NULL nothing, numbers, times and
// others 8 bytes, booleans 1.
func valueSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case bool:
		return 1
	}
	return 8
}
