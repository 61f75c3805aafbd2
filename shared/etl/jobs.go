package etl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// GetJob returns a job of the tenant.
func (s *Service) GetJob(ctx context.Context, tenant, id string) (Job, error) {
	j, _, err := docstore.Get[Job](ctx, s.store, docstore.Key{Tenant: tenant, Kind: KindJob, ID: id})
	return j, err
}

// ListJobs lists a tenant's jobs by name.
func (s *Service) ListJobs(ctx context.Context, tenant string) ([]Job, error) {
	return docstore.List[Job](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindJob, OrderBy: "name"})
}

// MaxJobNameLen bounds a job's name (in characters).
const MaxJobNameLen = 100

// NextRunsShown is how many fire times a job view lists.
const NextRunsShown = 3

// NewJob is what CreateJob takes: a file job, or a database job when
// SourceType is "database" (or a database connection type: postgresql,
// mysql, mariadb) or Database is set. Dest.Dataset defaults to
// DefaultDataset, Dest.Table to the job name sanitised, LoadMode to append,
// Schedule to manual and Enabled to true. For a database job MergeKeys
// default to the table's primary key.
type NewJob struct {
	Name       string          `json:"name"`
	SourceType string          `json:"source_type,omitempty"`
	File       FileSource      `json:"file"`
	Database   *DatabaseSource `json:"database,omitempty"`
	Dest       Dest            `json:"dest"`
	LoadMode   LoadMode        `json:"load_mode"`
	MergeKeys  []string        `json:"merge_keys,omitempty"`
	Schedule   *schedule.Spec  `json:"schedule,omitempty"`
	Enabled    *bool           `json:"enabled,omitempty"`
	// SchemaEvolution is refuse (the default) or add_columns.
	SchemaEvolution SchemaEvolution `json:"schema_evolution,omitempty"`
}

// JobPatch is what UpdateJob changes; nil fields stay. Dest, LoadMode,
// MergeKeys and Database (a database job's source) may change only while
// the job has no run.
type JobPatch struct {
	Name      *string         `json:"name,omitempty"`
	Pattern   *string         `json:"pattern,omitempty"`
	Database  *DatabaseSource `json:"database,omitempty"`
	Schedule  *schedule.Spec  `json:"schedule,omitempty"`
	Enabled   *bool           `json:"enabled,omitempty"`
	Dest      *Dest           `json:"dest,omitempty"`
	LoadMode  *LoadMode       `json:"load_mode,omitempty"`
	MergeKeys *[]string       `json:"merge_keys,omitempty"`
	// SchemaEvolution may change at any time: it applies to the next run.
	SchemaEvolution *SchemaEvolution `json:"schema_evolution,omitempty"`
}

// ScheduleView is a job's schedule as the API shows it: the schedule and
// whether it is paused (the job is disabled).
type ScheduleView struct {
	schedule.Schedule
	Paused bool `json:"paused"`
}

// JobView is a job with its schedule and next fire times (none when the
// job is manual or paused).
type JobView struct {
	Job
	Schedule ScheduleView `json:"schedule"`
	NextRuns []time.Time  `json:"next_runs"`
}

func jobKey(tenant, id string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindJob, ID: id}
}

func newJobID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", errs.Wrap(errs.Transient, err, "etl: job id")
	}
	return "j_" + hex.EncodeToString(b), nil
}

// CreateJob creates a job with its schedule.
func (s *Service) CreateJob(ctx context.Context, tenant string, in NewJob) (JobView, error) {
	job, err := s.checkNewJob(ctx, tenant, in)
	if err != nil {
		return JobView{}, err
	}
	spec := schedule.Spec{Type: schedule.Manual}
	if in.Schedule != nil {
		spec = *in.Schedule
	}
	sch, err := schedule.Parse(spec)
	if err != nil {
		return JobView{}, err
	}
	job.Schedule = storedSpec(sch)
	if job.ID, err = newJobID(); err != nil {
		return JobView{}, err
	}
	if err := s.claimName(ctx, tenant, job.Name, job.ID); err != nil {
		return JobView{}, err
	}
	if _, err := docstore.Put(ctx, s.store, jobKey(tenant, job.ID), job, docstore.MustCreate); err != nil {
		return JobView{}, errors.Join(err, s.releaseName(ctx, tenant, job.Name, job.ID))
	}
	if err := s.applySchedule(ctx, job, sch); err != nil {
		// Leave no job behind whose schedule does not exist.
		return JobView{}, errors.Join(err, s.store.Delete(ctx, jobKey(tenant, job.ID), docstore.Any), s.releaseName(ctx, tenant, job.Name, job.ID))
	}
	s.log.InfoContext(ctx, "etl: job created", "tenant", tenant, "job", job.ID, "schedule", sch.Label)
	return s.view(job, sch), nil
}

