package platform

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/auth/idplatform"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/datasets"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/localcron"
	"github.com/b2brecs/b2brecs/shared/secrets"
	"github.com/b2brecs/b2brecs/shared/tables"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// SessionTTL is how long a local session token is valid.
const SessionTTL = 12 * time.Hour

// Platform is the assembled application.
type Platform struct {
	Config    Config
	Logger    *slog.Logger
	Store     *docstore.Store
	Bus       *events.Bus
	Secrets   *secrets.Store
	Resources *Resources
	Validator *eventschemas.Validator
	Tenancy   *tenancy.Service
	ETL       *etl.Service
	// Connections are the tenants' saved source connections.
	Connections *connections.Service
	// Datasets are the tenants' dataset configurations and their analyses.
	Datasets *datasets.Service
	// Scheduler fires job schedules: the in-process cron (local://,
	// publishing on Bus) or Cloud Scheduler.
	Scheduler *scheduler.Scheduler
	Sessions  *auth.SessionIssuer
	Verifier  auth.Verifier
}

// Options adjust Open.
type Options struct {
	// Events, when set, is the mux Config.EventsURL is opened through
	// instead of events.DefaultURLMux() (the local platform adds an opener
	// carrying its dead-letter callback).
	Events *events.URLMux
	// Schedulers, when set, is the mux Config.SchedulerURL is opened
	// through instead of scheduler.DefaultURLMux(). In local mode Open adds
	// the in-process cron (local://), which publishes on the bus.
	Schedulers *scheduler.URLMux
	// Bus, when set, is used instead of opening Config.EventsURL (tests
	// pass a bus they drive).
	Bus *events.Bus
	// Scheduler, when set, is used instead of opening Config.SchedulerURL
	// (tests pass a local cron with a fake clock). The platform closes it.
	Scheduler *scheduler.Scheduler
	Logger    *slog.Logger
}

