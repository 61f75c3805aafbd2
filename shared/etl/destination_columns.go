package etl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// PartitionDay is the only time partitioning granularity.
const PartitionDay = "day"

// AllowedTypes lists the types a column detected (or described) as t may
// be loaded as: t itself first, then the types every value of t converts
// to without loss or doubt (an integer to NUMERIC, FLOAT64 or STRING; a
// date to TIMESTAMP, DATETIME or STRING; anything to STRING).
func AllowedTypes(t warehouse.Type) []warehouse.Type {
	out := []warehouse.Type{t}
	switch t {
	case warehouse.Int64:
		out = append(out, warehouse.Numeric, warehouse.Float64)
	case warehouse.Date:
		out = append(out, warehouse.Timestamp, warehouse.DateTime)
	}
	if t != warehouse.String {
		out = append(out, warehouse.String)
	}
	return out
}

// isLineageColumn reports whether name is one of the lineage columns.
func isLineageColumn(name string) bool {
	switch strings.ToLower(name) {
	case ColSourceFile, ColRunID, ColLoadedAt:
		return true
	}
	return false
}

// lineageSchema are the lineage columns a job's rows carry: _b2b_run_id
// always (the exactly-once check reads it), the source file and load time
// unless the job turned lineage off.
func lineageSchema(d Dest) warehouse.Schema {
	out := warehouse.Schema{}
	for _, c := range lineageColumns() {
		if d.lineageOn() || c.Name == ColRunID {
			out = append(out, c)
		}
	}
	return out
}

// checkDestColumns checks what can be checked of a destination's column
// settings without the source (checkDest has checked the table): column
// overrides name a source column once, with a warehouse name and a known
// type; a file job that appends keeps its lineage; the partition is by
// day on a warehouse name; at most warehouse.MaxClusterBy clustering
// columns, each once. The settings against the source's columns are
// checked by applyColumns.
func checkDestColumns(d *Dest, sourceType string, mode LoadMode) error {
	seen := map[string]bool{}
	for i := range d.Columns {
		c := &d.Columns[i]
		c.Source, c.Name = strings.TrimSpace(c.Source), strings.TrimSpace(c.Name)
		at := fmt.Sprintf("dest.columns[%d]", i)
		if c.Source == "" {
			return errs.Fieldf(errs.Invalid, at+".source", "name the source column this setting is for")
		}
		if seen[c.Source] {
			return errs.Fieldf(errs.Invalid, at+".source", "column %q has two settings: keep one", c.Source)
		}
		seen[c.Source] = true
		if c.Name != "" {
			if err := checkColumnName(at+".name", c.Name); err != nil {
				return err
			}
		}
		if c.Type != "" && !c.Type.Valid() {
			return errs.Fieldf(errs.Invalid, at+".type", "%q is not a column type (one of STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP, DATETIME, TIME, JSON, BYTES)", c.Type)
		}
	}
	if !d.lineageOn() && sourceType == SourceFile && mode == Append {
		return errs.Fieldf(errs.Invalid, "dest.lineage", "a file job that appends needs the lineage column %s: a changed file replaces the rows it loaded before by it. Keep lineage on, or load the files with mode truncate or merge", ColSourceFile)
	}
	if p := d.Partition; p != nil {
		p.Column, p.Granularity = strings.TrimSpace(p.Column), strings.ToLower(strings.TrimSpace(p.Granularity))
		if p.Granularity == "" {
			p.Granularity = PartitionDay
		}
		if p.Granularity != PartitionDay {
			return errs.Fieldf(errs.Invalid, "dest.partition.granularity", "%q is not supported: tables are partitioned by day", p.Granularity)
		}
		if p.Column == "" {
			return errs.Fieldf(errs.Invalid, "dest.partition.column", "choose the date or time column to partition the table by")
		}
	}
	if len(d.ClusterBy) > warehouse.MaxClusterBy {
		return errs.Fieldf(errs.Invalid, "dest.cluster_by", "%d columns: a table is clustered on at most %d", len(d.ClusterBy), warehouse.MaxClusterBy)
	}
	for i, name := range d.ClusterBy {
		if slices.Contains(d.ClusterBy[:i], name) {
			return errs.Fieldf(errs.Invalid, "dest.cluster_by", "%q is listed twice", name)
		}
	}
	return nil
}

// checkDestSettings checks a destination's column settings
// (checkDestColumns), and against the columns of a database job's table
// as described (nil for a file job, whose files are read only by its runs
// and the destination grid). A database job's merge keys keep their names:
// the keys are checked against the table's own.
func checkDestSettings(d *Dest, sourceType string, mode LoadMode, mergeKeys []string, described *tabular.Inferred) error {
	if err := checkDestColumns(d, sourceType, mode); err != nil {
		return err
	}
	if described == nil {
		return nil
	}
	if _, err := applyColumns(*described, *d, true); err != nil {
		return err
	}
	for i, o := range d.Columns {
		j := slices.IndexFunc(described.Columns, func(c tabular.InferredColumn) bool { return c.Original == o.Source })
		if j >= 0 && o.Name != "" && o.Name != described.Columns[j].Name && slices.Contains(mergeKeys, described.Columns[j].Name) {
			return errs.Fieldf(errs.Invalid, fmt.Sprintf("dest.columns[%d].name", i), "column %q is a merge key: it keeps its name %q", o.Source, described.Columns[j].Name)
		}
	}
	return nil
}

