//go:build !linux

package blobstore

import (
	"os"
	"time"
)

// changeTime is the file's modification time where ctime is not read.
func changeTime(fi os.FileInfo) time.Time { return fi.ModTime() }
