package blobstore

import (
	"errors"
	"os"
	"strconv"

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
	return generation(a.As, a.ModTime.UnixNano())
}

// ListGeneration is the generation of a listed object.
func ListGeneration(o *blob.ListObject) string {
	return generation(o.As, o.ModTime.UnixNano())
}

// generation asks the linked drivers for the object's native generation,
// then tries a folder's file, then falls back to the modification time.
func generation(as func(any) bool, modTime int64) string {
	for _, d := range linked() {
		if d.Generation == nil {
			continue
		}
		if g := d.Generation(as); g != "" {
			return g
		}
	}
	var fi os.FileInfo
	if as(&fi) && fi != nil {
		return FileGeneration(fi)
	}
	return strconv.FormatInt(modTime, 10)
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
		for _, d := range linked() {
			if d.PinRead == nil {
				continue
			}
			if handled, err := d.PinRead(as, gen); handled {
				return err
			}
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
