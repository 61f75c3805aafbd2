// Package firestoresrc is the Cloud Firestore (native mode) driver of the
// sources port, over the Firestore API client
// (cloud.google.com/go/firestore/apiv1). Importing it registers the scheme
// "firestore" (sources.OpenConnection).
//
// # Connection
//
// sources.Connection fields used: Project (required), Database (the
// database id, default "(default)"), CredentialsJSON (a service-account
// key, required for Google's service; its token exchange is dialled
// through the outbound policy too), Host and Port (an emulator: plaintext
// gRPC without credentials; empty for Google's service at
// firestore.googleapis.com:443 over TLS), Egress and ConnectTimeout.
// Nothing comes from the server's environment: not
// FIRESTORE_EMULATOR_HOST, not the server's default credentials (they
// would let a tenant read whatever the server may read). Params:
//
//	sample_docs   documents read to infer a collection's schema (default
//	              sources.DefaultSampleDocs, at most sources.MaxSampleDocs;
//	              the deployment sets it with B2B_SOURCE_SAMPLE_DOCS)
//
// # Schemas, tables and columns
//
// A "schema" is where collections live: the database id ("(default)";
// also "" or "/") is the database root, a document path ("users/alice")
// lists that document's subcollections (the names are single URL path
// segments once "/" is escaped). A "table" is a collection: its id under
// the schema, or a collection path ("users/alice/orders"). Schemas lists
// the database id; Tables counts each
// collection's documents with an aggregation query (exact).
//
// A collection has no schema: Describe and Extract infer one from the
// first sample_docs documents in document-id order. The columns are
// __id (the document id, the key; warehouse name document_id), every
// top-level field seen, sorted by name, with the share of sampled documents
// that have it (ColumnMeta.Presence; fields are nullable), and
// __update_time (when the document was last written; update_time). The
// fields claim their warehouse names first, so a field "id" keeps it. Nested maps and arrays are JSON
// columns, not flattened. Fields that appear only after the sample are not
// read; a collection without documents is errs.NotFound. Types:
//
//	Firestore type         warehouse type
//	boolean                BOOL
//	integer                INT64
//	double                 FLOAT64 (also integer and double mixed)
//	timestamp              TIMESTAMP
//	string                 STRING
//	bytes                  BYTES
//	reference              STRING, the document path ("users/alice")
//	geopoint               JSON {"latitude": .., "longitude": ..}
//	array, map             JSON (arrays and maps mixed too)
//	null only              STRING, medium confidence (OnlyNullWarning)
//	other mixes            STRING, medium confidence (MixedTypesWarning)
//
// Inside JSON, timestamps are RFC 3339 text, bytes base64, references
// paths, non-finite doubles text. A value whose type differs from its
// column's is converted when exact (integer ↔ double); otherwise it is
// passed as text, which the loader converts or rejects naming the column.
//
// # Incremental extraction
//
// TimestampColumn may be a field or UpdateTimeColumn, with the boundary
// contract of package sources (Since, SeenAtSince = document ids,
// BoundaryKeys). On a field, the query filters field >= Since and orders
// by the field then the document id, read page by page (PageSize
// documents, cursors after the last document): documents without the field
// are never read, as NULLs are not. The update time cannot be queried:
// the whole collection is read in document-id order and the documents
// written before Since are skipped here; the watermark is the greatest
// update time read (rows do not come in time order, so a Limit is
// refused with it). Nothing is held in memory beyond one page.
package firestoresrc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	vkit "cloud.google.com/go/firestore/apiv1"
	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/sources/driver/gcpauth"
)

// Scheme is the sources scheme this driver registers.
const Scheme = "firestore"

// Settings.
const (
	// PageSize is the number of documents one query of an extract reads.
	PageSize = 1000
	// Concurrency is the number of collections Tables counts at once.
	Concurrency = 8
	// DefaultDatabase is the database id when Connection.Database is "".
	DefaultDatabase = "(default)"
	googleEndpoint  = "firestore.googleapis.com:443"
	datastoreScope  = "https://www.googleapis.com/auth/datastore"
)

