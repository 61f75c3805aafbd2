// Package tenancy owns tenants, their users and the users' roles, stored in
// the docstore.
//
// Layout in the docstore:
//
//	_system/tenant/<tenant id>          Tenant
//	_system/login/<lower(email)>        {tenant_id, user_id}: the global login index
//	_system/bootstrap/default           {tenant_id, user_id}: what Bootstrap created
//	<tenant>/user/<user id>             the user record (with its password hash)
//	<tenant>/user_email/<lower(email)>  {user_id}: per-tenant e-mail uniqueness
//
// E-mail addresses are unique across all tenants, because login finds the
// user (and so the tenant) from the address alone. Every write that touches
// an index runs in one transaction with the record it indexes.
package tenancy

import (
	"crypto/rand"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// SystemTenant is the docstore tenant holding cross-tenant records (the
// tenant list and the login index). It is never a real tenant's ID.
const SystemTenant = "_system"

// Document kinds.
const (
	KindTenant    = "tenant"
	KindUser      = "user"
	KindUserEmail = "user_email"
	KindLogin     = "login"
	KindBootstrap = "bootstrap"
)

// Role is what a user may do in its tenant.
type Role string

// Roles, from most to least powerful: admin ⊇ editor ⊇ viewer.
const (
	RoleAdmin  Role = "admin"  // also manages users
	RoleEditor Role = "editor" // also writes (uploads, runs, jobs)
	RoleViewer Role = "viewer" // reads
)

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	default:
		return 0
	}
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a holder of r may do what needs the role need. An
// invalid role allows nothing, and nothing allows an invalid need.
func (r Role) Allows(need Role) bool {
	return r.Valid() && need.Valid() && r.rank() >= need.rank()
}

// ParseRole parses a role name (case-insensitive); anything else is
// errs.Invalid.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", unknownRole(s)
	}
	return r, nil
}

// Tenant is one customer of the platform; every stored object carries its
// tenant ID.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person (or an account) of a tenant. PasswordHash is never
// encoded by encoding/json; the store keeps it in a separate record type.
// Hand PublicUser (User.Public) to API callers.
type User struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"` // bcrypt; empty for users that cannot log in locally
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// SessionEpoch counts the times every session of the user was ended
	// (EndSessions): a session token carries the epoch it was issued in
	// and is refused once the user's epoch has moved on.
	SessionEpoch int64 `json:"-"`
	// SessionsEndedAt is when EndSessions last ran: ID tokens (cloud sign
	// in) authenticated before it are refused.
	SessionsEndedAt time.Time `json:"-"`
	// RevokedSessions are single sessions ended by logout, kept until the
	// session would have expired anyway.
	RevokedSessions []RevokedSession `json:"-"`
}

// RevokedSession is a session (a token's jti) ended before it expired.
type RevokedSession struct {
	ID    string    `json:"id"`
	Until time.Time `json:"until"` // when the token expires: the entry can go then
}

// SessionRevoked reports whether the session with the given id was ended
// by a logout.
func (u User) SessionRevoked(id string) bool {
	for _, r := range u.RevokedSessions {
		if r.ID == id {
			return true
		}
	}
	return false
}

// PublicUser is what the API shows of a user: never the password hash.
type PublicUser struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Public returns the user without its password hash.
func (u User) Public() PublicUser {
	return PublicUser{
		ID: u.ID, TenantID: u.TenantID, Email: u.Email, Name: u.Name,
		Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt,
	}
}

// HasPassword reports whether the user can log in with a local password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// Prefixes of generated IDs.
const (
	TenantIDPrefix = "t_"
	UserIDPrefix   = "u_"
)

// NewID returns prefix followed by 16 random lower-case hex characters
// (64 bits from crypto/rand): short, URL-safe and valid as a docstore ID.
func NewID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return prefix + hex.EncodeToString(b[:])
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_"

// GeneratePassword returns a random password of n characters (at least
// MinPasswordLen) from a URL-safe alphabet without look-alike characters.
func GeneratePassword(n int) string {
	n = max(n, MinPasswordLen)
	return randomString(n)
}

func randomString(n int) string {
	// Rejection sampling keeps the distribution uniform.
	const limit = 256 - 256%len(passwordAlphabet)
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, passwordAlphabet[int(c)%len(passwordAlphabet)])
			}
		}
	}
	return string(out)
}

// NormalizeEmail trims and lower-cases an address and checks that it is a
// plain address (no display name) usable as a docstore ID; otherwise
// errs.Invalid.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", errs.Fieldf(errs.Invalid, "email", "an email address is required")
	}
	invalid := errs.Fieldf(errs.Invalid, "email", "this is not a valid email address (name@example.com)")
	if len(e) > 254 || !utf8.ValidString(e) || strings.ContainsAny(e, "/ \t\r\n\x00") {
		return "", invalid
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", invalid
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" {
		return "", invalid
	}
	return e, nil
}

// unknownRole is the error for a role that is not one of the three.
func unknownRole(r any) error {
	return errs.Fieldf(errs.Invalid, "role", "%q is not a role: choose admin, editor or viewer", r)
}
