package etl

import (
	"context"
	"errors"

	"github.com/b2brecs/b2brecs/eventschemas"
)

// ResumeUnfinished requests again every run of the tenant that is pending
// or running, clearing its lease (call it only where no other process can
// be working on the tenant's runs, i.e. at the start of the local platform): after a restart of the local platform (whose in-process bus
// does not outlive the process) such runs would otherwise wait forever.
// Handlers are idempotent, so a run that was in fact still progressing is
// not harmed. It returns how many runs it resumed.
func (s *Service) ResumeUnfinished(ctx context.Context, tenant string) (int, error) {
	n := 0
	for _, status := range []RunStatus{StatusPending, StatusRunning} {
		runs, err := s.ListRuns(ctx, tenant, RunFilter{Status: status, Limit: 500})
		if err != nil {
			return n, err
		}
		for _, r := range runs {
			// The process that held the lease is gone (this runs at start).
			if _, err := s.stamp(ctx, tenant, r.ID, s.release); err != nil && !errors.Is(err, errAlreadyFinished) {
				return n, err
			}
			if err := s.requestAgain(ctx, r); err != nil {
				return n, err
			}
			s.log.InfoContext(ctx, "etl: resumed unfinished run", "tenant", tenant, "run", r.ID, "status", r.Status)
			n++
		}
	}
	return n, nil
}

// requestAgain publishes the request of an unfinished run again. A run
// whose attempts are spent is failed by the delivery that claims it.
func (s *Service) requestAgain(ctx context.Context, r Run) error {
	req := eventschemas.RunRequested{Tenant: r.Tenant, JobID: r.JobID, RunID: r.ID, Trigger: r.Trigger, Object: r.Object}
	return s.publish(ctx, eventschemas.TopicRunRequested, eventschemas.TypeRunRequested, r.ID, req)
}
