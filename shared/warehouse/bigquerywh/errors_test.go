package bigquerywh

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// TestErrorKind: the driver's one classifier (the Warehouse asks it), on
// the errors BigQuery returns; mapErr only adds the operation.
func TestErrorKind(t *testing.T) {
	gerr := func(code int, reason string) error {
		return &googleapi.Error{Code: code, Message: "m", Errors: []googleapi.ErrorItem{{Reason: reason}}}
	}
	tests := []struct {
		err  error
		want errs.Kind
	}{
		{gerr(404, "notFound"), errs.NotFound},
		{gerr(409, "duplicate"), errs.Conflict},
		{gerr(400, "invalid"), errs.Invalid},
		{gerr(400, "invalidQuery"), errs.Invalid},
		{gerr(401, "authError"), errs.Unauthenticated},
		{gerr(403, "accessDenied"), errs.Permission},
		{gerr(403, "rateLimitExceeded"), errs.Transient},
		{gerr(403, "quotaExceeded"), errs.Transient},
		{gerr(429, ""), errs.Transient},
		{gerr(500, "backendError"), errs.Transient},
		{gerr(503, ""), errs.Transient},
		{fmt.Errorf("wrapped: %w", gerr(404, "notFound")), errs.NotFound},
		{&bigquery.Error{Reason: "invalid"}, errs.Invalid},
		{&bigquery.Error{Reason: "notFound"}, errs.NotFound},
		{&bigquery.Error{Reason: "rateLimitExceeded"}, errs.Transient},
		{&bigquery.Error{Reason: "accessDenied"}, errs.Permission},
		{bigquery.MultiError{&bigquery.Error{Reason: "invalid"}}, errs.Invalid},
		{context.DeadlineExceeded, errs.Transient},
		{errors.New("odd"), errs.Unknown},
	}
	for _, tt := range tests {
		got := mapErr(tt.err, "op")
		if k := (&Driver{}).ErrorKind(got); k != tt.want {
			t.Errorf("ErrorKind(%v) = %s, want %s", got, k, tt.want)
		}
		if k := errs.KindOf(got); k != errs.Unknown {
			t.Errorf("mapErr(%v) attached kind %s; classifying is ErrorKind's job", tt.err, k)
		}
		if _, multi := tt.err.(bigquery.MultiError); !multi && !errors.Is(got, tt.err) { // a MultiError is not comparable
			t.Errorf("mapErr(%v) does not wrap its cause", tt.err)
		}
	}
	if mapErr(nil, "x") != nil {
		t.Error("mapErr(nil) != nil")
	}
}

func TestOpenURLErrors(t *testing.T) {
	for _, raw := range []string{"bigquery://", "bigquery://p?endpoint=nohost", "gs://p"} {
		u, _ := url.Parse(raw)
		if _, err := OpenURL(context.Background(), u); !errs.Is(err, errs.Invalid) {
			t.Errorf("OpenURL(%s) = %v, want invalid", raw, err)
		}
	}
}
