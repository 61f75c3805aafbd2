package etl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// stageInput is what stage needs.
type stageInput struct {
	run      Run
	job      Job
	format   tabular.Format
	open     func() (io.ReadCloser, error)
	staging  *blob.Bucket
	target   warehouse.Schema // the existing table's data columns, or nil
	loadedAt time.Time
	lease    string // the delivery's lease token, renewed with progress
	// label names the source in messages and in _b2b_source_file when
	// the run has no object (a database table).
	label string
	// abort stops the extraction (its context) with a cause: progress
	// calls it with errAlreadyFinished when it finds the run finished
	// meanwhile (cancelled), so the extraction stops at the next batch.
	abort context.CancelCauseFunc
	// partition is the partition of a partitioned run being staged (nil:
	// the whole run): see stagingKeys and stageProgress.
	partition *Partition
}

// sourceName is the run's object name, or the label of a source that is
// not an object.
func (in stageInput) sourceName() string {
	if in.run.Object != nil {
		return in.run.Object.Name
	}
	return in.label
}

type stageResult struct {
	parts         []string
	rejectsObject string
	schema        warehouse.Schema
	stats         tabular.Stats
	firstRejects  []Reject
	encoding      string // the text encoding the file was read in
	bytes         int64  // the bytes of the values read (database runs)
	// added are the columns the table gets (schema evolution add_columns).
	added []string
}

// WithLimits sets the input limits of file and database extraction
// (record, value and column counts, JSON depth, decompression); zero
// fields keep their defaults (tabular.DefaultLimits).
func WithLimits(l tabular.Limits) Option { return func(s *Service) { s.limits = l } }

// runPrefix is where a run's staged parts live in the staging bucket
// (removed after the load; the bucket's lifecycle rule removes what is
// left under runs/).
func runPrefix(runID string) string { return "runs/" + runID + "/" }

// rejectsKey is where a run's rejected rows live in the staging bucket:
// outside runs/, so they are kept as long as the run record.
func rejectsKey(runID string) string { return "rejects/" + runID + ".jsonl" }

// sampleRows is how many rows of a CSV file the optimistic path infers
// types from before converting.
const sampleRows = 50_000

// stage turns the run's object into Parquet parts with the lineage columns,
// writing rejected rows to a JSONL file beside them. Part names are fixed
// per run, so a retry overwrites them.
//
// Types: a CSV file is converted in one pass with types inferred from its
// first rows, strictly: should a later value not fit (a product code
// after numbers, a day/month order revealed late), the run infers over the
// whole file and converts again, so the result is the same as a
// whole-file inference and no row is rejected for a type guessed too
// narrowly. Other formats, and samples that cannot decide (a column
// without values, dates that are not ISO), are inferred over the whole
// file first. When the table exists its types win.
func (s *Service) stage(ctx context.Context, in stageInput) (stageResult, error) {
	opts := readOptions(in.job)
	opts.Limits = s.limits
	sample := in.format == tabular.CSV
	inferred, err := s.inferFile(ctx, in, opts, sample)
	if err != nil {
		return stageResult{}, err
	}
	if !inferred.Complete && !sampleDecides(inferred) {
		if inferred, err = s.inferFile(ctx, in, opts, false); err != nil {
			return stageResult{}, err
		}
	}
	if in.target != nil && !inferred.Complete && len(newColumns(inferred, in.target)) > 0 && in.job.schemaEvolution() == SchemaAddColumns {
		// A column added to the table takes its type from the whole
		// file: the table's types no longer leave the sample free.
		if inferred, err = s.inferFile(ctx, in, opts, false); err != nil {
			return stageResult{}, err
		}
	}
	if in.target != nil {
		if inferred, err = s.reconcile(ctx, in, inferred); err != nil {
			return stageResult{}, err
		}
	}
	strict := !inferred.Complete && in.target == nil
	if strict {
		if inferred, err = allNullable(inferred); err != nil {
			return stageResult{}, err
		}
	}
	res, err := s.convertFile(ctx, in, inferred, strict)
	if strict && errors.Is(err, tabular.ErrTypeMismatch) {
		s.log.InfoContext(ctx, "etl: types from the first rows do not fit the whole file; inferring over all of it", "run", in.run.ID, "reason", err)
		s.runLog(ctx, in.run, LogWarn, PhaseExtraction, "the column types found in the first rows do not fit the whole file: the types were inferred over all of it and the file read again", nil)
		if inferred, err = s.inferFile(ctx, in, opts, false); err != nil {
			return stageResult{}, err
		}
		res, err = s.convertFile(ctx, in, inferred, false)
	}
	return res, err
}

