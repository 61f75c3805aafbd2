// Package bigquerywh is the BigQuery driver of the warehouse port
// (cloud.google.com/go/bigquery, pure Go).
//
// # URLs
//
//	bigquery://PROJECT                         Application Default Credentials
//	bigquery://PROJECT?location=EU             jobs and new datasets in EU
//	bigquery://PROJECT?endpoint=http://h:9050  another endpoint (an emulator
//	                                           or test fake), no authentication
//
// The endpoint is the API root; "/bigquery/v2/" is appended when it has no
// path. A path in the URL (bigquery://PROJECT/raw_data) is ignored: every
// port call names its dataset.
//
// # Model
//
// Types are normalised to standard SQL names (INTEGER→INT64, FLOAT→FLOAT64,
// BOOLEAN→BOOL, BIGNUMERIC→NUMERIC); RECORD/STRUCT and REPEATED columns are
// described as JSON. Column.Nullable=false is mode REQUIRED.
//
// # Loads
//
// Load runs one load job from gs:// URIs (other schemes are
// errs.Unsupported): WRITE_APPEND or WRITE_TRUNCATE, CREATE_IF_NEEDED with
// req.Schema when given (else CREATE_NEVER), the job labelled with
// req.Labels; CSV skips one header row and maps columns by position. Merge
// loads into a temporary table `_load_<job>` in the same dataset (expiring
// after a day), runs a MERGE on MergeKeys that replaces matched rows and
// inserts new ones, and deletes the temporary table; if the target table does
// not exist it is created from req.Schema first.
//
// Replace loads into such a temporary table too, then runs one
// multi-statement transaction (ReplaceSQL):
//
//	BEGIN TRANSACTION;
//	DELETE FROM `ds`.`t` WHERE `col0` = @p0 AND `col1` = @p1;
//	INSERT INTO `ds`.`t` (`a`, `b`) SELECT `a`, `b` FROM `ds`.`_load_...`;
//	COMMIT TRANSACTION;
//
// with the ReplaceWhere values as typed named parameters (as Query binds
// them), labelled like the load, and deletes the temporary table. A failing
// statement rolls the transaction back; a failing load leaves the target
// untouched. A missing target is created from req.Schema after the load into
// the temporary table succeeded, so a failed load leaves no table behind.
//
// RowsLoaded is the (temporary) load job's output row count.
//
// # Queries
//
// Query runs standard SQL with @name parameters (parameterMode NAMED);
// values string, int64, float64, bool and time.Time bind as STRING, INT64,
// FLOAT64, BOOL and TIMESTAMP; nil binds as a NULL of type STRING (use
// CAST(@p AS type) for other types); an array ([]string ... []time.Time)
// binds as ARRAY<STRING> ... ARRAY<TIMESTAMP>, used as x IN UNNEST(@p). Cells: INT64 int64, FLOAT64 float64,
// NUMERIC/BIGNUMERIC exact decimal text (a string, see warehouse.Result;
// inside RECORD and REPEATED JSON an exact JSON number), BOOL bool, STRING string, BYTES
// []byte, TIMESTAMP time.Time in UTC, DATE time.Time at 00:00 UTC, DATETIME
// time.Time in UTC (its wall clock), TIME a string "15:04:05.999999", JSON
// and GEOGRAPHY strings, RECORD and REPEATED values JSON text (column type
// JSON), INTERVAL a string, NULL nil.
package bigquerywh

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "bigquery"

func init() {
	warehouse.Register(Scheme, func(ctx context.Context, u *url.URL) (warehouse.Driver, error) {
		return OpenURL(ctx, u)
	})
}

// Driver is a warehouse.Driver backed by a BigQuery project.
type Driver struct {
	c        *bigquery.Client
	project  string
	location string
	log      *slog.Logger
}

var _ warehouse.Driver = (*Driver)(nil)

// OpenURL opens the driver named by a bigquery:// URL (see the package doc).
func OpenURL(ctx context.Context, u *url.URL) (*Driver, error) {
	if u.Scheme != Scheme {
		return nil, errs.E(errs.Invalid, "bigquerywh: scheme %q is not %q", u.Scheme, Scheme)
	}
	project := u.Host
	if project == "" {
		return nil, errs.E(errs.Invalid, "bigquerywh: url names no project (bigquery://PROJECT)")
	}
	q := u.Query()
	var opts []option.ClientOption
	if ep := q.Get("endpoint"); ep != "" {
		eu, err := url.Parse(ep)
		if err != nil || eu.Scheme == "" || eu.Host == "" {
			return nil, errs.E(errs.Invalid, "bigquerywh: bad endpoint %q", ep)
		}
		if eu.Path == "" || eu.Path == "/" {
			eu.Path = "/bigquery/v2/"
		}
		opts = append(opts, option.WithEndpoint(eu.String()), option.WithoutAuthentication())
	}
	return New(ctx, project, q.Get("location"), opts...)
}

