package etl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// A job's schedule is stored once, as the spec the user picked, in the
// job document (Job.Schedule; nil = manual); the scheduler holds the cron
// job that fires it (SchedulerJobName), kept in step by applySchedule and
// repaired by SyncSchedules.

// KindSchedule is the kind of the schedule documents (id = the job id)
// that earlier versions stored beside each job, with the spec the job
// document now holds itself; such a job document held only the cron
// expression and time zone. They are still read for jobs stored that way
// (see scheduleOf), and deleted when such a job is next updated or
// deleted.
const KindSchedule = "etl_schedule"

// legacySchedule is the part of an old schedule document still read.
type legacySchedule struct {
	JobID string        `json:"job_id"`
	Spec  schedule.Spec `json:"spec"`
}

func scheduleKey(tenant, id string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindSchedule, ID: id}
}

// isLegacy reports whether a stored job's schedule is in the old form:
// a cron expression and time zone, without the spec's type.
func isLegacy(sp *schedule.Spec) bool { return sp != nil && sp.Type == "" }

// storedSpec is what a job stores of a schedule: nil for manual.
func storedSpec(sch schedule.Schedule) *schedule.Spec {
	if sch.Manual() {
		return nil
	}
	spec := sch.Spec
	return &spec
}

// legacySpecs reads the tenant's old schedule documents, by job id.
func (s *Service) legacySpecs(ctx context.Context, tenant string) (map[string]schedule.Spec, error) {
	docs, err := docstore.List[legacySchedule](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindSchedule})
	if err != nil {
		return nil, err
	}
	out := make(map[string]schedule.Spec, len(docs))
	for _, d := range docs {
		out[d.JobID] = d.Spec
	}
	return out, nil
}

// legacySpecsFor is legacySpecs when one of jobs is stored in the old
// form, and nil (no read) otherwise.
func (s *Service) legacySpecsFor(ctx context.Context, tenant string, jobs ...Job) (map[string]schedule.Spec, error) {
	for _, j := range jobs {
		if isLegacy(j.Schedule) {
			return s.legacySpecs(ctx, tenant)
		}
	}
	return nil, nil
}

// scheduleOf parses a stored job's schedule: its spec, or for a job
// stored in the old form the spec of its schedule document in legacy (a
// cron schedule of the job's own expression should there be none).
func scheduleOf(job Job, legacy map[string]schedule.Spec) (schedule.Schedule, error) {
	spec := schedule.Spec{Type: schedule.Manual}
	switch {
	case job.Schedule == nil:
	case !isLegacy(job.Schedule):
		spec = *job.Schedule
	default:
		var ok bool
		if spec, ok = legacy[job.ID]; !ok {
			spec = schedule.Spec{Type: schedule.Cron, Cron: job.Schedule.Cron, TimeZone: job.Schedule.TimeZone}
		}
	}
	sch, err := schedule.Parse(spec)
	if err != nil {
		return schedule.Schedule{}, errs.Wrap(errs.Unknown, err, "etl: stored schedule of job %s", job.ID)
	}
	return sch, nil
}

// applySchedule makes the scheduler match a stored job's schedule: a
// manual schedule has no scheduler job, a disabled job's is paused.
func (s *Service) applySchedule(ctx context.Context, job Job, sch schedule.Schedule) error {
	if s.sched == nil {
		if !sch.Manual() {
			s.log.WarnContext(ctx, "etl: no scheduler configured; schedule stored only", "tenant", job.Tenant, "job", job.ID)
		}
		return nil
	}
	if sch.Manual() {
		return s.sched.Delete(ctx, job.Tenant, SchedulerJobName(job.ID))
	}
	sj, err := s.SchedulerJob(job, sch)
	if err != nil {
		return err
	}
	return s.sched.Upsert(ctx, sj)
}

// SchedulerJob is the scheduler job that fires an ETL job's schedule: it
// publishes a RunRequested (trigger schedule, no run id) to the run topic,
// and is paused while the job is disabled.
func (s *Service) SchedulerJob(job Job, sch schedule.Schedule) (scheduler.Job, error) {
	data, err := json.Marshal(eventschemas.RunRequested{Tenant: job.Tenant, JobID: job.ID, Trigger: eventschemas.TriggerSchedule})
	if err != nil {
		return scheduler.Job{}, errs.Wrap(errs.Invalid, err, "etl: schedule data")
	}
	if s.validator != nil {
		if err := s.validator.Validate(eventschemas.TypeRunRequested, data); err != nil {
			return scheduler.Job{}, err
		}
	}
	return scheduler.Job{
		Tenant: job.Tenant, Name: SchedulerJobName(job.ID), Cron: sch.Cron, TimeZone: sch.TimeZone,
		Topic: eventschemas.TopicRunRequested, EventType: eventschemas.TypeRunRequested, Data: data, Paused: !job.Enabled,
	}, nil
}

