package etl

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
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
	// LookbackMinutes, with a date or time TimestampColumn and load mode
	// merge, makes each run re-read the last minutes below the watermark:
	// rows committed late with an earlier timestamp are not missed, and
	// the merge on the key loads the rows read again once. 0 (the default)
	// reads from the watermark; at most MaxLookbackMinutes.
	LookbackMinutes int `json:"lookback_minutes,omitempty"`
}

// MaxLookbackMinutes bounds DatabaseSource.LookbackMinutes (7 days).
const MaxLookbackMinutes = 7 * 24 * 60

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
	OpenBucket(ctx context.Context, tenant, id string) (*blob.Bucket, connections.Connection, error)
	// DetectIn infers a file's schema from a bounded sample (the
	// destination grid of a file job).
	DetectIn(ctx context.Context, b *blob.Bucket, key string, req connections.DetectRequest) (connections.Detection, error)
	MarkUsed(ctx context.Context, tenant, id string) error
}

// WithConnections sets the saved connections database jobs, and file jobs
// on bucket connections, read through.
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
		if (j.Database != nil && j.Database.ConnectionID == connID) || j.File.ConnectionID == connID {
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
// returns the load mode and merge keys to store, and the table as
// described.
func (s *Service) checkDatabaseSource(ctx context.Context, tenant string, d *DatabaseSource, mode LoadMode, keys []string) (LoadMode, []string, sources.TableMeta, error) {
	meta, err := s.describeSource(ctx, tenant, d)
	if err != nil {
		return "", nil, meta, err
	}
	d.Schema = meta.Schema
	byName := columnsByOriginal(meta)
	loaded, err := loadedColumns(d, meta, byName)
	if err != nil {
		return "", nil, meta, err
	}
	if mode == "" {
		mode = Append
	}
	if err := checkTimestampColumn(d, meta, byName, mode); err != nil {
		return "", nil, meta, err
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
			return "", nil, meta, fieldInvalid("merge_keys: %s.%s has no primary key: name the key columns", meta.Schema, meta.Table)
		}
	}
	if mode, err = checkLoad(mode, keys); err != nil {
		return "", nil, meta, err
	}
	for _, k := range keys {
		if !loaded[k] {
			return "", nil, meta, fieldInvalid("merge_keys: %q is not a loaded column of %s.%s", k, meta.Schema, meta.Table)
		}
	}
	return mode, keys, meta, nil
}

// describeSource checks a database source's connection and table (their
// names trimmed in d) and describes the table.
func (s *Service) describeSource(ctx context.Context, tenant string, d *DatabaseSource) (sources.TableMeta, error) {
	if s.conns == nil {
		return sources.TableMeta{}, errs.E(errs.Unsupported, "etl: database jobs need saved connections, which are not configured")
	}
	d.ConnectionID, d.Schema, d.Table = strings.TrimSpace(d.ConnectionID), strings.TrimSpace(d.Schema), strings.TrimSpace(d.Table)
	d.TimestampColumn = strings.TrimSpace(d.TimestampColumn)
	if d.ConnectionID == "" {
		return sources.TableMeta{}, fieldInvalid("database.connection_id: is required")
	}
	if d.Table == "" {
		return sources.TableMeta{}, fieldInvalid("database.table: is required")
	}
	conn, err := s.conns.Get(ctx, tenant, d.ConnectionID)
	if errs.Is(err, errs.NotFound) {
		return sources.TableMeta{}, errs.WrapField(errs.NotFound, err, "database.connection_id", "this connection does not exist (it may have been deleted)")
	}
	if err != nil {
		return sources.TableMeta{}, err
	}
	if !conn.Type.HasTables() {
		return sources.TableMeta{}, fieldInvalid("database.connection_id: connection %q is a %s connection, which holds files, not tables", conn.Name, conn.Type.Display())
	}
	meta, err := s.conns.Describe(ctx, tenant, d.ConnectionID, d.Schema, d.Table)
	if errs.Is(err, errs.NotFound) {
		schema := d.Schema
		if schema == "" {
			schema = conn.Schema
		}
		return sources.TableMeta{}, errs.WrapField(errs.Invalid, err, "database.table", "table %q was not found in schema %q of connection %q", d.Table, schema, conn.Name)
	}
	return meta, err
}

