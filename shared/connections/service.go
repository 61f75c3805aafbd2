package connections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// JobCounter counts the ETL jobs of a tenant that use a connection (a
// connection in use cannot be deleted). The ETL service implements it.
type JobCounter interface {
	CountJobsUsing(ctx context.Context, tenant, connID string) (int, error)
}

// UsageFunc is a JobCounter that is a function.
type UsageFunc func(ctx context.Context, tenant, connID string) (int, error)

// CountJobsUsing implements JobCounter.
func (f UsageFunc) CountJobsUsing(ctx context.Context, tenant, connID string) (int, error) {
	return f(ctx, tenant, connID)
}

// Options adjust a Service.
type Options struct {
	// Usage counts the jobs using a connection (nil: none ever do). When
	// the counter is built after the Service (the ETL service reads through
	// it), set it with CountJobsWith instead.
	Usage JobCounter
	// Egress is the outbound policy every connection dials through
	// (B2B_CONNECT_ALLOW); nil allows public addresses only.
	Egress *egress.Policy
	// FileRoots are the folders file:// bucket URLs may name, "{tenant}"
	// replaced by the tenant id (B2B_FILE_IMPORT_ROOTS, local mode only).
	// Empty: local folders are refused, as in the cloud, where they would
	// expose the server's disk.
	FileRoots []string
	// TestTimeout bounds a connection test (default 10 s).
	TestTimeout time.Duration
	// Detect bounds the file-schema detection (B2B_DETECT_MAX_BYTES,
	// B2B_DETECT_MAX_ROWS).
	Detect DetectOptions
	// SampleDocs is the number of documents read to infer the columns of
	// a Firestore collection (sources.SampleDocsFromEnv; 0: the driver's
	// default, sources.DefaultSampleDocs).
	SampleDocs int
	Logger     *slog.Logger
	Now        func() time.Time
}

// Service manages connections.
type Service struct {
	docs    *docstore.Store
	secrets *secrets.Store
	opts    Options
	// transport dials through opts.Egress; one per Service, so that
	// bucket connections share a pool.
	transport *http.Transport
}

// New returns a Service over a docstore and a secrets store.
func New(docs *docstore.Store, sec *secrets.Store, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TestTimeout <= 0 {
		opts.TestTimeout = 10 * time.Second
	}
	if opts.Egress == nil {
		opts.Egress = egress.Strict()
	}
	tr := opts.Egress.Transport()
	return &Service{docs: docs, secrets: sec, opts: opts, transport: tr}
}

func key(tenant, id string) docstore.Key { return docstore.Key{Tenant: tenant, Kind: Kind, ID: id} }

// nameKey is the index document that reserves a name in a tenant.
func nameKey(tenant, name string) docstore.Key {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(name))))
	return docstore.Key{Tenant: tenant, Kind: nameKind, ID: hex.EncodeToString(h[:16])}
}

type nameDoc struct {
	ConnectionID string `json:"connection_id"`
}

func checkID(id string) error {
	if !strings.HasPrefix(id, IDPrefix) || len(id) > 64 || strings.ContainsAny(id, "/.") {
		return errs.Explain(errs.E(errs.NotFound, "connection %q not found", id), "this connection does not exist (it may have been deleted)")
	}
	return nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// Get returns a connection with its jobs count; another tenant's
// connection is errs.NotFound.
func (s *Service) Get(ctx context.Context, tenant, id string) (View, error) {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return View{}, err
	}
	n, err := s.usage(ctx, tenant, id)
	if err != nil {
		return View{}, err
	}
	return View{Connection: c, JobsCount: n}, nil
}

func (s *Service) get(ctx context.Context, tenant, id string) (Connection, int64, error) {
	if err := checkID(id); err != nil {
		return Connection{}, 0, err
	}
	c, v, err := docstore.Get[Connection](ctx, s.docs, key(tenant, id))
	if errs.Is(err, errs.NotFound) {
		return Connection{}, 0, errs.Explain(errs.E(errs.NotFound, "connection %q not found", id), "this connection does not exist (it may have been deleted)")
	}
	if err != nil {
		return Connection{}, 0, err
	}
	return c, v, nil
}

// CountJobsWith sets the counter of the jobs using a connection, for a
// counter built after the Service (the ETL service, which reads through
// the connections). Call it before the Service serves requests.
func (s *Service) CountJobsWith(c JobCounter) { s.opts.Usage = c }

func (s *Service) usage(ctx context.Context, tenant, id string) (int, error) {
	if s.opts.Usage == nil {
		return 0, nil
	}
	n, err := s.opts.Usage.CountJobsUsing(ctx, tenant, id)
	if err != nil {
		return 0, fmt.Errorf("connection %s: count the jobs using it: %w", id, err)
	}
	return n, nil
}

// List returns the tenant's connections by name, each with its jobs count.
func (s *Service) List(ctx context.Context, tenant string) ([]View, error) {
	cs, err := docstore.List[Connection](ctx, s.docs, docstore.Query{Tenant: tenant, Kind: Kind, OrderBy: "name"})
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(cs))
	for _, c := range cs {
		n, err := s.usage(ctx, tenant, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, View{Connection: c, JobsCount: n})
	}
	return out, nil
}

