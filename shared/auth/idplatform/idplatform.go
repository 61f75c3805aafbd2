// Package idplatform makes the Identity Platform accounts of the users an
// admin invites in cloud mode (tenancy.Accounts): an email-and-password
// account in the tenant's project, with the email marked verified (the
// admin vouches for it, as for the first admin made by
// scripts/onboard-tenant.sh), and a mail from Identity Platform with a link
// to set the password. The user then signs in with that email and password
// (or with Google under the same email, where the tenant has Google
// sign-in); the API accepts the ID token because the email is a user of the
// tenant.
//
// It calls the Identity Toolkit REST API (identitytoolkit.googleapis.com
// v1, the API behind Identity Platform's admin SDKs) as the function's
// service account (Application Default Credentials, found at the first
// call). With FIREBASE_AUTH_EMULATOR_HOST set (or Options.Endpoint), it
// calls the Firebase Auth emulator instead, without credentials, in the
// emulator's URL shape; idpfake is a named fake of that surface for tests.
package idplatform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/gcpcall"
)

// EmulatorHostEnv names the Firebase Auth emulator (host:port), as the
// Firebase SDKs read it.
const EmulatorHostEnv = "FIREBASE_AUTH_EMULATOR_HOST"

// googleBase is the Identity Toolkit API root.
const googleBase = "https://identitytoolkit.googleapis.com/v1"

// GoogleCalls are the Identity Toolkit calls of this package (see
// gcpcall; docs/cloud.md has the permissions and the role that grants
// them).
var GoogleCalls = []gcpcall.Call{
	{Method: "identitytoolkit.projects.accounts.lookup", Permission: "firebaseauth.users.get", On: gcpcall.Project},
	{Method: "identitytoolkit.projects.accounts", Permission: "firebaseauth.users.create", On: gcpcall.Project},
	{Method: "identitytoolkit.projects.accounts.sendOobCode", Permission: "firebaseauth.users.sendEmail", On: gcpcall.Project},
}

// Options configure a Client.
type Options struct {
	// Endpoint is the host:port (or URL) of a Firebase Auth emulator;
	// empty reads FIREBASE_AUTH_EMULATOR_HOST, and without either the
	// client calls Google with Application Default Credentials.
	Endpoint string
	// ClientOptions are added to the Google client's (tests).
	ClientOptions []option.ClientOption
}

// Client makes accounts in one project. It is safe for concurrent use.
type Client struct {
	project string
	base    string
	// newHTTP makes the HTTP client at the first call (credentials are
	// looked up then, so a deployment without them starts, and fails only
	// when it invites).
	newHTTP func(ctx context.Context) (*http.Client, error)

	mu sync.Mutex
	hc *http.Client
}

// New returns a client for project's accounts.
func New(project string, opts Options) (*Client, error) {
	if project == "" {
		return nil, errs.E(errs.Invalid, "idplatform: no project")
	}
	c := &Client{project: project}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv(EmulatorHostEnv)
	}
	if endpoint != "" {
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
		// The emulator serves the API under its host name and takes
		// "Bearer owner" as an admin's credentials.
		c.base = strings.TrimSuffix(endpoint, "/") + "/identitytoolkit.googleapis.com/v1"
		c.newHTTP = func(context.Context) (*http.Client, error) {
			return &http.Client{Transport: ownerTransport{http.DefaultTransport}}, nil
		}
		return c, nil
	}
	c.base = googleBase
	copts := append([]option.ClientOption{option.WithScopes("https://www.googleapis.com/auth/cloud-platform")}, opts.ClientOptions...)
	c.newHTTP = func(ctx context.Context) (*http.Client, error) {
		hc, _, err := htransport.NewClient(context.WithoutCancel(ctx), copts...)
		return hc, err
	}
	return c, nil
}

// ownerTransport authenticates to the emulator as an admin.
type ownerTransport struct{ next http.RoundTripper }

func (t ownerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer owner")
	return t.next.RoundTrip(r)
}

func (c *Client) http(ctx context.Context) (*http.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hc != nil {
		return c.hc, nil
	}
	hc, err := c.newHTTP(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Transient, err, "idplatform: credentials for the Identity Toolkit API")
	}
	c.hc = hc
	return hc, nil
}

