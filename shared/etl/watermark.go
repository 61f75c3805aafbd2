package etl

import (
	"context"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// ResetWatermark clears an incremental database job's state, so its next
// run reads from the historical start (or the whole table) again. With
// load mode append the rows already loaded load again unless the table is
// emptied first; merge loads them once. Refused (errs.Conflict) while a run
// of the job is pending or running, whose booking would bring the old
// watermark back, and for a job without a watermark (errs.Invalid).
func (s *Service) ResetWatermark(ctx context.Context, tenant, id string) (JobView, error) {
	job, err := s.GetJob(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	if !job.incremental() {
		return JobView{}, errs.Userf(errs.Invalid, "the job %q has no watermark: only incremental database jobs keep one", job.Name)
	}
	for _, st := range []RunStatus{StatusRunning, StatusPending} {
		busy, err := s.hasRuns(ctx, tenant, id, st)
		if err != nil {
			return JobView{}, err
		}
		if busy {
			return JobView{}, errs.Userf(errs.Conflict, "the job %q has a %s run: reset its watermark when the run has finished", job.Name, st)
		}
	}
	_, err = docstore.Update(ctx, s.store, jobKey(tenant, id), func(j *Job, exists bool) error {
		if !exists {
			return errs.Explain(errs.E(errs.NotFound, "etl: job %s not found", id), "this job does not exist (it may have been deleted)")
		}
		j.State = nil
		return nil
	})
	if err != nil {
		return JobView{}, errs.At("etl.ResetWatermark", err)
	}
	s.log.InfoContext(ctx, "etl: watermark reset", "tenant", tenant, "job", id)
	return s.GetJobView(ctx, tenant, id)
}
