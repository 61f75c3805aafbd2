package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
)

// failingDriver is a mock (no real store fails on demand): Get fails with
// a raw error that ErrorKind classifies; Put counts calls.
type failingDriver struct {
	secrets.Driver // nil: only the methods below are called
	err            error
	puts           int
}

func (d *failingDriver) Get(context.Context, string, string) ([]byte, error) { return nil, d.err }
func (d *failingDriver) Put(context.Context, string, string, []byte) error {
	d.puts++
	return nil
}
func (d *failingDriver) ErrorKind(err error) errs.Kind {
	if errors.Is(err, d.err) {
		return errs.Transient
	}
	return errs.Unknown
}

func TestStoreChecksAndClassifies(t *testing.T) {
	ctx := context.Background()
	d := &failingDriver{err: errors.New("backend unavailable")}
	s := secrets.New(d)
	_, err := s.Get(ctx, "acme", "pg")
	if !errs.Is(err, errs.Transient) || !errors.Is(err, d.err) {
		t.Errorf("Get = %v, want transient (ErrorKind) wrapping the cause", err)
	}
	for _, tc := range []struct {
		tenant, name string
		value        []byte
	}{
		{"acme", "../etc", []byte("v")},
		{"", "pg", []byte("v")},
		{"acme", "pg", nil},
		{"acme", "pg", []byte(strings.Repeat("x", secrets.MaxValueLen+1))},
	} {
		if err := s.Put(ctx, tc.tenant, tc.name, tc.value); !errs.Is(err, errs.Invalid) {
			t.Errorf("Put(%q, %q, %d bytes) = %v, want invalid", tc.tenant, tc.name, len(tc.value), err)
		}
	}
	if d.puts != 0 {
		t.Errorf("%d invalid puts reached the driver", d.puts)
	}
}
