package blobstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// A Driver is a bucket service linked into the program: what this package
// needs from it beyond gocloud's *blob.Bucket. Cloud drivers live in
// subpackages (gcsbucket, s3bucket, azurebucket) that register one from
// init; the platform links them (shared/platform/drivers.go), so this
// package and the domain packages that import it link no cloud SDK.
// Folders (file://) and memory (mem://) are built in.
//
// Every field but Scheme and Open is optional.
type Driver struct {
	// Scheme is the URL scheme Open dispatches to Open ("gs").
	Scheme string
	Open   Opener

	// Provider is the name OpenWithCredentials dispatches to
	// OpenWithCredentials (ProviderGCS, ...), for the customer buckets of
	// saved connections.
	Provider            string
	OpenWithCredentials func(context.Context, Credentials) (*blob.Bucket, error)

	// ErrorKind classifies the service's own errors that gocloud leaves
	// without a portable code; Unknown when err is not one of them.
	ErrorKind func(err error) errs.Kind

	// Generation returns the native generation of an object whose driver
	// types As reaches (blob.Attributes.As, blob.ListObject.As); "" when
	// the object is not this driver's or has none.
	Generation func(as func(any) bool) string

	// PinRead pins a read to generation gen, given the reader's As (see
	// blob.ReaderOptions.BeforeRead). handled is false when the reader is
	// not this driver's.
	PinRead func(as func(any) bool, gen string) (handled bool, err error)

	// SignUpload signs the start of a resumable upload of key into b (see
	// SignResumableUpload, which checks the request). handled is false
	// when b is not this driver's bucket.
	SignUpload func(ctx context.Context, b *blob.Bucket, key string, req UploadRequest) (up *SignedUpload, handled bool, err error)
}

// UploadRequest is what a driver signs for SignResumableUpload: the start
// request of a resumable upload, already checked.
type UploadRequest struct {
	ContentType string
	// Headers the client must send besides Content-Type
	// (HeaderResumable, HeaderContentLengthRange).
	Headers map[string]string
	// Expiry is how long the URL can start the upload.
	Expiry time.Duration
}

var (
	openers = newOpeners()

	driversMu sync.RWMutex
	drivers   []Driver
)

// Register links a bucket driver: Open opens its scheme, and the rest of
// this package asks it about its buckets. Call it from init. A scheme or
// provider registered twice panics, as in every port's registry.
func Register(d Driver) {
	if d.Open == nil {
		panic(fmt.Sprintf("blobstore: driver %q has no opener", d.Scheme))
	}
	driversMu.Lock()
	defer driversMu.Unlock()
	for _, o := range drivers {
		if d.Provider != "" && o.Provider == d.Provider {
			panic(fmt.Sprintf("blobstore: provider %q registered twice", d.Provider))
		}
	}
	openers.Register(d.Scheme, d.Open)
	drivers = append(drivers, d)
}

// linked returns the registered drivers.
func linked() []Driver {
	driversMu.RLock()
	defer driversMu.RUnlock()
	return drivers
}
