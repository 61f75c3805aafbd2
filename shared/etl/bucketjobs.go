package etl

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// FileMode says which files of a bucket connection a file job's run loads.
type FileMode string

// File modes.
const (
	// FilesAll loads every new or changed file: the ledger keeps, per
	// file name, the generation (or etag-derived version) and content
	// loaded, so each version loads once.
	FilesAll FileMode = "all"
	// FilesLatest loads only the newest matching file (by modification
	// time), which replaces the table (load mode truncate): one snapshot,
	// whichever run commits last.
	FilesLatest FileMode = "latest"
)

// checkBucketSource checks a file job's bucket connection, subfolders
// and mode, and returns the load mode (truncate by default for
// FilesLatest).
func (s *Service) checkBucketSource(ctx context.Context, tenant string, f *FileSource, mode LoadMode) (LoadMode, error) {
	f.ConnectionID = strings.TrimSpace(f.ConnectionID)
	f.Mode = FileMode(strings.ToLower(strings.TrimSpace(string(f.Mode))))
	if f.ConnectionID == "" {
		switch {
		case f.Subfolders:
			return "", fieldInvalid("file.subfolders: applies only to a file job on a bucket connection (file.connection_id); the drop area is read folder by folder")
		case f.Mode != "":
			return "", fieldInvalid("file.mode: applies only to a file job on a bucket connection (file.connection_id); files dropped in the drop area load as they arrive")
		}
		return mode, nil
	}
	switch f.Mode {
	case "":
		f.Mode = FilesAll
	case FilesAll:
	case FilesLatest:
		if mode == "" {
			mode = Truncate
		}
	default:
		return "", fieldInvalid("file.mode: %q is not one of all (every new or changed file), latest (the newest file replaces the table)", f.Mode)
	}
	if err := checkFileMode(*f, mode); err != nil {
		return "", err
	}
	if s.conns == nil {
		return "", errs.E(errs.Unsupported, "etl: file jobs on bucket connections need saved connections, which are not configured")
	}
	conn, err := s.conns.Get(ctx, tenant, f.ConnectionID)
	if errs.Is(err, errs.NotFound) {
		return "", errs.WrapField(errs.NotFound, err, "file.connection_id", "this connection does not exist (it may have been deleted)")
	}
	if err != nil {
		return "", err
	}
	if !conn.Type.IsStorage() {
		return "", fieldInvalid("file.connection_id: connection %q is a %s connection, which holds tables, not files: read it with a database job", conn.Name, conn.Type.Display())
	}
	return mode, nil
}

// checkFileMode refuses a load mode other than truncate for a job that
// loads only the latest file: its file is the whole table.
func checkFileMode(f FileSource, mode LoadMode) error {
	if f.Mode == FilesLatest && mode != Truncate {
		return fieldInvalid("load_mode: a job that loads only the latest file replaces the table with it: use load mode truncate, or file mode all")
	}
	return nil
}

// claimsKey reports whether a file job claims a listed object key under
// its folder (prefix, ending in "/" unless empty): directly in it, or in
// a folder under it with Subfolders, and matching the pattern.
func (j Job) claimsKey(prefix, key string) bool {
	rel, ok := strings.CutPrefix(key, prefix)
	if !ok || rel == "" || strings.HasSuffix(rel, "/") {
		return false
	}
	if !j.File.Subfolders && strings.Contains(rel, "/") {
		return false
	}
	return globMatch(j.File.Pattern, path.Base(rel))
}

// jobBucket is the bucket a file job reads, open: the tenant's drop
// bucket or the job's connection's. Call release when done.
type jobBucket struct {
	*blob.Bucket
	name    string // the bucket as runs name it (ObjectRef.Bucket)
	prefix  string // the job's folder: its keys start with it
	release func()
}

// openJobBucket opens the bucket a file job reads. A connection's own
// prefix is a folder the job's prefix is under.
func (s *Service) openJobBucket(ctx context.Context, tenant string, job Job) (jobBucket, error) {
	prefix := folder(job.File.Prefix)
	if job.File.ConnectionID == "" {
		b, err := s.res.Bucket(ctx, tenant, BucketDrop)
		return jobBucket{Bucket: b, name: s.res.BucketName(tenant, BucketDrop), prefix: prefix, release: func() {}}, err
	}
	if s.conns == nil {
		return jobBucket{}, errs.E(errs.Unsupported, "etl: file jobs on bucket connections need saved connections, which are not configured")
	}
	b, conn, err := s.conns.OpenBucket(ctx, tenant, job.File.ConnectionID)
	if err != nil {
		return jobBucket{}, err
	}
	return jobBucket{Bucket: b, name: conn.BucketURL, prefix: folder(conn.Prefix) + prefix, release: func() { _ = b.Close() }}, nil
}

