package warehouse

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Warehouse is the portable type. It does the work every driver would
// otherwise repeat: it checks names, schemas, query parameters and load
// requests (ValidateLoad), refuses calls after Close and gives a driver's errors their kind through
// Driver.ErrorKind. The embedded Driver is reachable for driver-specific
// calls (a type assertion); Warehouse's own methods come first.
type Warehouse struct {
	Driver
	closed atomic.Bool
}

// New returns a Warehouse over d.
func New(d Driver) *Warehouse { return &Warehouse{Driver: d} }

var _ Driver = (*Warehouse)(nil)

func (w *Warehouse) check() error {
	if w.closed.Load() {
		return errs.E(errs.Invalid, "warehouse: the warehouse is closed")
	}
	return nil
}

// classify gives err a kind when it has none: cancelled and timed-out
// contexts are Transient, a driver's own errors what its ErrorKind says;
// what the driver cannot classify is returned unchanged (internal).
func (w *Warehouse) classify(err error, format string, args ...any) error {
	return errs.Classify(err, w.Driver.ErrorKind, format, args...)
}

// CreateDataset creates the dataset (DuckDB: schema) if missing.
func (w *Warehouse) CreateDataset(ctx context.Context, dataset string) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := checkNames(dataset); err != nil {
		return err
	}
	return w.classify(w.Driver.CreateDataset(ctx, dataset), "warehouse: create dataset %q", dataset)
}

// CreateTable creates a table; errs.Conflict if it exists.
func (w *Warehouse) CreateTable(ctx context.Context, dataset, table string, schema Schema) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := checkNames(dataset, table); err != nil {
		return err
	}
	if err := schema.Validate(); err != nil {
		return err
	}
	return w.classify(w.Driver.CreateTable(ctx, dataset, table, schema), "warehouse: create table %q.%q", dataset, table)
}

// DescribeTable returns errs.NotFound if the table does not exist.
func (w *Warehouse) DescribeTable(ctx context.Context, dataset, table string) (Table, error) {
	if err := w.check(); err != nil {
		return Table{}, err
	}
	if err := checkNames(dataset, table); err != nil {
		return Table{}, err
	}
	t, err := w.Driver.DescribeTable(ctx, dataset, table)
	return t, w.classify(err, "warehouse: describe %q.%q", dataset, table)
}

// ListTables lists the tables of a dataset.
func (w *Warehouse) ListTables(ctx context.Context, dataset string) ([]Table, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if err := checkNames(dataset); err != nil {
		return nil, err
	}
	ts, err := w.Driver.ListTables(ctx, dataset)
	return ts, w.classify(err, "warehouse: list tables of %q", dataset)
}

// DropTable drops a table.
func (w *Warehouse) DropTable(ctx context.Context, dataset, table string) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := checkNames(dataset, table); err != nil {
		return err
	}
	return w.classify(w.Driver.DropTable(ctx, dataset, table), "warehouse: drop %q.%q", dataset, table)
}

// Load loads files into a table (see LoadRequest); the request is checked
// with ValidateLoad first.
func (w *Warehouse) Load(ctx context.Context, req LoadRequest) (LoadResult, error) {
	if err := w.check(); err != nil {
		return LoadResult{}, err
	}
	if err := ValidateLoad(req); err != nil {
		return LoadResult{}, err
	}
	r, err := w.Driver.Load(ctx, req)
	return r, w.classify(err, "warehouse: load into %q.%q", req.Dataset, req.Table)
}

// Query runs SQL in the driver's dialect with @name parameters and returns
// at most maxRows rows (0 = all; negative is errs.Invalid). The parameters
// are checked (see Param) and passed to the driver normalised: int64,
// float64, UTC times.
func (w *Warehouse) Query(ctx context.Context, sql string, params []Param, maxRows int) (Result, error) {
	if err := w.check(); err != nil {
		return Result{}, err
	}
	if maxRows < 0 {
		return Result{}, errs.E(errs.Invalid, "warehouse: negative row limit %d", maxRows)
	}
	params, err := checkParams(w.Dialect(), sql, params)
	if err != nil {
		return Result{}, err
	}
	r, err := w.Driver.Query(ctx, sql, params, maxRows)
	return r, w.classify(err, "warehouse: query")
}

// Preview returns up to limit rows of a table (1 to 1000), in the
// warehouse's own order: what a user sees of a table before using it.
func (w *Warehouse) Preview(ctx context.Context, dataset, table string, limit int) (Result, error) {
	if limit < 1 || limit > MaxPreviewRows {
		return Result{}, errs.E(errs.Invalid, "warehouse: preview of %d rows (1 to %d)", limit, MaxPreviewRows)
	}
	q := fmt.Sprintf("SELECT * FROM %s LIMIT %d", QuoteTable(w.Dialect(), dataset, table), limit)
	r, err := w.Query(ctx, q, nil, limit)
	if err != nil {
		return Result{}, err
	}
	if r.Rows == nil {
		r.Rows = [][]any{}
	}
	return r, nil
}

// MaxPreviewRows bounds Preview.
const MaxPreviewRows = 1000

// Close closes the driver; later calls fail with errs.Invalid and closing
// again does nothing.
func (w *Warehouse) Close() error {
	if w.closed.Swap(true) {
		return nil
	}
	return w.Driver.Close()
}

// ValidateLoad checks what every driver needs of a load request: a dataset,
// a table, at least one source and a format; a known mode (empty is
// Append); merge keys for Merge; ReplaceWhere for Replace only, and valid
// (CheckReplaceWhere); a valid Schema when one is given, and a Layout only
// with one, that fits it (Layout.Check). Errors are errs.Invalid.
func ValidateLoad(req LoadRequest) error {
	if err := checkNames(req.Dataset, req.Table); err != nil {
		return err
	}
	if len(req.Sources) == 0 {
		return errs.E(errs.Invalid, "warehouse: load without sources")
	}
	if req.Format == "" {
		return errs.E(errs.Invalid, "warehouse: load without a format")
	}
	mode := req.Mode
	if mode == "" {
		mode = Append
	}
	switch mode {
	case Append, Truncate:
	case Merge:
		if len(req.MergeKeys) == 0 {
			return errs.E(errs.Invalid, "warehouse: merge load into %q.%q without merge keys", req.Dataset, req.Table)
		}
	case Replace:
		if err := CheckReplaceWhere(req.ReplaceWhere); err != nil {
			return errs.Wrap(errs.Invalid, err, "warehouse: load into %q.%q", req.Dataset, req.Table)
		}
	default:
		return errs.E(errs.Invalid, "warehouse: unknown load mode %q", req.Mode)
	}
	if mode != Replace && len(req.ReplaceWhere) > 0 {
		return errs.E(errs.Invalid, "warehouse: ReplaceWhere given for a %s load (it is for %s)", mode, Replace)
	}
	if len(req.Schema) > 0 {
		if err := req.Schema.Validate(); err != nil {
			return err
		}
	}
	if !req.Layout.IsZero() {
		if len(req.Schema) == 0 {
			return errs.E(errs.Invalid, "warehouse: a table layout without the schema that creates the table")
		}
		return req.Layout.Check(req.Schema)
	}
	return nil
}
