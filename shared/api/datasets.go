package api

import (
	"context"
	"math"
	"net/http"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/datasets"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// datasetRoutes serve /api/datasets (docs/api.md, "Datasets"): viewers
// read, preview and analyse; editors create, change and delete.
func (s *server) datasetRoutes() []route {
	if s.Datasets == nil {
		return nil
	}
	const viewer, editor = tenancy.RoleViewer, tenancy.RoleEditor
	const ok, created, noContent = http.StatusOK, http.StatusCreated, http.StatusNoContent
	return []route{
		{"GET /api/datasets", viewer, ok, s.listDatasets},
		{"POST /api/datasets", editor, created, withJSON(s.createDataset)},
		{"POST /api/datasets/compile", viewer, ok, withJSON(s.compileDataset)},
		{"POST /api/datasets/preview", viewer, ok, withJSON(s.previewModel)},
		{"POST /api/datasets/quality", viewer, ok, withJSON(s.qualityModel)},
		{"POST /api/datasets/pareto", viewer, ok, withJSON(s.paretoModel)},
		{"POST /api/datasets/join-suggestions", viewer, ok, withJSON(s.joinSuggestions)},
		{"POST /api/datasets/role-suggestions", viewer, ok, withJSON(s.roleSuggestions)},
		{"GET /api/datasets/{id}", viewer, ok, s.getDataset},
		{"PUT /api/datasets/{id}", editor, ok, withJSON(s.updateDataset)},
		{"DELETE /api/datasets/{id}", editor, noContent, s.deleteDataset},
		{"GET /api/datasets/{id}/versions", viewer, ok, s.datasetVersions},
		{"GET /api/datasets/{id}/versions/{n}", viewer, ok, s.datasetVersion},
		{"GET /api/datasets/{id}/preview", viewer, ok, s.previewDataset},
		{"GET /api/datasets/{id}/stats", viewer, ok, s.datasetStats},
		{"GET /api/datasets/{id}/quality", viewer, ok, s.datasetQuality},
		{"GET /api/datasets/{id}/sql", viewer, ok, s.datasetSQL},
		{"GET /api/tables/{dataset}/{name}/stats", viewer, ok, s.tableStats},
	}
}

func (s *server) listDatasets(ctx context.Context, c *call) (any, error) {
	ds, err := s.Datasets.List(ctx, c.tenant())
	return map[string]any{"datasets": ds}, err
}

func (s *server) createDataset(ctx context.Context, c *call, d datasets.Dataset) (any, error) {
	return s.Datasets.Create(ctx, c.tenant(), c.caller.UserID, d)
}

func (s *server) getDataset(ctx context.Context, c *call) (any, error) {
	return s.Datasets.Get(ctx, c.tenant(), c.path("id"))
}

// datasetUpdate is a dataset's new model and, optionally, the version the
// change was made on (a stale one is a conflict).
type datasetUpdate struct {
	datasets.Dataset
	IfVersion int `json:"if_version,omitempty"`
}

func (s *server) updateDataset(ctx context.Context, c *call, in datasetUpdate) (any, error) {
	return s.Datasets.Update(ctx, c.tenant(), c.caller.UserID, c.path("id"), in.Dataset, in.IfVersion)
}

func (s *server) deleteDataset(ctx context.Context, c *call) (any, error) {
	return nil, s.Datasets.Delete(ctx, c.tenant(), c.path("id"))
}

func (s *server) datasetVersions(ctx context.Context, c *call) (any, error) {
	vs, err := s.Datasets.Versions(ctx, c.tenant(), c.path("id"))
	return map[string]any{"versions": vs}, err
}

func (s *server) datasetVersion(ctx context.Context, c *call) (any, error) {
	n, err := strconv.Atoi(c.path("n"))
	if err != nil || n < 1 {
		return nil, errs.Fieldf(errs.NotFound, "version", "versions are numbered 1, 2, ...: %q is not a version", c.path("n"))
	}
	return s.Datasets.Version(ctx, c.tenant(), c.path("id"), n)
}

// previewArgs reads ?seed= (any integer, default 1) and ?limit= (1 to
// datasets.MaxPreviewRows, default 50).
func previewArgs(c *call) (int64, int, error) {
	seed := int64(1)
	if v := c.query("seed"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, errs.Fieldf(errs.Invalid, "seed", "the seed must be a whole number, not %q", v)
		}
		seed = n
	}
	limit, err := queryIntIn(c.r, "limit", 50, 1, datasets.MaxPreviewRows)
	return seed, limit, err
}

