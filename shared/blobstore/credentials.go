package blobstore

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

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Providers OpenWithCredentials opens.
const (
	ProviderGCS   = "gcs"
	ProviderS3    = "s3"
	ProviderAzure = "azure_blob"
)

// Credentials name a bucket that belongs to someone else (a tenant's saved
// connection) and how to reach it. Nothing comes from the server's
// environment (no proxy, no STORAGE_EMULATOR_HOST, no AWS or Azure
// variables), except Google's default credentials for a GCS bucket without
// a service account at Google's own endpoint.
type Credentials struct {
	Provider string // ProviderGCS, ProviderS3 or ProviderAzure
	Bucket   string // bucket or container name
	// Endpoint is an emulator or S3-compatible service; empty for the
	// provider's own.
	Endpoint string
	Region   string // S3
	// S3: anonymous when AccessKeyID is empty.
	AccessKeyID, SecretAccessKey string
	// Azure: a shared key when AccountKey is set, else the SAS token.
	Account, AccountKey, SASToken string
	// GCS: a service account key. Without one, the server's default
	// credentials at Google's endpoint, anonymous at Endpoint.
	ServiceAccountJSON string
	// Transport dials every request (the outbound policy); nil is
	// http.DefaultTransport.
	Transport http.RoundTripper
}

const (
	gcsReadScope = "https://www.googleapis.com/auth/devstorage.read_only"
	gcsEndpoint  = "https://storage.googleapis.com/storage/v1/"
)

// OpenWithCredentials opens the bucket c names with c's own credentials,
// every request dialled through c.Transport. Errors never contain a
// secret. The caller closes the bucket.
func OpenWithCredentials(ctx context.Context, c Credentials) (*blob.Bucket, error) {
	tr := c.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	hc := &http.Client{Transport: tr}
	switch c.Provider {
	case ProviderGCS:
		return openGCSWithCredentials(ctx, c, tr, hc)
	case ProviderS3:
		cfg := aws.Config{Region: c.Region, HTTPClient: hc}
		if c.AccessKeyID != "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
		} else {
			cfg.Credentials = aws.AnonymousCredentials{}
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			if c.Endpoint != "" {
				o.BaseEndpoint = aws.String(c.Endpoint)
				o.UsePathStyle = true
			}
		})
		return s3blob.OpenBucket(ctx, client, c.Bucket, nil)
	case ProviderAzure:
		endpoint := c.Endpoint
		if endpoint == "" {
			endpoint = "https://" + c.Account + ".blob.core.windows.net"
		}
		cu := strings.TrimRight(endpoint, "/") + "/" + url.PathEscape(c.Bucket)
		opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: hc}}
		var client *container.Client
		var err error
		if c.AccountKey != "" {
			cred, cerr := container.NewSharedKeyCredential(c.Account, c.AccountKey)
			if cerr != nil {
				return nil, errs.E(errs.Invalid, "the Azure account key is not valid base64")
			}
			client, err = container.NewClientWithSharedKeyCredential(cu, cred, opts)
		} else {
			client, err = container.NewClientWithNoCredential(cu+"?"+strings.TrimPrefix(c.SASToken, "?"), opts)
		}
		if err != nil {
			return nil, errs.E(errs.Invalid, "the Azure container URL or SAS token is not valid")
		}
		return azureblob.OpenBucket(ctx, client, nil)
	}
	return nil, errs.E(errs.Unsupported, "blobstore: %q is not a storage provider", c.Provider)
}

// openGCSWithCredentials opens a Cloud Storage bucket: with the service
// account (its token exchange dialled through tr too), anonymously at the
// given endpoint, or with the server's default credentials at Google's
// endpoint. The endpoint is always explicit, so STORAGE_EMULATOR_HOST
// cannot redirect it.
func openGCSWithCredentials(ctx context.Context, c Credentials, tr http.RoundTripper, plain *http.Client) (*blob.Bucket, error) {
	endpoint := gcsEndpoint
	if c.Endpoint != "" {
		endpoint = strings.TrimSuffix(c.Endpoint, "/") + "/storage/v1/"
	}
	var hc *http.Client
	switch {
	case c.ServiceAccountJSON != "":
		tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, plain)
		creds, err := google.CredentialsFromJSONWithType(tctx, []byte(c.ServiceAccountJSON), google.ServiceAccount, gcsReadScope)
		if err != nil {
			return nil, errs.E(errs.Invalid, "the service account JSON is not a usable service account key")
		}
		gc, err := gcp.NewHTTPClient(tr, gcp.CredentialsTokenSource(creds))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
		}
		hc = &gc.Client
	case c.Endpoint != "":
		hc = plain
	default:
		creds, err := gcp.DefaultCredentials(ctx)
		if err != nil {
			return nil, errs.Wrap(errs.Unauthenticated, err, "this server has no Google credentials: give the connection a service account key")
		}
		gc, err := gcp.NewHTTPClient(tr, gcp.CredentialsTokenSource(creds))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
		}
		hc = &gc.Client
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc), option.WithEndpoint(endpoint)}
	if c.Endpoint != "" {
		// Emulators (fake-gcs-server) answer the XML read path wrongly.
		opts = append(opts, storage.WithJSONReads())
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "cloud storage client")
	}
	b, err := gcsblob.OpenBucket(ctx, nil, c.Bucket, &gcsblob.Options{Client: client})
	if err != nil {
		client.Close()
		return nil, errs.Wrap(errs.Invalid, err, "cloud storage bucket")
	}
	return b, nil
}

// ErrorKind classifies a bucket error: KindOf, then the HTTP status of the
// service's response (Azure and S3 errors that gocloud leaves as Unknown),
// then network failures.
func ErrorKind(err error) errs.Kind {
	k := KindOf(err)
	if k != errs.Unknown {
		return k
	}
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
		return errs.Unauthenticated
	case status == http.StatusForbidden:
		return errs.Permission
	case status == http.StatusNotFound:
		return errs.NotFound
	case status == http.StatusTooManyRequests || status >= 500:
		return errs.Transient
	case errors.As(err, &netErr):
		return errs.Transient
	}
	return errs.Unknown
}