func init() {
	sources.Register(Scheme, func(_ context.Context, c sources.Connection) (sources.Driver, error) { return New(c) })
}

// Driver reads one Firestore database.
type Driver struct {
	c      sources.Connection
	root   string // projects/P/databases/D/documents
	sample int
	guard  *dialGuard
	client sourcedriver.Client[*vkit.Client]
}

var _ sources.Driver = (*Driver)(nil)

// New returns a driver for c (see the package doc). It does not connect.
func New(c sources.Connection) (*Driver, error) {
	if c.Project == "" {
		return nil, errs.Fieldf(errs.Invalid, "project", "no Google Cloud project given")
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if strings.Contains(c.Project, "/") || strings.Contains(c.Database, "/") {
		return nil, errs.Userf(errs.Invalid, "the project and database ids must not contain '/'")
	}
	d := &Driver{c: c, root: "projects/" + c.Project + "/databases/" + c.Database + "/documents", sample: sources.DefaultSampleDocs}
	d.client.Name = "firestoresrc"
	if v, ok := c.Params["sample_docs"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > sources.MaxSampleDocs {
			return nil, errs.Userf(errs.Invalid, "sample_docs must be a number from 1 to %d", sources.MaxSampleDocs)
		}
		d.sample = n
	}
	host := c.Host
	if host == "" {
		if c.CredentialsJSON == "" {
			return nil, errs.Fieldf(errs.Invalid, "service_account_json", "a service account key is required to read Firestore")
		}
		host = strings.TrimSuffix(googleEndpoint, ":443")
	} else if c.Port < 1 || c.Port > 65535 {
		return nil, errs.Userf(errs.Invalid, "the emulator address needs a port from 1 to 65535")
	}
	d.guard = newDialGuard(&egress.Dialer{Policy: c.Egress, Host: host, Timeout: c.Timeout()})
	return d, nil
}

// Dialect is sources.Firestore.
func (d *Driver) Dialect() sources.Dialect { return sources.Firestore }

// fs returns the client, created on first use.
func (d *Driver) fs(ctx context.Context) (*vkit.Client, error) {
	return d.client.Get(func() (*vkit.Client, error) {
		opts, err := d.clientOptions(ctx)
		if err != nil {
			return nil, err
		}
		// The client outlives the call that happens to create it.
		c, err := vkit.NewClient(context.WithoutCancel(ctx), opts...)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "firestoresrc: create client")
		}
		return c, nil
	})
}

func (d *Driver) clientOptions(ctx context.Context) ([]option.ClientOption, error) {
	if d.c.Host != "" {
		addr := net.JoinHostPort(d.c.Host, strconv.Itoa(d.c.Port))
		conn, err := grpc.NewClient("passthrough:///"+addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithContextDialer(d.guard.dial),
			grpc.WithPerRPCCredentials(emulatorCreds{}))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "firestoresrc: emulator connection")
		}
		return []option.ClientOption{option.WithGRPCConn(conn)}, nil
	}
	creds, err := gcpauth.Credentials(ctx, d.c.CredentialsJSON, datastoreScope, d.c.Egress)
	if err != nil {
		return nil, err
	}
	return []option.ClientOption{
		option.WithCredentials(creds), option.WithEndpoint(googleEndpoint),
		option.WithGRPCDialOption(grpc.WithContextDialer(d.guard.dial)),
		option.WithGRPCConnectionPool(1),
	}, nil
}

// emulatorCreds is the emulator's owner token (what the client library
// sends to an emulator).
type emulatorCreds struct{}

func (emulatorCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}
func (emulatorCreds) RequireTransportSecurity() bool { return false }

// Close closes the client, if one was created.
func (d *Driver) Close() error { return d.client.Close() }

