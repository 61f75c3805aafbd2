// Package bqfake is a BigQuery REST server with just the endpoints the
// bigquerywh driver calls: datasets (get, insert), tables (list, get,
// insert, delete), jobs (insert, get), jobs.query and getQueryResults. It
// is a named fake, for tests and for the cloud rehearsal
// (functions/rehearsal), where it runs as the project's BigQuery.
//
// It keeps a catalog (datasets; tables with their schemas and row counts),
// records every call, job and query for a test to check, and checks what it
// is sent (the project, the job location, gs:// load sources, typed query
// parameters: an ARRAY with its element type and its values as
// arrayValues); a request it does not expect is answered with an error and
// noted in Problems.
//
// # Rows
//
// A table's rows are kept as counts per lineage: how many rows each
// (_b2b_run_id, _b2b_source_file) pair contributed. A load job's rows come
// from Options.Source when it is set: the fake reads each staged Parquet
// file and counts its rows by those two columns (files without them count
// under empty values). Without a Source, SetLoadRows says how many rows a
// source URI holds.
//
// # Statements
//
// With Options.RunStatements and without an Answer hook, jobs.query and
// query jobs run the statements the platform sends (shared/etl and
// bigquerywh's Replace), over those counts:
//
//	SELECT COUNT(*) AS n FROM `ds`.`t` [WHERE `col` = @p]
//	DELETE FROM `ds`.`t` WHERE TRUE | WHERE `col` = @p
//	BEGIN TRANSACTION; DELETE ...; INSERT INTO `ds`.`t` (...) SELECT ... FROM `ds`.`s`; COMMIT TRANSACTION;
//	ALTER TABLE `ds`.`t` ADD COLUMN [IF NOT EXISTS] `c` TYPE
//
// where col is a lineage column. Other SQL is answered with invalidQuery.
// A load job appending to an existing table is checked as BigQuery checks
// it: a field the table lacks is refused unless the load allows field
// addition, and so is a field of another type.
// Without RunStatements, query jobs are recorded and succeed without
// changing anything (a test checks the SQL the driver sent), and jobs.query
// needs an Answer.
package bqfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	bq "google.golang.org/api/bigquery/v2"
)

// The lineage columns the platform adds to every loaded row
// (shared/etl's ColRunID and ColSourceFile).
const (
	ColRunID      = "_b2b_run_id"
	ColSourceFile = "_b2b_source_file"
)

// APIError is an error answer: HTTP status, reason and message, as
// BigQuery's error body carries them.
type APIError struct {
	Code    int
	Reason  string
	Message string
}

// Options configure a Fake.
type Options struct {
	// Project is the only project the fake answers for.
	Project string
	// Location, when set, is the location every job and new dataset must
	// name.
	Location string
	// Source, when set, opens a load job's gs:// source URI; the fake
	// counts the Parquet file's rows by lineage.
	Source func(ctx context.Context, uri string) (io.ReadCloser, error)
	// RunStatements runs the built-in statements (see the package doc).
	RunStatements bool
}

// sources are the rows of a load job's sources read through
// Options.Source, or the error that fails the job.
type sources struct {
	rows map[string][]lineage
	err  *APIError
}

// lineage is one (run, source file) pair and its row count.
type lineage struct {
	run, file string
	rows      int64
}

// Fake is the server. Its zero value is not usable: use New.
type Fake struct {
	opts Options

	mu       sync.Mutex
	datasets map[string]map[string]*bq.Table
	rows     map[string][]lineage // "ds.table" => counts
	jobs     map[string]*bq.Job
	calls    []string // "METHOD /path"
	loads    []*bq.JobConfigurationLoad
	queries  []*bq.QueryRequest
	scripts  []*bq.JobConfigurationQuery
	order    []string
	problems []string
	loadRows map[string]int64
	failLoad string
	// failQuery and answer are the tests' hooks (see FailQuery, Answer).
	failQuery         func(cfg *bq.JobConfigurationQuery) *APIError
	answer            func(req *bq.QueryRequest) (*bq.QueryResponse, *APIError)
	denyDatasetCreate bool
}

