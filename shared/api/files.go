package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"gocloud.dev/blob"
)

// multipartSlack is what a multipart body may carry beside the file (part
// headers, boundaries, small fields) under the upload limit.
const multipartSlack = 64 << 10

// uploadFile streams the multipart field "file" into the tenant's drop
// bucket; the storage event that follows starts the run. The file may be
// at most Uploads.MaxBytes; a deployment that uploads through signed URLs
// (the cloud) does not take files here.
func (s *server) uploadFile(w http.ResponseWriter, r *http.Request) {
	tenant := principal(r).TenantID
	up := s.Uploads.withDefaults()
	if up.Mode == UploadSigned {
		writeError(w, r, s.Logger, errs.Userf(errs.Unsupported,
			"this deployment takes files straight into storage, not through the API: ask POST /api/uploads for an upload link (the web app does)"))
		return
	}
	if r.ContentLength > up.MaxBytes+multipartSlack {
		writeError(w, r, s.Logger, tooLarge("", r.ContentLength, up.MaxBytes))
		return
	}
	streamBody(w, r, s.Limits.StreamIdleTimeout)
	r.Body = http.MaxBytesReader(w, r.Body, up.MaxBytes+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, r, s.Logger, errs.Explain(errs.Wrap(errs.Invalid, err, "api: upload: multipart reader"),
			"send the file as a multipart/form-data body with a field \"file\""))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			writeError(w, r, s.Logger, errs.Userf(errs.Invalid, "the form has no field \"file\": put the file in a field named file"))
			return
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, r, s.Logger, tooLarge("", 0, up.MaxBytes))
			return
		}
		if err != nil {
			writeError(w, r, s.Logger, errs.Explain(errs.Wrap(errs.Invalid, err, "api: upload: next part"),
				"the upload was interrupted or is not a valid multipart form: try again"))
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
		wctx, abort := context.WithCancel(r.Context())
		defer abort()
		bw, err := b.NewWriter(wctx, name, &blob.WriterOptions{ContentType: uploadContentType(name)})
		if err != nil {
			writeError(w, r, s.Logger, blobstore.Wrap(err, "open %s in the drop area", name))
			return
		}
		n, err := io.Copy(bw, io.LimitReader(part, up.MaxBytes+1))
		if err == nil && n > up.MaxBytes {
			err = tooLarge(name, 0, up.MaxBytes)
		}
		if err != nil {
			abort() // a cancelled writer discards what it has: no partial object
			_ = bw.Close()
			if errors.As(err, &mbe) {
				writeError(w, r, s.Logger, tooLarge(name, 0, up.MaxBytes))
				return
			}
			writeError(w, r, s.Logger, errs.Explain(errs.Wrap(errs.Invalid, err, "api: upload %s", name),
				"the upload of %s was interrupted: try again", name))
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

// userDataset reports whether the tables API may show a dataset: a valid
// name that is not internal. Datasets whose names start with "_" belong to
// the platform (the warehouse's metadata, "_b2brecs_meta"; BigQuery hides
// such datasets too) and are neither listed nor readable.
func userDataset(name string) bool {
	return identRE.MatchString(name) && !strings.HasPrefix(name, "_")
}

func (s *server) listTables(w http.ResponseWriter, r *http.Request) {
	dataset := r.URL.Query().Get("dataset")
	if dataset == "" {
		dataset = etl.DefaultDataset
	}
	if !identRE.MatchString(dataset) {
		writeError(w, r, s.Logger, errs.Fieldf(errs.Invalid, "dataset", "%q is not a valid dataset name (letters, digits and _)", dataset))
		return
	}
	if !userDataset(dataset) {
		writeJSON(w, http.StatusOK, map[string]any{"tables": []warehouse.Table{}})
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
	if !userDataset(dataset) || !identRE.MatchString(name) {
		writeError(w, r, s.Logger, tableNotFound(errs.E(errs.NotFound, "api: table %s.%s: not a user table name", dataset, name), dataset, name))
		return
	}
	limit, err := queryInt(r, "limit", 20, warehouse.MaxPreviewRows)
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
	if errs.Is(err, errs.NotFound) {
		err = tableNotFound(err, dataset, name)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	res, err := wh.Preview(r.Context(), dataset, name, limit)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"table": t, "preview": map[string]any{"columns": res.Columns, "rows": res.Rows}})
}

// tableNotFound tells the user which table is missing, in the names they
// used, and why it may be.
func tableNotFound(err error, dataset, name string) error {
	return errs.Explain(err, "there is no table %q in dataset %q: a job creates its table at its first load", name, dataset)
}
