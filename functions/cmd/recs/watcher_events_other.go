//go:build !linux

package main

import (
	"github.com/fsnotify/fsnotify"
)

// fsnotifyEvents adapts fsnotify, which does not report a file being
// closed: every file is announced after the quiet period.
type fsnotifyEvents struct {
	w      *fsnotify.Watcher
	events chan fileEvent
	done   chan struct{}
}

func newFileEvents() (fileEvents, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	f := &fsnotifyEvents{w: w, events: make(chan fileEvent, 64), done: make(chan struct{})}
	go f.translate()
	return f, nil
}

func (f *fsnotifyEvents) translate() {
	defer close(f.events)
	for ev := range f.w.Events {
		if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
			continue
		}
		select {
		case f.events <- fileEvent{Name: ev.Name, Op: fileChanged}:
		case <-f.done:
			return
		}
	}
}

func (f *fsnotifyEvents) Add(dir string) error     { return f.w.Add(dir) }
func (f *fsnotifyEvents) Events() <-chan fileEvent { return f.events }
func (f *fsnotifyEvents) Errors() <-chan error     { return f.w.Errors }
func (f *fsnotifyEvents) Close() error {
	close(f.done)
	return f.w.Close()
}
