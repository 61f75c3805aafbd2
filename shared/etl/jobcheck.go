package etl

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

func checkJobName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fieldInvalid("name: is required")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxJobNameLen:
		return "", fieldInvalid("name: must be at most %d characters of valid text", MaxJobNameLen)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", fieldInvalid("name: must not contain control characters")
	}
	return name, nil
}

// checkWarehouseName accepts only names that are already warehouse
// identifiers (what tabular.SanitizeName returns for them).
func checkWarehouseName(field, name string) error {
	if s := tabular.SanitizeName(name); s != name {
		return fieldInvalid("%s: %q is not a valid name (lower-case letters, digits and _, not starting with a digit); %q would be", field, name, s)
	}
	return nil
}

func checkFileSource(f *FileSource) error {
	f.Prefix = strings.Trim(strings.TrimSpace(f.Prefix), "/")
	f.Pattern = strings.TrimSpace(f.Pattern)
	for seg := range strings.SplitSeq(f.Prefix, "/") {
		if f.Prefix != "" && (seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, unicode.IsControl) || strings.Contains(seg, `\`)) {
			return fieldInvalid("file.prefix: %q is not a folder path (segments separated by /, no . or ..)", f.Prefix)
		}
	}
	if err := checkPattern(f.Pattern); err != nil {
		return err
	}
	f.Format = strings.ToLower(strings.TrimSpace(f.Format))
	switch tabular.Format(f.Format) {
	case "", tabular.CSV, tabular.JSONL, tabular.JSON, tabular.Parquet:
	default:
		return fieldInvalid("file.format: %q is not one of csv, jsonl, json, parquet (or empty: from the extension)", f.Format)
	}
	if utf8.RuneCountInString(f.Delimiter) > 1 {
		return fieldInvalid("file.delimiter: %q must be one character", f.Delimiter)
	}
	return nil
}

func checkPattern(p string) error {
	if p == "" {
		return fieldInvalid("file.pattern: is required (a glob on the file name, such as orders_*.csv)")
	}
	if strings.Contains(p, "/") {
		return fieldInvalid("file.pattern: %q must match a file name, not a path: put folders in file.prefix", p)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fieldInvalid("file.pattern: %q is not a valid glob", p)
	}
	return nil
}

func checkLoad(mode LoadMode, keys []string) (LoadMode, error) {
	if mode == "" {
		mode = Append
	}
	switch mode {
	case Append, Truncate:
		if len(keys) > 0 {
			return "", fieldInvalid("merge_keys: apply only to load mode merge")
		}
	case Merge:
		if len(keys) == 0 {
			return "", fieldInvalid("merge_keys: are required for load mode merge")
		}
		for i, k := range keys {
			if err := checkWarehouseName("merge_keys", k); err != nil {
				return "", err
			}
			if slices.Contains(keys[:i], k) {
				return "", fieldInvalid("merge_keys: %q is listed twice", k)
			}
		}
	default:
		return "", fieldInvalid("load_mode: %q is not one of append, truncate, merge", mode)
	}
	return mode, nil
}

func checkDest(d *Dest, name string) error {
	d.Dataset, d.Table = strings.TrimSpace(d.Dataset), strings.TrimSpace(d.Table)
	if d.Dataset == "" {
		d.Dataset = DefaultDataset
	}
	if d.Table == "" {
		d.Table = tabular.SanitizeName(name)
	}
	if err := checkWarehouseName("dest.dataset", d.Dataset); err != nil {
		return err
	}
	return checkWarehouseName("dest.table", d.Table)
}

// jobSourceType is the source type a new job asks for: SourceDatabase for
// "database", the type of a connection with tables (a database, Firestore,
// BigQuery) or a Database section, else SourceFile.
func jobSourceType(in NewJob) (string, error) {
	t := strings.ToLower(strings.TrimSpace(in.SourceType))
	switch {
	case t == "" && in.Database != nil, t == SourceDatabase, connections.Type(t).HasTables():
		if in.Database == nil {
			return "", fieldInvalid("database: is required for a database job")
		}
		return SourceDatabase, nil
	case t == "", t == SourceFile:
		if in.Database != nil {
			return "", fieldInvalid("database: does not apply to a file job")
		}
		return SourceFile, nil
	}
	return "", fieldInvalid("source_type: %q is not one of file, database, postgresql, mysql, mariadb, firestore, bigquery", in.SourceType)
}

// sameDatabaseSource reports whether two database sources read the same
// rows into the same columns; the lookback window may change after the
// job has run (it only re-reads rows the merge de-duplicates).
func sameDatabaseSource(a, b DatabaseSource) bool {
	return a.ConnectionID == b.ConnectionID && a.Schema == b.Schema && a.Table == b.Table &&
		slices.Equal(a.Columns, b.Columns) && a.TimestampColumn == b.TimestampColumn &&
		((a.HistoricalStart == nil) == (b.HistoricalStart == nil)) &&
		(a.HistoricalStart == nil || a.HistoricalStart.Equal(*b.HistoricalStart))
}

// fieldPathRE matches the field path that starts a validation message
// ("file.pattern: is required").
var fieldPathRE = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)

// checkSchemaEvolution checks a job's schema evolution policy; "" is the
// default, refuse.
func checkSchemaEvolution(v SchemaEvolution) (SchemaEvolution, error) {
	switch v {
	case "":
		return SchemaRefuse, nil
	case SchemaRefuse, SchemaAddColumns:
		return v, nil
	}
	return "", fieldInvalid("schema_evolution: %q is not a schema evolution policy: use %q (fail a run that brings new columns) or %q (add them to the table as nullable columns)", v, SchemaRefuse, SchemaAddColumns)
}

// fieldInvalid is a validation error for the user (errs.Invalid): a
// message that starts with a field path ("schedule.time: ...") names that
// field (errs.Fieldf), other messages are shown as they are. (invalidf
// errors are for the logs only.)
func fieldInvalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	field, text, ok := strings.Cut(msg, ": ")
	switch {
	case ok && fieldPathRE.MatchString(field):
		return errs.Fieldf(errs.Invalid, field, "%s", text)
	}
	return errs.Userf(errs.Invalid, "%s", msg)
}
