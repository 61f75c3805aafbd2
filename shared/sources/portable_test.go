package sources_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// stubDriver is a mock (no real database fails on demand): Describe and
// Extract fail with err, which ErrorKind classifies as kind.
type stubDriver struct {
	sources.Driver // nil: only the methods below are called
	err            error
	kind           errs.Kind
	calls, closes  int
}

func (d *stubDriver) Describe(context.Context, string, string, int) (sources.TableMeta, error) {
	d.calls++
	return sources.TableMeta{}, d.err
}

func (d *stubDriver) Extract(context.Context, sources.ExtractRequest) (sources.RowIterator, error) {
	d.calls++
	return nil, d.err
}

func (d *stubDriver) ErrorKind(err error) errs.Kind {
	if errors.Is(err, d.err) {
		return d.kind
	}
	return errs.Unknown
}

func (d *stubDriver) Close() error { d.closes++; return nil }

func TestSourceValidatesAndClassifies(t *testing.T) {
	ctx := context.Background()
	raw := errors.New("server said no")
	d := &stubDriver{err: raw, kind: errs.Permission}
	s := sources.New(d)
	for name, req := range map[string]sources.ExtractRequest{
		"no table":             {},
		"negative limit":       {Table: "t", Limit: -1},
		"since without column": {Table: "t", Since: time.Now()},
	} {
		if _, err := s.Extract(ctx, req); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: Extract = %v, want invalid", name, err)
		}
	}
	if _, err := s.Describe(ctx, "", "", 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("Describe without a table = %v, want invalid", err)
	}
	if _, err := s.Describe(ctx, "", "t", -1); !errs.Is(err, errs.Invalid) {
		t.Errorf("Describe with negative samples = %v, want invalid", err)
	}
	if d.calls != 0 {
		t.Fatalf("%d invalid requests reached the driver", d.calls)
	}
	if _, err := s.Extract(ctx, sources.ExtractRequest{Table: "t"}); !errs.Is(err, errs.Permission) || !errors.Is(err, raw) {
		t.Errorf("driver error = %v, want permission (ErrorKind) wrapping the cause", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil || d.closes != 1 {
		t.Errorf("second Close = %v, driver closed %d times", err, d.closes)
	}
	if _, err := s.Describe(ctx, "", "t", 0); !errs.Is(err, errs.Invalid) || d.calls != 1 {
		t.Errorf("Describe after Close = %v (driver calls %d), want invalid", err, d.calls)
	}
}

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering postgres a second time did not panic")
		}
	}()
	// Schemes are matched without regard to case, so these are the same.
	open := func(context.Context, sources.Connection) (sources.Driver, error) { return nil, nil }
	sources.Register("Dup-Test", open)
	sources.Register("dup-test", open)
}
