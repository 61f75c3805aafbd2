package bigquerywh_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bq "google.golang.org/api/bigquery/v2"
)

// fakeBQ is an in-process BigQuery REST server with just the endpoints the
// driver calls. It keeps a catalog (datasets, tables with schemas and row
// counts), applies load jobs to row counts, records every job and query
// request for the test to check, and answers queries with canned responses.
type fakeBQ struct {
	t       *testing.T
	project string
	srv     *httptest.Server

	mu       sync.Mutex
	datasets map[string]map[string]*bq.Table
	jobs     map[string]*bq.Job
	calls    []string // "METHOD /path"
	loads    []*bq.JobConfigurationLoad
	queries  []*bq.QueryRequest
	scripts  []*bq.JobConfigurationQuery
	// loadRows is the output row count a load job reports, per source URI.
	loadRows map[string]int64
	// failLoad makes a load job whose sources include this URI fail.
	failLoad string
	// failQuery, when set, makes a query job fail with the returned error
	// (nil lets it succeed).
	failQuery func(cfg *bq.JobConfigurationQuery) *apiError
	// order lists the jobs in the order they ran: "load <table>" or
	// "query", and table creations and deletions: "create <table>",
	// "delete <table>".
	order []string
	// answer returns the response to a jobs.query request.
	answer func(req *bq.QueryRequest) (*bq.QueryResponse, *apiError)
	// denyDatasetCreate refuses datasets.insert with 403, as BigQuery does
	// for an account without bigquery.datasets.create on the project
	// (whether or not the dataset exists).
	denyDatasetCreate bool
}

type apiError struct {
	code   int
	reason string
	msg    string
}

func newFakeBQ(t *testing.T) *fakeBQ {
	f := &fakeBQ{
		t: t, project: "test-proj",
		datasets: map[string]map[string]*bq.Table{},
		jobs:     map[string]*bq.Job{},
		loadRows: map[string]int64{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the driver URL pointing at the fake.
func (f *fakeBQ) URL() string {
	return "bigquery://" + f.project + "?location=EU&endpoint=" + url.QueryEscape(f.srv.URL)
}

func (f *fakeBQ) writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": e.code, "message": e.msg,
		"errors": []map[string]string{{"reason": e.reason, "message": e.msg}},
	}})
}

func (f *fakeBQ) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake: encode: %v", err)
	}
}