// New opens a driver for a project; location (e.g. "EU") may be empty.
func New(ctx context.Context, project, location string, opts ...option.ClientOption) (*Driver, error) {
	c, err := bigquery.NewClient(ctx, project, opts...)
	if err != nil {
		// Opening happens before there is a warehouse.Warehouse to
		// classify the error.
		return nil, errs.Wrap(errorKind(err), err, "bigquerywh: new client")
	}
	c.Location = location
	return &Driver{c: c, project: project, location: location, log: slog.Default().With("driver", "bigquery", "project", project)}, nil
}

// Client returns the underlying client.
func (d *Driver) Client() *bigquery.Client { return d.c }

// Dialect implements warehouse.Driver.
func (d *Driver) Dialect() warehouse.Dialect { return warehouse.BigQuery }

// Close implements warehouse.Driver.
func (d *Driver) Close() error { return d.c.Close() }

// CreateDataset implements warehouse.Driver; an existing dataset is fine.
//
// It looks the dataset up first (datasets.get, which bigquery.dataEditor on
// the dataset allows) and creates it only when it is missing: creating
// needs bigquery.datasets.create on the project, which a deployment does
// not grant (Terraform creates the tenant's datasets, see docs/cloud.md).
// A refused creation says which dataset is missing and what to do.
func (d *Driver) CreateDataset(ctx context.Context, dataset string) error {
	ds := d.c.Dataset(dataset)
	_, err := ds.Metadata(ctx)
	if err == nil {
		return nil
	}
	if err = mapErr(err, "bigquerywh: look up dataset %q", dataset); kind(err) != errs.NotFound {
		return err
	}
	err = mapErr(ds.Create(ctx, &bigquery.DatasetMetadata{Location: d.location}), "bigquerywh: create dataset %q", dataset)
	switch kind(err) {
	case errs.Conflict: // created meanwhile
		return nil
	case errs.Permission:
		return errs.Explain(err, "The warehouse has no dataset %q and this deployment may not create datasets. "+
			"Choose a dataset that exists, or ask your administrator to add %q to the tenant's datasets in Terraform.", dataset, dataset)
	}
	return err
}

// bqType is the BigQuery field type for a port type.
func bqType(t warehouse.Type) (bigquery.FieldType, error) {
	switch t {
	case warehouse.String:
		return bigquery.StringFieldType, nil
	case warehouse.Int64:
		return bigquery.IntegerFieldType, nil
	case warehouse.Float64:
		return bigquery.FloatFieldType, nil
	case warehouse.Numeric:
		return bigquery.NumericFieldType, nil
	case warehouse.Bool:
		return bigquery.BooleanFieldType, nil
	case warehouse.Date:
		return bigquery.DateFieldType, nil
	case warehouse.Timestamp:
		return bigquery.TimestampFieldType, nil
	case warehouse.DateTime:
		return bigquery.DateTimeFieldType, nil
	case warehouse.Time:
		return bigquery.TimeFieldType, nil
	case warehouse.JSON:
		return bigquery.JSONFieldType, nil
	case warehouse.Bytes:
		return bigquery.BytesFieldType, nil
	}
	return "", errs.E(errs.Invalid, "bigquerywh: unknown column type %q", t)
}

// ToBigQuery converts a port schema to a BigQuery schema.
func ToBigQuery(s warehouse.Schema) (bigquery.Schema, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make(bigquery.Schema, len(s))
	for i, c := range s {
		t, err := bqType(c.Type)
		if err != nil {
			return nil, err
		}
		out[i] = &bigquery.FieldSchema{Name: c.Name, Type: t, Required: !c.Nullable, Description: c.Description}
	}
	return out, nil
}

// FromBigQuery converts a BigQuery schema to the port's, normalising types;
// RECORD and REPEATED fields become JSON.
func FromBigQuery(s bigquery.Schema) warehouse.Schema {
	out := make(warehouse.Schema, len(s))
	for i, f := range s {
		out[i] = warehouse.Column{Name: f.Name, Type: fieldType(f), Nullable: !f.Required, Description: f.Description}
	}
	return out
}

func fieldType(f *bigquery.FieldSchema) warehouse.Type {
	if f.Repeated {
		return warehouse.JSON
	}
	if t, ok := warehouse.NormalizeType(string(f.Type)); ok {
		return t
	}
	switch f.Type {
	case bigquery.RecordFieldType, "STRUCT", bigquery.RangeFieldType:
		return warehouse.JSON
	}
	return warehouse.String // GEOGRAPHY, INTERVAL ...
}

// CreateTable implements warehouse.Driver.
func (d *Driver) CreateTable(ctx context.Context, dataset, table string, schema warehouse.Schema) error {
	return d.createTable(ctx, dataset, table, schema, warehouse.Layout{})
}

