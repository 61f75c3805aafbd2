package datasets

import (
	"context"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// SampleRows is how many rows of each table the join suggestions read
// for the value-overlap score.
const SampleRows = 1000

// JoinsBetween scores every column pair of two warehouse tables of the
// tenant (SuggestJoins), with samples of their values.
func (s *Service) JoinsBetween(ctx context.Context, tenant string, left, right TableRef) ([]JoinSuggestion, error) {
	wh, err := s.whs.Warehouse(ctx, tenant)
	if err != nil {
		return nil, err
	}
	l, err := sampleTable(ctx, wh, left, "left")
	if err != nil {
		return nil, err
	}
	r, err := sampleTable(ctx, wh, right, "right")
	if err != nil {
		return nil, err
	}
	out := SuggestJoins(l, r)
	if out == nil {
		out = []JoinSuggestion{}
	}
	return out, nil
}

// sampleTable reads a table's schema and the first SampleRows values of
// each column as strings; field names the request field for errors.
func sampleTable(ctx context.Context, wh *warehouse.Warehouse, t TableRef, field string) (TableColumns, error) {
	if err := checkTableRef(t, field); err != nil {
		return TableColumns{}, err
	}
	tb, err := wh.DescribeTable(ctx, t.Dataset, t.Table)
	if errs.Is(err, errs.NotFound) {
		return TableColumns{}, errs.WrapField(errs.Invalid, err, field, "there is no table %q in dataset %q", t.Table, t.Dataset)
	}
	if err != nil {
		return TableColumns{}, err
	}
	res, err := wh.Preview(ctx, t.Dataset, t.Table, SampleRows)
	if err != nil {
		return TableColumns{}, errs.At("datasets.sampleTable", err)
	}
	samples := map[string][]string{}
	for j, c := range res.Columns {
		for _, row := range res.Rows {
			if v := sampleString(row[j]); v != "" {
				samples[c.Name] = append(samples[c.Name], v)
			}
		}
	}
	return TableColumns{Table: t.Table, Columns: tb.Schema, Samples: samples}, nil
}

func sampleString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return ""
}

// RolesFor suggests column roles for tables of the tenant (the first is
// the primary), using their full-table statistics (TableStats, cached).
func (s *Service) RolesFor(ctx context.Context, tenant string, tables []TableRef) ([]RoleSuggestion, error) {
	if len(tables) == 0 || len(tables) > s.opts.Limits.Tables {
		return nil, errs.Fieldf(errs.Invalid, "tables", "name 1 to %d tables", s.opts.Limits.Tables)
	}
	in := make([]RoleInput, 0, len(tables))
	for i, t := range tables {
		st, err := s.TableStats(ctx, tenant, t, false)
		if err != nil {
			return nil, errs.At("datasets.RolesFor", err)
		}
		ri := RoleInput{Table: t.Table, Primary: i == 0, Stats: map[string]Cardinality{}}
		for _, c := range st.Columns {
			ri.Columns = append(ri.Columns, warehouse.Column{Name: c.Name, Type: c.Type})
			ri.Stats[c.Name] = Cardinality{Rows: st.Rows, Distinct: c.Distinct}
		}
		in = append(in, ri)
	}
	out := SuggestRoles(in)
	if out == nil {
		out = []RoleSuggestion{}
	}
	return out, nil
}
