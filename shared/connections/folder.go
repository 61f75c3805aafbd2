package connections

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Local folders (file:// bucket URLs, local mode only) are confined to the
// operator's import folders (Options.FileRoots, B2B_FILE_IMPORT_ROOTS):
//
//   - when a connection is saved, its folder must lie under one of the
//     tenant's roots once "." and ".." are resolved (localFolder);
//   - when it is opened, the folder is opened through the root with
//     os.Root (openFolder), so a symbolic link anywhere on the way that
//     leads out of the root is refused by the operating system's lookup,
//     not by a check that could race with a change on disk;
//   - the bucket reads the folder through an os.Root of its own
//     (folderBucket): a link inside it that leads out of the folder is
//     neither listed nor readable.
//
// The bucket is read-only: a connection reads a tenant's files, it never
// writes them.

// tenantRoots returns the import folders of a tenant: Options.FileRoots
// with {tenant} replaced, absolute and clean.
func (s *Service) tenantRoots(tenant string) []string {
	if tenant == "" || strings.ContainsAny(tenant, `/\.`) {
		return nil
	}
	var out []string
	for _, r := range s.opts.FileRoots {
		r = strings.ReplaceAll(r, "{tenant}", tenant)
		if abs, err := filepath.Abs(r); err == nil {
			out = append(out, filepath.Clean(abs))
		}
	}
	return out
}

// within reports whether dir is root or lies under it (both clean).
func within(root, dir string) bool {
	rel, err := filepath.Rel(root, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// localFolder returns the folder a file:// URL names, if it lies under
// one of roots. Symbolic links are judged when the folder is opened.
func localFolder(u *url.URL, roots []string) (string, error) {
	if len(roots) == 0 {
		return "", invalid("bucket_url", "local folders are not allowed in this deployment (only in local mode, under the folders named by B2B_FILE_IMPORT_ROOTS)")
	}
	if (u.Host != "" && u.Host != "localhost") || u.Opaque != "" || !path.IsAbs(u.Path) {
		return "", invalid("bucket_url", "must be file:///ABSOLUTE/FOLDER (a folder under %s)", strings.Join(roots, " or "))
	}
	dir := filepath.Clean(filepath.FromSlash(u.Path))
	for _, r := range roots {
		if within(r, dir) {
			return dir, nil
		}
	}
	return "", invalid("bucket_url", "must be a folder under %s (the import folders of this deployment; an operator sets them with B2B_FILE_IMPORT_ROOTS)", strings.Join(roots, " or "))
}

// openFolder opens a saved file:// connection's folder through the
// tenant's roots: errs.Permission when the folder (or a link on the way
// to it) leads outside them, errs.NotFound when it does not exist.
func openFolder(bucketURL string, roots []string) (*blob.Bucket, error) {
	u, err := url.Parse(bucketURL)
	if err != nil {
		return nil, invalid("bucket_url", "does not parse as a URL")
	}
	dir, err := localFolder(u, roots)
	if err != nil {
		return nil, errs.E(errs.Permission, "%s", publicMessage(err))
	}
	for _, r := range roots {
		if !within(r, dir) {
			continue
		}
		rel, _ := filepath.Rel(r, dir)
		root, err := os.OpenRoot(r)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errs.E(errs.NotFound, "the folder %s does not exist", dir)
		}
		if err != nil {
			return nil, errs.Wrap(errs.Transient, err, "the import folder %s cannot be opened", r)
		}
		sub, err := root.OpenRoot(rel)
		root.Close()
		switch {
		case err == nil:
			return blob.NewBucket(&folderBucket{root: sub}), nil
		case errors.Is(err, fs.ErrNotExist):
			return nil, errs.E(errs.NotFound, "the folder %s does not exist", dir)
		case strings.Contains(err.Error(), "escapes"):
			return nil, errs.Wrap(errs.Permission, err, "the folder %s leads outside the import folders of this deployment (a symbolic link): only folders under %s can be read", dir, strings.Join(roots, " or "))
		default:
			return nil, errs.Wrap(errs.Invalid, err, "the folder %s cannot be opened", dir)
		}
	}
	return nil, errs.E(errs.Permission, "the folder %s is outside the import folders of this deployment", dir)
}

// folderBucket is a read-only gocloud bucket over an os.Root: keys are
// slash-separated paths under it.
type folderBucket struct {
	root *os.Root
}

var (
	_             driver.Bucket = (*folderBucket)(nil)
	errReadOnly                 = errors.New("a connection's folder is read-only")
	errInvalidKey               = errors.New("invalid key")
)

func (b *folderBucket) ErrorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return gcerrors.NotFound
	case errors.Is(err, fs.ErrPermission):
		return gcerrors.PermissionDenied
	case errors.Is(err, errReadOnly):
		return gcerrors.Unimplemented
	case errors.Is(err, errInvalidKey):
		return gcerrors.InvalidArgument
	}
	return gcerrors.Unknown
}