// call runs fn with the client and a context the dial guard ends on a
// refusal of the outbound policy; errors get their kind (mapErr).
func (d *Driver) call(ctx context.Context, op string, fn func(ctx context.Context, c *vkit.Client) error) error {
	c, err := d.fs(ctx)
	if err != nil {
		return err
	}
	ctx, stop := d.guard.watch(ctx)
	defer stop()
	return d.mapErr(ctx, fn(ctx, c), op)
}

// unreachable is the error of a call that failed because the server could
// not be reached (the last dial failed, and the call ran out of time or
// found the channel unavailable), nil otherwise; a call the caller
// cancelled or the policy refused is not one.
func (d *Driver) unreachable(ctx context.Context, err, red error, op string) error {
	derr := d.guard.dialFailure()
	if _, denied := egress.AsDenied(err); derr == nil || denied || errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	if code := status.Code(err); !errors.Is(ctx.Err(), context.DeadlineExceeded) && code != codes.Unavailable && code != codes.DeadlineExceeded {
		return nil
	}
	chain := fmt.Errorf("%w: %w", red, derr)
	if cerr := ctx.Err(); cerr != nil {
		chain = fmt.Errorf("%w: %w", cerr, chain)
	}
	return errs.WrapField(errs.Transient, chain, "", "%s: cannot reach %s (the connection was refused or timed out)", op, d.endpoint())
}

// endpoint names the server for messages.
func (d *Driver) endpoint() string {
	if d.c.Host == "" {
		return "Firestore"
	}
	return "the Firestore emulator at " + net.JoinHostPort(d.c.Host, strconv.Itoa(d.c.Port))
}

// where names the database for messages.
func (d *Driver) where() string {
	return fmt.Sprintf("Firestore database %s of project %s", d.c.Database, d.c.Project)
}

// ErrorKind classifies the driver's errors (gRPC status codes).
func (d *Driver) ErrorKind(err error) errs.Kind {
	return errs.KindOf(d.mapErr(context.Background(), err, ""))
}

// mapErr gives err a kind and a message for users; it names the project
// and database, never the key.
func (d *Driver) mapErr(ctx context.Context, err error, op string) error {
	if err == nil || errs.KindOf(err) != errs.Unknown {
		return err
	}
	if op == "" {
		op = "read Firestore"
	}
	red := sourcedriver.Redact(err, d.c.CredentialsJSON)
	if denied := d.guard.refusal(); denied != nil && status.Code(err) == codes.Unavailable {
		err = errors.Join(err, denied) // gRPC keeps only the refusal's text
	}
	if err := d.unreachable(ctx, err, red, op); err != nil {
		return err
	}
	if e := sourcedriver.EndedErr(ctx, err, red, op); e != nil {
		return e
	}
	s, isStatus := status.FromError(err)
	if !isStatus {
		return err
	}
	switch s.Code() {
	case codes.Unauthenticated:
		return errs.WrapField(errs.Unauthenticated, red, "", "%s: the service account key was rejected", op)
	case codes.PermissionDenied:
		return errs.WrapField(errs.Permission, red, "", "%s: the service account may not read the %s (it needs the role Cloud Datastore Viewer)", op, d.where())
	case codes.NotFound:
		return errs.WrapField(errs.NotFound, red, "", "%s: the %s was not found", op, d.where())
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		// Firestore's text says what to change (a missing index, with the
		// link that creates it).
		return errs.WrapField(errs.Invalid, red, "", "%s: %s", op, s.Message())
	case codes.Canceled, codes.DeadlineExceeded:
		return errs.WrapField(errs.Transient, red, "", "%s: timed out or cancelled", op)
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.Internal:
		return errs.WrapField(errs.Transient, red, "", "%s: cannot reach Firestore or it is busy: try again", op)
	}
	return errs.Wrap(errs.Unknown, red, "firestoresrc: %s", op)
}

