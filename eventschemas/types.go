// Package eventschemas holds the JSON Schema and an example for every
// CloudEvent type the functions exchange, the Go types of their payloads,
// and a validator that handlers run before acting on an event.
package eventschemas

import "time"

// CloudEvent types.
const (
	// TypeObjectFinalized is what GCS (through Eventarc) sends when an
	// object is written; the local drop watcher sends the same.
	TypeObjectFinalized = "google.cloud.storage.object.v1.finalized"
	// TypeMessagePublished wraps a Pub/Sub message delivered by Eventarc.
	TypeMessagePublished = "google.cloud.pubsub.topic.v1.messagePublished"

	TypeRunRequested  = "com.b2brecs.etl.run.requested.v1"
	TypeLoadRequested = "com.b2brecs.etl.load.requested.v1"
	// TypePartitionRequested asks for the extraction of one partition of
	// a partitioned run.
	TypePartitionRequested = "com.b2brecs.etl.partition.requested.v1"
	TypeRunFinished        = "com.b2brecs.etl.run.finished.v1"
	// TypeSweepRequested asks for a sweep of a tenant's unfinished runs
	// (a platform schedule publishes it every few minutes).
	TypeSweepRequested = "com.b2brecs.etl.sweep.requested.v1"
)

// StorageObjectData is the payload of google.cloud.storage.object.v1.finalized
// as GCS sends it (int64 values are JSON strings, as in the GCS JSON API).
type StorageObjectData struct {
	Kind           string            `json:"kind,omitempty"` // "storage#object"
	ID             string            `json:"id,omitempty"`   // bucket/name/generation
	SelfLink       string            `json:"selfLink,omitempty"`
	Bucket         string            `json:"bucket"`
	Name           string            `json:"name"`
	Generation     string            `json:"generation"`
	Metageneration string            `json:"metageneration,omitempty"`
	ContentType    string            `json:"contentType,omitempty"`
	Size           string            `json:"size"`
	MD5Hash        string            `json:"md5Hash,omitempty"` // base64
	CRC32C         string            `json:"crc32c,omitempty"`
	ETag           string            `json:"etag,omitempty"`
	StorageClass   string            `json:"storageClass,omitempty"`
	TimeCreated    time.Time         `json:"timeCreated"`
	Updated        time.Time         `json:"updated"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// ObjectRef names one version of an object in a bucket.
type ObjectRef struct {
	Bucket     string `json:"bucket"`
	Name       string `json:"name"`
	Generation string `json:"generation,omitempty"`
	Size       int64  `json:"size,omitempty"`
	MD5        string `json:"md5,omitempty"` // hex or base64 content hash, as the store reports it
}

// Trigger says why a run started.
type Trigger string

// Triggers.
const (
	TriggerFileDrop Trigger = "file_drop"
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerRetry    Trigger = "retry"
)

// RunRequested asks for an ETL run of a job. RunID is set when the run
// record was created by the requester (file drops, manual runs); a
// scheduled request has none and the handler creates the run.
type RunRequested struct {
	Tenant  string     `json:"tenant"`
	JobID   string     `json:"job_id"`
	RunID   string     `json:"run_id,omitempty"`
	Trigger Trigger    `json:"trigger"`
	Object  *ObjectRef `json:"object,omitempty"` // the file that triggered a file-drop run
}

// LoadRequested asks the loader to load a run's staged parts into the
// warehouse in one load job.
type LoadRequested struct {
	Tenant string   `json:"tenant"`
	RunID  string   `json:"run_id"`
	JobID  string   `json:"job_id"`
	Parts  []string `json:"parts"` // staging object URLs
}

// PartitionRequested asks for the extraction of one partition (Index of
// Of, counted from 0) of a partitioned run: a large table planned as key
// or time ranges. The partition record PartitionID holds its range.
type PartitionRequested struct {
	Tenant      string `json:"tenant"`
	RunID       string `json:"run_id"`
	JobID       string `json:"job_id"`
	PartitionID string `json:"partition_id"`
	Index       int    `json:"index"`
	Of          int    `json:"of"`
}

// RunFinished reports a run that reached a terminal state.
type RunFinished struct {
	Tenant       string `json:"tenant"`
	RunID        string `json:"run_id"`
	JobID        string `json:"job_id"`
	Status       string `json:"status"` // completed | failed | partial | cancelled
	RowsRead     int64  `json:"rows_read"`
	RowsLoaded   int64  `json:"rows_loaded"`
	RowsRejected int64  `json:"rows_rejected"`
	Error        string `json:"error,omitempty"`
}

// SweepRequested asks the run sweeper to look at a tenant's unfinished
// runs: a run whose lease expired is requested again while it has attempts
// left, and failed with a message once they are spent.
type SweepRequested struct {
	Tenant string `json:"tenant"`
}
