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
	"github.com/b2brecs/b2brecs/shared/datasets"
	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tables"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// Deps are what the API serves.
type Deps struct {
	Tenancy  *tenancy.Service
	Verifier auth.Verifier
	Sessions *auth.SessionIssuer // nil in cloud mode (no password login)
	ETL      *etl.Service
	// Connections serves /api/connections; nil leaves those routes out.
	Connections *connections.Service
	// Drops takes uploads into the tenants' drop areas and lists them;
	// its settings say how files are uploaded (direct or signed) and how
	// large they may be.
	Drops *drops.Service
	// Tables shows the tenants' warehouse tables.
	Tables *tables.Service
	// Datasets serves /api/datasets; nil leaves those routes out.
	Datasets *datasets.Service
	Logger   *slog.Logger
	Version  string
	// AllowedOrigins may call the API from a browser on another origin
	// (the SPA bucket in the cloud); empty means same origin only.
	AllowedOrigins []string
	// Limits bound request time and logins (zero fields: defaults).
	Limits Limits
	// Logins throttles password logins; nil makes one from Limits.Login.
	Logins *auth.LoginGuard
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
	mount(public, d.Logger, s.publicRoutes())

	private := http.NewServeMux()
	mount(private, d.Logger, s.routes())
	mount(private, d.Logger, s.datasetRoutes())
	if d.Connections != nil {
		MountConnections(private, d.Connections, d.Logger)
	}
	private.Handle("/api/", serve(d.Logger, http.StatusOK, noRoute))
	protected := auth.Middleware(d.Verifier, d.Logger)(withDeadlines(private, d.Limits.CallTimeout, private))

	mux := http.NewServeMux()
	for _, rt := range s.publicRoutes() {
		mux.Handle(rt.pattern, public)
	}
	mux.Handle("/api/", protected)
	return cors(d.AllowedOrigins, csrf(d.AllowedOrigins, mux))
}

// publicRoutes need no principal.
func (s *server) publicRoutes() []route {
	return []route{
		{"GET /api/health", "", http.StatusOK, s.health},
		{"POST /api/auth/login", "", http.StatusOK, s.login},
	}
}

// routes are the routes behind a principal, with the least role each
// needs; every one is scoped to the caller's tenant. To add one, see
// docs/architecture.md ("Adding a domain route").
func (s *server) routes() []route {
	const viewer, editor, admin = tenancy.RoleViewer, tenancy.RoleEditor, tenancy.RoleAdmin
	const ok, created, accepted, noContent = http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent
	return []route{
		{"GET /api/auth/me", viewer, ok, s.me},
		{"POST /api/auth/logout", viewer, noContent, s.logout},
		{"POST /api/auth/logout-all", viewer, noContent, s.logoutAll},
		{"GET /api/tenants/current", viewer, ok, s.currentTenant},
		{"GET /api/users", admin, ok, s.listUsers},
		{"POST /api/users", admin, created, withJSON(s.createUser)},
		{"DELETE /api/users/{id}/sessions", admin, noContent, s.endUserSessions},
		{"GET /api/jobs", viewer, ok, s.listJobs},
		{"GET /api/jobs/{id}", viewer, ok, s.getJob},
		{"GET /api/jobs/name-check", viewer, ok, s.checkJobName},
		{"POST /api/jobs/destination", viewer, ok, withJSON(s.jobDestination)},
		{"POST /api/jobs/{id}/runs", editor, accepted, s.triggerJob},
		{"POST /api/jobs", editor, created, withJSON(s.createJob)},
		{"PATCH /api/jobs/{id}", editor, ok, withJSON(s.updateJob)},
		{"DELETE /api/jobs/{id}", editor, noContent, s.deleteJob},
		{"POST /api/jobs/{id}/pause", editor, ok, s.pauseJob},
		{"POST /api/jobs/{id}/resume", editor, ok, s.resumeJob},
		{"POST /api/jobs/{id}/reset-watermark", editor, ok, s.resetWatermark},
		{"GET /api/jobs/{id}/schedule", viewer, ok, s.jobSchedule},
		{"POST /api/schedules/preview", viewer, ok, withJSON(s.previewSchedule)},
		{"GET /api/runs", viewer, ok, s.listRuns},
		{"GET /api/runs/summary", viewer, ok, s.runsSummary},
		{"GET /api/runs/{id}", viewer, ok, s.getRun},
		{"GET /api/runs/{id}/rejects", viewer, ok, s.runRejects},
		{"GET /api/runs/{id}/rejects/download", viewer, ok, s.downloadRejects},
		{"GET /api/runs/{id}/logs", viewer, ok, s.runLogs},
		{"POST /api/runs/{id}/cancel", editor, ok, s.cancelRun},
		{"POST /api/runs/{id}/retry", editor, accepted, s.retryRun},
		{"GET /api/etl/dashboard", viewer, ok, s.etlDashboard},
		{"POST /api/uploads", editor, ok, withJSON(s.uploadTicket)},
		{"POST /api/files", editor, accepted, s.uploadFile},
		{"GET /api/files", viewer, ok, s.listFiles},
		{"GET /api/tables", viewer, ok, s.listTables},
		{"GET /api/tables/{dataset}/{name}", viewer, ok, s.getTable},
	}
}

// noRoute answers a path no route serves.
func noRoute(_ context.Context, c *call) (any, error) {
	return nil, errs.Userf(errs.NotFound, "there is no API route %s %s", c.r.Method, c.r.URL.Path)
}

func (s *server) health(context.Context, *call) (any, error) {
	return map[string]string{"status": "ok", "version": s.Version}, nil
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
			msg, field = fmt.Sprintf("the upload is too large (limit %s)", drops.FormatSize(mbe.Limit)), ""
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
		return errs.Explain(wrapped, "the body is larger than %s", drops.FormatSize(mbe.Limit))
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

// queryIntIn reads an integer query parameter that must be from lo to hi:
// def when absent; anything else is Invalid naming the parameter.
func queryIntIn(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errs.Fieldf(errs.Invalid, name, "the query parameter %s must be a whole number from %d to %d, not %q", name, lo, hi, v)
	}
	return n, nil
}
