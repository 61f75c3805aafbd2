package platform

import (
	"strconv"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// Bounds of the run lifecycle settings.
const (
	maxRunAttempts = 20
	minRunLease    = time.Minute
	maxRunLease    = 24 * time.Hour
	maxRunLogLines = 1_000
)

// RunOptions turns the run lifecycle settings into ETL options:
// B2B_RUN_ATTEMPTS (how often each half of a run, extract and load, is
// tried; 1 to 20, default 3) and B2B_RUN_LEASE (how long a worker holds a
// run without renewing it, a Go duration from 1m to 24h, default 10m).
// B2B_RUN_LOG_LINES (the lines a run's log keeps, its newest; 1 to
// 1,000, default 200; a run's log is one document, under Firestore's 1 MiB).
// B2B_SWEEP_CRON (the local sweeper's schedule, 5-field cron in UTC,
// default every five minutes) is checked too. A bad value is errs.Invalid
// naming the variable.
func (c Config) RunOptions() ([]etl.Option, error) {
	var opts []etl.Option
	if c.RunAttempts != "" {
		n, err := strconv.Atoi(c.RunAttempts)
		if err != nil || n < 1 || n > maxRunAttempts {
			return nil, errs.E(errs.Invalid, "B2B_RUN_ATTEMPTS must be a whole number from 1 to %d, not %q", maxRunAttempts, c.RunAttempts)
		}
		opts = append(opts, etl.WithRunAttempts(n))
	}
	if c.RunLease != "" {
		d, err := time.ParseDuration(c.RunLease)
		if err != nil || d < minRunLease || d > maxRunLease {
			return nil, errs.E(errs.Invalid, "B2B_RUN_LEASE must be a duration from %s to %s such as 10m, not %q", minRunLease, maxRunLease, c.RunLease)
		}
		opts = append(opts, etl.WithRunLease(d))
	}
	if c.RunLogLines != "" {
		n, err := strconv.Atoi(c.RunLogLines)
		if err != nil || n < 1 || n > maxRunLogLines {
			return nil, errs.E(errs.Invalid, "B2B_RUN_LOG_LINES must be a whole number from 1 to %d, not %q", maxRunLogLines, c.RunLogLines)
		}
		opts = append(opts, etl.WithRunLogLines(n))
	}
	if c.SweepCron != "" {
		if _, err := scheduler.ParseSchedule(c.SweepCron, "UTC"); err != nil {
			return nil, errs.E(errs.Invalid, "B2B_SWEEP_CRON must be a 5-field cron expression such as */5 * * * *, not %q", c.SweepCron)
		}
	}
	return opts, nil
}
