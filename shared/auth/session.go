package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// SessionIssuerName is the iss claim of local session tokens.
const SessionIssuerName = "b2brecs"

// MinSessionKeyLen is the minimum HS256 key length in bytes.
const MinSessionKeyLen = 32

// sessionLeeway absorbs clock differences between the processes of one
// installation (they share the key).
const sessionLeeway = 5 * time.Second

// sessionClaims are the claims of a local session token.
type sessionClaims struct {
	Tenant string       `json:"tenant"`
	User   string       `json:"user"`
	Role   tenancy.Role `json:"role"`
	Email  string       `json:"email"`
	// Epoch is the user's session epoch at login (absent: 0): ending all
	// the user's sessions moves the epoch on and so refuses the token.
	Epoch int64 `json:"sep,omitempty"`
	jwt.RegisteredClaims
}

// SessionIssuer issues and verifies local session tokens: HS256 JWTs with
// the claims tenant, user, role, email, iss, sub, iat, exp and jti. The
// role is the one at login; a role change takes effect at the next login.
type SessionIssuer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSessionIssuer returns an issuer signing with key (at least
// MinSessionKeyLen bytes, e.g. from the secrets store) whose tokens live
// for ttl (> 0). A bad key or ttl is errs.Invalid.
func NewSessionIssuer(key []byte, ttl time.Duration) (*SessionIssuer, error) {
	if len(key) < MinSessionKeyLen {
		return nil, errs.E(errs.Invalid, "auth: session key must have at least %d bytes", MinSessionKeyLen)
	}
	if ttl <= 0 {
		return nil, errs.E(errs.Invalid, "auth: session ttl must be positive")
	}
	return &SessionIssuer{key: append([]byte(nil), key...), ttl: ttl, now: time.Now}, nil
}

// WithClock returns a copy of the issuer that reads time from now (tests).
func (s *SessionIssuer) WithClock(now func() time.Time) *SessionIssuer {
	c := *s
	c.now = now
	return &c
}

// TTL returns how long issued tokens live.
func (s *SessionIssuer) TTL() time.Duration { return s.ttl }

// Issue signs a session token for a user principal and returns it with its
// expiry.
func (s *SessionIssuer) Issue(p Principal) (string, time.Time, error) {
	if p.TenantID == "" || p.UserID == "" || !p.Role.Valid() {
		return "", time.Time{}, errs.E(errs.Invalid, "auth: a session needs a tenant, a user and a valid role")
	}
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(s.ttl)
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	claims := sessionClaims{
		Tenant: p.TenantID, User: p.UserID, Role: p.Role, Email: p.Email, Epoch: p.Session.Epoch,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    SessionIssuerName,
			Subject:   p.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        hex.EncodeToString(jti[:]),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, errs.Wrap(errs.Invalid, err, "auth: sign session token")
	}
	return tok, exp, nil
}

// IssueFor signs a session token for a tenancy user.
func (s *SessionIssuer) IssueFor(u tenancy.User) (string, time.Time, error) {
	return s.Issue(Principal{TenantID: u.TenantID, UserID: u.ID, Email: u.Email, Role: u.Role, Kind: KindUser, Session: Session{Epoch: u.SessionEpoch}})
}

// Verify checks a session token's signature (HS256 only), issuer, expiry
// and claims. Any failure is errs.Unauthenticated with a reason that never
// includes the token.
func (s *SessionIssuer) Verify(_ context.Context, token string) (Principal, error) {
	var c sessionClaims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(SessionIssuerName),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(sessionLeeway),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return Principal{}, tokenRefused("auth: session token", err)
	}
	if c.Tenant == "" || c.User == "" || !c.Role.Valid() || c.Subject != c.User || c.ID == "" {
		return Principal{}, unauthenticated("auth: session token has incomplete claims")
	}
	return Principal{TenantID: c.Tenant, UserID: c.User, Email: c.Email, Role: c.Role, Kind: KindUser,
		Session: Session{ID: c.ID, Epoch: c.Epoch, ExpiresAt: c.ExpiresAt.Time}}, nil
}

// tokenRefused is the error for a token jwt rejected: the reason in fixed
// words for the logs, and for the user whether signing in again helps.
func tokenRefused(what string, err error) error {
	user := userInvalidToken
	if errors.Is(err, jwt.ErrTokenExpired) {
		user = userExpired
	}
	return refused(user, "%s %s", what, jwtReason(err))
}

// jwtReason names why jwt rejected a token, in fixed words.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "is malformed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "has expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "has an invalid signature or algorithm"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "has the wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "has the wrong audience"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return "is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "lacks a required claim"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "cannot be verified"
	default:
		return "is invalid"
	}
}

// dummyHash is a bcrypt hash (cost 10) of a random string nobody knows.
// Login compares against it when the e-mail is unknown, so that unknown and
// known addresses take about the same time.
const dummyHash = "$2a$10$zYrZj1oVKXQMP16.iveo0.8IaHOhntUgQqmFjzfWVotHw4xPsY84u"

// Login checks an e-mail and password against the stored users and issues
// a session token. A wrong e-mail or password is errs.Unauthenticated
// "invalid email or password" (the same for both, after the same bcrypt
// work); a disabled user is refused once the password matched; a user
// without a local password cannot log in.
func Login(ctx context.Context, svc *tenancy.Service, issuer *SessionIssuer, email, password string) (token string, expires time.Time, user tenancy.User, err error) {
	invalid := errs.Userf(errs.Unauthenticated, "invalid email or password")
	u, err := svc.FindUserByEmail(ctx, email)
	switch {
	case errs.Is(err, errs.NotFound):
		tenancy.CheckPassword(dummyHash, password)
		return "", time.Time{}, tenancy.User{}, invalid
	case err != nil:
		return "", time.Time{}, tenancy.User{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = dummyHash
	}
	if !tenancy.CheckPassword(hash, password) || u.PasswordHash == "" {
		return "", time.Time{}, tenancy.User{}, invalid
	}
	if u.Disabled {
		return "", time.Time{}, tenancy.User{}, refused(userDisabled, "auth: account disabled")
	}
	token, expires, err = issuer.IssueFor(u)
	if err != nil {
		return "", time.Time{}, tenancy.User{}, err
	}
	return token, expires, u, nil
}
