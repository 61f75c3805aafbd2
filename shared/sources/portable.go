package sources

import (
	"context"
	"sync/atomic"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Source is the portable type. It does the work every driver would
// otherwise repeat: it checks requests (ValidateExtract, a table name and a
// sample count for Describe), refuses calls after Close and gives a
// driver's errors their kind through Driver.ErrorKind. The embedded Driver
// is reachable for driver-specific calls; Source's own methods come first.
type Source struct {
	Driver
	closed atomic.Bool
}

// New returns a Source over d.
func New(d Driver) *Source { return &Source{Driver: d} }

var _ Driver = (*Source)(nil)

func (s *Source) check() error {
	if s.closed.Load() {
		return errs.E(errs.Invalid, "sources: the source is closed")
	}
	return nil
}

// classify gives err a kind when it has none (see docstore.Store).
func (s *Source) classify(err error, op string) error {
	return errs.Classify(err, s.Driver.ErrorKind, "sources: %s", op)
}

// Test connects, pings and lists the base tables of the default schema.
func (s *Source) Test(ctx context.Context) (TestResult, error) {
	if err := s.check(); err != nil {
		return TestResult{}, err
	}
	r, err := s.Driver.Test(ctx)
	return r, s.classify(err, "test")
}

// Schemas lists the schemas a job can read.
func (s *Source) Schemas(ctx context.Context) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r, err := s.Driver.Schemas(ctx)
	return r, s.classify(err, "list schemas")
}

// Tables lists the base tables of a schema.
func (s *Source) Tables(ctx context.Context, schema string) ([]TableInfo, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r, err := s.Driver.Tables(ctx, schema)
	return r, s.classify(err, "list tables")
}

// Describe returns the columns of a table; samples must not be negative.
func (s *Source) Describe(ctx context.Context, schema, table string, samples int) (TableMeta, error) {
	if err := s.check(); err != nil {
		return TableMeta{}, err
	}
	if table == "" {
		return TableMeta{}, errs.E(errs.Invalid, "sources: describe without a table")
	}
	if samples < 0 {
		return TableMeta{}, errs.E(errs.Invalid, "sources: negative sample count %d", samples)
	}
	r, err := s.Driver.Describe(ctx, schema, table, samples)
	return r, s.classify(err, "describe")
}

// Extract streams the rows req selects (see ValidateExtract).
func (s *Source) Extract(ctx context.Context, req ExtractRequest) (RowIterator, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := ValidateExtract(req); err != nil {
		return nil, err
	}
	r, err := s.Driver.Extract(ctx, req)
	return r, s.classify(err, "extract")
}

// Close closes the driver; later calls fail with errs.Invalid and closing
// again does nothing.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.Driver.Close()
}

// ValidateExtract checks what needs no database: a table, a limit that is
// not negative, Since only with a TimestampColumn and a well-formed
// Range. Errors are
// errs.Invalid.
func ValidateExtract(req ExtractRequest) error {
	switch {
	case req.Table == "":
		return errs.E(errs.Invalid, "sources: extract without a table")
	case req.Limit < 0:
		return errs.E(errs.Invalid, "sources: negative limit %d", req.Limit)
	case req.Since != nil && req.TimestampColumn == "":
		return errs.E(errs.Invalid, "sources: Since needs a TimestampColumn")
	}
	return validateRange(req.Range)
}
