package etl

import (
	"context"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// KindRunLog is the document kind of a run's log, stored beside the run
// under the same id (kept as long as the run record).
const KindRunLog = "etl_run_log"

// DefaultRunLogLines bounds the lines a run's log keeps unless
// B2B_RUN_LOG_LINES says otherwise (WithRunLogLines).
const DefaultRunLogLines = 200

// maxLogMessage bounds a log line's message, in bytes (a longer one is
// cut): with at most 1,000 lines a run's log stays one document.
const maxLogMessage = 500

// LogLevel is how much a run's log line matters.
type LogLevel string

// Log levels.
const (
	LogInfo  LogLevel = "info"
	LogWarn  LogLevel = "warn"
	LogError LogLevel = "error"
)

// LogLine is one line of a run's own log: what the run did, in a user's
// words, at which stage, with the counts it had then.
type LogLine struct {
	// Seq numbers the run's lines from 1, in the order they were written
	// (lines dropped by the bound leave a gap).
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Level   LogLevel  `json:"level"`
	Stage   Phase     `json:"stage"`
	Message string    `json:"message"`
	// Counts are the row counts of the line (rows_read, rows_rejected,
	// rows_loaded, bytes...), when it has any.
	Counts map[string]int64 `json:"counts,omitempty"`
}

// RunLog is a run's log (GET /api/runs/{id}/logs): its newest lines, at
// most the configured number, oldest first.
type RunLog struct {
	RunID string    `json:"run_id"`
	Lines []LogLine `json:"lines"`
	// Dropped counts the oldest lines dropped to keep the bound.
	Dropped int64 `json:"dropped"`
}

// WithRunLogLines sets how many lines a run's log keeps (its newest;
// B2B_RUN_LOG_LINES). Values below 1 keep the default.
func WithRunLogLines(n int) Option {
	return func(s *Service) {
		if n >= 1 {
			s.logLines = n
		}
	}
}

func runLogKey(tenant, runID string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindRunLog, ID: runID}
}

// runLog appends a line to the run's log, keeping the newest lines up to
// the bound. Best effort: a line that cannot be written is reported in
// the service log and the run goes on.
func (s *Service) runLog(ctx context.Context, run Run, level LogLevel, stage Phase, msg string, counts map[string]int64) {
	if run.ID == "" {
		return
	}
	if len(msg) > maxLogMessage {
		msg = strings.ToValidUTF8(msg[:maxLogMessage], "") + "…"
	}
	line := LogLine{Time: s.nowUTC(), Level: level, Stage: stage, Message: msg, Counts: counts}
	_, err := docstore.Update(ctx, s.store, runLogKey(run.Tenant, run.ID), func(l *RunLog, exists bool) error {
		if !exists {
			*l = RunLog{RunID: run.ID}
		}
		line.Seq = l.Dropped + int64(len(l.Lines)) + 1
		l.Lines = append(l.Lines, line)
		if over := len(l.Lines) - s.logLines; over > 0 {
			l.Lines = append([]LogLine(nil), l.Lines[over:]...)
			l.Dropped += int64(over)
		}
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "etl: could not write the run's log line", "tenant", run.Tenant, "run", run.ID, "err", err)
	}
}

// RunLogs returns the log of a run of the tenant (no lines yet: empty).
func (s *Service) RunLogs(ctx context.Context, tenant, runID string) (RunLog, error) {
	const op errs.Op = "etl.RunLogs"
	if _, err := s.GetRun(ctx, tenant, runID); err != nil {
		return RunLog{}, errs.At(op, err)
	}
	l, _, err := docstore.Get[RunLog](ctx, s.store, runLogKey(tenant, runID))
	if errs.Is(err, errs.NotFound) {
		return RunLog{RunID: runID, Lines: []LogLine{}}, nil
	}
	if err != nil {
		return RunLog{}, errs.At(op, err)
	}
	if l.Lines == nil {
		l.Lines = []LogLine{}
	}
	return l, nil
}

// runCounts are a run's row counts as a log line carries them.
func runCounts(r Run) map[string]int64 {
	c := map[string]int64{"rows_read": r.RowsRead, "rows_rejected": r.RowsRejected}
	if r.RowsLoaded > 0 {
		c["rows_loaded"] = r.RowsLoaded
	}
	if r.BytesProcessed > 0 {
		c["bytes_processed"] = r.BytesProcessed
	}
	return c
}
