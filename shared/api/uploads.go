package api

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// Upload modes (B2B_UPLOAD_MODE).
const (
	// UploadDirect: the file goes through the API (POST /api/files), as on
	// the local platform.
	UploadDirect = "direct"
	// UploadSigned: the browser puts the file straight into the tenant's
	// drop bucket through a signed resumable upload URL (the cloud, where
	// Cloud Functions cap a request at 32 MiB).
	UploadSigned = "signed"
)

// Uploads configure file uploads (docs/api.md, "Uploads"). Zero fields take
// the defaults.
type Uploads struct {
	// Mode is UploadDirect (default) or UploadSigned. B2B_UPLOAD_MODE;
	// the default is signed in cloud mode.
	Mode string
	// MaxBytes is the largest file accepted, in both modes.
	// B2B_UPLOAD_MAX_BYTES, default MaxUploadBytes (2 GiB).
	MaxBytes int64
	// URLExpiry is how long a signed upload URL can start its upload.
	// B2B_UPLOAD_URL_EXPIRY, default 15m, at most 7 days.
	URLExpiry time.Duration
}

// MaxUploadLimit is the largest B2B_UPLOAD_MAX_BYTES (Cloud Storage's
// object size limit).
const MaxUploadLimit = 5 << 40

func (u Uploads) withDefaults() Uploads {
	if u.Mode == "" {
		u.Mode = UploadDirect
	}
	if u.MaxBytes <= 0 {
		u.MaxBytes = MaxUploadBytes
	}
	if u.URLExpiry <= 0 {
		u.URLExpiry = blobstore.DefaultUploadURLExpiry
	}
	return u
}

// UploadsFromEnv reads the upload settings from B2B_UPLOAD_* variables
// through getenv (os.Getenv); cloud selects the cloud's default mode. A
// value that does not parse is an error naming the variable.
func UploadsFromEnv(getenv func(string) string, cloud bool) (Uploads, error) {
	u := Uploads{Mode: UploadDirect}
	if cloud {
		u.Mode = UploadSigned
	}
	var all []error
	switch m := getenv("B2B_UPLOAD_MODE"); m {
	case "":
	case UploadDirect, UploadSigned:
		u.Mode = m
	default:
		all = append(all, fmt.Errorf("B2B_UPLOAD_MODE=%q is not %s or %s", m, UploadDirect, UploadSigned))
	}
	if s := getenv("B2B_UPLOAD_MAX_BYTES"); s != "" {
		n, err := ParseByteSize(s)
		if err != nil || n <= 0 || n > MaxUploadLimit {
			all = append(all, fmt.Errorf("B2B_UPLOAD_MAX_BYTES=%q is not a size between 1 byte and 5TiB (such as 2147483648, 500MiB or 2GiB)", s))
		}
		u.MaxBytes = n
	}
	if s := getenv("B2B_UPLOAD_URL_EXPIRY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > blobstore.MaxUploadURLExpiry {
			all = append(all, fmt.Errorf("B2B_UPLOAD_URL_EXPIRY=%q is not a duration between 1s and 168h (such as 15m)", s))
		}
		u.URLExpiry = d
	}
	return u.withDefaults(), errors.Join(all...)
}

// ParseByteSize reads a size in bytes: a whole number, optionally followed
// by KiB, MiB, GiB or TiB.
func ParseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}}
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a size in bytes", s)
	}
	return n << shift, nil
}

// uploadContentTypes are the content types uploads are stored with, by
// extension: fixed here so that a signed URL and the request the browser
// makes with it agree on every machine (mime.TypeByExtension depends on
// the system's tables).
var uploadContentTypes = map[string]string{
	".csv":     "text/csv",
	".tsv":     "text/tab-separated-values",
	".tab":     "text/tab-separated-values",
	".txt":     "text/plain",
	".json":    "application/json",
	".jsonl":   "application/x-ndjson",
	".ndjson":  "application/x-ndjson",
	".parquet": "application/vnd.apache.parquet",
	".pq":      "application/vnd.apache.parquet",
	".gz":      "application/gzip",
	".gzip":    "application/gzip",
}

