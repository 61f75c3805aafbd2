// Package api is the HTTP API of b2brecs (docs/api.md): JSON over the
// domain services, every route but health and login behind a verified
// principal, every object read scoped to the principal's tenant.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// MaxUploadBytes is the default upload limit (Uploads.MaxBytes).
const MaxUploadBytes = 2 << 30

// Deps are what the API serves.
type Deps struct {
	Tenancy  *tenancy.Service
	Verifier auth.Verifier
	Sessions *auth.SessionIssuer // nil in cloud mode (no password login)
	ETL      *etl.Service
	// Connections serves /api/connections; nil leaves those routes out.
	Connections *connections.Service
	Resources   etl.Resources
	Logger      *slog.Logger
	Version     string
	// AllowedOrigins may call the API from a browser on another origin
	// (the SPA bucket in the cloud); empty means same origin only.
	AllowedOrigins []string
	// Limits bound request time and logins (zero fields: defaults).
	Limits Limits
	// Logins throttles password logins; nil makes one from Limits.Login.
	Logins *auth.LoginGuard
	// Uploads say how files are uploaded (direct or signed) and how large
	// they may be (zero fields: defaults).
	Uploads Uploads
}

type server struct {
	Deps
}

// New returns the API handler, to be mounted at /api/.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	d.Limits = d.Limits.withDefaults()
	if d.Logins == nil {
		d.Logins = auth.NewLoginGuard(d.Limits.Login, nil)
	}
	s := &server{Deps: d}
	public := http.NewServeMux()
	public.HandleFunc("GET /api/health", s.health)
	public.HandleFunc("POST /api/auth/login", s.login)

	private := http.NewServeMux()
	viewer := func(pattern string, h http.HandlerFunc) {
		private.Handle(pattern, auth.RequireRole(tenancy.RoleViewer, h))
	}
	editor := func(pattern string, h http.HandlerFunc) {
		private.Handle(pattern, auth.RequireRole(tenancy.RoleEditor, h))
	}
	admin := func(pattern string, h http.HandlerFunc) {
		private.Handle(pattern, auth.RequireRole(tenancy.RoleAdmin, h))
	}
	viewer("GET /api/auth/me", s.me)
	viewer("POST /api/auth/logout", s.logout)
	viewer("POST /api/auth/logout-all", s.logoutAll)
	viewer("GET /api/tenants/current", s.currentTenant)
	admin("GET /api/users", s.listUsers)
	admin("POST /api/users", s.createUser)
	admin("DELETE /api/users/{id}/sessions", s.endUserSessions)
	viewer("GET /api/jobs", s.listJobs)
	viewer("GET /api/jobs/{id}", s.getJob)
	editor("POST /api/jobs/{id}/runs", s.triggerJob)
	editor("POST /api/jobs", s.createJob)
	editor("PATCH /api/jobs/{id}", s.updateJob)
	editor("DELETE /api/jobs/{id}", s.deleteJob)
	editor("POST /api/jobs/{id}/pause", s.pauseJob)
	editor("POST /api/jobs/{id}/resume", s.resumeJob)
	viewer("GET /api/jobs/{id}/schedule", s.jobSchedule)
	viewer("POST /api/schedules/preview", s.previewSchedule)
	viewer("GET /api/runs", s.listRuns)
	viewer("GET /api/runs/{id}", s.getRun)
	viewer("GET /api/runs/{id}/rejects", s.runRejects)
	editor("POST /api/uploads", s.uploadTicket)
	editor("POST /api/files", s.uploadFile)
	viewer("GET /api/files", s.listFiles)
	viewer("GET /api/tables", s.listTables)
	viewer("GET /api/tables/{dataset}/{name}", s.getTable)
	if d.Connections != nil {
		MountConnections(private, d.Connections, d.Logger)
	}
	private.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, d.Logger, errs.Userf(errs.NotFound, "there is no API route %s %s", r.Method, r.URL.Path))
	})
	protected := auth.Middleware(d.Verifier, d.Logger)(withDeadlines(private, d.Limits.CallTimeout, private))

	mux := http.NewServeMux()
	mux.Handle("GET /api/health", public)
	mux.Handle("POST /api/auth/login", public)
	mux.Handle("/api/", protected)
	return cors(d.AllowedOrigins, csrf(d.AllowedOrigins, mux))
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

