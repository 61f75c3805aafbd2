package etl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// KindDeadLetter is the document kind of a recorded dead letter.
const KindDeadLetter = "etl_dead_letter"

// What RecordDeadLetter did about the run a dead letter was for.
const (
	DeadLetterRunFailed   = "run_failed"   // the run was failed with the reason
	DeadLetterRunFinished = "run_finished" // the run had finished already
	DeadLetterRunLive     = "run_live"     // a delivery still holds the run: it finishes it
	DeadLetterNoRun       = "no_run"       // the event was for no run (or an unknown one)
)

// maxDeadLetterData bounds the event data kept with a dead letter.
const maxDeadLetterData = 16 << 10

// DeadLetter is a delivery the platform gave up on, kept for inspection.
type DeadLetter struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant"`
	Topic      string    `json:"topic,omitempty"`
	Subscriber string    `json:"subscriber,omitempty"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
	At         time.Time `json:"at"`
	RunID      string    `json:"run_id,omitempty"`
	Outcome    string    `json:"outcome"`
	// Data is the event's data (cut at 16 KiB).
	Data string `json:"data,omitempty"`
}

// RecordDeadLetter records a delivery that was given up on (the
// in-process bus hands it to its OnDeadLetter callback; in the cloud the
// DeadLettered function reads it from the dead-letter topic) and fails the
// run it was for, with the reason, so that the run does not wait forever.
// A run that has finished, or that a delivery still holds (a duplicate
// delivery gave up while the first one works), is left as it is.
func (s *Service) RecordDeadLetter(ctx context.Context, dl events.DeadLetter) (err error) {
	defer func() { err = errs.At("etl.RecordDeadLetter", err) }()
	e := dl.Event
	tenant, runID, verb := s.deadLetterTarget(e)
	rec := DeadLetter{
		ID: hashID("dl_", dl.Subscriber, e.ID()), Tenant: tenant, Topic: dl.Topic, Subscriber: dl.Subscriber,
		EventID: e.ID(), EventType: e.Type(), Attempts: dl.Attempts, LastError: dl.LastError, At: dl.At,
		RunID: runID, Outcome: DeadLetterNoRun, Data: boundedText(e.Data(), maxDeadLetterData),
	}
	if rec.At.IsZero() {
		rec.At = s.nowUTC()
	}
	if rec.Tenant == "" {
		rec.Tenant = tenancy.SystemTenant
	}
	if runID != "" {
		outcome, err := s.failDeadLettered(ctx, tenant, runID, verb, dl.Attempts)
		if err != nil {
			return err
		}
		rec.Outcome = outcome
	}
	key := docstore.Key{Tenant: rec.Tenant, Kind: KindDeadLetter, ID: rec.ID}
	if _, err := docstore.Put(ctx, s.store, key, rec, docstore.Any); err != nil {
		return err
	}
	s.log.ErrorContext(ctx, "etl: dead letter recorded", "tenant", rec.Tenant, "topic", rec.Topic, "subscriber", rec.Subscriber,
		"event_id", rec.EventID, "event_type", rec.EventType, "attempts", rec.Attempts, "last_error", rec.LastError,
		"run", rec.RunID, "outcome", rec.Outcome)
	return nil
}

// deadLetterTarget reads the tenant and the run an event was for, and
// what the event asked of the run. The event may be the reason it was
// given up on (it may not even pass its schema): it is read leniently.
func (s *Service) deadLetterTarget(e events.Event) (tenant, runID, verb string) {
	// Only the fields needed, so that a bad value elsewhere does not hide
	// them.
	var d struct {
		Tenant string `json:"tenant"`
		RunID  string `json:"run_id"`
		Bucket string `json:"bucket"`
	}
	_ = json.Unmarshal(e.Data(), &d)
	switch e.Type() {
	case eventschemas.TypeRunRequested:
		return validTenant(d.Tenant), d.RunID, "start"
	case eventschemas.TypeLoadRequested:
		return validTenant(d.Tenant), d.RunID, "load"
	case eventschemas.TypePartitionRequested:
		return validTenant(d.Tenant), d.RunID, "partition"
	case eventschemas.TypeSweepRequested:
		return validTenant(d.Tenant), "", ""
	case eventschemas.TypeObjectFinalized:
		if t, role, ok := s.res.TenantOfBucket(d.Bucket); ok && role == BucketDrop {
			return validTenant(t), "", ""
		}
	}
	return "", "", ""
}

// validTenant returns t if it can name a tenant in the config store.
func validTenant(t string) string {
	if t == "" || docstore.ValidateKey(docstore.Key{Tenant: t, Kind: KindDeadLetter, ID: "x"}) != nil {
		return ""
	}
	return t
}

// failDeadLettered fails the run a dead letter was for, unless it has
// finished or a delivery holds it.
func (s *Service) failDeadLettered(ctx context.Context, tenant, runID, verb string, attempts int) (string, error) {
	if tenant == "" {
		return DeadLetterNoRun, nil
	}
	outcome := DeadLetterRunFinished
	var before Run
	final, err := s.finishWhen(ctx, tenant, runID, func(r *Run) bool {
		if r.LeaseOwner != "" && r.LeaseUntil != nil && s.nowUTC().Before(*r.LeaseUntil) {
			outcome = DeadLetterRunLive
			return false
		}
		before = *r
		phase, _ := stoppedPhase(*r)
		r.Status = StatusFailed
		r.ErrorType = phase
		r.ErrorMessage = deadLetterMessage(verb, attempts)
		outcome = DeadLetterRunFailed
		return true
	})
	switch {
	case errs.Is(err, errs.NotFound):
		return DeadLetterNoRun, nil
	case err != nil:
		return "", err
	}
	if outcome == DeadLetterRunFailed {
		s.releaseObject(ctx, before)
		s.cleanupParts(ctx, before)
		if before.Partitions != nil {
			s.removeStaged(ctx, before) // what its partitions staged
		}
		if err := s.announce(ctx, final); err != nil {
			return "", err
		}
	}
	return outcome, nil
}

// deadLetterMessage is the message of a run failed because the platform
// gave up delivering a request of it.
func deadLetterMessage(verb string, attempts int) string {
	tries := "repeated tries"
	if attempts > 0 {
		tries = fmt.Sprintf("%d tries", attempts)
	}
	what := "process"
	switch verb {
	case "load":
		what = "load the rows of"
	case "partition":
		what = "read one partition of"
	}
	return fmt.Sprintf("the run was stopped: the platform gave up after %s to %s it. Run the job again; if it stops again, the platform's logs give the cause.", tries, what)
}

// boundedText is b as text, cut at limit bytes (on a rune boundary).
func boundedText(b []byte, limit int) string {
	if len(b) <= limit {
		return string(b)
	}
	b = b[:limit]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b) + "…"
}
