package etl

import (
	"context"
	"path"
	"strconv"
	"strings"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// matches reports whether a file job claims an object name in the drop
// bucket (a job on a bucket connection claims none). A paused job
// still claims its files: they wait for it (see HandleObjectFinalized)
// rather than falling to another job.
func (j Job) matches(object string) bool {
	if j.SourceType != SourceFile || j.File.ConnectionID != "" {
		return false
	}
	dir, base := splitObject(object)
	if strings.Trim(j.File.Prefix, "/") != dir {
		return false
	}
	return globMatch(j.File.Pattern, base)
}

func splitObject(name string) (dir, base string) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// globMatch matches a base name against a job's glob; a malformed pattern
// matches nothing.
func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// HandleObjectFinalized reacts to an object written to a tenant's drop
// bucket: it finds the file job that claims the object (creating an append
// job named after the file when none does), records a pending run keyed on
// the object's generation, and requests the run. A redelivered event finds
// the run already there and only re-requests it while it is pending.
func (s *Service) HandleObjectFinalized(ctx context.Context, e events.Event) (err error) {
	defer func() { err = errs.At("etl.HandleObjectFinalized", err) }()
	obj, err := eventschemas.Decode[eventschemas.StorageObjectData](s.validator, e.Type(), e.Data())
	if err != nil {
		return err
	}
	tenant, role, ok := s.res.TenantOfBucket(obj.Bucket)
	if !ok || role != BucketDrop {
		return invalidf("etl: bucket %q is not a tenant drop bucket", obj.Bucket)
	}
	base := path.Base(obj.Name)
	if strings.HasSuffix(obj.Name, "/") || strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".attrs") {
		s.log.InfoContext(ctx, "etl: ignoring folder or hidden object", "tenant", tenant, "object", obj.Name)
		return nil
	}
	size, err := strconv.ParseInt(obj.Size, 10, 64)
	if err != nil {
		return invalidf("etl: object %q: size %q is not an integer", obj.Name, obj.Size)
	}
	ref := eventschemas.ObjectRef{Bucket: obj.Bucket, Name: obj.Name, Generation: obj.Generation, Size: size, MD5: obj.MD5Hash}
	job, err := s.jobForObject(ctx, tenant, ref.Name)
	if err != nil {
		return err
	}
	if !job.Enabled {
		// Held: resuming the job loads the files that arrived meanwhile.
		s.log.InfoContext(ctx, "etl: job is paused; the file waits for it", "tenant", tenant, "job", job.ID, "object", ref.Name)
		return nil
	}
	_, err = s.startFileRun(ctx, tenant, job, ref, runStart{trigger: eventschemas.TriggerFileDrop})
	return err
}

// startFileRun creates (or finds) the run for one object version and
// requests it. Storage events of the same object version name the same run
// (nonce ""); a manual or scheduled trigger passes a nonce of its own, so
// each trigger is a run of its own (the ledger still skips content that is
// already loaded).
func (s *Service) startFileRun(ctx context.Context, tenant string, job Job, ref eventschemas.ObjectRef, st runStart) (Run, error) {
	now := s.nowUTC()
	run := Run{
		ID:          hashID("r_", tenant, job.ID, ref.Bucket, ref.Name, ref.Generation, st.nonce),
		Tenant:      tenant,
		JobID:       job.ID,
		JobName:     job.Name,
		Status:      StatusPending,
		Trigger:     st.trigger,
		Object:      &ref,
		Dest:        job.Dest,
		CreatedAt:   now,
		RetryOf:     st.retryOf,
		LatestOrder: st.latestOrder,
	}
	key := docstore.Key{Tenant: tenant, Kind: KindRun, ID: run.ID}
	_, err := docstore.Put(ctx, s.store, key, run, docstore.MustCreate)
	switch {
	case errs.Is(err, errs.Conflict):
		existing, _, gerr := docstore.Get[Run](ctx, s.store, key)
		if gerr != nil {
			return Run{}, gerr
		}
		if existing.Status != StatusPending {
			s.log.InfoContext(ctx, "etl: duplicate object event ignored", "tenant", tenant, "run", run.ID, "status", existing.Status)
			return existing, nil
		}
		run = existing
	case err != nil:
		return Run{}, err
	default:
		s.runLog(ctx, run, LogInfo, PhaseInit, st.requested("file "+ref.Name), nil)
	}
	s.log.InfoContext(ctx, "etl: run requested", "tenant", tenant, "run", run.ID, "job", job.ID, "object", ref.Name)
	return run, s.publish(ctx, eventschemas.TopicRunRequested, eventschemas.TypeRunRequested, run.ID,
		eventschemas.RunRequested{Tenant: tenant, JobID: job.ID, RunID: run.ID, Trigger: st.trigger, Object: &ref})
}

// jobForObject returns the enabled file job claiming the object, or the
// automatic append job for it, created on first sight.
func (s *Service) jobForObject(ctx context.Context, tenant, object string) (Job, error) {
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return Job{}, err
	}
	var auto *Job
	for i, j := range jobs {
		if !j.matches(object) {
			continue
		}
		if !j.AutoCreated {
			return j, nil // a job someone configured wins over an automatic one
		}
		auto = &jobs[i]
	}
	if auto != nil {
		return *auto, nil
	}
	dir, base := splitObject(object)
	table := tabular.TableNameFromObject(object)
	format, _, _ := tabular.DetectFormat(object) // "" when unsupported: the run reports it
	job := Job{
		ID:          hashID("j_", tenant, dir, base),
		Tenant:      tenant,
		Name:        table,
		SourceType:  "file",
		File:        FileSource{Prefix: dir, Pattern: escapeGlob(base), Format: string(format)},
		Dest:        Dest{Dataset: DefaultDataset, Table: table},
		LoadMode:    Append,
		AutoCreated: true,
		Enabled:     true,
		CreatedAt:   s.nowUTC(),
	}
	key := docstore.Key{Tenant: tenant, Kind: KindJob, ID: job.ID}
	if _, err := docstore.Put(ctx, s.store, key, job, docstore.MustCreate); err != nil {
		if errs.Is(err, errs.Conflict) { // created concurrently by another delivery
			j, _, gerr := docstore.Get[Job](ctx, s.store, key)
			return j, gerr
		}
		return Job{}, err
	}
	s.log.InfoContext(ctx, "etl: created automatic append job", "tenant", tenant, "job", job.ID, "table", table, "object", object)
	return job, nil
}

// escapeGlob quotes glob metacharacters so a file name matches only itself.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
