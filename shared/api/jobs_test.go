package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/testenv"
	"github.com/jackc/pgx/v5"
)

type scheduleJSON struct {
	Spec     schedule.Spec `json:"spec"`
	Cron     string        `json:"cron"`
	TimeZone string        `json:"time_zone"`
	Label    string        `json:"label"`
	Paused   bool          `json:"paused"`
}

type jobJSON struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Enabled  bool           `json:"enabled"`
	File     etl.FileSource `json:"file"`
	Dest     etl.Dest       `json:"dest"`
	LoadMode string         `json:"load_mode"`
	Schedule scheduleJSON   `json:"schedule"`
	NextRuns []time.Time    `json:"next_runs"`
}

func (f *fixture) send(role tenancy.Role, method, path, body string) response {
	f.t.Helper()
	if body == "" {
		return f.do(role, method, path, nil, "")
	}
	return f.do(role, method, path, strings.NewReader(body), "application/json")
}

func (f *fixture) createJob(body string) jobJSON {
	f.t.Helper()
	r := f.send(tenancy.RoleEditor, "POST", "/api/jobs", body)
	if r.status != http.StatusCreated {
		f.t.Fatalf("POST /api/jobs = %d %s", r.status, r.body)
	}
	var j jobJSON
	r.json(f.t, &j)
	return j
}