// describedColumns are the columns a database job loads as its table is
// described: those it names, in its order, or all of them.
func describedColumns(meta sources.TableMeta, names []string) tabular.Inferred {
	cols := make([]sources.ExtractColumn, 0, len(meta.Columns))
	for _, c := range meta.Columns {
		cols = append(cols, sources.ExtractColumn{Name: c.Name, OriginalName: c.OriginalName, Type: c.Type})
	}
	if len(names) > 0 {
		picked := make([]sources.ExtractColumn, 0, len(names))
		for _, n := range names {
			if i := slices.IndexFunc(cols, func(c sources.ExtractColumn) bool { return c.OriginalName == n }); i >= 0 {
				picked = append(picked, cols[i])
			}
		}
		cols = picked
	}
	return dbInferred(cols)
}

// checkColumnName checks a warehouse column name a user gave.
func checkColumnName(field, name string) error {
	if isLineageColumn(name) {
		return errs.Fieldf(errs.Invalid, field, "%q is the name of a lineage column: pick another name", name)
	}
	if s := tabular.SanitizeName(name); s != name {
		return errs.Fieldf(errs.Invalid, field, "%q is not a valid column name (lower-case letters, digits and _, not starting with a digit); %q would be", name, s)
	}
	return nil
}

// applyColumns gives a source's columns the names and types of the job's
// destination settings: the one place where the staging schema takes
// them, for files (the inferred columns) and tables (the described ones)
// alike. It checks that the names are unique (also against the other
// columns' default names, so that a column is never read from another's
// field) and that the partition and clustering columns are there, the
// partition column a date or time.
//
// validate (a job being created or edited, the destination grid) also
// refuses a setting for a column the source does not have and a type the
// source's does not convert to safely (AllowedTypes). A run does not: a
// file without the column loads without it, and values that do not
// convert to the chosen type are rejected rows.
func applyColumns(in tabular.Inferred, d Dest, validate bool) (tabular.Inferred, error) {
	if len(d.Columns) == 0 && d.Partition == nil && len(d.ClusterBy) == 0 {
		return in, nil
	}
	out := in
	out.Columns = slices.Clone(in.Columns)
	defaults := map[string]int{}
	for i, c := range in.Columns {
		defaults[strings.ToLower(c.Name)] = i
	}
	for i, o := range d.Columns {
		at := fmt.Sprintf("dest.columns[%d]", i)
		j := slices.IndexFunc(out.Columns, func(c tabular.InferredColumn) bool { return c.Original == o.Source })
		if j < 0 {
			if validate {
				return tabular.Inferred{}, errs.Fieldf(errs.Invalid, at+".source", "the source has no column %q", o.Source)
			}
			continue
		}
		c := &out.Columns[j]
		if o.Type != "" && o.Type != c.Type {
			if validate && !slices.Contains(AllowedTypes(c.Type), o.Type) {
				return tabular.Inferred{}, errs.Fieldf(errs.Invalid, at+".type", "column %q is %s, which cannot be converted safely to %s: choose one of %s",
					o.Source, c.Type, o.Type, typeList(AllowedTypes(c.Type)))
			}
			c.Type = o.Type
			c.Warning = "type set by the job (detected " + string(in.Columns[j].Type) + ")"
		}
		if o.Name != "" && o.Name != c.Name {
			if k, ok := defaults[strings.ToLower(o.Name)]; ok && k != j {
				return tabular.Inferred{}, errs.Fieldf(errs.Invalid, at+".name", "%q is the name of source column %q: pick another name", o.Name, in.Columns[k].Original)
			}
			c.Name = o.Name
		}
	}
	names := map[string]int{}
	for i, c := range out.Columns {
		k := strings.ToLower(c.Name)
		if prev, ok := names[k]; ok {
			return tabular.Inferred{}, errs.Userf(errs.Invalid, "columns %q and %q would both be named %q in the table: rename one (dest.columns)",
				out.Columns[prev].Original, c.Original, c.Name)
		}
		names[k] = i
	}
	if err := checkLayoutColumns(out.Schema(), d); err != nil {
		return tabular.Inferred{}, err
	}
	out.Fingerprint = tabular.Fingerprint(out.Schema())
	return out, nil
}

// checkLayoutColumns checks the partition and clustering columns against
// the columns the job loads (its lineage columns included).
func checkLayoutColumns(cols warehouse.Schema, d Dest) error {
	cols = append(slices.Clone(cols), lineageSchema(d)...)
	if p := d.Partition; p != nil {
		c, ok := cols.Lookup(p.Column)
		if !ok {
			return errs.Fieldf(errs.Invalid, "dest.partition.column", "the job loads no column %q to partition the table by", p.Column)
		}
		if !isPartitionType(c.Type) {
			return errs.Fieldf(errs.Invalid, "dest.partition.column", "column %q is %s: a table is partitioned by a DATE, TIMESTAMP or DATETIME column", p.Column, c.Type)
		}
	}
	for _, name := range d.ClusterBy {
		if _, ok := cols.Lookup(name); !ok {
			return errs.Fieldf(errs.Invalid, "dest.cluster_by", "the job loads no column %q to cluster the table on", name)
		}
	}
	return nil
}

func isPartitionType(t warehouse.Type) bool {
	return t == warehouse.Date || t == warehouse.Timestamp || t == warehouse.DateTime
}

// layoutOf is the warehouse layout of a job's destination.
func layoutOf(d Dest) warehouse.Layout {
	var l warehouse.Layout
	if d.Partition != nil {
		l.PartitionBy = d.Partition.Column
	}
	l.ClusterBy = d.ClusterBy
	return l
}

// typeList is types joined for a message.
func typeList(ts []warehouse.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
