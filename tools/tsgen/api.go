package main

import (
	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// apiConfig lists the Go types the API reads and answers (docs/api.md).
// The answers' envelopes ({"jobs": [...]}) are maps in shared/api and are
// typed by hand in static/src/api/client.ts.
func apiConfig() Config {
	return Config{
		Roots: []Root{
			// sign-in, tenants, users
			{"Tenant", tenancy.Tenant{}},
			{"User", tenancy.PublicUser{}},
			{"Role", tenancy.Role("")},
			// ETL
			{"Job", etl.Job{}},
			{"JobView", etl.JobView{}},
			{"NewJob", etl.NewJob{}},
			{"JobPatch", etl.JobPatch{}},
			{"ScheduleSpec", schedule.Spec{}},
			{"ScheduleView", etl.ScheduleView{}},
			{"Run", etl.Run{}},
			{"Phase", etl.Phase("")},
			{"Reject", etl.Reject{}},
			{"RunsSummary", etl.RunsSummary{}},
			{"RunLog", etl.RunLog{}},
			{"LogLine", etl.LogLine{}},
			{"LogLevel", etl.LogLevel("")},
			{"Dashboard", etl.Dashboard{}},
			{"RunStats", etl.RunStats{}},
			{"JobStats", etl.JobStats{}},
			{"SchemaEvolution", etl.SchemaEvolution("")},
			{"Dest", etl.Dest{}},
			{"ColumnOverride", etl.ColumnOverride{}},
			{"TimePartition", etl.TimePartition{}},
			{"DestinationRequest", etl.DestinationRequest{}},
			{"Destination", etl.Destination{}},
			{"DestinationColumn", etl.DestinationColumn{}},
			{"Compatibility", etl.Compatibility{}},
			{"ChangedColumn", etl.ChangedColumn{}},
			{"NameCheck", etl.NameCheck{}},
			{"StorageObject", eventschemas.ObjectRef{}},
			// warehouse
			{"Table", warehouse.Table{}},
			{"Column", warehouse.Column{}},
			{"ColumnType", warehouse.Type("")},
			// connections
			{"ConnectionType", connections.Type("")},
			{"ConnectionFields", connections.Fields{}},
			{"Connection", connections.View{}},
			{"StoredConnection", connections.Connection{}},
			{"ConnectionPatch", connections.Patch{}},
			{"NewConnection", connections.NewConnection{}},
			{"SecretValues", connections.Secret{}},
			{"SecretPatch", connections.SecretPatch{}},
			{"CreateConnectionResult", connections.CreateResult{}},
			{"UpdateConnectionResult", connections.UpdateResult{}},
			{"TestResult", connections.TestResult{}},
			{"SourceTableItem", connections.TableItem{}},
			{"SourceFile", connections.FileInfo{}},
			{"DetectRequest", connections.DetectRequest{}},
			{"Detection", connections.Detection{}},
			{"SourceTableInfo", sources.TableInfo{}},
			{"TableMeta", sources.TableMeta{}},
			{"SourceColumn", sources.ColumnMeta{}},
		},
		Enums: []Enum{
			EnumOf("RunStatus", etl.StatusPending, etl.StatusRunning, etl.StatusCompleted, etl.StatusPartial, etl.StatusFailed, etl.StatusCancelled),
			EnumOf("ScheduleType", schedule.Types...),
			EnumOf("WarehouseKind", warehouse.DuckDB, warehouse.BigQuery),
			EnumOf("ColumnMode", "NULLABLE", "REQUIRED"),
			EnumOf("PartitionGranularity", "day"),
			EnumOf("RunErrorType", etl.PhaseInit, etl.PhaseValidation, etl.PhaseExtraction, etl.PhaseLoad, etl.PhaseUnknown, ""),
		},
		Fields: []FieldType{
			{etl.Run{}, "status", "RunStatus"},
			{etl.Run{}, "error_type", "RunErrorType"},
			// A run that has not started has no phase yet.
			{etl.Progress{}, "phase", "Phase | ''"},
			{etl.RunSummary{}, "status", "RunStatus"},
			{schedule.Spec{}, "type", "ScheduleType"},
			{etl.Destination{}, "warehouse", "WarehouseKind"},
			// The destination grid's lists are never null (empty instead).
			{etl.Destination{}, "columns", "DestinationColumn[]"},
			{etl.Destination{}, "partition_candidates", "string[]"},
			{etl.DestinationColumn{}, "allowed_types", "ColumnType[]"},
			{etl.Compatibility{}, "added", "string[]"},
			{etl.Compatibility{}, "missing", "string[]"},
			{etl.Compatibility{}, "changed", "ChangedColumn[]"},
			{etl.DestinationColumn{}, "mode", "ColumnMode"},
			{etl.TimePartition{}, "granularity", "PartitionGranularity"},
		},
	}
}
