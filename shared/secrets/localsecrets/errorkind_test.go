package localsecrets_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
)

// TestErrorKind: the driver's classifier of file system errors, which the
// secrets.Store asks for the errors of its operations.
func TestErrorKind(t *testing.T) {
	s := &localsecrets.Store{}
	for _, tc := range []struct {
		err  error
		want errs.Kind
	}{
		{fmt.Errorf("localsecrets: read secret a/b: %w", &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}), errs.Permission},
		{fmt.Errorf("localsecrets: delete secret a/b: %w", fs.ErrNotExist), errs.NotFound},
		{errors.New("disk on fire"), errs.Unknown},
	} {
		if got := s.ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
