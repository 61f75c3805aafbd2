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
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Source types of a job.
const (
	SourceFile     = "file"
	SourceDatabase = "database"
)

// DatabaseSource says which table a database job reads through a saved
// connection (spec A5 step 2-3).
//
// The load mode is the strategy: append is incremental (only rows whose
// TimestampColumn is at or after the stored watermark are read, and the
// rows read at exactly the watermark by the previous run are skipped by
// their primary key); truncate is a snapshot (the whole table is read and
// replaces the destination); merge upserts on the merge keys (the
// table's primary key by default), incrementally when TimestampColumn is
// set and over the whole table otherwise.
type DatabaseSource struct {
	ConnectionID string `json:"connection_id"`
	// Schema "" is the connection's default schema.
	Schema string `json:"schema,omitempty"`
	Table  string `json:"table"`
	// Columns are the source names of the columns to load (empty = all).
	Columns []string `json:"columns,omitempty"`
	// TimestampColumn is the source name of the incremental column: a
	// DATE, DATETIME or TIMESTAMP column, or an integer one (a sequence).
	TimestampColumn string `json:"timestamp_column,omitempty"`
	// HistoricalStart, with a temporal TimestampColumn, is where the
	// first run (or a run after the destination was emptied) starts.
	HistoricalStart *time.Time `json:"historical_start,omitempty"`
}

// Watermark is a typed incremental watermark: it round-trips through JSON
// with its type, so a timestamp stays a timestamp (RFC 3339 with
// nanoseconds, UTC) and an integer an integer.
type Watermark struct {
	// Type is "timestamp", "int64" or "string".
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Watermark types.
const (
	WatermarkTimestamp = "timestamp"
	WatermarkInt64     = "int64"
	WatermarkString    = "string"
)

// NewWatermark encodes a sources watermark (time.Time, int64 or string);
// nil for nil.
func NewWatermark(v any) (*Watermark, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return &Watermark{Type: WatermarkTimestamp, Value: x.UTC().Format(time.RFC3339Nano)}, nil
	case int64:
		return &Watermark{Type: WatermarkInt64, Value: strconv.FormatInt(x, 10)}, nil
	case string:
		return &Watermark{Type: WatermarkString, Value: x}, nil
	}
	return nil, errs.E(errs.Invalid, "etl: a watermark of type %T cannot be stored", v)
}

// Decode returns the watermark as sources takes it in ExtractRequest.Since.
func (w *Watermark) Decode() (any, error) {
	if w == nil {
		return nil, nil
	}
	switch w.Type {
	case WatermarkTimestamp:
		t, err := time.Parse(time.RFC3339Nano, w.Value)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "etl: stored watermark %q is not a timestamp", w.Value)
		}
		return t.UTC(), nil
	case WatermarkInt64:
		n, err := strconv.ParseInt(w.Value, 10, 64)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "etl: stored watermark %q is not an integer", w.Value)
		}
		return n, nil
	case WatermarkString:
		return w.Value, nil
	}
	return nil, errs.E(errs.Invalid, "etl: stored watermark has unknown type %q", w.Type)
}

