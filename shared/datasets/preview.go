package datasets

import (
	"context"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Preview is a seeded sample of a dataset's rows.
type Preview struct {
	Columns []OutputColumn `json:"columns"`
	Rows    [][]any        `json:"rows"`
	// Total is the number of rows of the whole result.
	Total   int64 `json:"total"`
	Seed    int64 `json:"seed"`
	Version int   `json:"version,omitempty"`
}

// Preview returns up to limit rows (1 to MaxPreviewRows) of the dataset's
// current version, sampled by seed (the same seed, the same rows; see
// CompilePreview), with the number of rows of the whole result.
func (s *Service) Preview(ctx context.Context, tenant, id string, seed int64, limit int) (Preview, error) {
	a, err := s.analysis(ctx, tenant, id)
	if err != nil {
		return Preview{}, err
	}
	return s.preview(ctx, a, seed, limit)
}

// PreviewOf previews an unsaved model (the wizard's live preview).
func (s *Service) PreviewOf(ctx context.Context, tenant string, d Dataset, seed int64, limit int) (Preview, error) {
	a, err := s.analysisOfModel(ctx, tenant, d)
	if err != nil {
		return Preview{}, err
	}
	return s.preview(ctx, a, seed, limit)
}

func (s *Service) preview(ctx context.Context, a *analysisCtx, seed int64, limit int) (Preview, error) {
	d := &a.rec.Dataset
	cols, err := Output(d, a.schemas)
	if err != nil {
		return Preview{}, err
	}
	q, err := CompilePreview(d, a.schemas, a.wh.Dialect(), seed, limit)
	if err != nil {
		return Preview{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	res, err := a.wh.Query(ctx, q.SQL, q.Params, limit)
	if err != nil {
		return Preview{}, errs.At("datasets.Preview", err)
	}
	p := Preview{Columns: cols, Rows: make([][]any, 0, len(res.Rows)), Seed: seed, Version: a.rec.Version}
	for _, row := range res.Rows {
		if len(row) != len(cols)+1 {
			return Preview{}, errs.E(errs.Unknown, "datasets: preview row has %d cells, want %d", len(row), len(cols)+1)
		}
		p.Total, _ = toInt(row[len(cols)])
		out := make([]any, len(cols))
		for i, v := range row[:len(cols)] {
			out[i] = jsonValue(v)
		}
		p.Rows = append(p.Rows, out)
	}
	return p, nil
}

// Compiled is an unsaved model's SQL, result columns and filter summary.
type Compiled struct {
	SQL           SQLSet         `json:"sql"`
	Columns       []OutputColumn `json:"output_columns"`
	FilterSummary []string       `json:"filter_summary"`
}

// CompileModel checks an unsaved model against the tenant's warehouse and
// returns its SQL (the wizard's SQL view and validation).
func (s *Service) CompileModel(ctx context.Context, tenant string, d Dataset) (Compiled, error) {
	a, err := s.analysisOfModel(ctx, tenant, d)
	if err != nil {
		return Compiled{}, err
	}
	set, err := compileAll(&a.rec.Dataset, a.schemas)
	if err != nil {
		return Compiled{}, err
	}
	cols, err := Output(&a.rec.Dataset, a.schemas)
	if err != nil {
		return Compiled{}, err
	}
	return Compiled{SQL: set, Columns: cols, FilterSummary: Summary(d.Filters)}, nil
}

// analysisOfModel validates an unsaved model and resolves it.
func (s *Service) analysisOfModel(ctx context.Context, tenant string, d Dataset) (*analysisCtx, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		d.Name = "preview"
	}
	if err := s.validate(&d); err != nil {
		return nil, err
	}
	return s.analysisOf(ctx, Record{TenantID: tenant, Dataset: d})
}

// SQL returns the SQL of a version (0: current) in a dialect, plain or
// for training.
func (s *Service) SQL(ctx context.Context, tenant, id string, version int, dia warehouse.Dialect, training bool) (Query, error) {
	v, err := s.Version(ctx, tenant, id, version)
	if err != nil {
		return Query{}, err
	}
	var q *Query
	switch {
	case dia == warehouse.BigQuery && training:
		q = v.SQL.TrainingBigQuery
	case dia == warehouse.DuckDB && training:
		q = v.SQL.TrainingDuckDB
	case dia == warehouse.BigQuery:
		q = &v.SQL.BigQuery
	case dia == warehouse.DuckDB:
		q = &v.SQL.DuckDB
	default:
		return Query{}, errs.Fieldf(errs.Invalid, "dialect", "choose the SQL dialect: bigquery or duckdb")
	}
	if q == nil {
		return Query{}, errs.Userf(errs.Invalid, "this dataset has no training query: %s", v.SQL.TrainingProblem)
	}
	return *q, nil
}

// ParetoPoint is one point of a Pareto curve.
type ParetoPoint struct {
	Rank    int64   `json:"rank"`
	Key     string  `json:"key"`
	Revenue float64 `json:"revenue"`
	// Share is the running share of the total revenue up to this entity.
	Share float64 `json:"share"`
}

// Pareto is the curve a top-share filter is chosen from (CompilePareto).
type Pareto struct {
	Entity   Entity        `json:"entity"`
	Entities int64         `json:"entities"`
	Points   []ParetoPoint `json:"points"`
}

// ParetoOf computes the Pareto curve of entity over an unsaved model with
// at most points points (2 to MaxParetoPoints).
func (s *Service) ParetoOf(ctx context.Context, tenant string, d Dataset, entity Entity, points int) (Pareto, error) {
	a, err := s.analysisOfModel(ctx, tenant, d)
	if err != nil {
		return Pareto{}, err
	}
	q, err := CompilePareto(&a.rec.Dataset, a.schemas, a.wh.Dialect(), entity, points)
	if err != nil {
		return Pareto{}, err
	}
	rows, err := a.query(ctx, s.opts.QueryTimeout, q)
	if err != nil {
		return Pareto{}, errs.At("datasets.Pareto", err)
	}
	out := Pareto{Entity: entity, Points: make([]ParetoPoint, 0, len(rows))}
	for _, r := range rows {
		rank, _ := toInt(r[ParetoRank])
		out.Entities, _ = toInt(r[ParetoCount])
		key, _ := r[ParetoKey].(string)
		pt := ParetoPoint{Rank: rank, Key: key}
		if v := toFloatPtr(r[ParetoValue]); v != nil {
			pt.Revenue = *v
		}
		if v := toFloatPtr(r[ParetoShare]); v != nil {
			pt.Share = *v
		}
		out.Points = append(out.Points, pt)
	}
	return out, nil
}
