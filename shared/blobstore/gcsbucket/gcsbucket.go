// Package gcsbucket is the Cloud Storage driver of the bucket port
// (shared/blobstore): gs:// URLs, buckets of saved GCS connections, object
// generations, reads pinned to a generation and signed upload URLs. The
// platform links it (shared/platform/drivers.go); nothing else imports it.
//
// URL: gs://bucket, opened by gcsblob. For an emulator pass
// ?endpoint=http://127.0.0.1:4443 or set STORAGE_EMULATOR_HOST; emulators
// (fake-gcs-server) answer the XML read path wrongly for object names that
// contain '/', so an emulator bucket is read with the JSON API
// (storage.WithJSONReads). access_id, private_key_path and iam_endpoint set
// the identity that signs upload URLs (see sign.go).
package gcsbucket

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// EmulatorHostEnv is the variable that points gs:// buckets at a GCS emulator
// (host:port or a full http URL).
const EmulatorHostEnv = "STORAGE_EMULATOR_HOST"

func init() {
	blobstore.Register(blobstore.Driver{
		Scheme:              gcsblob.Scheme,
		Open:                blobstore.Opener(open),
		Provider:            blobstore.ProviderGCS,
		OpenWithCredentials: openWithCredentials,
		Generation:          generation,
		PinRead:             pinRead,
		SignUpload:          signUpload,
	})
}

func open(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no bucket name", blobstore.Redact(u))
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	q.Del("endpoint")
	if endpoint == "" {
		endpoint = os.Getenv(EmulatorHostEnv)
	}
	sg, err := signing(u, q)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		// Real Cloud Storage: gocloud's opener with default credentials.
		gu := *u
		gu.RawQuery = q.Encode()
		if sg == nil {
			return blobstore.OpenWithGocloud(ctx, &gu)
		}
		return openSigner(ctx, &gu, sg)
	}
	if len(q) > 0 {
		return nil, errs.E(errs.Invalid, "blobstore: %s: only the endpoint and signing (access_id, private_key_path, iam_endpoint) parameters are supported with a GCS emulator", blobstore.Redact(u))
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	eu, err := url.Parse(endpoint)
	if err != nil || eu.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: bad emulator endpoint %q", blobstore.Redact(u), endpoint)
	}
	opts := &gcsblob.Options{ClientOptions: []option.ClientOption{
		option.WithEndpoint(strings.TrimSuffix(endpoint, "/") + "/storage/v1/"),
		option.WithoutAuthentication(),
		storage.WithJSONReads(),
	}}
	if sg != nil {
		sg.apply(opts)
	}
	b, err := gcsblob.OpenBucket(ctx, gcp.NewAnonymousHTTPClient(gcp.DefaultTransport()), u.Host, opts)
	if err != nil {
		return nil, blobstore.OpenError(u, err)
	}
	return b, nil
}

// openSigner opens a real Cloud Storage bucket with default credentials,
// like gocloud's own opener, but signing URLs as signer (gocloud's default
// signer on Cloud Functions passes a bare e-mail to signBlob, and an
// access_id in the URL would clear it).
func openSigner(ctx context.Context, u *url.URL, s *signer) (*blob.Bucket, error) {
	creds, err := gcp.DefaultCredentials(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "blobstore: %s: no Google default credentials", blobstore.Redact(u))
	}
	ts := gcp.CredentialsTokenSource(creds)
	client, err := gcp.NewHTTPClient(gcp.DefaultTransport(), ts)
	if err != nil {
		return nil, blobstore.OpenError(u, err)
	}
	o := &gcsblob.URLOpener{Client: client, TokenSource: ts}
	s.apply(&o.Options)
	b, err := o.OpenBucketURL(ctx, u)
	if err != nil {
		return nil, blobstore.OpenError(u, err)
	}
	return b, nil
}

// generation is the object generation Cloud Storage keeps (the same value
// its object.finalized event carries).
func generation(as func(any) bool) string {
	var oa storage.ObjectAttrs
	if as(&oa) && oa.Generation != 0 {
		return strconv.FormatInt(oa.Generation, 10)
	}
	return ""
}

// pinRead makes a read ask for exactly generation gen: a replaced one
// reads as not found.
func pinRead(as func(any) bool, gen string) (bool, error) {
	var h **storage.ObjectHandle
	if !as(&h) || h == nil || *h == nil {
		return false, nil
	}
	n, err := strconv.ParseInt(gen, 10, 64)
	if err != nil {
		return true, errs.E(errs.Invalid, "blobstore: generation %q is not a number", gen)
	}
	*h = (*h).Generation(n)
	return true, nil
}