// uploadContentType is the content type an uploaded file is stored with.
func uploadContentType(name string) string {
	if ct, ok := uploadContentTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// uploadName checks the name of a file to upload into the drop area: a
// plain file name, which blobstore.SafeKey keeps as it is.
func uploadName(name string) (string, error) {
	if name == "" {
		return "", errs.Fieldf(errs.Invalid, "name", "give the name of the file to upload")
	}
	k, err := blobstore.SafeKey(name)
	if err != nil || k != name || strings.ContainsAny(name, "/\\") {
		return "", &errs.Error{Kind: errs.Invalid, Field: "name", Err: err,
			User: fmt.Sprintf("%q cannot be used as a file name: use the file's own name, without folders, \"..\", backslashes or control characters (at most %d bytes)", name, blobstore.MaxKeyLen)}
	}
	return name, nil
}

// tooLarge is the answer to a file over the upload limit (413).
func tooLarge(name string, size, limit int64) error {
	what := "the file"
	if name != "" {
		what = name
	}
	msg := fmt.Sprintf("%s is larger than this deployment accepts (at most %s)", what, byteSize(limit))
	if size > 0 {
		msg = fmt.Sprintf("%s is %s, larger than this deployment accepts (at most %s)", what, byteSize(size), byteSize(limit))
	}
	return &errs.Error{Kind: errs.Invalid, Field: "size", User: msg, Err: &http.MaxBytesError{Limit: limit}}
}

// uploadTicket answers how the caller uploads one file, after checking its
// name, size and type, so a file the deployment would refuse is refused
// before any byte moves: in signed mode a resumable upload URL straight to
// the tenant's drop bucket, in direct mode the API route that takes the
// file.
func (s *server) uploadTicket(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string `json:"name"`
		Size        *int64 `json:"size"`
		ContentType string `json:"content_type"` // what the browser says; the stored type follows the extension
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	up := s.Uploads.withDefaults()
	name, err := uploadName(req.Name)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	switch {
	case req.Size == nil:
		writeError(w, r, s.Logger, errs.Fieldf(errs.Invalid, "size", "give the size of %s in bytes", name))
		return
	case *req.Size < 0:
		writeError(w, r, s.Logger, errs.Fieldf(errs.Invalid, "size", "the size of %s cannot be negative", name))
		return
	case *req.Size > up.MaxBytes:
		writeError(w, r, s.Logger, tooLarge(name, *req.Size, up.MaxBytes))
		return
	}
	if _, _, err := tabular.DetectFormat(name); err != nil {
		writeError(w, r, s.Logger, errs.WrapField(errs.Unsupported, err, "name",
			"%s cannot be loaded: upload CSV, TSV, JSON Lines, JSON or Parquet files (%s), optionally gzip-compressed (.gz)",
			name, strings.Join(tabular.SupportedExtensions(), ", ")))
		return
	}
	tenant := principal(r).TenantID
	object := map[string]any{"bucket": s.Resources.BucketName(tenant, etl.BucketDrop), "name": name, "size": *req.Size}
	if up.Mode != UploadSigned {
		writeJSON(w, http.StatusOK, map[string]any{
			"mode": UploadDirect, "method": http.MethodPost, "url": "/api/files", "field": "file",
			"max_bytes": up.MaxBytes, "object": object,
		})
		return
	}
	b, err := s.Resources.Bucket(r.Context(), tenant, etl.BucketDrop)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	signed, err := blobstore.SignResumableUpload(r.Context(), b, name, blobstore.SignedUploadOptions{
		ContentType: uploadContentType(name), MaxBytes: up.MaxBytes, Expiry: up.URLExpiry,
	})
	if err != nil {
		if errs.Is(err, errs.Unsupported) || errs.Is(err, errs.Permission) {
			// The deployment's set-up, not the user's request.
			// Answered as an internal error (500), with the cause logged.
			err = &errs.Error{Kind: errs.Unknown, Msg: "api: upload ticket: " + err.Error(),
				User: "uploads are not set up in this deployment (the storage cannot sign upload links): ask your administrator"}
		}
		writeError(w, r, s.Logger, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "api: upload ticket", "tenant", tenant, "name", name, "bytes", *req.Size, "expires", signed.Expires)
	writeJSON(w, http.StatusOK, map[string]any{
		"mode": UploadSigned, "resumable": true, "method": signed.Method, "url": signed.URL, "headers": signed.Headers,
		"expires": signed.Expires.UTC(), "max_bytes": up.MaxBytes, "object": object,
	})
}
