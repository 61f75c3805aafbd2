// Package drops is a tenant's drop area: the bucket whose new files start
// ETL runs (a file job claims them by prefix and pattern). It takes
// uploads, streamed through the API or straight into storage through a
// signed link, checks them against the upload settings before any byte
// moves, and lists what is there.
package drops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// Buckets opens the tenants' buckets (etl.Resources does).
type Buckets interface {
	// Bucket opens (or returns the cached) bucket of a role for a tenant.
	Bucket(ctx context.Context, tenant, role string) (*blob.Bucket, error)
	// BucketName is the bucket's name as storage events carry it.
	BucketName(tenant, role string) string
}

// Service serves the tenants' drop areas.
type Service struct {
	buckets Buckets
	set     Settings
	log     *slog.Logger
}

// New returns the drop area service; zero fields of set take the defaults
// and a nil log is slog.Default.
func New(b Buckets, set Settings, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{buckets: b, set: set.WithDefaults(), log: log}
}

// Settings are the settings in force (defaults filled in).
func (s *Service) Settings() Settings { return s.set }

// Object names a stored file of a tenant's drop area.
type Object struct {
	Bucket string `json:"bucket"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
}

// File is a file of the drop area as a listing shows it.
type File struct {
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// Ticket says how one file is uploaded: in ModeSigned through Signed, a
// resumable upload link straight into the drop bucket; in ModeDirect
// through the API (Signed is nil).
type Ticket struct {
	Mode     string
	Object   Object
	MaxBytes int64
	Signed   *blobstore.SignedUpload
}

const op errs.Op = "drops"

// Ticket checks a file before it is uploaded, so that a file the
// deployment would refuse is refused before any byte moves: its name (a
// plain file name), its size (given, at most MaxBytes) and its type (one
// the ETL reads). In signed mode it signs an upload link.
func (s *Service) Ticket(ctx context.Context, tenant, name string, size *int64) (Ticket, error) {
	name, err := uploadName(name)
	if err != nil {
		return Ticket{}, err
	}
	switch {
	case size == nil:
		return Ticket{}, errs.Fieldf(errs.Invalid, "size", "give the size of %s in bytes", name)
	case *size < 0:
		return Ticket{}, errs.Fieldf(errs.Invalid, "size", "the size of %s cannot be negative", name)
	case *size > s.set.MaxBytes:
		return Ticket{}, TooLarge(name, *size, s.set.MaxBytes)
	}
	if _, _, err := tabular.DetectFormat(name); err != nil {
		return Ticket{}, errs.WrapField(errs.Unsupported, err, "name",
			"%s cannot be loaded: upload CSV, TSV, JSON Lines, JSON or Parquet files (%s), optionally gzip-compressed (.gz)",
			name, strings.Join(tabular.SupportedExtensions(), ", "))
	}
	t := Ticket{Mode: s.set.Mode, MaxBytes: s.set.MaxBytes,
		Object: Object{Bucket: s.buckets.BucketName(tenant, etl.BucketDrop), Name: name, Size: *size}}
	if s.set.Mode != ModeSigned {
		return t, nil
	}
	b, err := s.buckets.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		return Ticket{}, errs.At(op+".Ticket", err)
	}
	t.Signed, err = blobstore.SignResumableUpload(ctx, b, name, blobstore.SignedUploadOptions{
		ContentType: ContentType(name), MaxBytes: s.set.MaxBytes, Expiry: s.set.URLExpiry,
	})
	if errs.Is(err, errs.Unsupported) || errs.Is(err, errs.Permission) {
		// The deployment's set-up, not the user's request: an internal
		// error (500), with the cause logged.
		return Ticket{}, errs.Explain(errs.Wrap(errs.Unknown, err, "drops: sign an upload link"),
			"uploads are not set up in this deployment (the storage cannot sign upload links): ask your administrator")
	}
	if err != nil {
		return Ticket{}, errs.At(op+".Ticket", err)
	}
	s.log.InfoContext(ctx, "drops: upload ticket", "tenant", tenant, "name", name, "bytes", *size, "expires", t.Signed.Expires)
	return t, nil
}

// Put stores the file name read from r in the tenant's drop area (the
// storage event that follows starts its run), reading at most MaxBytes:
// a longer file, or r failing with *http.MaxBytesError, is refused with
// TooLarge. Nothing is stored unless the whole file was read. A file of a
// type the ETL does not read is still stored, as a file dropped into the
// bucket would be: its run records why it was not loaded.
func (s *Service) Put(ctx context.Context, tenant, name string, r io.Reader) (Object, error) {
	name, err := blobstore.SafeKey(path.Base(name))
	if err != nil {
		return Object{}, err
	}
	if _, _, err := tabular.DetectFormat(name); err != nil {
		s.log.InfoContext(ctx, "drops: uploading a file of unsupported type", "name", name)
	}
	b, err := s.buckets.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		return Object{}, errs.At(op+".Put", err)
	}
	wctx, abort := context.WithCancel(ctx)
	defer abort()
	w, err := b.NewWriter(wctx, name, &blob.WriterOptions{ContentType: ContentType(name)})
	if err != nil {
		return Object{}, blobstore.Wrap(err, "open %s in the drop area", name)
	}
	max := s.set.MaxBytes
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	var mbe *http.MaxBytesError
	switch {
	case err == nil && n > max, errors.As(err, &mbe):
		err = TooLarge(name, 0, max)
	case err != nil:
		err = errs.Explain(errs.Wrap(errs.Invalid, err, "drops: upload %s", name), "the upload of %s was interrupted: try again", name)
	}
	if err != nil {
		abort() // a cancelled writer discards what it has: no partial object
		_ = w.Close()
		return Object{}, err
	}
	if err := w.Close(); err != nil {
		return Object{}, blobstore.Wrap(err, "store %s", name)
	}
	s.log.InfoContext(ctx, "drops: file uploaded", "tenant", tenant, "name", name, "bytes", n)
	return Object{Bucket: s.buckets.BucketName(tenant, etl.BucketDrop), Name: name, Size: n}, nil
}

// List lists the files of the tenant's drop area by name, at most
// ListLimit of them.
func (s *Service) List(ctx context.Context, tenant string) ([]File, error) {
	b, err := s.buckets.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		return nil, errs.At(op+".List", err)
	}
	out := []File{}
	it := b.List(nil)
	for len(out) < s.set.ListLimit {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, blobstore.Wrap(err, "list the drop area")
		}
		out = append(out, File{Name: obj.Key, Size: obj.Size, Modified: obj.ModTime.UTC()})
	}
	return out, nil
}

// contentTypes are the content types uploads are stored with, by
// extension: fixed here so that a signed URL and the request the browser
// makes with it agree on every machine (mime.TypeByExtension depends on
// the system's tables).
var contentTypes = map[string]string{
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

// ContentType is the content type an uploaded file is stored with.
func ContentType(name string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// uploadName checks the name of a file to upload: a plain file name, which
// blobstore.SafeKey keeps as it is.
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

// TooLarge is the error of a file over the upload limit: Invalid about the
// field "size", its cause an *http.MaxBytesError (the API answers 413).
// name and size are left out of the message when empty or zero.
func TooLarge(name string, size, limit int64) error {
	what := "the file"
	if name != "" {
		what = name
	}
	msg := fmt.Sprintf("%s is larger than this deployment accepts (at most %s)", what, FormatSize(limit))
	if size > 0 {
		msg = fmt.Sprintf("%s is %s, larger than this deployment accepts (at most %s)", what, FormatSize(size), FormatSize(limit))
	}
	return &errs.Error{Kind: errs.Invalid, Field: "size", User: msg, Err: &http.MaxBytesError{Limit: limit}}
}
