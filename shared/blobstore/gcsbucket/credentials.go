package gcsbucket

import (
	"context"
	"net/http"
	"strings"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

const (
	gcsReadScope = "https://www.googleapis.com/auth/devstorage.read_only"
	gcsEndpoint  = "https://storage.googleapis.com/storage/v1/"
)

// openWithCredentials opens a saved connection's Cloud Storage bucket:
// with the service account (its token exchange dialled through
// c.Transport too), anonymously at c.Endpoint, or with the server's
// default credentials at Google's endpoint. The endpoint is always
// explicit, so STORAGE_EMULATOR_HOST cannot redirect it.
func openWithCredentials(ctx context.Context, c blobstore.Credentials) (*blob.Bucket, error) {
	tr := c.RoundTripper()
	plain := &http.Client{Transport: tr}
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
