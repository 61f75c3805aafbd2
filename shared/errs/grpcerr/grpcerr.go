// Package grpcerr gives errors from gRPC clients (Firestore, Pub/Sub,
// Secret Manager, Cloud Scheduler) their errs kind, in one place.
package grpcerr

import (
	"context"
	"errors"

	"github.com/b2brecs/b2brecs/shared/errs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kind maps a gRPC status code to an errs kind. Codes that a later attempt
// may not see again (Unavailable, Aborted by contention is Conflict, ...)
// are Transient; OK maps to Unknown.
func Kind(code codes.Code) errs.Kind {
	switch code {
	case codes.OK:
		return errs.Unknown
	case codes.NotFound:
		return errs.NotFound
	case codes.AlreadyExists, codes.FailedPrecondition, codes.Aborted:
		return errs.Conflict
	case codes.InvalidArgument, codes.OutOfRange:
		return errs.Invalid
	case codes.PermissionDenied:
		return errs.Permission
	case codes.Unauthenticated:
		return errs.Unauthenticated
	case codes.Unimplemented:
		return errs.Unsupported
	default: // Unavailable, DeadlineExceeded, ResourceExhausted, Internal, Canceled, Unknown, DataLoss
		return errs.Transient
	}
}

// KindOf returns err's kind: the errs kind it already carries, Transient for
// context cancellation and deadlines, the gRPC status code's kind, else
// Unknown.
func KindOf(err error) errs.Kind {
	if err == nil {
		return errs.Unknown
	}
	if k := errs.KindOf(err); k != errs.Unknown {
		return k
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	if s, ok := status.FromError(err); ok {
		return Kind(s.Code())
	}
	return errs.Unknown
}

// Wrap gives err its kind (KindOf) and a message naming the operation; nil
// stays nil.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return errs.Wrap(KindOf(err), err, format, args...)
}
