package driver

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/colname"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// Describe builds a TableMeta from columns with OriginalName, SourceType,
// Type, Confidence, Warning, Nullable and PrimaryKey set: it sanitises the
// names, sets Temporal and NameChanged, and fills Recommended. pk lists the
// key columns in key order. Drivers call it.
func Describe(schema, table string, cols []sources.ColumnMeta, pk []string) sources.TableMeta {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.OriginalName
	}
	san, _ := colname.SanitizeNames(names)
	for i := range cols {
		cols[i].Name = san[i]
		cols[i].NameChanged = san[i] != cols[i].OriginalName
		cols[i].Temporal = IsTemporal(cols[i].Type)
		if cols[i].Samples == nil {
			cols[i].Samples = []string{}
		}
	}
	ts, why := RecommendTimestamp(cols)
	return sources.TableMeta{Schema: schema, Table: table, Columns: cols,
		Recommended: sources.Recommendation{TimestampColumn: ts, TimestampReason: why, PrimaryKey: pk}}
}

// DescribeColumns marks the primary key pk among a driver's columns and
// completes each column's meta as Describe does (warehouse name, temporal
// flag), in place; meta returns one column's meta.
func DescribeColumns[C any](schema, table string, cols []C, meta func(*C) *sources.ColumnMeta, pk []string) {
	metas := make([]sources.ColumnMeta, len(cols))
	for i := range cols {
		m := meta(&cols[i])
		if slices.Contains(pk, m.OriginalName) {
			m.PrimaryKey = true
		}
		metas[i] = *m
	}
	desc := Describe(schema, table, metas, pk)
	for i := range cols {
		*meta(&cols[i]) = desc.Columns[i]
	}
}

// CollectSamples reads it to the end into the columns' Samples of meta
// (formatted with sources.FormatValue) and closes it.
func CollectSamples(meta *sources.TableMeta, it sources.RowIterator) error {
	for it.Next() {
		for i, v := range it.Values() {
			meta.Columns[i].Samples = append(meta.Columns[i].Samples, sources.FormatValue(v))
		}
	}
	err := it.Err()
	_ = it.Close()
	return err
}

// PlanRead plans an extract over a driver's columns (NewPlan; meta
// returns one column's meta) and returns the columns the query reads, in
// order.
func PlanRead[C any](driver string, all []C, meta func(*C) *sources.ColumnMeta, pk []string, req sources.ExtractRequest) ([]C, Plan, error) {
	metas := make([]sources.ColumnMeta, len(all))
	for i := range all {
		metas[i] = *meta(&all[i])
	}
	idx, plan, err := NewPlan(driver, metas, pk, req)
	if err != nil {
		return nil, Plan{}, err
	}
	read := make([]C, len(idx))
	for i, j := range idx {
		read[i] = all[j]
	}
	return read, plan, nil
}

// ExtractColumns turns described columns into extract columns.
func ExtractColumns(cols []sources.ColumnMeta) []sources.ExtractColumn {
	out := make([]sources.ExtractColumn, len(cols))
	for i, c := range cols {
		out[i] = sources.ExtractColumn{Name: c.Name, OriginalName: c.OriginalName, SourceType: c.SourceType, Type: c.Type}
	}
	return out
}

// Plan is what a driver resolved from an ExtractRequest: which columns of
// the read rows are the visible ones, the timestamp and the key.
type Plan struct {
	// Columns are the visible columns: the first len(Columns) values of
	// each raw row.
	Columns []sources.ExtractColumn
	// TSIndex is the index of the timestamp column in the raw row (-1
	// without TimestampColumn).
	TSIndex int
	// KeyIndexes are the indexes of the primary key columns in the raw row.
	KeyIndexes []int
	KeyColumns []string
	// Since and SeenAtSince as in ExtractRequest.
	Since       any
	SeenAtSince []string
	Limit       int64
}

// RawRows is a driver's stream of raw rows: Scan decodes the current row
// into typed values (see the package doc), one per raw column.
type RawRows interface {
	Next() bool
	Scan(dst []any) error
	Err() error
	Close() error
}

