package api

import (
	"log/slog"
	"net/http"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// connectionRoutes serves /api/connections (docs/connections-api.md).
type connectionRoutes struct {
	svc *connections.Service
	log *slog.Logger
}

// MountConnections registers the connection routes on mux, which must be
// behind auth.Middleware (New's private mux): viewers read and discover,
// editors create, change, test and delete. Every call is scoped to the
// caller's tenant.
func MountConnections(mux *http.ServeMux, svc *connections.Service, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	h := &connectionRoutes{svc: svc, log: log}
	viewer := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, auth.RequireRole(tenancy.RoleViewer, f))
	}
	editor := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, auth.RequireRole(tenancy.RoleEditor, f))
	}
	viewer("GET /api/connections", h.list)
	editor("POST /api/connections", h.create)
	editor("POST /api/connections/test", h.testValues)
	viewer("GET /api/connections/{id}", h.get)
	editor("PATCH /api/connections/{id}", h.update)
	editor("DELETE /api/connections/{id}", h.delete)
	editor("POST /api/connections/{id}/test", h.test)
	viewer("GET /api/connections/{id}/schemas", h.schemas)
	viewer("GET /api/connections/{id}/tables", h.tables)
	viewer("GET /api/connections/{id}/tables/{schema}/{table}", h.describe)
	viewer("GET /api/connections/{id}/files", h.files)
}

func (h *connectionRoutes) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, h.log, err)
}

func (h *connectionRoutes) list(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.List(r.Context(), principal(r).TenantID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": cs})
}

func (h *connectionRoutes) create(w http.ResponseWriter, r *http.Request) {
	var in connections.NewConnection
	if err := decodeBody(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.Create(r.Context(), principal(r).TenantID, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (h *connectionRoutes) testValues(w http.ResponseWriter, r *http.Request) {
	var in connections.NewConnection
	if err := decodeBody(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.TestValues(r.Context(), principal(r).TenantID, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *connectionRoutes) get(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Get(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *connectionRoutes) update(w http.ResponseWriter, r *http.Request) {
	var p connections.Patch
	if err := decodeBody(r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.Update(r.Context(), principal(r).TenantID, r.PathValue("id"), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *connectionRoutes) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), principal(r).TenantID, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *connectionRoutes) test(w http.ResponseWriter, r *http.Request) {
	res, err := h.svc.Test(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *connectionRoutes) schemas(w http.ResponseWriter, r *http.Request) {
	s, err := h.svc.Schemas(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": s})
}

func (h *connectionRoutes) tables(w http.ResponseWriter, r *http.Request) {
	t, err := h.svc.Tables(r.Context(), principal(r).TenantID, r.PathValue("id"), r.URL.Query().Get("schema"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": t})
}

func (h *connectionRoutes) describe(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.Describe(r.Context(), principal(r).TenantID, r.PathValue("id"), r.PathValue("schema"), r.PathValue("table"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h *connectionRoutes) files(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := h.svc.ListFiles(r.Context(), principal(r).TenantID, r.PathValue("id"), q.Get("prefix"), q.Get("pattern"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": f})
}