// IncrementalState is where a database job's next incremental run starts.
type IncrementalState struct {
	Watermark *Watermark `json:"watermark"`
	// BoundaryKeys are the encoded primary keys (sources.EncodeKey) of the
	// rows loaded whose timestamp equals Watermark: the next run reads
	// from Watermark inclusive and skips exactly these.
	BoundaryKeys []string  `json:"boundary_keys,omitempty"`
	RunID        string    `json:"run_id"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Connections is what ETL needs of the saved connections
// (*connections.Service).
type Connections interface {
	Get(ctx context.Context, tenant, id string) (connections.View, error)
	Describe(ctx context.Context, tenant, id, schema, table string) (sources.TableMeta, error)
	OpenSource(ctx context.Context, tenant, id string) (*sources.Source, connections.Connection, error)
	MarkUsed(ctx context.Context, tenant, id string) error
}

// WithConnections sets the saved connections database jobs read through.
func WithConnections(c Connections) Option { return func(s *Service) { s.conns = c } }

// CountJobsUsing counts the tenant's jobs that read through a connection
// (connections.Options.Usage).
func (s *Service) CountJobsUsing(ctx context.Context, tenant, connID string) (int, error) {
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range jobs {
		if j.Database != nil && j.Database.ConnectionID == connID {
			n++
		}
	}
	return n, nil
}

// incremental reports whether a database job reads from a watermark.
func (j Job) incremental() bool {
	return j.SourceType == SourceDatabase && j.Database != nil && j.Database.TimestampColumn != "" && j.LoadMode != Truncate
}

// checkDatabaseSource validates a database job's source against the
// connection and the table (Describe) and fills the defaults: the
// schema Describe resolved, and the merge keys from the primary key. It
// returns the load mode and merge keys to store.
func (s *Service) checkDatabaseSource(ctx context.Context, tenant string, d *DatabaseSource, mode LoadMode, keys []string) (LoadMode, []string, error) {
	if s.conns == nil {
		return "", nil, errs.E(errs.Unsupported, "etl: database jobs need saved connections, which are not configured")
	}
	d.ConnectionID, d.Schema, d.Table = strings.TrimSpace(d.ConnectionID), strings.TrimSpace(d.Schema), strings.TrimSpace(d.Table)
	d.TimestampColumn = strings.TrimSpace(d.TimestampColumn)
	if d.ConnectionID == "" {
		return "", nil, fieldInvalid("database.connection_id: is required")
	}
	if d.Table == "" {
		return "", nil, fieldInvalid("database.table: is required")
	}
	conn, err := s.conns.Get(ctx, tenant, d.ConnectionID)
	if errs.Is(err, errs.NotFound) {
		return "", nil, errs.WrapField(errs.NotFound, err, "database.connection_id", "this connection does not exist (it may have been deleted)")
	}
	if err != nil {
		return "", nil, err
	}
	if !conn.Type.IsDatabase() {
		return "", nil, fieldInvalid("database.connection_id: connection %q is a %s connection, not a database", conn.Name, conn.Type.Display())
	}
	meta, err := s.conns.Describe(ctx, tenant, d.ConnectionID, d.Schema, d.Table)
	if errs.Is(err, errs.NotFound) {
		schema := d.Schema
		if schema == "" {
			schema = conn.Schema
		}
		return "", nil, errs.WrapField(errs.Invalid, err, "database.table", "table %q was not found in schema %q of connection %q", d.Table, schema, conn.Name)
	}
	if err != nil {
		return "", nil, err
	}
	d.Schema = meta.Schema
	byName := map[string]sources.ColumnMeta{}
	for _, c := range meta.Columns {
		byName[c.OriginalName] = c
	}
	loaded := map[string]bool{} // sanitised names of the loaded columns
	if len(d.Columns) == 0 {
		for _, c := range meta.Columns {
			loaded[c.Name] = true
		}
	}
	for i, c := range d.Columns {
		cm, ok := byName[c]
		if !ok {
			return "", nil, fieldInvalid("database.columns: %q is not a column of %s.%s", c, meta.Schema, meta.Table)
		}
		if slices.Contains(d.Columns[:i], c) {
			return "", nil, fieldInvalid("database.columns: %q is listed twice", c)
		}
		loaded[cm.Name] = true
	}
	if mode == "" {
		mode = Append
	}
	if tc := d.TimestampColumn; tc != "" {
		cm, ok := byName[tc]
		if !ok {
			return "", nil, fieldInvalid("database.timestamp_column: %q is not a column of %s.%s", tc, meta.Schema, meta.Table)
		}
		if !cm.Temporal && cm.Type != warehouse.Int64 {
			return "", nil, fieldInvalid("database.timestamp_column: %q is %s (%s): it must be a date, datetime, timestamp or integer column", tc, cm.Type, cm.SourceType)
		}
		if mode == Append && len(meta.Recommended.PrimaryKey) == 0 {
			// Without a key the rows read at the watermark cannot be told
			// apart from new ones at the same value: they would load twice.
			return "", nil, fieldInvalid("database.timestamp_column: %s.%s has no primary key, so an incremental append could load the rows at the watermark twice; use load mode merge with merge_keys, or truncate (snapshot)", meta.Schema, meta.Table)
		}
		if d.HistoricalStart != nil && !cm.Temporal {
			return "", nil, fieldInvalid("database.historical_start: applies only to a date or time timestamp column, and %q is %s", tc, cm.Type)
		}
	} else {
		if mode == Append {
			why := "the table has no date or time column"
			if meta.Recommended.TimestampColumn != "" {
				why = fmt.Sprintf("%q is recommended: %s", meta.Recommended.TimestampColumn, meta.Recommended.TimestampReason)
			}
			return "", nil, fieldInvalid("database.timestamp_column: is required for an incremental (append) job (%s); use load mode truncate for a snapshot", why)
		}
		if d.HistoricalStart != nil {
			return "", nil, fieldInvalid("database.historical_start: needs a timestamp_column")
		}
	}
	if d.HistoricalStart != nil {
		t := d.HistoricalStart.UTC()
		d.HistoricalStart = &t
	}
	if mode == Merge && len(keys) == 0 {
		for _, k := range meta.Recommended.PrimaryKey {
			keys = append(keys, byName[k].Name)
		}
		if len(keys) == 0 {
			return "", nil, fieldInvalid("merge_keys: %s.%s has no primary key: name the key columns", meta.Schema, meta.Table)
		}
	}
	mode, err = checkLoad(mode, keys)
	if err != nil {
		return "", nil, err
	}
	for _, k := range keys {
		if !loaded[k] {
			return "", nil, fieldInvalid("merge_keys: %q is not a loaded column of %s.%s", k, meta.Schema, meta.Table)
		}
	}
	return mode, keys, nil
}

// dbSourceName is what a database run writes into _b2b_source_file:
// "schema.table".
func dbSourceName(d *DatabaseSource) string { return d.Schema + "." + d.Table }

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

// sameMark compares the watermark reached with the one started from.
func sameMark(from *IncrementalState, mark any) (int, bool) {
	if from == nil || from.Watermark == nil {
		return 0, false
	}
	prev, err := from.Watermark.Decode()
	if err != nil {
		return 0, false
	}
	return sources.Compare(mark, prev), true
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

// startDBRun starts one run of a database job for a trigger (nonce names
// the trigger: the same nonce finds the same run). A job whose earlier
// run has not finished starts none: two incremental runs from the same
// watermark would load the same rows twice. That is errs.Conflict for a
// manual trigger and errs.NotFound ("nothing to run") for a schedule tick
// (quiet).
func (s *Service) startDBRun(ctx context.Context, tenant string, job Job, trigger eventschemas.Trigger, nonce string, quiet bool) (Run, error) {
	id := hashID("r_", tenant, job.ID, SourceDatabase, nonce)
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
		Trigger: trigger, Dest: job.Dest, CreatedAt: s.nowUTC(),
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
	s.log.InfoContext(ctx, "etl: run requested", "tenant", tenant, "run", run.ID, "job", job.ID, "table", dbSourceName(job.Database))
	return run, s.publishRunRequested(ctx, run)
}

func (s *Service) publishRunRequested(ctx context.Context, run Run) error {
	return s.publish(ctx, eventschemas.TopicRunRequested, eventschemas.TypeRunRequested, run.ID,
		eventschemas.RunRequested{Tenant: run.Tenant, JobID: run.JobID, RunID: run.ID, Trigger: run.Trigger})
}

// behind reports whether state next has a watermark before cur's.
func behind(next, cur *IncrementalState) bool {
	if cur == nil || cur.Watermark == nil {
		return false
	}
	if next.Watermark == nil {
		return true
	}
	a, err1 := next.Watermark.Decode()
	b, err2 := cur.Watermark.Decode()
	return err1 == nil && err2 == nil && cur.Watermark.Type == next.Watermark.Type && sources.Compare(a, b) < 0
}
