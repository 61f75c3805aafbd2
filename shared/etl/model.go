// Package etl owns ETL jobs, their runs and the file ledger, and the event
// handlers of the load chain: an object lands in a tenant's drop bucket →
// the object is matched to a file job (or one is created for it) → the run
// extracts the file into staged Parquet parts → one warehouse load job
// appends them → the ledger and the run record are updated together.
//
// Every handler is idempotent: runs are keyed on the object's bucket, name
// and generation; content already loaded is skipped by the ledger; and the
// loader checks the warehouse for the run's lineage before loading, so a
// redelivered event or a retried run never adds rows twice.
package etl

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Document kinds in the config store.
const (
	KindJob    = "etl_job"
	KindRun    = "etl_run"
	KindLedger = "etl_file"
)

// DefaultDataset is where loads land unless a job says otherwise.
const DefaultDataset = "raw_data"

// Lineage columns added to every loaded row.
const (
	ColSourceFile = "_b2b_source_file" // object name the row came from
	ColRunID      = "_b2b_run_id"      // the run that loaded it
	ColLoadedAt   = "_b2b_loaded_at"   // when the run extracted it
)

// LoadMode is a job's load strategy.
type LoadMode string

// Load modes. For file jobs, Append replaces the rows of an earlier version
// of the same file (by lineage) and appends the new one; Truncate replaces
// the table with each new file (a snapshot); Merge upserts on MergeKeys.
const (
	Append   LoadMode = "append"
	Truncate LoadMode = "truncate"
	Merge    LoadMode = "merge"
)

