package blobstore

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// MaxKeyLen is the longest object key accepted, in bytes (the GCS and S3 limit).
const MaxKeyLen = 1024

// SafeKey validates and cleans an object key that comes from a user (an
// upload name, a tenant's drop prefix), so that it stays a relative path
// inside the bucket on every driver, including fileblob where keys are file
// paths.
//
// It rejects, with errs.Invalid naming the problem: an empty key, a key over
// MaxKeyLen bytes, invalid UTF-8, control characters (including NUL),
// backslashes, a leading '/' and any ".." segment. It collapses repeated
// slashes and drops "." segments. A single trailing '/' is kept, so a folder
// prefix stays a folder prefix.
func SafeKey(name string) (string, error) {
	switch {
	case name == "":
		return "", badKey("a name is required", "blobstore: empty object key")
	case len(name) > MaxKeyLen:
		return "", badKey(fmt.Sprintf("the name is %d bytes long, over the limit of %d", len(name), MaxKeyLen), "blobstore: object key is %d bytes, over the limit of %d", len(name), MaxKeyLen)
	case !utf8.ValidString(name):
		return "", badKey("the name is not valid UTF-8 text", "blobstore: object key %q is not valid UTF-8", name)
	}
	for _, r := range name {
		switch {
		case r == '\\':
			return "", badKey(fmt.Sprintf("the name %q contains a backslash: separate folders with /", name), "blobstore: object key %q contains a backslash", name)
		case unicode.IsControl(r):
			return "", badKey("the name contains a control character", "blobstore: object key %q contains control character %U", name, r)
		}
	}
	if strings.HasPrefix(name, "/") {
		return "", badKey(fmt.Sprintf("the name %q starts with /: give a name relative to the folder", name), "blobstore: object key %q is an absolute path", name)
	}
	segs := strings.Split(name, "/")
	out := segs[:0]
	for _, s := range segs {
		switch s {
		case "", ".":
			continue
		case "..":
			return "", badKey(fmt.Sprintf("the name %q contains a \"..\" segment, which is not allowed", name), "blobstore: object key %q contains a \"..\" segment", name)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "", badKey(fmt.Sprintf("the name %q names no file", name), "blobstore: object key %q names no object", name)
	}
	key := strings.Join(out, "/")
	if strings.HasSuffix(name, "/") {
		key += "/"
	}
	return key, nil
}

// Join returns the key made of prefix and parts, each checked with SafeKey,
// so that an uploaded name cannot escape the folder it is put in. prefix may
// be empty (the bucket root); parts may contain '/' (sub-folders). The
// result ends in '/' only when the last part does.
func Join(prefix string, parts ...string) (string, error) {
	if len(parts) == 0 {
		return "", errs.E(errs.Invalid, "blobstore: join: no name under prefix %q", prefix)
	}
	var elems []string
	if prefix != "" {
		p, err := SafeKey(prefix)
		if err != nil {
			return "", errs.At("blobstore.Join", err)
		}
		elems = append(elems, strings.TrimSuffix(p, "/"))
	}
	for i, part := range parts {
		p, err := SafeKey(part)
		if err != nil {
			return "", errs.At("blobstore.Join", err)
		}
		if i < len(parts)-1 {
			p = strings.TrimSuffix(p, "/")
		}
		elems = append(elems, p)
	}
	key := strings.Join(elems, "/")
	if len(key) > MaxKeyLen {
		return "", errs.E(errs.Invalid, "blobstore: joined object key is %d bytes, over the limit of %d", len(key), MaxKeyLen)
	}
	return key, nil
}

// ObjectURL returns the URL of the object key in the bucket named by
// bucketURL, as loaders and tools expect it: the bucket URL without its query,
// a '/', and the key as is (not percent-encoded).
//
//	ObjectURL("file:///abs/dir", "a/b.csv") == "file:///abs/dir/a/b.csv"
//	ObjectURL("gs://b?endpoint=http://x", "k") == "gs://b/k"
func ObjectURL(bucketURL, key string) string {
	base := bucketURL
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	key = strings.TrimLeft(key, "/")
	if strings.HasSuffix(base, "/") {
		return base + key
	}
	return base + "/" + key
}

// badKey is errs.Invalid with a message for the user and one for the logs.
func badKey(user, format string, args ...any) error {
	return errs.Explain(errs.E(errs.Invalid, format, args...), "%s", user)
}
