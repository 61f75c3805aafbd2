// Package api is the HTTP API of b2brecs (docs/api.md): JSON over the
// domain services, every route but health and login behind a verified
// principal, every object read scoped to the principal's tenant.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// MaxUploadBytes bounds a file upload.
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
}

type server struct {
	Deps
}

// New returns the API handler, to be mounted at /api/.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
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
	viewer("GET /api/tenants/current", s.currentTenant)
	admin("GET /api/users", s.listUsers)
	admin("POST /api/users", s.createUser)
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
	editor("POST /api/files", s.uploadFile)
	viewer("GET /api/files", s.listFiles)
	viewer("GET /api/tables", s.listTables)
	viewer("GET /api/tables/{dataset}/{name}", s.getTable)
	if d.Connections != nil {
		MountConnections(private, d.Connections, d.Logger)
	}
	private.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, d.Logger, errs.E(errs.NotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	protected := auth.Middleware(d.Verifier, d.Logger)(private)

	mux := http.NewServeMux()
	mux.Handle("GET /api/health", public)
	mux.Handle("POST /api/auth/login", public)
	mux.Handle("/api/", protected)
	return cors(d.AllowedOrigins, mux)
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
		return http.StatusUnsupportedMediaType
	case errs.Transient:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with the error's kind and its own message: the
// causes an error wraps (driver text, paths, bucket URLs) are logged, not
// sent. Unknown errors are answered without detail.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	k := errs.KindOf(err)
	status := statusOf(k)
	msg := publicMessage(err)
	switch {
	case k == errs.Unknown:
		log.ErrorContext(r.Context(), "api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	case msg != err.Error():
		log.InfoContext(r.Context(), "api: request failed", "method", r.Method, "path", r.URL.Path, "kind", k.String(), "err", err)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		k, status, msg = errs.Invalid, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload too large (limit %d bytes)", mbe.Limit)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"kind": k.String(), "message": msg}})
}

// publicMessage is the message of the outermost kinded error: what the
// code that chose the kind meant to say, without the causes it wraps.
func publicMessage(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return err.Error()
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Wrap(errs.Invalid, err, "invalid JSON body")
	}
	return nil
}

func queryInt(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errs.E(errs.Invalid, "query parameter %s: %q is not a positive integer", name, v)
	}
	if n > max {
		n = max
	}
	return n, nil
}
