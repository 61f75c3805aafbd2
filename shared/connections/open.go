package connections

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// sourceConnection is the shared/sources connection of a database
// connection, password included, dialling through the outbound policy:
// hand it only to a driver.
func (s *Service) sourceConnection(f Fields, sec Secret) sources.Connection {
	return sources.Connection{
		Host: f.Host, Port: f.Port, Database: f.Database, Schema: f.Schema, Username: f.Username,
		Password: sec.Password, SSLMode: f.SSLMode, ConnectTimeout: s.opts.TestTimeout, Egress: s.opts.Egress,
	}
}

// scheme is the shared/sources scheme of a database type.
func scheme(t Type) string {
	if t == Postgres {
		return "postgres"
	}
	return "mysql"
}

func (s *Service) openSource(ctx context.Context, f Fields, sec Secret) (*sources.Source, error) {
	return sources.OpenConnection(ctx, scheme(f.Type), s.sourceConnection(f, sec))
}

const (
	gcsReadScope = "https://www.googleapis.com/auth/devstorage.read_only"
	gcsEndpoint  = "https://storage.googleapis.com/storage/v1/"
)

// openBucket opens a storage connection's bucket with its own credentials,
// every request dialled through the outbound policy (s.http): nothing from
// the server's environment (no proxy, no STORAGE_EMULATOR_HOST, no AWS or
// Azure variables). Cloud Storage without a service account uses the
// server's default credentials, and only towards Google's endpoint: a
// connection with its own endpoint (an emulator) is anonymous. Local
// folders are read through the tenant's import folders. Errors never
// contain a secret.
func (s *Service) openBucket(ctx context.Context, tenant string, f Fields, sec Secret) (*blob.Bucket, error) {
	if strings.HasPrefix(f.BucketURL, "file:") {
		return openFolder(f.BucketURL, s.tenantRoots(tenant))
	}
	name := bucketName(f)
	switch f.Type {
	case GCS:
		return s.openGCS(ctx, f, sec, name)
	case S3:
		cfg := aws.Config{Region: f.Region, HTTPClient: s.http}
		if f.AccessKeyID != "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider(f.AccessKeyID, sec.AWSSecretAccessKey, "")
		} else {
			cfg.Credentials = aws.AnonymousCredentials{}
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			if f.Endpoint != "" {
				o.BaseEndpoint = aws.String(f.Endpoint)
				o.UsePathStyle = true
			}
		})
		return s3blob.OpenBucket(ctx, client, name, nil)
	case AzureBlob:
		endpoint := f.Endpoint
		if endpoint == "" {
			endpoint = "https://" + f.Account + ".blob.core.windows.net"
		}
		cu := strings.TrimRight(endpoint, "/") + "/" + url.PathEscape(name)
		opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.http}}
		var client *container.Client
		var err error
		if sec.AzureAccountKey != "" {
			cred, cerr := container.NewSharedKeyCredential(f.Account, sec.AzureAccountKey)
			if cerr != nil {
				return nil, errs.E(errs.Invalid, "the Azure account key is not valid base64")
			}
			client, err = container.NewClientWithSharedKeyCredential(cu, cred, opts)
		} else {
			client, err = container.NewClientWithNoCredential(cu+"?"+strings.TrimPrefix(sec.AzureSASToken, "?"), opts)
		}
		if err != nil {
			return nil, errs.E(errs.Invalid, "the Azure container URL or SAS token is not valid")
		}
		return azureblob.OpenBucket(ctx, client, nil)
	}
	return nil, errs.E(errs.Unsupported, "connection: %s is not a storage type", f.Type)
}

