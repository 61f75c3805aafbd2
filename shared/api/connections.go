package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// connectionRoutes serves /api/connections (docs/connections-api.md).
type connectionRoutes struct {
	svc *connections.Service
}

// MountConnections registers the connection routes on mux, which must be
// behind auth.Middleware (New's private mux): viewers read and discover,
// editors create, change, test and delete. Every call is scoped to the
// caller's tenant.
func MountConnections(mux *http.ServeMux, svc *connections.Service, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	mount(mux, log, (&connectionRoutes{svc: svc}).routes())
}

func (h *connectionRoutes) routes() []route {
	const viewer, editor = tenancy.RoleViewer, tenancy.RoleEditor
	const ok, created, noContent = http.StatusOK, http.StatusCreated, http.StatusNoContent
	return []route{
		{"GET /api/connections", viewer, ok, h.list},
		{"POST /api/connections", editor, created, withJSON(h.create)},
		{"POST /api/connections/test", editor, ok, withJSON(h.testValues)},
		{"GET /api/connections/{id}", viewer, ok, h.get},
		{"PATCH /api/connections/{id}", editor, ok, withJSON(h.update)},
		{"DELETE /api/connections/{id}", editor, noContent, h.delete},
		{"POST /api/connections/{id}/test", editor, ok, h.test},
		{"GET /api/connections/{id}/schemas", viewer, ok, h.schemas},
		{"GET /api/connections/{id}/tables", viewer, ok, h.tables},
		{"GET /api/connections/{id}/tables/{schema}/{table}", viewer, ok, h.describe},
		{"GET /api/connections/{id}/files", viewer, ok, h.files},
		{"POST /api/connections/{id}/files/detect", viewer, ok, withJSON(h.detect)},
	}
}

func (h *connectionRoutes) list(ctx context.Context, c *call) (any, error) {
	cs, err := h.svc.List(ctx, c.tenant())
	return map[string]any{"connections": cs}, err
}

func (h *connectionRoutes) create(ctx context.Context, c *call, in connections.NewConnection) (any, error) {
	return h.svc.Create(ctx, c.tenant(), in)
}

func (h *connectionRoutes) testValues(ctx context.Context, c *call, in connections.NewConnection) (any, error) {
	return h.svc.TestValues(ctx, c.tenant(), in)
}

func (h *connectionRoutes) get(ctx context.Context, c *call) (any, error) {
	return h.svc.Get(ctx, c.tenant(), c.path("id"))
}

func (h *connectionRoutes) update(ctx context.Context, c *call, p connections.Patch) (any, error) {
	return h.svc.Update(ctx, c.tenant(), c.path("id"), p)
}

func (h *connectionRoutes) delete(ctx context.Context, c *call) (any, error) {
	return nil, h.svc.Delete(ctx, c.tenant(), c.path("id"))
}

func (h *connectionRoutes) test(ctx context.Context, c *call) (any, error) {
	return h.svc.Test(ctx, c.tenant(), c.path("id"))
}

func (h *connectionRoutes) schemas(ctx context.Context, c *call) (any, error) {
	s, err := h.svc.Schemas(ctx, c.tenant(), c.path("id"))
	return map[string]any{"schemas": s}, err
}

func (h *connectionRoutes) tables(ctx context.Context, c *call) (any, error) {
	t, err := h.svc.Tables(ctx, c.tenant(), c.path("id"), c.query("schema"))
	return map[string]any{"tables": t}, err
}

func (h *connectionRoutes) describe(ctx context.Context, c *call) (any, error) {
	return h.svc.Describe(ctx, c.tenant(), c.path("id"), c.path("schema"), c.path("table"))
}

func (h *connectionRoutes) detect(ctx context.Context, c *call, in connections.DetectRequest) (any, error) {
	return h.svc.DetectFile(ctx, c.tenant(), c.path("id"), in)
}

func (h *connectionRoutes) files(ctx context.Context, c *call) (any, error) {
	f, err := h.svc.ListFiles(ctx, c.tenant(), c.path("id"), c.query("prefix"), c.query("pattern"))
	return map[string]any{"files": f}, err
}
