// Package blobstore is the bucket port of b2brecs. It does not define its own
// storage interface: buckets are gocloud.dev *blob.Bucket values, opened by URL.
// This package adds what the product needs around them: URL plumbing for local
// folders and emulators, error kinds, safe object keys and object URLs.
//
// Supported URLs (file:// and mem:// are built in; the others need their
// driver linked, see Driver):
//
//	file:///abs/dir, file://./rel/dir   a folder on disk (fileblob), created if missing;
//	                                    fileblob's query parameters (no_tmp_dir, metadata,
//	                                    dir_file_mode, ...) are accepted
//	mem://                              an in-memory bucket (memblob), new on every Open
//	gs://bucket                         Cloud Storage (package gcsbucket)
//	s3://bucket                         S3 (package s3bucket)
//	azblob://container                  Azure Blob (package azurebucket)
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

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
)

// Opener opens a bucket from a URL.
type Opener = registry.Opener[*blob.Bucket]

// newOpeners returns the scheme registry with the built-in drivers.
func newOpeners() *registry.Registry[*blob.Bucket] {
	r := registry.New[*blob.Bucket]("blobstore")
	r.Register("file", Opener(openFile))
	r.Register("mem", Opener(openMem))
	return r
}

// Open opens the bucket named by rawURL. The caller must Close it.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	return openers.Open(ctx, rawURL)
}

func openFile(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	p := registry.LocalPath(u)
	if p == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no directory in file URL", Redact(u))
	}
	abs, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "blobstore: %s: resolve directory", Redact(u))
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, errs.E(errs.Invalid, "blobstore: %s: %s is not a directory", Redact(u), abs)
	}
	// Hand the absolute path to fileblob's own URL opener, so that its query
	// parameters keep working.
	fu := &url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: u.RawQuery}
	o := &fileblob.URLOpener{Options: fileblob.Options{CreateDir: true}}
	b, err := o.OpenBucketURL(ctx, fu)
	if err != nil {
		return nil, OpenError(u, err)
	}
	return b, nil
}

func openMem(_ context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.RawQuery != "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: mem:// takes no query parameters", Redact(u))
	}
	return memblob.OpenBucket(nil), nil
}

// OpenWithGocloud opens u with gocloud's URL opener for its scheme, for a
// driver that links that opener (gocloud's s3blob, azureblob, gcsblob) and
// needs nothing of its own: the URL must name a bucket.
func OpenWithGocloud(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.Host == "" {
		return nil, errs.E(errs.Invalid, "blobstore: %s: no bucket name", Redact(u))
	}
	b, err := blob.DefaultURLMux().OpenBucketURL(ctx, u)
	if err != nil {
		return nil, OpenError(u, err)
	}
	return b, nil
}

// OpenError gives an error from a gocloud opener a kind, for drivers:
// opening does not talk to the service, so what fails is the URL or the
// local set-up (Invalid, or Permission for a file system refusal).
func OpenError(u *url.URL, err error) error {
	kind := errs.Invalid
	switch {
	case errors.Is(err, fs.ErrPermission):
		kind = errs.Permission
	case errs.KindOf(err) != errs.Unknown:
		kind = errs.KindOf(err)
	}
	return errs.Wrap(kind, err, "blobstore: open %s", Redact(u))
}

// Redact returns the URL without user info, for messages.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