// Open opens every backend named by cfg and builds the services.
func Open(ctx context.Context, cfg Config, opts Options) (_ *Platform, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	p := &Platform{Config: cfg, Logger: log}
	defer func() {
		if err != nil {
			_ = p.Close() // what was opened before the failure
		}
	}()
	if _, err := cfg.Uploads(); err != nil {
		return nil, err
	}
	if cfg.InputErr != nil {
		return nil, errs.Wrap(errs.Invalid, cfg.InputErr, "platform: input limits")
	}
	if cfg.APIErr != nil {
		return nil, errs.Wrap(errs.Invalid, cfg.APIErr, "platform: API limits")
	}
	if cfg.DatasetsErr != nil {
		return nil, errs.Wrap(errs.Invalid, cfg.DatasetsErr, "platform: datasets settings")
	}
	if cfg.DetectErr != nil {
		return nil, errs.Wrap(errs.Invalid, cfg.DetectErr, "platform: file detection settings")
	}
	if cfg.SourceSampleErr != nil {
		return nil, errs.Wrap(errs.Invalid, cfg.SourceSampleErr, "platform: source settings")
	}
	if p.Validator, err = eventschemas.NewValidator(); err != nil {
		return nil, err
	}
	if p.Store, err = docstore.Open(ctx, cfg.ConfigURL); err != nil {
		return nil, fmt.Errorf("platform: open config store: %w", err)
	}
	if p.Secrets, err = secrets.Open(ctx, cfg.SecretsURL); err != nil {
		return nil, fmt.Errorf("platform: open secrets: %w", err)
	}
	p.Bus = opts.Bus
	if p.Bus == nil {
		mux := opts.Events
		if mux == nil {
			mux = events.DefaultURLMux()
		}
		if p.Bus, err = events.OpenMux(ctx, mux, cfg.EventsURL); err != nil {
			return nil, fmt.Errorf("platform: open events: %w", err)
		}
	}
	if p.Scheduler = opts.Scheduler; p.Scheduler == nil {
		if cfg.Mode == ModeCloud && strings.HasPrefix(cfg.SchedulerURL, localcron.Scheme+":") {
			// A function instance's in-process cron dies with the
			// instance: schedules written to it would be lost.
			return nil, errs.E(errs.Invalid, "platform: in cloud mode B2B_SCHEDULER_URL must name Cloud Scheduler (cloudscheduler://PROJECT/LOCATION), not %q", cfg.SchedulerURL)
		}
		if p.Scheduler, err = scheduler.OpenMux(ctx, schedulerMux(opts.Schedulers, p.Bus, log), cfg.SchedulerURL); err != nil {
			return nil, fmt.Errorf("platform: open scheduler: %w", err)
		}
	}
	p.Resources = NewResources(cfg)
	var tenancyOpts []tenancy.Option
	if cfg.AuthMode == "identity-platform" && cfg.Project != "" { // setupAuth refuses no project
		// Users an admin adds get their Identity Platform account and a
		// mail to set their password (credentials are found at the first
		// invitation).
		accounts, err := idplatform.New(cfg.Project, idplatform.Options{})
		if err != nil {
			return nil, err
		}
		tenancyOpts = append(tenancyOpts, tenancy.WithAccounts(accounts))
	}
	p.Tenancy = tenancy.NewService(p.Store, tenancyOpts...)
	// Database jobs read through saved connections, and a connection a
	// job uses cannot be deleted (the ETL service counts the jobs using it).
	// Connections dial through the outbound policy; local folders are
	// readable in local mode only, under the import folders.
	local := cfg.Mode == ModeLocal
	policy, err := egress.FromSetting(cfg.ConnectAllow, local)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "platform: %v", err)
	}
	var fileRoots []string
	if local {
		fileRoots = cfg.FileImportRoots
	}
	p.Connections = connections.New(p.Store, p.Secrets, connections.Options{
		Egress:     policy,
		FileRoots:  fileRoots,
		Logger:     log,
		SampleDocs: cfg.SourceSampleDocs,
		Detect:     cfg.Detect,
	})
	runOpts, err := cfg.RunOptions()
	if err != nil {
		return nil, err
	}
	p.ETL = etl.New(p.Store, p.Bus, p.Resources, p.Validator, append([]etl.Option{etl.WithLogger(log), etl.WithScheduler(p.Scheduler),
		etl.WithConnections(p.Connections), etl.WithLimits(cfg.Input)}, runOpts...)...)
	p.Connections.CountJobsWith(p.ETL)
	dsOpts := cfg.Datasets
	dsOpts.Logger = log
	p.Datasets = datasets.New(p.Store, p.Resources, dsOpts)
	if err := p.setupAuth(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// schedulerMux is mux (nil: the default) with the in-process cron
// (local://), which publishes on bus.
func schedulerMux(mux *scheduler.URLMux, bus *events.Bus, log *slog.Logger) *scheduler.URLMux {
	if mux == nil {
		mux = scheduler.DefaultURLMux()
	}
	return mux.With(localcron.Scheme, &localcron.URLOpener{Bus: bus, Options: localcron.Options{Logger: log}})
}

// setupAuth builds the token verifiers for the configured auth mode.
func (p *Platform) setupAuth(ctx context.Context) error {
	switch p.Config.AuthMode {
	case "local":
		key, err := p.sessionKey(ctx)
		if err != nil {
			return err
		}
		if p.Sessions, err = auth.NewSessionIssuer(key, SessionTTL); err != nil {
			return err
		}
		// Check the stored user on every request, so a disabled user or a
		// changed role takes effect at once.
		p.Verifier = auth.WithCurrentUser(p.Sessions, p.Tenancy)
	case "identity-platform":
		if p.Config.Project == "" {
			return errs.E(errs.Invalid, "platform: B2B_PROJECT is required for identity-platform auth")
		}
		idv, err := auth.NewIDTokenVerifier(auth.IDTokenConfig{ProjectID: p.Config.Project, Users: p.Tenancy, Logger: p.Logger})
		if err != nil {
			return err
		}
		p.Verifier = auth.MultiVerifier{idv}
		if len(p.Config.ServiceAccounts) > 0 {
			aud := p.Config.Audiences
			if len(aud) == 0 {
				aud = []string{DefaultAudience(p.Config.Project)}
			}
			sav, err := auth.NewServiceTokenVerifier(auth.ServiceTokenConfig{Audiences: aud, AllowedEmails: p.Config.ServiceAccounts, TenantID: p.Config.TenantID, Logger: p.Logger})
			if err != nil {
				return err
			}
			p.Verifier = auth.MultiVerifier{idv, sav}
		}
	default:
		return errs.E(errs.Invalid, "platform: unknown B2B_AUTH_MODE %q (local or identity-platform)", p.Config.AuthMode)
	}
	return nil
}

// DefaultAudience is the audience machine callers put in the Google ID
// tokens they send to the API when B2B_AUDIENCES is not set.
func DefaultAudience(project string) string { return "b2brecs-api-" + project }

// sessionKey returns the key that signs local session tokens, creating it
// on first start.
func (p *Platform) sessionKey(ctx context.Context) ([]byte, error) {
	tenant, name := tenancy.SystemTenant, "session-signing-key"
	key, err := p.Secrets.Get(ctx, tenant, name)
	if err == nil && len(key) >= 32 {
		return key, nil
	}
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, errs.Wrap(errs.Transient, err, "platform: generate session key")
	}
	if err := p.Secrets.Put(ctx, tenant, name, key); err != nil {
		return nil, err
	}
	return key, nil
}

// API returns the HTTP API handler.
func (p *Platform) API() http.Handler { return api.New(p.APIDeps()) }

// APIDeps are the services and settings the API serves (tests change
// some before api.New).
func (p *Platform) APIDeps() api.Deps {
	uploads, _ := p.Config.Uploads() // checked by Open
	return api.Deps{
		Tenancy: p.Tenancy, Verifier: p.Verifier, Sessions: p.Sessions,
		ETL: p.ETL, Connections: p.Connections, Drops: drops.New(p.Resources, uploads, p.Logger), Tables: tables.New(p.Resources),
		Datasets: p.Datasets,
		Logger:   p.Logger, Version: p.Config.Version, AllowedOrigins: p.Config.AllowedOrigins, Limits: p.Config.API,
	}
}

// Close releases every backend.
func (p *Platform) Close() error {
	var all []error
	if p.Scheduler != nil { // first: it publishes on the bus
		all = append(all, p.Scheduler.Close())
	}
	if p.Resources != nil {
		all = append(all, p.Resources.Close())
	}
	if p.Bus != nil {
		all = append(all, p.Bus.Close())
	}
	if p.Secrets != nil {
		all = append(all, p.Secrets.Close())
	}
	if p.Store != nil {
		all = append(all, p.Store.Close())
	}
	return errors.Join(all...)
}
