// Package blobstore is the bucket port of b2brecs. It does not define its own
// storage interface: buckets are gocloud.dev *blob.Bucket values, opened by URL.
// This package adds what the product needs around them: URL plumbing for local
// folders and emulators, error kinds, safe object keys and object URLs.
//
// Supported URLs:
//
//	file:///abs/dir, file://./rel/dir   a folder on disk (fileblob), created if missing;
//	                                    fileblob's query parameters (no_tmp_dir, metadata,
//	                                    dir_file_mode, ...) are accepted
//	mem://                              an in-memory bucket (memblob), new on every Open
//	gs://bucket                         Cloud Storage (gcsblob); for an emulator pass
//	                                    ?endpoint=http://127.0.0.1:4443 or set
//	                                    STORAGE_EMULATOR_HOST; emulators are always
//	                                    read with the JSON API (see below);
//	                                    access_id, private_key_path and
//	                                    iam_endpoint set the identity that
//	                                    signs upload URLs (upload.go)
//	s3://bucket                         S3 (s3blob) with gocloud's parameters: region,
//	                                    endpoint, use_path_style, disable_https,
//	                                    request_checksum_calculation, anonymous, profile ...
//	azblob://container                  Azure Blob (azureblob) with gocloud's parameters
//	                                    (domain, protocol, localemu, storage_account) and
//	                                    environment (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY,
//	                                    AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_DOMAIN,
//	                                    AZURE_STORAGE_PROTOCOL, AZURE_STORAGE_IS_LOCAL_EMULATOR).
//	                                    gocloud reads that environment once per process, on
//	                                    the first azblob:// Open.
//
// For Azurite: azblob://container?protocol=http&domain=127.0.0.1:10000 with
// AZURE_STORAGE_ACCOUNT=devstoreaccount1 and AZURE_STORAGE_KEY set to its
// well-known key.
//
// GCS emulators (fake-gcs-server) answer the XML read path wrongly for object
// names that contain '/', so an emulator bucket is opened with a storage client
// built with storage.WithJSONReads().
//
// Operations on the returned bucket return gocloud errors; pass them through
// Wrap (or use ReadAll / WriteAll here) to give them an errs kind.
package blobstore

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcp"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
)

// Opener opens a bucket from a URL.
type Opener = registry.Opener[*blob.Bucket]

var openers = registry.New[*blob.Bucket]("blobstore")

func init() {
	openers.Register("file", Opener(openFile))
	openers.Register("mem", Opener(openMem))
	openers.Register(gcsblob.Scheme, Opener(openGCS))
	openers.Register(s3blob.Scheme, Opener(openWithGocloud))
	openers.Register(azureblob.Scheme, Opener(openWithGocloud))
}

// Register makes another bucket driver available under a URL scheme. Call it
// from init.
func Register(scheme string, o Opener) { openers.Register(scheme, o) }

// Open opens the bucket named by rawURL. The caller must Close it.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	return openers.Open(ctx, rawURL)
}

// EmulatorHostEnv is the variable that points gs:// buckets at a GCS emulator
// (host:port or a full http URL).
const EmulatorHostEnv = "STORAGE_EMULATOR_HOST"

func openFile(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	p := registry.LocalPath(u)
	if p == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no directory in file URL", redact(u))
	}
	abs, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "blobstore: %s: resolve directory", redact(u))
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, errs.E(errs.Invalid, "blobstore: %s: %s is not a directory", redact(u), abs)
	}
	// Hand the absolute path to fileblob's own URL opener, so that its query
	// parameters keep working.
	fu := &url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: u.RawQuery}
	o := &fileblob.URLOpener{Options: fileblob.Options{CreateDir: true}}
	b, err := o.OpenBucketURL(ctx, fu)
	if err != nil {
		return nil, openErr(u, err)
	}
	return b, nil
}

func openMem(_ context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.RawQuery != "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: mem:// takes no query parameters", redact(u))
	}
	return memblob.OpenBucket(nil), nil
}

func openGCS(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no bucket name", redact(u))
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	q.Del("endpoint")
	if endpoint == "" {
		endpoint = os.Getenv(EmulatorHostEnv)
	}
	signer, err := gcsSigning(u, q)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		// Real Cloud Storage: gocloud's opener with default credentials.
		gu := *u
		gu.RawQuery = q.Encode()
		if signer == nil {
			return openWithGocloud(ctx, &gu)
		}
		return openGCSSigner(ctx, &gu, signer)
	}
	if len(q) > 0 {
		return nil, errs.E(errs.Invalid, "blobstore: %s: only the endpoint and signing (access_id, private_key_path, iam_endpoint) parameters are supported with a GCS emulator", redact(u))
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	eu, err := url.Parse(endpoint)
	if err != nil || eu.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: bad emulator endpoint %q", redact(u), endpoint)
	}
	opts := &gcsblob.Options{ClientOptions: []option.ClientOption{
		option.WithEndpoint(strings.TrimSuffix(endpoint, "/") + "/storage/v1/"),
		option.WithoutAuthentication(),
		storage.WithJSONReads(),
	}}
	if signer != nil {
		signer.apply(opts)
	}
	b, err := gcsblob.OpenBucket(ctx, gcp.NewAnonymousHTTPClient(gcp.DefaultTransport()), u.Host, opts)
	if err != nil {
		return nil, openErr(u, err)
	}
	return b, nil
}

// openGCSSigner opens a real Cloud Storage bucket with default credentials,
// like gocloud's own opener, but signing URLs as signer (gocloud's default
// signer on Cloud Functions passes a bare e-mail to signBlob, and an
// access_id in the URL would clear it).
func openGCSSigner(ctx context.Context, u *url.URL, signer *gcsSigner) (*blob.Bucket, error) {
	creds, err := gcp.DefaultCredentials(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "blobstore: %s: no Google default credentials", redact(u))
	}
	ts := gcp.CredentialsTokenSource(creds)
	client, err := gcp.NewHTTPClient(gcp.DefaultTransport(), ts)
	if err != nil {
		return nil, openErr(u, err)
	}
	o := &gcsblob.URLOpener{Client: client, TokenSource: ts}
	signer.apply(&o.Options)
	b, err := o.OpenBucketURL(ctx, u)
	if err != nil {
		return nil, openErr(u, err)
	}
	return b, nil
}

func openWithGocloud(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no bucket name", redact(u))
	}
	b, err := blob.DefaultURLMux().OpenBucketURL(ctx, u)
	if err != nil {
		return nil, openErr(u, err)
	}
	return b, nil
}

// openErr gives an error from a gocloud opener a kind: opening does not talk
// to the service, so what fails is the URL or the local set-up.
func openErr(u *url.URL, err error) error {
	kind := errs.Invalid
	switch {
	case errors.Is(err, fs.ErrPermission):
		kind = errs.Permission
	case errs.KindOf(err) != errs.Unknown:
		kind = errs.KindOf(err)
	}
	return errs.Wrap(kind, err, "blobstore: open %s", redact(u))
}

// redact returns the URL without user info, for messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
