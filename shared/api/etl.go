package api

import (
	"bufio"
	"encoding/json"
	"net/http"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/etl"
)

func (s *server) listJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.ETL.ListJobViews(r.Context(), principal(r).TenantID)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func (s *server) getJob(w http.ResponseWriter, r *http.Request) {
	job, err := s.ETL.GetJobView(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (s *server) triggerJob(w http.ResponseWriter, r *http.Request) {
	runs, err := s.ETL.TriggerJob(r.Context(), principal(r).TenantID, r.PathValue("id"), eventschemas.TriggerManual)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"runs": publicRuns(runs)})
}

func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 50, 500)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	q := r.URL.Query()
	runs, err := s.ETL.ListRuns(r.Context(), principal(r).TenantID, etl.RunFilter{JobID: q.Get("job_id"), Status: q.Get("status"), Limit: limit})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": publicRuns(runs)})
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.ETL.GetRun(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, run.Public())
}

// runRejects streams the first rejected rows of a run from its rejects file.
func (s *server) runRejects(w http.ResponseWriter, r *http.Request) {
	tenant := principal(r).TenantID
	limit, err := queryInt(r, "limit", 100, 10_000)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	run, err := s.ETL.GetRun(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := []etl.Reject{}
	if run.RejectsObject != "" && run.RowsRejected > 0 {
		b, err := s.Resources.Bucket(r.Context(), tenant, etl.BucketStaging)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		rd, err := b.NewReader(r.Context(), run.RejectsObject, nil)
		if err != nil {
			writeError(w, r, s.Logger, blobstore.Wrap(err, "rejects of run %s", run.ID))
			return
		}
		defer rd.Close()
		sc := bufio.NewScanner(rd)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for len(out) < limit && sc.Scan() {
			var rej etl.Reject
			if json.Unmarshal(sc.Bytes(), &rej) == nil {
				out = append(out, rej)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rejects": out, "total": run.RowsRejected})
}

// publicRuns is runs as the API shows them (never null).
func publicRuns(runs []etl.Run) []etl.Run {
	out := make([]etl.Run, len(runs))
	for i, r := range runs {
		out[i] = r.Public()
	}
	return out
}
