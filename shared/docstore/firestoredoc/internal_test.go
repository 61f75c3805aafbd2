package firestoredoc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestKindOf(t *testing.T) {
	cases := []struct {
		err  error
		want errs.Kind
	}{
		{status.Error(codes.NotFound, "x"), errs.NotFound},
		{status.Error(codes.AlreadyExists, "x"), errs.Conflict},
		{status.Error(codes.FailedPrecondition, "x"), errs.Conflict},
		{status.Error(codes.Aborted, "x"), errs.Conflict},
		{status.Error(codes.InvalidArgument, "x"), errs.Invalid},
		{status.Error(codes.PermissionDenied, "x"), errs.Permission},
		{status.Error(codes.Unauthenticated, "x"), errs.Unauthenticated},
		{status.Error(codes.Unavailable, "x"), errs.Transient},
		{status.Error(codes.ResourceExhausted, "x"), errs.Transient},
		{status.Error(codes.DeadlineExceeded, "x"), errs.Transient},
		{status.Error(codes.Unimplemented, "x"), errs.Unsupported},
		{fmt.Errorf("wrapped: %w", status.Error(codes.Unavailable, "x")), errs.Transient},
		{context.Canceled, errs.Transient},
		{errors.New("plain"), errs.Unknown},
	}
	for _, tc := range cases {
		if got := (*Driver)(nil).ErrorKind(mapErr(tc.err, "op")); got != tc.want {
			t.Errorf("ErrorKind(mapErr(%v)) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if got := errs.KindOf(mapQueryErr(status.Error(codes.FailedPrecondition, "needs index"), "list")); got != errs.Invalid {
		t.Errorf("query FailedPrecondition kind = %v, want Invalid", got)
	}
}

func TestEncodeDecode(t *testing.T) {
	in := `{"a":[[1,[2.5,["x"]]],{"b":[[]]}],"big":9223372036854775807,"huge":1e400,"f":-0.125,"n":null,"t":true}`
	_, _, err := encode(docstore.Key{Tenant: "t", Kind: "k", ID: "i"}, json.RawMessage(in), 3)
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("1e400: err = %v, want Invalid", err)
	}
	in = `{"a":[[1,[2.5,["x"]]],{"b":[[]]}],"big":9223372036854775807,"over":9223372036854775808,"f":-0.125,"n":null,"t":true}`
	fields, canon, err := encode(docstore.Key{Tenant: "t", Kind: "k", ID: "i"}, json.RawMessage(in), 3)
	if err != nil {
		t.Fatal(err)
	}
	if fields[versionField] != int64(3) || fields["big"] != int64(9223372036854775807) || fields["over"] != 9223372036854775808.0 {
		t.Errorf("fields = %#v", fields)
	}
	delete(fields, versionField)
	out, err := json.Marshal(fromFirestore(fields))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":[[1,[2.5,["x"]]],{"b":[[]]}],"big":9223372036854775807,"f":-0.125,"n":null,"over":9223372036854776000,"t":true}` // beyond int64: a double
	if string(out) != want {
		t.Errorf("round trip = %s, want %s (canonical %s)", out, want, canon)
	}
}
