package blobstore

import (
	"os"
	"syscall"
	"time"
)

// changeTime is the file's status change time (ctime).
func changeTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return fi.ModTime()
}
