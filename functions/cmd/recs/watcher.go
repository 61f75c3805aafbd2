package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/cloudevents/sdk-go/v2/event"
)

// dropWatcher turns files written into the local drop folders into the
// google.cloud.storage.object.v1.finalized CloudEvents GCS would send, so
// the local platform runs the same chain as the cloud. Drop folders follow
// the drop URL template: <root>/<tenant><suffix>/...
//
// A file is announced as soon as its writer closes it or it is renamed
// into the folder (a file written and closed is complete); a file written
// without such an event (a writer that keeps it open while it grows, or a
// system that does not report closes) once it has been quiet for quiet.
type dropWatcher struct {
	root, suffix string // e.g. /abs/var/tenants/ and /drop
	bucketName   string // template with {tenant}
	pub          events.Publisher
	log          *slog.Logger
	quiet        time.Duration

	mu     sync.Mutex
	timers map[string]*time.Timer
	wg     sync.WaitGroup
}

// DefaultDropQuiet is how long a dropped file must stay unchanged before it
// is announced (B2B_DROP_QUIET), unless its writer closed it or it was
// moved in whole (then it is announced at once, where the system reports
// that: Linux): long enough for a copy in progress that keeps the file open
// to show more writes, short enough not to delay a load.
const DefaultDropQuiet = 250 * time.Millisecond

// dropQuietFromEnv reads B2B_DROP_QUIET (a Go duration from 10ms to 1m).
func dropQuietFromEnv(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("B2B_DROP_QUIET"))
	if v == "" {
		return DefaultDropQuiet, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 10*time.Millisecond || d > time.Minute {
		return 0, errs.Userf(errs.Invalid, "B2B_DROP_QUIET=%q: want a duration from 10ms to 1m, such as 250ms", v)
	}
	return d, nil
}

// newDropWatcher derives the folders from a file:// drop URL template.
func newDropWatcher(dropURL, bucketName string, pub events.Publisher, log *slog.Logger) (*dropWatcher, error) {
	p := strings.TrimPrefix(dropURL, "file://")
	if p == dropURL {
		return nil, fmt.Errorf("watcher: drop URL %q is not a file:// URL", dropURL)
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	i := strings.Index(p, "{tenant}")
	if i < 0 || strings.Contains(p[i+len("{tenant}"):], "{tenant}") {
		return nil, fmt.Errorf("watcher: drop URL %q must contain {tenant} once", dropURL)
	}
	return &dropWatcher{
		root: filepath.FromSlash(p[:i]), suffix: filepath.FromSlash(p[i+len("{tenant}"):]),
		bucketName: bucketName, pub: pub, log: log, quiet: DefaultDropQuiet,
		timers: map[string]*time.Timer{},
	}, nil
}

// run watches until ctx ends. Files already present are announced once at
// start (the ledger makes that harmless), so drops made while the platform
// was down are loaded too.
func (w *dropWatcher) run(ctx context.Context) error {
	fe, err := w.watch()
	if err != nil {
		return err
	}
	return w.loop(ctx, fe)
}

// watch starts watching the root and the tenants' drop folders present.
func (w *dropWatcher) watch() (fileEvents, error) {
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	fe, err := newFileEvents()
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	if err := fe.Add(w.root); err != nil {
		fe.Close()
		return nil, fmt.Errorf("watcher: watch %s: %w", w.root, err)
	}
	entries, _ := os.ReadDir(w.root)
	for _, e := range entries {
		if e.IsDir() {
			w.addTenant(fe, e.Name(), true)
		}
	}
	return fe, nil
}

// loop handles the events of fe until ctx ends, then closes it.
func (w *dropWatcher) loop(ctx context.Context, fe fileEvents) error {
	defer fe.Close()
	defer w.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			w.stopTimers()
			return nil
		case err, ok := <-fe.Errors():
			if !ok {
				return nil
			}
			w.log.Warn("watcher: error", "err", err)
		case ev, ok := <-fe.Events():
			if !ok {
				return nil
			}
			w.handle(ctx, fe, ev)
		}
	}
}

// handle watches a new folder, and announces a file its writer closed (or
// moved in whole) at once, another written file once it has been quiet.
func (w *dropWatcher) handle(ctx context.Context, fe fileEvents, ev fileEvent) {
	fi, err := os.Stat(ev.Name)
	if err != nil {
		return
	}
	if filepath.Dir(ev.Name) == filepath.Clean(w.root) && fi.IsDir() {
		w.addTenant(fe, filepath.Base(ev.Name), true)
		return
	}
	if fi.IsDir() {
		w.addTree(fe, ev.Name, true)
		return
	}
	after := w.quiet
	if ev.Op == fileComplete {
		after = 0
	}
	w.debounce(ctx, ev.Name, after)
}

