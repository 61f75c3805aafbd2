// Package tables shows a tenant's warehouse tables to its users: the
// tables of a dataset, and one table's schema with its first rows. Datasets
// whose names start with "_" belong to the platform (the warehouse's
// metadata, "_b2brecs_meta"; BigQuery hides such datasets too): they are
// neither listed nor readable.
package tables

import (
	"context"
	"regexp"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Warehouses opens the tenants' warehouses (etl.Resources does).
type Warehouses interface {
	Warehouse(ctx context.Context, tenant string) (*warehouse.Warehouse, error)
}

// Service reads the tenants' tables.
type Service struct {
	wh Warehouses
}

// New returns the tables service.
func New(wh Warehouses) *Service { return &Service{wh: wh} }

// DefaultPreviewRows is how many rows Get shows when asked for none.
const DefaultPreviewRows = 20

// MaxPreviewRows is the most rows Get shows.
const MaxPreviewRows = warehouse.MaxPreviewRows

// View is one table with its first rows.
type View struct {
	Table   warehouse.Table `json:"table"`
	Preview Preview         `json:"preview"`
}

// Preview is the first rows of a table.
type Preview struct {
	Columns []warehouse.Column `json:"columns"`
	Rows    [][]any            `json:"rows"`
}

const op errs.Op = "tables"

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,299}$`)

// userDataset reports whether users may see a dataset: a valid name that
// is not internal.
func userDataset(name string) bool {
	return identRE.MatchString(name) && !strings.HasPrefix(name, "_")
}

// List lists the tables of a dataset of the tenant (etl.DefaultDataset
// when dataset is empty). An internal or missing dataset has no tables; a
// name that cannot be a dataset is Invalid about the field "dataset".
func (s *Service) List(ctx context.Context, tenant, dataset string) ([]warehouse.Table, error) {
	if dataset == "" {
		dataset = etl.DefaultDataset
	}
	if !identRE.MatchString(dataset) {
		return nil, errs.Fieldf(errs.Invalid, "dataset", "%q is not a valid dataset name (letters, digits and _)", dataset)
	}
	if !userDataset(dataset) {
		return []warehouse.Table{}, nil
	}
	wh, err := s.wh.Warehouse(ctx, tenant)
	if err != nil {
		return nil, errs.At(op+".List", err)
	}
	tables, err := wh.ListTables(ctx, dataset)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, errs.At(op+".List", err)
	}
	if tables == nil {
		tables = []warehouse.Table{}
	}
	return tables, nil
}

// Get returns a table of the tenant with its first rows (1 to
// MaxPreviewRows). A table of an internal dataset is NotFound, as a
// missing one.
func (s *Service) Get(ctx context.Context, tenant, dataset, name string, rows int) (View, error) {
	if !userDataset(dataset) || !identRE.MatchString(name) {
		return View{}, notFound(errs.E(errs.NotFound, "tables: %s.%s is not a user table name", dataset, name), dataset, name)
	}
	wh, err := s.wh.Warehouse(ctx, tenant)
	if err != nil {
		return View{}, errs.At(op+".Get", err)
	}
	t, err := wh.DescribeTable(ctx, dataset, name)
	if errs.Is(err, errs.NotFound) {
		return View{}, notFound(err, dataset, name)
	}
	if err != nil {
		return View{}, errs.At(op+".Get", err)
	}
	res, err := wh.Preview(ctx, dataset, name, rows)
	if err != nil {
		return View{}, errs.At(op+".Get", err)
	}
	return View{Table: t, Preview: Preview{Columns: res.Columns, Rows: res.Rows}}, nil
}

// notFound tells the user which table is missing, in the names they used,
// and why it may be.
func notFound(err error, dataset, name string) error {
	return errs.Explain(err, "there is no table %q in dataset %q: a job creates its table at its first load", name, dataset)
}