func (s *server) previewDataset(ctx context.Context, c *call) (any, error) {
	seed, limit, err := previewArgs(c)
	if err != nil {
		return nil, err
	}
	return s.Datasets.Preview(ctx, c.tenant(), c.path("id"), seed, limit)
}

// modelRequest is an unsaved model with the arguments of the wizard's
// calls: preview (seed, limit) and Pareto curve (entity, points).
type modelRequest struct {
	Dataset datasets.Dataset `json:"dataset"`
	Seed    int64            `json:"seed,omitempty"`
	Limit   int              `json:"limit,omitempty"`
	Entity  datasets.Entity  `json:"entity,omitempty"`
	Points  int              `json:"points,omitempty"`
}

func (s *server) paretoModel(ctx context.Context, c *call, in modelRequest) (any, error) {
	if in.Points == 0 {
		in.Points = 200
	}
	return s.Datasets.ParetoOf(ctx, c.tenant(), in.Dataset, in.Entity, in.Points)
}

func (s *server) previewModel(ctx context.Context, c *call, in modelRequest) (any, error) {
	if in.Limit == 0 {
		in.Limit = 50
	}
	if in.Seed == 0 {
		in.Seed = 1
	}
	return s.Datasets.PreviewOf(ctx, c.tenant(), in.Dataset, in.Seed, in.Limit)
}

func (s *server) compileDataset(ctx context.Context, c *call, in modelRequest) (any, error) {
	return s.Datasets.CompileModel(ctx, c.tenant(), in.Dataset)
}

func (s *server) qualityModel(ctx context.Context, c *call, in modelRequest) (any, error) {
	return s.Datasets.QualityOf(ctx, c.tenant(), in.Dataset)
}

func (s *server) datasetStats(ctx context.Context, c *call) (any, error) {
	refresh, err := queryBool(c, "refresh")
	if err != nil {
		return nil, err
	}
	return s.Datasets.Stats(ctx, c.tenant(), c.path("id"), refresh)
}

func (s *server) tableStats(ctx context.Context, c *call) (any, error) {
	refresh, err := queryBool(c, "refresh")
	if err != nil {
		return nil, err
	}
	t := datasets.TableRef{Dataset: c.path("dataset"), Table: c.path("name")}
	return s.Datasets.TableStats(ctx, c.tenant(), t, refresh)
}

func (s *server) datasetQuality(ctx context.Context, c *call) (any, error) {
	return s.Datasets.Quality(ctx, c.tenant(), c.path("id"))
}

// datasetSQL answers ?dialect=bigquery|duckdb (default duckdb),
// ?version= (default the current one) and ?training=true.
func (s *server) datasetSQL(ctx context.Context, c *call) (any, error) {
	dia := warehouse.Dialect(c.query("dialect"))
	if dia == "" {
		dia = warehouse.DuckDB
	}
	version, err := queryIntIn(c.r, "version", 0, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	training, err := queryBool(c, "training")
	if err != nil {
		return nil, err
	}
	return s.Datasets.SQL(ctx, c.tenant(), c.path("id"), version, dia, training)
}

// tablePair names two tables for join suggestions.
type tablePair struct {
	Left  datasets.TableRef `json:"left"`
	Right datasets.TableRef `json:"right"`
}

func (s *server) joinSuggestions(ctx context.Context, c *call, in tablePair) (any, error) {
	js, err := s.Datasets.JoinsBetween(ctx, c.tenant(), in.Left, in.Right)
	return map[string]any{"suggestions": js}, err
}

// tableList names tables for role suggestions (the first is the primary).
type tableList struct {
	Tables []datasets.TableRef `json:"tables"`
}

func (s *server) roleSuggestions(ctx context.Context, c *call, in tableList) (any, error) {
	rs, err := s.Datasets.RolesFor(ctx, c.tenant(), in.Tables)
	return map[string]any{"suggestions": rs}, err
}

// queryBool reads a true/false query parameter (absent: false).
func queryBool(c *call, name string) (bool, error) {
	switch v := c.query(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, errs.Fieldf(errs.Invalid, name, "the query parameter %s must be true or false, not %q", name, v)
	}
}
