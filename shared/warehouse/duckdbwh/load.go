package duckdbwh

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Load implements warehouse.Driver. Sources must be file:// URLs (other
// schemes are errs.Unsupported); a path may be a pattern (* ? [...], as
// filepath.Match; no **). The files are copied into the load directory and
// read there (see External access in the package doc). All sources
// are read by one statement in one transaction with any table creation,
// truncation or merge deletes, so either every row lands or none does.
//
// Parquet columns and JSON keys are matched to table columns by name
// (case-insensitively, as DuckDB does); table columns missing from the files
// are NULL, and a file column the table lacks is errs.Invalid naming it. CSV
// files have a header row, which is skipped, and carry the table's columns in
// order (as BigQuery reads them); a row with another number of fields is
// errs.Invalid. A value that does not cast to its column's type is
// errs.Invalid. If the table does not exist it is created from req.Schema
// (the dataset must exist), or the load is errs.NotFound. req.Layout is
// ignored: DuckDB has no partitions or clustering.
//
// Merge deletes the table rows whose MergeKeys match a loaded row and inserts
// the loaded rows (whole rows are replaced); duplicate keys among the loaded
// rows are errs.Invalid. Replace runs DELETE ... WHERE "col" = $p0 AND ...
// (values bound as parameters) and then the insert, in the same transaction,
// so a source that fails to read or cast rolls the delete back too.
// RowsLoaded is the number of rows inserted. Labels are logged with the job
// id; DuckDB has no job history.
func (d *Driver) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	// The request passed warehouse.ValidateLoad (the Warehouse checks it).
	mode := req.Mode
	if mode == "" {
		mode = warehouse.Append
	}
	files, err := localPaths(req.Sources)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	if _, err := sourceSQL(req.Format, nil); err != nil {
		return warehouse.LoadResult{}, err
	}
	// The instance reads files only in its load directory (see External
	// access in the package doc).
	paths, removeCopies, err := stageCopies(d.loadDir, files)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	defer removeCopies()
	jobID := newJobID()
	start := time.Now()
	var loaded, deleted int64
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC()
		cols, err := tableColumns(ctx, tx, req.Dataset, req.Table)
		if err != nil {
			return err
		}
		if cols == nil {
			if len(req.Schema) == 0 {
				return fmt.Errorf("duckdbwh: no schema to create the table: %w", warehouse.TableNotFound(req.Dataset, req.Table))
			}
			if err := createTable(ctx, tx, req.Dataset, req.Table, req.Schema, now); err != nil {
				return err
			}
			cols = req.Schema
		}
		var conds []warehouse.Param
		if mode == warehouse.Replace {
			if conds, err = warehouse.ResolveReplaceWhere(req.ReplaceWhere, cols); err != nil {
				return errs.At("duckdbwh.Load", err)
			}
		}
		src, err := sourceSQL(req.Format, cols)
		if err != nil {
			return err
		}
		if err := checkSourceColumns(ctx, tx, src, paths, cols, req); err != nil {
			return err
		}
		target := qt(req.Dataset, req.Table)
		switch mode {
		case warehouse.Append:
			loaded, err = insertFrom(ctx, tx, target, src, paths)
		case warehouse.Truncate:
			if _, err = tx.ExecContext(ctx, "DELETE FROM "+target); err != nil {
				return mapErr(err, "duckdbwh: truncate %q.%q", req.Dataset, req.Table)
			}
			loaded, err = insertFrom(ctx, tx, target, src, paths)
		case warehouse.Merge:
			loaded, err = merge(ctx, tx, target, src, paths, req.MergeKeys, jobID)
		case warehouse.Replace:
			if deleted, err = deleteWhere(ctx, tx, target, conds); err != nil {
				return mapErr(err, "duckdbwh: replace: delete from %q.%q", req.Dataset, req.Table)
			}
			loaded, err = insertFrom(ctx, tx, target, src, paths)
		}
		if err != nil {
			return mapErr(err, "duckdbwh: load %q.%q", req.Dataset, req.Table)
		}
		return touchMeta(ctx, tx, req.Dataset, req.Table, now, false)
	})
	if err != nil {
		d.log.WarnContext(ctx, "load failed", "job_id", jobID, "dataset", req.Dataset, "table", req.Table,
			"sources", len(paths), "mode", mode, "labels", req.Labels, "err", err)
		return warehouse.LoadResult{}, err
	}
	d.log.InfoContext(ctx, "load done", "job_id", jobID, "dataset", req.Dataset, "table", req.Table,
		"sources", len(paths), "mode", mode, "rows", loaded, "rows_deleted", deleted, "labels", req.Labels, "elapsed", time.Since(start))
	return warehouse.LoadResult{RowsLoaded: loaded, JobID: jobID}, nil
}

func newJobID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "duckdb_" + time.Now().UTC().Format("20060102T150405") + "_" + hex.EncodeToString(b[:])
}

