package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Document kinds and the id prefix of datasets.
const (
	Kind        = "dataset"
	VersionKind = "dataset_version"
	nameKind    = "dataset_name"
	statsKind   = "dataset_stats"
	IDPrefix    = "ds_"
)

// Warehouses gives a tenant's warehouse (the platform's resources).
type Warehouses interface {
	Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error)
}

// UsageCounter counts the experiments that use a dataset: a dataset in use
// cannot be deleted. The experiments service implements it.
type UsageCounter interface {
	CountExperimentsUsing(ctx context.Context, tenant, datasetID string) (int, error)
}

// Options adjust a Service. Zero values take the documented defaults.
type Options struct {
	// Usage counts the experiments using a dataset (nil: none do).
	Usage UsageCounter
	// Quality holds the data-quality thresholds (DefaultThresholds).
	Quality Thresholds
	// Limits bound the models (zero fields: the package ceilings).
	Limits Limits
	// TopValues is the number of most frequent values the statistics list
	// per category column (B2B_DATASET_TOP_VALUES, default 10, at most 100).
	TopValues int
	// QueryTimeout bounds each statistics, quality or preview query
	// (B2B_DATASET_QUERY_TIMEOUT, default 60 s).
	QueryTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

// Service stores datasets and their versions and answers their SQL,
// statistics, data quality and preview from the tenant's warehouse.
type Service struct {
	docs *docstore.Store
	whs  Warehouses
	opts Options
}

// New returns a Service.
func New(docs *docstore.Store, whs Warehouses, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TopValues <= 0 {
		opts.TopValues = 10
	}
	opts.TopValues = min(opts.TopValues, 100)
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = time.Minute
	}
	opts.Quality = opts.Quality.withDefaults()
	opts.Limits = opts.Limits.withDefaults()
	return &Service{docs: docs, whs: whs, opts: opts}
}

// Record is a stored dataset: its current model and version.
type Record struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	NameLower string `json:"name_lower"`
	Dataset
	// Version is the number of the current version (1, 2, ...).
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// View is a dataset as the API answers it.
type View struct {
	Record
	// Columns are the result's columns (empty when a table is gone).
	Columns []OutputColumn `json:"output_columns"`
	// FilterSummary describes the filters as one numbered list.
	FilterSummary []string `json:"filter_summary"`
	// ExperimentsCount is the number of experiments using the dataset.
	ExperimentsCount int `json:"experiments_count"`
	// Problem, when set, says why the dataset no longer compiles against
	// the warehouse (a table or column was removed).
	Problem string `json:"problem,omitempty"`
}

