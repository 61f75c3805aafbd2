package etl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

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
	Schedule   *ScheduleSpec   `json:"schedule,omitempty"`
	Enabled    *bool           `json:"enabled,omitempty"`
}

// JobPatch is what UpdateJob changes; nil fields stay. Dest, LoadMode,
// MergeKeys and Database (a database job's source) may change only while
// the job has no run.
type JobPatch struct {
	Name      *string         `json:"name,omitempty"`
	Pattern   *string         `json:"pattern,omitempty"`
	Database  *DatabaseSource `json:"database,omitempty"`
	Schedule  *ScheduleSpec   `json:"schedule,omitempty"`
	Enabled   *bool           `json:"enabled,omitempty"`
	Dest      *Dest           `json:"dest,omitempty"`
	LoadMode  *LoadMode       `json:"load_mode,omitempty"`
	MergeKeys *[]string       `json:"merge_keys,omitempty"`
}

// ScheduleView is a job's schedule as the API shows it.
type ScheduleView struct {
	Spec     ScheduleSpec `json:"spec"`
	Cron     string       `json:"cron"`
	TimeZone string       `json:"time_zone"`
	Label    string       `json:"label"`
	Paused   bool         `json:"paused"`
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

func scheduleKey(tenant, id string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindSchedule, ID: id}
}

func newJobID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", errs.Wrap(errs.Transient, err, "etl: job id")
	}
	return "j_" + hex.EncodeToString(b), nil
}

func checkJobName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fieldInvalid("name: is required")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxJobNameLen:
		return "", fieldInvalid("name: must be at most %d characters of valid text", MaxJobNameLen)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", fieldInvalid("name: must not contain control characters")
	}
	return name, nil
}

// checkWarehouseName accepts only names that are already warehouse
// identifiers (what tabular.SanitizeName returns for them).
func checkWarehouseName(field, name string) error {
	if s := tabular.SanitizeName(name); s != name {
		return fieldInvalid("%s: %q is not a valid name (lower-case letters, digits and _, not starting with a digit); %q would be", field, name, s)
	}
	return nil
}

