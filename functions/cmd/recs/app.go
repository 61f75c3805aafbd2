package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/functions"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// Settings of the local platform beyond platform.Config.
type Settings struct {
	TenantName    string
	AdminEmail    string
	AdminPassword string // empty: generate one and print it once
}

// App is the whole platform in one process: every function mounted, events
// through the in-process bus, the drop-folder watcher, the API and the SPA.
type App struct {
	P        *platform.Platform
	Bus      *membus.Bus
	Tenant   tenancy.Tenant
	Admin    tenancy.User
	Password string // set only when the admin was created by this start
	Created  bool

	log     *slog.Logger
	watcher *dropWatcher
	server  *http.Server
	ln      net.Listener
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

// NewApp opens the platform, bootstraps the first tenant and admin and
// subscribes every event function to its topic.
func NewApp(ctx context.Context, cfg platform.Config, s Settings, log *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("recs: data dir: %w", err)
	}
	a := &App{log: log}
	// The in-process bus opens by URL (B2B_EVENTS_URL, mem:// with
	// optional parameters) through an opener that carries what a URL
	// cannot: the dead-letter record and the logger.
	mux := events.DefaultURLMux().With(membus.Scheme, &membus.URLOpener{Options: membus.Options{
		Concurrency: 4, MaxAttempts: 5, MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second,
		Logger: log,
		OnDeadLetter: func(dl events.DeadLetter) {
			a.recordDeadLetter(dl)
		},
	}})
	p, err := platform.Open(ctx, cfg, platform.Options{Events: mux, Logger: log})
	if err != nil {
		return nil, err
	}
	a.P = p
	bus, ok := p.Bus.Driver.(*membus.Bus)
	if !ok {
		_ = p.Close()
		return nil, fmt.Errorf("recs: runs every function in one process and needs the in-process bus: set B2B_EVENTS_URL to mem:// (it is %q)", cfg.EventsURL)
	}
	a.Bus = bus
	handlers := functions.EventHandlers(p)
	for _, ep := range functions.Entrypoints() {
		if ep.Trigger == functions.TriggerHTTP || ep.DeadLetters {
			continue // the bus hands dead letters to OnDeadLetter
		}
		if err := a.Bus.Subscribe(ep.Topic, ep.Name, handlers[ep.Name]); err != nil {
			_ = p.Close()
			return nil, err
		}
	}
	var opts []tenancy.BootstrapOption
	if s.AdminPassword != "" {
		opts = append(opts, tenancy.WithAdminPassword(s.AdminPassword))
	}
	a.Tenant, a.Admin, a.Password, a.Created, err = p.Tenancy.Bootstrap(ctx, s.TenantName, s.AdminEmail, opts...)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	if _, err := p.Resources.Bucket(ctx, a.Tenant.ID, etl.BucketDrop); err != nil {
		_ = p.Close()
		return nil, err
	}
	if a.watcher, err = newDropWatcher(cfg.DropURL, cfg.DropBucket, a.Bus, log); err != nil {
		_ = p.Close()
		return nil, err
	}
	if a.watcher.quiet, err = dropQuietFromEnv(os.Getenv); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := a.resume(ctx); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := a.syncSchedules(ctx); err != nil {
		_ = p.Close()
		return nil, err
	}
	return a, nil
}

// resume re-requests the runs a previous process left unfinished: the
// in-process bus does not outlive the process.
func (a *App) resume(ctx context.Context) error {
	tenants, err := a.P.Tenancy.ListTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		n, err := a.P.ETL.ResumeUnfinished(ctx, t.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.Info("recs: resumed unfinished runs", "tenant", t.ID, "runs", n)
		}
	}
	return nil
}

// syncSchedules loads every tenant's job schedules, and the run sweeper,
// into the in-process cron, which starts empty with each process.
func (a *App) syncSchedules(ctx context.Context) error {
	tenants, err := a.P.Tenancy.ListTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if err := a.P.ETL.SyncSchedules(ctx, t.ID); err != nil {
			return fmt.Errorf("recs: sync schedules of tenant %s: %w", t.ID, err)
		}
		sweeper, err := etl.SweeperJob(t.ID, a.P.Config.SweepCron)
		if err != nil {
			return fmt.Errorf("recs: run sweeper of tenant %s: %w", t.ID, err)
		}
		if err := a.P.Scheduler.Upsert(ctx, sweeper); err != nil {
			return fmt.Errorf("recs: run sweeper of tenant %s: %w", t.ID, err)
		}
	}
	return nil
}

// recordDeadLetter hands an event the bus gave up on to the dead-letter
// recorder, which keeps it and fails the run it was for (the DeadLettered
// function does the same in the cloud).
func (a *App) recordDeadLetter(dl events.DeadLetter) {
	if a.P == nil {
		a.log.Error("recs: event dead-lettered before the platform opened", "topic", dl.Topic, "subscriber", dl.Subscriber,
			"id", dl.Event.ID(), "type", dl.Event.Type(), "attempts", dl.Attempts, "err", dl.LastError)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := functions.DeadLetterHandler(a.P)(ctx, dl); err != nil {
		a.log.Error("recs: cannot record dead letter", "topic", dl.Topic, "subscriber", dl.Subscriber, "id", dl.Event.ID(), "err", err)
	}
}

// Start serves HTTP on addr (host:port; port 0 picks one) and starts the
// watcher. It returns once the listener is open.
func (a *App) Start(ctx context.Context, addr string) error {
	ctx, a.cancel = context.WithCancel(ctx)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("recs: listen %s: %w", addr, err)
	}
	a.ln = ln
	mux := http.NewServeMux()
	mux.Handle("/api/", a.P.API())
	mux.Handle("/", spaHandler(a.P.Config.StaticDir))
	a.server = &http.Server{Handler: logRequests(a.log, mux)}
	a.P.Config.API.ServeWith(a.server) // streaming routes move their own deadlines on
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := a.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("recs: http server stopped", "err", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		if err := a.watcher.run(ctx); err != nil {
			a.log.Error("recs: drop watcher stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the app serves.
func (a *App) URL() string { return "http://" + a.ln.Addr().String() }

// DropDir is the tenant's local drop folder.
func (a *App) DropDir(tenant string) string {
	return filepath.Join(a.watcher.root, tenant) + a.watcher.suffix
}

// Close stops serving, drains the bus and closes the platform.
func (a *App) Close(ctx context.Context) error {
	if a.cancel != nil {
		a.cancel()
	}
	var all []error
	if a.server != nil {
		all = append(all, a.server.Shutdown(ctx))
	}
	a.wg.Wait()
	// Stop the cron before draining, so no tick is published into a
	// draining bus (the platform's Close closes it again, a no-op).
	all = append(all, a.P.Scheduler.Close())
	all = append(all, a.Bus.Drain(ctx))
	all = append(all, a.P.Close())
	return errors.Join(all...)
}

// spaHandler serves the built SPA, answering client routes with index.html.
func spaHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := filepath.Join(dir, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
		if fi, err := os.Stat(p); err != nil || fi.IsDir() && r.URL.Path != "/" {
			index := filepath.Join(dir, "index.html")
			if _, err := os.Stat(index); err != nil {
				http.Error(w, "the web app is not built: run `make static` (or `make run`, which builds it)", http.StatusNotFound)
				return
			}
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFile(w, r, index)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}

// logRequests logs each API request with its status and duration.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
