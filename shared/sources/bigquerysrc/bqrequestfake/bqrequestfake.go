// Package bqrequestfake is a named fake of BigQuery's REST API for the
// tests of the BigQuery source (no emulator of BigQuery exists): it serves
// datasets.list, tables.list, tables.get and tabledata.list from fixed
// tables, answers jobs.query and jobs.getQueryResults through the test's
// Answer function, pages results Page rows at a time, and records every
// request (method, path, the project in the path, the query and its
// parameters) for the test to check.
package bqrequestfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fake is the fake server (see the package doc).
type Fake struct {
	srv *httptest.Server
	// Host and Port are where it listens (loopback).
	Host string
	Port int
	// Tables are served by "project.dataset.table".
	Tables map[string]Table
	// Answer returns the fields and rows (as REST cells: text, nil, []any
	// for a repeated field, Record for a record) a query job yields, or an
	// error status.
	Answer func(q Query) (fields []Field, rows [][]any, status int)

	mu       sync.Mutex
	requests []Request
	results  map[string]result // job id → result
	jobs     int
}

// Page is the number of rows per results page: small, so that every
// extract reads several pages.
const Page = 2

// Field is a column of a schema.
type Field struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Mode   string  `json:"mode,omitempty"`
	Fields []Field `json:"fields,omitempty"`
}

// Table is a table or view.
type Table struct {
	Kind   string // TABLE, VIEW
	Fields []Field
	Rows   [][]any // REST cells, as Answer's
	PK     []string
	// Bytes is the table's numBytes (0: not reported).
	Bytes int64
}

// Record is a record's cells.
type Record []any

// Param is a query parameter as the client sends it.
type Param struct {
	Name          string `json:"name"`
	ParameterType struct {
		Type string `json:"type"`
	} `json:"parameterType"`
	ParameterValue struct {
		Value string `json:"value"`
	} `json:"parameterValue"`
}

// Query is a jobs.query request.
type Query struct {
	Query          string  `json:"query"`
	UseLegacySQL   *bool   `json:"useLegacySql"`
	Location       string  `json:"location"`
	QueryParameter []Param `json:"queryParameters"`
}

// Request is one request received; Query is set for jobs.query.
type Request struct {
	Method, Path, Project string
	Query                 *Query
}

type result struct {
	fields []Field
	rows   [][]any
}

// New starts a fake, closed when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{Tables: map[string]Table{}, results: map[string]result{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	addr := f.srv.Listener.Addr().(*net.TCPAddr)
	f.Host, f.Port = addr.IP.String(), addr.Port
	return f
}

// Requests are the requests received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

func (f *Fake) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Fake) fail(w http.ResponseWriter, status int, msg string) {
	reason := map[int]string{http.StatusBadRequest: "invalid", http.StatusForbidden: "accessDenied", http.StatusNotFound: "notFound"}[status]
	f.reply(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "errors": []any{map[string]any{"message": msg, "reason": reason}}}})
}

// cells encodes a row as REST cells: every scalar as text, records as
// {"f": [...]}, repeated fields as arrays of {"v": ...}.
func cells(row []any) map[string]any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = map[string]any{"v": cell(v)}
	}
	return map[string]any{"f": out}
}