func (f *fakeBQ) decode(r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.t.Errorf("fake: %s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (f *fakeBQ) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const base = "/bigquery/v2/projects/"
	if !strings.HasPrefix(r.URL.Path, base) {
		f.t.Errorf("fake: unexpected path %s", r.URL.Path)
		f.writeErr(w, &apiError{404, "notFound", "no such path"})
		return
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, base), "/")
	if parts[0] != f.project {
		f.t.Errorf("fake: request for project %q, want %q", parts[0], f.project)
		f.writeErr(w, &apiError{404, "notFound", "project not found"})
		return
	}
	p := parts[1:]
	route := r.Method + " " + strings.Join(func() []string {
		out := make([]string, len(p))
		for i, s := range p {
			if i%2 == 0 {
				out[i] = s
			} else {
				out[i] = "*"
			}
		}
		return out
	}(), "/")
	switch route {
	case "POST datasets":
		var ds bq.Dataset
		if !f.decode(r, &ds) {
			return
		}
		if f.denyDatasetCreate {
			f.writeErr(w, &apiError{403, "accessDenied", "Access Denied: Project " + f.project + ": User does not have bigquery.datasets.create permission in project " + f.project + "."})
			return
		}
		id := ds.DatasetReference.DatasetId
		if ds.Location != "EU" {
			f.t.Errorf("fake: dataset %s created in location %q, want EU", id, ds.Location)
		}
		if _, ok := f.datasets[id]; ok {
			f.writeErr(w, &apiError{409, "duplicate", "Already Exists: Dataset " + id})
			return
		}
		f.datasets[id] = map[string]*bq.Table{}
		f.writeJSON(w, &ds)
	case "GET datasets/*":
		if _, ok := f.datasets[p[1]]; !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Dataset " + p[1]})
			return
		}
		f.writeJSON(w, &bq.Dataset{DatasetReference: &bq.DatasetReference{ProjectId: f.project, DatasetId: p[1]}})
	case "POST datasets/*/tables":
		var tb bq.Table
		if !f.decode(r, &tb) {
			return
		}
		if err := f.createTable(p[1], &tb); err != nil {
			f.writeErr(w, err)
			return
		}
		f.writeJSON(w, &tb)
	case "GET datasets/*/tables":
		tables, ok := f.datasets[p[1]]
		if !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Dataset " + p[1]})
			return
		}
		list := &bq.TableList{TotalItems: int64(len(tables))}
		for id := range tables {
			list.Tables = append(list.Tables, &bq.TableListTables{
				TableReference: &bq.TableReference{ProjectId: f.project, DatasetId: p[1], TableId: id}, Type: "TABLE",
			})
		}
		f.writeJSON(w, list)
	case "GET datasets/*/tables/*", "DELETE datasets/*/tables/*":
		tables, ok := f.datasets[p[1]]
		if !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Dataset " + p[1]})
			return
		}
		tb, ok := tables[p[3]]
		if !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Table " + p[3]})
			return
		}
		if r.Method == http.MethodDelete {
			f.order = append(f.order, "delete "+p[3])
			delete(tables, p[3])
			w.WriteHeader(http.StatusNoContent)
			return
		}
		f.writeJSON(w, tb)
	case "POST jobs":
		var job bq.Job
		if !f.decode(r, &job) {
			return
		}
		f.runJob(&job)
		f.writeJSON(w, &job)
	case "GET jobs/*":
		job, ok := f.jobs[p[1]]
		if !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Job " + p[1]})
			return
		}
		if loc := r.URL.Query().Get("location"); loc != "EU" {
			f.t.Errorf("fake: job get with location %q, want EU", loc)
		}
		f.writeJSON(w, job)
	case "GET queries/*":
		job, ok := f.jobs[p[1]]
		if !ok {
			f.writeErr(w, &apiError{404, "notFound", "Not found: Job " + p[1]})
			return
		}
		if e := job.Status.ErrorResult; e != nil {
			// BigQuery answers getQueryResults of a failed job with its error.
			f.writeErr(w, &apiError{400, e.Reason, e.Message})
			return
		}
		f.writeJSON(w, &bq.GetQueryResultsResponse{JobComplete: true, JobReference: job.JobReference,
			Schema: &bq.TableSchema{}, TotalRows: 0})
	case "POST queries":
		var req bq.QueryRequest
		if !f.decode(r, &req) {
			return
		}
		f.queries = append(f.queries, &req)
		if f.answer == nil {
			f.writeErr(w, &apiError{400, "invalidQuery", "fake has no answer"})
			return
		}
		resp, e := f.answer(&req)
		if e != nil {
			f.writeErr(w, e)
			return
		}
		resp.JobComplete = true
		if resp.JobReference == nil {
			resp.JobReference = &bq.JobReference{ProjectId: f.project, JobId: "q" + strconv.Itoa(len(f.queries)), Location: "EU"}
		}
		resp.TotalRows = uint64(len(resp.Rows))
		f.writeJSON(w, resp)
	default:
		f.t.Errorf("fake: unexpected call %s %s", r.Method, r.URL.Path)
		f.writeErr(w, &apiError{400, "invalid", "unsupported by fake: " + route})
	}
}

func (f *fakeBQ) createTable(dataset string, tb *bq.Table) *apiError {
	tables, ok := f.datasets[dataset]
	if !ok {
		return &apiError{404, "notFound", "Not found: Dataset " + dataset}
	}
	id := tb.TableReference.TableId
	if _, ok := tables[id]; ok {
		return &apiError{409, "duplicate", "Already Exists: Table " + id}
	}
	now := ms(time.Now())
	tb.CreationTime, tb.LastModifiedTime = now, uint64(now)
	tb.NumRows = 0
	tb.Type = "TABLE"
	tb.Id = f.project + ":" + dataset + "." + id
	tables[id] = tb
	f.order = append(f.order, "create "+id)
	return nil
}