// inferFile infers the object's columns, over a sample or the whole file.
func (s *Service) inferFile(ctx context.Context, in stageInput, opts tabular.Options, sample bool) (tabular.Inferred, error) {
	if sample {
		opts.SampleRows = sampleRows
	}
	r, err := in.open()
	if err != nil {
		return tabular.Inferred{}, blobstore.Wrap(err, "etl: open %s", in.sourceName())
	}
	defer r.Close()
	inferred, err := tabular.Infer(ctx, r, in.format, opts)
	if err != nil {
		return tabular.Inferred{}, err
	}
	if len(inferred.Columns) == 0 {
		if inferred.BadRows > 0 && len(inferred.Warnings) > 0 {
			return tabular.Inferred{}, errs.Userf(errs.Invalid, "no row of %s can be read: %s", in.sourceName(), strings.TrimPrefix(inferred.Warnings[0], "no readable record: "))
		}
		return tabular.Inferred{}, errs.Userf(errs.Invalid, "%s has no columns: the file is empty", in.sourceName())
	}
	return applyColumns(inferred, in.job.Dest, false)
}

// sampleDecides reports whether types inferred from a sample can be
// trusted to convert optimistically: every column had values, and dates
// are ISO (a day/month order guessed from a sample could read 1/2 as
// January 2nd in rows that a later 13/2 shows to be February 1st).
func sampleDecides(in tabular.Inferred) bool {
	for _, c := range in.Columns {
		if c.Values == 0 || c.Layout != tabular.LayoutISO {
			return false
		}
	}
	return true
}

// allNullable makes every column nullable: tables made from files are, and
// a sample without gaps says nothing about the rest of the file.
func allNullable(in tabular.Inferred) (tabular.Inferred, error) {
	schema := in.Schema()
	for i := range schema {
		schema[i].Nullable = true
	}
	return in.Override(schema)
}

// convertFile converts the object with the given columns into the run's
// parts and rejects file.
func (s *Service) convertFile(ctx context.Context, in stageInput, inferred tabular.Inferred, strict bool) (stageResult, error) {
	return s.convert(ctx, in, inferred, strict, func(opts tabular.ConvertOptions) (tabular.Stats, error) {
		r, err := in.open()
		if err != nil {
			return tabular.Stats{}, blobstore.Wrap(err, "etl: open %s", in.sourceName())
		}
		defer r.Close()
		return tabular.Convert(ctx, r, in.format, inferred, opts)
	})
}

// convertRows converts typed rows (a database table's) with the given
// columns into the run's parts and rejects file.
func (s *Service) convertRows(ctx context.Context, in stageInput, inferred tabular.Inferred, src tabular.RowSource) (stageResult, error) {
	return s.convert(ctx, in, inferred, false, func(opts tabular.ConvertOptions) (tabular.Stats, error) {
		return tabular.ConvertRows(ctx, src, inferred, opts)
	})
}

// convert runs a conversion into the run's parts (named by number, so a
// retry overwrites them) and rejects file, with the lineage columns, the
// service's limits and the run's progress.
func (s *Service) convert(ctx context.Context, in stageInput, inferred tabular.Inferred, strict bool, run func(tabular.ConvertOptions) (tabular.Stats, error)) (stageResult, error) {
	prefix, rejectsKey := in.stagingKeys()
	var parts []string
	// The rejects file is made at the first rejected row: a run without
	// one leaves no file behind.
	rw := &lazyWriter{open: func() (io.WriteCloser, error) {
		w, err := in.staging.NewWriter(ctx, rejectsKey, &blob.WriterOptions{ContentType: "application/x-ndjson"})
		if err != nil {
			return nil, blobstore.Wrap(err, "etl: open rejects file")
		}
		return w, nil
	}}
	stats, err := run(tabular.ConvertOptions{
		RowsPerPart: s.rowsPerPart,
		StrictTypes: strict,
		Limits:      s.limits,
		NewPart: func(i int) (io.WriteCloser, error) {
			key := fmt.Sprintf("%spart-%05d.parquet", prefix, i)
			parts = append(parts, key)
			return in.staging.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/vnd.apache.parquet"})
		},
		Rejects:   rw,
		Constants: lineageValues(in),
		Progress:  s.stageProgress(ctx, in),
	})
	if cerr := rw.Close(); err == nil && cerr != nil {
		err = errs.Wrap(errs.Transient, cerr, "etl: write rejects file")
	}
	if err != nil {
		return stageResult{}, err
	}
	res := stageResult{parts: parts, schema: inferred.Schema(), stats: stats, encoding: stats.Encoding, added: newColumns(inferred, in.target)}
	if stats.RowsRejected > 0 {
		res.rejectsObject = rejectsKey
	}
	for _, rj := range stats.FirstRejects {
		res.firstRejects = append(res.firstRejects, Reject{Line: rj.Line, Column: rj.Column, Reason: rj.Reason, Raw: rj.Raw})
	}
	if stats.RowsWritten == 0 && stats.RowsRejected > 0 {
		return res, s.allRejected(ctx, in, res)
	}
	return res, nil
}