// addTenant watches a tenant's drop folder (creating it if needed).
func (w *dropWatcher) addTenant(fw fileEvents, tenant string, announce bool) {
	if !platform.ValidTenantID(tenant) {
		return
	}
	dir := filepath.Join(w.root, tenant) + w.suffix
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.log.Warn("watcher: cannot create drop folder", "dir", dir, "err", err)
		return
	}
	if err := fw.Add(filepath.Join(w.root, tenant)); err != nil {
		w.log.Warn("watcher: cannot watch", "dir", dir, "err", err)
	}
	w.addTree(fw, dir, announce)
}

// addTree watches dir and its sub-folders and announces the files in them.
func (w *dropWatcher) addTree(fw fileEvents, dir string, announce bool) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if err := fw.Add(p); err != nil {
				w.log.Warn("watcher: cannot watch", "dir", p, "err", err)
			}
			return nil
		}
		if announce {
			w.debounce(context.Background(), p, w.quiet)
		}
		return nil
	})
}

// debounce announces a file after it has been quiet for after (w.quiet
// for a file still being written, 0 for one its writer closed), so a file
// still being copied in is announced once, complete. An event for a file
// whose announcement is pending moves it to the new time.
func (w *dropWatcher) debounce(ctx context.Context, file string, after time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.timers[file]; ok && t.Stop() {
		// Not fired yet: move it. (A timer that already fired is
		// replaced below; its callback sees it is no longer current.)
		t.Reset(after)
		return
	}
	w.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(after, func() {
		defer w.wg.Done()
		w.mu.Lock()
		if w.timers[file] == t {
			delete(w.timers, file)
		}
		w.mu.Unlock()
		if err := w.announce(context.WithoutCancel(ctx), file); err != nil {
			w.log.Warn("watcher: cannot announce file", "file", file, "err", err)
		}
	})
	w.timers[file] = t
}

func (w *dropWatcher) stopTimers() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for f, t := range w.timers {
		if t.Stop() {
			w.wg.Done()
		}
		delete(w.timers, f)
	}
}

// announce publishes the object.finalized event for a file.
func (w *dropWatcher) announce(ctx context.Context, file string) error {
	rel, err := filepath.Rel(w.root, file)
	if err != nil {
		return err
	}
	parts := strings.SplitN(filepath.ToSlash(rel), "/", 2)
	if len(parts) != 2 {
		return nil
	}
	tenant := parts[0]
	name := strings.TrimPrefix(parts[1], strings.TrimPrefix(filepath.ToSlash(w.suffix), "/")+"/")
	if name == parts[1] || strings.HasPrefix(path.Base(name), ".") || strings.HasSuffix(name, ".attrs") {
		return nil
	}
	// No content hash here: the run computes it when it needs it, so files
	// announced again at start-up cost a stat, not a read.
	fi, err := os.Stat(file)
	if err != nil || !fi.Mode().IsRegular() {
		return err
	}
	bucket := platform.ForTenant(w.bucketName, tenant)
	gen := blobstore.FileGeneration(fi)
	data := eventschemas.StorageObjectData{
		Kind: "storage#object", ID: bucket + "/" + name + "/" + gen,
		SelfLink: "local://" + bucket + "/" + name,
		Bucket:   bucket, Name: name, Generation: gen, Metageneration: "1",
		ContentType: contentType(name), Size: strconv.FormatInt(fi.Size(), 10),
		StorageClass: "STANDARD", TimeCreated: fi.ModTime().UTC(), Updated: fi.ModTime().UTC(),
	}
	e := event.New()
	e.SetID(data.ID)
	e.SetSource("//storage.googleapis.com/projects/_/buckets/" + bucket)
	e.SetSubject("objects/" + name)
	e.SetType(eventschemas.TypeObjectFinalized)
	e.SetTime(fi.ModTime().UTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return err
	}
	w.log.Info("watcher: file dropped", "tenant", tenant, "object", name, "bytes", fi.Size())
	return w.pub.Publish(ctx, eventschemas.TopicObjectDropped, e)
}

func contentType(name string) string {
	n := strings.TrimSuffix(name, ".gz")
	if ct := mime.TypeByExtension(path.Ext(n)); ct != "" && n == name {
		return ct
	}
	if n != name {
		return "application/gzip"
	}
	return "application/octet-stream"
}