// New returns a fake for opts.Project.
func New(opts Options) *Fake {
	return &Fake{
		opts:     opts,
		datasets: map[string]map[string]*bq.Table{},
		rows:     map[string][]lineage{},
		jobs:     map[string]*bq.Job{},
		loadRows: map[string]int64{},
	}
}

// Start serves the fake on a free local port until stop is called, and
// returns its root URL (the driver's endpoint).
func (f *Fake) Start() (root string, stop func()) {
	srv := httptest.NewServer(f)
	return srv.URL, srv.Close
}

// DriverURL is the bigquerywh URL of the fake served at root.
func (f *Fake) DriverURL(root string) string {
	u := "bigquery://" + f.opts.Project + "?"
	if f.opts.Location != "" {
		u += "location=" + url.QueryEscape(f.opts.Location) + "&"
	}
	return u + "endpoint=" + url.QueryEscape(root)
}

// SetLoadRows says how many rows a load of uri yields (without a Source).
func (f *Fake) SetLoadRows(uri string, n int64) { f.locked(func() { f.loadRows[uri] = n }) }

// FailLoad makes a load job whose sources include uri fail.
func (f *Fake) FailLoad(uri string) { f.locked(func() { f.failLoad = uri }) }

// FailQuery makes a query job fail with the error fn returns (nil lets it
// run).
func (f *Fake) FailQuery(fn func(cfg *bq.JobConfigurationQuery) *APIError) {
	f.locked(func() { f.failQuery = fn })
}

// Answer makes fn answer every jobs.query request instead of the built-in
// statements.
func (f *Fake) Answer(fn func(req *bq.QueryRequest) (*bq.QueryResponse, *APIError)) {
	f.locked(func() { f.answer = fn })
}

// DenyDatasetCreate refuses datasets.insert with 403, as BigQuery does for
// an account without bigquery.datasets.create on the project (whether or
// not the dataset exists).
func (f *Fake) DenyDatasetCreate(deny bool) { f.locked(func() { f.denyDatasetCreate = deny }) }

// AddDataset creates a dataset (as Terraform would).
func (f *Fake) AddDataset(id string) {
	f.locked(func() {
		if _, ok := f.datasets[id]; !ok {
			f.datasets[id] = map[string]*bq.Table{}
		}
	})
}

// HasDataset reports whether the dataset exists.
func (f *Fake) HasDataset(id string) (ok bool) {
	f.locked(func() { _, ok = f.datasets[id] })
	return ok
}

// TableRows returns a table's row count and whether the table exists.
func (f *Fake) TableRows(dataset, table string) (n int64, ok bool) {
	f.locked(func() {
		if _, ok = f.datasets[dataset][table]; ok {
			n = f.count(dataset, table, "", "")
		}
	})
	return n, ok
}

// Table returns a copy of a table of the fake's catalog as the API keeps
// it (its schema, time partitioning and clustering).
func (f *Fake) Table(dataset, table string) (tb bq.Table, ok bool) {
	f.locked(func() {
		var t *bq.Table
		if t, ok = f.datasets[dataset][table]; ok {
			tb = *t
		}
	})
	return tb, ok
}

// JobOrder returns the jobs and table changes in the order they ran:
// "load <table>", "query", "create <table>", "delete <table>".
func (f *Fake) JobOrder() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.order)
}

// JobLabels returns the labels of a recorded job whose configuration
// satisfies match.
func (f *Fake) JobLabels(match func(*bq.JobConfiguration) bool) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if match(j.Configuration) {
			return j.Configuration.Labels
		}
	}
	return nil
}

// Recorded returns the recorded calls, load configurations, jobs.query
// requests and query job configurations.
func (f *Fake) Recorded() (calls []string, loads []*bq.JobConfigurationLoad, queries []*bq.QueryRequest, scripts []*bq.JobConfigurationQuery) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.loads), slices.Clone(f.queries), slices.Clone(f.scripts)
}

// Problems returns what the fake was sent that BigQuery would refuse or
// that the driver should not send (a wrong project or location, an
// unexpected call): a test fails on any.
func (f *Fake) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

