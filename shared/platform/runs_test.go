package platform

import (
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestRunOptions(t *testing.T) {
	tests := []struct {
		attempts, lease, sweep, logLines string
		opts                             int
		bad                              string // the variable an error names
	}{
		{opts: 0},
		{attempts: "5", lease: "30m", sweep: "*/10 * * * *", logLines: "500", opts: 3},
		{logLines: "0", bad: "B2B_RUN_LOG_LINES"},
		{logLines: "1001", bad: "B2B_RUN_LOG_LINES"},
		{logLines: "many", bad: "B2B_RUN_LOG_LINES"},
		{attempts: "0", bad: "B2B_RUN_ATTEMPTS"},
		{attempts: "three", bad: "B2B_RUN_ATTEMPTS"},
		{attempts: "21", bad: "B2B_RUN_ATTEMPTS"},
		{lease: "10", bad: "B2B_RUN_LEASE"},
		{lease: "5s", bad: "B2B_RUN_LEASE"},
		{lease: "48h", bad: "B2B_RUN_LEASE"},
		{sweep: "every 5 minutes", bad: "B2B_SWEEP_CRON"},
	}
	for _, tt := range tests {
		opts, err := Config{RunAttempts: tt.attempts, RunLease: tt.lease, SweepCron: tt.sweep, RunLogLines: tt.logLines}.RunOptions()
		if tt.bad != "" {
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("%+v: err = %v, want invalid naming %s", tt, err, tt.bad)
			}
			continue
		}
		if err != nil || len(opts) != tt.opts {
			t.Errorf("%+v: %d options, %v; want %d", tt, len(opts), err, tt.opts)
		}
	}
}
