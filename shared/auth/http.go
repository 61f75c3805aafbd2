package auth

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// CookieName is the session cookie Middleware falls back to when there is
// no Authorization header.
const CookieName = "b2b_session"

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header, else the value of the session cookie, else "". ok is false when
// an Authorization header is present but is not a bearer token.
func BearerToken(r *http.Request) (token string, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, found := strings.Cut(strings.TrimSpace(h), " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		return strings.TrimSpace(tok), true
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value, true
	}
	return "", true
}

// SessionCookie returns the cookie that carries a session token to the
// browser: HttpOnly, SameSite=Lax, Path=/, expiring with the token. Set
// secure outside plain-HTTP local development.
func SessionCookie(token string, expires time.Time, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: token, Path: "/", Expires: expires,
		MaxAge:   max(int(time.Until(expires).Seconds()), 1),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}

// ClearSessionCookie returns a cookie that deletes the session cookie.
func ClearSessionCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// Middleware authenticates every request with v: the bearer token (or the
// session cookie) must verify, and the Principal is put in the request
// context for handlers (FromContext). A missing or rejected token answers
// 401 with {"error":{"kind":"unauthenticated","message":...}}; a verifier
// that could not check the token answers 503 (kind transient). A nil
// logger means slog.Default().
func Middleware(v Verifier, logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			token, ok := BearerToken(r)
			if !ok {
				challenge(w, "invalid_request")
				writeError(w, http.StatusUnauthorized, errs.Unauthenticated, "the Authorization header must be a Bearer token")
				return
			}
			if token == "" {
				challenge(w, "")
				writeError(w, http.StatusUnauthorized, errs.Unauthenticated, "sign in to use this")
				return
			}
			p, err := v.Verify(ctx, token)
			switch kind := errs.KindOf(err); {
			case err == nil:
			case kind == errs.Unauthenticated:
				logger.InfoContext(ctx, "auth: token rejected", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
				challenge(w, "invalid_token")
				writeError(w, http.StatusUnauthorized, errs.Unauthenticated, errs.UserMessage(err))
				return
			case kind == errs.Transient:
				logger.WarnContext(ctx, "auth: could not verify token", "method", r.Method, "path", r.URL.Path, "err", err)
				w.Header().Set("Retry-After", "5")
				writeError(w, http.StatusServiceUnavailable, errs.Transient, "authentication is temporarily unavailable")
				return
			default:
				logger.ErrorContext(ctx, "auth: verifying token failed", "method", r.Method, "path", r.URL.Path, "err", err)
				writeError(w, http.StatusInternalServerError, errs.Unknown, "authentication failed")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
		})
	}
}

// RequireRole lets a request through only if the context's Principal
// (set by Middleware) has a role that allows need: 401 without a
// principal, 403 ({"error":{"kind":"permission",...}}) with too weak a
// role.
func RequireRole(need tenancy.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			challenge(w, "")
			writeError(w, http.StatusUnauthorized, errs.Unauthenticated, "sign in to use this")
			return
		}
		if !p.Allows(need) {
			writeError(w, http.StatusForbidden, errs.Permission, "this needs the "+string(need)+" role")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func challenge(w http.ResponseWriter, code string) {
	v := `Bearer realm="b2brecs"`
	if code != "" {
		v += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
}

type errorBody struct {
	Error struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, kind errs.Kind, msg string) {
	var b errorBody
	b.Error.Kind = kind.String()
	b.Error.Message = msg
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}