// checkNewJob checks what CreateJob is given and returns the job it
// describes (without id or schedule), defaults filled in.
func (s *Service) checkNewJob(ctx context.Context, tenant string, in NewJob) (Job, error) {
	name, err := checkJobName(in.Name)
	if err != nil {
		return Job{}, err
	}
	srcType, err := jobSourceType(in)
	if err != nil {
		return Job{}, err
	}
	if err := checkDest(&in.Dest, name); err != nil {
		return Job{}, err
	}
	var mode LoadMode
	var described *tabular.Inferred
	if srcType == SourceDatabase {
		if in.File != (FileSource{}) {
			return Job{}, fieldInvalid("file: does not apply to a database job")
		}
		var meta sources.TableMeta
		if mode, in.MergeKeys, meta, err = s.checkDatabaseSource(ctx, tenant, in.Database, in.LoadMode, in.MergeKeys); err != nil {
			return Job{}, err
		}
		cols := describedColumns(meta, in.Database.Columns)
		described = &cols
	} else {
		if err := checkFileSource(&in.File); err != nil {
			return Job{}, err
		}
		if mode, err = s.checkBucketSource(ctx, tenant, &in.File, in.LoadMode); err != nil {
			return Job{}, err
		}
		if mode, err = checkLoad(mode, in.MergeKeys); err != nil {
			return Job{}, err
		}
	}
	if err := checkDestSettings(&in.Dest, srcType, mode, in.MergeKeys, described); err != nil {
		return Job{}, err
	}
	evolution, err := checkSchemaEvolution(in.SchemaEvolution)
	if err != nil {
		return Job{}, err
	}
	return Job{
		Tenant: tenant, Name: name, SourceType: srcType, File: in.File, Database: in.Database, Dest: in.Dest,
		LoadMode: mode, MergeKeys: in.MergeKeys, SchemaEvolution: evolution, Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: s.nowUTC(),
	}, nil
}

// view is the job as the API shows it, with sch, its parsed schedule.
func (s *Service) view(job Job, sch schedule.Schedule) JobView {
	v := JobView{
		Job:      job,
		Schedule: ScheduleView{Schedule: sch, Paused: !job.Enabled},
		NextRuns: []time.Time{},
	}
	if job.Enabled {
		v.NextRuns = sch.Next(s.nowUTC(), NextRunsShown)
	}
	return v
}

// GetJobView returns a job of the tenant with its schedule and next fire times.
func (s *Service) GetJobView(ctx context.Context, tenant, id string) (JobView, error) {
	views, err := s.views(ctx, tenant, func() ([]Job, error) {
		job, err := s.GetJob(ctx, tenant, id)
		return []Job{job}, err
	})
	if err != nil {
		return JobView{}, err
	}
	return views[0], nil
}

// ListJobViews lists the tenant's jobs with their schedules and next runs.
func (s *Service) ListJobViews(ctx context.Context, tenant string) ([]JobView, error) {
	return s.views(ctx, tenant, func() ([]Job, error) { return s.ListJobs(ctx, tenant) })
}

// views reads jobs and makes their views (with one read of the old
// schedule documents, should a job need them).
func (s *Service) views(ctx context.Context, tenant string, read func() ([]Job, error)) ([]JobView, error) {
	jobs, err := read()
	if err != nil {
		return nil, err
	}
	legacy, err := s.legacySpecsFor(ctx, tenant, jobs...)
	if err != nil {
		return nil, err
	}
	views := make([]JobView, 0, len(jobs))
	for _, j := range jobs {
		sch, err := scheduleOf(j, legacy)
		if err != nil {
			return nil, err
		}
		views = append(views, s.view(j, sch))
	}
	return views, nil
}