// parentPath is the document name a schema lists collections under: the
// root, or a document path (an even number of segments).
func (d *Driver) parentPath(schema string) (string, error) {
	s := strings.Trim(schema, "/")
	if s == "" || s == d.c.Database {
		return d.root, nil
	}
	if err := checkSegments(s); err != nil {
		return "", err
	}
	if strings.Count(s, "/")%2 == 0 {
		return "", errs.Userf(errs.NotFound, "%q is not a document: a schema is the database %q or a document path such as users/alice", schema, d.c.Database)
	}
	return d.root + "/" + s, nil
}

// collectionPath resolves schema (the root or a document, see parentPath)
// and table (a collection id, or a collection path under the schema) into
// the query's parent and the collection id.
func (d *Driver) collectionPath(schema, table string) (parent, id string, err error) {
	parent, err = d.parentPath(schema)
	if err != nil {
		return "", "", err
	}
	rel := strings.Trim(table, "/")
	if err := checkSegments(rel); err != nil {
		return "", "", err
	}
	if strings.Count(rel, "/")%2 != 0 {
		return "", "", errs.Userf(errs.Invalid, "%q is a document, not a collection", rel)
	}
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		parent, rel = parent+"/"+rel[:i], rel[i+1:]
	}
	return parent, rel, nil
}

func checkSegments(p string) error {
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errs.Userf(errs.Invalid, "%q is not a Firestore path (empty, '.' or '..' segment)", p)
		}
	}
	return nil
}

// Test lists the top-level collections with their document counts.
func (d *Driver) Test(ctx context.Context) (sources.TestResult, error) {
	tables, err := d.Tables(ctx, d.c.Database)
	if err != nil {
		return sources.TestResult{}, err
	}
	version := "Cloud Firestore"
	if d.c.Host != "" {
		version = "Firestore emulator"
	}
	return sources.TestResult{
		Message:       fmt.Sprintf("connected to %s %s of project %s; %d top-level collections", version, d.c.Database, d.c.Project, len(tables)),
		ServerVersion: version, Schema: d.c.Database, Tables: tables,
	}, nil
}

// Schemas lists the database root, named by the database id:
// subcollections are listed by document path.
func (d *Driver) Schemas(ctx context.Context) ([]string, error) {
	return []string{d.c.Database}, nil
}

