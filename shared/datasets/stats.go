package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"math/big"
	"strconv"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

const tableStatsKind = "table_stats"

// ValueCount is a value and its number of rows.
type ValueCount struct {
	Value *string `json:"value"` // nil: NULL
	Count int64   `json:"count"`
}

// ColumnStats are the statistics of one column over all rows.
type ColumnStats struct {
	OutputColumn
	Count      int64        `json:"count"` // non-NULL values
	Nulls      int64        `json:"nulls"`
	NullShare  float64      `json:"null_share"`
	Distinct   int64        `json:"distinct"`
	Uniqueness float64      `json:"uniqueness"` // distinct / non-NULL
	Min        any          `json:"min,omitempty"`
	Max        any          `json:"max,omitempty"`
	Mean       *float64     `json:"mean,omitempty"`
	P25        *float64     `json:"p25,omitempty"`
	P50        *float64     `json:"p50,omitempty"`
	P75        *float64     `json:"p75,omitempty"`
	Top        []ValueCount `json:"top,omitempty"`
}

// Stats are the statistics of every column of a dataset's result (or of a
// table), computed over all rows and cached until the dataset changes
// version or one of its tables changes.
type Stats struct {
	Rows       int64                 `json:"rows"`
	Columns    []ColumnStats         `json:"columns"`
	Version    int                   `json:"version,omitempty"`
	Tables     map[string]TableState `json:"tables"`
	ComputedAt time.Time             `json:"computed_at"`
	// Cached reports that the answer came from the cache.
	Cached bool `json:"cached"`
}

// analysisCtx is what an analysis of a dataset needs.
type analysisCtx struct {
	rec     Record
	wh      *warehouse.Warehouse
	schemas Schemas
	mod     map[string]TableState
}

// TableState identifies the contents of a table for the statistics cache:
// its modification time and row count (tables made outside the platform
// have no modification time).
type TableState struct {
	Modified time.Time `json:"modified"`
	Rows     int64     `json:"rows"`
}

// analysis reads a dataset and resolves it against the warehouse.
func (s *Service) analysis(ctx context.Context, tenant, id string) (*analysisCtx, error) {
	r, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return s.analysisOf(ctx, r)
}

func (s *Service) analysisOf(ctx context.Context, r Record) (*analysisCtx, error) {
	wh, err := s.whs.Warehouse(ctx, r.TenantID)
	if err != nil {
		return nil, err
	}
	sc, mod, err := s.schemas(ctx, wh, &r.Dataset)
	if err != nil {
		return nil, err
	}
	return &analysisCtx{rec: r, wh: wh, schemas: sc, mod: mod}, nil
}

// query runs q with a deadline and returns its rows by column name.
func (a *analysisCtx) query(ctx context.Context, timeout time.Duration, q Query) ([]map[string]any, error) {
	if q.SQL == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := a.wh.Query(ctx, q.SQL, q.Params, 0)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(res.Rows))
	for i, row := range res.Rows {
		m := make(map[string]any, len(row))
		for j, c := range res.Columns {
			m[c.Name] = row[j]
		}
		out[i] = m
	}
	return out, nil
}

// Stats returns the statistics of the dataset's current version, from the
// cache unless refresh or a table changed.
func (s *Service) Stats(ctx context.Context, tenant, id string, refresh bool) (Stats, error) {
	a, err := s.analysis(ctx, tenant, id)
	if err != nil {
		return Stats{}, err
	}
	k := docstore.Key{Tenant: tenant, Kind: statsKind, ID: id}
	return s.cachedStats(ctx, k, a, refresh)
}

// TableStats returns the statistics of every column of a warehouse table,
// cached by the table's modification time.
func (s *Service) TableStats(ctx context.Context, tenant string, t TableRef, refresh bool) (Stats, error) {
	d := Dataset{Name: t.Table, Primary: t, Split: Split{Kind: SplitTimeHoldout, HoldoutDays: 1}}
	if err := d.Validate(); err != nil {
		return Stats{}, err
	}
	a, err := s.analysisOf(ctx, Record{TenantID: tenant, Dataset: d})
	if err != nil {
		return Stats{}, err
	}
	h := sha256.Sum256([]byte(t.Dataset + "\x00" + t.Table))
	k := docstore.Key{Tenant: tenant, Kind: tableStatsKind, ID: hex.EncodeToString(h[:16])}
	return s.cachedStats(ctx, k, a, refresh)
}

