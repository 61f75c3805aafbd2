package api

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tables"
)

// multipartSlack is what a multipart body may carry beside the file (part
// headers, boundaries, small fields) under the upload limit.
const multipartSlack = 64 << 10

// uploadFile streams the multipart field "file" into the tenant's drop
// area (drops.Service.Put); the storage event that follows starts the run.
// A deployment that uploads through signed URLs (the cloud) does not take
// files here.
func (s *server) uploadFile(ctx context.Context, c *call) (any, error) {
	set := s.Drops.Settings()
	if set.Mode == drops.ModeSigned {
		return nil, errs.Userf(errs.Unsupported,
			"this deployment takes files straight into storage, not through the API: ask POST /api/uploads for an upload link (the web app does)")
	}
	if c.r.ContentLength > set.MaxBytes+multipartSlack {
		return nil, drops.TooLarge("", c.r.ContentLength, set.MaxBytes)
	}
	streamBody(c.w, c.r, s.Limits.StreamIdleTimeout)
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, set.MaxBytes+multipartSlack)
	part, err := filePart(c.r, set.MaxBytes)
	if err != nil {
		return nil, err
	}
	obj, err := s.Drops.Put(ctx, c.tenant(), part.FileName(), part)
	return map[string]any{"object": obj}, err
}

// filePart returns the part "file" of a multipart/form-data body.
func filePart(r *http.Request, limit int64) (*multipart.Part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errs.Explain(errs.Wrap(errs.Invalid, err, "api: upload: multipart reader"),
			"send the file as a multipart/form-data body with a field \"file\"")
	}
	for {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return nil, errs.Userf(errs.Invalid, "the form has no field \"file\": put the file in a field named file")
		case errors.As(err, &mbe):
			return nil, drops.TooLarge("", 0, limit)
		case err != nil:
			return nil, errs.Explain(errs.Wrap(errs.Invalid, err, "api: upload: next part"),
				"the upload was interrupted or is not a valid multipart form: try again")
		case part.FormName() == "file":
			return part, nil
		}
	}
}

func (s *server) listFiles(ctx context.Context, c *call) (any, error) {
	files, err := s.Drops.List(ctx, c.tenant())
	return map[string]any{"files": files}, err
}

func (s *server) listTables(ctx context.Context, c *call) (any, error) {
	t, err := s.Tables.List(ctx, c.tenant(), c.query("dataset"))
	return map[string]any{"tables": t}, err
}

func (s *server) getTable(ctx context.Context, c *call) (any, error) {
	rows, err := queryInt(c.r, "limit", tables.DefaultPreviewRows, tables.MaxPreviewRows)
	if err != nil {
		return nil, err
	}
	return s.Tables.Get(ctx, c.tenant(), c.path("dataset"), c.path("name"), rows)
}