// UpdateJob changes a job's name, file pattern, schedule or enabled state,
// and its destination and load mode while it has never run.
func (s *Service) UpdateJob(ctx context.Context, tenant, id string, p JobPatch) (JobView, error) {
	stored, err := s.GetJob(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	job, err := s.patchJob(ctx, stored, p)
	if err != nil {
		return JobView{}, err
	}
	sch, err := s.patchedSchedule(ctx, stored, p.Schedule)
	if err != nil {
		return JobView{}, err
	}
	job.Schedule = storedSpec(sch)
	if p.Enabled != nil {
		job.Enabled = *p.Enabled
	}
	if job, err = s.saveJob(ctx, stored, job); err != nil {
		return JobView{}, err
	}
	if err := s.applySchedule(ctx, job, sch); err != nil {
		return JobView{}, err
	}
	if isLegacy(stored.Schedule) {
		// The job now holds its spec itself.
		if err := s.store.Delete(ctx, scheduleKey(tenant, id), docstore.Any); err != nil {
			return JobView{}, err
		}
	}
	return s.view(job, sch), nil
}

// patchJob applies a patch's name, source, destination and load changes
// to the stored job, checked; the destination, load mode and source of a
// job that has run are errs.Conflict.
func (s *Service) patchJob(ctx context.Context, job Job, p JobPatch) (Job, error) {
	if p.Name != nil {
		name, err := checkJobName(*p.Name)
		if err != nil {
			return Job{}, err
		}
		job.Name = name
	}
	if p.Pattern != nil && job.SourceType != SourceFile {
		return Job{}, fieldInvalid("pattern: applies only to a file job")
	}
	if p.Database != nil && job.SourceType != SourceDatabase {
		return Job{}, fieldInvalid("database: applies only to a database job")
	}
	if p.SchemaEvolution != nil {
		evolution, err := checkSchemaEvolution(*p.SchemaEvolution)
		if err != nil {
			return Job{}, err
		}
		job.SchemaEvolution = evolution
	}
	if p.Pattern != nil {
		pat := strings.TrimSpace(*p.Pattern)
		if err := checkPattern(pat); err != nil {
			return Job{}, err
		}
		job.File.Pattern = pat
	}
	patched, err := s.patchDest(ctx, job, p)
	if err != nil {
		return Job{}, err
	}
	if !sameDest(patched.Dest, job.Dest) || patched.LoadMode != job.LoadMode || !slices.Equal(patched.MergeKeys, job.MergeKeys) ||
		(job.Database != nil && !sameDatabaseSource(*job.Database, *patched.Database)) {
		ran, err := s.hasRuns(ctx, job.Tenant, job.ID, "")
		if err != nil {
			return Job{}, err
		}
		if ran {
			return Job{}, errs.Fieldf(errs.Conflict, "dest", "the destination and load mode cannot change once the job has run: create a new job instead")
		}
	}
	return patched, nil
}

// patchDest applies a patch's destination, load mode, merge keys and
// database source, checked (a database job's against its table).
func (s *Service) patchDest(ctx context.Context, job Job, p JobPatch) (Job, error) {
	if p.Dest != nil {
		d := *p.Dest
		if err := checkDest(&d, job.Name); err != nil {
			return Job{}, err
		}
		job.Dest = d
	}
	if p.LoadMode != nil || p.MergeKeys != nil {
		if p.LoadMode != nil {
			if job.LoadMode = *p.LoadMode; job.LoadMode != Merge && p.MergeKeys == nil {
				job.MergeKeys = nil
			}
		}
		if p.MergeKeys != nil {
			job.MergeKeys = *p.MergeKeys
		}
		if job.SourceType != SourceDatabase {
			var err error
			if job.LoadMode, err = checkLoad(job.LoadMode, job.MergeKeys); err != nil {
				return Job{}, err
			}
			if err := checkFileMode(job.File, job.LoadMode); err != nil {
				return Job{}, err
			}
		}
	}
	var described *tabular.Inferred
	if job.SourceType == SourceDatabase && (p.Database != nil || p.LoadMode != nil || p.MergeKeys != nil || p.Dest != nil) {
		d := *job.Database
		if p.Database != nil {
			d = *p.Database
		}
		mode, keys, meta, err := s.checkDatabaseSource(ctx, job.Tenant, &d, job.LoadMode, job.MergeKeys)
		if err != nil {
			return Job{}, err
		}
		job.Database, job.LoadMode, job.MergeKeys = &d, mode, keys
		cols := describedColumns(meta, d.Columns)
		described = &cols
	}
	if err := checkDestSettings(&job.Dest, job.SourceType, job.LoadMode, job.MergeKeys, described); err != nil {
		return Job{}, err
	}
	return job, nil
}

// patchedSchedule is the schedule a patch gives the stored job: the
// patch's spec, or the job's schedule as stored.
func (s *Service) patchedSchedule(ctx context.Context, stored Job, spec *schedule.Spec) (schedule.Schedule, error) {
	if spec != nil {
		return schedule.Parse(*spec)
	}
	legacy, err := s.legacySpecsFor(ctx, stored.Tenant, stored)
	if err != nil {
		return schedule.Schedule{}, err
	}
	return scheduleOf(stored, legacy)
}

// saveJob stores the patched job over the stored one: a new name is
// claimed first (and released again if the write fails), the old one
// released after; what the chain wrote meanwhile (the last run, the
// incremental state) is kept.
func (s *Service) saveJob(ctx context.Context, stored, job Job) (Job, error) {
	renamed := job.Name != stored.Name
	if renamed {
		if err := s.claimName(ctx, job.Tenant, job.Name, job.ID); err != nil {
			return Job{}, err
		}
	}
	saved, err := docstore.Update(ctx, s.store, jobKey(job.Tenant, job.ID), func(j *Job, exists bool) error {
		if !exists {
			return errs.Explain(errs.E(errs.NotFound, "etl: job %s not found", job.ID), "this job does not exist (it may have been deleted)")
		}
		job.LastRun, job.State = j.LastRun, j.State
		*j = job
		return nil
	})
	if err != nil {
		if renamed {
			err = errors.Join(err, s.releaseName(ctx, job.Tenant, job.Name, job.ID))
		}
		return Job{}, err
	}
	if !strings.EqualFold(saved.Name, stored.Name) {
		if err := s.releaseName(ctx, job.Tenant, stored.Name, job.ID); err != nil {
			return Job{}, err
		}
	}
	return saved, nil
}

// PauseJob disables a job and pauses its schedule.
func (s *Service) PauseJob(ctx context.Context, tenant, id string) (JobView, error) {
	f := false
	return s.UpdateJob(ctx, tenant, id, JobPatch{Enabled: &f})
}

// ResumeJob enables a job and resumes its schedule.
//
// Files that arrived while the job was paused waited for it: resuming
// starts a run for each file that is new or changed since its last load.
func (s *Service) ResumeJob(ctx context.Context, tenant, id string) (JobView, error) {
	t := true
	view, err := s.UpdateJob(ctx, tenant, id, JobPatch{Enabled: &t})
	if err != nil || view.SourceType != SourceFile {
		return view, err
	}
	_, err = s.triggerJob(ctx, tenant, id, eventschemas.TriggerManual, "resume@"+s.nowUTC().Format(time.RFC3339Nano), true)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return view, err
	}
	return view, nil
}

// DeleteJob removes a job's schedule, then the job. Its runs stay as
// history. A job with a pending or running run is errs.Conflict.
func (s *Service) DeleteJob(ctx context.Context, tenant, id string) error {
	job, err := s.GetJob(ctx, tenant, id)
	if err != nil {
		return err
	}
	for _, st := range []RunStatus{StatusRunning, StatusPending} {
		busy, err := s.hasRuns(ctx, tenant, id, st)
		if err != nil {
			return err
		}
		if busy {
			return errs.Explain(errs.E(errs.Conflict, "etl: job %s has a %s run", id, st), "this job has a %s run: delete it when the run has finished", st)
		}
	}
	if s.sched != nil {
		if err := s.sched.Delete(ctx, tenant, SchedulerJobName(id)); err != nil {
			return err
		}
	}
	if err := s.store.Delete(ctx, scheduleKey(tenant, id), docstore.Any); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, jobKey(tenant, id), docstore.Any); err != nil {
		return err
	}
	if err := s.releaseName(ctx, tenant, job.Name, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "etl: job deleted", "tenant", tenant, "job", id)
	return nil
}
