//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// inotifyMask: created, written, closed after writing, moved in.
const inotifyMask = unix.IN_CREATE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO

// inotifyEvents reads inotify directly: fsnotify does not report a file
// being closed after writing (IN_CLOSE_WRITE), which tells that a dropped
// file is complete without waiting for it to stay quiet.
type inotifyEvents struct {
	fd     int
	f      *os.File // fd in the runtime poller, so Close ends a pending Read
	events chan fileEvent
	errors chan error
	done   chan struct{}

	mu     sync.Mutex
	dirs   map[int32]string // watch descriptor → folder
	closed bool
}

func newFileEvents() (fileEvents, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	n := &inotifyEvents{
		fd: fd, f: os.NewFile(uintptr(fd), "inotify"),
		events: make(chan fileEvent, 64), errors: make(chan error, 1), done: make(chan struct{}),
		dirs: map[int32]string{},
	}
	go n.read()
	return n, nil
}

func (n *inotifyEvents) Add(dir string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return os.ErrClosed
	}
	wd, err := unix.InotifyAddWatch(n.fd, dir, inotifyMask)
	if err != nil {
		return &os.PathError{Op: "inotify_add_watch", Path: dir, Err: err}
	}
	n.dirs[int32(wd)] = dir
	return nil
}

func (n *inotifyEvents) Events() <-chan fileEvent { return n.events }
func (n *inotifyEvents) Errors() <-chan error     { return n.errors }

func (n *inotifyEvents) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	close(n.done)
	return n.f.Close()
}

// read decodes the events until the file is closed.
func (n *inotifyEvents) read() {
	defer close(n.events)
	buf := make([]byte, 256*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		k, err := n.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				n.fail(fmt.Errorf("inotify: %w", err))
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= k; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			start := off + unix.SizeofInotifyEvent
			off = start + nameLen
			if off > k {
				break
			}
			name := strings.TrimRight(string(buf[start:off]), "\x00")
			if !n.dispatch(wd, mask, name) {
				return
			}
		}
	}
}

// dispatch sends one event on; false once the source is closed.
func (n *inotifyEvents) dispatch(wd int32, mask uint32, name string) bool {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		n.fail(errors.New("inotify: the event queue overflowed; some files may be announced only at the next start"))
		return true
	}
	n.mu.Lock()
	dir, ok := n.dirs[wd]
	if mask&unix.IN_IGNORED != 0 {
		delete(n.dirs, wd)
	}
	n.mu.Unlock()
	if !ok || name == "" {
		return true
	}
	op := fileChanged
	if mask&(unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO) != 0 {
		op = fileComplete
	}
	select {
	case n.events <- fileEvent{Name: filepath.Join(dir, name), Op: op}:
		return true
	case <-n.done:
		return false
	}
}

// fail reports err unless an earlier error is still unread.
func (n *inotifyEvents) fail(err error) {
	select {
	case n.errors <- err:
	default:
	}
}
