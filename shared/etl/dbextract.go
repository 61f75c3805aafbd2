package etl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
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
	d := job.Database
	staging, err := s.res.Bucket(ctx, run.Tenant, BucketStaging)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	wh, err := s.res.Warehouse(ctx, run.Tenant)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	src, _, err := s.conns.OpenSource(ctx, run.Tenant, d.ConnectionID)
	if err != nil {
		return proceed, inPhase(PhaseInit, err)
	}
	defer src.Close()
	if _, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) { r.Stages.InitCompletedAt = ptr(s.nowUTC()); r.Progress.Phase = PhaseValidation }); err != nil {
		return proceed, err
	}

	// Validation: the table as it is now, the destination, the state.
	meta, err := src.Describe(ctx, d.Schema, d.Table, 0)
	if err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	if err := wh.CreateDataset(ctx, job.Dest.Dataset); err != nil {
		return proceed, inPhase(PhaseValidation, err)
	}
	var target warehouse.Schema
	destRows := int64(-1) // -1: no table
	if t, err := wh.DescribeTable(ctx, job.Dest.Dataset, job.Dest.Table); err == nil {
		target = dataColumns(t.Schema)
		if destRows, err = s.countRows(ctx, wh, job.Dest); err != nil {
			return proceed, inPhase(PhaseValidation, err)
		}
	} else if !errs.Is(err, errs.NotFound) {
		return proceed, inPhase(PhaseValidation, err)
	}
	req := sources.ExtractRequest{Schema: d.Schema, Table: d.Table, Columns: d.Columns}
	var from *IncrementalState
	if job.incremental() {
		req.TimestampColumn = d.TimestampColumn
		// Stale-watermark guard: a destination without rows (emptied or
		// dropped) is reloaded from the start, whatever the state says.
		if job.State != nil && job.State.Watermark != nil && destRows > 0 {
			from = job.State
			if req.Since, err = from.Watermark.Decode(); err != nil {
				return proceed, inPhase(PhaseValidation, err)
			}
			req.SeenAtSince = from.BoundaryKeys
		} else if d.HistoricalStart != nil {
			req.Since = *d.HistoricalStart
		}
	}
	now := s.nowUTC()
	if _, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ValidationCompletedAt = ptr(now)
		r.Stages.ExtractionStartedAt = ptr(now)
		r.Progress.Phase = PhaseExtraction
		if from != nil {
			r.WatermarkFrom = from.Watermark
		}
	}); err != nil {
		return proceed, err
	}

	// Extraction.
	it, err := src.Extract(ctx, req)
	if err != nil {
		return proceed, inPhase(PhaseExtraction, err)
	}
	defer it.Close()
	inferred := dbInferred(it.Columns())
	if target != nil {
		if inferred, err = reconcile(inferred, target); err != nil {
			return proceed, inPhase(PhaseValidation, err)
		}
	}
	label := dbSourceName(&DatabaseSource{Schema: meta.Schema, Table: meta.Table})
	done := make(chan struct{})
	open := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			defer close(done)
			pw.CloseWithError(writeJSONRows(pw, it))
		}()
		return pr, nil
	}
	res, err := s.convertFile(ctx, stageInput{
		run: *run, job: job, format: tabular.JSONL, open: open, staging: staging, target: target,
		loadedAt: now, lease: token, label: label,
	}, inferred, false)
	<-done // convertFile closed the reader: the writer has stopped
	if err == nil {
		err = it.Err()
	}
	if err != nil {
		return proceed, inPhase(PhaseExtraction, err)
	}
	var next *IncrementalState
	if job.incremental() {
		next = &IncrementalState{RunID: run.ID, UpdatedAt: now}
		if from != nil {
			next.Watermark, next.BoundaryKeys = from.Watermark, from.BoundaryKeys
		}
		if mark := it.Watermark(); mark != nil {
			w, err := NewWatermark(mark)
			if err != nil {
				return proceed, inPhase(PhaseExtraction, err)
			}
			next.Watermark, next.BoundaryKeys = w, it.BoundaryKeys()
			if c, ok := sameMark(from, mark); ok && c == 0 {
				// Only rows at the old watermark were new: the rows seen
				// at it are the old ones and these.
				next.BoundaryKeys = append(slices.Clone(from.BoundaryKeys), it.BoundaryKeys()...)
			}
		}
	}
	if err := s.conns.MarkUsed(ctx, run.Tenant, d.ConnectionID); err != nil {
		s.log.WarnContext(ctx, "etl: could not mark the connection used", "tenant", run.Tenant, "connection", d.ConnectionID, "err", err)
	}
	updated, err := s.stamp(ctx, run.Tenant, run.ID, func(r *Run) {
		r.Stages.ExtractionCompletedAt = ptr(s.nowUTC())
		r.RowsRead = res.stats.RowsRead
		r.RowsRejected = res.stats.RowsRejected
		r.Parts = res.parts
		r.RejectsObject = res.rejectsObject
		r.Schema = res.schema
		r.FirstRejects = res.firstRejects
		r.Progress = Progress{Phase: PhaseLoading, RowsRead: res.stats.RowsRead}
		if next != nil {
			r.NextState = next
			r.WatermarkTo = next.Watermark
		}
		s.release(r)
	})
	if err != nil {
		return proceed, err
	}
	*run = updated
	return proceed, nil
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
	in := tabular.Inferred{Format: tabular.JSONL, Complete: true}
	for _, c := range cols {
		in.Columns = append(in.Columns, tabular.InferredColumn{
			Name: c.Name, Original: c.OriginalName, Type: c.Type, Nullable: true, Confidence: 1, Samples: []string{},
		})
	}
	in.Fingerprint = tabular.Fingerprint(in.Schema())
	return in
}

// writeJSONRows writes the iterator's rows as JSON lines keyed by source
// column name, each value in the text form tabular coerces back to its
// type exactly.
func writeJSONRows(w io.Writer, it sources.RowIterator) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cols := it.Columns()
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		k, _ := json.Marshal(c.OriginalName)
		keys[i] = k
	}
	var line []byte
	for it.Next() {
		line = append(line[:0], '{')
		for i, v := range it.Values() {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, keys[i]...)
			line = append(line, ':')
			line = appendJSONValue(line, cols[i].Type, v)
		}
		line = append(line, '}', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// appendJSONValue appends one extracted value (see the sources package
// doc for the Go type of each warehouse type).
func appendJSONValue(b []byte, t warehouse.Type, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return appendJSONString(b, strconv.FormatFloat(x, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case []byte:
		return appendJSONString(b, base64.StdEncoding.EncodeToString(x))
	case time.Time:
		x = x.UTC()
		switch t {
		case warehouse.Date:
			return appendJSONString(b, x.Format(time.DateOnly))
		case warehouse.DateTime:
			return appendJSONString(b, x.Format("2006-01-02T15:04:05.999999999"))
		}
		return appendJSONString(b, x.Format(time.RFC3339Nano))
	case string:
		if t == warehouse.JSON {
			// The document itself (compacted onto one line), not a string
			// holding it.
			var buf bytes.Buffer
			if json.Compact(&buf, []byte(x)) == nil {
				return append(b, buf.Bytes()...)
			}
		}
		return appendJSONString(b, x)
	}
	return appendJSONString(b, fmt.Sprint(v))
}
