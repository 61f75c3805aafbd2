package secrets

import (
	"context"
	"sync/atomic"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Store is the portable type. It checks tenant and secret names
// (CheckNames) and values (CheckValue) once, refuses calls after Close and
// gives a driver's errors their kind through Driver.ErrorKind. Drivers may
// check names again where a name becomes a file or resource name. The
// embedded Driver is reachable for driver-specific calls; Store's own
// methods come first.
type Store struct {
	Driver
	closed atomic.Bool
}

// New returns a Store over d.
func New(d Driver) *Store { return &Store{Driver: d} }

var _ Driver = (*Store)(nil)

func (s *Store) check(tenant, name string) error {
	if s.closed.Load() {
		return errs.E(errs.Invalid, "secrets: the store is closed")
	}
	return CheckNames(tenant, name)
}

// classify gives err a kind when it has none (see docstore.Store). The
// message names the secret, never its value.
func (s *Store) classify(err error, op, tenant, name string) error {
	return errs.Classify(err, s.Driver.ErrorKind, "secrets: %s %s/%s", op, tenant, name)
}

// Get returns the latest version; errs.NotFound if missing.
func (s *Store) Get(ctx context.Context, tenant, name string) ([]byte, error) {
	if err := s.check(tenant, name); err != nil {
		return nil, err
	}
	v, err := s.Driver.Get(ctx, tenant, name)
	return v, s.classify(err, "get", tenant, name)
}

// Put adds a new version (creating the secret if needed).
func (s *Store) Put(ctx context.Context, tenant, name string, value []byte) error {
	if err := s.check(tenant, name); err != nil {
		return err
	}
	if err := CheckValue(value); err != nil {
		return err
	}
	return s.classify(s.Driver.Put(ctx, tenant, name, value), "put", tenant, name)
}

// Delete removes the secret and all versions; missing is not an error.
func (s *Store) Delete(ctx context.Context, tenant, name string) error {
	if err := s.check(tenant, name); err != nil {
		return err
	}
	return s.classify(s.Driver.Delete(ctx, tenant, name), "delete", tenant, name)
}

// Close closes the driver; later calls fail with errs.Invalid and closing
// again does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.Driver.Close()
}
