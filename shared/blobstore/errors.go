package blobstore

import (
	"context"
	"errors"
	"syscall"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// KindOf classifies an error returned by a *blob.Bucket (or by this package)
// as an errs kind, using gocloud's portable error codes.
func KindOf(err error) errs.Kind {
	if err == nil {
		return errs.Unknown
	}
	if k := errs.KindOf(err); k != errs.Unknown {
		return k
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return errs.NotFound
	case gcerrors.InvalidArgument:
		return errs.Invalid
	case gcerrors.PermissionDenied:
		return errs.Permission
	case gcerrors.AlreadyExists, gcerrors.FailedPrecondition:
		return errs.Conflict
	case gcerrors.Unimplemented:
		return errs.Unsupported
	case gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded, gcerrors.Internal:
		return errs.Transient
	}
	// fileblob reports a key under an existing object ("a.csv/b") as an
	// unknown error from stat; there is no such object.
	if errors.Is(err, syscall.ENOTDIR) {
		return errs.NotFound
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	return errs.Unknown
}

// Wrap gives a bucket error its kind (see KindOf) and a message naming the
// operation. It returns nil for a nil err.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return errs.Wrap(KindOf(err), err, format, args...)
}

// ReadAll reads a whole object; a missing object is errs.NotFound.
func ReadAll(ctx context.Context, b *blob.Bucket, key string) ([]byte, error) {
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		return nil, Wrap(err, "blobstore: read %q", key)
	}
	return data, nil
}

// WriteAll writes a whole object with the given content type ("" lets the
// driver detect it), replacing any previous object under key.
func WriteAll(ctx context.Context, b *blob.Bucket, key string, data []byte, contentType string) error {
	err := b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType})
	return Wrap(err, "blobstore: write %q", key)
}
