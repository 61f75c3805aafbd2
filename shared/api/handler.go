package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// This file is the one way a route is served: a route names its pattern,
// the least role that may call it and the status of a successful answer;
// its endpoint reads the call (path, query, a JSON body through withJSON),
// calls one domain method with the caller's tenant and returns the value
// to answer. serve encodes that value as JSON, or the error with its
// kind's status, the user's message and the field (writeError).

// route is one API endpoint.
type route struct {
	// pattern is a ServeMux pattern with method and path, such as
	// "GET /api/jobs/{id}".
	pattern string
	// role is the least role that may call the route; "" is a public
	// route (no principal: health and login).
	role tenancy.Role
	// status answers success: 200, 201, 202, or 204 with no body.
	status int
	fn     endpoint
}

// endpoint does a route's work: it returns the value to answer as JSON
// (ignored with 204), or an error written for the user (shared/errs).
type endpoint func(ctx context.Context, c *call) (any, error)

// call is one request as an endpoint sees it.
type call struct {
	r *http.Request
	w http.ResponseWriter
	// caller is the verified principal (zero on public routes).
	caller auth.Principal
}

// tenant is the caller's tenant: every read and write is scoped to it.
func (c *call) tenant() string { return c.caller.TenantID }

// path returns a wildcard of the route's pattern ("{id}").
func (c *call) path(name string) string { return c.r.PathValue(name) }

// query returns a query parameter ("" when absent).
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// setCookie adds a cookie to the answer; call it only on success (an error
// answer would carry it too).
func (c *call) setCookie(ck *http.Cookie) { http.SetCookie(c.w, ck) }

// withJSON is an endpoint whose request body is a JSON object decoded into
// In (decodeBody: at most MaxJSONBytes, unknown fields refused, errors
// naming the field).
func withJSON[In any](f func(ctx context.Context, c *call, in In) (any, error)) endpoint {
	return func(ctx context.Context, c *call) (any, error) {
		var in In
		if err := decodeBody(c.r, &in); err != nil {
			return nil, err
		}
		return f(ctx, c, in)
	}
}

// serve adapts an endpoint to HTTP: it answers the endpoint's value with
// status as JSON, or its error through writeError.
func serve(log *slog.Logger, status int, fn endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{r: r, w: w}
		c.caller, _ = auth.FromContext(r.Context())
		out, err := fn(r.Context(), c)
		switch {
		case err != nil:
			writeError(w, r, log, err)
		case isDownload(out):
			out.(download).write(w, r, log, status)
		case status == http.StatusNoContent:
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
		default:
			writeJSON(w, status, out)
		}
	})
}

// mount registers routes on mux, each behind auth.RequireRole of its role
// (mux must be behind auth.Middleware for those) or public.
func mount(mux *http.ServeMux, log *slog.Logger, routes []route) {
	for _, rt := range routes {
		h := serve(log, rt.status, rt.fn)
		if rt.role != "" {
			h = auth.RequireRole(rt.role, h)
		}
		mux.Handle(rt.pattern, h)
	}
}