// CreateResult is a created connection with the test made first (if asked)
// and the id of an existing connection to the same place, if any.
type CreateResult struct {
	Connection  View        `json:"connection"`
	Test        *TestResult `json:"test,omitempty"`
	DuplicateOf string      `json:"duplicate_of,omitempty"`
}

// Create saves a new connection and its secret. With TestFirst the values
// are tested first and a failed test saves nothing. If the secret cannot
// be written, the connection is removed again.
func (s *Service) Create(ctx context.Context, tenant string, in NewConnection) (CreateResult, error) {
	if err := normalize(&in.Fields, in.Secret, s.tenantRoots(tenant)); err != nil {
		return CreateResult{}, err
	}
	var res CreateResult
	dup, err := s.duplicateOf(ctx, tenant, in.Fields, "")
	if err != nil {
		return CreateResult{}, err
	}
	res.DuplicateOf = dup
	now := s.now()
	c := Connection{
		ID: newID(), TenantID: tenant, Fields: in.Fields, Enabled: in.Enabled == nil || *in.Enabled,
		SecretFields: in.Secret.fieldNames(), HasSecret: !in.Secret.empty(), CreatedAt: now, UpdatedAt: now,
	}
	if in.TestFirst {
		tr := s.test(ctx, tenant, in.Fields, in.Secret)
		tr.DuplicateOf = dup
		if !tr.OK {
			return CreateResult{}, errs.Userf(errs.Invalid, "the connection test failed: %s", tr.Message)
		}
		res.Test = &tr
		t := now
		c.LastTestStatus, c.LastTestMessage, c.LastTestAt = StatusSuccess, tr.Message, &t
	}
	err = s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		nk := nameKey(tenant, c.Name)
		if _, err := tx.Get(ctx, nk); err == nil {
			return errs.Fieldf(errs.Conflict, "name", "the name %q is already used by another connection", c.Name)
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if _, err := docstore.Put(ctx, tx, nk, nameDoc{ConnectionID: c.ID}, docstore.MustCreate); err != nil {
			return err
		}
		_, err := docstore.Put(ctx, tx, key(tenant, c.ID), c, docstore.MustCreate)
		return err
	})
	if err != nil {
		return CreateResult{}, err
	}
	if !in.Secret.empty() {
		if err := s.putSecret(ctx, tenant, c.ID, in.Secret); err != nil {
			if derr := s.deleteDocs(context.WithoutCancel(ctx), tenant, c); derr != nil {
				s.opts.Logger.ErrorContext(ctx, "connections: remove connection after failed secret write", "tenant", tenant, "id", c.ID, "err", derr)
			}
			return CreateResult{}, err
		}
	}
	s.opts.Logger.InfoContext(ctx, "connections: created", "tenant", tenant, "id", c.ID, "type", string(c.Type))
	res.Connection = View{Connection: c}
	return res, nil
}

func (s *Service) putSecret(ctx context.Context, tenant, id string, sec Secret) error {
	b, err := json.Marshal(sec)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "connection %s: encode secret", id)
	}
	if err := s.secrets.Put(ctx, tenant, SecretName(id), b); err != nil {
		// The secrets port keeps values out of its errors.
		return fmt.Errorf("connection %s: the credentials could not be stored: %w", id, err)
	}
	return nil
}

// secret reads a connection's secret (empty if it has none).
func (s *Service) secret(ctx context.Context, c Connection) (Secret, error) {
	if !c.HasSecret {
		return Secret{}, nil
	}
	b, err := s.secrets.Get(ctx, c.TenantID, SecretName(c.ID))
	if errs.Is(err, errs.NotFound) {
		return Secret{}, nil
	}
	if err != nil {
		return Secret{}, fmt.Errorf("connection %s: the credentials could not be read: %w", c.ID, err)
	}
	var sec Secret
	if err := json.Unmarshal(b, &sec); err != nil {
		return Secret{}, errs.Explain(errs.E(errs.Invalid, "connection %s: the stored credentials are damaged", c.ID), "the stored credentials of this connection are damaged: enter them again")
	}
	return sec, nil
}

func (s *Service) deleteDocs(ctx context.Context, tenant string, c Connection) error {
	return s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		nk := nameKey(tenant, c.Name)
		if nd, _, err := docstore.Get[nameDoc](ctx, tx, nk); err == nil && nd.ConnectionID == c.ID {
			if err := tx.Delete(ctx, nk, docstore.Any); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, key(tenant, c.ID), docstore.Any)
	})
}

// duplicateOf returns the id of another connection of the tenant to the
// same place (see identity), or "".
func (s *Service) duplicateOf(ctx context.Context, tenant string, f Fields, self string) (string, error) {
	cs, err := docstore.List[Connection](ctx, s.docs, docstore.Query{Tenant: tenant, Kind: Kind, Filters: []docstore.Filter{{Field: "type", Op: docstore.Eq, Value: string(f.Type)}}})
	if err != nil {
		return "", err
	}
	id := identity(f)
	for _, c := range cs {
		if c.ID != self && identity(c.Fields) == id {
			return c.ID, nil
		}
	}
	return "", nil
}

