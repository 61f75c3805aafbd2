package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

func (f *fixture) putDoc(kind, id string, v any) {
	f.t.Helper()
	if _, err := docstore.Put(context.Background(), f.p.Store, docstore.Key{Tenant: f.tenant.ID, Kind: kind, ID: id}, v, docstore.Any); err != nil {
		f.t.Fatal(err)
	}
}

// POST /api/runs/{id}/cancel cancels a pending run (editors only) and
// answers 409 with a message for a finished one; POST .../retry answers
// 409 for a run that has not finished and 202 with the new run linked to
// the old one; GET .../logs answers the run's log lines.
func TestRunCancelRetryLogs(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	obj := &eventschemas.ObjectRef{Bucket: f.p.Resources.BucketName(f.tenant.ID, etl.BucketDrop), Name: "orders.csv", Generation: "7", Size: 10}
	f.putDoc(etl.KindJob, "j_1", etl.Job{ID: "j_1", Tenant: f.tenant.ID, Name: "Orders", SourceType: etl.SourceFile,
		File: etl.FileSource{Pattern: "orders.csv"}, Dest: etl.Dest{Dataset: "raw_data", Table: "orders"}, LoadMode: etl.Append, Enabled: true, CreatedAt: now})
	f.putDoc(etl.KindRun, "r_pending", etl.Run{ID: "r_pending", Tenant: f.tenant.ID, JobID: "j_1", Status: etl.StatusPending, Object: obj, CreatedAt: now})
	f.putDoc(etl.KindRun, "r_failed", etl.Run{ID: "r_failed", Tenant: f.tenant.ID, JobID: "j_1", Status: etl.StatusFailed, Object: obj, CreatedAt: now, CompletedAt: &now})

	if r := f.send(tenancy.RoleViewer, "POST", "/api/runs/r_pending/cancel", ""); r.status != http.StatusForbidden {
		t.Errorf("viewer cancel = %d, want 403", r.status)
	}
	if r := f.send(tenancy.RoleEditor, "POST", "/api/runs/r_pending/retry", ""); r.status != http.StatusConflict {
		t.Errorf("retry of a pending run = %d %s, want 409", r.status, r.body)
	} else if kind, msg := r.errorOf(t); kind != "conflict" || msg != "this run has not finished yet (pending): wait for it, or cancel it, before running it again" {
		t.Errorf("retry of a pending run = %s %q", kind, msg)
	}
	r := f.send(tenancy.RoleEditor, "POST", "/api/runs/r_pending/cancel", "")
	var raw map[string]any
	if r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	r.json(t, &raw)
	if raw["status"] != "cancelled" || raw["completed_at"] == nil {
		t.Errorf("cancelled run = %v", raw)
	}
	if _, leaked := raw["lease_owner"]; leaked {
		t.Errorf("cancel answers the internal lease: %v", raw)
	}
	r = f.send(tenancy.RoleEditor, "POST", "/api/runs/r_pending/cancel", "")
	if kind, msg := r.errorOf(t); r.status != http.StatusConflict || kind != "conflict" || msg != "this run has already finished (cancelled): only a pending or running run can be cancelled" {
		t.Errorf("second cancel = %d %s %q", r.status, kind, msg)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/runs/r_nope/cancel"}, {"POST", "/api/runs/r_nope/retry"}, {"GET", "/api/runs/r_nope/logs"},
		{"GET", "/api/runs/r_nope/rejects/download"}, {"GET", "/api/runs/r_nope"},
	} {
		r := f.send(tenancy.RoleEditor, c.method, c.path, "")
		if kind, msg := r.errorOf(t); r.status != http.StatusNotFound || kind != "not_found" || msg != "there is no such run (it may have been deleted)" {
			t.Errorf("%s %s = %d %s %q, want 404 naming the run", c.method, c.path, r.status, kind, msg)
		}
	}

	r = f.send(tenancy.RoleEditor, "POST", "/api/runs/r_failed/retry", "")
	if r.status != http.StatusAccepted {
		t.Fatalf("retry = %d %s", r.status, r.body)
	}
	raw = nil
	r.json(t, &raw)
	if raw["retry_of"] != "r_failed" || raw["trigger"] != "retry" || raw["status"] != "pending" || raw["id"] == "r_failed" {
		t.Errorf("re-run = %v", raw)
	}

	r = f.send(tenancy.RoleViewer, "GET", "/api/runs/r_pending/logs", "")
	if r.status != http.StatusOK {
		t.Fatalf("logs = %d %s", r.status, r.body)
	}
	var logs struct {
		RunID   string `json:"run_id"`
		Dropped int64  `json:"dropped"`
		Lines   []struct {
			Seq     int64  `json:"seq"`
			Level   string `json:"level"`
			Stage   string `json:"stage"`
			Message string `json:"message"`
		} `json:"lines"`
	}
	r.json(t, &logs)
	if logs.RunID != "r_pending" || logs.Dropped != 0 || len(logs.Lines) != 1 || logs.Lines[0].Seq != 1 || logs.Lines[0].Level != "warn" ||
		logs.Lines[0].Stage != "cancelled" || logs.Lines[0].Message != "cancelled: nothing was loaded" {
		t.Errorf("logs = %+v", logs)
	}
	if r := f.send(tenancy.RoleViewer, "GET", "/api/runs/r_nope/logs", ""); r.status != http.StatusNotFound {
		t.Errorf("logs of an unknown run = %d, want 404", r.status)
	}
}