// Version is an immutable version of a dataset: its model and the SQL it
// compiled to, in both dialects, plain and for training.
type Version struct {
	DatasetID string    `json:"dataset_id"`
	TenantID  string    `json:"tenant_id"`
	Number    int       `json:"version"`
	Model     Dataset   `json:"model"`
	SQL       SQLSet    `json:"sql"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// SQLSet is a dataset's SQL in both dialects; the training variants are
// missing when the roles they need are not set (TrainingProblem says why).
type SQLSet struct {
	BigQuery         Query  `json:"bigquery"`
	DuckDB           Query  `json:"duckdb"`
	TrainingBigQuery *Query `json:"training_bigquery,omitempty"`
	TrainingDuckDB   *Query `json:"training_duckdb,omitempty"`
	TrainingProblem  string `json:"training_problem,omitempty"`
}

type nameDoc struct {
	DatasetID string `json:"dataset_id"`
}

func key(tenant, id string) docstore.Key { return docstore.Key{Tenant: tenant, Kind: Kind, ID: id} }

func versionKey(tenant, id string, n int) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: VersionKind, ID: id + "-v" + strconv.Itoa(n)}
}

func nameKey(tenant, name string) docstore.Key {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(name))))
	return docstore.Key{Tenant: tenant, Kind: nameKind, ID: hex.EncodeToString(h[:16])}
}

func notFound(id string) error {
	return errs.Explain(errs.E(errs.NotFound, "dataset %q not found", id), "this dataset does not exist (it may have been deleted)")
}

func checkID(id string) error {
	if !strings.HasPrefix(id, IDPrefix) || len(id) > 64 || strings.ContainsAny(id, "/.") {
		return notFound(id)
	}
	return nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// schemas reads the schemas of the dataset's tables from the warehouse.
// A missing table is errs.Invalid naming the field that names it.
func (s *Service) schemas(ctx context.Context, wh *warehouse.Warehouse, d *Dataset) (Schemas, map[string]TableState, error) {
	out, mod := Schemas{}, map[string]TableState{}
	refs := append([]TableRef{d.Primary}, d.Secondary...)
	for i, t := range refs {
		field := "primary_table"
		if i > 0 {
			field = "secondary_tables[" + strconv.Itoa(i-1) + "]"
		}
		tb, err := wh.DescribeTable(ctx, t.Dataset, t.Table)
		if errs.Is(err, errs.NotFound) {
			return nil, nil, errs.WrapField(errs.Invalid, err, field, "there is no table %q in dataset %q: choose one of the warehouse's tables", t.Table, t.Dataset)
		}
		if err != nil {
			return nil, nil, errs.At("datasets.schemas", err)
		}
		out[t.Table] = tb.Schema
		mod[t.Dataset+"."+t.Table] = TableState{Modified: tb.Modified, Rows: tb.NumRows}
	}
	return out, mod, nil
}

// compileAll compiles the model for both dialects (it must resolve).
func compileAll(d *Dataset, sc Schemas) (SQLSet, error) {
	var set SQLSet
	var err error
	if set.BigQuery, err = Compile(d, sc, warehouse.BigQuery); err != nil {
		return SQLSet{}, err
	}
	if set.DuckDB, err = Compile(d, sc, warehouse.DuckDB); err != nil {
		return SQLSet{}, err
	}
	bq, err := CompileTraining(d, sc, warehouse.BigQuery)
	if err != nil {
		set.TrainingProblem = errs.UserMessage(err)
		return set, nil
	}
	dk, err := CompileTraining(d, sc, warehouse.DuckDB)
	if err != nil {
		set.TrainingProblem = errs.UserMessage(err)
		return set, nil
	}
	set.TrainingBigQuery, set.TrainingDuckDB = &bq, &dk
	return set, nil
}

// prepare validates d, resolves it against the warehouse and compiles it;
// it returns the tables' schemas too (the view's output columns).
func (s *Service) prepare(ctx context.Context, tenant string, d *Dataset) (SQLSet, Schemas, error) {
	if err := s.validate(d); err != nil {
		return SQLSet{}, nil, err
	}
	wh, err := s.whs.Warehouse(ctx, tenant)
	if err != nil {
		return SQLSet{}, nil, err
	}
	sc, _, err := s.schemas(ctx, wh, d)
	if err != nil {
		return SQLSet{}, nil, err
	}
	set, err := compileAll(d, sc)
	return set, sc, err
}

// validate checks a model on its own and against the limits.
func (s *Service) validate(d *Dataset) error {
	if err := s.opts.Limits.check(d); err != nil {
		return err
	}
	return d.Validate()
}

// Create stores a new dataset and its version 1.
func (s *Service) Create(ctx context.Context, tenant, user string, d Dataset) (View, error) {
	d.Name = strings.TrimSpace(d.Name)
	set, sc, err := s.prepare(ctx, tenant, &d)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	r := Record{ID: tenancy.NewID(IDPrefix), TenantID: tenant, NameLower: strings.ToLower(d.Name), Dataset: d,
		Version: 1, CreatedAt: now, UpdatedAt: now, CreatedBy: user, UpdatedBy: user}
	v := Version{DatasetID: r.ID, TenantID: tenant, Number: 1, Model: d, SQL: set, CreatedAt: now, CreatedBy: user}
	err = s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		if err := reserveName(ctx, tx, tenant, d.Name, r.ID); err != nil {
			return err
		}
		if _, err := docstore.Put(ctx, tx, versionKey(tenant, r.ID, 1), v, docstore.MustCreate); err != nil {
			return err
		}
		_, err := docstore.Put(ctx, tx, key(tenant, r.ID), r, docstore.MustCreate)
		return err
	})
	if err != nil {
		return View{}, errs.At("datasets.Create", err)
	}
	s.opts.Logger.InfoContext(ctx, "datasets: created", "tenant", tenant, "id", r.ID)
	return s.view(ctx, r, sc)
}

// reserveName claims name for the dataset id inside tx; a name another
// dataset holds is errs.Conflict on the field "name".
func reserveName(ctx context.Context, tx docstore.Tx, tenant, name, id string) error {
	nk := nameKey(tenant, name)
	nd, _, err := docstore.Get[nameDoc](ctx, tx, nk)
	switch {
	case err == nil && nd.DatasetID != id:
		return errs.Fieldf(errs.Conflict, "name", "the name %q is already used by another dataset: choose another name", name)
	case err == nil:
		return nil
	case !errs.Is(err, errs.NotFound):
		return err
	}
	_, err = docstore.Put(ctx, tx, nk, nameDoc{DatasetID: id}, docstore.MustCreate)
	return err
}

// get reads a dataset record of the tenant.
func (s *Service) get(ctx context.Context, tenant, id string) (Record, int64, error) {
	if err := checkID(id); err != nil {
		return Record{}, 0, err
	}
	r, ver, err := docstore.Get[Record](ctx, s.docs, key(tenant, id))
	if errs.Is(err, errs.NotFound) {
		return Record{}, 0, notFound(id)
	}
	return r, ver, err
}

// Get returns a dataset; another tenant's dataset is errs.NotFound.
func (s *Service) Get(ctx context.Context, tenant, id string) (View, error) {
	r, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, r, nil)
}

// view adds the output columns, the filter summary and the usage; sc are
// the tables' schemas when the caller has just read them (nil: read them).
func (s *Service) view(ctx context.Context, r Record, sc Schemas) (View, error) {
	v := View{Record: r, FilterSummary: Summary(r.Filters), Columns: []OutputColumn{}}
	n, err := s.usage(ctx, r.TenantID, r.ID)
	if err != nil {
		return View{}, err
	}
	v.ExperimentsCount = n
	if sc == nil {
		wh, werr := s.whs.Warehouse(ctx, r.TenantID)
		if werr != nil {
			return View{}, werr
		}
		sc, _, err = s.schemas(ctx, wh, &r.Dataset)
	}
	if err == nil {
		var cols []OutputColumn
		if cols, err = Output(&r.Dataset, sc); err == nil {
			v.Columns = cols
		}
	}
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return View{}, err
		}
		v.Problem = errs.UserMessage(err)
	}
	return v, nil
}

func (s *Service) usage(ctx context.Context, tenant, id string) (int, error) {
	if s.opts.Usage == nil {
		return 0, nil
	}
	n, err := s.opts.Usage.CountExperimentsUsing(ctx, tenant, id)
	return n, errs.At("datasets.usage", err)
}

// List returns the tenant's datasets by name (without output columns: Get
// answers those).
func (s *Service) List(ctx context.Context, tenant string) ([]View, error) {
	rs, err := docstore.List[Record](ctx, s.docs, docstore.Query{Tenant: tenant, Kind: Kind, OrderBy: "name_lower"})
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(rs))
	for _, r := range rs {
		n, err := s.usage(ctx, tenant, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, View{Record: r, Columns: []OutputColumn{}, FilterSummary: Summary(r.Filters), ExperimentsCount: n})
	}
	return out, nil
}

// UpdateResult is an updated dataset and whether the change made a new
// version (it does when the generated SQL changed).
type UpdateResult struct {
	Dataset    View `json:"dataset"`
	NewVersion bool `json:"new_version"`
}

// Update replaces the dataset's model. A change that alters the generated
// SQL (tables, joins, columns, roles, filters, split) stores a new
// immutable version; a new name or description does not. ifVersion, when
// positive, must be the current version number (errs.Conflict otherwise).
func (s *Service) Update(ctx context.Context, tenant, user, id string, d Dataset, ifVersion int) (UpdateResult, error) {
	d.Name = strings.TrimSpace(d.Name)
	set, sc, err := s.prepare(ctx, tenant, &d)
	if err != nil {
		return UpdateResult{}, err
	}
	var res UpdateResult
	var out Record
	err = s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		r, ver, err := docstore.Get[Record](ctx, tx, key(tenant, id))
		if errs.Is(err, errs.NotFound) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		if ifVersion > 0 && ifVersion != r.Version {
			return errs.Fieldf(errs.Conflict, "version", "this dataset was changed meanwhile (it is at version %d): reload it and make your change again", r.Version)
		}
		cur, _, err := docstore.Get[Version](ctx, tx, versionKey(tenant, id, r.Version))
		if err != nil {
			return err
		}
		res.NewVersion = !sameSQL(cur.SQL, set)
		if err := s.rename(ctx, tx, tenant, r, d.Name); err != nil {
			return err
		}
		r.Dataset, r.NameLower, r.UpdatedAt, r.UpdatedBy = d, strings.ToLower(d.Name), s.now(), user
		if res.NewVersion {
			r.Version++
			v := Version{DatasetID: id, TenantID: tenant, Number: r.Version, Model: d, SQL: set, CreatedAt: r.UpdatedAt, CreatedBy: user}
			if _, err := docstore.Put(ctx, tx, versionKey(tenant, id, r.Version), v, docstore.MustCreate); err != nil {
				return err
			}
		}
		out = r
		_, err = docstore.Put(ctx, tx, key(tenant, id), r, docstore.IfVersion(ver))
		return err
	})
	if err != nil {
		return UpdateResult{}, errs.At("datasets.Update", err)
	}
	res.Dataset, err = s.view(ctx, out, sc)
	return res, err
}

// rename moves the name reservation when the name changes.
func (s *Service) rename(ctx context.Context, tx docstore.Tx, tenant string, r Record, name string) error {
	if strings.EqualFold(r.Name, name) {
		return nil
	}
	if err := reserveName(ctx, tx, tenant, name, r.ID); err != nil {
		return err
	}
	return tx.Delete(ctx, nameKey(tenant, r.Name), docstore.Any)
}

// sameSQL reports whether two compilations are the same SQL with the same
// typed parameters (compared in their stored form).
func sameSQL(a, b SQLSet) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// Delete removes a dataset, its versions and cached statistics. A dataset
// that an experiment uses is refused (errs.Conflict), never cascaded.
func (s *Service) Delete(ctx context.Context, tenant, id string) error {
	r, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return err
	}
	n, err := s.usage(ctx, tenant, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return errs.Userf(errs.Conflict, "the dataset %q is used by %d experiment(s): delete those experiments first", r.Name, n)
	}
	// The dataset, its name and statistics go in one transaction; its
	// versions after, in batches (a transaction holds at most
	// deleteBatch writes on Firestore), so nothing reaches a version of a
	// dataset that is gone.
	err = s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		if err := tx.Delete(ctx, docstore.Key{Tenant: tenant, Kind: statsKind, ID: id}, docstore.Any); err != nil {
			return err
		}
		if err := tx.Delete(ctx, nameKey(tenant, r.Name), docstore.Any); err != nil {
			return err
		}
		return tx.Delete(ctx, key(tenant, id), docstore.Any)
	})
	if err != nil {
		return errs.At("datasets.Delete", err)
	}
	for lo := 1; lo <= r.Version; lo += deleteBatch {
		err := s.docs.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
			for v := lo; v < lo+deleteBatch && v <= r.Version; v++ {
				if err := tx.Delete(ctx, versionKey(tenant, id, v), docstore.Any); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return errs.At("datasets.Delete versions", err)
		}
	}
	s.opts.Logger.InfoContext(ctx, "datasets: deleted", "tenant", tenant, "id", id)
	return nil
}

// deleteBatch is how many versions one transaction deletes (Firestore
// allows 500 writes per transaction).
const deleteBatch = 400

// Versions lists the dataset's versions, newest first.
func (s *Service) Versions(ctx context.Context, tenant, id string) ([]Version, error) {
	r, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, r.Version)
	for n := r.Version; n >= 1; n-- {
		v, _, err := docstore.Get[Version](ctx, s.docs, versionKey(tenant, id, n))
		if err != nil {
			return nil, errs.At("datasets.Versions", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Version returns one version (0: the current one). Experiments pin a
// version by its number and read its model and SQL here.
func (s *Service) Version(ctx context.Context, tenant, id string, n int) (Version, error) {
	r, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return Version{}, err
	}
	if n == 0 {
		n = r.Version
	}
	if n < 0 || n > r.Version {
		return Version{}, errs.Fieldf(errs.NotFound, "version", "the dataset %q has versions 1 to %d", r.Name, r.Version)
	}
	v, _, err := docstore.Get[Version](ctx, s.docs, versionKey(tenant, id, n))
	return v, errs.At("datasets.Version", err)
}