func (f *Fake) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *Fake) problem(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func writeErr(w http.ResponseWriter, e *APIError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": e.Code, "message": e.Message,
		"errors": []map[string]string{{"reason": e.Reason, "message": e.Message}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Fake) decode(r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.problem("%s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A load job reads its sources before taking the lock, so that a
	// slow read does not hold up the other calls.
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	var staged sources
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/jobs") && f.opts.Source != nil {
		var job bq.Job
		if json.Unmarshal(body, &job) == nil && job.Configuration != nil && job.Configuration.Load != nil {
			staged.rows, staged.err = f.readSources(r.Context(), job.Configuration.Load.SourceUris)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	const base = "/bigquery/v2/projects/"
	if !strings.HasPrefix(r.URL.Path, base) {
		f.problem("unexpected path %s", r.URL.Path)
		writeErr(w, &APIError{404, "notFound", "no such path"})
		return
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, base), "/")
	if parts[0] != f.opts.Project {
		f.problem("request for project %q, want %q", parts[0], f.opts.Project)
		writeErr(w, &APIError{404, "notFound", "project not found"})
		return
	}
	p := parts[1:]
	route := make([]string, len(p))
	for i, s := range p {
		route[i] = s
		if i%2 == 1 {
			route[i] = "*"
		}
	}
	switch r.Method + " " + strings.Join(route, "/") {
	case "POST datasets":
		var ds bq.Dataset
		if !f.decode(r, &ds) {
			writeErr(w, &APIError{400, "invalid", "bad JSON body"})
			return
		}
		f.insertDataset(w, &ds)
	case "GET datasets/*":
		if _, ok := f.datasets[p[1]]; !ok {
			writeErr(w, &APIError{404, "notFound", "Not found: Dataset " + p[1]})
			return
		}
		writeJSON(w, &bq.Dataset{DatasetReference: &bq.DatasetReference{ProjectId: f.opts.Project, DatasetId: p[1]}, Location: f.opts.Location})
	case "POST datasets/*/tables":
		var tb bq.Table
		if !f.decode(r, &tb) {
			writeErr(w, &APIError{400, "invalid", "bad JSON body"})
			return
		}
		if err := f.createTable(p[1], &tb); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, &tb)
	case "GET datasets/*/tables":
		tables, ok := f.datasets[p[1]]
		if !ok {
			writeErr(w, &APIError{404, "notFound", "Not found: Dataset " + p[1]})
			return
		}
		list := &bq.TableList{TotalItems: int64(len(tables))}
		for _, id := range sortedKeys(tables) {
			list.Tables = append(list.Tables, &bq.TableListTables{
				TableReference: &bq.TableReference{ProjectId: f.opts.Project, DatasetId: p[1], TableId: id}, Type: "TABLE",
			})
		}
		writeJSON(w, list)
	case "GET datasets/*/tables/*", "DELETE datasets/*/tables/*":
		f.tableCall(w, r.Method, p[1], p[3])
	case "POST jobs":
		var job bq.Job
		if !f.decode(r, &job) {
			writeErr(w, &APIError{400, "invalid", "bad JSON body"})
			return
		}
		f.runJob(&job, staged)
		writeJSON(w, &job)
	case "GET jobs/*":
		job, ok := f.jobs[p[1]]
		if !ok {
			writeErr(w, &APIError{404, "notFound", "Not found: Job " + p[1]})
			return
		}
		if loc := r.URL.Query().Get("location"); f.opts.Location != "" && loc != f.opts.Location {
			f.problem("job get with location %q, want %q", loc, f.opts.Location)
		}
		writeJSON(w, job)
	case "GET queries/*":
		f.queryResults(w, p[1])
	case "POST queries":
		var req bq.QueryRequest
		if !f.decode(r, &req) {
			writeErr(w, &APIError{400, "invalid", "bad JSON body"})
			return
		}
		f.query(w, &req)
	default:
		f.problem("unexpected call %s %s", r.Method, r.URL.Path)
		writeErr(w, &APIError{400, "invalid", "unsupported by fake: " + r.Method + " " + r.URL.Path})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (f *Fake) insertDataset(w http.ResponseWriter, ds *bq.Dataset) {
	if f.denyDatasetCreate {
		writeErr(w, &APIError{403, "accessDenied", "Access Denied: Project " + f.opts.Project + ": User does not have bigquery.datasets.create permission in project " + f.opts.Project + "."})
		return
	}
	id := ds.DatasetReference.DatasetId
	if f.opts.Location != "" && ds.Location != f.opts.Location {
		f.problem("dataset %s created in location %q, want %q", id, ds.Location, f.opts.Location)
	}
	if _, ok := f.datasets[id]; ok {
		writeErr(w, &APIError{409, "duplicate", "Already Exists: Dataset " + id})
		return
	}
	f.datasets[id] = map[string]*bq.Table{}
	writeJSON(w, ds)
}

func (f *Fake) tableCall(w http.ResponseWriter, method, dataset, table string) {
	tables, ok := f.datasets[dataset]
	if !ok {
		writeErr(w, &APIError{404, "notFound", "Not found: Dataset " + dataset})
		return
	}
	tb, ok := tables[table]
	if !ok {
		writeErr(w, &APIError{404, "notFound", "Not found: Table " + table})
		return
	}
	if method == http.MethodDelete {
		f.order = append(f.order, "delete "+table)
		delete(tables, table)
		delete(f.rows, dataset+"."+table)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	tb.NumRows = uint64(f.count(dataset, table, "", ""))
	writeJSON(w, tb)
}

func (f *Fake) createTable(dataset string, tb *bq.Table) *APIError {
	tables, ok := f.datasets[dataset]
	if !ok {
		return &APIError{404, "notFound", "Not found: Dataset " + dataset}
	}
	id := tb.TableReference.TableId
	if _, ok := tables[id]; ok {
		return &APIError{409, "duplicate", "Already Exists: Table " + id}
	}
	now := ms(time.Now())
	tb.CreationTime, tb.LastModifiedTime = now, uint64(now)
	tb.NumRows = 0
	tb.Type = "TABLE"
	tb.Id = f.opts.Project + ":" + dataset + "." + id
	tables[id] = tb
	f.order = append(f.order, "create "+id)
	return nil
}

// queryResults answers getQueryResults of a job.
func (f *Fake) queryResults(w http.ResponseWriter, id string) {
	job, ok := f.jobs[id]
	if !ok {
		writeErr(w, &APIError{404, "notFound", "Not found: Job " + id})
		return
	}
	if e := job.Status.ErrorResult; e != nil {
		// BigQuery answers getQueryResults of a failed job with its error.
		writeErr(w, &APIError{400, e.Reason, e.Message})
		return
	}
	writeJSON(w, &bq.GetQueryResultsResponse{JobComplete: true, JobReference: job.JobReference,
		Schema: &bq.TableSchema{}, TotalRows: 0})
}

// query answers jobs.query: with the Answer hook, or the built-in
// statements.
func (f *Fake) query(w http.ResponseWriter, req *bq.QueryRequest) {
	f.queries = append(f.queries, req)
	f.checkParams(req.QueryParameters)
	var resp *bq.QueryResponse
	var e *APIError
	switch {
	case f.answer != nil:
		resp, e = f.answer(req)
	case f.opts.RunStatements:
		resp, e = f.run(req.Query, req.QueryParameters)
	default:
		e = &APIError{400, "invalidQuery", "fake has no answer"}
	}
	if e != nil {
		writeErr(w, e)
		return
	}
	resp.JobComplete = true
	if resp.JobReference == nil {
		resp.JobReference = &bq.JobReference{ProjectId: f.opts.Project, JobId: "q" + strconv.Itoa(len(f.queries)), Location: f.opts.Location}
	}
	resp.TotalRows = uint64(len(resp.Rows))
	if resp.Schema == nil {
		resp.Schema = &bq.TableSchema{}
	}
	// The client may look the job up (a DML statement's).
	now := ms(time.Now())
	f.jobs[resp.JobReference.JobId] = &bq.Job{JobReference: resp.JobReference, Status: &bq.JobStatus{State: "DONE"},
		Configuration: &bq.JobConfiguration{Query: &bq.JobConfigurationQuery{Query: req.Query, QueryParameters: req.QueryParameters}},
		Statistics:    &bq.JobStatistics{CreationTime: now, StartTime: now, EndTime: now, Query: &bq.JobStatistics2{NumDmlAffectedRows: resp.NumDmlAffectedRows}}}
	writeJSON(w, resp)
}

// checkParams notes the query parameters BigQuery would refuse: one
// without a name or a type, an ARRAY without an element type or of
// arrays, an ARRAY value given as a scalar or a scalar given as an array.
func (f *Fake) checkParams(params []*bq.QueryParameter) {
	for _, p := range params {
		t, v := p.ParameterType, p.ParameterValue
		switch {
		case p.Name == "" || t == nil || t.Type == "":
			f.problem("query parameter %q without a name or a type", p.Name)
		case t.Type == "ARRAY" && (t.ArrayType == nil || t.ArrayType.Type == "" || t.ArrayType.Type == "ARRAY"):
			f.problem("ARRAY query parameter @%s without a (non-array) element type", p.Name)
		case t.Type == "ARRAY" && v != nil && v.Value != "":
			f.problem("ARRAY query parameter @%s given a scalar value", p.Name)
		case t.Type != "ARRAY" && v != nil && len(v.ArrayValues) > 0:
			f.problem("%s query parameter @%s given array values", t.Type, p.Name)
		}
	}
}

// runJob checks and "runs" a load or query job, storing it DONE.
func (f *Fake) runJob(job *bq.Job, staged sources) {
	if job.JobReference == nil || job.JobReference.JobId == "" {
		f.problem("job without a job id")
		job.JobReference = &bq.JobReference{JobId: fmt.Sprintf("job%d", len(f.jobs))}
	}
	if f.opts.Location != "" && job.JobReference.Location != f.opts.Location {
		f.problem("job location %q, want %q", job.JobReference.Location, f.opts.Location)
	}
	job.Status = &bq.JobStatus{State: "DONE"}
	now := ms(time.Now())
	job.Statistics = &bq.JobStatistics{CreationTime: now, StartTime: now, EndTime: now}
	f.jobs[job.JobReference.JobId] = job
	fail := func(e *APIError) {
		job.Status.ErrorResult = &bq.ErrorProto{Reason: e.Reason, Message: e.Message}
		job.Status.Errors = []*bq.ErrorProto{job.Status.ErrorResult}
	}
	switch {
	case job.Configuration == nil:
		f.problem("job without a configuration")
		fail(&APIError{400, "invalid", "job without a configuration"})
	case job.Configuration.Load != nil:
		f.runLoad(job, staged, fail)
	case job.Configuration.Query != nil:
		cfg := job.Configuration.Query
		f.scripts = append(f.scripts, cfg)
		f.checkParams(cfg.QueryParameters)
		f.order = append(f.order, "query")
		st := "MERGE"
		if strings.HasPrefix(cfg.Query, "BEGIN") {
			st = "SCRIPT"
		}
		job.Statistics.Query = &bq.JobStatistics2{StatementType: st}
		if f.failQuery != nil {
			if e := f.failQuery(cfg); e != nil {
				fail(e)
			}
			return
		}
		if f.opts.RunStatements {
			if _, e := f.run(cfg.Query, cfg.QueryParameters); e != nil {
				fail(e)
			}
		}
	default:
		f.problem("job is neither load nor query: %+v", job.Configuration)
		fail(&APIError{400, "invalid", "job is neither load nor query"})
	}
}

func (f *Fake) runLoad(job *bq.Job, staged sources, fail func(*APIError)) {
	cfg := job.Configuration.Load
	f.loads = append(f.loads, cfg)
	f.order = append(f.order, "load "+cfg.DestinationTable.TableId)
	if staged.err != nil {
		fail(staged.err)
		return
	}
	var add []lineage
	for _, u := range cfg.SourceUris {
		if !strings.HasPrefix(u, "gs://") {
			f.problem("load source %q is not gs://", u)
		}
		if u == f.failLoad {
			fail(&APIError{400, "invalid", "Error while reading data, error message: bad file " + u})
			return
		}
		if f.opts.Source != nil {
			add = append(add, staged.rows[u]...)
		} else {
			add = append(add, lineage{rows: f.loadRows[u]})
		}
	}
	dst := cfg.DestinationTable
	tables, ok := f.datasets[dst.DatasetId]
	if !ok {
		fail(&APIError{404, "notFound", "Not found: Dataset " + dst.DatasetId})
		return
	}
	tb, ok := tables[dst.TableId]
	if !ok {
		if cfg.CreateDisposition != "CREATE_IF_NEEDED" {
			fail(&APIError{404, "notFound", "Not found: Table " + dst.TableId})
			return
		}
		if cfg.Schema == nil {
			f.problem("CREATE_IF_NEEDED load without a schema")
		}
		tb = &bq.Table{TableReference: dst, Schema: cfg.Schema, TimePartitioning: cfg.TimePartitioning, Clustering: cfg.Clustering}
		if e := f.createTable(dst.DatasetId, tb); e != nil {
			fail(e)
			return
		}
	} else if e := checkAppendSchema(cfg, tb); e != nil {
		fail(e)
		return
	}
	key := dst.DatasetId + "." + dst.TableId
	switch cfg.WriteDisposition {
	case "WRITE_APPEND":
	case "WRITE_TRUNCATE":
		f.rows[key] = nil
	default:
		f.problem("writeDisposition %q", cfg.WriteDisposition)
	}
	var n int64
	for _, l := range add {
		f.rows[key] = append(f.rows[key], l)
		n += l.rows
	}
	tb.NumRows = uint64(f.count(dst.DatasetId, dst.TableId, "", ""))
	tb.LastModifiedTime = uint64(ms(time.Now()))
	job.Statistics.Load = &bq.JobStatistics3{OutputRows: n, InputFiles: int64(len(cfg.SourceUris))}
}

// readSources counts the rows of each Parquet source by lineage.
func (f *Fake) readSources(ctx context.Context, uris []string) (map[string][]lineage, *APIError) {
	out := map[string][]lineage{}
	for _, u := range uris {
		rc, err := f.opts.Source(ctx, u)
		if err != nil {
			return nil, &APIError{404, "notFound", "Not found: URI " + u + ": " + err.Error()}
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, &APIError{500, "backendError", "reading " + u + ": " + err.Error()}
		}
		counts, err := countParquet(data)
		if err != nil {
			return nil, &APIError{400, "invalid", "Error while reading data, error message: " + u + ": " + err.Error()}
		}
		out[u] = counts
	}
	return out, nil
}

// countParquet counts a Parquet file's rows by their lineage columns.
func countParquet(data []byte) ([]lineage, error) {
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer rdr.Close()
	schema := rdr.MetaData().Schema
	runCol, fileCol := schema.ColumnIndexByName(ColRunID), schema.ColumnIndexByName(ColSourceFile)
	counts := map[[2]string]int64{}
	for g := range rdr.NumRowGroups() {
		rg := rdr.RowGroup(g)
		n := rg.NumRows()
		runs, err := stringColumn(rg, runCol, n)
		if err != nil {
			return nil, err
		}
		files, err := stringColumn(rg, fileCol, n)
		if err != nil {
			return nil, err
		}
		for i := range n {
			counts[[2]string{runs[i], files[i]}]++
		}
	}
	var out []lineage
	for k, n := range counts {
		out = append(out, lineage{run: k[0], file: k[1], rows: n})
	}
	slices.SortFunc(out, func(a, b lineage) int { return strings.Compare(a.run+"\x00"+a.file, b.run+"\x00"+b.file) })
	return out, nil
}

// stringColumn reads n values of a string column of a row group ("" for
// NULL, or for every row when col < 0: the file has no such column).
func stringColumn(rg *file.RowGroupReader, col int, n int64) ([]string, error) {
	out := make([]string, n)
	if col < 0 {
		return out, nil
	}
	cr, err := rg.Column(col)
	if err != nil {
		return nil, err
	}
	br, ok := cr.(*file.ByteArrayColumnChunkReader)
	if !ok {
		return nil, fmt.Errorf("column %d is not a string column", col)
	}
	vals := make([]parquet.ByteArray, n)
	def := make([]int16, n)
	var row int64
	for row < n && br.HasNext() {
		total, read, err := br.ReadBatch(n-row, vals, def, nil)
		if err != nil {
			return nil, err
		}
		v := 0
		for i := range total {
			if def[i] > 0 || br.Descriptor().MaxDefinitionLevel() == 0 {
				out[row+i] = string(vals[v])
				v++
			}
		}
		_ = read
		row += total
	}
	return out, nil
}

// count sums a table's rows whose lineage matches (run, file); "" matches
// any.
func (f *Fake) count(dataset, table, run, file string) int64 {
	var n int64
	for _, l := range f.rows[dataset+"."+table] {
		if (run == "" || l.run == run) && (file == "" || l.file == file) {
			n += l.rows
		}
	}
	return n
}

var (
	reCount  = regexp.MustCompile("^SELECT COUNT\\(\\*\\) AS `?(\\w+)`? FROM `([^`]+)`\\.`([^`]+)`(?: WHERE `([^`]+)` = @(\\w+))?$")
	reDelete = regexp.MustCompile("^DELETE FROM `([^`]+)`\\.`([^`]+)` WHERE (?:TRUE|`([^`]+)` = @(\\w+))$")
	reInsert = regexp.MustCompile("^INSERT INTO `([^`]+)`\\.`([^`]+)` \\(.*\\) SELECT .* FROM `([^`]+)`\\.`([^`]+)`$")
	reAlter  = regexp.MustCompile("^ALTER TABLE `([^`]+)`\\.`([^`]+)` ADD COLUMN (IF NOT EXISTS )?`([^`]+)` (\\w+)$")
)

// run runs a built-in statement or script (see the package doc).
func (f *Fake) run(sql string, params []*bq.QueryParameter) (*bq.QueryResponse, *APIError) {
	param := func(name string) (string, *APIError) {
		for _, p := range params {
			if p.Name == name && p.ParameterValue != nil {
				return p.ParameterValue.Value, nil
			}
		}
		return "", &APIError{400, "invalidQuery", "Query parameter '" + name + "' not found"}
	}
	// where turns `col` = @p into a (run, file) filter.
	where := func(col, p string) (run, file string, e *APIError) {
		if col == "" {
			return "", "", nil
		}
		v, e := param(p)
		if e != nil {
			return "", "", e
		}
		switch col {
		case ColRunID:
			return v, "", nil
		case ColSourceFile:
			return "", v, nil
		}
		return "", "", &APIError{400, "invalidQuery", "the fake filters on lineage columns only, not " + col}
	}
	stmts := splitScript(sql)
	if len(stmts) > 1 {
		if stmts[0] != "BEGIN TRANSACTION" || stmts[len(stmts)-1] != "COMMIT TRANSACTION" {
			return nil, &APIError{400, "invalidQuery", "the fake runs scripts of one transaction only"}
		}
		// Check every statement before changing anything: the script is
		// one transaction.
		saved := map[string][]lineage{}
		for k, v := range f.rows {
			saved[k] = slices.Clone(v)
		}
		for _, s := range stmts[1 : len(stmts)-1] {
			if _, e := f.run(s, params); e != nil {
				f.rows = saved
				return nil, e
			}
		}
		return &bq.QueryResponse{}, nil
	}
	sql = strings.TrimSuffix(strings.TrimSpace(sql), ";")
	if m := reCount.FindStringSubmatch(sql); m != nil {
		if e := f.tableExists(m[2], m[3]); e != nil {
			return nil, e
		}
		run, file, e := where(m[4], m[5])
		if e != nil {
			return nil, e
		}
		n := f.count(m[2], m[3], run, file)
		return &bq.QueryResponse{
			Schema: &bq.TableSchema{Fields: []*bq.TableFieldSchema{{Name: m[1], Type: "INTEGER", Mode: "NULLABLE"}}},
			Rows:   []*bq.TableRow{{F: []*bq.TableCell{{V: strconv.FormatInt(n, 10)}}}},
		}, nil
	}
	if m := reDelete.FindStringSubmatch(sql); m != nil {
		if e := f.tableExists(m[1], m[2]); e != nil {
			return nil, e
		}
		run, file, e := where(m[3], m[4])
		if e != nil {
			return nil, e
		}
		key := m[1] + "." + m[2]
		var n int64
		f.rows[key] = slices.DeleteFunc(f.rows[key], func(l lineage) bool {
			del := (run == "" || l.run == run) && (file == "" || l.file == file)
			if del {
				n += l.rows
			}
			return del
		})
		return &bq.QueryResponse{NumDmlAffectedRows: n}, nil
	}
	if m := reInsert.FindStringSubmatch(sql); m != nil {
		for _, t := range [][2]string{{m[1], m[2]}, {m[3], m[4]}} {
			if e := f.tableExists(t[0], t[1]); e != nil {
				return nil, e
			}
		}
		src := f.rows[m[3]+"."+m[4]]
		key := m[1] + "." + m[2]
		f.rows[key] = append(f.rows[key], src...)
		return &bq.QueryResponse{NumDmlAffectedRows: f.count(m[3], m[4], "", "")}, nil
	}
	if m := reAlter.FindStringSubmatch(sql); m != nil {
		if e := f.addColumn(m[1], m[2], m[4], m[5], m[3] != ""); e != nil {
			return nil, e
		}
		return &bq.QueryResponse{}, nil
	}
	return nil, &APIError{400, "invalidQuery", "the fake does not run this statement: " + sql}
}

// addColumn runs ALTER TABLE ADD COLUMN [IF NOT EXISTS]: the column is
// added to the table's schema as NULLABLE, as BigQuery adds it.
func (f *Fake) addColumn(dataset, table, column, typ string, ifNotExists bool) *APIError {
	if e := f.tableExists(dataset, table); e != nil {
		return e
	}
	tb := f.datasets[dataset][table]
	if tb.Schema == nil {
		tb.Schema = &bq.TableSchema{}
	}
	for _, fl := range tb.Schema.Fields {
		if strings.EqualFold(fl.Name, column) {
			if ifNotExists {
				return nil
			}
			return &APIError{400, "invalidQuery", "Column already exists: " + column}
		}
	}
	tb.Schema.Fields = append(tb.Schema.Fields, &bq.TableFieldSchema{Name: column, Type: typ, Mode: "NULLABLE"})
	tb.LastModifiedTime = uint64(ms(time.Now()))
	f.order = append(f.order, "alter "+table+" add "+column)
	return nil
}

// checkAppendSchema is BigQuery's check of a load into an existing table:
// a field the table lacks is refused unless the load allows field
// addition, and a field whose type differs is refused.
func checkAppendSchema(cfg *bq.JobConfigurationLoad, tb *bq.Table) *APIError {
	if cfg.Schema == nil || tb.Schema == nil || cfg.WriteDisposition == "WRITE_TRUNCATE" {
		return nil
	}
	have := map[string]string{}
	for _, fl := range tb.Schema.Fields {
		have[strings.ToLower(fl.Name)] = fl.Type
	}
	addition := slices.Contains(cfg.SchemaUpdateOptions, "ALLOW_FIELD_ADDITION")
	for _, fl := range cfg.Schema.Fields {
		t, ok := have[strings.ToLower(fl.Name)]
		switch {
		case !ok && !addition:
			return &APIError{400, "invalid", "Provided Schema does not match Table " + tb.Id + ". Cannot add fields (field: " + fl.Name + ")"}
		case ok && !sameType(t, fl.Type):
			return &APIError{400, "invalid", "Provided Schema does not match Table " + tb.Id + ". Field " + fl.Name + " has changed type from " + t + " to " + fl.Type}
		}
	}
	return nil
}

// sameType compares BigQuery type names, legacy and standard alike.
func sameType(a, b string) bool {
	norm := func(t string) string {
		switch t = strings.ToUpper(t); t {
		case "INT64":
			return "INTEGER"
		case "FLOAT64":
			return "FLOAT"
		case "BOOL":
			return "BOOLEAN"
		}
		return t
	}
	return norm(a) == norm(b)
}

func (f *Fake) tableExists(dataset, table string) *APIError {
	if _, ok := f.datasets[dataset][table]; !ok {
		return &APIError{404, "notFound", "Not found: Table " + f.opts.Project + ":" + dataset + "." + table}
	}
	return nil
}

// splitScript splits a script into its statements (no ; inside strings:
// the platform's scripts pass values as parameters).
func splitScript(sql string) []string {
	var out []string
	for s := range strings.SplitSeq(sql, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
