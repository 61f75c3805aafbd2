// Package schedtest is the conformance suite every scheduler driver must
// pass: Upsert creates and replaces, List returns a tenant's jobs with their
// fields and next fire time, Delete removes (a missing job is not an
// error), tenants are isolated, and invalid jobs are errs.Invalid and not
// stored.
package schedtest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// Run runs the suite. open returns a fresh, empty driver; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) scheduler.Driver) {
	t.Run("UpsertList", func(t *testing.T) { testUpsertList(t, open(t)) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, open(t)) })
}

// Job returns a valid job for tests.
func Job(tenant, name, cronExpr, tz string) scheduler.Job {
	return scheduler.Job{
		Tenant: tenant, Name: name, Cron: cronExpr, TimeZone: tz,
		Topic: "etl-run-requested", EventType: "com.b2brecs.etl.run.requested.v1",
		Data: json.RawMessage(`{"tenant":"` + tenant + `","job_id":"` + name + `","trigger":"schedule"}`),
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func list(t *testing.T, d scheduler.Driver, tenant string) []scheduler.Status {
	t.Helper()
	st, err := d.List(ctx(t), tenant)
	if err != nil {
		t.Fatalf("List(%q): %v", tenant, err)
	}
	return st
}

func zone(tz string) string {
	if tz == "" {
		return "UTC"
	}
	return tz
}

// sameJob compares jobs as stored: an empty time zone is UTC, data is
// compared as JSON.
func sameJob(t *testing.T, got, want scheduler.Job) {
	t.Helper()
	if got.Tenant != want.Tenant || got.Name != want.Name || got.Cron != want.Cron ||
		zone(got.TimeZone) != zone(want.TimeZone) || got.Topic != want.Topic ||
		got.EventType != want.EventType || got.Paused != want.Paused {
		t.Errorf("job = %+v, want %+v", got, want)
	}
	var g, w any
	if err := json.Unmarshal(got.Data, &g); err != nil {
		t.Errorf("data %q: %v", got.Data, err)
	}
	_ = json.Unmarshal(want.Data, &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("data = %s, want %s", got.Data, want.Data)
	}
}

// checkNext asserts that next is the schedule's first fire after roughly now.
func checkNext(t *testing.T, st scheduler.Status) {
	t.Helper()
	if st.Paused {
		if !st.Next.IsZero() {
			t.Errorf("%s: paused job has Next %v, want zero", st.Name, st.Next)
		}
		return
	}
	s, err := scheduler.ParseSchedule(st.Cron, st.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	want := s.Next(now.Add(-time.Minute))
	alt := s.Next(now)
	if !st.Next.Equal(want) && !st.Next.Equal(alt) {
		t.Errorf("%s: Next = %v, want %v", st.Name, st.Next, alt)
	}
}

func testUpsertList(t *testing.T, d scheduler.Driver) {
	defer d.Close()
	jobs := []scheduler.Job{
		Job("acme", "nightly", "0 2 * * *", "Europe/London"),
		Job("acme", "hourly", "15 * * * *", "America/New_York"),
		Job("acme", "weekly", "0 9 * * MON", ""),
		Job("globex", "nightly", "30 1 * * *", "Asia/Tokyo"),
	}
	jobs[2].Paused = true
	for _, j := range jobs {
		if err := d.Upsert(ctx(t), j); err != nil {
			t.Fatalf("Upsert(%s/%s): %v", j.Tenant, j.Name, err)
		}
	}
	st := list(t, d, "acme")
	if len(st) != 3 {
		t.Fatalf("List(acme) = %d jobs, want 3: %+v", len(st), st)
	}
	byName := map[string]scheduler.Status{}
	for _, s := range st {
		byName[s.Name] = s
	}
	for _, j := range jobs[:3] {
		s, ok := byName[j.Name]
		if !ok {
			t.Errorf("job %s not listed", j.Name)
			continue
		}
		sameJob(t, s.Job, j)
		checkNext(t, s)
	}
	if n := byName["nightly"].Next.In(mustLoc(t, "Europe/London")); n.Hour() != 2 || n.Minute() != 0 {
		t.Errorf("nightly Next in London = %v, want 02:00", n)
	}
	g := list(t, d, "globex")
	if len(g) != 1 || g[0].Tenant != "globex" || g[0].Cron != "30 1 * * *" {
		t.Errorf("List(globex) = %+v", g)
	}
	if e := list(t, d, "initech"); len(e) != 0 {
		t.Errorf("List(initech) = %+v, want none", e)
	}
}

func testReplace(t *testing.T, d scheduler.Driver) {
	defer d.Close()
	j := Job("acme", "nightly", "0 2 * * *", "Europe/London")
	if err := d.Upsert(ctx(t), j); err != nil {
		t.Fatal(err)
	}
	j.Cron = "45 3 * * 1-5"
	j.TimeZone = "America/New_York"
	j.Topic = "schedule-tick"
	j.EventType = "com.b2brecs.schedule.tick.v1"
	j.Data = json.RawMessage(`{"v":2}`)
	j.Paused = true
	if err := d.Upsert(ctx(t), j); err != nil {
		t.Fatalf("replace: %v", err)
	}
	st := list(t, d, "acme")
	if len(st) != 1 {
		t.Fatalf("List = %+v, want 1 job", st)
	}
	sameJob(t, st[0].Job, j)
	checkNext(t, st[0])

	j.Paused = false
	if err := d.Upsert(ctx(t), j); err != nil {
		t.Fatalf("resume: %v", err)
	}
	st = list(t, d, "acme")
	if len(st) != 1 || st[0].Paused || st[0].Next.IsZero() {
		t.Fatalf("after resume: %+v", st)
	}
	checkNext(t, st[0])
	if n := st[0].Next.In(mustLoc(t, "America/New_York")); n.Hour() != 3 || n.Minute() != 45 || n.Weekday() == time.Saturday || n.Weekday() == time.Sunday {
		t.Errorf("Next in New York = %v, want a weekday at 03:45", n)
	}
}

func testDelete(t *testing.T, d scheduler.Driver) {
	defer d.Close()
	for _, n := range []string{"a", "b"} {
		if err := d.Upsert(ctx(t), Job("acme", n, "0 * * * *", "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Delete(ctx(t), "acme", "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := d.Delete(ctx(t), "acme", "a"); err != nil {
		t.Errorf("Delete again = %v, want nil", err)
	}
	if err := d.Delete(ctx(t), "other", "b"); err != nil {
		t.Errorf("Delete of another tenant's name = %v, want nil", err)
	}
	st := list(t, d, "acme")
	if len(st) != 1 || st[0].Name != "b" {
		t.Errorf("List after Delete = %+v, want only b", st)
	}
}

func testInvalid(t *testing.T, d scheduler.Driver) {
	defer d.Close()
	mod := func(f func(*scheduler.Job)) scheduler.Job {
		j := Job("acme", "ok", "0 2 * * *", "Europe/London")
		f(&j)
		return j
	}
	cases := []struct {
		name, field string
		job         scheduler.Job
	}{
		{"cron syntax", "cron", mod(func(j *scheduler.Job) { j.Cron = "every day" })},
		{"cron range", "cron", mod(func(j *scheduler.Job) { j.Cron = "0 25 * * *" })},
		{"cron seconds", "cron", mod(func(j *scheduler.Job) { j.Cron = "0 0 2 * * *" })},
		{"time zone", "time_zone", mod(func(j *scheduler.Job) { j.TimeZone = "Europe/Atlantis" })},
		{"name", "name", mod(func(j *scheduler.Job) { j.Name = "Nightly_Job" })},
		{"tenant", "tenant", mod(func(j *scheduler.Job) { j.Tenant = "a/b" })},
		{"topic", "topic", mod(func(j *scheduler.Job) { j.Topic = "" })},
		{"event type", "event_type", mod(func(j *scheduler.Job) { j.EventType = " " })},
		{"data", "data", mod(func(j *scheduler.Job) { j.Data = json.RawMessage(`{"a":`) })},
	}
	for _, c := range cases {
		err := d.Upsert(ctx(t), c.job)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: Upsert = %v, want kind invalid naming %q", c.name, err, c.field)
		}
	}
	if st := list(t, d, "acme"); len(st) != 0 {
		t.Errorf("invalid jobs stored: %+v", st)
	}
	if _, err := d.List(ctx(t), "a/b"); !errs.Is(err, errs.Invalid) {
		t.Errorf("List(bad tenant) = %v, want invalid", err)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
