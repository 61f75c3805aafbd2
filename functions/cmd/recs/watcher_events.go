package main

// fileEvents is the source of the drop watcher's file-system events:
// inotify on Linux (which reports a writer closing a file), fsnotify
// elsewhere.
type fileEvents interface {
	// Add watches the entries of a folder (not its sub-folders).
	Add(dir string) error
	// Events is closed when the source ends.
	Events() <-chan fileEvent
	Errors() <-chan error
	Close() error
}

// fileEvent is a change to a file or folder in a watched folder.
type fileEvent struct {
	Name string // the path of the file or folder
	Op   fileOp
}

type fileOp uint8

const (
	// fileChanged: created or written; more writes may follow.
	fileChanged fileOp = iota + 1
	// fileComplete: its writer closed it after writing, or it was moved
	// into the folder: complete unless it is opened again.
	fileComplete
)