func checkFileSource(f *FileSource) error {
	f.Prefix = strings.Trim(strings.TrimSpace(f.Prefix), "/")
	f.Pattern = strings.TrimSpace(f.Pattern)
	for seg := range strings.SplitSeq(f.Prefix, "/") {
		if f.Prefix != "" && (seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, unicode.IsControl) || strings.Contains(seg, `\`)) {
			return fieldInvalid("file.prefix: %q is not a folder path (segments separated by /, no . or ..)", f.Prefix)
		}
	}
	if err := checkPattern(f.Pattern); err != nil {
		return err
	}
	f.Format = strings.ToLower(strings.TrimSpace(f.Format))
	switch tabular.Format(f.Format) {
	case "", tabular.CSV, tabular.JSONL, tabular.JSON, tabular.Parquet:
	default:
		return fieldInvalid("file.format: %q is not one of csv, jsonl, json, parquet (or empty: from the extension)", f.Format)
	}
	if utf8.RuneCountInString(f.Delimiter) > 1 {
		return fieldInvalid("file.delimiter: %q must be one character", f.Delimiter)
	}
	return nil
}

func checkPattern(p string) error {
	if p == "" {
		return fieldInvalid("file.pattern: is required (a glob on the file name, such as orders_*.csv)")
	}
	if strings.Contains(p, "/") {
		return fieldInvalid("file.pattern: %q must match a file name, not a path: put folders in file.prefix", p)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fieldInvalid("file.pattern: %q is not a valid glob", p)
	}
	return nil
}

func checkLoad(mode LoadMode, keys []string) (LoadMode, error) {
	if mode == "" {
		mode = Append
	}
	switch mode {
	case Append, Truncate:
		if len(keys) > 0 {
			return "", fieldInvalid("merge_keys: apply only to load mode merge")
		}
	case Merge:
		if len(keys) == 0 {
			return "", fieldInvalid("merge_keys: are required for load mode merge")
		}
		for i, k := range keys {
			if err := checkWarehouseName("merge_keys", k); err != nil {
				return "", err
			}
			if slices.Contains(keys[:i], k) {
				return "", fieldInvalid("merge_keys: %q is listed twice", k)
			}
		}
	default:
		return "", fieldInvalid("load_mode: %q is not one of append, truncate, merge", mode)
	}
	return mode, nil
}

func checkDest(d *Dest, name string) error {
	d.Dataset, d.Table = strings.TrimSpace(d.Dataset), strings.TrimSpace(d.Table)
	if d.Dataset == "" {
		d.Dataset = DefaultDataset
	}
	if d.Table == "" {
		d.Table = tabular.SanitizeName(name)
	}
	if err := checkWarehouseName("dest.dataset", d.Dataset); err != nil {
		return err
	}
	return checkWarehouseName("dest.table", d.Table)
}

// KindJobName is the document kind that reserves a job name in a tenant
// (id = a hash of the name folded to lower case), so that two concurrent
// creates or renames cannot both take a name.
const KindJobName = "etl_job_name"

type nameClaim struct {
	JobID string    `json:"job_id"`
	Name  string    `json:"name"`
	At    time.Time `json:"at"`
}

// staleClaimAfter is how old a reservation without its job must be before
// another job may take it over (a create that claimed the name may not
// have stored its job yet).
const staleClaimAfter = 10 * time.Minute

func nameKey(tenant, name string) docstore.Key {
	return docstore.Key{Tenant: tenant, Kind: KindJobName, ID: hashID("n_", strings.ToLower(name))}
}

// claimName reserves name for jobID: errs.Conflict when another job has it
// (by its reservation or, for jobs created without one such as automatic
// jobs, by its stored name). A reservation whose job has been renamed, or
// is gone for longer than staleClaimAfter (a failed create), is taken over.
func (s *Service) claimName(ctx context.Context, tenant, name, jobID string) error {
	taken := errs.Fieldf(errs.Conflict, "name", "a job named %q already exists", name)
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.ID != jobID && strings.EqualFold(strings.TrimSpace(j.Name), name) {
			return taken
		}
	}
	key := nameKey(tenant, name)
	claim := nameClaim{JobID: jobID, Name: name, At: s.nowUTC()}
	_, err = docstore.Put(ctx, s.store, key, claim, docstore.MustCreate)
	if !errs.Is(err, errs.Conflict) {
		return err
	}
	cur, version, err := docstore.Get[nameClaim](ctx, s.store, key)
	if errs.Is(err, errs.NotFound) { // released meanwhile: try once more
		_, err = docstore.Put(ctx, s.store, key, claim, docstore.MustCreate)
		if errs.Is(err, errs.Conflict) {
			return taken
		}
		return err
	}
	if err != nil {
		return err
	}
	if cur.JobID == jobID {
		return nil
	}
	holder, err := s.GetJob(ctx, tenant, cur.JobID)
	switch {
	case err == nil && strings.EqualFold(strings.TrimSpace(holder.Name), name):
		return taken
	case err != nil && !errs.Is(err, errs.NotFound):
		return err
	case err != nil && s.nowUTC().Sub(cur.At) < staleClaimAfter:
		return taken // its job may be about to be stored
	}
	if _, err := docstore.Put(ctx, s.store, key, claim, docstore.IfVersion(version)); err != nil {
		if errs.Is(err, errs.Conflict) {
			return taken
		}
		return err
	}
	return nil
}

// releaseName drops jobID's reservation of name, if it holds it.
func (s *Service) releaseName(ctx context.Context, tenant, name, jobID string) error {
	key := nameKey(tenant, name)
	cur, version, err := docstore.Get[nameClaim](ctx, s.store, key)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.JobID != jobID {
		return nil
	}
	if err := s.store.Delete(ctx, key, docstore.IfVersion(version)); err != nil && !errs.Is(err, errs.Conflict) {
		return err
	}
	return nil
}

// CreateJob creates a file job with its schedule.
func (s *Service) CreateJob(ctx context.Context, tenant string, in NewJob) (JobView, error) {
	name, err := checkJobName(in.Name)
	if err != nil {
		return JobView{}, err
	}
	srcType, err := jobSourceType(in)
	if err != nil {
		return JobView{}, err
	}
	if err := checkDest(&in.Dest, name); err != nil {
		return JobView{}, err
	}
	var mode LoadMode
	if srcType == SourceDatabase {
		if in.File != (FileSource{}) {
			return JobView{}, fieldInvalid("file: does not apply to a database job")
		}
		if mode, in.MergeKeys, err = s.checkDatabaseSource(ctx, tenant, in.Database, in.LoadMode, in.MergeKeys); err != nil {
			return JobView{}, err
		}
	} else {
		if err := checkFileSource(&in.File); err != nil {
			return JobView{}, err
		}
		if mode, err = checkLoad(in.LoadMode, in.MergeKeys); err != nil {
			return JobView{}, err
		}
	}
	spec := ScheduleSpec{Type: ScheduleManual}
	if in.Schedule != nil {
		spec = *in.Schedule
	}
	ps, err := ParseScheduleSpec(spec)
	if err != nil {
		return JobView{}, err
	}
	id, err := newJobID()
	if err != nil {
		return JobView{}, err
	}
	if err := s.claimName(ctx, tenant, name, id); err != nil {
		return JobView{}, err
	}
	job := Job{
		ID: id, Tenant: tenant, Name: name, SourceType: srcType, File: in.File, Database: in.Database, Dest: in.Dest,
		LoadMode: mode, MergeKeys: in.MergeKeys, Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: s.nowUTC(),
	}
	if !ps.Manual() {
		job.Schedule = &Schedule{Cron: ps.Cron, TimeZone: ps.TimeZone}
	}
	if _, err := docstore.Put(ctx, s.store, jobKey(tenant, id), job, docstore.MustCreate); err != nil {
		return JobView{}, errors.Join(err, s.releaseName(ctx, tenant, name, id))
	}
	if err := s.applySchedule(ctx, job, ps); err != nil {
		// Leave no job behind whose schedule does not exist.
		return JobView{}, errors.Join(err, s.store.Delete(ctx, jobKey(tenant, id), docstore.Any), s.releaseName(ctx, tenant, name, id))
	}
	s.log.InfoContext(ctx, "etl: job created", "tenant", tenant, "job", id, "schedule", ps.Label)
	return s.view(job, ps, !job.Enabled), nil
}

// applySchedule stores a job's schedule and makes the scheduler match it:
// a manual schedule removes both.
func (s *Service) applySchedule(ctx context.Context, job Job, ps ParsedSchedule) error {
	key := scheduleKey(job.Tenant, job.ID)
	if ps.Manual() {
		if s.sched != nil {
			if err := s.sched.Delete(ctx, job.Tenant, SchedulerJobName(job.ID)); err != nil {
				return err
			}
		}
		return s.store.Delete(ctx, key, docstore.Any)
	}
	doc := JobSchedule{
		JobID: job.ID, Tenant: job.Tenant, Spec: ps.Spec, Cron: ps.Cron, TimeZone: ps.TimeZone,
		Label: ps.Label, Paused: !job.Enabled, UpdatedAt: s.nowUTC(),
	}
	if _, err := docstore.Put(ctx, s.store, key, doc, docstore.Any); err != nil {
		return err
	}
	return s.upsertScheduler(ctx, doc)
}

// SchedulerJob is the scheduler job that fires an ETL job's schedule: it
// publishes a RunRequested (trigger schedule, no run id) to the run topic.
func (s *Service) SchedulerJob(doc JobSchedule) (scheduler.Job, error) {
	data, err := json.Marshal(eventschemas.RunRequested{Tenant: doc.Tenant, JobID: doc.JobID, Trigger: eventschemas.TriggerSchedule})
	if err != nil {
		return scheduler.Job{}, errs.Wrap(errs.Invalid, err, "etl: schedule data")
	}
	if s.validator != nil {
		if err := s.validator.Validate(eventschemas.TypeRunRequested, data); err != nil {
			return scheduler.Job{}, err
		}
	}
	return scheduler.Job{
		Tenant: doc.Tenant, Name: SchedulerJobName(doc.JobID), Cron: doc.Cron, TimeZone: doc.TimeZone,
		Topic: eventschemas.TopicRunRequested, EventType: eventschemas.TypeRunRequested, Data: data, Paused: doc.Paused,
	}, nil
}

func (s *Service) upsertScheduler(ctx context.Context, doc JobSchedule) error {
	if s.sched == nil {
		s.log.WarnContext(ctx, "etl: no scheduler configured; schedule stored only", "tenant", doc.Tenant, "job", doc.JobID)
		return nil
	}
	sj, err := s.SchedulerJob(doc)
	if err != nil {
		return err
	}
	return s.sched.Upsert(ctx, sj)
}

// scheduleOf is the stored schedule of a job parsed again (manual when the
// job has none).
func (s *Service) scheduleOf(ctx context.Context, tenant, id string) (ParsedSchedule, bool, error) {
	doc, _, err := docstore.Get[JobSchedule](ctx, s.store, scheduleKey(tenant, id))
	if errs.Is(err, errs.NotFound) {
		ps, _ := ParseScheduleSpec(ScheduleSpec{Type: ScheduleManual})
		return ps, false, nil
	}
	if err != nil {
		return ParsedSchedule{}, false, err
	}
	ps, err := ParseScheduleSpec(doc.Spec)
	if err != nil {
		return ParsedSchedule{}, false, errs.Wrap(errs.Unknown, err, "etl: stored schedule of job %s", id)
	}
	return ps, doc.Paused, nil
}

func (s *Service) view(job Job, ps ParsedSchedule, paused bool) JobView {
	v := JobView{
		Job:      job,
		Schedule: ScheduleView{Spec: ps.Spec, Cron: ps.Cron, TimeZone: ps.TimeZone, Label: ps.Label, Paused: paused},
		NextRuns: []time.Time{},
	}
	if !paused && job.Enabled {
		v.NextRuns = ps.Next(s.nowUTC(), NextRunsShown)
	}
	return v
}

// GetJobView returns a job of the tenant with its schedule and next fire times.
func (s *Service) GetJobView(ctx context.Context, tenant, id string) (JobView, error) {
	job, err := s.GetJob(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	ps, paused, err := s.scheduleOf(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	return s.view(job, ps, paused || !job.Enabled), nil
}

// ListJobViews lists the tenant's jobs with their schedules and next runs
// (one read of the schedules for the whole list).
func (s *Service) ListJobViews(ctx context.Context, tenant string) ([]JobView, error) {
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return nil, err
	}
	docs, err := docstore.List[JobSchedule](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindSchedule})
	if err != nil {
		return nil, err
	}
	byJob := make(map[string]JobSchedule, len(docs))
	for _, d := range docs {
		byJob[d.JobID] = d
	}
	manual, _ := ParseScheduleSpec(ScheduleSpec{Type: ScheduleManual})
	views := make([]JobView, 0, len(jobs))
	for _, j := range jobs {
		ps, paused := manual, false
		if d, ok := byJob[j.ID]; ok {
			if ps, err = ParseScheduleSpec(d.Spec); err != nil {
				return nil, errs.Wrap(errs.Unknown, err, "etl: stored schedule of job %s", j.ID)
			}
			paused = d.Paused
		}
		views = append(views, s.view(j, ps, paused || !j.Enabled))
	}
	return views, nil
}

// hasRuns reports whether the job has a run (in status, when not empty).
func (s *Service) hasRuns(ctx context.Context, tenant, jobID string, status RunStatus) (bool, error) {
	runs, err := s.ListRuns(ctx, tenant, RunFilter{JobID: jobID, Status: status, Limit: 1})
	return len(runs) > 0, err
}

// UpdateJob changes a job's name, file pattern, schedule or enabled state,
// and its destination and load mode while it has never run.
func (s *Service) UpdateJob(ctx context.Context, tenant, id string, p JobPatch) (JobView, error) {
	job, err := s.GetJob(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	oldName := job.Name
	if p.Name != nil {
		name, err := checkJobName(*p.Name)
		if err != nil {
			return JobView{}, err
		}
		job.Name = name
	}
	if p.Pattern != nil && job.SourceType != SourceFile {
		return JobView{}, fieldInvalid("pattern: applies only to a file job")
	}
	if p.Database != nil && job.SourceType != SourceDatabase {
		return JobView{}, fieldInvalid("database: applies only to a database job")
	}
	if p.Pattern != nil {
		pat := strings.TrimSpace(*p.Pattern)
		if err := checkPattern(pat); err != nil {
			return JobView{}, err
		}
		job.File.Pattern = pat
	}
	destChanged := false
	if p.Dest != nil {
		d := *p.Dest
		if err := checkDest(&d, job.Name); err != nil {
			return JobView{}, err
		}
		destChanged = d != job.Dest
		job.Dest = d
	}
	if p.LoadMode != nil || p.MergeKeys != nil {
		mode, keys := job.LoadMode, job.MergeKeys
		if p.LoadMode != nil {
			mode = *p.LoadMode
			if mode != Merge && p.MergeKeys == nil {
				keys = nil
			}
		}
		if p.MergeKeys != nil {
			keys = *p.MergeKeys
		}
		if job.SourceType != SourceDatabase {
			if mode, err = checkLoad(mode, keys); err != nil {
				return JobView{}, err
			}
		}
		destChanged = destChanged || mode != job.LoadMode || !slices.Equal(keys, job.MergeKeys)
		job.LoadMode, job.MergeKeys = mode, keys
	}
	if job.SourceType == SourceDatabase && (p.Database != nil || p.LoadMode != nil || p.MergeKeys != nil) {
		d := *job.Database
		if p.Database != nil {
			d = *p.Database
		}
		old := *job.Database
		mode, keys, err := s.checkDatabaseSource(ctx, tenant, &d, job.LoadMode, job.MergeKeys)
		if err != nil {
			return JobView{}, err
		}
		destChanged = destChanged || !sameDatabaseSource(old, d) || mode != job.LoadMode || !slices.Equal(keys, job.MergeKeys)
		job.Database, job.LoadMode, job.MergeKeys = &d, mode, keys
	}
	if destChanged {
		ran, err := s.hasRuns(ctx, tenant, id, "")
		if err != nil {
			return JobView{}, err
		}
		if ran {
			return JobView{}, errs.Fieldf(errs.Conflict, "dest", "the destination and load mode cannot change once the job has run: create a new job instead")
		}
	}
	ps, _, err := s.scheduleOf(ctx, tenant, id)
	if err != nil {
		return JobView{}, err
	}
	if p.Schedule != nil {
		if ps, err = ParseScheduleSpec(*p.Schedule); err != nil {
			return JobView{}, err
		}
	}
	if p.Enabled != nil {
		job.Enabled = *p.Enabled
	}
	job.Schedule = nil
	if !ps.Manual() {
		job.Schedule = &Schedule{Cron: ps.Cron, TimeZone: ps.TimeZone}
	}
	if job.Name != oldName {
		if err := s.claimName(ctx, tenant, job.Name, id); err != nil {
			return JobView{}, err
		}
	}
	final := job
	job, err = docstore.Update(ctx, s.store, jobKey(tenant, id), func(j *Job, exists bool) error {
		if !exists {
			return errs.Explain(errs.E(errs.NotFound, "etl: job %s not found", id), "this job does not exist (it may have been deleted)")
		}
		// Keep what the chain writes meanwhile (the last run, the
		// incremental state).
		final.LastRun, final.State = j.LastRun, j.State
		*j = final
		return nil
	})
	if err != nil {
		if job.Name != oldName {
			err = errors.Join(err, s.releaseName(ctx, tenant, final.Name, id))
		}
		return JobView{}, err
	}
	if !strings.EqualFold(job.Name, oldName) {
		if err := s.releaseName(ctx, tenant, oldName, id); err != nil {
			return JobView{}, err
		}
	}
	if err := s.applySchedule(ctx, job, ps); err != nil {
		return JobView{}, err
	}
	return s.view(job, ps, !job.Enabled), nil
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

// SyncSchedules makes the scheduler hold exactly the tenant's stored
// schedules (call it at start-up of an in-process scheduler, or to repair):
// it upserts each scheduled job that differs, and deletes "etl-job-" jobs
// that no stored schedule has and stored schedules whose job is gone.
func (s *Service) SyncSchedules(ctx context.Context, tenant string) error {
	if s.sched == nil {
		return errs.E(errs.Unsupported, "etl: no scheduler configured")
	}
	docs, err := docstore.List[JobSchedule](ctx, s.store, docstore.Query{Tenant: tenant, Kind: KindSchedule})
	if err != nil {
		return err
	}
	have, err := s.sched.List(ctx, tenant)
	if err != nil {
		return err
	}
	current := map[string]scheduler.Job{}
	for _, st := range have {
		current[st.Name] = st.Job
	}
	want := map[string]bool{}
	upserted := 0
	for _, doc := range docs {
		job, err := s.GetJob(ctx, tenant, doc.JobID)
		if errs.Is(err, errs.NotFound) {
			if err := s.store.Delete(ctx, scheduleKey(tenant, doc.JobID), docstore.Any); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if doc.Cron == "" {
			continue
		}
		doc.Paused = doc.Paused || !job.Enabled
		sj, err := s.SchedulerJob(doc)
		if err != nil {
			return err
		}
		want[sj.Name] = true
		if cur, ok := current[sj.Name]; ok && sameSchedulerJob(cur, sj) {
			continue
		}
		if err := s.sched.Upsert(ctx, sj); err != nil {
			return err
		}
		upserted++
	}
	deleted := 0
	for name := range current {
		if strings.HasPrefix(name, "etl-job-") && !want[name] {
			if err := s.sched.Delete(ctx, tenant, name); err != nil {
				return err
			}
			deleted++
		}
	}
	s.log.InfoContext(ctx, "etl: schedules synced", "tenant", tenant, "schedules", len(want), "upserted", upserted, "deleted", deleted)
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

// jobSourceType is the source type a new job asks for: SourceDatabase for
// "database", a database connection type or a Database section, else
// SourceFile.
func jobSourceType(in NewJob) (string, error) {
	t := strings.ToLower(strings.TrimSpace(in.SourceType))
	switch {
	case t == "" && in.Database != nil, t == SourceDatabase, connections.Type(t).IsDatabase():
		if in.Database == nil {
			return "", fieldInvalid("database: is required for a database job")
		}
		return SourceDatabase, nil
	case t == "", t == SourceFile:
		if in.Database != nil {
			return "", fieldInvalid("database: does not apply to a file job")
		}
		return SourceFile, nil
	}
	return "", fieldInvalid("source_type: %q is not one of file, database, postgresql, mysql, mariadb", in.SourceType)
}

func sameDatabaseSource(a, b DatabaseSource) bool {
	return a.ConnectionID == b.ConnectionID && a.Schema == b.Schema && a.Table == b.Table &&
		slices.Equal(a.Columns, b.Columns) && a.TimestampColumn == b.TimestampColumn &&
		((a.HistoricalStart == nil) == (b.HistoricalStart == nil)) &&
		(a.HistoricalStart == nil || a.HistoricalStart.Equal(*b.HistoricalStart))
}

// fieldPathRE matches the field path that starts a validation message
// ("file.pattern: is required").
var fieldPathRE = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)

// fieldInvalid is a validation error for the user (errs.Invalid): a
// message that starts with a field path ("schedule.time: ...") names that
// field (errs.Fieldf), other messages are shown as they are. (invalidf
// errors are for the logs only.)
func fieldInvalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	field, text, ok := strings.Cut(msg, ": ")
	switch {
	case ok && fieldPathRE.MatchString(field):
		return errs.Fieldf(errs.Invalid, field, "%s", text)
	}
	return errs.Userf(errs.Invalid, "%s", msg)
}