// SyncSchedules makes the scheduler hold exactly the tenant's stored
// schedules (call it at start-up of an in-process scheduler, or to repair):
// it upserts each scheduled job's scheduler job that differs, deletes
// "etl-job-" jobs that no stored schedule has, and deletes old schedule
// documents whose job is gone.
func (s *Service) SyncSchedules(ctx context.Context, tenant string) error {
	const op errs.Op = "etl.SyncSchedules"
	if s.sched == nil {
		return errs.E(errs.Unsupported, "etl: no scheduler configured")
	}
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return errs.At(op, err)
	}
	legacy, err := s.legacySpecs(ctx, tenant)
	if err != nil {
		return errs.At(op, err)
	}
	have, err := s.sched.List(ctx, tenant)
	if err != nil {
		return errs.At(op, err)
	}
	current := map[string]scheduler.Job{}
	for _, st := range have {
		current[st.Name] = st.Job
	}
	want, upserted, err := s.upsertChanged(ctx, jobs, legacy, current)
	if err != nil {
		return errs.At(op, err)
	}
	deleted := 0
	for name := range current {
		if strings.HasPrefix(name, "etl-job-") && !want[name] {
			if err := s.sched.Delete(ctx, tenant, name); err != nil {
				return errs.At(op, err)
			}
			deleted++
		}
	}
	if err := s.deleteOrphanSchedules(ctx, tenant, jobs, legacy); err != nil {
		return errs.At(op, err)
	}
	s.log.InfoContext(ctx, "etl: schedules synced", "tenant", tenant, "schedules", len(want), "upserted", upserted, "deleted", deleted)
	return nil
}

// upsertChanged upserts the scheduler job of each scheduled job that
// differs from current, and returns the names that should exist.
func (s *Service) upsertChanged(ctx context.Context, jobs []Job, legacy map[string]schedule.Spec, current map[string]scheduler.Job) (map[string]bool, int, error) {
	want := map[string]bool{}
	upserted := 0
	for _, job := range jobs {
		sch, err := scheduleOf(job, legacy)
		if err != nil {
			return nil, 0, err
		}
		if sch.Manual() {
			continue
		}
		sj, err := s.SchedulerJob(job, sch)
		if err != nil {
			return nil, 0, err
		}
		want[sj.Name] = true
		if cur, ok := current[sj.Name]; ok && sameSchedulerJob(cur, sj) {
			continue
		}
		if err := s.sched.Upsert(ctx, sj); err != nil {
			return nil, 0, err
		}
		upserted++
	}
	return want, upserted, nil
}

// deleteOrphanSchedules deletes the old schedule documents of jobs that
// are gone.
func (s *Service) deleteOrphanSchedules(ctx context.Context, tenant string, jobs []Job, legacy map[string]schedule.Spec) error {
	exists := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		exists[j.ID] = true
	}
	for id := range legacy {
		if !exists[id] {
			if err := s.store.Delete(ctx, scheduleKey(tenant, id), docstore.Any); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameSchedulerJob(a, b scheduler.Job) bool {
	tz := func(s string) string {
		if s == "" {
			return "UTC"
		}
		return s
	}
	return a.Cron == b.Cron && tz(a.TimeZone) == tz(b.TimeZone) && a.Topic == b.Topic && a.EventType == b.EventType &&
		a.Paused == b.Paused && string(a.Data) == string(b.Data)
}

// SchedulerJobName is the scheduler job of an ETL job: "etl-job-" and the
// job id lower-cased with every other character than [a-z0-9-] replaced by
// '-'. When that changes the id (or it is too long), a hash of the id is
// appended so that two ids never share a name; the result matches
// [a-z0-9-]{1,100}.
func SchedulerJobName(jobID string) string {
	const prefix = "etl-job-"
	var b strings.Builder
	for _, r := range strings.ToLower(jobID) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == jobID && len(prefix)+len(s) <= 100 {
		return prefix + s
	}
	sum := sha256.Sum256([]byte(jobID))
	h := hex.EncodeToString(sum[:])[:12]
	if max := 100 - len(prefix) - len(h) - 1; len(s) > max {
		s = s[:max]
	}
	return prefix + s + "-" + h
}
