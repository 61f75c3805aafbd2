package gcsbucket

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	credentials "cloud.google.com/go/iam/credentials/apiv1"
	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/errs/grpcerr"
)

// A gs:// bucket signs upload URLs (blobstore.SignResumableUpload) only
// when its URL names the identity that signs:
//
//	access_id=EMAIL          the service account whose key signs the URLs;
//	                         without private_key_path the signature comes from
//	                         the IAM Credentials API (signBlob), so no key
//	                         file is needed: the caller's credentials (on
//	                         Cloud Functions, the function's service account)
//	                         need iam.serviceAccounts.signBlob on EMAIL
//	                         (roles/iam.serviceAccountTokenCreator)
//	private_key_path=FILE    sign with this PEM RSA key of EMAIL instead
//	                         (tests, or a deployment with a key file)
//	iam_endpoint=HOST:PORT   a test IAM Credentials server (plaintext gRPC,
//	                         no auth) instead of iamcredentials.googleapis.com

// signUpload signs a V4 URL that starts a resumable upload of key into b.
func signUpload(ctx context.Context, b *blob.Bucket, k string, req blobstore.UploadRequest) (*blobstore.SignedUpload, bool, error) {
	var probe *storage.Client
	if !b.As(&probe) {
		return nil, false, nil
	}
	// X-Goog-Expires counts whole seconds from the signing time the
	// library takes a moment later: half a second of slack keeps it at
	// expiry. The expiry reported is read back from the signed URL.
	expires := time.Now().Add(req.Expiry + 500*time.Millisecond)
	// gocloud signs GET, PUT and DELETE only; a resumable start is a POST,
	// so the request is described as a PUT (which allows a content type)
	// and turned into the start request just before signing.
	u, err := b.SignedURL(ctx, k, &blob.SignedURLOptions{
		Method:      http.MethodPut,
		ContentType: req.ContentType,
		Expiry:      req.Expiry,
		BeforeSign: func(as func(any) bool) error {
			var so *storage.SignedURLOptions
			if !as(&so) {
				return errs.E(errs.Unsupported, "blobstore: the bucket driver does not expose Cloud Storage signing options")
			}
			so.Method = http.MethodPost
			so.Scheme = storage.SigningSchemeV4
			so.Expires = expires
			for name, v := range req.Headers {
				so.Headers = append(so.Headers, name+":"+v)
			}
			return nil
		},
	})
	if err != nil {
		if gcerrors.Code(err) == gcerrors.Unimplemented {
			return nil, true, errs.Wrap(errs.Unsupported, err, "blobstore: this gs:// bucket has no signing identity: add access_id=SERVICE_ACCOUNT_EMAIL to its URL")
		}
		return nil, true, blobstore.Wrap(err, "blobstore: sign an upload URL for %q", k)
	}
	until, err := signedUntil(u)
	if err != nil {
		return nil, true, err
	}
	headers := map[string]string{"content-type": req.ContentType}
	for name, v := range req.Headers {
		headers[name] = v
	}
	return &blobstore.SignedUpload{Method: http.MethodPost, URL: u, Headers: headers, Expires: until}, true, nil
}

// signedUntil is the end of a V4 signed URL's validity: X-Goog-Date plus
// X-Goog-Expires seconds.
func signedUntil(rawURL string) (time.Time, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}, errs.Wrap(errs.Unknown, err, "blobstore: parse the signed URL")
	}
	q := u.Query()
	at, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err != nil {
		return time.Time{}, errs.Wrap(errs.Unknown, err, "blobstore: signed URL without a valid X-Goog-Date")
	}
	secs, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil {
		return time.Time{}, errs.Wrap(errs.Unknown, err, "blobstore: signed URL without a valid X-Goog-Expires")
	}
	return at.Add(time.Duration(secs) * time.Second), nil
}

// signer is the signing identity of a gs:// bucket (access_id and
// friends in its URL).
type signer struct {
	accessID string
	key      *rsa.PrivateKey       // private_key_path
	iamOpts  []option.ClientOption // IAM Credentials API client options
}

// signing takes the signing parameters out of q. It returns nil when the
// URL names no signer.
func signing(u *url.URL, q url.Values) (*signer, error) {
	id, keyPath, iamEP := q.Get("access_id"), q.Get("private_key_path"), q.Get("iam_endpoint")
	if id == "-" { // gocloud's "anonymous client": left to gocloud
		return nil, nil
	}
	q.Del("access_id")
	q.Del("private_key_path")
	q.Del("iam_endpoint")
	if id == "" {
		if keyPath != "" || iamEP != "" {
			return nil, errs.E(errs.Invalid, "blobstore: %s: private_key_path and iam_endpoint need access_id (the signing service account)", blobstore.Redact(u))
		}
		return nil, nil
	}
	s := &signer{accessID: id}
	switch {
	case keyPath != "" && iamEP != "":
		return nil, errs.E(errs.Invalid, "blobstore: %s: set private_key_path or iam_endpoint, not both", blobstore.Redact(u))
	case keyPath != "":
		k, err := readRSAKey(keyPath)
		if err != nil {
			return nil, fmt.Errorf("blobstore: %s: private_key_path: %w", blobstore.Redact(u), err)
		}
		s.key = k
	case iamEP != "":
		s.iamOpts = []option.ClientOption{
			option.WithEndpoint(iamEP),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		}
	}
	return s, nil
}

// apply makes opts sign as s.
func (s *signer) apply(opts *gcsblob.Options) {
	opts.GoogleAccessID = s.accessID
	opts.MakeSignBytes = s.makeSignBytes
}

func (s *signer) makeSignBytes(ctx context.Context) gcsblob.SignBytesFunc {
	if s.key != nil {
		return func(p []byte) ([]byte, error) {
			sum := sha256.Sum256(p)
			return rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
		}
	}
	return func(p []byte) ([]byte, error) { return s.signBlob(ctx, p) }
}

// signBlob signs p with the service account's Google-managed key. A client
// per call: signing happens once per upload ticket, and a bucket has no
// hook to close a long-lived client.
func (s *signer) signBlob(ctx context.Context, p []byte) ([]byte, error) {
	c, err := credentials.NewIamCredentialsClient(ctx, s.iamOpts...)
	if err != nil {
		return nil, grpcerr.Wrap(err, "blobstore: IAM credentials client")
	}
	defer c.Close()
	resp, err := c.SignBlob(ctx, &credentialspb.SignBlobRequest{
		Name:    "projects/-/serviceAccounts/" + s.accessID,
		Payload: p,
	})
	if err != nil {
		return nil, grpcerr.Wrap(err, "blobstore: sign as %s with the IAM Credentials API (the caller needs iam.serviceAccounts.signBlob on it)", s.accessID)
	}
	return resp.GetSignedBlob(), nil
}

// readRSAKey reads a PEM RSA private key (PKCS #8 or PKCS #1).
func readRSAKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		kind := errs.Invalid
		if errors.Is(err, fs.ErrPermission) {
			kind = errs.Permission
		}
		return nil, errs.Wrap(kind, err, "read key")
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errs.E(errs.Invalid, "%s holds no PEM block", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errs.E(errs.Invalid, "%s: the key is not an RSA key", path)
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "%s: not a PKCS #8 or PKCS #1 RSA private key", path)
	}
	return k, nil
}