// loadedColumns checks the columns a database source names and returns
// the sanitised names of the columns it loads (all when it names none).
func loadedColumns(d *DatabaseSource, meta sources.TableMeta, byName map[string]sources.ColumnMeta) (map[string]bool, error) {
	loaded := map[string]bool{}
	if len(d.Columns) == 0 {
		for _, c := range meta.Columns {
			loaded[c.Name] = true
		}
	}
	for i, c := range d.Columns {
		cm, ok := byName[c]
		if !ok {
			return nil, fieldInvalid("database.columns: %q is not a column of %s.%s", c, meta.Schema, meta.Table)
		}
		if slices.Contains(d.Columns[:i], c) {
			return nil, fieldInvalid("database.columns: %q is listed twice", c)
		}
		loaded[cm.Name] = true
	}
	return loaded, nil
}

// checkTimestampColumn checks a database source's incremental column (and
// historical start) against the table and the load mode.
func checkTimestampColumn(d *DatabaseSource, meta sources.TableMeta, byName map[string]sources.ColumnMeta, mode LoadMode) error {
	tc := d.TimestampColumn
	if tc == "" {
		if mode == Append {
			why := "the table has no date or time column"
			if meta.Recommended.TimestampColumn != "" {
				why = fmt.Sprintf("%q is recommended: %s", meta.Recommended.TimestampColumn, meta.Recommended.TimestampReason)
			}
			return fieldInvalid("database.timestamp_column: is required for an incremental (append) job (%s); use load mode truncate for a snapshot", why)
		}
		if d.HistoricalStart != nil {
			return fieldInvalid("database.historical_start: needs a timestamp_column")
		}
		return nil
	}
	cm, ok := byName[tc]
	if !ok {
		return fieldInvalid("database.timestamp_column: %q is not a column of %s.%s", tc, meta.Schema, meta.Table)
	}
	if !cm.Temporal && cm.Type != warehouse.Int64 {
		return fieldInvalid("database.timestamp_column: %q is %s (%s): it must be a date, datetime, timestamp or integer column", tc, cm.Type, cm.SourceType)
	}
	if mode == Append && len(meta.Recommended.PrimaryKey) == 0 {
		// Without a key the rows read at the watermark cannot be told
		// apart from new ones at the same value: they would load twice.
		return fieldInvalid("database.timestamp_column: %s.%s has no primary key, so an incremental append could load the rows at the watermark twice; use load mode merge with merge_keys, or truncate (snapshot)", meta.Schema, meta.Table)
	}
	if d.HistoricalStart != nil && !cm.Temporal {
		return fieldInvalid("database.historical_start: applies only to a date or time timestamp column, and %q is %s", tc, cm.Type)
	}
	return checkLookback(d, cm, mode)
}

// checkLookback checks a lookback window: a date or time column, load mode
// merge (the rows read again are de-duplicated on the key), a bound.
func checkLookback(d *DatabaseSource, cm sources.ColumnMeta, mode LoadMode) error {
	switch {
	case d.LookbackMinutes == 0:
		return nil
	case d.LookbackMinutes < 0 || d.LookbackMinutes > MaxLookbackMinutes:
		return fieldInvalid("database.lookback_minutes: must be from 0 to %d (7 days)", MaxLookbackMinutes)
	case !cm.Temporal:
		return fieldInvalid("database.lookback_minutes: applies only to a date or time timestamp column, and %q is %s", d.TimestampColumn, cm.Type)
	case mode != Merge:
		return fieldInvalid("database.lookback_minutes: a lookback window reads rows again: use load mode merge so they are de-duplicated on the key")
	}
	return nil
}

// dbSourceName is what a database run writes into _b2b_source_file:
// "schema.table".
func dbSourceName(d *DatabaseSource) string { return d.Schema + "." + d.Table }

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
