package etl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/cloudevents/sdk-go/v2/event"
	"gocloud.dev/blob"
)

// Bucket roles a tenant has.
const (
	BucketDrop    = "drop"
	BucketStaging = "staging"
)

// Resources gives the per-tenant backends: in the cloud one project per
// tenant, locally one folder and one DuckDB file per tenant.
type Resources interface {
	// Bucket opens (or returns the cached) bucket of a role for a tenant.
	Bucket(ctx context.Context, tenant, role string) (*blob.Bucket, error)
	// BucketURL is the URL of that bucket (file:///..., gs://...), used to
	// build object URLs the warehouse can load.
	BucketURL(tenant, role string) string
	// Warehouse returns the tenant's warehouse.
	Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error)
	// BucketName is the bucket's name as storage events carry it.
	BucketName(tenant, role string) string
	// TenantOfBucket maps a bucket name in a storage event to the tenant
	// and role that own it; ok is false for buckets of no tenant.
	TenantOfBucket(bucket string) (tenant, role string, ok bool)
}

// Service is the ETL domain service.
type Service struct {
	store     *docstore.Store
	bus       events.Publisher
	res       Resources
	validator *eventschemas.Validator
	log       *slog.Logger
	now       func() time.Time
	// sched holds the job schedules (nil: schedules are stored only).
	sched *scheduler.Scheduler
	// RowsPerPart bounds staged Parquet parts.
	rowsPerPart int
	// conns opens the saved connections database jobs read (nil: none).
	conns Connections
	// limits bound what reading one input may take (see WithLimits).
	limits tabular.Limits
	// maxAttempts bounds the tries of each half of a run (extract, load);
	// leaseTTL is how long a delivery holds a run without renewing.
	maxAttempts int
	leaseTTL    time.Duration
	// logLines bounds the lines a run's log keeps (WithRunLogLines).
	logLines int
	// parting are the partitioning settings (WithPartitioning); slots
	// is the worker pool that bounds the partitions extracted at once.
	parting Partitioning
	slots   chan struct{}
	// partitionFault, set only by tests (a fault hook), fails a
	// partition's attempt after its parts are staged.
	partitionFault func(p Partition) error
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithScheduler sets the scheduler that fires scheduled jobs.
func WithScheduler(sc *scheduler.Scheduler) Option { return func(s *Service) { s.sched = sc } }

// WithRowsPerPart sets the maximum rows per staged part.
func WithRowsPerPart(n int) Option { return func(s *Service) { s.rowsPerPart = n } }

// Defaults of the run lifecycle settings.
const (
	DefaultRunAttempts = 3
	DefaultRunLease    = 10 * time.Minute
)

// WithRunAttempts sets how often each half of a run (extract, load) is
// tried before the run fails (B2B_RUN_ATTEMPTS; values below 1 keep the
// default).
func WithRunAttempts(n int) Option {
	return func(s *Service) {
		if n >= 1 {
			s.maxAttempts = n
		}
	}
}

// WithRunLease sets how long a delivery holds a run without renewing its
// lease (B2B_RUN_LEASE). Work renews it every third of that; the sweeper
// requests again, or fails, a run whose lease has run out. Values of zero
// or less keep the default.
func WithRunLease(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.leaseTTL = d
		}
	}
}

// New returns the ETL service.
func New(store *docstore.Store, bus events.Publisher, res Resources, v *eventschemas.Validator, opts ...Option) *Service {
	s := &Service{store: store, bus: bus, res: res, validator: v, log: slog.Default(), now: time.Now, rowsPerPart: 250_000,
		maxAttempts: DefaultRunAttempts, leaseTTL: DefaultRunLease, logLines: DefaultRunLogLines, parting: defaultPartitioning()}
	for _, o := range opts {
		o(s)
	}
	s.slots = make(chan struct{}, s.parting.Workers)
	return s
}

// hashID derives a stable id from parts, so that the same input always
// names the same object (the basis of idempotent handlers).
func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil))[:20]
}

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

func ptr(t time.Time) *time.Time { return &t }

func invalidf(format string, args ...any) error { return errs.E(errs.Invalid, format, args...) }

// publish sends a CloudEvent with a JSON payload.
func (s *Service) publish(ctx context.Context, topic, typ, subject string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "etl: encode %s", typ)
	}
	if err := s.validator.Validate(typ, data); err != nil {
		return err
	}
	e := event.New()
	// Stable per event and subject, so a republished event is recognisably the same.
	e.SetID(hashID("e_", typ, subject))
	e.SetType(typ)
	e.SetSource("//b2brecs/etl")
	e.SetSubject(subject)
	e.SetTime(s.nowUTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return errs.Wrap(errs.Invalid, err, "etl: set event data")
	}
	if err := s.bus.Publish(ctx, topic, e); err != nil {
		return errs.Wrap(errs.Transient, err, "etl: publish %s", typ)
	}
	return nil
}
