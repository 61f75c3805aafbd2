package api

import (
	"net/http"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		writeError(w, r, s.Logger, errs.Userf(errs.Unsupported, "password sign-in is turned off here: sign in with your organisation's identity provider"))
		return
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	addr := auth.ClientAddr(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), s.Limits.TrustForwardedFor)
	token, exp, user, err := s.Logins.Login(r.Context(), s.Tenancy, s.Sessions, body.Email, body.Password, addr)
	if err != nil {
		s.Logger.InfoContext(r.Context(), "api: login refused", "email", body.Email, "kind", errs.KindOf(err).String())
		writeError(w, r, s.Logger, err)
		return
	}
	tenant, err := s.Tenancy.GetTenant(r.Context(), user.TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	http.SetCookie(w, auth.SessionCookie(token, exp, r.TLS != nil))
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "expires_at": exp.UTC().Format(time.RFC3339), "user": user.Public(), "tenant": tenant})
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	tenant, err := s.Tenancy.GetTenant(r.Context(), p.TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if p.Kind == "service" {
		writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{"id": p.UserID, "tenant_id": p.TenantID, "email": p.Email, "role": p.Role}, "tenant": tenant})
		return
	}
	user, err := s.Tenancy.GetUser(r.Context(), p.TenantID, p.UserID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": user.Public(), "tenant": tenant})
}

// logout ends the caller's session: its token is refused from now on by
// every instance (the user record lists it), and the cookie is cleared.
// Other sessions of the user live on.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if p.Kind == auth.KindUser && p.Session.ID != "" {
		if err := s.Tenancy.RevokeSession(r.Context(), p.TenantID, p.UserID, p.Session.ID, p.Session.ExpiresAt); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
	}
	http.SetCookie(w, auth.ClearSessionCookie(r.TLS != nil))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll ends every session of the caller ("sign out everywhere").
func (s *server) logoutAll(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if p.Kind != auth.KindUser {
		writeError(w, r, s.Logger, errs.Userf(errs.Invalid, "a service account has no sessions to end"))
		return
	}
	if _, err := s.Tenancy.EndSessions(r.Context(), p.TenantID, p.UserID); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	http.SetCookie(w, auth.ClearSessionCookie(r.TLS != nil))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// endUserSessions lets an admin end every session of a user of the tenant
// (a lost laptop, a person leaving).
func (s *server) endUserSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if _, err := s.Tenancy.EndSessions(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "api: sessions of a user ended by an admin", "tenant", p.TenantID, "user", r.PathValue("id"), "admin", p.UserID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) currentTenant(w http.ResponseWriter, r *http.Request) {
	tenant, err := s.Tenancy.GetTenant(r.Context(), principal(r).TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, tenant)
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.Tenancy.ListUsers(r.Context(), principal(r).TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := make([]tenancy.PublicUser, len(users))
	for i, u := range users {
		out[i] = u.Public()
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string       `json:"email"`
		Name     string       `json:"name"`
		Password string       `json:"password"`
		Role     tenancy.Role `json:"role"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	u, err := s.Tenancy.CreateUser(r.Context(), principal(r).TenantID, tenancy.NewUser{Email: body.Email, Name: body.Name, Password: body.Password, Role: body.Role})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, u.Public())
}
