package blobstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Signed upload URLs let a browser put a file straight into a bucket,
// without credentials of its own and without passing the bytes through the
// API (Cloud Functions and Cloud Run cap a request at 32 MiB).
//
// Only buckets whose driver signs (Driver.SignUpload) can issue them:
// Cloud Storage buckets whose URL names the signing identity (package
// gcsbucket).

// Defaults and limits of SignResumableUpload.
const (
	// DefaultUploadURLExpiry is how long a signed upload URL can start an
	// upload when SignedUploadOptions.Expiry is zero.
	DefaultUploadURLExpiry = 15 * time.Minute
	// MaxUploadURLExpiry is the longest expiry V4 signatures allow.
	MaxUploadURLExpiry = 7 * 24 * time.Hour
)

// Headers of a Cloud Storage XML API resumable upload start.
const (
	HeaderResumable          = "x-goog-resumable"
	HeaderContentLengthRange = "x-goog-content-length-range"
)

// SignedUploadOptions describe the object a signed upload URL may create.
type SignedUploadOptions struct {
	// ContentType becomes the object's content type; the client must send
	// exactly this Content-Type header. Empty means
	// "application/octet-stream".
	ContentType string
	// MaxBytes, when positive, is the largest object the upload may
	// create: the URL is signed with x-goog-content-length-range: 0,MaxBytes
	// and Cloud Storage refuses a larger upload.
	MaxBytes int64
	// Expiry is how long the URL can start an upload (DefaultUploadURLExpiry
	// when zero, at most MaxUploadURLExpiry). The session the start opens
	// lives on for up to a week, so a long upload is not cut off.
	Expiry time.Duration
}

// SignedUpload is what a client needs to upload one object without
// credentials: a resumable upload session is started with Method (POST) on
// URL, sending exactly Headers and an empty body; the answer (201) carries
// the session URI in its Location header, and the bytes go to that URI with
// PUT (in one request, or in chunks with Content-Range; a PUT with
// "Content-Range: bytes */SIZE" asks how much arrived, answered 308 with a
// Range header).
type SignedUpload struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Expires time.Time         `json:"expires"`
}

// SignResumableUpload returns a V4 signed URL that starts a resumable upload
// of key into b. key is checked with SafeKey and must name an object, not a
// folder. A bucket that cannot sign answers errs.Unsupported: only gs://
// buckets opened with access_id can.
func SignResumableUpload(ctx context.Context, b *blob.Bucket, key string, opts SignedUploadOptions) (*SignedUpload, error) {
	k, err := SafeKey(key)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(k, "/") {
		return nil, errs.E(errs.Invalid, "blobstore: %q names a folder, not an object", key)
	}
	expiry := opts.Expiry
	switch {
	case expiry == 0:
		expiry = DefaultUploadURLExpiry
	case expiry < time.Second || expiry > MaxUploadURLExpiry:
		return nil, errs.E(errs.Invalid, "blobstore: upload URL expiry %v is not between 1s and %v", opts.Expiry, MaxUploadURLExpiry)
	}
	if opts.MaxBytes < 0 {
		return nil, errs.E(errs.Invalid, "blobstore: negative upload size limit %d", opts.MaxBytes)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	headers := map[string]string{HeaderResumable: "start"}
	if opts.MaxBytes > 0 {
		headers[HeaderContentLengthRange] = fmt.Sprintf("0,%d", opts.MaxBytes)
	}
	req := UploadRequest{ContentType: ct, Headers: headers, Expiry: expiry}
	for _, d := range linked() {
		if d.SignUpload == nil {
			continue
		}
		if up, handled, err := d.SignUpload(ctx, b, k, req); handled {
			return up, err
		}
	}
	return nil, errs.E(errs.Unsupported, "blobstore: this bucket cannot issue signed upload URLs (only Cloud Storage gs:// buckets can)")
}
