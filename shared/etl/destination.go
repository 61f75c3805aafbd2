package etl

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
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
// DestinationRequest): the draft's destination settings are checked as
// create checks them, and against the source's columns: a database job's
// table as described, a file job's file (Object) from a bounded sample.
func (s *Service) DescribeDestination(ctx context.Context, tenant string, req DestinationRequest) (Destination, error) {
	in := req.Job
	srcType, err := jobSourceType(in)
	if err != nil {
		return Destination{}, err
	}
	if err := checkDest(&in.Dest, in.Name); err != nil {
		return Destination{}, err
	}
	mode := in.LoadMode
	if mode == "" && srcType == SourceFile && in.File.Mode == FilesLatest {
		mode = Truncate
	} else if mode == "" {
		mode = Append
	}
	if err := checkDestColumns(&in.Dest, srcType, mode); err != nil {
		return Destination{}, err
	}
	src, err := s.draftColumns(ctx, tenant, in, srcType, req.Object)
	if err != nil {
		return Destination{}, err
	}
	final, err := applyColumns(src, in.Dest, true)
	if err != nil {
		return Destination{}, err
	}
	wh, err := s.res.Warehouse(ctx, tenant)
	if err != nil {
		return Destination{}, err
	}
	var table warehouse.Schema
	t, err := wh.DescribeTable(ctx, in.Dest.Dataset, in.Dest.Table)
	switch {
	case err == nil:
		table = dataColumns(t.Schema)
	case !errs.Is(err, errs.NotFound):
		return Destination{}, err
	}
	out := Destination{
		TableExists:         err == nil,
		Columns:             gridColumns(src, final, table, in.Dest),
		PartitionCandidates: []string{},
		Warehouse:           wh.Dialect(),
	}
	for _, c := range out.Columns {
		if isPartitionType(c.Type) {
			out.PartitionCandidates = append(out.PartitionCandidates, c.Name)
		}
	}
	out.Compatibility = compatibility(final.Schema(), table, out.TableExists, in)
	return out, nil
}

// draftColumns are the source columns of a job draft with their default
// names and types: a database job's table as described (the columns it
// names), a file job's object from a bounded sample, read with the job's
// format options.
func (s *Service) draftColumns(ctx context.Context, tenant string, in NewJob, srcType, object string) (tabular.Inferred, error) {
	if s.conns == nil {
		return tabular.Inferred{}, errs.E(errs.Unsupported, "etl: the destination grid needs saved connections, which are not configured")
	}
	if srcType == SourceDatabase {
		d := *in.Database
		meta, err := s.describeSource(ctx, tenant, &d)
		if err != nil {
			return tabular.Inferred{}, err
		}
		if _, err := loadedColumns(&d, meta, columnsByOriginal(meta)); err != nil {
			return tabular.Inferred{}, err
		}
		return describedColumns(meta, d.Columns), nil
	}
	if err := checkFileSource(&in.File); err != nil {
		return tabular.Inferred{}, err
	}
	job := Job{SourceType: SourceFile, File: in.File}
	if object == "" {
		return tabular.Inferred{}, errs.Fieldf(errs.Invalid, "object", "choose a file to read the columns from")
	}
	if strings.HasPrefix(object, "/") || path.Clean(object) != object || strings.HasPrefix(object, "../") || !job.claimsKey(folder(in.File.Prefix), object) {
		return tabular.Inferred{}, errs.Fieldf(errs.Invalid, "object", "%q is not a file this job would load: it must be in folder %q and match %q", object, in.File.Prefix, in.File.Pattern)
	}
	jb, err := s.openJobBucket(ctx, tenant, job)
	if err != nil {
		return tabular.Inferred{}, err
	}
	defer jb.release()
	key := strings.TrimSuffix(jb.prefix, folder(in.File.Prefix)) + object
	det, err := s.conns.DetectIn(ctx, jb.Bucket, key, connections.DetectRequest{
		Name: object, Format: tabular.Format(in.File.Format), Delimiter: in.File.Delimiter, Header: in.File.HasHeader, Encoding: in.File.Encoding,
	})
	if err != nil {
		return tabular.Inferred{}, err
	}
	return det.Inferred, nil
}

