package bigquerywh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Load implements warehouse.Driver (see the package doc).
// The request passed warehouse.ValidateLoad (the Warehouse checks it).
func (d *Driver) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	for _, s := range req.Sources {
		if !isGS(s) {
			return warehouse.LoadResult{}, errs.E(errs.Unsupported, "bigquerywh: source %q: only gs:// sources can be loaded into BigQuery", s)
		}
	}
	var format bigquery.DataFormat
	switch req.Format {
	case warehouse.Parquet:
		format = bigquery.Parquet
	case warehouse.CSV:
		format = bigquery.CSV
	case warehouse.JSONL:
		format = bigquery.JSON
	default:
		return warehouse.LoadResult{}, errs.E(errs.Unsupported, "bigquerywh: load format %q", req.Format)
	}
	var schema bigquery.Schema
	if len(req.Schema) > 0 {
		var err error
		if schema, err = ToBigQuery(req.Schema); err != nil {
			return warehouse.LoadResult{}, err
		}
	}
	mode := req.Mode
	if mode == "" {
		mode = warehouse.Append
	}
	switch mode {
	case warehouse.Append, warehouse.Truncate:
		return d.loadJob(ctx, req, req.Table, format, schema, mode)
	case warehouse.Merge:
		return d.merge(ctx, req, format, schema)
	case warehouse.Replace:
		return d.replace(ctx, req, format, schema)
	}
	// warehouse.ValidateLoad refused any other mode.
	return warehouse.LoadResult{}, fmt.Errorf("bigquerywh: unknown load mode %q", req.Mode)
}

// loadJob runs one load job into table and waits for it.
func (d *Driver) loadJob(ctx context.Context, req warehouse.LoadRequest, table string, format bigquery.DataFormat, schema bigquery.Schema, mode warehouse.Mode) (warehouse.LoadResult, error) {
	ref := bigquery.NewGCSReference(req.Sources...)
	ref.SourceFormat = format
	if format == bigquery.CSV {
		ref.SkipLeadingRows = 1
		ref.AllowQuotedNewlines = true
	}
	if format != bigquery.Parquet {
		ref.Schema = schema // CSV and JSON need it when the table is created
	}
	l := d.c.Dataset(req.Dataset).Table(table).LoaderFrom(ref)
	l.WriteDisposition = bigquery.WriteAppend
	if mode == warehouse.Truncate {
		l.WriteDisposition = bigquery.WriteTruncate
	}
	l.CreateDisposition = bigquery.CreateNever
	if schema != nil {
		l.CreateDisposition = bigquery.CreateIfNeeded
		if format == bigquery.Parquet {
			// Parquet carries its own schema; pass ours for table creation.
			ref.Schema = schema
		}
		if table == req.Table {
			if err := d.layoutIfCreated(ctx, req, l); err != nil {
				return warehouse.LoadResult{}, err
			}
		}
	}
	if len(req.Labels) > 0 {
		l.Labels = req.Labels
	}
	l.Location = d.location
	start := time.Now()
	job, err := l.Run(ctx)
	if err != nil {
		return warehouse.LoadResult{}, mapErr(err, "bigquerywh: start load into %s.%s", req.Dataset, table)
	}
	st, err := job.Wait(ctx)
	if err == nil {
		err = st.Err()
	}
	if err != nil {
		d.log.WarnContext(ctx, "load failed", "job_id", job.ID(), "dataset", req.Dataset, "table", table, "sources", len(req.Sources), "err", err)
		return warehouse.LoadResult{}, mapErr(err, "bigquerywh: load job %s into %s.%s", job.ID(), req.Dataset, table)
	}
	var rows int64
	if st.Statistics != nil {
		if ls, ok := st.Statistics.Details.(*bigquery.LoadStatistics); ok {
			rows = ls.OutputRows
		}
	}
	d.log.InfoContext(ctx, "load done", "job_id", job.ID(), "dataset", req.Dataset, "table", table,
		"sources", len(req.Sources), "mode", mode, "rows", rows, "labels", req.Labels, "elapsed", time.Since(start))
	return warehouse.LoadResult{RowsLoaded: rows, JobID: job.ID()}, nil
}

// layoutIfCreated gives a load that may create the request's table the
// request's layout (time partitioning by day, clustering). A table that
// exists keeps its own: BigQuery refuses a load whose partitioning differs
// from the table's, so the layout is asked for only when the table is not
// there yet.
func (d *Driver) layoutIfCreated(ctx context.Context, req warehouse.LoadRequest, l *bigquery.Loader) error {
	if req.Layout.IsZero() {
		return nil
	}
	_, err := d.DescribeTable(ctx, req.Dataset, req.Table)
	switch {
	case err == nil:
		return nil
	case kind(err) != errs.NotFound:
		return err
	}
	l.TimePartitioning, l.Clustering = layoutOf(req.Layout)
	return nil
}