func (b *folderBucket) As(any) bool             { return false }
func (b *folderBucket) ErrorAs(error, any) bool { return false }
func (b *folderBucket) Close() error            { return b.root.Close() }
func (b *folderBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errReadOnly
}

func (b *folderBucket) NewTypedWriter(context.Context, string, string, *driver.WriterOptions) (driver.Writer, error) {
	return nil, errReadOnly
}

func (b *folderBucket) Copy(context.Context, string, string, *driver.CopyOptions) error {
	return errReadOnly
}

func (b *folderBucket) Delete(context.Context, string, *driver.DeleteOptions) error {
	return errReadOnly
}

// stat returns the regular file a key names (links inside the folder are
// followed, links out of it are an error).
func (b *folderBucket) stat(key string) (os.FileInfo, error) {
	if !fs.ValidPath(key) || key == "." {
		return nil, errInvalidKey
	}
	fi, err := b.root.Stat(key)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fs.ErrNotExist
	}
	return fi, nil
}

func fileInfoAs(fi os.FileInfo) func(any) bool {
	return func(i any) bool {
		p, ok := i.(*os.FileInfo)
		if ok {
			*p = fi
		}
		return ok
	}
}

func (b *folderBucket) Attributes(_ context.Context, key string) (*driver.Attributes, error) {
	fi, err := b.stat(key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{ModTime: fi.ModTime(), Size: fi.Size(), AsFunc: fileInfoAs(fi)}, nil
}

// ListPaged lists the regular files (and links to files inside the
// folder) in key order. A page token is the last key of the previous page.
func (b *folderBucket) ListPaged(_ context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	start := "."
	if i := strings.LastIndex(opts.Prefix, "/"); i > 0 {
		start = opts.Prefix[:i]
		if !fs.ValidPath(start) {
			return &driver.ListPage{}, nil
		}
	}
	type entry struct {
		key string
		fi  os.FileInfo
	}
	var all []entry
	fsys := b.root.FS()
	err := fs.WalkDir(fsys, start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start {
				return fs.SkipAll // no such directory: an empty listing
			}
			return nil
		}
		if d.IsDir() {
			if p != "." && p != start && !strings.HasPrefix(p+"/", opts.Prefix) && !strings.HasPrefix(opts.Prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(p, opts.Prefix) {
			return nil
		}
		fi, err := b.root.Stat(p) // follows links that stay inside the folder
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		all = append(all, entry{p, fi})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	page := &driver.ListPage{}
	after := string(opts.PageToken)
	lastDir := ""
	for _, e := range all {
		if after != "" && e.key <= after {
			continue
		}
		if opts.PageSize > 0 && len(page.Objects) == opts.PageSize {
			page.NextPageToken = []byte(page.Objects[len(page.Objects)-1].Key)
			break
		}
		if opts.Delimiter != "" {
			rest := e.key[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				dir := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if dir == lastDir || (after != "" && dir <= after) {
					continue
				}
				lastDir = dir
				page.Objects = append(page.Objects, &driver.ListObject{Key: dir, IsDir: true})
				continue
			}
		}
		fi := e.fi
		page.Objects = append(page.Objects, &driver.ListObject{Key: e.key, ModTime: fi.ModTime(), Size: fi.Size(), AsFunc: fileInfoAs(fi)})
	}
	return page, nil
}

func (b *folderBucket) NewRangeReader(_ context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	if !fs.ValidPath(key) || key == "." {
		return nil, errInvalidKey
	}
	f, err := b.root.Open(key)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err == nil && offset > 0 {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	as := func(i any) bool {
		p, ok := i.(**os.File)
		if ok {
			*p = f
		}
		return ok
	}
	if opts != nil && opts.BeforeRead != nil {
		if err := opts.BeforeRead(as); err != nil {
			f.Close()
			return nil, err
		}
	}
	var r io.Reader = f
	if length >= 0 {
		r = io.LimitReader(f, length)
	}
	return &folderReader{r: r, f: f, attrs: driver.ReaderAttributes{ModTime: fi.ModTime(), Size: fi.Size()}, as: as}, nil
}

type folderReader struct {
	r     io.Reader
	f     *os.File
	attrs driver.ReaderAttributes
	as    func(any) bool
}

func (r *folderReader) Read(p []byte) (int, error)           { return r.r.Read(p) }
func (r *folderReader) Close() error                         { return r.f.Close() }
func (r *folderReader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *folderReader) As(i any) bool                        { return r.as(i) }
