package api

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

func (s *server) login(ctx context.Context, c *call) (any, error) {
	if s.Sessions == nil {
		return nil, errs.Userf(errs.Unsupported, "password sign-in is turned off here: sign in with your organisation's identity provider")
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeBody(c.r, &body); err != nil {
		return nil, err
	}
	addr := auth.ClientAddr(c.r.RemoteAddr, c.r.Header.Get("X-Forwarded-For"), s.Limits.TrustForwardedFor)
	token, exp, user, err := s.Logins.Login(ctx, s.Tenancy, s.Sessions, body.Email, body.Password, addr)
	if err != nil {
		s.Logger.InfoContext(ctx, "api: login refused", "email", body.Email, "kind", errs.KindOf(err).String())
		return nil, err
	}
	tenant, err := s.Tenancy.GetTenant(ctx, user.TenantID)
	if err != nil {
		return nil, err
	}
	c.setCookie(auth.SessionCookie(token, exp, c.r.TLS != nil))
	return map[string]any{"token": token, "expires_at": exp.UTC().Format(time.RFC3339), "user": user.Public(), "tenant": tenant}, nil
}

func (s *server) me(ctx context.Context, c *call) (any, error) {
	p := c.caller
	tenant, err := s.Tenancy.GetTenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if p.Kind == "service" {
		return map[string]any{"user": map[string]any{"id": p.UserID, "tenant_id": p.TenantID, "email": p.Email, "role": p.Role}, "tenant": tenant}, nil
	}
	user, err := s.Tenancy.GetUser(ctx, p.TenantID, p.UserID)
	return map[string]any{"user": user.Public(), "tenant": tenant}, err
}

// logout ends the caller's session: its token is refused from now on by
// every instance (the user record lists it), and the cookie is cleared.
// Other sessions of the user live on.
func (s *server) logout(ctx context.Context, c *call) (any, error) {
	p := c.caller
	if p.Kind == auth.KindUser && p.Session.ID != "" {
		if err := s.Tenancy.RevokeSession(ctx, p.TenantID, p.UserID, p.Session.ID, p.Session.ExpiresAt); err != nil {
			return nil, err
		}
	}
	c.setCookie(auth.ClearSessionCookie(c.r.TLS != nil))
	return nil, nil
}

// logoutAll ends every session of the caller ("sign out everywhere").
func (s *server) logoutAll(ctx context.Context, c *call) (any, error) {
	p := c.caller
	if p.Kind != auth.KindUser {
		return nil, errs.Userf(errs.Invalid, "a service account has no sessions to end")
	}
	if _, err := s.Tenancy.EndSessions(ctx, p.TenantID, p.UserID); err != nil {
		return nil, err
	}
	c.setCookie(auth.ClearSessionCookie(c.r.TLS != nil))
	return nil, nil
}

// endUserSessions lets an admin end every session of a user of the tenant
// (a lost laptop, a person leaving).
func (s *server) endUserSessions(ctx context.Context, c *call) (any, error) {
	p := c.caller
	if _, err := s.Tenancy.EndSessions(ctx, p.TenantID, c.path("id")); err != nil {
		return nil, err
	}
	s.Logger.InfoContext(ctx, "api: sessions of a user ended by an admin", "tenant", p.TenantID, "user", c.path("id"), "admin", p.UserID)
	return nil, nil
}

func (s *server) currentTenant(ctx context.Context, c *call) (any, error) {
	return s.Tenancy.GetTenant(ctx, c.tenant())
}

func (s *server) listUsers(ctx context.Context, c *call) (any, error) {
	users, err := s.Tenancy.ListUsers(ctx, c.tenant())
	out := make([]tenancy.PublicUser, len(users))
	for i, u := range users {
		out[i] = u.Public()
	}
	return map[string]any{"users": out}, err
}

// newUser is the body of POST /api/users.
type newUser struct {
	Email    string       `json:"email"`
	Name     string       `json:"name"`
	Password string       `json:"password"`
	Role     tenancy.Role `json:"role"`
}

func (s *server) createUser(ctx context.Context, c *call, in newUser) (any, error) {
	u, err := s.Tenancy.CreateUser(ctx, c.tenant(), tenancy.NewUser{Email: in.Email, Name: in.Name, Password: in.Password, Role: in.Role})
	return u.Public(), err
}