// principal returns the verified caller; the middleware guarantees one.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps an error kind to an HTTP status.
func statusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Permission:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unsupported:
		// Something this deployment does not do. 415 is only for a request
		// body's media type (the CSRF check answers it itself); an input
		// naming something unsupported (a file type) is 422, see
		// statusOfErr.
		return http.StatusNotImplemented
	case errs.Transient:
		return http.StatusServiceUnavailable
	case errs.RateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// statusOfErr is statusOf(kind) refined by the error: an Unsupported
// error about an input field (a file type, a connection type) is 422: the
// request is well-formed, but what it asks for cannot be processed.
func statusOfErr(k errs.Kind, err error) int {
	if k == errs.Unsupported && errs.FieldOf(err) != "" {
		return http.StatusUnprocessableEntity
	}
	return statusOf(k)
}

// writeError answers an error with its kind and the message written for
// the user (errs.UserMessage), plus the input field it is about, if any.
// The technical text (packages, ids, paths, causes) is logged, never sent;
// errors without a user message answer the kind's plain sentence.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	k := errs.KindOf(err)
	status := statusOfErr(k, err)
	msg, field := errs.UserMessage(err), errs.FieldOf(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		k, status = errs.Invalid, http.StatusRequestEntityTooLarge
		if !errs.HasUserMessage(err) { // keep a message that names the file
			msg, field = fmt.Sprintf("the upload is too large (limit %s)", byteSize(mbe.Limit)), ""
		}
	case errors.Is(err, context.DeadlineExceeded) && (k == errs.Unknown || k == errs.Transient) && r.Context().Err() != nil:
		k, status, msg, field = errs.Transient, http.StatusGatewayTimeout, "this took too long and was stopped: try again, or ask for less (a smaller limit, one schema)", ""
	}
	if d := errs.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	switch {
	case k == errs.Unknown:
		log.ErrorContext(r.Context(), "api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	case msg != err.Error():
		log.InfoContext(r.Context(), "api: request failed", "method", r.Method, "path", r.URL.Path, "kind", k.String(), "err", err)
	}
	writeJSON(w, status, errorBody(k.String(), msg, field))
}

// errorBody is {"error":{"kind","message"[,"field"]}}.
func errorBody(kind, msg, field string) map[string]any {
	e := map[string]string{"kind": kind, "message": msg}
	if field != "" {
		e["field"] = field
	}
	return map[string]any{"error": e}
}

// byteSize writes n bytes for people: "2 GiB", "1 MiB", "512 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MaxJSONBytes bounds a JSON request body.
const MaxJSONBytes = 1 << 20

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, MaxJSONBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError says what is wrong with a JSON body in a user's words (the
// decoder's own text starts with "json: " and names Go types).
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	wrapped := errs.Wrap(errs.Invalid, err, "api: decode JSON body")
	switch {
	case errors.As(err, &mbe):
		return errs.Explain(wrapped, "the body is larger than %s", byteSize(mbe.Limit))
	case errors.Is(err, io.EOF):
		return errs.Explain(wrapped, "the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Explain(wrapped, "the JSON body ends too early")
	case errors.As(err, &syn):
		return errs.Explain(wrapped, "the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.Explain(wrapped, "the body must be a JSON object")
		}
		return &errs.Error{Field: typ.Field, User: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value), Err: wrapped}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &errs.Error{Field: f, User: fmt.Sprintf("the field %q is not accepted here", f), Err: wrapped}
	}
	return errs.Explain(wrapped, "the body is not a valid JSON request")
}

// jsonType names a Go kind as a JSON type.
func jsonType(kind string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "slice", kind == "array":
		return "a list"
	}
	return "an object"
}

func queryInt(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errs.Fieldf(errs.Invalid, name, "the query parameter %s must be a positive integer, not %q", name, v)
	}
	if n > max {
		n = max
	}
	return n, nil
}