func (s *Service) cachedStats(ctx context.Context, k docstore.Key, a *analysisCtx, refresh bool) (Stats, error) {
	if !refresh {
		st, _, err := docstore.Get[Stats](ctx, s.docs, k)
		if err == nil && st.Version == a.rec.Version && sameTables(st.Tables, a.mod) {
			st.Cached = true
			return st, nil
		}
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Stats{}, err
		}
	}
	st, err := s.computeStats(ctx, a)
	if err != nil {
		return Stats{}, errs.At("datasets.Stats", err)
	}
	if _, err := docstore.Put(ctx, s.docs, k, st, docstore.Any); err != nil {
		s.opts.Logger.WarnContext(ctx, "datasets: statistics not cached", "key", k.String(), "err", err)
	}
	return st, nil
}

func sameTables(a, b map[string]TableState) bool {
	return maps.EqualFunc(a, b, func(x, y TableState) bool { return x.Rows == y.Rows && x.Modified.Equal(y.Modified) })
}

// computeStats runs the statistics and top-values queries.
func (s *Service) computeStats(ctx context.Context, a *analysisCtx) (Stats, error) {
	d, dia := &a.rec.Dataset, a.wh.Dialect()
	cols, err := Output(d, a.schemas)
	if err != nil {
		return Stats{}, err
	}
	q, err := CompileStats(d, a.schemas, dia)
	if err != nil {
		return Stats{}, err
	}
	rows, err := a.query(ctx, s.opts.QueryTimeout, q)
	if err != nil {
		return Stats{}, err
	}
	if len(rows) != 1 {
		return Stats{}, errs.E(errs.Unknown, "datasets: statistics query returned %d rows", len(rows))
	}
	tq, err := CompileTopValues(d, a.schemas, dia, s.opts.TopValues)
	if err != nil {
		return Stats{}, err
	}
	top, err := a.query(ctx, s.opts.QueryTimeout, tq)
	if err != nil {
		return Stats{}, err
	}
	st := buildStats(cols, rows[0], top)
	st.Version, st.Tables, st.ComputedAt = a.rec.Version, a.mod, s.now()
	return st, nil
}

// buildStats shapes the statistics row and the top-values rows.
func buildStats(cols []OutputColumn, row map[string]any, top []map[string]any) Stats {
	st := Stats{Columns: make([]ColumnStats, len(cols))}
	st.Rows, _ = toInt(row[ReservedPrefix+StatRows])
	for i, c := range cols {
		cs := ColumnStats{OutputColumn: c}
		for _, name := range statsFor(c.Type) {
			v := row[StatsColumn(name, i)]
			switch name {
			case StatCount:
				cs.Count, _ = toInt(v)
			case StatDistinct:
				cs.Distinct, _ = toInt(v)
			case StatMin:
				cs.Min = jsonValue(v)
			case StatMax:
				cs.Max = jsonValue(v)
			case StatMean:
				cs.Mean = toFloatPtr(v)
			case StatP25:
				cs.P25 = toFloatPtr(v)
			case StatP50:
				cs.P50 = toFloatPtr(v)
			case StatP75:
				cs.P75 = toFloatPtr(v)
			}
		}
		cs.Nulls = st.Rows - cs.Count
		cs.NullShare = share(cs.Nulls, st.Rows)
		cs.Uniqueness = share(cs.Distinct, cs.Count)
		st.Columns[i] = cs
	}
	for _, r := range top {
		i, ok := toInt(r[TopColumn])
		if !ok || i < 0 || int(i) >= len(cols) {
			continue
		}
		n, _ := toInt(r[TopCount])
		vc := ValueCount{Count: n}
		if v, ok := r[TopValue].(string); ok {
			vc.Value = &v
		}
		st.Columns[i].Top = append(st.Columns[i].Top, vc)
	}
	return st
}

// toInt reads an integer cell (drivers answer int64, some float64 or a
// decimal string for large counts).
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	case string:
		if n, ok := new(big.Int).SetString(x, 10); ok && n.IsInt64() {
			return n.Int64(), true
		}
	}
	return 0, false
}

// toFloatPtr reads a number cell: float64, int64, or an exact decimal
// string (NUMERIC cells; statistics and revenue shares are shown, not
// summed again, so a float64 is exact enough).
func toFloatPtr(v any) *float64 {
	switch x := v.(type) {
	case float64:
		return &x
	case int64:
		f := float64(x)
		return &f
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return &f
		}
	}
	return nil
}

// jsonValue is a cell as the API answers it (bytes are not shown).
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return nil
	case time.Time:
		return x.UTC()
	default:
		return x
	}
}