// layoutOf is a layout as the BigQuery client spells it (nil for what it
// does not ask for).
func layoutOf(lay warehouse.Layout) (*bigquery.TimePartitioning, *bigquery.Clustering) {
	var tp *bigquery.TimePartitioning
	var cl *bigquery.Clustering
	if lay.PartitionBy != "" {
		tp = &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: lay.PartitionBy}
	}
	if len(lay.ClusterBy) > 0 {
		cl = &bigquery.Clustering{Fields: append([]string(nil), lay.ClusterBy...)}
	}
	return tp, cl
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// merge loads into a temporary table, MERGEs it into the target on the merge
// keys and drops the temporary table.
func (d *Driver) merge(ctx context.Context, req warehouse.LoadRequest, format bigquery.DataFormat, schema bigquery.Schema) (warehouse.LoadResult, error) {
	target, err := d.DescribeTable(ctx, req.Dataset, req.Table)
	if kind(err) == errs.NotFound && schema != nil {
		if err = d.createTable(ctx, req.Dataset, req.Table, req.Schema, req.Layout); err == nil || kind(err) == errs.Conflict {
			target, err = d.DescribeTable(ctx, req.Dataset, req.Table)
		}
	}
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	cols := target.Schema.Names()
	for _, k := range req.MergeKeys {
		if _, ok := target.Schema.Lookup(k); !ok {
			return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: merge key %q is not a column of %s.%s", k, req.Dataset, req.Table)
		}
	}
	tmpName, res, drop, err := d.loadTemp(ctx, req, format, target.Schema)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	defer drop()
	stmt := MergeSQL(req.Dataset, req.Table, tmpName, cols, req.MergeKeys)
	if err := d.runScript(ctx, stmt, nil, req.Labels, "merge into "+req.Dataset+"."+req.Table); err != nil {
		return warehouse.LoadResult{}, err
	}
	return res, nil
}

// loadTemp creates a temporary table `_load_<stamp>_<hex>` in the request's
// dataset with the columns of cols, all nullable, expiring after a day, and
// loads the request's sources into it. drop deletes the table (best effort,
// even after ctx is done); the caller must call it when err is nil, and
// loadTemp has called it when err is not.
func (d *Driver) loadTemp(ctx context.Context, req warehouse.LoadRequest, format bigquery.DataFormat, cols warehouse.Schema) (tmpName string, res warehouse.LoadResult, drop func(), err error) {
	tmpName = "_load_" + stamp() + "_" + randHex(4)
	tmpSchema := make(warehouse.Schema, len(cols))
	copy(tmpSchema, cols)
	for i := range tmpSchema {
		tmpSchema[i].Nullable = true
	}
	bs, err := ToBigQuery(tmpSchema)
	if err != nil {
		return "", warehouse.LoadResult{}, nil, err
	}
	tmp := d.c.Dataset(req.Dataset).Table(tmpName)
	if err := tmp.Create(ctx, &bigquery.TableMetadata{Schema: bs, ExpirationTime: time.Now().Add(24 * time.Hour)}); err != nil {
		return "", warehouse.LoadResult{}, nil, mapErr(err, "bigquerywh: create temporary table %s.%s", req.Dataset, tmpName)
	}
	drop = func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := tmp.Delete(dctx); err != nil {
			d.log.WarnContext(ctx, "drop temporary table failed", "dataset", req.Dataset, "table", tmpName, "err", err)
		}
	}
	res, err = d.loadJob(ctx, req, tmpName, format, bs, warehouse.Truncate)
	if err != nil {
		drop()
		return "", warehouse.LoadResult{}, nil, err
	}
	return tmpName, res, drop, nil
}

// runScript runs one standard-SQL query job (a statement or a script) with
// named parameters and the given job labels, and waits for it.
func (d *Driver) runScript(ctx context.Context, sql string, params []bigquery.QueryParameter, labels map[string]string, what string) error {
	q := d.c.Query(sql)
	q.Location = d.location
	q.Parameters = params
	if len(labels) > 0 {
		q.Labels = labels
	}
	job, err := q.Run(ctx)
	if err != nil {
		return mapErr(err, "bigquerywh: start %s", what)
	}
	st, err := job.Wait(ctx)
	if err == nil {
		err = st.Err()
	}
	if err != nil {
		return mapErr(err, "bigquerywh: %s (job %s)", what, job.ID())
	}
	return nil
}