// UpdateResult is an updated connection, the test made (if asked) and the
// number of jobs the change affects.
type UpdateResult struct {
	Connection        View        `json:"connection"`
	Test              *TestResult `json:"test,omitempty"`
	AffectedJobsCount int         `json:"affected_jobs_count"`
}

// Update changes a connection. The type cannot change. With Test the new
// values are tested first and a failed test changes nothing. A change of
// the place a stored secret goes to (host, port, bucket, endpoint,
// account) needs that secret entered again (errs.Invalid naming it).
func (s *Service) Update(ctx context.Context, tenant, id string, p Patch) (UpdateResult, error) {
	old, ver, err := s.get(ctx, tenant, id)
	if err != nil {
		return UpdateResult{}, err
	}
	sec, err := s.secret(ctx, old)
	if err != nil {
		return UpdateResult{}, err
	}
	newSec := p.Secret.apply(sec)
	roots := s.tenantRoots(tenant)
	c := old
	c.Fields = p.apply(old.Fields)
	if err := normalize(&c.Fields, newSec, roots); err != nil {
		return UpdateResult{}, err
	}
	// Compare with the stored fields normalised the same way (a document
	// saved by an older version may spell the same place differently).
	was := old.Fields
	if normalize(&was, sec, roots) != nil {
		was = old.Fields
	}
	if err := movedSecret(was, c.Fields, sec, p.Secret); err != nil {
		return UpdateResult{}, err
	}
	if p.Enabled != nil {
		c.Enabled = *p.Enabled
	}
	c.SecretFields, c.HasSecret = newSec.fieldNames(), !newSec.empty()
	c.UpdatedAt = s.now()
	var res UpdateResult
	if p.Test {
		tr := s.test(ctx, tenant, c.Fields, newSec)
		if !tr.OK {
			return UpdateResult{}, errs.Userf(errs.Invalid, "the connection test failed: %s", tr.Message)
		}
		res.Test = &tr
		t := c.UpdatedAt
		c.LastTestStatus, c.LastTestMessage, c.LastTestAt = StatusSuccess, tr.Message, &t
	}
	if p.Secret.changed() {
		if newSec.empty() {
			if err := s.secrets.Delete(ctx, tenant, SecretName(id)); err != nil {
				return UpdateResult{}, fmt.Errorf("connection %s: the credentials could not be removed: %w", id, err)
			}
		} else if err := s.putSecret(ctx, tenant, id, newSec); err != nil {
			return UpdateResult{}, err
		}
	}
	err = s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		if nk, ok := nameKey(tenant, c.Name), nameKey(tenant, old.Name); nk != ok {
			if nd, _, err := docstore.Get[nameDoc](ctx, tx, nk); err == nil && nd.ConnectionID != id {
				return errs.Fieldf(errs.Conflict, "name", "the name %q is already used by another connection", c.Name)
			} else if err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
			if err := tx.Delete(ctx, ok, docstore.Any); err != nil {
				return err
			}
			if _, err := docstore.Put(ctx, tx, nk, nameDoc{ConnectionID: id}, docstore.Any); err != nil {
				return err
			}
		}
		_, err := docstore.Put(ctx, tx, key(tenant, id), c, docstore.IfVersion(ver))
		return err
	})
	if err != nil {
		return UpdateResult{}, err
	}
	n, err := s.usage(ctx, tenant, id)
	if err != nil {
		return UpdateResult{}, err
	}
	res.Connection, res.AffectedJobsCount = View{Connection: c, JobsCount: n}, n
	return res, nil
}

// Delete removes a connection and its secret; refused with errs.Conflict
// while jobs use it.
func (s *Service) Delete(ctx context.Context, tenant, id string) error {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return err
	}
	n, err := s.usage(ctx, tenant, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return errs.Userf(errs.Conflict, "connection %q is used by %d ETL job(s): delete or change them first", c.Name, n)
	}
	if err := s.secrets.Delete(ctx, tenant, SecretName(id)); err != nil {
		return fmt.Errorf("connection %s: the credentials could not be removed: %w", id, err)
	}
	if err := s.deleteDocs(ctx, tenant, c); err != nil {
		return err
	}
	s.opts.Logger.InfoContext(ctx, "connections: deleted", "tenant", tenant, "id", id)
	return nil
}

// MarkUsed records that a job read through the connection now.
func (s *Service) MarkUsed(ctx context.Context, tenant, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	_, err := docstore.Update[Connection](ctx, s.docs, key(tenant, id), func(c *Connection, exists bool) error {
		if !exists {
			return errs.Explain(errs.E(errs.NotFound, "connection %q not found", id), "this connection does not exist (it may have been deleted)")
		}
		t := s.now()
		c.LastUsedAt = &t
		return nil
	})
	return err
}

func newID() string { return tenancy.NewID(IDPrefix) }