// NewIterator builds the RowIterator drivers return: it keeps the
// watermark and boundary keys, skips rows already seen at Since, applies
// the limit and maps errors with mapErr (which must keep secrets out).
// width is the number of raw columns.
func NewIterator(ctx context.Context, p Plan, width int, rows RawRows, mapErr func(error) error) sources.RowIterator {
	it := &iter{ctx: ctx, p: p, rows: rows, mapErr: mapErr, raw: make([]any, width)}
	if len(p.SeenAtSince) > 0 && p.Since != nil && len(p.KeyIndexes) > 0 {
		it.seen = make(map[string]bool, len(p.SeenAtSince))
		for _, k := range p.SeenAtSince {
			it.seen[k] = true
		}
	}
	return it
}

type iter struct {
	ctx    context.Context
	p      Plan
	rows   RawRows
	mapErr func(error) error
	raw    []any
	seen   map[string]bool
	n      int64
	err    error
	done   bool
	mark   any
	// bvals holds the key values of the rows at the watermark, flat
	// (len(KeyIndexes) per row); encoded on demand by BoundaryKeys.
	bvals []any
}

func (it *iter) Columns() []sources.ExtractColumn { return it.p.Columns }
func (it *iter) Values() []any                    { return it.raw[:len(it.p.Columns)] }
func (it *iter) Rows() int64                      { return it.n }
func (it *iter) Watermark() any                   { return it.mark }
func (it *iter) KeyColumns() []string             { return it.p.KeyColumns }
func (it *iter) BoundaryKeys() []string {
	k := len(it.p.KeyIndexes)
	if k == 0 {
		return nil
	}
	out := make([]string, 0, len(it.bvals)/k)
	for i := 0; i < len(it.bvals); i += k {
		out = append(out, sources.EncodeKey(it.bvals[i:i+k]))
	}
	return out
}

func (it *iter) Err() error { return it.err }

func (it *iter) fail(err error) bool {
	if cerr := it.ctx.Err(); cerr != nil {
		err = errs.Wrap(errs.Transient, cerr, "sources: extract cancelled")
	} else if it.mapErr != nil {
		err = it.mapErr(err)
	}
	it.err = err
	it.done = true
	return false
}

func (it *iter) Next() bool {
	if it.done {
		return false
	}
	if it.p.Limit > 0 && it.n >= it.p.Limit {
		it.done = true
		return false
	}
	for {
		if err := it.ctx.Err(); err != nil {
			return it.fail(err)
		}
		if !it.rows.Next() {
			if err := it.rows.Err(); err != nil {
				return it.fail(err)
			}
			if err := it.ctx.Err(); err != nil {
				return it.fail(err)
			}
			it.done = true
			return false
		}
		if err := it.rows.Scan(it.raw); err != nil {
			return it.fail(err)
		}
		if it.p.TSIndex < 0 {
			break
		}
		ts := it.raw[it.p.TSIndex]
		if it.seen != nil && sources.Compare(ts, it.p.Since) == 0 && it.seen[it.key()] {
			continue
		}
		if ts != nil {
			switch c := sources.Compare(ts, it.mark); {
			case it.mark == nil || c > 0:
				it.mark = ts
				clear(it.bvals)
				it.bvals = it.bvals[:0]
				fallthrough
			case c == 0:
				for _, k := range it.p.KeyIndexes {
					it.bvals = append(it.bvals, it.raw[k])
				}
			}
		}
		break
	}
	it.n++
	return true
}

func (it *iter) key() string {
	vals := make([]any, len(it.p.KeyIndexes))
	for i, k := range it.p.KeyIndexes {
		vals[i] = it.raw[k]
	}
	return sources.EncodeKey(vals)
}

func (it *iter) Close() error {
	it.done = true
	err := it.rows.Close()
	if err != nil && !errors.Is(err, context.Canceled) && it.mapErr != nil {
		return it.mapErr(err)
	}
	return nil
}

