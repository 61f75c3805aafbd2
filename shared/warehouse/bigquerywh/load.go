package bigquerywh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Load implements warehouse.Driver (see the package doc).
func (d *Driver) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	if req.Dataset == "" || req.Table == "" {
		return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: load without dataset or table")
	}
	if len(req.Sources) == 0 {
		return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: load without sources")
	}
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
	case "":
		return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: load without a format")
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
	}
	return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: unknown load mode %q", req.Mode)
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

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// merge loads into a temporary table, MERGEs it into the target on the merge
// keys and drops the temporary table.
func (d *Driver) merge(ctx context.Context, req warehouse.LoadRequest, format bigquery.DataFormat, schema bigquery.Schema) (warehouse.LoadResult, error) {
	if len(req.MergeKeys) == 0 {
		return warehouse.LoadResult{}, errs.E(errs.Invalid, "bigquerywh: merge load without merge keys")
	}
	target, err := d.DescribeTable(ctx, req.Dataset, req.Table)
	if errs.Is(err, errs.NotFound) && schema != nil {
		if err = d.CreateTable(ctx, req.Dataset, req.Table, req.Schema); err == nil || errs.Is(err, errs.Conflict) {
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
	tmpName := "_load_" + stamp() + "_" + randHex(4)
	tmpSchema := make(warehouse.Schema, len(target.Schema))
	copy(tmpSchema, target.Schema)
	for i := range tmpSchema {
		tmpSchema[i].Nullable = true
	}
	bs, err := ToBigQuery(tmpSchema)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	tmp := d.c.Dataset(req.Dataset).Table(tmpName)
	if err := tmp.Create(ctx, &bigquery.TableMetadata{Schema: bs, ExpirationTime: time.Now().Add(24 * time.Hour)}); err != nil {
		return warehouse.LoadResult{}, mapErr(err, "bigquerywh: create temporary table %s.%s", req.Dataset, tmpName)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := tmp.Delete(dctx); err != nil {
			d.log.WarnContext(ctx, "drop temporary table failed", "dataset", req.Dataset, "table", tmpName, "err", err)
		}
	}()
	res, err := d.loadJob(ctx, req, tmpName, format, bs, warehouse.Truncate)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	stmt := MergeSQL(req.Dataset, req.Table, tmpName, cols, req.MergeKeys)
	q := d.c.Query(stmt)
	q.Location = d.location
	if len(req.Labels) > 0 {
		q.Labels = req.Labels
	}
	job, err := q.Run(ctx)
	if err != nil {
		return warehouse.LoadResult{}, mapErr(err, "bigquerywh: start merge into %s.%s", req.Dataset, req.Table)
	}
	st, err := job.Wait(ctx)
	if err == nil {
		err = st.Err()
	}
	if err != nil {
		return warehouse.LoadResult{}, mapErr(err, "bigquerywh: merge job %s into %s.%s", job.ID(), req.Dataset, req.Table)
	}
	return res, nil
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
