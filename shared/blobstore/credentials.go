package blobstore

import (
	"context"
	"errors"
	"net"
	"net/http"

	"gocloud.dev/blob"
	"google.golang.org/api/googleapi"

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

// RoundTripper is c.Transport, or http.DefaultTransport when it is nil.
func (c Credentials) RoundTripper() http.RoundTripper {
	if c.Transport == nil {
		return http.DefaultTransport
	}
	return c.Transport
}

// OpenWithCredentials opens the bucket c names with c's own credentials,
// every request dialled through c.Transport, through the driver linked for
// c.Provider. Errors never contain a secret. The caller closes the bucket.
func OpenWithCredentials(ctx context.Context, c Credentials) (*blob.Bucket, error) {
	for _, d := range linked() {
		if d.Provider == c.Provider && d.OpenWithCredentials != nil {
			return d.OpenWithCredentials(ctx, c)
		}
	}
	return nil, errs.E(errs.Unsupported, "blobstore: no driver linked for storage provider %q", c.Provider)
}

// ErrorKind classifies a bucket error: KindOf, then the linked drivers'
// own errors, then the HTTP status of the service's response (errors that
// gocloud leaves as Unknown), then network failures.
func ErrorKind(err error) errs.Kind {
	k := KindOf(err)
	if k != errs.Unknown {
		return k
	}
	for _, d := range linked() {
		if d.ErrorKind == nil {
			continue
		}
		if k := d.ErrorKind(err); k != errs.Unknown {
			return k
		}
	}
	status := 0
	var httpErr interface{ HTTPStatusCode() int }
	var gErr *googleapi.Error
	switch {
	case errors.As(err, &httpErr):
		status = httpErr.HTTPStatusCode()
	case errors.As(err, &gErr):
		status = gErr.Code
	}
	if k := StatusKind(status); k != errs.Unknown {
		return k
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return errs.Transient
	}
	return errs.Unknown
}

// StatusKind is the kind of a storage service's HTTP status: Unknown for
// one that says nothing (0, 2xx, other 4xx).
func StatusKind(status int) errs.Kind {
	switch {
	case status == http.StatusUnauthorized:
		return errs.Unauthenticated
	case status == http.StatusForbidden:
		return errs.Permission
	case status == http.StatusNotFound:
		return errs.NotFound
	case status == http.StatusTooManyRequests || status >= 500:
		return errs.Transient
	}
	return errs.Unknown
}
