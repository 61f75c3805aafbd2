// Package secrets is the port for credentials: an encrypted local store
// (local:///var/secrets, AES-256-GCM, key file created 0600 on first use) and
// Google Secret Manager (secretmanager://project).
//
// Secret values never appear in errors or logs.
package secrets

import (
	"context"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
)

// Driver is what a backend implements. Tenants and names are
// [A-Za-z0-9_-]{1,200} (see CheckNames; errs.Invalid otherwise). Drivers:
// localsecrets ("local"), secretmanager ("secretmanager"); conformance suite:
// secretstest.
type Driver interface {
	// Get returns the latest version; errs.NotFound if missing.
	Get(ctx context.Context, tenant, name string) ([]byte, error)
	// Put adds a new version (creating the secret if needed). The value
	// must be 1 to MaxValueLen bytes (errs.Invalid otherwise).
	Put(ctx context.Context, tenant, name string, value []byte) error
	// Delete removes the secret and all versions; missing is not an error.
	Delete(ctx context.Context, tenant, name string) error
	// ErrorKind classifies an error the driver returned that carries no
	// errs kind; errs.Unknown when it cannot tell.
	ErrorKind(err error) errs.Kind
	Close() error
}

// Opener opens a driver from a URL.
type Opener = registry.Opener[Driver]

var drivers = registry.New[Driver]("secrets")

// Register makes a driver available under a URL scheme. Call it from init.
func Register(scheme string, o Opener) { drivers.Register(scheme, o) }

// Open opens the store named by rawURL.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	d, err := drivers.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return New(d), nil
}
