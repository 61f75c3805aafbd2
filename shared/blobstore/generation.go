package blobstore

import (
	"errors"
	"os"
	"strconv"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Object generations name one version of an object so that the versions of
// a key compare in the order they were written. Cloud Storage has them
// natively (the object's generation number, the same value its
// object.finalized event carries). Folders (fileblob) use the file's change
// time in nanoseconds on Linux (ctime: set by every write and rename, and
// unlike the modification time it cannot be set back by cp -p, touch or
// an unpacked archive), the modification time elsewhere. Stores without
// either (memblob, S3, Azure) use the modification time, which is as
// coarse as the store keeps it (S3 and Azure: a second).
//
// Every producer of generations (the local drop watcher, listing a bucket
// to trigger a job, reading an object's attributes) goes through these
// functions, so a generation from an event and one from the store compare.

// Generation is the generation of the object whose attributes a is.
func Generation(a *blob.Attributes) string {
	var oa storage.ObjectAttrs
	if a.As(&oa) && oa.Generation != 0 {
		return strconv.FormatInt(oa.Generation, 10)
	}
	var fi os.FileInfo
	if a.As(&fi) && fi != nil {
		return FileGeneration(fi)
	}
	return strconv.FormatInt(a.ModTime.UnixNano(), 10)
}

// ListGeneration is the generation of a listed object.
func ListGeneration(o *blob.ListObject) string {
	var oa storage.ObjectAttrs
	if o.As(&oa) && oa.Generation != 0 {
		return strconv.FormatInt(oa.Generation, 10)
	}
	var fi os.FileInfo
	if o.As(&fi) && fi != nil {
		return FileGeneration(fi)
	}
	return strconv.FormatInt(o.ModTime.UnixNano(), 10)
}

// FileGeneration is the generation of a file in a folder bucket, from its
// os.Stat result.
func FileGeneration(fi os.FileInfo) string {
	return strconv.FormatInt(changeTime(fi).UnixNano(), 10)
}

// CompareGenerations orders two generations of one object: -1 if a is
// older than b, 0 if they are the same, +1 if a is newer. ok is false when
// either is not a generation this package produces (not a decimal number);
// such versions have no order.
func CompareGenerations(a, b string) (c int, ok bool) {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// ErrGenerationChanged is returned (wrapped, kind Conflict) by a read
// pinned to a generation when the object has been replaced since.
var ErrGenerationChanged = errors.New("blobstore: the object was replaced by a newer version")

// AtGeneration returns reader options that pin a read to one generation:
// on Cloud Storage the read asks for exactly that generation (a replaced
// one reads as not found); on a folder the opened file's generation is
// checked and a different one fails with ErrGenerationChanged. Other stores
// read the current version. An empty generation pins nothing.
func AtGeneration(gen string) *blob.ReaderOptions {
	if gen == "" {
		return nil
	}
	return &blob.ReaderOptions{BeforeRead: func(as func(any) bool) error {
		var h **storage.ObjectHandle
		if as(&h) && h != nil && *h != nil {
			n, err := strconv.ParseInt(gen, 10, 64)
			if err != nil {
				return errs.E(errs.Invalid, "blobstore: generation %q is not a number", gen)
			}
			*h = (*h).Generation(n)
			return nil
		}
		var f *os.File
		if as(&f) && f != nil {
			fi, err := f.Stat()
			if err != nil {
				return errs.Wrap(errs.Transient, err, "blobstore: stat %s", f.Name())
			}
			if got := FileGeneration(fi); got != gen {
				return errs.Wrap(errs.Conflict, ErrGenerationChanged, "blobstore: %s is at generation %s, not %s", fi.Name(), got, gen)
			}
		}
		return nil
	}}
}