// FileSource says which objects a file job claims.
type FileSource struct {
	// ConnectionID is a saved bucket connection (GCS, S3, Azure Blob) the
	// job reads, listed by its runs; "" is the tenant's drop bucket,
	// whose new files start runs as they arrive.
	ConnectionID string `json:"connection_id,omitempty"`
	// Prefix is the folder inside the bucket ("" = the root; under the
	// connection's own prefix for a connection).
	Prefix string `json:"prefix"`
	// Subfolders (connection jobs) claims the files in the folders under
	// Prefix too; otherwise only those directly in it.
	Subfolders bool `json:"subfolders,omitempty"`
	// Pattern is a glob on the object's base name (path.Match syntax).
	Pattern string `json:"pattern"`
	// Mode (connection jobs) is which files a run loads: FilesAll ("",
	// the default) or FilesLatest.
	Mode FileMode `json:"mode,omitempty"`
	// Format is csv, jsonl, json or parquet; empty = from the extension.
	Format    string `json:"format,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	HasHeader *bool  `json:"has_header,omitempty"`
}

// Dest is a warehouse table, with how the job's columns land in it (the
// wizard's destination grid). Like the table, the column settings are
// fixed once the job has run.
type Dest struct {
	Dataset string `json:"dataset"`
	Table   string `json:"table"`
	// Columns override the warehouse name and type of source columns
	// (matched by the source's own name); columns not listed keep the
	// sanitised name and the detected or described type.
	Columns []ColumnOverride `json:"columns,omitempty"`
	// Lineage says whether rows carry _b2b_source_file and _b2b_loaded_at
	// (nil: true). _b2b_run_id is always loaded: the exactly-once check
	// reads it.
	Lineage *bool `json:"lineage,omitempty"`
	// Partition and ClusterBy lay out the table when a load creates it on
	// BigQuery (time partitioning by day on a DATE, TIMESTAMP or DATETIME
	// column; clustering on up to warehouse.MaxClusterBy columns). The local DuckDB
	// warehouse keeps them on the job and ignores them.
	Partition *TimePartition `json:"partition,omitempty"`
	ClusterBy []string       `json:"cluster_by,omitempty"`
}

// ColumnOverride is a destination column as the user set it: Source is
// the column's name in the source (the CSV header, JSON key or database
// column), Name its warehouse name ("" keeps the sanitised one), Type its
// warehouse type ("" keeps the detected one; else a type the detected one
// converts to safely, see AllowedTypes).
type ColumnOverride struct {
	Source string         `json:"source"`
	Name   string         `json:"name,omitempty"`
	Type   warehouse.Type `json:"type,omitempty"`
}

// TimePartition is a table's time partitioning: Column (a warehouse column
// name) by Granularity, "day" (the only one).
type TimePartition struct {
	Column      string `json:"column"`
	Granularity string `json:"granularity"`
}

// lineageOn reports whether the job loads the optional lineage columns.
func (d Dest) lineageOn() bool { return d.Lineage == nil || *d.Lineage }

// sameDest reports whether two destinations are the same table with the
// same column settings.
func sameDest(a, b Dest) bool {
	return a.Dataset == b.Dataset && a.Table == b.Table && slices.Equal(a.Columns, b.Columns) &&
		a.lineageOn() == b.lineageOn() && ((a.Partition == nil) == (b.Partition == nil)) &&
		(a.Partition == nil || *a.Partition == *b.Partition) && slices.Equal(a.ClusterBy, b.ClusterBy)
}

// RunSummary is the last run shown on a job.
type RunSummary struct {
	ID          string     `json:"id"`
	Status      RunStatus  `json:"status"`
	CompletedAt *time.Time `json:"completed_at"`
}

// Job is an ETL job (the original system's DataSource + DataSourceTable).
type Job struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Name       string     `json:"name"`
	SourceType string     `json:"source_type"` // SourceFile or SourceDatabase
	File       FileSource `json:"file"`
	// Database is the source of a database job (SourceDatabase).
	Database *DatabaseSource `json:"database,omitempty"`
	// State is a database job's incremental state, updated only when a
	// run's load is booked.
	State     *IncrementalState `json:"state,omitempty"`
	Dest      Dest              `json:"dest"`
	LoadMode  LoadMode          `json:"load_mode"`
	MergeKeys []string          `json:"merge_keys,omitempty"`
	// SchemaEvolution says what a run does with source columns the
	// destination table does not have ("" is SchemaRefuse).
	SchemaEvolution SchemaEvolution `json:"schema_evolution,omitempty"`
	// Schedule is the job's schedule as the user picked it (nil: manual).
	// Jobs stored by earlier versions hold only {cron, time_zone} here:
	// see KindSchedule.
	Schedule    *schedule.Spec `json:"schedule"`
	AutoCreated bool           `json:"auto_created"`
	Enabled     bool           `json:"enabled"`
	CreatedAt   time.Time      `json:"created_at"`
	LastRun     *RunSummary    `json:"last_run"`
}

// SchemaEvolution is a job's policy for new source columns: columns a
// file or table has that the destination table lacks. No policy drops a
// table column or changes its type: table columns the source lacks load
// as NULL (when nullable), and the table's types win.
type SchemaEvolution string

// Schema evolution policies.
const (
	// SchemaRefuse fails the run with a message naming the new columns
	// (the default: the table changes only when the user says so).
	SchemaRefuse SchemaEvolution = "refuse"
	// SchemaAddColumns adds new columns to the table as NULLABLE columns
	// of their inferred type before the run's load.
	SchemaAddColumns SchemaEvolution = "add_columns"
)

// schemaEvolution is the job's policy, the default when unset.
func (j Job) schemaEvolution() SchemaEvolution {
	if j.SchemaEvolution == "" {
		return SchemaRefuse
	}
	return j.SchemaEvolution
}

// RunStatus is where a run is in its life: pending until a delivery
// starts it, running, then one of the terminal statuses.
type RunStatus string

// Run statuses.
const (
	StatusPending   RunStatus = "pending"
	StatusRunning   RunStatus = "running"
	StatusCompleted RunStatus = "completed"
	StatusPartial   RunStatus = "partial" // loaded, with rejected rows
	StatusFailed    RunStatus = "failed"
	StatusCancelled RunStatus = "cancelled"
)

// runStatuses lists every status, in the order of a run's life.
var runStatuses = []RunStatus{StatusPending, StatusRunning, StatusCompleted, StatusPartial, StatusFailed, StatusCancelled}

// Valid reports whether s is one of the run statuses.
func (s RunStatus) Valid() bool { return slices.Contains(runStatuses, s) }

// Terminal reports whether a run in status s has finished.
func (s RunStatus) Terminal() bool {
	switch s {
	case StatusCompleted, StatusPartial, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// UnmarshalJSON accepts only the run statuses, so that a stored run or a
// request can never carry a status no code handles.
func (s *RunStatus) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errs.Wrap(errs.Invalid, err, "run status")
	}
	if !RunStatus(v).Valid() {
		return errs.Fieldf(errs.Invalid, "status", "%q is not a run status (one of %s)", v, joinStatuses())
	}
	*s = RunStatus(v)
	return nil
}

func joinStatuses() string {
	out := make([]string, len(runStatuses))
	for i, st := range runStatuses {
		out[i] = string(st)
	}
	return strings.Join(out, ", ")
}

// Phase is a step of a run. A run's progress shows the phase it is in,
// and a failed run's ErrorType the phase it failed in.
type Phase string

// Phases of a run, in order.
const (
	PhaseInit       Phase = "init"
	PhaseValidation Phase = "validation"
	PhaseExtraction Phase = "extraction"
	// PhaseLoading is the load as progress shows it; PhaseLoad is the same
	// step as the error type of a run that failed in it.
	PhaseLoading Phase = "loading"
	PhaseLoad    Phase = "load"
	// PhaseUnknown is the error type of a failure no phase claimed.
	PhaseUnknown Phase = "unknown"
	// A finished run's progress shows its status as its phase.
	PhaseCompleted Phase = "completed"
	PhasePartial   Phase = "partial"
	PhaseFailed    Phase = "failed"
	PhaseCancelled Phase = "cancelled"
)

// finishedPhase is the progress phase of a finished run: its status.
func finishedPhase(s RunStatus) Phase { return Phase(s) }

// Stages are the stage timestamps of a run.
type Stages struct {
	InitCompletedAt       *time.Time `json:"init_completed_at"`
	ValidationCompletedAt *time.Time `json:"validation_completed_at"`
	ExtractionStartedAt   *time.Time `json:"extraction_started_at"`
	ExtractionCompletedAt *time.Time `json:"extraction_completed_at"`
	LoadingStartedAt      *time.Time `json:"loading_started_at"`
	LoadingCompletedAt    *time.Time `json:"loading_completed_at"`
}

// Progress is the live progress of a running run.
type Progress struct {
	Phase    Phase `json:"phase"`
	RowsRead int64 `json:"rows_read"`
}

// Reject is a row that was not loaded, with where and why.
type Reject struct {
	Line   int64  `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	Raw    string `json:"raw,omitempty"`
}

