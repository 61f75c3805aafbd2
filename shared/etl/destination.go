package etl

import (
	"context"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// DestinationRequest asks what a job draft would load (the wizard's
// destination grid): Job is the draft as POST /api/jobs would take it;
// Object is, for a file job, the file to read a bounded sample of (a file
// of the job's connection, below its prefix, or of the drop folder).
type DestinationRequest struct {
	Job    NewJob `json:"job"`
	Object string `json:"object,omitempty"`
}

// Destination is the destination grid of a job draft: every column the
// job would load, the table it would load into and how the two fit.
type Destination struct {
	// TableExists says the destination table is already there.
	TableExists bool                `json:"table_exists"`
	Columns     []DestinationColumn `json:"columns"`
	// Compatibility compares the columns with the existing table (all
	// compatible, nothing added, missing or changed, when there is none).
	Compatibility Compatibility `json:"compatibility"`
	// PartitionCandidates are the warehouse names of the DATE, TIMESTAMP
	// and DATETIME columns (what Dest.Partition may name).
	PartitionCandidates []string `json:"partition_candidates"`
	// Warehouse is the tenant's warehouse: duckdb (partitioning and
	// clustering are stored, not applied) or bigquery.
	Warehouse warehouse.Dialect `json:"warehouse"`
}

// DestinationColumn is one row of the grid: the source column, its
// warehouse name and type (the job's override, else the default), the
// types it may be given, and whether it is a lineage column.
type DestinationColumn struct {
	// Source is the column's name in the source ("" for lineage columns).
	Source       string           `json:"source"`
	Name         string           `json:"name"`
	DefaultName  string           `json:"default_name"`
	Type         warehouse.Type   `json:"type"`
	DefaultType  warehouse.Type   `json:"default_type"`
	AllowedTypes []warehouse.Type `json:"allowed_types"`
	// Mode is NULLABLE or REQUIRED.
	Mode    string `json:"mode"`
	Lineage bool   `json:"lineage"`
}

// Compatibility is how a job's columns fit an existing table.
type Compatibility struct {
	Compatible bool `json:"compatible"`
	// Added are columns the table lacks (loaded only under schema
	// evolution add_columns), Missing table columns the source lacks
	// (loaded as NULL), Changed columns whose types differ (the table's
	// type wins).
	Added   []string        `json:"added"`
	Missing []string        `json:"missing"`
	Changed []ChangedColumn `json:"changed"`
	// Message says it for people ("" when there is nothing to say).
	Message string `json:"message"`
}

// ChangedColumn is a column whose type in the table differs from the
// source's.
type ChangedColumn struct {
	Name       string         `json:"name"`
	TableType  warehouse.Type `json:"table_type"`
	SourceType warehouse.Type `json:"source_type"`
}

// NameCheck answers whether a job name can be taken: Message says why
// not, for people ("" when it can).
type NameCheck struct {
	Name      string `json:"name"`
	Available bool   `json:"available"`
	Message   string `json:"message"`
}

// DescribeDestination answers the destination grid of a job draft (see
// DestinationRequest).
func (s *Service) DescribeDestination(ctx context.Context, tenant string, req DestinationRequest) (Destination, error) {
	return Destination{}, errs.Userf(errs.Unsupported, "the destination grid is not available yet")
}