// GET /api/runs/{id}/rejects/download streams the whole rejects file as
// an attachment, CSV or JSONL; another format is 400 naming format.
func TestRunRejectsDownload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lines := `{"line":2,"column":"qty","reason":"\"x\" is not an integer","raw":"B,x"}` + "\n" +
		`{"line":5,"reason":"the row has 3 fields, the header 2","raw":"C,1,\"q\""}` + "\n"
	b, err := f.p.Resources.Bucket(ctx, f.tenant.ID, etl.BucketStaging)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "rejects/r_bad.jsonl", []byte(lines), nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	f.putDoc(etl.KindRun, "r_bad", etl.Run{ID: "r_bad", Tenant: f.tenant.ID, JobID: "j_1", Status: etl.StatusPartial, CreatedAt: now,
		CompletedAt: &now, RowsRejected: 2, RejectsObject: "rejects/r_bad.jsonl"})

	cases := []struct {
		query, contentType, name, body string
	}{
		{"", "text/csv; charset=utf-8", "r_bad-rejects.csv",
			"line,column,reason,raw\n2,qty,\"\"\"x\"\" is not an integer\",\"B,x\"\n5,,\"the row has 3 fields, the header 2\",\"C,1,\"\"q\"\"\"\n"},
		{"?format=csv", "text/csv; charset=utf-8", "r_bad-rejects.csv",
			"line,column,reason,raw\n2,qty,\"\"\"x\"\" is not an integer\",\"B,x\"\n5,,\"the row has 3 fields, the header 2\",\"C,1,\"\"q\"\"\"\n"},
		{"?format=jsonl", "application/x-ndjson", "r_bad-rejects.jsonl", lines},
	}
	for _, c := range cases {
		r := f.send(tenancy.RoleViewer, "GET", "/api/runs/r_bad/rejects/download"+c.query, "")
		if r.status != http.StatusOK {
			t.Fatalf("%s = %d %s", c.query, r.status, r.body)
		}
		if got := r.header.Get("Content-Type"); got != c.contentType {
			t.Errorf("%s content type = %q, want %q", c.query, got, c.contentType)
		}
		if got, want := r.header.Get("Content-Disposition"), `attachment; filename=`+c.name; got != want {
			t.Errorf("%s disposition = %q, want %q", c.query, got, want)
		}
		if string(r.body) != c.body {
			t.Errorf("%s body =\n%s\nwant\n%s", c.query, r.body, c.body)
		}
	}
	r := f.send(tenancy.RoleViewer, "GET", "/api/runs/r_bad/rejects/download?format=xlsx", "")
	if kind, _ := r.errorOf(t); r.status != http.StatusBadRequest || kind != "invalid" || r.fieldOf(t) != "format" {
		t.Errorf("format xlsx = %d %s", r.status, r.body)
	}
	if r := f.send(tenancy.RoleViewer, "GET", "/api/runs/r_nope/rejects/download", ""); r.status != http.StatusNotFound {
		t.Errorf("download of an unknown run = %d, want 404", r.status)
	}
}

// GET /api/etl/dashboard answers the documented keys over ?days= (1 to
// 365, default 30); another value is 400 naming days.
func TestETLDashboardRoute(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	done := now.Add(-time.Hour)
	f.putDoc(etl.KindRun, "r_1", etl.Run{ID: "r_1", Tenant: f.tenant.ID, JobID: "j_1", JobName: "Orders", Status: etl.StatusFailed,
		ErrorType: etl.PhaseLoad, CreatedAt: now, StartedAt: &now, CompletedAt: &done, DurationSeconds: 3})
	r := f.send(tenancy.RoleViewer, "GET", "/api/etl/dashboard", "")
	if r.status != http.StatusOK {
		t.Fatalf("dashboard = %d %s", r.status, r.body)
	}
	var raw map[string]json.RawMessage
	r.json(t, &raw)
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"cancelled", "days", "failed", "failures_by_error_type", "jobs", "mean_duration_seconds", "rows_loaded", "runs",
		"succeeded", "success_rate", "window_end", "window_start"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	if string(raw["days"]) != "30" || string(raw["success_rate"]) != "0" || string(raw["failures_by_error_type"]) != `{"load":1}` {
		t.Errorf("dashboard = %s", r.body)
	}
	for _, q := range []string{"?days=0", "?days=366", "?days=month"} {
		r := f.send(tenancy.RoleViewer, "GET", "/api/etl/dashboard"+q, "")
		if r.status != http.StatusBadRequest || r.fieldOf(t) != "days" {
			t.Errorf("%s = %d %s, want 400 naming days", q, r.status, r.body)
		}
	}
}