// Invite implements tenancy.Accounts. Without a password it makes sure
// email has an account (made with name, the email verified, no password)
// and asks Identity Platform to mail its owner a link to set the password;
// an account that exists already is kept as it is (its owner may sign in
// with Google, or have a password) and the mail is sent all the same, so
// the invited user learns they may sign in. With a password it makes the
// account with that password (the admin shares it) and sends nothing; an
// existing account is then errs.Conflict, since its password is not the
// admin's to set.
//
// Errors carry a message for the admin who invited (see explain).
func (c *Client) Invite(ctx context.Context, email, name, password string) error {
	const op errs.Op = "idplatform.Invite"
	found, err := c.lookup(ctx, email)
	if err != nil {
		return explain(errs.At(op, err))
	}
	if found && password != "" {
		return errs.Userf(errs.Conflict, "%s has a sign-in account already, which keeps its own password: "+
			"add the user without a password to mail them a link to set a new one", email)
	}
	if !found {
		body := map[string]any{"email": email, "displayName": name, "emailVerified": true}
		if password != "" {
			body["password"] = password
		}
		err := c.call(ctx, "accounts", body, nil)
		switch {
		case errs.Is(err, errs.Conflict) && password == "":
			// EMAIL_EXISTS: made meanwhile (another invitation); fine.
		case err != nil:
			return explain(errs.At(op, err))
		}
	}
	if password != "" {
		return nil
	}
	if err := c.call(ctx, "accounts:sendOobCode", map[string]any{"requestType": "PASSWORD_RESET", "email": email}, nil); err != nil {
		return explain(errs.At(op, err))
	}
	return nil
}

// explain gives an Identity Toolkit error the message an admin reads.
func explain(err error) error {
	switch errs.KindOf(err) {
	case errs.Permission:
		return errs.Explain(err, "this deployment may not make sign-in accounts (its functions need the Firebase Authentication Admin role): tell the operator")
	case errs.Invalid:
		return errs.Explain(err, "Identity Platform refused this email address or password")
	case errs.Conflict:
		return errs.Explain(err, "someone made a sign-in account for this email meanwhile: try again")
	case errs.NotFound:
		return errs.Explain(err, "Identity Platform is not set up in this deployment's project: tell the operator")
	}
	return errs.Explain(err, "Identity Platform could not be reached; try again in a moment")
}

// lookup reports whether email has an account.
func (c *Client) lookup(ctx context.Context, email string) (bool, error) {
	var out struct {
		Users []struct {
			LocalID string `json:"localId"`
		} `json:"users"`
	}
	if err := c.call(ctx, "accounts:lookup", map[string]any{"email": []string{email}}, &out); err != nil {
		return false, err
	}
	return len(out.Users) > 0, nil
}

// call POSTs body to projects/<project>/<method> and decodes the answer
// into out (if not nil).
func (c *Client) call(ctx context.Context, method string, body, out any) error {
	hc, err := c.http(ctx)
	if err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "idplatform: %s: encode", method)
	}
	url := c.base + "/projects/" + c.project + "/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "idplatform: %s", method)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return errs.Wrap(errs.Transient, err, "idplatform: %s", method)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return errs.Wrap(errs.Transient, err, "idplatform: %s: read the answer", method)
	}
	if resp.StatusCode/100 != 2 {
		return apiError(method, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return errs.Wrap(errs.Transient, err, "idplatform: %s: decode the answer", method)
	}
	return nil
}

// apiError classifies an error answer of the Identity Toolkit API: its
// message is a code such as EMAIL_EXISTS or "INVALID_EMAIL : detail".
func apiError(method string, status int, body []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	code, _, _ := strings.Cut(e.Error.Message, " ")
	kind := errs.Transient
	switch {
	case code == "EMAIL_EXISTS" || code == "DUPLICATE_EMAIL":
		kind = errs.Conflict
	case code == "INVALID_EMAIL" || code == "MISSING_EMAIL" || code == "WEAK_PASSWORD" || code == "INVALID_PASSWORD":
		kind = errs.Invalid
	case code == "EMAIL_NOT_FOUND" || code == "USER_NOT_FOUND" || code == "CONFIGURATION_NOT_FOUND" || status == http.StatusNotFound:
		kind = errs.NotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden || code == "PERMISSION_DENIED" || code == "INSUFFICIENT_PERMISSION":
		kind = errs.Permission
	case status == http.StatusTooManyRequests || status >= 500 || code == "QUOTA_EXCEEDED" || code == "TOO_MANY_ATTEMPTS_TRY_LATER":
		kind = errs.Transient
	case status == http.StatusBadRequest:
		kind = errs.Invalid
	}
	return errs.E(kind, "idplatform: %s: HTTP %d %s", method, status, e.Error.Message)
}
