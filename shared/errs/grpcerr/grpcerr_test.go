package grpcerr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want errs.Kind
	}{
		{nil, errs.Unknown},
		{errors.New("plain"), errs.Unknown},
		{context.Canceled, errs.Transient},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), errs.Transient},
		{errs.E(errs.Invalid, "already kinded"), errs.Invalid},
		{status.Error(codes.NotFound, "x"), errs.NotFound},
		{status.Error(codes.AlreadyExists, "x"), errs.Conflict},
		{status.Error(codes.FailedPrecondition, "x"), errs.Conflict},
		{status.Error(codes.Aborted, "x"), errs.Conflict},
		{status.Error(codes.InvalidArgument, "x"), errs.Invalid},
		{status.Error(codes.OutOfRange, "x"), errs.Invalid},
		{status.Error(codes.PermissionDenied, "x"), errs.Permission},
		{status.Error(codes.Unauthenticated, "x"), errs.Unauthenticated},
		{status.Error(codes.Unimplemented, "x"), errs.Unsupported},
		{status.Error(codes.Unavailable, "x"), errs.Transient},
		{status.Error(codes.ResourceExhausted, "x"), errs.Transient},
		{status.Error(codes.Internal, "x"), errs.Transient},
		{status.Error(codes.Unknown, "x"), errs.Transient},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	if Wrap(nil, "op") != nil {
		t.Fatal("Wrap(nil) != nil")
	}
	err := Wrap(status.Error(codes.NotFound, "gone"), "get %s", "k")
	if !errs.Is(err, errs.NotFound) || err.Error() != "get k: rpc error: code = NotFound desc = gone" {
		t.Errorf("Wrap = %q (%v)", err, errs.KindOf(err))
	}
}