// Tables lists the collections under a schema (the root or a document),
// sorted, each with its exact document count.
func (d *Driver) Tables(ctx context.Context, schema string) ([]sources.TableInfo, error) {
	parent, err := d.parentPath(schema)
	if err != nil {
		return nil, err
	}
	var out []sources.TableInfo
	err = d.call(ctx, "list collections", func(ctx context.Context, c *vkit.Client) error {
		it := c.ListCollectionIds(ctx, &pb.ListCollectionIdsRequest{Parent: parent})
		for {
			id, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return err
			}
			out = append(out, sources.TableInfo{Name: id})
		}
		if len(out) == 0 && parent != d.root {
			if _, err := c.GetDocument(ctx, &pb.GetDocumentRequest{Name: parent, Mask: &pb.DocumentMask{FieldPaths: []string{}}}); err != nil {
				if status.Code(err) == codes.NotFound {
					return errs.Userf(errs.NotFound, "no document %q in the %s", strings.Trim(schema, "/"), d.where())
				}
				return err
			}
		}
		return sourcedriver.Parallel(ctx, len(out), Concurrency, func(ctx context.Context, i int) error {
			n, err := count(ctx, c, parent, out[i].Name)
			out[i].Rows, out[i].RowsExact = n, err == nil
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []sources.TableInfo{}
	}
	return out, nil // ListCollectionIds answers in id order
}

// count counts a collection's documents with an aggregation query.
func count(ctx context.Context, c *vkit.Client, parent, coll string) (int64, error) {
	stream, err := c.RunAggregationQuery(ctx, &pb.RunAggregationQueryRequest{
		Parent: parent,
		QueryType: &pb.RunAggregationQueryRequest_StructuredAggregationQuery{StructuredAggregationQuery: &pb.StructuredAggregationQuery{
			QueryType: &pb.StructuredAggregationQuery_StructuredQuery{StructuredQuery: &pb.StructuredQuery{
				From: []*pb.StructuredQuery_CollectionSelector{{CollectionId: coll}},
			}},
			Aggregations: []*pb.StructuredAggregationQuery_Aggregation{{
				Alias: "n", Operator: &pb.StructuredAggregationQuery_Aggregation_Count_{Count: &pb.StructuredAggregationQuery_Aggregation_Count{}},
			}},
		}},
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		res, err := stream.Recv()
		if err != nil {
			if errors.Is(err, errEOF) {
				return n, nil
			}
			return 0, err
		}
		if r := res.GetResult(); r != nil {
			n = r.GetAggregateFields()["n"].GetIntegerValue()
		}
	}
}

// Describe infers a collection's columns from its first documents (see
// the package doc), with up to samples values each from the first
// documents, the exact document count and the recommended incremental
// column: a field named like updated_at or created_at, else the update
// time.
func (d *Driver) Describe(ctx context.Context, schema, table string, samples int) (sources.TableMeta, error) {
	parent, coll, err := d.collectionPath(schema, table)
	if err != nil {
		return sources.TableMeta{}, err
	}
	var meta sources.TableMeta
	err = d.call(ctx, "describe collection "+table, func(ctx context.Context, c *vkit.Client) error {
		docs, err := d.sampleDocs(ctx, c, parent, coll)
		if err != nil {
			return err
		}
		cols := infer(docs)
		for _, doc := range docs[:min(samples, len(docs))] {
			for i := range cols {
				cols[i].Samples = append(cols[i].Samples, sources.FormatValue(columnValue(doc, cols[i].OriginalName, cols[i].Type)))
			}
		}
		meta = sourcedriver.Describe(d.schemaName(schema), table, cols, []string{IDColumn})
		nameColumns(meta.Columns) // Describe names the columns in order
		meta.TotalRows, err = count(ctx, c, parent, coll)
		meta.RowsExact = err == nil
		return err
	})
	if err != nil {
		return sources.TableMeta{}, err
	}
	fields := meta.Columns[1 : len(meta.Columns)-1]
	if name, why := sourcedriver.RecommendNamedTimestamp(fields); name != "" {
		meta.Recommended.TimestampColumn, meta.Recommended.TimestampReason = name, why
	} else {
		meta.Recommended.TimestampColumn = UpdateTimeColumn
		meta.Recommended.TimestampReason = "the document's update time: every new or changed document is read, but each run reads the whole collection"
	}
	return meta, nil
}

// schemaName is a schema as Describe names it: the database id for the
// root.
func (d *Driver) schemaName(schema string) string {
	if s := strings.Trim(schema, "/"); s != "" {
		return s
	}
	return d.c.Database
}

// sampleDocs reads the first documents of a collection in id order; a
// collection without documents is errs.NotFound.
func (d *Driver) sampleDocs(ctx context.Context, c *vkit.Client, parent, coll string) ([]*pb.Document, error) {
	docs, err := runQuery(ctx, c, parent, &pb.StructuredQuery{
		From:  []*pb.StructuredQuery_CollectionSelector{{CollectionId: coll}},
		Limit: wrapInt(d.sample),
	})
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, errs.Userf(errs.NotFound, "collection %q has no documents in the %s", relPath(parent+"/"+coll), d.where())
	}
	return docs, nil
}

// columnValue is a document's value for a column of type t.
func columnValue(doc *pb.Document, name string, t warehouseType) any {
	switch name {
	case IDColumn:
		return docID(doc.GetName())
	case UpdateTimeColumn:
		return doc.GetUpdateTime().AsTime().UTC()
	}
	v, ok := doc.GetFields()[name]
	if !ok {
		return nil
	}
	return convert(v, t)
}
