package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/events"
)

// announcement is one object.finalized event the watcher published, and
// when.
type announcement struct {
	name string
	size string
	at   time.Time
}

type recordingPublisher struct {
	got chan announcement
}

func (r *recordingPublisher) Publish(_ context.Context, _ string, e events.Event) error {
	var d eventschemas.StorageObjectData
	if err := e.DataAs(&d); err != nil {
		return err
	}
	r.got <- announcement{name: d.Name, size: d.Size, at: time.Now()}
	return nil
}

// TestWatcherAnnouncesClosedFilesAtOnce: a file its writer has closed, or
// one renamed into the drop folder, is announced at once; a file still
// open and growing only once it has been quiet for the quiet period, with
// all its bytes.
func TestWatcherAnnouncesClosedFilesAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("closes are reported on Linux only")
	}
	const quiet = 1500 * time.Millisecond
	dir := t.TempDir()
	pub := &recordingPublisher{got: make(chan announcement, 16)}
	w, err := newDropWatcher("file://"+dir+"/{tenant}/drop", "{tenant}-drop", pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w.quiet = quiet
	drop := filepath.Join(dir, "t_a", "drop")
	if err := os.MkdirAll(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	fe, err := w.watch()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.loop(ctx, fe) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	next := func() announcement {
		t.Helper()
		select {
		case a := <-pub.got:
			return a
		case <-time.After(10 * time.Second):
			t.Fatal("no announcement")
		}
		return announcement{}
	}

	for _, tc := range []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"closed.csv", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"renamed.csv", func(t *testing.T, path string) {
			tmp := filepath.Join(drop, ".renamed.csv.tmp")
			if err := os.WriteFile(tmp, []byte("a,b\n1,2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		start := time.Now()
		tc.write(t, filepath.Join(drop, tc.name))
		a := next()
		if a.name != tc.name || a.size != "8" {
			t.Errorf("announced %q of %s bytes, want %s of 8", a.name, a.size, tc.name)
		}
		if d := a.at.Sub(start); d >= quiet/2 {
			t.Errorf("%s announced after %v, want at once (quiet period %v)", tc.name, d, quiet)
		}
	}

	// A file kept open while it grows: announced after the quiet period
	// that follows its last write, with every byte.
	f, err := os.Create(filepath.Join(drop, "growing.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last time.Time
	for range 3 {
		if _, err := f.WriteString("a,b\n1,2\n"); err != nil {
			t.Fatal(err)
		}
		last = time.Now()
		time.Sleep(quiet / 3)
	}
	a := next()
	if a.name != "growing.csv" || a.size != "24" {
		t.Errorf("announced %q of %s bytes, want growing.csv of 24", a.name, a.size)
	}
	if d := a.at.Sub(last); d < quiet {
		t.Errorf("growing file announced %v after its last write, want at least the quiet period %v", d, quiet)
	}
}