// replace loads the sources into a temporary table, then deletes the target
// rows matching req.ReplaceWhere and inserts the temporary table's rows in
// one transaction (ReplaceSQL), and drops the temporary table. A missing
// target is created from req.Schema only after the sources have loaded, so a
// failed load leaves no table behind.
func (d *Driver) replace(ctx context.Context, req warehouse.LoadRequest, format bigquery.DataFormat, schema bigquery.Schema) (warehouse.LoadResult, error) {
	var cols warehouse.Schema
	create := false
	target, err := d.DescribeTable(ctx, req.Dataset, req.Table)
	switch {
	case err == nil:
		cols = target.Schema
	case kind(err) == errs.NotFound && schema != nil:
		cols, create = req.Schema, true
	default:
		return warehouse.LoadResult{}, err
	}
	conds, err := warehouse.ResolveReplaceWhere(req.ReplaceWhere, cols)
	if err != nil {
		return warehouse.LoadResult{}, errs.At("bigquerywh.replace", err)
	}
	params := make([]bigquery.QueryParameter, len(conds))
	condCols := make([]string, len(conds))
	for i, c := range conds {
		params[i] = bigquery.QueryParameter{Name: "p" + strconv.Itoa(i), Value: paramValue(c.Value)} // checked by ResolveReplaceWhere
		condCols[i] = c.Name
	}
	tmpName, res, drop, err := d.loadTemp(ctx, req, format, cols)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	defer drop()
	if create {
		if err := d.createTable(ctx, req.Dataset, req.Table, req.Schema, req.Layout); err != nil && kind(err) != errs.Conflict {
			return warehouse.LoadResult{}, err
		}
	}
	stmt := ReplaceSQL(req.Dataset, req.Table, tmpName, cols.Names(), condCols)
	if err := d.runScript(ctx, stmt, params, req.Labels, "replace into "+req.Dataset+"."+req.Table); err != nil {
		return warehouse.LoadResult{}, err
	}
	return res, nil
}

// ReplaceSQL is the transaction script that deletes the rows of dataset.dst
// where column whereCols[i] equals the parameter @p<i> (for every i) and
// inserts the columns cols of every row of dataset.src:
//
//	BEGIN TRANSACTION;
//	DELETE FROM `ds`.`dst` WHERE `c0` = @p0 AND `c1` = @p1;
//	INSERT INTO `ds`.`dst` (`a`, `b`) SELECT `a`, `b` FROM `ds`.`src`;
//	COMMIT TRANSACTION;
//
// A failing statement fails the script, and BigQuery rolls the transaction
// back.
func ReplaceSQL(dataset, dst, src string, cols, whereCols []string) string {
	q := warehouse.QuoteIdentBigQuery
	where := make([]string, len(whereCols))
	for i, c := range whereCols {
		where[i] = q(c) + " = @p" + strconv.Itoa(i)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = q(c)
	}
	target := warehouse.QuoteTable(warehouse.BigQuery, dataset, dst)
	list := strings.Join(names, ", ")
	return "BEGIN TRANSACTION;\n" +
		"DELETE FROM " + target + " WHERE " + strings.Join(where, " AND ") + ";\n" +
		"INSERT INTO " + target + " (" + list + ") SELECT " + list + " FROM " + warehouse.QuoteTable(warehouse.BigQuery, dataset, src) + ";\n" +
		"COMMIT TRANSACTION;"
}

// MergeSQL is the MERGE statement that upserts the rows of dataset.src into
// dataset.dst on keys, replacing every column of matched rows.
func MergeSQL(dataset, dst, src string, cols, keys []string) string {
	q := warehouse.QuoteIdentBigQuery
	var on, set, names, vals []string
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[strings.ToLower(k)] = true
		on = append(on, "T."+q(k)+" = S."+q(k))
	}
	for _, c := range cols {
		names = append(names, q(c))
		vals = append(vals, "S."+q(c))
		if !isKey[strings.ToLower(c)] {
			set = append(set, q(c)+" = S."+q(c))
		}
	}
	var b strings.Builder
	b.WriteString("MERGE " + warehouse.QuoteTable(warehouse.BigQuery, dataset, dst) + " AS T\n")
	b.WriteString("USING " + warehouse.QuoteTable(warehouse.BigQuery, dataset, src) + " AS S\n")
	b.WriteString("ON " + strings.Join(on, " AND ") + "\n")
	if len(set) > 0 {
		b.WriteString("WHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", ") + "\n")
	}
	b.WriteString("WHEN NOT MATCHED THEN INSERT (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")")
	return b.String()
}