func (f *fixture) schedulerJobs() map[string]bool {
	f.t.Helper()
	st, err := f.p.Scheduler.List(context.Background(), f.tenant.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range st {
		out[s.Name] = s.Paused
	}
	return out
}

func TestJobRoutes(t *testing.T) {
	f := newFixture(t)
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	j := f.createJob(`{"name":"Orders","file":{"prefix":"exports","pattern":"orders_*.csv","format":"csv"},"dest":{"table":"orders"},
		"load_mode":"merge","merge_keys":["order_id"],"schedule":{"type":"daily","time":"08:00","time_zone":"Europe/Warsaw"}}`)
	if j.ID == "" || j.Name != "Orders" || !j.Enabled || j.File.Prefix != "exports" || !reflect.DeepEqual(j.Dest, etl.Dest{Dataset: "raw_data", Table: "orders"}) || j.LoadMode != "merge" {
		t.Fatalf("created = %+v", j)
	}
	if j.Schedule.Cron != "0 8 * * *" || j.Schedule.Label != "Daily 08:00 Europe/Warsaw" || j.Schedule.TimeZone != "Europe/Warsaw" || len(j.NextRuns) != 3 {
		t.Fatalf("created schedule = %+v next %v", j.Schedule, j.NextRuns)
	}
	for _, n := range j.NextRuns {
		if l := n.In(warsaw); l.Hour() != 8 || l.Minute() != 0 || !n.After(time.Now()) {
			t.Errorf("next run %v is not a future 08:00 in Warsaw", n)
		}
	}
	if p, ok := f.schedulerJobs()[etl.SchedulerJobName(j.ID)]; !ok || p {
		t.Fatalf("scheduler = %v", f.schedulerJobs())
	}

	// The schedule, for viewers.
	r := f.send(tenancy.RoleViewer, "GET", "/api/jobs/"+j.ID+"/schedule", "")
	var sched struct {
		JobID    string       `json:"job_id"`
		Schedule scheduleJSON `json:"schedule"`
		NextRuns []time.Time  `json:"next_runs"`
	}
	r.json(t, &sched)
	if r.status != 200 || sched.JobID != j.ID || sched.Schedule.Spec.Type != "daily" || sched.Schedule.Spec.Time != "08:00" || len(sched.NextRuns) != 3 || !sched.NextRuns[0].Equal(j.NextRuns[0]) {
		t.Fatalf("GET schedule = %d %s", r.status, r.body)
	}
	// The list carries each job's schedule label and next runs.
	r = f.send(tenancy.RoleViewer, "GET", "/api/jobs", "")
	var list struct {
		Jobs []jobJSON `json:"jobs"`
	}
	r.json(t, &list)
	var listed *jobJSON
	for i := range list.Jobs {
		if list.Jobs[i].ID == j.ID {
			listed = &list.Jobs[i]
		}
	}
	if r.status != 200 || listed == nil || listed.Schedule.Label != "Daily 08:00 Europe/Warsaw" || len(listed.NextRuns) != 3 || !listed.NextRuns[0].Equal(j.NextRuns[0]) {
		t.Fatalf("GET /api/jobs = %d %s", r.status, r.body)
	}
	// The job itself carries its cron and zone.
	r = f.send(tenancy.RoleViewer, "GET", "/api/jobs/"+j.ID, "")
	var plain struct {
		Schedule *scheduleJSON `json:"schedule"`
	}
	r.json(t, &plain)
	if r.status != 200 || plain.Schedule == nil || plain.Schedule.Cron != "0 8 * * *" || plain.Schedule.TimeZone != "Europe/Warsaw" {
		t.Fatalf("GET job = %d %s", r.status, r.body)
	}

	// Edit: name and schedule.
	r = f.send(tenancy.RoleEditor, "PATCH", "/api/jobs/"+j.ID, `{"name":"Order lines","schedule":{"type":"hourly","minute":15}}`)
	var u jobJSON
	r.json(t, &u)
	if r.status != 200 || u.Name != "Order lines" || u.Schedule.Cron != "15 * * * *" || u.Schedule.Label != "Hourly at :15" || len(u.NextRuns) != 3 || u.NextRuns[0].Minute() != 15 {
		t.Fatalf("PATCH = %d %s", r.status, r.body)
	}
	r = f.send(tenancy.RoleEditor, "PATCH", "/api/jobs/"+j.ID, `{"schedule":{"type":"weekly","day_of_week":"funday","time":"09:00"}}`)
	if kind, _ := r.errorOf(t); r.status != 400 || kind != "invalid" || r.fieldOf(t) != "schedule.day_of_week" {
		t.Errorf("PATCH bad schedule = %d %s", r.status, r.body)
	}
	r = f.send(tenancy.RoleEditor, "PATCH", "/api/jobs/"+j.ID, `{"color":"red"}`)
	if r.status != 400 {
		t.Errorf("PATCH unknown field = %d %s", r.status, r.body)
	}

	// Pause and resume.
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs/"+j.ID+"/pause", "")
	var pj jobJSON
	r.json(t, &pj)
	if r.status != 200 || pj.Enabled || !pj.Schedule.Paused || len(pj.NextRuns) != 0 {
		t.Fatalf("pause = %d %s", r.status, r.body)
	}
	if p := f.schedulerJobs()[etl.SchedulerJobName(j.ID)]; !p {
		t.Errorf("scheduler job not paused: %v", f.schedulerJobs())
	}
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs/"+j.ID+"/resume", "")
	var rj jobJSON
	r.json(t, &rj)
	if r.status != 200 || !rj.Enabled || rj.Schedule.Paused || len(rj.NextRuns) != 3 {
		t.Fatalf("resume = %d %s", r.status, r.body)
	}
	if p, ok := f.schedulerJobs()[etl.SchedulerJobName(j.ID)]; !ok || p {
		t.Errorf("scheduler job not resumed: %v", f.schedulerJobs())
	}

	// Refusals on create.
	for body, field := range map[string]string{
		`{"name":"Bad","file":{"pattern":"b.csv"},"schedule":{"type":"daily","time":"7pm"}}`:                     "schedule.time",
		`{"name":"Bad","file":{"pattern":"b.csv"},"schedule":{"type":"cron","cron":"* * *"}}`:                    "schedule.cron",
		`{"name":"Bad","file":{"pattern":"b.csv"},"dest":{"table":"Bad Table"}}`:                                 "dest.table",
		`{"name":"Bad","file":{"pattern":"b.csv"},"load_mode":"merge"}`:                                          "merge_keys",
		`{"name":"","file":{"pattern":"b.csv"}}`:                                                                 "name",
		`{"name":"Bad","file":{"pattern":"b.csv"},"schedule":{"type":"daily","time":"07:00","time_zone":"X/Y"}}`: "schedule.time_zone",
	} {
		r := f.send(tenancy.RoleEditor, "POST", "/api/jobs", body)
		if kind, _ := r.errorOf(t); r.status != 400 || kind != "invalid" || r.fieldOf(t) != field {
			t.Errorf("POST %s = %d %s, want 400 naming %s", body, r.status, r.body, field)
		}
	}
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"order LINES","file":{"pattern":"x.csv"}}`)
	if kind, _ := r.errorOf(t); r.status != 409 || kind != "conflict" {
		t.Errorf("duplicate name = %d %s", r.status, r.body)
	}

	// Delete.
	if r := f.send(tenancy.RoleEditor, "DELETE", "/api/jobs/"+j.ID, ""); r.status != 204 {
		t.Fatalf("DELETE = %d %s", r.status, r.body)
	}
	if r := f.send(tenancy.RoleViewer, "GET", "/api/jobs/"+j.ID, ""); r.status != 404 {
		t.Errorf("GET after delete = %d", r.status)
	}
	if _, ok := f.schedulerJobs()[etl.SchedulerJobName(j.ID)]; ok {
		t.Errorf("scheduler job left after delete: %v", f.schedulerJobs())
	}
}

func TestSchedulePreview(t *testing.T) {
	f := newFixture(t)
	r := f.send(tenancy.RoleViewer, "POST", "/api/schedules/preview", `{"type":"monthly","day_of_month":1,"time":"06:00"}`)
	var p struct {
		Cron     string      `json:"cron"`
		TimeZone string      `json:"time_zone"`
		Label    string      `json:"label"`
		NextRuns []time.Time `json:"next_runs"`
	}
	r.json(t, &p)
	if r.status != 200 || p.Cron != "0 6 1 * *" || p.TimeZone != "UTC" || p.Label != "Monthly on the 1st 06:00" || len(p.NextRuns) != 5 {
		t.Fatalf("preview = %d %s", r.status, r.body)
	}
	for i, n := range p.NextRuns {
		if n.Day() != 1 || n.Hour() != 6 || i > 0 && !n.After(p.NextRuns[i-1]) {
			t.Errorf("fire times %v", p.NextRuns)
		}
	}
	r = f.send(tenancy.RoleViewer, "POST", "/api/schedules/preview", `{"type":"manual"}`)
	r.json(t, &p)
	if r.status != 200 || p.Cron != "" || p.Label != "Manual" || p.NextRuns == nil || len(p.NextRuns) != 0 {
		t.Errorf("manual preview = %d %s", r.status, r.body)
	}
	r = f.send(tenancy.RoleViewer, "POST", "/api/schedules/preview", `{"type":"hourly","minute":75}`)
	if kind, _ := r.errorOf(t); r.status != 400 || kind != "invalid" || r.fieldOf(t) != "schedule.minute" {
		t.Errorf("bad preview = %d %s", r.status, r.body)
	}
}

// TestJobRoutesAccess: viewers may not write; another tenant sees nothing.
func TestJobRoutesAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.createJob(`{"name":"Orders","file":{"pattern":"orders_*.csv"},"schedule":{"type":"hourly","minute":5}}`)

	writes := []struct{ method, path, body string }{
		{"POST", "/api/jobs", `{"name":"V","file":{"pattern":"v.csv"}}`},
		{"PATCH", "/api/jobs/" + j.ID, `{"name":"V"}`},
		{"DELETE", "/api/jobs/" + j.ID, ""},
		{"POST", "/api/jobs/" + j.ID + "/pause", ""},
		{"POST", "/api/jobs/" + j.ID + "/resume", ""},
		{"POST", "/api/jobs/" + j.ID + "/reset-watermark", ""},
	}
	for _, w := range writes {
		r := f.send(tenancy.RoleViewer, w.method, w.path, w.body)
		if kind, _ := r.errorOf(t); r.status != 403 || kind != "permission" {
			t.Errorf("viewer %s %s = %d %s, want 403", w.method, w.path, r.status, r.body)
		}
	}

	// A file job keeps no watermark: resetting it is a user error.
	if r := f.send(tenancy.RoleEditor, "POST", "/api/jobs/"+j.ID+"/reset-watermark", ""); r.status != 400 {
		t.Errorf("reset a file job's watermark: %d %s", r.status, r.body)
	}

	// Tenant B with its own editor.
	other, err := f.p.Tenancy.CreateTenant(ctx, "Rival Ltd")
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.p.Tenancy.CreateUser(ctx, other.ID, tenancy.NewUser{Email: "ed@rival.test", Password: "a-long-password-3", Role: tenancy.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.p.Sessions.IssueFor(u)
	if err != nil {
		t.Fatal(err)
	}
	routes := append(writes[1:], []struct{ method, path, body string }{
		{"GET", "/api/jobs/" + j.ID, ""},
		{"GET", "/api/jobs/" + j.ID + "/schedule", ""},
		{"POST", "/api/jobs/" + j.ID + "/runs", ""},
	}...)
	for _, rt := range routes {
		req, _ := http.NewRequest(rt.method, rt.path, strings.NewReader(rt.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, req)
		r := response{status: w.Code, body: w.Body.Bytes()}
		if kind, _ := r.errorOf(t); r.status != 404 || kind != "not_found" {
			t.Errorf("tenant B %s %s = %d %s, want 404", rt.method, rt.path, r.status, r.body)
		}
	}
	// A's job is untouched.
	r := f.send(tenancy.RoleViewer, "GET", "/api/jobs/"+j.ID+"/schedule", "")
	var s struct {
		Schedule scheduleJSON `json:"schedule"`
	}
	r.json(t, &s)
	if r.status != 200 || s.Schedule.Cron != "5 * * * *" || s.Schedule.Paused {
		t.Errorf("A's job after B's calls = %d %s", r.status, r.body)
	}
	if len(f.schedulerJobs()) != 1 {
		t.Errorf("A's scheduler jobs = %v", f.schedulerJobs())
	}
}

// pgTable creates a schema with an orders table in the test PostgreSQL
// (dropped at the end) and returns a connection to it.
func pgTable(t *testing.T, name string) connections.NewConnection {
	t.Helper()
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("exec %s: %v", q, err)
		}
	}
	schema := fmt.Sprintf("b2b_api_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	exec(`CREATE SCHEMA "` + schema + `"`)
	t.Cleanup(func() { exec(`DROP SCHEMA "` + schema + `" CASCADE`) })
	exec(`CREATE TABLE "` + schema + `".orders (order_id bigint PRIMARY KEY, customer text, updated_at timestamptz)`)
	exec(`INSERT INTO "` + schema + `".orders VALUES (1, 'acme', '2026-01-01T00:00:00Z')`)
	port, _ := strconv.Atoi(u.Port())
	pw, _ := u.User.Password()
	return connections.NewConnection{
		Fields: connections.Fields{Name: name, Type: connections.Postgres, Host: u.Hostname(), Port: port,
			Database: strings.TrimPrefix(u.Path, "/"), Schema: schema, Username: u.User.Username(), SSLMode: "disable"},
		Secret: connections.Secret{Password: pw},
	}
}

func TestDatabaseJobRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := pgTable(t, "Shop DB")
	c, err := f.p.Connections.Create(ctx, f.tenant.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	connID := c.Connection.ID
	r := f.send(tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"Shop orders","source_type":"postgresql",
		"database":{"connection_id":"`+connID+`","table":"orders","timestamp_column":"updated_at","historical_start":"2025-01-01T00:00:00+02:00"},
		"load_mode":"merge"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/jobs = %d %s", r.status, r.body)
	}
	var j struct {
		ID         string             `json:"id"`
		SourceType string             `json:"source_type"`
		Database   etl.DatabaseSource `json:"database"`
		Dest       etl.Dest           `json:"dest"`
		LoadMode   string             `json:"load_mode"`
		MergeKeys  []string           `json:"merge_keys"`
		State      *etl.IncrementalState
	}
	r.json(t, &j)
	if j.ID == "" || j.SourceType != "database" || j.Database.ConnectionID != connID || j.Database.Schema != in.Schema ||
		j.Database.Table != "orders" || j.Database.TimestampColumn != "updated_at" || j.LoadMode != "merge" ||
		fmt.Sprint(j.MergeKeys) != "[order_id]" || !reflect.DeepEqual(j.Dest, etl.Dest{Dataset: "raw_data", Table: "shop_orders"}) || j.State != nil {
		t.Fatalf("created = %s", r.body)
	}
	if j.Database.HistoricalStart == nil || !j.Database.HistoricalStart.Equal(time.Date(2024, 12, 31, 22, 0, 0, 0, time.UTC)) || j.Database.HistoricalStart.Location() != time.UTC {
		t.Fatalf("historical_start = %v", j.Database.HistoricalStart)
	}
	if strings.Contains(string(r.body), "password") {
		t.Fatalf("job response mentions a password: %s", r.body)
	}
	// A manual run: one run, no object.
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs/"+j.ID+"/runs", "")
	if r.status != http.StatusAccepted {
		t.Fatalf("POST runs = %d %s", r.status, r.body)
	}
	var runs struct {
		Runs []struct {
			JobID  string `json:"job_id"`
			Object any    `json:"object"`
		} `json:"runs"`
	}
	r.json(t, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].JobID != j.ID || runs.Runs[0].Object != nil {
		t.Fatalf("runs = %s", r.body)
	}

	// Field-named errors.
	for body, want := range map[string]string{
		`{"name":"x","database":{"connection_id":"` + connID + `","table":"nope","timestamp_column":"updated_at"}}`: `"field":"database.table","kind":"invalid","message":"table \"nope\" was not found`,
		`{"name":"x","database":{"connection_id":"` + connID + `","table":"orders","timestamp_column":"customer"}}`: "database.timestamp_column",
		`{"name":"x","source_type":"ftp"}`: "source_type",
	} {
		r := f.send(tenancy.RoleEditor, "POST", "/api/jobs", body)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), want) {
			t.Errorf("POST %s = %d %s; want 400 with %q", body, r.status, r.body, want)
		}
	}

	// Another tenant's connection id is not found from this tenant.
	other, err := f.p.Connections.Create(ctx, "t_other", pgTable(t, "Other DB"))
	if err != nil {
		t.Fatal(err)
	}
	r = f.send(tenancy.RoleEditor, "POST", "/api/jobs", `{"name":"steal","database":{"connection_id":"`+other.Connection.ID+`","table":"orders","timestamp_column":"updated_at"}}`)
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "database.connection_id") {
		t.Fatalf("POST with another tenant's connection = %d %s; want 404", r.status, r.body)
	}
	// The connection used by the job cannot be deleted.
	if err := f.p.Connections.Delete(ctx, f.tenant.ID, connID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("delete used connection: %v, want Conflict", err)
	}
}