// openGCS opens a Cloud Storage bucket: with the connection's service
// account (its token exchange dialled through the policy too), anonymously
// at the connection's own endpoint, or with the server's default
// credentials at Google's endpoint. The endpoint is always explicit, so
// STORAGE_EMULATOR_HOST cannot redirect a connection.
func (s *Service) openGCS(ctx context.Context, f Fields, sec Secret, name string) (*blob.Bucket, error) {
	endpoint := gcsEndpoint
	if f.Endpoint != "" {
		endpoint = strings.TrimSuffix(f.Endpoint, "/") + "/storage/v1/"
	}
	var hc *http.Client
	switch {
	case sec.ServiceAccountJSON != "":
		tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, s.http)
		creds, err := google.CredentialsFromJSONWithType(tctx, []byte(sec.ServiceAccountJSON), google.ServiceAccount, gcsReadScope)
		if err != nil {
			return nil, errs.E(errs.Invalid, "the service account JSON is not a usable service account key")
		}
		gc, err := gcp.NewHTTPClient(s.transport, gcp.CredentialsTokenSource(creds))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
		}
		hc = &gc.Client
	case f.Endpoint != "":
		hc = s.http
	default:
		creds, err := gcp.DefaultCredentials(ctx)
		if err != nil {
			return nil, errs.Wrap(errs.Unauthenticated, err, "this server has no Google credentials: give the connection a service account key")
		}
		gc, err := gcp.NewHTTPClient(s.transport, gcp.CredentialsTokenSource(creds))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
		}
		hc = &gc.Client
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc), option.WithEndpoint(endpoint)}
	if f.Endpoint != "" {
		// Emulators (fake-gcs-server) answer the XML read path wrongly.
		opts = append(opts, storage.WithJSONReads())
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
	}
	b, err := gcsblob.OpenBucket(ctx, nil, name, &gcsblob.Options{Client: client})
	if err != nil {
		client.Close()
		return nil, errs.Wrap(errs.Invalid, err, "cloud storage bucket")
	}
	return b, nil
}

// storageErr gives a bucket error its kind: blobstore's classification,
// then the HTTP status of the service's response (Azure and S3 errors that
// gocloud leaves as Unknown), then network failures.
func storageErr(err error, op string) error {
	if d, ok := egress.AsDenied(err); ok {
		return errs.Wrap(errs.Permission, err, "%s", d.Error())
	}
	k := blobstore.KindOf(err)
	if k == errs.Unknown {
		status := 0
		var azErr *azcore.ResponseError
		var httpErr interface{ HTTPStatusCode() int }
		var gErr *googleapi.Error
		switch {
		case errors.As(err, &azErr):
			status = azErr.StatusCode
		case errors.As(err, &httpErr):
			status = httpErr.HTTPStatusCode()
		case errors.As(err, &gErr):
			status = gErr.Code
		}
		var netErr net.Error
		switch {
		case status == http.StatusUnauthorized:
			k = errs.Unauthenticated
		case status == http.StatusForbidden:
			k = errs.Permission
		case status == http.StatusNotFound:
			k = errs.NotFound
		case status == http.StatusTooManyRequests || status >= 500:
			k = errs.Transient
		case errors.As(err, &netErr):
			k = errs.Transient
		}
	}
	return errs.Wrap(k, err, "%s", op)
}

// OpenSource opens a database connection's driver with its stored
// credentials, for the ETL runner (which never sees the secret). A
// disabled connection is errs.Invalid. The caller closes the source.
func (s *Service) OpenSource(ctx context.Context, tenant, id string) (*sources.Source, Connection, error) {
	c, sec, err := s.openable(ctx, tenant, id)
	if err != nil {
		return nil, Connection{}, err
	}
	if !c.Type.IsDatabase() {
		return nil, Connection{}, errs.E(errs.Invalid, "connection %q is a %s connection, not a database", c.Name, c.Type.Display())
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
	if err := unsupported(c.Type); err != nil {
		return Connection{}, Secret{}, err
	}
	if !c.Enabled {
		return Connection{}, Secret{}, errs.E(errs.Invalid, "connection %q is disabled", c.Name)
	}
	sec, err := s.secret(ctx, c)
	return c, sec, err
}