// runJob checks and "runs" a load or query job, storing it DONE.
func (f *fakeBQ) runJob(job *bq.Job) {
	if job.JobReference == nil || job.JobReference.JobId == "" {
		f.t.Errorf("fake: job without a job id")
		job.JobReference = &bq.JobReference{JobId: fmt.Sprintf("job%d", len(f.jobs))}
	}
	if job.JobReference.Location != "EU" {
		f.t.Errorf("fake: job location %q, want EU", job.JobReference.Location)
	}
	job.Status = &bq.JobStatus{State: "DONE"}
	job.Statistics = &bq.JobStatistics{CreationTime: ms(time.Now()), StartTime: ms(time.Now()), EndTime: ms(time.Now())}
	f.jobs[job.JobReference.JobId] = job
	switch {
	case job.Configuration.Load != nil:
		f.runLoad(job)
	case job.Configuration.Query != nil:
		cfg := job.Configuration.Query
		f.scripts = append(f.scripts, cfg)
		f.order = append(f.order, "query")
		st := "MERGE"
		if strings.HasPrefix(cfg.Query, "BEGIN") {
			st = "SCRIPT"
		}
		job.Statistics.Query = &bq.JobStatistics2{StatementType: st}
		if f.failQuery != nil {
			if e := f.failQuery(cfg); e != nil {
				job.Status.ErrorResult = &bq.ErrorProto{Reason: e.reason, Message: e.msg}
				job.Status.Errors = []*bq.ErrorProto{job.Status.ErrorResult}
			}
		}
	default:
		f.t.Errorf("fake: job is neither load nor query: %+v", job.Configuration)
	}
}

func (f *fakeBQ) runLoad(job *bq.Job) {
	cfg := job.Configuration.Load
	f.loads = append(f.loads, cfg)
	f.order = append(f.order, "load "+cfg.DestinationTable.TableId)
	fail := func(code int, reason, msg string) {
		job.Status.ErrorResult = &bq.ErrorProto{Reason: reason, Message: msg}
		job.Status.Errors = []*bq.ErrorProto{job.Status.ErrorResult}
		_ = code
	}
	var rows int64
	for _, u := range cfg.SourceUris {
		if !strings.HasPrefix(u, "gs://") {
			f.t.Errorf("fake: load source %q is not gs://", u)
		}
		if u == f.failLoad {
			fail(400, "invalid", "Error while reading data, error message: bad file "+u)
			return
		}
		rows += f.loadRows[u]
	}
	dst := cfg.DestinationTable
	tables, ok := f.datasets[dst.DatasetId]
	if !ok {
		fail(404, "notFound", "Not found: Dataset "+dst.DatasetId)
		return
	}
	tb, ok := tables[dst.TableId]
	if !ok {
		if cfg.CreateDisposition != "CREATE_IF_NEEDED" {
			fail(404, "notFound", "Not found: Table "+dst.TableId)
			return
		}
		if cfg.Schema == nil {
			f.t.Errorf("fake: CREATE_IF_NEEDED load without a schema")
		}
		tb = &bq.Table{TableReference: dst, Schema: cfg.Schema}
		if e := f.createTable(dst.DatasetId, tb); e != nil {
			fail(e.code, e.reason, e.msg)
			return
		}
	}
	switch cfg.WriteDisposition {
	case "WRITE_APPEND":
		tb.NumRows += uint64(rows)
	case "WRITE_TRUNCATE":
		tb.NumRows = uint64(rows)
	default:
		f.t.Errorf("fake: writeDisposition %q", cfg.WriteDisposition)
	}
	tb.LastModifiedTime = uint64(ms(time.Now()))
	job.Statistics.Load = &bq.JobStatistics3{OutputRows: rows, InputFiles: int64(len(cfg.SourceUris))}
}

// jobOrder returns the recorded order of jobs and table changes.
func (f *fakeBQ) jobOrder() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.order...)
}

// jobLabels returns the labels of the recorded job whose configuration
// satisfies match.
func (f *fakeBQ) jobLabels(match func(*bq.JobConfiguration) bool) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if match(j.Configuration) {
			return j.Configuration.Labels
		}
	}
	return nil
}

// recorded returns the recorded calls, load configurations, jobs.query
// requests and query job configurations.
func (f *fakeBQ) recorded() (calls []string, loads []*bq.JobConfigurationLoad, queries []*bq.QueryRequest, scripts []*bq.JobConfigurationQuery) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...), append([]*bq.JobConfigurationLoad(nil), f.loads...),
		append([]*bq.QueryRequest(nil), f.queries...), append([]*bq.JobConfigurationQuery(nil), f.scripts...)
}
