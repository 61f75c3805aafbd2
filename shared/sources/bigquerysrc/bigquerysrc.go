// Package bigquerysrc is the BigQuery driver of the sources port
// (cloud.google.com/go/bigquery). Importing it registers the scheme
// "bigquery" (sources.OpenConnection).
//
// # Connection
//
// sources.Connection fields used: Project, the billing project (the
// tenant's: every query job runs and is billed there); Database, the data
// project whose datasets are read (default: Project; a public dataset's
// project such as bigquery-public-data); Schema, the default dataset;
// CredentialsJSON, a service-account key (required for Google's service;
// its token exchange dials through the outbound policy too); Host and
// Port, a test endpoint (plaintext HTTP, no credentials) instead of
// Google's; Egress. Params: "location", the location jobs run in ("EU";
// default: BigQuery's choice from the data). Nothing comes from the
// server's environment (not its default credentials).
//
// # Discovery and types
//
// Schemas are the data project's datasets; Tables a dataset's tables and
// views with their row counts (exact for tables, -1 for views); Describe a
// table's columns with types, up to samples values read from the table
// (tabledata.list, not a query: free; none for views, which only a billed
// query reads), the primary key (the table's constraint) and the
// recommended timestamp column. Types:
//
//	BigQuery type                 warehouse type
//	INTEGER/INT64                 INT64
//	FLOAT/FLOAT64                 FLOAT64
//	NUMERIC, BIGNUMERIC           NUMERIC (exact decimal text)
//	BOOLEAN/BOOL                  BOOL
//	STRING                        STRING
//	BYTES                         BYTES
//	DATE, DATETIME, TIME          DATE, DATETIME, TIME
//	TIMESTAMP                     TIMESTAMP
//	JSON                          JSON
//	RECORD/STRUCT, REPEATED       JSON (a record is an object by field name, a repeated field an array)
//	GEOGRAPHY, INTERVAL, RANGE    STRING, medium confidence (as BigQuery writes them)
//
// # Extraction
//
// Extract runs one query job in the billing project:
//
//	SELECT `c1`, `c2` FROM `data-project.dataset.table` [WHERE `ts` >= @since] [ORDER BY `ts`] [LIMIT n]
//
// with every identifier quoted and Since passed as a query parameter
// (TIMESTAMP, DATETIME, DATE, INT64 or STRING after the column's type),
// never written into the SQL. Its results are read page by page
// (PageSize rows per jobs.getQueryResults call), with the boundary
// contract of package sources.
package bigquerysrc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/sources/driver/gcpauth"
)

// Scheme is the sources scheme this driver registers.
const Scheme = "bigquery"

// PageSize is the number of rows one page of results holds.
const PageSize = 10000

// Concurrency is the number of tables whose metadata Tables reads at once.
const Concurrency = 8

const bigqueryScope = "https://www.googleapis.com/auth/bigquery"

func init() {
	sources.Register(Scheme, func(_ context.Context, c sources.Connection) (sources.Driver, error) { return New(c) })
}

// Driver reads BigQuery datasets.
type Driver struct {
	c        sources.Connection
	data     string // the data project
	location string
	client   sourcedriver.Client[*bigquery.Client]
}

var _ sources.Driver = (*Driver)(nil)

// New returns a driver for c (see the package doc). It does not connect.
func New(c sources.Connection) (*Driver, error) {
	if c.Project == "" {
		return nil, errs.Fieldf(errs.Invalid, "project", "no billing project given")
	}
	if c.Host == "" && c.CredentialsJSON == "" {
		return nil, errs.Fieldf(errs.Invalid, gcpauth.KeyField, "a service account key is required to read BigQuery")
	}
	if c.Host != "" && (c.Port < 1 || c.Port > 65535) {
		return nil, errs.Userf(errs.Invalid, "the test endpoint needs a port from 1 to 65535")
	}
	d := &Driver{c: c, data: c.Database, location: c.Params["location"]}
	d.client.Name = "bigquerysrc"
	if d.data == "" {
		d.data = c.Project
	}
	return d, nil
}

// Dialect is sources.BigQuery.
func (d *Driver) Dialect() sources.Dialect { return sources.BigQuery }

// bq returns the client, created on first use.
func (d *Driver) bq(ctx context.Context) (*bigquery.Client, error) {
	return d.client.Get(func() (*bigquery.Client, error) { return d.newClient(ctx) })
}