// NewPlan resolves an extract request against a table's columns (all, in
// table order) and primary key. It returns the indexes into all of the
// columns to select, in select order: the requested columns (all of them
// when req.Columns is empty), then the timestamp and key columns the
// request needs but did not ask for; and the Plan over that raw row. The
// driver name prefixes errors ("postgres: column ...").
func NewPlan(driver string, all []sources.ColumnMeta, pk []string, req sources.ExtractRequest) ([]int, Plan, error) {
	byName := make(map[string]int, len(all))
	for i, c := range all {
		byName[c.OriginalName] = i
	}
	var read []int
	if len(req.Columns) == 0 {
		for i := range all {
			read = append(read, i)
		}
	} else {
		for _, n := range req.Columns {
			i, ok := byName[n]
			if !ok {
				return nil, Plan{}, errs.E(errs.Invalid, "%s: column %q is not a column of %s.%s", driver, n, req.Schema, req.Table)
			}
			read = append(read, i)
		}
	}
	visible := len(read)
	indexOf := func(name string) int {
		for i, j := range read {
			if all[j].OriginalName == name {
				return i
			}
		}
		read = append(read, byName[name])
		return len(read) - 1
	}
	plan := Plan{TSIndex: -1, Since: req.Since, SeenAtSince: req.SeenAtSince, Limit: req.Limit}
	if req.TimestampColumn != "" {
		if _, ok := byName[req.TimestampColumn]; !ok {
			return nil, Plan{}, errs.E(errs.Invalid, "%s: timestamp column %q is not a column of %s.%s", driver, req.TimestampColumn, req.Schema, req.Table)
		}
		plan.TSIndex = indexOf(req.TimestampColumn)
		plan.KeyColumns = pk
		for _, k := range pk {
			plan.KeyIndexes = append(plan.KeyIndexes, indexOf(k))
		}
	} // Since without a TimestampColumn: sources.ValidateExtract refuses it.
	if req.Range != nil {
		if _, ok := byName[req.Range.Column]; !ok {
			return nil, Plan{}, errs.E(errs.Invalid, "%s: range column %q is not a column of %s.%s", driver, req.Range.Column, req.Schema, req.Table)
		}
	}
	metas := make([]sources.ColumnMeta, visible)
	for i := range metas {
		metas[i] = all[read[i]]
	}
	plan.Columns = ExtractColumns(metas)
	return read, plan, nil
}

// SelectQuery builds the extract query of req for dialect d: SELECT the
// given select expressions (already quoted) FROM the table, with
// "ts >= ?" when req.Since is set and "col >= ? AND col < ?" for the
// bounds of req.Range, ORDER BY the timestamp column, and LIMIT when no
// boundary rows must be skipped first. Since must be a time.Time (bound
// in UTC), int64 or string. placeholder is "?" (every parameter) or "$1"
// (numbered: $1, $2, ...).
func SelectQuery(d sources.Dialect, driver string, req sources.ExtractRequest, selects []string, placeholder string) (string, []any, error) {
	qt, err := QuoteTable(d, req.Schema, req.Table)
	if err != nil {
		return "", nil, err
	}
	var sb strings.Builder
	sb.WriteString("SELECT " + strings.Join(selects, ", ") + " FROM " + qt)
	var where []string
	var args []any
	param := func(col, op string, v any) error {
		q, err := QuoteIdent(d, col)
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case time.Time:
			v = x.UTC()
		case int64, string:
		default:
			return errs.E(errs.Invalid, "%s: a bound of %q is a %T (want time.Time, int64 or string)", driver, col, v)
		}
		args = append(args, v)
		ph := placeholder
		if strings.HasPrefix(placeholder, "$") {
			ph = "$" + strconv.Itoa(len(args))
		}
		where = append(where, q+" "+op+" "+ph)
		return nil
	}
	if req.TimestampColumn != "" && req.Since != nil {
		if err := param(req.TimestampColumn, ">=", req.Since); err != nil {
			return "", nil, err
		}
	}
	if r := req.Range; r != nil {
		for _, b := range []struct {
			op string
			v  any
		}{{">=", r.From}, {"<", r.To}} {
			if b.v == nil {
				continue
			}
			if err := param(r.Column, b.op, b.v); err != nil {
				return "", nil, err
			}
		}
	}
	if len(where) > 0 {
		sb.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if req.TimestampColumn != "" {
		ts, err := QuoteIdent(d, req.TimestampColumn)
		if err != nil {
			return "", nil, err
		}
		sb.WriteString(" ORDER BY " + ts)
	}
	if req.Limit > 0 && len(req.SeenAtSince) == 0 {
		sb.WriteString(" LIMIT " + strconv.FormatInt(req.Limit, 10))
	}
	return sb.String(), args, nil
}
