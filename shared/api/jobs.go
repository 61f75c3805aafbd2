package api

import (
	"net/http"
	"time"

	"github.com/b2brecs/b2brecs/shared/etl"
)

// PreviewFires is how many fire times a schedule preview lists.
const PreviewFires = 5

func (s *server) createJob(w http.ResponseWriter, r *http.Request) {
	var in etl.NewJob
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	v, err := s.ETL.CreateJob(r.Context(), principal(r).TenantID, in)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *server) updateJob(w http.ResponseWriter, r *http.Request) {
	var p etl.JobPatch
	if err := decodeBody(r, &p); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	v, err := s.ETL.UpdateJob(r.Context(), principal(r).TenantID, r.PathValue("id"), p)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) deleteJob(w http.ResponseWriter, r *http.Request) {
	if err := s.ETL.DeleteJob(r.Context(), principal(r).TenantID, r.PathValue("id")); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) pauseJob(w http.ResponseWriter, r *http.Request) {
	v, err := s.ETL.PauseJob(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) resumeJob(w http.ResponseWriter, r *http.Request) {
	v, err := s.ETL.ResumeJob(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// jobSchedule answers a job's schedule and its next fire times.
func (s *server) jobSchedule(w http.ResponseWriter, r *http.Request) {
	v, err := s.ETL.GetJobView(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_id": v.ID, "schedule": v.Schedule, "next_runs": v.NextRuns})
}

// previewSchedule converts a schedule spec for the job wizard: its cron
// expression, label and next fire times, or the field that is wrong.
func (s *server) previewSchedule(w http.ResponseWriter, r *http.Request) {
	var spec etl.ScheduleSpec
	if err := decodeBody(r, &spec); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	ps, err := etl.ParseScheduleSpec(spec)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"spec": ps.Spec, "cron": ps.Cron, "time_zone": ps.TimeZone, "label": ps.Label,
		"next_runs": ps.Next(time.Now(), PreviewFires),
	})
}
