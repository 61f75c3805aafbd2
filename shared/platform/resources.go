package platform

import (
	"context"
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

	mu         sync.Mutex
	buckets    map[string]*blob.Bucket
	warehouses map[string]*warehouse.Warehouse
}

var _ etl.Resources = (*Resources)(nil)

// NewResources returns the resource cache for cfg.
func NewResources(cfg Config) *Resources {
	return &Resources{cfg: cfg, buckets: map[string]*blob.Bucket{}, warehouses: map[string]*warehouse.Warehouse{}}
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.buckets[u]; ok {
		return b, nil
	}
	b, err := blobstore.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	r.buckets[u] = b
	return b, nil
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.warehouses[u]; ok {
		return w, nil
	}
	w, err := warehouse.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	r.warehouses[u] = w
	return w, nil
}

// Close closes every opened backend.
func (r *Resources) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for k, b := range r.buckets {
		if err := b.Close(); err != nil && first == nil {
			first = err
		}
		delete(r.buckets, k)
	}
	for k, w := range r.warehouses {
		if err := w.Close(); err != nil && first == nil {
			first = err
		}
		delete(r.warehouses, k)
	}
	return first
}