// Run is one execution of a job.
type Run struct {
	ID              string                  `json:"id"`
	Tenant          string                  `json:"tenant"`
	JobID           string                  `json:"job_id"`
	JobName         string                  `json:"job_name"`
	Status          RunStatus               `json:"status"`
	Trigger         eventschemas.Trigger    `json:"trigger"`
	Object          *eventschemas.ObjectRef `json:"object"`
	Dest            Dest                    `json:"dest"`
	CreatedAt       time.Time               `json:"created_at"`
	StartedAt       *time.Time              `json:"started_at"`
	CompletedAt     *time.Time              `json:"completed_at"`
	Stages          Stages                  `json:"stages"`
	RowsRead        int64                   `json:"rows_read"`
	RowsLoaded      int64                   `json:"rows_loaded"`
	RowsRejected    int64                   `json:"rows_rejected"`
	BytesProcessed  int64                   `json:"bytes_processed"`
	DurationSeconds float64                 `json:"duration_seconds"`
	// RowsPerSecond is RowsRead over the run's duration (0 until it
	// finishes, or when it read nothing).
	RowsPerSecond float64  `json:"rows_per_second"`
	Progress      Progress `json:"progress"`
	ErrorType     Phase    `json:"error_type"`
	ErrorMessage  string   `json:"error_message"`
	SkippedReason string   `json:"skipped_reason,omitempty"`
	FirstRejects  []Reject `json:"first_rejects,omitempty"`
	// RetryOf is the run this one re-runs (trigger retry), else "".
	RetryOf string `json:"retry_of,omitempty"`
	// AddedColumns are the columns the run adds to its table (a job with
	// schema evolution add_columns), by their warehouse names.
	AddedColumns []string `json:"added_columns,omitempty"`
	// Encoding is the character encoding a file was read in: the job's,
	// or the one detected ("utf-8", or "windows-1252" for a latin-1 /
	// windows-1252 file).
	Encoding string `json:"encoding,omitempty"`
	// WatermarkFrom and WatermarkTo are the watermark an incremental
	// database run read from (nil: from the start or the historical
	// start) and the one it reached.
	WatermarkFrom *Watermark `json:"watermark_from,omitempty"`
	WatermarkTo   *Watermark `json:"watermark_to,omitempty"`
	// Partitions is a partitioned run's plan and progress: a large table
	// read as key or time ranges, each by its own delivery (nil: read in
	// one piece).
	Partitions *PartitionProgress `json:"partitions,omitempty"`
	// LatestOrder, on a run of a job that loads only the latest file
	// (FilesLatest), is its file's modification time in Unix nanoseconds:
	// it orders the run's load against the job's other files, so an older
	// file never replaces a newer one's table.
	LatestOrder string `json:"latest_order,omitempty"`
	// NextState is the job state booked with the run's load (database
	// jobs), internal to the chain.
	NextState *IncrementalState `json:"next_state,omitempty"`
	// Staging state, internal to the chain.
	Parts         []string         `json:"parts,omitempty"`
	RejectsObject string           `json:"rejects_object,omitempty"`
	Schema        warehouse.Schema `json:"schema,omitempty"`
	// Attempts counts the tries of the extract half, LoadAttempts those
	// of the load half: each half gets maxAttempts of its own.
	Attempts     int `json:"attempts"`
	LoadAttempts int `json:"load_attempts,omitempty"`
	// Lease: the delivery working on the run, so that duplicate deliveries
	// of the same request wait instead of working on it at the same time.
	LeaseOwner string     `json:"lease_owner,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
}

// Public is the run as the API shows it: without the chain's internal
// state (staged part keys, the rejects object key, the delivery lease).
func (r Run) Public() Run {
	r.Parts, r.RejectsObject, r.LeaseOwner, r.LeaseUntil, r.NextState = nil, "", "", nil, nil
	return r
}

// Terminal reports whether the run has finished.
func (r Run) Terminal() bool { return r.Status.Terminal() }

// LedgerEntry records the version of a file a job has loaded. It also
// orders the loads of one file: a run holds LoadingRun while it writes the
// file's rows, so two versions never load at once, and a run whose version
// is older than the one recorded here is skipped as superseded.
type LedgerEntry struct {
	JobID      string    `json:"job_id"`
	Object     string    `json:"object"`
	Generation string    `json:"generation,omitempty"`
	Size       int64     `json:"size,omitempty"`
	MD5        string    `json:"md5,omitempty"`
	RunID      string    `json:"run_id,omitempty"`
	RowsLoaded int64     `json:"rows_loaded"`
	LoadedAt   time.Time `json:"loaded_at,omitzero"`

	LoadingRun   string     `json:"loading_run,omitempty"`
	LoadingUntil *time.Time `json:"loading_until,omitempty"`
}
