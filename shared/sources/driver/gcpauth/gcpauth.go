// Package gcpauth gives the Google sources drivers (Firestore, BigQuery)
// their credentials from a connection's service-account key: the key's
// token exchange dials through the connection's outbound policy, the first
// token is fetched at once (so a key that cannot be used is a clear error,
// not a call the client library retries until its deadline), and errors
// are classified with messages for users, never the key's text.
package gcpauth

import (
	"context"
	"errors"
	"net"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
)

// KeyField is the input field of the service-account key.
const KeyField = "service_account_json"

// Credentials reads a service-account key for scope and fetches a first
// token, every request dialled through policy (nil: public addresses).
// The token source outlives ctx.
func Credentials(ctx context.Context, keyJSON, scope string, policy *egress.Policy) (*google.Credentials, error) {
	plain := &http.Client{Transport: policy.Transport()}
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, plain)
	creds, err := google.CredentialsFromJSONWithType(tctx, []byte(keyJSON), google.ServiceAccount, scope)
	if err == nil {
		_, err = creds.TokenSource.Token()
	}
	if err != nil {
		return nil, tokenErr(sourcedriver.Redact(err, keyJSON))
	}
	return creds, nil
}

// tokenErr classifies a failure to get a token with the key: refused by
// the outbound policy, rejected by Google, Google unreachable, or a key
// that is not a usable service-account key.
func tokenErr(err error) error {
	if denied, ok := egress.AsDenied(err); ok {
		return errs.Explain(errs.WrapField(errs.Permission, err, "", "get a token: refused by the outbound policy"), "%s", denied.Error())
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil && re.Response.StatusCode >= 500 {
			return errs.WrapField(errs.Transient, err, "", "Google's token service is unavailable: try again")
		}
		return errs.WrapField(errs.Unauthenticated, err, KeyField, "Google rejected the service account key (it may have been deleted or disabled)")
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return errs.WrapField(errs.Transient, err, "", "cannot reach Google's token service: try again")
	}
	return errs.WrapField(errs.Invalid, err, KeyField, "the service account key is not a usable service account key file")
}