// createTable creates a table with a layout (time partitioning by day,
// clustering).
func (d *Driver) createTable(ctx context.Context, dataset, table string, schema warehouse.Schema, lay warehouse.Layout) error {
	bs, err := ToBigQuery(schema)
	if err != nil {
		return err
	}
	md := &bigquery.TableMetadata{Schema: bs}
	md.TimePartitioning, md.Clustering = layoutOf(lay)
	err = d.c.Dataset(dataset).Table(table).Create(ctx, md)
	return mapErr(err, "bigquerywh: create table %s.%s", dataset, table)
}

func toTable(dataset, table string, md *bigquery.TableMetadata) warehouse.Table {
	return warehouse.Table{
		Dataset:  dataset,
		Name:     table,
		Schema:   FromBigQuery(md.Schema),
		NumRows:  int64(md.NumRows),
		NumBytes: md.NumBytes,
		Created:  md.CreationTime.UTC(),
		Modified: md.LastModifiedTime.UTC(),
	}
}

// DescribeTable implements warehouse.Driver.
func (d *Driver) DescribeTable(ctx context.Context, dataset, table string) (warehouse.Table, error) {
	md, err := d.c.Dataset(dataset).Table(table).Metadata(ctx)
	if err != nil {
		return warehouse.Table{}, mapErr(err, "bigquerywh: describe %s.%s", dataset, table)
	}
	return toTable(dataset, table, md), nil
}

// ListTables implements warehouse.Driver: the dataset's tables sorted by
// name, each described (one metadata call per table).
func (d *Driver) ListTables(ctx context.Context, dataset string) ([]warehouse.Table, error) {
	it := d.c.Dataset(dataset).Tables(ctx)
	var names []string
	for {
		t, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, mapErr(err, "bigquerywh: list tables of %s", dataset)
		}
		names = append(names, t.TableID)
	}
	sort.Strings(names)
	out := make([]warehouse.Table, 0, len(names))
	for _, n := range names {
		t, err := d.DescribeTable(ctx, dataset, n)
		if kind(err) == errs.NotFound {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// DropTable implements warehouse.Driver.
func (d *Driver) DropTable(ctx context.Context, dataset, table string) error {
	return mapErr(d.c.Dataset(dataset).Table(table).Delete(ctx), "bigquerywh: drop %s.%s", dataset, table)
}

// mapErr adds the operation to a BigQuery error (warehouse.WithOp).
func mapErr(err error, format string, args ...any) error {
	return warehouse.WithOp(err, format, args...)
}

// kind is err's kind for the driver's own decisions.
func kind(err error) errs.Kind { return warehouse.KindWith(err, errorKind) }

// ErrorKind implements warehouse.Driver.
func (d *Driver) ErrorKind(err error) errs.Kind { return errorKind(err) }

// errorKind classifies a BigQuery error: the one place that knows what its
// HTTP codes and job error reasons mean.
func errorKind(err error) errs.Kind {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason := ""
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
		}
		switch {
		case reason == "rateLimitExceeded" || reason == "backendError" || reason == "internalError" || reason == "quotaExceeded":
			return errs.Transient
		case ge.Code == 404:
			return errs.NotFound
		case ge.Code == 409:
			return errs.Conflict
		case ge.Code == 400:
			return errs.Invalid
		case ge.Code == 401:
			return errs.Unauthenticated
		case ge.Code == 403:
			return errs.Permission
		case ge.Code == 412:
			return errs.Conflict
		case ge.Code == 429 || ge.Code >= 500:
			return errs.Transient
		}
		return errs.Unknown
	}
	var be *bigquery.Error
	if errors.As(err, &be) {
		return reasonKind(be.Reason)
	}
	var me bigquery.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		return errorKind(me[0])
	}
	return errs.Unknown
}

// reasonKind maps a BigQuery job error reason
// (https://cloud.google.com/bigquery/docs/error-messages) to a kind.
func reasonKind(reason string) errs.Kind {
	switch reason {
	case "invalid", "invalidQuery", "resourcesExceeded", "responseTooLarge", "billingTierLimitExceeded":
		return errs.Invalid
	case "notFound":
		return errs.NotFound
	case "duplicate":
		return errs.Conflict
	case "accessDenied", "billingNotEnabled":
		return errs.Permission
	case "backendError", "internalError", "rateLimitExceeded", "quotaExceeded", "timeout", "jobBackendError", "jobInternalError":
		return errs.Transient
	case "stopped":
		return errs.Transient
	case "notImplemented":
		return errs.Unsupported
	}
	return errs.Unknown
}

func isGS(s string) bool { return strings.HasPrefix(s, "gs://") && len(s) > len("gs://") }

// stamp is a short id suffix for temporary objects.
func stamp() string {
	return strings.ReplaceAll(time.Now().UTC().Format("20060102T150405.000000"), ".", "_")
}
