package api

import (
	"context"
	"net/http"

	"github.com/b2brecs/b2brecs/shared/drops"
)

// uploadRequest is the body of POST /api/uploads.
type uploadRequest struct {
	Name        string `json:"name"`
	Size        *int64 `json:"size"`
	ContentType string `json:"content_type"` // what the browser says; the stored type follows the extension
}

// uploadTicket answers how the caller uploads one file, after the drop
// area checked its name, size and type (drops.Service.Ticket): in signed
// mode a resumable upload URL straight to the tenant's drop bucket, in
// direct mode the API route that takes the file.
func (s *server) uploadTicket(ctx context.Context, c *call, in uploadRequest) (any, error) {
	t, err := s.Drops.Ticket(ctx, c.tenant(), in.Name, in.Size)
	if err != nil {
		return nil, err
	}
	if t.Signed == nil {
		return map[string]any{
			"mode": drops.ModeDirect, "method": http.MethodPost, "url": "/api/files", "field": "file",
			"max_bytes": t.MaxBytes, "object": t.Object,
		}, nil
	}
	return map[string]any{
		"mode": drops.ModeSigned, "resumable": true, "method": t.Signed.Method, "url": t.Signed.URL, "headers": t.Signed.Headers,
		"expires": t.Signed.Expires.UTC(), "max_bytes": t.MaxBytes, "object": t.Object,
	}, nil
}
