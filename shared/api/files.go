package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// uploadFile streams the multipart field "file" into the tenant's drop
// bucket; the storage event that follows starts the run.
func (s *server) uploadFile(w http.ResponseWriter, r *http.Request) {
	tenant := principal(r).TenantID
	r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, r, s.Logger, errs.Wrap(errs.Invalid, err, "expected a multipart/form-data body with a field \"file\""))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			writeError(w, r, s.Logger, errs.E(errs.Invalid, "the form has no field \"file\""))
			return
		}
		if err != nil {
			writeError(w, r, s.Logger, errs.Wrap(errs.Invalid, err, "read multipart body"))
			return
		}
		if part.FormName() != "file" {
			continue
		}
		name, err := blobstore.SafeKey(path.Base(part.FileName()))
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		if _, _, err := tabular.DetectFormat(name); err != nil {
			// Still accepted: the run records the unsupported type, as a
			// file dropped into the bucket would.
			s.Logger.InfoContext(r.Context(), "api: uploading a file of unsupported type", "name", name)
		}
		b, err := s.Resources.Bucket(r.Context(), tenant, etl.BucketDrop)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		wctx, abort := context.WithCancel(r.Context())
		defer abort()
		bw, err := b.NewWriter(wctx, name, &blob.WriterOptions{ContentType: ct})
		if err != nil {
			writeError(w, r, s.Logger, blobstore.Wrap(err, "open %s in the drop area", name))
			return
		}
		n, err := io.Copy(bw, part)
		if err != nil {
			abort() // a cancelled writer discards what it has: no partial object
			_ = bw.Close()
			writeError(w, r, s.Logger, errs.Wrap(errs.Invalid, err, "upload %s", name))
			return
		}
		if err := bw.Close(); err != nil {
			writeError(w, r, s.Logger, blobstore.Wrap(err, "store %s", name))
			return
		}
		s.Logger.InfoContext(r.Context(), "api: file uploaded", "tenant", tenant, "name", name, "bytes", n)
		writeJSON(w, http.StatusAccepted, map[string]any{"object": map[string]any{
			"bucket": s.Resources.BucketName(tenant, etl.BucketDrop), "name": name, "size": n}})
		return
	}
}

func (s *server) listFiles(w http.ResponseWriter, r *http.Request) {
	b, err := s.Resources.Bucket(r.Context(), principal(r).TenantID, etl.BucketDrop)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	type file struct {
		Name     string    `json:"name"`
		Size     int64     `json:"size"`
		Modified time.Time `json:"modified"`
	}
	out := []file{}
	it := b.List(nil)
	for len(out) < 1000 {
		obj, err := it.Next(r.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			writeError(w, r, s.Logger, blobstore.Wrap(err, "list the drop area"))
			return
		}
		out = append(out, file{Name: obj.Key, Size: obj.Size, Modified: obj.ModTime.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": out})
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,299}$`)

func (s *server) listTables(w http.ResponseWriter, r *http.Request) {
	dataset := r.URL.Query().Get("dataset")
	if dataset == "" {
		dataset = etl.DefaultDataset
	}
	if !identRE.MatchString(dataset) {
		writeError(w, r, s.Logger, errs.E(errs.Invalid, "dataset %q is not a valid name", dataset))
		return
	}
	wh, err := s.Resources.Warehouse(r.Context(), principal(r).TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	tables, err := wh.ListTables(r.Context(), dataset)
	if err != nil && !errs.Is(err, errs.NotFound) {
		writeError(w, r, s.Logger, err)
		return
	}
	if tables == nil {
		tables = []warehouse.Table{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": tables})
}

func (s *server) getTable(w http.ResponseWriter, r *http.Request) {
	dataset, name := r.PathValue("dataset"), r.PathValue("name")
	if !identRE.MatchString(dataset) || !identRE.MatchString(name) {
		writeError(w, r, s.Logger, errs.E(errs.NotFound, "table %s.%s not found", dataset, name))
		return
	}
	limit, err := queryInt(r, "limit", 20, 1000)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	wh, err := s.Resources.Warehouse(r.Context(), principal(r).TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	t, err := wh.DescribeTable(r.Context(), dataset, name)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	q := fmt.Sprintf("SELECT * FROM %s LIMIT %d", warehouse.QuoteTable(wh.Dialect(), dataset, name), limit)
	res, err := wh.Query(r.Context(), q, nil, limit)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"table": t, "preview": map[string]any{"columns": res.Columns, "rows": res.Rows}})
}
