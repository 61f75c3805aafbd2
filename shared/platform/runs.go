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
// default every five minutes) is checked too. The partitioning settings
// are read by partitioning. A bad value is errs.Invalid naming the
// variable.
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
	part, err := c.partitioning()
	if err != nil {
		return nil, err
	}
	if part != (etl.Partitioning{}) {
		opts = append(opts, etl.WithPartitioning(part))
	}
	if c.SweepCron != "" {
		if _, err := scheduler.ParseSchedule(c.SweepCron, "UTC"); err != nil {
			return nil, errs.E(errs.Invalid, "B2B_SWEEP_CRON must be a 5-field cron expression such as */5 * * * *, not %q", c.SweepCron)
		}
	}
	return opts, nil
}

// partitioning reads the partitioning settings of database runs (unset:
// etl's defaults): B2B_FANOUT_ROWS (a run whose table is estimated at this
// many rows or more is read in partitions; 1,000 to 10^12, default
// 1,000,000), B2B_FANOUT_BYTES (or this many bytes; 1 MiB to 1 PiB,
// default 1 GiB), B2B_PARTITION_ROWS (the rows a partition is planned at;
// 1,000 to 100,000,000, default 500,000) and B2B_PARTITION_WORKERS (the
// partitions one process extracts at once; 1 to 64, default 1).
func (c Config) partitioning() (etl.Partitioning, error) {
	var p etl.Partitioning
	var err error
	var workers int64
	for _, s := range []struct {
		name, value string
		lo, hi      int64
		dst         *int64
	}{
		{"B2B_FANOUT_ROWS", c.FanoutRows, 1_000, 1_000_000_000_000, &p.FanoutRows},
		{"B2B_FANOUT_BYTES", c.FanoutBytes, 1 << 20, 1 << 50, &p.FanoutBytes},
		{"B2B_PARTITION_ROWS", c.PartitionRows, 1_000, 100_000_000, &p.PartitionRows},
		{"B2B_PARTITION_WORKERS", c.PartitionWorkers, 1, 64, &workers},
	} {
		if s.value == "" {
			continue
		}
		if *s.dst, err = strconv.ParseInt(s.value, 10, 64); err != nil || *s.dst < s.lo || *s.dst > s.hi {
			return etl.Partitioning{}, errs.E(errs.Invalid, "%s must be a whole number from %d to %d, not %q", s.name, s.lo, s.hi, s.value)
		}
	}
	p.Workers = int(workers)
	return p, nil
}