// folder is a folder path as a key prefix: "a/b" → "a/b/", "" → "".
func folder(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// listedFile is a file a job claims, as listed.
type listedFile struct {
	ref eventschemas.ObjectRef
	// latestOrder orders the file among the job's files (FilesLatest
	// jobs only; see Run.LatestOrder).
	latestOrder string
}

// listFiles calls fn with every file the job claims in its bucket; for a
// FilesLatest job, once with the newest (latest modification time, then
// the greatest key), if any.
func (b jobBucket) listFiles(ctx context.Context, job Job, fn func(listedFile) error) error {
	opts := &blob.ListOptions{Prefix: b.prefix}
	if !job.File.Subfolders {
		opts.Delimiter = "/"
	}
	latest := job.File.Mode == FilesLatest
	var newest *listedFile
	var newestAt time.Time
	it := b.List(opts)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return blobstore.Wrap(err, "etl: list the files of job %s", job.ID)
		}
		if obj.IsDir || !job.claimsKey(b.prefix, obj.Key) {
			continue
		}
		f := listedFile{ref: eventschemas.ObjectRef{Bucket: b.name, Name: obj.Key, Generation: blobstore.ListGeneration(obj), Size: obj.Size}}
		if len(obj.MD5) > 0 {
			f.ref.MD5 = base64.StdEncoding.EncodeToString(obj.MD5)
		}
		if !latest {
			if err := fn(f); err != nil {
				return err
			}
			continue
		}
		if newest == nil || obj.ModTime.After(newestAt) || (obj.ModTime.Equal(newestAt) && obj.Key > newest.ref.Name) {
			f.latestOrder = strconv.FormatInt(obj.ModTime.UnixNano(), 10)
			newest, newestAt = &f, obj.ModTime
		}
	}
	if newest != nil {
		return fn(*newest)
	}
	return nil
}

// latestSlot is the ledger entry name of a FilesLatest job: no object has
// an empty name.
const latestSlot = ""

// fileSlot is the ledger entry that orders the loads of a file run, and
// the run's version's place in that order. A run of a job that loads
// every file is ordered among the versions of its own file (their
// generations); a run of a FilesLatest job among all the job's files, by
// modification time, in the job's one entry, which holds the file the
// table was last replaced with.
func fileSlot(obj *eventschemas.ObjectRef, latestOrder string) (object, order string) {
	if latestOrder != "" {
		return latestSlot, latestOrder
	}
	return obj.Name, obj.Generation
}

// loadedNewer reports whether a ledger slot (fileSlot) holds a version
// newer than the run's: a later generation of its file, or, in a
// FilesLatest job's slot, a file modified later, or at the same time with
// a greater name (the tie listFiles breaks the same way).
func loadedNewer(e LedgerEntry, obj *eventschemas.ObjectRef, latestOrder string) bool {
	_, order := fileSlot(obj, latestOrder)
	c, ok := blobstore.CompareGenerations(e.Generation, order)
	if ok && c == 0 && latestOrder != "" {
		return e.Object > obj.Name
	}
	return ok && c > 0
}

// alreadyLoaded reports whether the ledger shows this version of a file
// loaded (the same name at the same generation or order), or the same
// content (hex MD5, "" when unknown).
func (s *Service) alreadyLoaded(ctx context.Context, tenant, jobID string, f listedFile) (bool, error) {
	slot, order := fileSlot(&f.ref, f.latestOrder)
	e, ok, err := s.ledgerEntry(ctx, tenant, jobID, slot)
	if err != nil || !ok || e.RunID == "" {
		return false, err
	}
	md5 := ""
	if raw, err := base64.StdEncoding.DecodeString(f.ref.MD5); err == nil && len(raw) > 0 {
		md5 = hex.EncodeToString(raw)
	}
	return (e.Object == f.ref.Name && e.Generation == order) || (md5 != "" && e.MD5 == md5), nil
}
