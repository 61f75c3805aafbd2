package blobstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"google.golang.org/api/googleapi"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// httpStatusErr is what S3 errors look like to ErrorKind.
type httpStatusErr int

func (e httpStatusErr) Error() string       { return fmt.Sprintf("status %d", int(e)) }
func (e httpStatusErr) HTTPStatusCode() int { return int(e) }

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want errs.Kind
	}{
		{&azcore.ResponseError{StatusCode: 403}, errs.Permission},
		{&azcore.ResponseError{StatusCode: 401}, errs.Unauthenticated},
		{fmt.Errorf("list: %w", httpStatusErr(404)), errs.NotFound},
		{httpStatusErr(503), errs.Transient},
		{&googleapi.Error{Code: 429}, errs.Transient},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, errs.Transient},
		{errs.E(errs.Invalid, "kept"), errs.Invalid},
		{errors.New("plain"), errs.Unknown},
	} {
		if got := blobstore.ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestOpenWithCredentialsUnknownProvider(t *testing.T) {
	_, err := blobstore.OpenWithCredentials(context.Background(), blobstore.Credentials{Provider: "ftp", Bucket: "b"})
	if !errs.Is(err, errs.Unsupported) {
		t.Errorf("provider ftp = %v, want unsupported", err)
	}
}