// localPaths turns file:// URLs into the paths of the files they name,
// expanding patterns (filepath.Match syntax: * ? [...], no **).
func localPaths(sources []string) ([]string, error) {
	out := make([]string, 0, len(sources))
	for _, s := range sources {
		u, err := url.Parse(s)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "duckdbwh: source %q", s)
		}
		if u.Scheme != "file" {
			return nil, errs.E(errs.Unsupported, "duckdbwh: source %q: only file:// sources can be loaded into DuckDB", s)
		}
		if u.Host != "" && u.Host != "." && u.Host != "localhost" {
			return nil, errs.E(errs.Invalid, "duckdbwh: source %q: file URL with host %q", s, u.Host)
		}
		p := registry.LocalPath(u)
		if u.Host == "localhost" {
			p = u.Path
		}
		if p == "" {
			return nil, errs.E(errs.Invalid, "duckdbwh: source %q names no file", s)
		}
		if !strings.ContainsAny(p, "*?[") {
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("duckdbwh: source: %w", err) // kind: errorKind
			}
			out = append(out, p)
			continue
		}
		if strings.Contains(p, "**") {
			return nil, errs.E(errs.Unsupported, "duckdbwh: source %q: ** (any depth) is not supported in a pattern", s)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "duckdbwh: source %q", s)
		}
		if len(matches) == 0 {
			return nil, errs.E(errs.NotFound, "duckdbwh: source %q: no files match the pattern", s)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// sourceSQL is the table function reading the files named by the $paths
// list parameter into a table with columns cols. Parquet and JSON columns
// keep their names; CSV columns are taken by position (the header row is
// skipped) and named after cols, read as text and cast on insert.
func sourceSQL(f warehouse.Format, cols warehouse.Schema) (string, error) {
	switch f {
	case warehouse.Parquet:
		return "read_parquet($paths, union_by_name = true)", nil
	case warehouse.CSV:
		var b strings.Builder
		b.WriteString("{")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteString(c.Name) + ": 'VARCHAR'")
		}
		b.WriteString("}")
		return "read_csv($paths, header = true, auto_detect = false, columns = " + b.String() + ")", nil
	case warehouse.JSONL:
		return "read_json($paths, format = 'newline_delimited', union_by_name = true)", nil
	}
	return "", errs.E(errs.Unsupported, "duckdbwh: load format %q", f)
}

// quoteString is s as a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// checkSourceColumns reads the files' column names and checks that each is a
// table column and that the merge keys are table and file columns.
func checkSourceColumns(ctx context.Context, tx *sql.Tx, src string, paths []string, cols warehouse.Schema, req warehouse.LoadRequest) error {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+src+" LIMIT 0", sql.Named("paths", paths))
	if err != nil {
		return mapErr(err, "duckdbwh: read sources of %q.%q", req.Dataset, req.Table)
	}
	names, err := rows.Columns()
	rows.Close()
	if err != nil {
		return mapErr(err, "duckdbwh: read sources of %q.%q", req.Dataset, req.Table)
	}
	have := map[string]bool{}
	for _, c := range cols {
		have[strings.ToLower(c.Name)] = true
	}
	inFile := map[string]bool{}
	for _, n := range names {
		if !have[strings.ToLower(n)] {
			return errs.E(errs.Invalid, "duckdbwh: load into %q.%q: file column %q is not in the table", req.Dataset, req.Table, n)
		}
		inFile[strings.ToLower(n)] = true
	}
	if req.Mode == warehouse.Merge {
		for _, k := range req.MergeKeys {
			if !have[strings.ToLower(k)] {
				return errs.E(errs.Invalid, "duckdbwh: merge key %q is not a column of %q.%q", k, req.Dataset, req.Table)
			}
			if !inFile[strings.ToLower(k)] {
				return errs.E(errs.Invalid, "duckdbwh: merge key %q is not in the loaded files", k)
			}
		}
	}
	return nil
}

func insertFrom(ctx context.Context, tx *sql.Tx, target, src string, paths []string) (int64, error) {
	res, err := tx.ExecContext(ctx, "INSERT INTO "+target+" BY NAME SELECT * FROM "+src, sql.Named("paths", paths))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func merge(ctx context.Context, tx *sql.Tx, target, src string, paths, keys []string, jobID string) (int64, error) {
	tmp := qi("_load_" + jobID)
	if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE "+tmp+" AS SELECT * FROM "+src, sql.Named("paths", paths)); err != nil {
		return 0, err
	}
	qkeys := make([]string, len(keys))
	on := make([]string, len(keys))
	for i, k := range keys {
		qkeys[i] = qi(k)
		on[i] = target + "." + qi(k) + " = " + tmp + "." + qi(k)
	}
	var dup int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+tmp+" GROUP BY "+strings.Join(qkeys, ", ")+" HAVING count(*) > 1)").Scan(&dup)
	if err != nil {
		return 0, err
	}
	if dup > 0 {
		return 0, errs.E(errs.Invalid, "duckdbwh: merge: %d key values occur more than once in the loaded rows (keys %v)", dup, keys)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+target+" USING "+tmp+" WHERE "+strings.Join(on, " AND ")); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO "+target+" BY NAME SELECT * FROM "+tmp)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE "+tmp); err != nil {
		return 0, err
	}
	return n, nil
}

// deleteWhere deletes the rows of target where every condition's column
// equals its value, bound as the parameters $p0, $p1, ...; it returns the
// number of rows deleted.
func deleteWhere(ctx context.Context, tx *sql.Tx, target string, conds []warehouse.Param) (int64, error) {
	where := make([]string, len(conds))
	args := make([]any, len(conds))
	for i, c := range conds {
		p := "p" + strconv.Itoa(i)
		where[i] = qi(c.Name) + " = $" + p
		args[i] = sql.Named(p, c.Value)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM "+target+" WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