// lineageValues are the lineage columns of the run's rows (lineageSchema)
// with their values.
func lineageValues(in stageInput) []tabular.Constant {
	value := map[string]any{ColSourceFile: in.sourceName(), ColRunID: in.run.ID, ColLoadedAt: in.loadedAt}
	var out []tabular.Constant
	for _, c := range lineageSchema(in.job.Dest) {
		out = append(out, tabular.Constant{Name: c.Name, Type: c.Type, Value: value[c.Name]})
	}
	return out
}

// Progress is recorded on the run (a write, which renews the lease) at
// most once a second; between writes, whether the run was finished
// meanwhile (cancelled) is read at most every cancelCheck. Both happen on
// the conversion's progress calls, about every 50,000 rows.
const (
	progressEvery = time.Second
	cancelCheck   = 250 * time.Millisecond
)

// progress records a conversion's progress on the run and stops the
// extraction (in.abort) when it finds the run finished meanwhile.
func (s *Service) progress(ctx context.Context, in stageInput) func(tabular.Stats) {
	lastWrite, lastCheck := time.Now(), time.Now()
	stop := func() {
		// Cancelled (or finished by the sweeper): stop reading.
		s.log.InfoContext(ctx, "etl: run finished while extracting; stopping", "run", in.run.ID)
		in.abort(errAlreadyFinished)
	}
	return func(st tabular.Stats) {
		now := time.Now()
		if now.Sub(lastWrite) < progressEvery {
			if in.abort != nil && now.Sub(lastCheck) >= cancelCheck {
				lastCheck = now
				if r, err := s.GetRun(ctx, in.run.Tenant, in.run.ID); err == nil && r.Terminal() {
					stop()
				}
			}
			return
		}
		lastWrite, lastCheck = now, now
		_, err := s.stamp(ctx, in.run.Tenant, in.run.ID, func(r *Run) {
			s.renew(r, in.lease)
			r.Progress = Progress{Phase: PhaseExtraction, RowsRead: st.RowsRead}
			r.RowsRead = st.RowsRead
			r.RowsRejected = st.RowsRejected
		})
		switch {
		case errors.Is(err, errAlreadyFinished) && in.abort != nil:
			stop()
		case err != nil:
			s.log.WarnContext(ctx, "etl: progress update failed", "run", in.run.ID, "err", err)
		}
	}
}

// allRejected records on the run what was read and rejected and returns
// the error that fails it: a run whose every row was rejected loaded
// nothing, so it is failed, not partial, and its empty result must not
// be booked as an empty version of the file (which would remove the rows
// of the version before it).
func (s *Service) allRejected(ctx context.Context, in stageInput, res stageResult) error {
	st := res.stats
	if _, err := s.stamp(ctx, in.run.Tenant, in.run.ID, func(r *Run) {
		r.RowsRead, r.RowsRejected = st.RowsRead, st.RowsRejected
		r.FirstRejects, r.RejectsObject = res.firstRejects, res.rejectsObject
		r.Encoding = fileEncoding(in, res)
	}); err != nil {
		return err
	}
	first := ""
	if len(st.FirstRejects) > 0 {
		rj := st.FirstRejects[0]
		first = fmt.Sprintf("; the first, line %d: %s", rj.Line, rj.Reason)
	}
	return errs.Userf(errs.Invalid, "every row of %s was rejected (%s), so nothing was loaded%s", in.sourceName(), rowsText(st.RowsRejected), first)
}

// fileEncoding is the encoding to record on a file run ("" for a source
// that is not a file).
func fileEncoding(in stageInput, res stageResult) string {
	if in.run.Object == nil {
		return ""
	}
	return res.encoding
}

