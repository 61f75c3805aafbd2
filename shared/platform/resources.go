package platform

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// Resources opens and caches each tenant's buckets and warehouse. It
// implements etl.Resources.
type Resources struct {
	cfg Config

	buckets    cache[*blob.Bucket]
	warehouses cache[*warehouse.Warehouse]
}

var _ etl.Resources = (*Resources)(nil)

// NewResources returns the resource cache for cfg.
func NewResources(cfg Config) *Resources {
	return &Resources{cfg: cfg}
}

// cache opens each backend once per URL. One URL's open does not wait for
// another's (opening a tenant's DuckDB file must not stall other tenants);
// a failed open is tried again next time.
type cache[T interface{ Close() error }] struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry[T]
}

type cacheEntry[T any] struct {
	mu   sync.Mutex
	v    T
	open bool
}

func (c *cache[T]) get(u string, open func() (T, error)) (T, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cacheEntry[T]{}
	}
	e, ok := c.entries[u]
	if !ok {
		e = &cacheEntry[T]{}
		c.entries[u] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.open {
		v, err := open()
		if err != nil {
			return v, err
		}
		e.v, e.open = v, true
	}
	return e.v, nil
}

func (c *cache[T]) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []error
	for u, e := range c.entries {
		e.mu.Lock()
		if e.open {
			all = append(all, e.v.Close())
		}
		e.mu.Unlock()
		delete(c.entries, u)
	}
	return errors.Join(all...)
}

func (r *Resources) templates(role string) (url, name string, err error) {
	switch role {
	case etl.BucketDrop:
		return r.cfg.DropURL, r.cfg.DropBucket, nil
	case etl.BucketStaging:
		return r.cfg.StagingURL, r.cfg.StagingBucket, nil
	case "artifacts":
		return r.cfg.ArtifactsURL, "{tenant}-artifacts", nil
	}
	return "", "", errs.E(errs.Invalid, "platform: unknown bucket role %q", role)
}

func (r *Resources) checkTenant(tenant string) error {
	if !ValidTenantID(tenant) {
		return errs.E(errs.Invalid, "platform: invalid tenant id %q", tenant)
	}
	if r.cfg.TenantID != "" && tenant != r.cfg.TenantID {
		return errs.E(errs.NotFound, "platform: tenant %q is not served by this deployment", tenant)
	}
	return nil
}

// Bucket implements etl.Resources.
func (r *Resources) Bucket(ctx context.Context, tenant, role string) (*blob.Bucket, error) {
	if err := r.checkTenant(tenant); err != nil {
		return nil, err
	}
	u, _, err := r.templates(role)
	if err != nil {
		return nil, err
	}
	u = ForTenant(u, tenant)
	return r.buckets.get(u, func() (*blob.Bucket, error) { return blobstore.Open(ctx, u) })
}

// BucketURL implements etl.Resources: the bucket URL without query.
func (r *Resources) BucketURL(tenant, role string) string {
	u, _, _ := r.templates(role)
	u = ForTenant(u, tenant)
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}

// BucketName implements etl.Resources.
func (r *Resources) BucketName(tenant, role string) string {
	_, n, _ := r.templates(role)
	return ForTenant(n, tenant)
}

// TenantOfBucket implements etl.Resources.
func (r *Resources) TenantOfBucket(bucket string) (string, string, bool) {
	for _, role := range []string{etl.BucketDrop, etl.BucketStaging} {
		_, n, _ := r.templates(role)
		if t, ok := TenantFromName(n, bucket, r.cfg.TenantID); ok {
			return t, role, true
		}
	}
	return "", "", false
}

// Warehouse implements etl.Resources.
func (r *Resources) Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error) {
	if err := r.checkTenant(tenant); err != nil {
		return nil, err
	}
	u := ForTenant(r.cfg.WarehouseURL, tenant)
	return r.warehouses.get(u, func() (*warehouse.Warehouse, error) { return warehouse.Open(ctx, u) })
}

// Close closes every opened backend.
func (r *Resources) Close() error {
	return errors.Join(r.buckets.close(), r.warehouses.close())
}
