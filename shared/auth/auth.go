// Package auth authenticates callers and carries who they are (a
// Principal) through request contexts.
//
// Three kinds of bearer tokens are verified, each by its own Verifier:
//
//   - local session tokens (HS256 JWTs) issued by a SessionIssuer after a
//     password Login, in local mode;
//   - Identity Platform / Firebase ID tokens (RS256, Google's securetoken
//     keys), mapped to a stored tenancy user by e-mail, in the cloud;
//   - Google-signed OIDC ID tokens of service accounts on an allow-list, for
//     machine calls (Cloud Scheduler, Pub/Sub push, other functions).
//
// MultiVerifier combines them; Middleware puts the Principal in the request
// context and RequireRole guards routes by role. Tokens never appear in
// errors or logs.
package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// Principal kinds.
const (
	KindUser    = "user"
	KindService = "service"
)

// Principal is an authenticated caller.
type Principal struct {
	TenantID string
	UserID   string // the tenancy user ID; for services "sa:" + e-mail
	Email    string
	Role     tenancy.Role
	Kind     string // KindUser or KindService
	// Session is set for local session tokens: the token's id (jti), the
	// user's session epoch it was issued in, and its expiry. Logout ends
	// the session by its id.
	Session Session
}

// Session identifies a local session token.
type Session struct {
	ID        string
	Epoch     int64
	ExpiresAt time.Time
}

// Allows reports whether the principal's role covers need.
func (p Principal) Allows(need tenancy.Role) bool { return p.Role.Allows(need) }

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Verifier turns a bearer token into a Principal. A token it does not
// accept is errs.Unauthenticated; a failure to check it (e.g. the key set
// cannot be fetched) is errs.Transient.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, token string) (Principal, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, token string) (Principal, error) {
	return f(ctx, token)
}

// MultiVerifier tries each verifier in order and returns the first
// principal. When none accepts the token it returns errs.Transient if any
// verifier could not check it (so callers answer 503, not 401), else
// errs.Unauthenticated.
type MultiVerifier []Verifier

// Verify implements Verifier.
func (m MultiVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	var transient, first error
	var reasons []string
	for _, v := range m {
		p, err := v.Verify(ctx, token)
		if err == nil {
			return p, nil
		}
		if errs.KindOf(err) != errs.Unauthenticated {
			if transient == nil {
				transient = err
			}
			continue
		}
		if first == nil {
			first = err
		}
		reasons = append(reasons, err.Error())
	}
	switch {
	case transient != nil:
		return Principal{}, transient
	case len(reasons) == 0:
		return Principal{}, unauthenticated("auth: no verifier configured")
	case len(reasons) == 1:
		return Principal{}, first
	default:
		// The reasons are fixed texts that never contain the token.
		return Principal{}, unauthenticated("auth: invalid token (%s)", strings.Join(reasons, "; "))
	}
}

// What a caller whose credentials are refused is told (the logs get the
// technical reason).
const (
	userInvalidToken = "your sign-in is not valid: sign in again"
	userExpired      = "your session has expired: sign in again"
	userEnded        = "this session was signed out: sign in again"
	userDisabled     = "this account is disabled: ask an admin of your tenant"
	userGone         = "this account no longer exists"
	userNoAccount    = "there is no account for this sign-in: ask an admin of your tenant to invite you"
)

// unauthenticated builds an Unauthenticated error with a fixed reason for
// the logs, no cause (causes from JWT parsing could carry token fragments)
// and the generic message for the user.
func unauthenticated(format string, args ...any) error {
	return refused(userInvalidToken, format, args...)
}

// refused is unauthenticated with a specific message for the user.
func refused(user, format string, args ...any) error {
	return &errs.Error{Kind: errs.Unauthenticated, Msg: fmt.Sprintf(format, args...), User: user}
}

// UserGetter reads a stored user; *tenancy.Service implements it. A
// missing user is errs.NotFound.
type UserGetter interface {
	GetUser(ctx context.Context, tenantID, userID string) (tenancy.User, error)
}

// WithCurrentUser wraps v so that every user principal it returns is
// checked against the store: a deleted or disabled user is refused
// (errs.Unauthenticated) and the role and e-mail are the stored ones, so
// role changes and disabling take effect before a session token expires.
// A local session that was ended (logout, "sign out everywhere", an admin
// ending the user's sessions) is refused too: the user record carries the
// session epoch and the sessions ended by logout, so every instance sees
// it with the same read. Service principals pass unchanged. It costs one
// store read per request.
func WithCurrentUser(v Verifier, users UserGetter) Verifier {
	return VerifierFunc(func(ctx context.Context, token string) (Principal, error) {
		p, err := v.Verify(ctx, token)
		if err != nil || p.Kind != KindUser {
			return p, err
		}
		u, err := users.GetUser(ctx, p.TenantID, p.UserID)
		if errs.Is(err, errs.NotFound) {
			return Principal{}, refused(userGone, "auth: the token's user no longer exists")
		}
		if err != nil {
			return Principal{}, err
		}
		if u.Disabled {
			return Principal{}, refused(userDisabled, "auth: account disabled")
		}
		if p.Session.ID != "" && (p.Session.Epoch != u.SessionEpoch || u.SessionRevoked(p.Session.ID)) {
			return Principal{}, refused(userEnded, "auth: the session was ended")
		}
		p.Role, p.Email = u.Role, u.Email
		return p, nil
	})
}
