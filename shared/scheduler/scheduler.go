// Package scheduler is the port for cron schedules that publish an event to
// a topic when they fire: an in-process cron with IANA time zones (local://)
// and Cloud Scheduler jobs publishing to Pub/Sub (cloudscheduler://project/location).
package scheduler

import (
	"context"
	"encoding/json"
	"time"

	"github.com/b2brecs/b2brecs/shared/registry"
)

// Job is one schedule.
type Job struct {
	Tenant string `json:"tenant"`
	// Name is unique per tenant, [a-z0-9-]{1,100}, e.g. "etl-job-42".
	Name string `json:"name"`
	// Cron is a standard 5-field cron expression.
	Cron string `json:"cron"`
	// TimeZone is an IANA name; empty means UTC.
	TimeZone string `json:"time_zone"`
	// Topic is the events topic to publish to when the job fires.
	Topic string `json:"topic"`
	// EventType and Data make the CloudEvent that is published.
	EventType string          `json:"event_type"`
	Data      json.RawMessage `json:"data"`
	Paused    bool            `json:"paused"`
}

// Status is a job with its next fire time.
type Status struct {
	Job
	Next time.Time `json:"next"`
}

// Driver is what a backend implements.
type Driver interface {
	// Upsert creates or replaces a job. Invalid cron or time zone is errs.Invalid.
	Upsert(ctx context.Context, j Job) error
	// Delete removes a job; a missing job is not an error.
	Delete(ctx context.Context, tenant, name string) error
	List(ctx context.Context, tenant string) ([]Status, error)
	Close() error
}

// Scheduler is the portable type.
type Scheduler struct {
	Driver
}

// Opener opens a driver from a URL alone (drivers register one from init).
type Opener = registry.Opener[Driver]

// URLOpener opens a driver from a URL; it may carry dependencies (the
// in-process cron carries the bus it publishes on).
type URLOpener = registry.URLOpener[Driver]

// URLMux maps URL schemes to openers.
type URLMux = registry.Registry[Driver]

var drivers = registry.New[Driver]("scheduler")

// Register makes a driver available under a URL scheme. Call it from init.
func Register(scheme string, o Opener) { drivers.Register(scheme, o) }

// DefaultURLMux is the mux drivers register with; add an opener that
// carries dependencies with DefaultURLMux().With(scheme, opener).
func DefaultURLMux() *URLMux { return drivers }

// Open opens the scheduler named by rawURL through the default mux.
func Open(ctx context.Context, rawURL string) (*Scheduler, error) {
	return OpenMux(ctx, drivers, rawURL)
}

// OpenMux opens the scheduler named by rawURL through mux.
func OpenMux(ctx context.Context, mux *URLMux, rawURL string) (*Scheduler, error) {
	d, err := mux.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &Scheduler{Driver: d}, nil
}