func (d *Driver) newClient(ctx context.Context) (*bigquery.Client, error) {
	tr := d.c.Egress.Transport()
	var opts []option.ClientOption
	if d.c.Host != "" {
		ep := "http://" + net.JoinHostPort(d.c.Host, strconv.Itoa(d.c.Port)) + "/bigquery/v2/"
		opts = append(opts, option.WithEndpoint(ep), option.WithHTTPClient(&http.Client{Transport: tr}))
	} else {
		creds, err := gcpauth.Credentials(ctx, d.c.CredentialsJSON, bigqueryScope, d.c.Egress)
		if err != nil {
			return nil, err
		}
		hc := &http.Client{Transport: &oauth2.Transport{Source: creds.TokenSource, Base: tr}}
		opts = append(opts, option.WithHTTPClient(hc))
	}
	// The client outlives the call that happens to create it.
	c, err := bigquery.NewClient(context.WithoutCancel(ctx), d.c.Project, opts...)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "bigquerysrc: create client")
	}
	c.Location = d.location
	return c, nil
}

// Close closes the client, if one was created.
func (d *Driver) Close() error { return d.client.Close() }

// call runs fn with the client; errors get their kind (mapErr).
func (d *Driver) call(ctx context.Context, op string, fn func(c *bigquery.Client) error) error {
	c, err := d.bq(ctx)
	if err != nil {
		return err
	}
	return d.mapErr(ctx, fn(c), op)
}

// dataset is schema, or the connection's default dataset.
func (d *Driver) dataset(schema string) (string, error) {
	if schema == "" {
		schema = d.c.Schema
	}
	if schema == "" {
		return "", errs.Userf(errs.Invalid, "choose a dataset: the connection has no default dataset")
	}
	return schema, nil
}

// ErrorKind classifies the driver's errors (HTTP statuses of BigQuery's
// API, network failures).
func (d *Driver) ErrorKind(err error) errs.Kind {
	return errs.KindOf(d.mapErr(context.Background(), err, ""))
}

// mapErr gives err a kind and a message for users, never the key.
func (d *Driver) mapErr(ctx context.Context, err error, op string) error {
	if err == nil || errs.KindOf(err) != errs.Unknown {
		return err
	}
	if op == "" {
		op = "read BigQuery"
	}
	red := sourcedriver.Redact(err, d.c.CredentialsJSON)
	if e := sourcedriver.EndedErr(ctx, err, red, op); e != nil {
		return e
	}
	var g *googleapi.Error
	if errors.As(err, &g) {
		reason := ""
		if len(g.Errors) > 0 {
			reason = g.Errors[0].Reason
		}
		switch {
		case g.Code == http.StatusUnauthorized:
			return errs.WrapField(errs.Unauthenticated, red, "", "%s: the service account key was rejected", op)
		case g.Code == http.StatusTooManyRequests || g.Code >= 500 || reason == "rateLimitExceeded" || reason == "backendError":
			return errs.WrapField(errs.Transient, red, "", "%s: BigQuery is busy or unavailable: try again", op)
		case g.Code == http.StatusForbidden:
			return errs.WrapField(errs.Permission, red, "", "%s: the service account may not do this in project %s or %s (it needs BigQuery Job User on the billing project and BigQuery Data Viewer on the data): %s", op, d.c.Project, d.data, g.Message)
		case g.Code == http.StatusNotFound:
			return errs.WrapField(errs.NotFound, red, "", "%s: not found: %s", op, g.Message)
		case g.Code == http.StatusBadRequest:
			return errs.WrapField(errs.Invalid, red, "", "%s: BigQuery refused the request: %s", op, g.Message)
		}
		return errs.Wrap(errs.Unknown, red, "bigquerysrc: %s", op)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return errs.WrapField(errs.Transient, red, "", "%s: cannot reach BigQuery", op)
	}
	return errs.Wrap(errs.Unknown, red, "bigquerysrc: %s", op)
}

// Test lists the data project's datasets and the default dataset's
// tables.
func (d *Driver) Test(ctx context.Context) (sources.TestResult, error) {
	datasets, err := d.Schemas(ctx)
	if err != nil {
		return sources.TestResult{}, err
	}
	res := sources.TestResult{ServerVersion: "BigQuery", Schema: d.c.Schema, Tables: []sources.TableInfo{}}
	if d.c.Schema != "" {
		if res.Tables, err = d.Tables(ctx, d.c.Schema); err != nil {
			return sources.TestResult{}, err
		}
	}
	billed := ""
	if d.data != d.c.Project {
		billed = fmt.Sprintf(" (queries billed to %s)", d.c.Project)
	}
	res.Message = fmt.Sprintf("connected to BigQuery project %s%s; %d datasets", d.data, billed, len(datasets))
	if d.c.Schema != "" {
		res.Message += fmt.Sprintf(", %d tables in %s", len(res.Tables), d.c.Schema)
	}
	return res, nil
}

