package duckdbwh

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// This file keeps the SQL of Query away from the host (see "External
// access" in the package doc).

// loadDirFor returns the load directory of the database at path, created
// if missing, and whether it is temporary (a memory database's).
func loadDirFor(path string) (dir string, temp bool, err error) {
	if path == ":memory:" {
		dir, err = os.MkdirTemp("", "duckdb-load-")
		if err != nil {
			return "", false, errs.Wrap(errs.Transient, err, "duckdbwh: create a load directory")
		}
		return dir, true, nil
	}
	dir, err = filepath.Abs(path + ".load")
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return "", false, errs.Wrap(errs.Permission, err, "duckdbwh: create the load directory of %s", path)
	}
	return dir, false, nil
}

// emptyDir removes what dir holds: the copies of loads a process that
// ended mid-load left behind. Call it only while holding the database's
// file lock (after opening it), so no other process is loading.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// lockDown turns external access off for the whole instance (see the
// section above), leaving it only the load directory, with every session in
// UTC, and freezes the configuration. It runs once per instance, before any
// caller's SQL.
func lockDown(ctx context.Context, db *sql.DB, loadDir string) error {
	for _, s := range []string{
		"SET GLOBAL TimeZone = 'UTC'",
		"SET GLOBAL allowed_directories = [" + quoteString(loadDir+string(filepath.Separator)) + "]",
		"SET GLOBAL enable_external_access = false",
		"SET GLOBAL lock_configuration = true",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// stageCopies copies files into a new subdirectory of loadDir (keeping
// each base name, for compression detection by extension) and returns the
// copies' paths and a function removing them.
func stageCopies(loadDir string, files []string) (copies []string, remove func(), err error) {
	dir, err := os.MkdirTemp(loadDir, "job-")
	if err != nil {
		return nil, nil, fmt.Errorf("duckdbwh: load directory: %w", err) // kind: errorKind
	}
	remove = func() { _ = os.RemoveAll(dir) }
	for i, f := range files {
		dst := filepath.Join(dir, fmt.Sprintf("%d-%s", i, filepath.Base(f)))
		if err := copyFile(f, dst); err != nil {
			remove()
			return nil, nil, fmt.Errorf("duckdbwh: source %s: %w", f, err) // kind: errorKind
		}
		copies = append(copies, dst)
	}
	return copies, remove, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// explainRefusal puts a message for the user on DuckDB's refusal of a
// query that reached for the host or for the settings; other errors are
// returned as they are.
func explainRefusal(err error) error {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	msg := strings.ToLower(de.Msg)
	switch {
	case de.Type == duckdb.ErrorTypePermission && (strings.Contains(msg, "disabled by configuration") || strings.Contains(msg, "disabled through configuration")):
		return errs.Explain(err, "A query can only read the warehouse's own tables: reading or writing files, attaching other databases and loading extensions are turned off.")
	case strings.Contains(msg, "configuration has been locked"):
		return errs.Explain(err, "A query cannot change the warehouse's settings.")
	}
	return err
}
