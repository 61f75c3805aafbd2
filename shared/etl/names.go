package etl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

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
	taken := errs.Fieldf(errs.Conflict, "name", "%s", nameTakenMessage(name))
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

// CheckJobName answers whether a job may be named name: by the rules of
// create (checkJobName) and not taken by another of the tenant's jobs,
// ignoring case. jobID is the job being renamed ("" for a new job): its
// own name is available to it.
func (s *Service) CheckJobName(ctx context.Context, tenant, name, jobID string) (NameCheck, error) {
	clean, err := checkJobName(name)
	if err != nil {
		return NameCheck{Name: name, Message: "The name " + errs.UserMessage(err) + "."}, nil
	}
	jobs, err := s.ListJobs(ctx, tenant)
	if err != nil {
		return NameCheck{}, err
	}
	for _, j := range jobs {
		if j.ID != jobID && strings.EqualFold(strings.TrimSpace(j.Name), clean) {
			return NameCheck{Name: clean, Message: nameTakenMessage(j.Name)}, nil
		}
	}
	return NameCheck{Name: clean, Available: true}, nil
}

// nameTakenMessage tells a user that a job of that name exists.
func nameTakenMessage(name string) string {
	return fmt.Sprintf("A job named %q already exists. Pick another name.", name)
}