func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// readOptions turns a job's file settings into reader options.
func readOptions(j Job) tabular.Options {
	o := tabular.Options{Encoding: j.File.Encoding, HasHeader: j.File.HasHeader}
	if d := []rune(j.File.Delimiter); len(d) == 1 {
		o.Delimiter = d[0]
	} else if j.File.Delimiter == `\t` {
		o.Delimiter = '\t'
	}
	return o
}

// lazyWriter opens its writer at the first write.
type lazyWriter struct {
	open func() (io.WriteCloser, error)
	w    io.WriteCloser
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		w, err := l.open()
		if err != nil {
			return 0, err
		}
		l.w = w
	}
	return l.w.Write(p)
}

// Close closes the writer, if it was opened.
func (l *lazyWriter) Close() error {
	if l.w == nil {
		return nil
	}
	return l.w.Close()
}

// cancelled is err, or errAlreadyFinished when the extraction was
// stopped because the run finished meanwhile (see stageInput.abort).
func cancelled(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), errAlreadyFinished) {
		return errAlreadyFinished
	}
	return err
}

// reconcile fits a source's inferred columns to the existing table (see
// fitTable) under the job's schema evolution policy, and logs on the run
// the columns it adds.
func (s *Service) reconcile(ctx context.Context, in stageInput, inferred tabular.Inferred) (tabular.Inferred, error) {
	out, err := fitTable(inferred, in.target, in.job, in.sourceName())
	if err != nil {
		return out, err
	}
	if added := newColumns(out, in.target); len(added) > 0 {
		s.runLog(ctx, in.run, LogInfo, PhaseValidation, fmt.Sprintf("new columns %s are added to table %s.%s as nullable columns (schema evolution: add_columns)",
			quoteList(added), in.job.Dest.Dataset, in.job.Dest.Table), nil)
	}
	return out, nil
}

// fitTable fits a source's inferred columns to an existing table: the
// table's types win (values that do not fit are rejected row by row and
// counted), and table columns the source lacks are loaded as NULL when
// nullable. Source columns the table lacks are refused with their names
// (schema evolution refuse, the default), or kept as nullable columns
// after the table's (add_columns; the load adds them to the table).
// Nothing is dropped or retyped silently.
func fitTable(in tabular.Inferred, table warehouse.Schema, job Job, source string) (tabular.Inferred, error) {
	added := newColumns(in, table)
	if len(added) > 0 && job.schemaEvolution() != SchemaAddColumns {
		return tabular.Inferred{}, errs.Userf(errs.Invalid,
			"%s has %s %s that table %s.%s does not have, and this job refuses new columns: set the job's schema evolution to add_columns to add them as nullable columns, or load it with a new job",
			source, plural(len(added), "a new column", "new columns"), describeColumns(in, added), job.Dest.Dataset, job.Dest.Table)
	}
	present := map[string]bool{}
	for _, c := range in.Columns {
		present[c.Name] = true
	}
	var keep warehouse.Schema
	for _, c := range table {
		if present[c.Name] {
			keep = append(keep, c)
		} else if !c.Nullable {
			return tabular.Inferred{}, errs.Userf(errs.Invalid, "%s has no column %q, which table %s.%s requires", source, c.Name, job.Dest.Dataset, job.Dest.Table)
		}
	}
	for _, c := range in.Schema() {
		if slices.Contains(added, c.Name) {
			c.Nullable = true
			keep = append(keep, c)
		}
	}
	return in.Override(keep)
}

// newColumns names the inferred columns the table lacks, in source order
// (none when there is no table).
func newColumns(in tabular.Inferred, table warehouse.Schema) []string {
	if table == nil {
		return nil
	}
	var out []string
	for _, c := range in.Columns {
		if _, ok := table.Lookup(c.Name); !ok {
			out = append(out, c.Name)
		}
	}
	return out
}

// describeColumns names inferred columns for a user: their warehouse
// names, with the source's own where it differs.
func describeColumns(in tabular.Inferred, names []string) string {
	out := make([]string, 0, len(names))
	for _, c := range in.Columns {
		if !slices.Contains(names, c.Name) {
			continue
		}
		d := strconv.Quote(c.Name)
		if c.Original != "" && c.Original != c.Name {
			d += " (" + strconv.Quote(c.Original) + ")"
		}
		out = append(out, d)
	}
	return strings.Join(out, ", ")
}

// quoteList is names quoted and joined with commas.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
