package api

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/b2brecs/b2brecs/shared/auth"
)

// csrf refuses cross-site requests that would act with the browser's
// session cookie. A request that changes something (POST, PUT, PATCH,
// DELETE) and is authenticated by the cookie alone (no Authorization
// header) must
//
//   - come from the API's own origin or one of allowed: Sec-Fetch-Site
//     "same-origin", or an Origin header naming this host or an allowed
//     origin (browsers send Origin with every such request); else 403;
//   - send its body, if it has one, as application/json, which a page on
//     another site cannot send without a CORS preflight; else 415.
//
// The login (which sets the cookie) follows the same rules, except that a
// caller sending neither Origin nor Sec-Fetch-Site (not a browser) passes.
// Bearer-token calls are not affected: a page on another site cannot make
// the browser add the header.
func csrf(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		login := r.URL.Path == "/api/auth/login"
		if !login && !cookieOnly(r) {
			next.ServeHTTP(w, r)
			return
		}
		fromBrowser := r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
		if (fromBrowser || !login) && !sameOrigin(r, allowed) {
			writeJSON(w, http.StatusForbidden, errorBody("permission", "this request came from a page on another site and was refused: "+
				"requests that use the session cookie must come from this app's pages (API clients send an Authorization: Bearer token)", ""))
			return
		}
		if hasBody(r) && !isJSON(r.Header.Get("Content-Type")) {
			writeJSON(w, http.StatusUnsupportedMediaType, errorBody("unsupported", "send the request body as application/json "+
				"(other bodies, such as file uploads, need an Authorization: Bearer token)", ""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookieOnly reports whether r would be authenticated by the session
// cookie: it carries the cookie and no Authorization header.
func cookieOnly(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	_, err := r.Cookie(auth.CookieName)
	return err == nil
}

// sameOrigin reports whether the browser says r comes from this origin, or
// from an allowed one.
func sameOrigin(r *http.Request, allowed []string) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	if slices.Contains(allowed, strings.TrimSuffix(origin, "/")) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0 || r.Header.Get("Content-Type") != ""
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}
