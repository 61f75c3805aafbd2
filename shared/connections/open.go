package connections

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// sourceConnection is the shared/sources connection of a connection with
// tables, password or key included, dialling through the outbound policy:
// hand it only to a driver. The endpoint of a Google connection (an
// emulator or a test server) becomes the driver's host and port; a
// BigQuery connection's data project and dataset its Database and Schema.
func (s *Service) sourceConnection(f Fields, sec Secret) (sources.Connection, error) {
	c := sources.Connection{
		Host: f.Host, Port: f.Port, Database: f.Database, Schema: f.Schema, Username: f.Username,
		Password: sec.Password, SSLMode: f.SSLMode, ConnectTimeout: s.opts.TestTimeout, Egress: s.opts.Egress,
	}
	if !f.Type.IsGoogle() {
		return c, nil
	}
	c.Project, c.CredentialsJSON = f.Project, sec.ServiceAccountJSON
	switch f.Type {
	case Firestore:
		if s.opts.SampleDocs > 0 {
			c.Params = map[string]string{"sample_docs": strconv.Itoa(s.opts.SampleDocs)}
		}
	case BigQuery:
		c.Database, c.Schema = f.DataProject, f.Dataset
	}
	if f.Endpoint != "" {
		u, err := url.Parse(f.Endpoint)
		if err != nil {
			return sources.Connection{}, invalid("endpoint", "must be an http://HOST:PORT address")
		}
		c.Host = u.Hostname()
		if c.Port, err = strconv.Atoi(u.Port()); err != nil {
			return sources.Connection{}, invalid("endpoint", "must be an http://HOST:PORT address")
		}
	}
	return c, nil
}

// scheme is the shared/sources scheme of a type with tables.
func scheme(t Type) string {
	switch t {
	case Postgres:
		return "postgres"
	case Firestore:
		return "firestore"
	case BigQuery:
		return "bigquery"
	}
	return "mysql"
}

func (s *Service) openSource(ctx context.Context, f Fields, sec Secret) (*sources.Source, error) {
	c, err := s.sourceConnection(f, sec)
	if err != nil {
		return nil, err
	}
	return sources.OpenConnection(ctx, scheme(f.Type), c)
}

// openBucket opens a storage connection's bucket with its own credentials
// through blobstore.OpenWithCredentials, every request dialled through the
// outbound policy (s.transport): nothing from the server's environment.
// Local folders are read through the tenant's import folders. Errors never
// contain a secret.
func (s *Service) openBucket(ctx context.Context, tenant string, f Fields, sec Secret) (*blob.Bucket, error) {
	if strings.HasPrefix(f.BucketURL, "file:") {
		return openFolder(f.BucketURL, s.tenantRoots(tenant))
	}
	c := blobstore.Credentials{Bucket: bucketName(f), Endpoint: f.Endpoint, Transport: s.transport}
	switch f.Type {
	case GCS:
		c.Provider, c.ServiceAccountJSON = blobstore.ProviderGCS, sec.ServiceAccountJSON
	case S3:
		c.Provider, c.Region, c.AccessKeyID, c.SecretAccessKey = blobstore.ProviderS3, f.Region, f.AccessKeyID, sec.AWSSecretAccessKey
	case AzureBlob:
		c.Provider, c.Account, c.AccountKey, c.SASToken = blobstore.ProviderAzure, f.Account, sec.AzureAccountKey, sec.AzureSASToken
	default:
		return nil, errs.E(errs.Unsupported, "connection: %s is not a storage type", f.Type)
	}
	return blobstore.OpenWithCredentials(ctx, c)
}

// storageErr gives a bucket error its kind: a refusal of the outbound
// policy is Permission, the rest blobstore.ErrorKind.
func storageErr(err error, op string) error {
	if d, ok := egress.AsDenied(err); ok {
		return errs.Wrap(errs.Permission, err, "%s", d.Error())
	}
	return errs.Wrap(blobstore.ErrorKind(err), err, "%s", op)
}

// OpenSource opens the driver of a connection with tables (a database,
// Firestore) with its stored credentials, for the ETL runner (which never
// sees the secret). A disabled connection is errs.Invalid. The caller
// closes the source.
func (s *Service) OpenSource(ctx context.Context, tenant, id string) (*sources.Source, Connection, error) {
	c, sec, err := s.openable(ctx, tenant, id)
	if err != nil {
		return nil, Connection{}, err
	}
	if !c.Type.HasTables() {
		return nil, Connection{}, errs.Userf(errs.Invalid, "connection %q is a %s connection: it has no tables to read", c.Name, c.Type.Display())
	}
	src, err := s.openSource(ctx, c.Fields, sec)
	if err != nil {
		return nil, Connection{}, s.failure(ctx, c, err, sec)
	}
	return src, c, nil
}

// OpenBucket opens a storage connection's bucket with its stored
// credentials, for the ETL runner; keys of interest start with the
// connection's Prefix. A disabled connection is errs.Invalid. The caller
// closes the bucket.
func (s *Service) OpenBucket(ctx context.Context, tenant, id string) (*blob.Bucket, Connection, error) {
	c, sec, err := s.openable(ctx, tenant, id)
	if err != nil {
		return nil, Connection{}, err
	}
	if !c.Type.IsStorage() {
		return nil, Connection{}, errs.E(errs.Invalid, "connection %q is a %s connection, not a bucket", c.Name, c.Type.Display())
	}
	b, err := s.openBucket(ctx, tenant, c.Fields, sec)
	if err != nil {
		return nil, Connection{}, s.failure(ctx, c, err, sec)
	}
	return b, c, nil
}

func (s *Service) openable(ctx context.Context, tenant, id string) (Connection, Secret, error) {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return Connection{}, Secret{}, err
	}
	if !c.Enabled {
		return Connection{}, Secret{}, errs.E(errs.Invalid, "connection %q is disabled", c.Name)
	}
	sec, err := s.secret(ctx, c)
	return c, sec, err
}