// columnsByOriginal indexes a table's columns by their source names.
func columnsByOriginal(meta sources.TableMeta) map[string]sources.ColumnMeta {
	out := make(map[string]sources.ColumnMeta, len(meta.Columns))
	for _, c := range meta.Columns {
		out[c.OriginalName] = c
	}
	return out
}

// gridColumns are the grid's rows: the source's columns as the job loads
// them (final) beside their defaults (src), then the lineage columns.
func gridColumns(src, final tabular.Inferred, table warehouse.Schema, d Dest) []DestinationColumn {
	mode := func(name string) string {
		if c, ok := table.Lookup(name); ok && !c.Nullable {
			return "REQUIRED"
		}
		return "NULLABLE" // tables made by loads are nullable throughout
	}
	out := make([]DestinationColumn, 0, len(final.Columns)+3)
	for i, c := range final.Columns {
		def := src.Columns[i]
		out = append(out, DestinationColumn{
			Source: def.Original, Name: c.Name, DefaultName: def.Name, Type: c.Type, DefaultType: def.Type,
			AllowedTypes: AllowedTypes(def.Type), Mode: mode(c.Name),
		})
	}
	for _, c := range lineageSchema(d) {
		out = append(out, DestinationColumn{
			Name: c.Name, DefaultName: c.Name, Type: c.Type, DefaultType: c.Type, AllowedTypes: []warehouse.Type{c.Type}, Mode: "NULLABLE", Lineage: true,
		})
	}
	return out
}

// compatibility compares the columns a job loads with the table's data
// columns (see Compatibility).
func compatibility(cols, table warehouse.Schema, exists bool, in NewJob) Compatibility {
	c := Compatibility{Compatible: true, Added: []string{}, Missing: []string{}, Changed: []ChangedColumn{}}
	if !exists {
		c.Message = fmt.Sprintf("Table %s.%s does not exist yet: the first run creates it with these columns.", in.Dest.Dataset, in.Dest.Table)
		return c
	}
	var required []string
	for _, col := range cols {
		tc, ok := table.Lookup(col.Name)
		switch {
		case !ok:
			c.Added = append(c.Added, col.Name)
		case tc.Type != col.Type:
			c.Changed = append(c.Changed, ChangedColumn{Name: col.Name, TableType: tc.Type, SourceType: col.Type})
		}
	}
	for _, tc := range table {
		if _, ok := cols.Lookup(tc.Name); !ok {
			c.Missing = append(c.Missing, tc.Name)
			if !tc.Nullable {
				required = append(required, tc.Name)
			}
		}
	}
	var msgs []string
	if len(c.Added) > 0 {
		if evolution, _ := checkSchemaEvolution(in.SchemaEvolution); evolution == SchemaAddColumns {
			msgs = append(msgs, fmt.Sprintf("The table lacks %s: runs add %s as nullable columns (schema evolution add_columns).", quoteList(c.Added), plural(len(c.Added), "it", "them")))
		} else {
			c.Compatible = false
			msgs = append(msgs, fmt.Sprintf("The table lacks %s: runs refuse to load until the job's schema evolution is add_columns (or the columns are renamed to the table's).", quoteList(c.Added)))
		}
	}
	if len(required) > 0 {
		c.Compatible = false
		msgs = append(msgs, fmt.Sprintf("The source lacks %s, which the table requires: runs fail.", quoteList(required)))
	} else if len(c.Missing) > 0 {
		msgs = append(msgs, fmt.Sprintf("The source lacks %s: new rows have NULL there.", quoteList(c.Missing)))
	}
	for _, ch := range c.Changed {
		msgs = append(msgs, fmt.Sprintf("Column %q is %s in the table and %s in the source: the table's type wins: values are cast to it; rows that do not convert are rejected.", ch.Name, ch.TableType, ch.SourceType))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, fmt.Sprintf("The columns match table %s.%s.", in.Dest.Dataset, in.Dest.Table))
	}
	c.Message = strings.Join(msgs, " ")
	return c
}