func cell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any: // repeated
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = map[string]any{"v": cell(e)}
		}
		return out
	case Record:
		return cells(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/bigquery/v2/")
	parts := strings.Split(path, "/")
	if len(parts) < 2 || parts[0] != "projects" {
		f.fail(w, http.StatusNotFound, "no such path "+r.URL.Path)
		return
	}
	req := Request{Method: r.Method, Path: path, Project: parts[1]}
	if r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "queries" {
		var q Query
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			f.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		req.Query = &q
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	switch {
	case len(parts) == 3 && parts[2] == "datasets":
		seen := map[string]bool{}
		var list []any
		for k := range f.Tables {
			p := strings.SplitN(k, ".", 3)
			if p[0] == parts[1] && !seen[p[1]] {
				seen[p[1]] = true
				list = append(list, map[string]any{"datasetReference": map[string]string{"projectId": p[0], "datasetId": p[1]}})
			}
		}
		f.reply(w, http.StatusOK, map[string]any{"datasets": list})
	case len(parts) == 5 && parts[4] == "tables":
		var list []any
		for _, k := range slices.Sorted(maps.Keys(f.Tables)) {
			p := strings.SplitN(k, ".", 3)
			if p[0] == parts[1] && p[1] == parts[3] {
				list = append(list, map[string]any{"tableReference": map[string]string{"projectId": p[0], "datasetId": p[1], "tableId": p[2]}, "type": f.Tables[k].Kind})
			}
		}
		if list == nil {
			f.fail(w, http.StatusNotFound, "Not found: Dataset "+parts[1]+":"+parts[3])
			return
		}
		f.reply(w, http.StatusOK, map[string]any{"tables": list})
	case len(parts) >= 6 && parts[4] == "tables":
		tb, ok := f.Tables[parts[1]+"."+parts[3]+"."+parts[5]]
		if !ok {
			f.fail(w, http.StatusNotFound, "Not found: Table "+parts[1]+":"+parts[3]+"."+parts[5])
			return
		}
		if len(parts) == 7 && parts[6] == "data" { // tabledata.list
			if tb.Kind != "TABLE" { // as BigQuery answers
				f.fail(w, http.StatusBadRequest, "Cannot list a table of type "+tb.Kind+".")
				return
			}
			var rows []any
			for _, row := range tb.Rows {
				rows = append(rows, cells(row))
			}
			f.reply(w, http.StatusOK, map[string]any{"totalRows": strconv.Itoa(len(tb.Rows)), "rows": rows})
			return
		}
		md := map[string]any{
			"tableReference": map[string]string{"projectId": parts[1], "datasetId": parts[3], "tableId": parts[5]},
			"type":           tb.Kind, "schema": map[string]any{"fields": tb.Fields},
		}
		if tb.Kind == "TABLE" {
			md["numRows"] = strconv.Itoa(len(tb.Rows))
			if tb.Bytes > 0 {
				md["numBytes"] = strconv.FormatInt(tb.Bytes, 10)
			}
		}
		if tb.PK != nil {
			md["tableConstraints"] = map[string]any{"primaryKey": map[string]any{"columns": tb.PK}}
		}
		f.reply(w, http.StatusOK, md)
	case req.Query != nil: // jobs.query
		fields, rows, status := f.Answer(*req.Query)
		if status != http.StatusOK {
			f.fail(w, status, "the fake refused the query")
			return
		}
		f.mu.Lock()
		f.jobs++
		id := fmt.Sprintf("job_%d", f.jobs)
		f.results[id] = result{fields: fields, rows: rows}
		f.mu.Unlock()
		f.reply(w, http.StatusOK, f.page(parts[1], id, 0))
	case len(parts) == 4 && parts[2] == "queries": // jobs.getQueryResults
		start, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
		f.reply(w, http.StatusOK, f.page(parts[1], parts[3], start))
	default:
		f.fail(w, http.StatusNotFound, "the fake does not serve "+r.Method+" "+r.URL.Path)
	}
}

// page is a query results page from row start.
func (f *Fake) page(project, job string, start int) map[string]any {
	f.mu.Lock()
	res := f.results[job]
	f.mu.Unlock()
	end := min(start+Page, len(res.rows))
	rows := []any{}
	for _, row := range res.rows[start:end] {
		rows = append(rows, cells(row))
	}
	out := map[string]any{
		"kind": "bigquery#queryResponse", "jobComplete": true,
		"jobReference": map[string]string{"projectId": project, "jobId": job},
		"schema":       map[string]any{"fields": res.fields}, "rows": rows, "totalRows": strconv.Itoa(len(res.rows)),
	}
	if end < len(res.rows) {
		out["pageToken"] = strconv.Itoa(end)
	}
	return out
}

// Micros is a TIMESTAMP cell: microseconds since the epoch, as the client
// asks for them.
func Micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }
