package bigquerysrc_test

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
)

// requestFake is a named fake of BigQuery's REST API (no emulator exists):
// it serves datasets.list, tables.list, tables.get and tabledata.list from
// fixed tables, answers jobs.query and jobs.getQueryResults through the
// test's answer function, pages results fakePage rows at a time, and
// records every request (method, path, the project in the path, the query
// and its parameters) for the test to check.
type requestFake struct {
	t      *testing.T
	srv    *httptest.Server
	host   string
	port   int
	tables map[string]fakeTable // "project.dataset.table"
	// answer returns the rows (as REST cells) a query job yields, or an
	// error status.
	answer func(q fakeQuery) (fields []fakeField, rows [][]any, status int)

	mu       sync.Mutex
	requests []fakeRequest
	results  map[string]fakeResult // job id → result
	jobs     int
}

// fakePage is the number of rows per results page: small, so that every
// extract reads several pages.
const fakePage = 2

type fakeField struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Mode   string      `json:"mode,omitempty"`
	Fields []fakeField `json:"fields,omitempty"`
}

type fakeTable struct {
	kind   string // TABLE, VIEW
	fields []fakeField
	rows   [][]any
	pk     []string
}

type fakeParam struct {
	Name          string `json:"name"`
	ParameterType struct {
		Type string `json:"type"`
	} `json:"parameterType"`
	ParameterValue struct {
		Value string `json:"value"`
	} `json:"parameterValue"`
}

type fakeQuery struct {
	Query          string      `json:"query"`
	UseLegacySQL   *bool       `json:"useLegacySql"`
	Location       string      `json:"location"`
	QueryParameter []fakeParam `json:"queryParameters"`
}

type fakeRequest struct {
	Method, Path, Project string
	Query                 *fakeQuery
}

type fakeResult struct {
	fields []fakeField
	rows   [][]any
}

func newRequestFake(t *testing.T) *requestFake {
	f := &requestFake{t: t, tables: map[string]fakeTable{}, results: map[string]fakeResult{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	addr := f.srv.Listener.Addr().(*net.TCPAddr)
	f.host, f.port = addr.IP.String(), addr.Port
	return f
}

func (f *requestFake) recorded() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *requestFake) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *requestFake) fail(w http.ResponseWriter, status int, msg string) {
	f.reply(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "errors": []any{map[string]any{"message": msg, "reason": "notFound"}}}})
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
	case map[string][]any: // a record: {"f": cells}
		return cells(x["f"])
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func (f *requestFake) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/bigquery/v2/")
	parts := strings.Split(path, "/")
	if len(parts) < 2 || parts[0] != "projects" {
		f.fail(w, http.StatusNotFound, "no such path "+r.URL.Path)
		return
	}
	req := fakeRequest{Method: r.Method, Path: path, Project: parts[1]}
	if r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "queries" {
		var q fakeQuery
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
		for k := range f.tables {
			p := strings.SplitN(k, ".", 3)
			if p[0] == parts[1] && !seen[p[1]] {
				seen[p[1]] = true
				list = append(list, map[string]any{"datasetReference": map[string]string{"projectId": p[0], "datasetId": p[1]}})
			}
		}
		f.reply(w, http.StatusOK, map[string]any{"datasets": list})
	case len(parts) == 5 && parts[4] == "tables":
		var list []any
		for _, k := range slices.Sorted(maps.Keys(f.tables)) {
			p := strings.SplitN(k, ".", 3)
			if p[0] == parts[1] && p[1] == parts[3] {
				list = append(list, map[string]any{"tableReference": map[string]string{"projectId": p[0], "datasetId": p[1], "tableId": p[2]}, "type": f.tables[k].kind})
			}
		}
		if list == nil {
			f.fail(w, http.StatusNotFound, "Not found: Dataset "+parts[1]+":"+parts[3])
			return
		}
		f.reply(w, http.StatusOK, map[string]any{"tables": list})
	case len(parts) >= 6 && parts[4] == "tables":
		tb, ok := f.tables[parts[1]+"."+parts[3]+"."+parts[5]]
		if !ok {
			f.fail(w, http.StatusNotFound, "Not found: Table "+parts[1]+":"+parts[3]+"."+parts[5])
			return
		}
		if len(parts) == 7 && parts[6] == "data" { // tabledata.list
			var rows []any
			for _, row := range tb.rows {
				rows = append(rows, cells(row))
			}
			f.reply(w, http.StatusOK, map[string]any{"totalRows": strconv.Itoa(len(tb.rows)), "rows": rows})
			return
		}
		md := map[string]any{
			"tableReference": map[string]string{"projectId": parts[1], "datasetId": parts[3], "tableId": parts[5]},
			"type":           tb.kind, "schema": map[string]any{"fields": tb.fields},
		}
		if tb.kind == "TABLE" {
			md["numRows"] = strconv.Itoa(len(tb.rows))
		}
		if tb.pk != nil {
			md["tableConstraints"] = map[string]any{"primaryKey": map[string]any{"columns": tb.pk}}
		}
		f.reply(w, http.StatusOK, md)
	case req.Query != nil: // jobs.query
		fields, rows, status := f.answer(*req.Query)
		if status != http.StatusOK {
			f.fail(w, status, "the fake refused the query")
			return
		}
		f.mu.Lock()
		f.jobs++
		id := fmt.Sprintf("job_%d", f.jobs)
		f.results[id] = fakeResult{fields: fields, rows: rows}
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
func (f *requestFake) page(project, job string, start int) map[string]any {
	f.mu.Lock()
	res := f.results[job]
	f.mu.Unlock()
	end := min(start+fakePage, len(res.rows))
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
