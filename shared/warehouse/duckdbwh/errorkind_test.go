package duckdbwh_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// TestErrorKindTable: the driver's one classifier, on each kind of error
// it meets (DuckDB's error types, the file system, contexts). Real DuckDB
// errors are classified end to end in TestErrorKinds.
func TestErrorKindTable(t *testing.T) {
	de := func(typ duckdb.ErrorType, msg string) error { return &duckdb.Error{Type: typ, Msg: msg} }
	tests := []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"table exists", de(duckdb.ErrorTypeCatalog, `Table with name "t" already exists!`), errs.Conflict},
		{"table missing", de(duckdb.ErrorTypeCatalog, `Table with name t does not exist!`), errs.NotFound},
		{"file missing", de(duckdb.ErrorTypeIO, `No files found that match the pattern "x.parquet"`), errs.NotFound},
		{"file not readable", de(duckdb.ErrorTypeIO, `Cannot open file "x": Permission denied`), errs.Permission},
		{"disk full", de(duckdb.ErrorTypeIO, `Could not write file "x": No space left on device`), errs.Transient},
		{"write-write conflict", de(duckdb.ErrorTypeTransaction, `Catalog write-write conflict`), errs.Transient},
		{"out of memory", de(duckdb.ErrorTypeOutOfMemory, `could not allocate`), errs.Transient},
		{"fatal (reopened)", de(duckdb.ErrorTypeFatal, `Failed to create checkpoint`), errs.Transient},
		{"not implemented", de(duckdb.ErrorTypeNotImplemented, `not implemented`), errs.Unsupported},
		{"permission", de(duckdb.ErrorTypePermission, `access disabled`), errs.Permission},
		{"internal", de(duckdb.ErrorTypeInternal, `assertion failed`), errs.Unknown},
		{"syntax", de(duckdb.ErrorTypeParser, `syntax error at or near "SELEC"`), errs.Invalid},
		{"bad input", de(duckdb.ErrorTypeInvalidInput, `No magic bytes found`), errs.Invalid},
		{"wrapped", fmt.Errorf("duckdbwh: query: %w", de(duckdb.ErrorTypeCatalog, "does not exist")), errs.NotFound},
		{"source file missing", fmt.Errorf("duckdbwh: source: %w", fs.ErrNotExist), errs.NotFound},
		{"source file refused", fmt.Errorf("duckdbwh: source: %w", fs.ErrPermission), errs.Permission},
		{"cancelled", context.Canceled, errs.Transient},
		{"deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), errs.Transient},
		{"not DuckDB's", errors.New("something else"), errs.Unknown},
	}
	d := &duckdbwh.Driver{}
	for _, tt := range tests {
		if got := d.ErrorKind(tt.err); got != tt.want {
			t.Errorf("%s: ErrorKind(%v) = %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}