// Schemas lists the data project's datasets.
func (d *Driver) Schemas(ctx context.Context) ([]string, error) {
	out := []string{}
	err := d.call(ctx, "list datasets", func(c *bigquery.Client) error {
		it := c.Datasets(ctx)
		it.ProjectID = d.data
		for {
			ds, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, ds.DatasetID)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Tables lists a dataset's tables and views with their row counts.
func (d *Driver) Tables(ctx context.Context, schema string) ([]sources.TableInfo, error) {
	ds, err := d.dataset(schema)
	if err != nil {
		return nil, err
	}
	out := []sources.TableInfo{}
	err = d.call(ctx, "list the tables of "+ds, func(c *bigquery.Client) error {
		var tables []*bigquery.Table
		it := c.DatasetInProject(d.data, ds).Tables(ctx)
		for {
			t, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return err
			}
			tables = append(tables, t)
			out = append(out, sources.TableInfo{Name: t.TableID})
		}
		return sourcedriver.Parallel(ctx, len(tables), Concurrency, func(ctx context.Context, i int) error {
			md, err := tables[i].Metadata(ctx)
			if err == nil {
				out[i].Rows, out[i].RowsExact = rowCount(md)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil // tables.list answers in id order
}

func rowCount(md *bigquery.TableMetadata) (int64, bool) {
	if md.Type != bigquery.RegularTable {
		return -1, false
	}
	return int64(md.NumRows), true
}

// column is one BigQuery column with its meta.
type column struct {
	field *bigquery.FieldSchema
	meta  sources.ColumnMeta
}

func metaOf(c *column) *sources.ColumnMeta { return &c.meta }

// columns reads a table's metadata: its columns and primary key.
func (d *Driver) columns(ctx context.Context, c *bigquery.Client, ds, table string) (*bigquery.TableMetadata, []column, []string, error) {
	md, err := c.DatasetInProject(d.data, ds).Table(table).Metadata(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	cols := make([]column, len(md.Schema))
	for i, f := range md.Schema {
		typ, conf, warn := mapType(f)
		src := string(f.Type)
		if f.Repeated {
			src = "ARRAY<" + src + ">"
		}
		cols[i] = column{field: f, meta: sources.ColumnMeta{
			OriginalName: f.Name, SourceType: src, Type: typ, Confidence: conf, Warning: warn, Nullable: !f.Required,
		}}
	}
	var pk []string
	if md.TableConstraints != nil && md.TableConstraints.PrimaryKey != nil {
		pk = md.TableConstraints.PrimaryKey.Columns
	}
	return md, cols, pk, nil
}

// Describe returns a table's columns, samples read from the table (not a
// query), its row count and the recommended timestamp column and key.
func (d *Driver) Describe(ctx context.Context, schema, table string, samples int) (sources.TableMeta, error) {
	ds, err := d.dataset(schema)
	if err != nil {
		return sources.TableMeta{}, err
	}
	var meta sources.TableMeta
	err = d.call(ctx, "describe "+ds+"."+table, func(c *bigquery.Client) error {
		md, cols, pk, err := d.columns(ctx, c, ds, table)
		if err != nil {
			return err
		}
		sourcedriver.DescribeColumns(ds, table, cols, metaOf, pk)
		metas := make([]sources.ColumnMeta, len(cols))
		for i := range cols {
			metas[i] = cols[i].meta
		}
		meta = sourcedriver.Describe(ds, table, metas, pk)
		meta.TotalRows, meta.RowsExact = rowCount(md)
		if samples == 0 || md.Type != bigquery.RegularTable {
			return nil // views cannot be listed, only queried (and billed)
		}
		it := c.DatasetInProject(d.data, ds).Table(table).Read(ctx)
		it.PageInfo().MaxSize = samples
		var vals []bigquery.Value
		for n := 0; n < samples; n++ {
			err := it.Next(&vals)
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return err
			}
			for i := range meta.Columns {
				meta.Columns[i].Samples = append(meta.Columns[i].Samples, sources.FormatValue(convert(vals[i], cols[i].field)))
			}
		}
		return nil
	})
	if err != nil {
		return sources.TableMeta{}, err
	}
	return meta, nil
}

// quote quotes a BigQuery identifier or path in backticks; backticks and
// backslashes inside are escaped. Empty names and names with NUL or a
// line break are errs.Invalid.
func quote(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\x00\n\r") {
		return "", errs.Userf(errs.Invalid, "%q is not a usable BigQuery name", name)
	}
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(name) + "`", nil
}
