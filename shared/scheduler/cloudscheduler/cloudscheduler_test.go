package cloudscheduler_test

import (
	"context"
	"testing"

	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	_ "github.com/b2brecs/b2brecs/shared/scheduler/cloudscheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/schedtest"
	"google.golang.org/grpc/codes"
)

const (
	project  = "acme-prod-1"
	location = "europe-west1"
)

func open(t *testing.T, f *fakeScheduler) *scheduler.Scheduler {
	t.Helper()
	addr := f.start(t)
	s, err := scheduler.Open(context.Background(), "cloudscheduler://"+project+"/"+location+"?endpoint="+addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceFake(t *testing.T) {
	schedtest.Run(t, func(t *testing.T) scheduler.Driver { return open(t, newFake()).Driver })
}

func TestRequestsFake(t *testing.T) {
	f := newFake()
	s := open(t, f)
	ctx := context.Background()
	j := schedtest.Job("acme", "nightly", "0  2 * * *", "Europe/London")
	if err := s.Upsert(ctx, j); err != nil {
		t.Fatal(err)
	}
	name := "projects/" + project + "/locations/" + location + "/jobs/acme-nightly"
	pj := f.get(name)
	if pj == nil {
		t.Fatalf("job %s not created", name)
	}
	pt := pj.GetPubsubTarget()
	if pj.Schedule != "0 2 * * *" || pj.TimeZone != "Europe/London" ||
		pt.TopicName != "projects/"+project+"/topics/etl-run-requested" || string(pt.Data) != string(j.Data) {
		t.Errorf("stored job = %v", pj)
	}
	wantAttrs := map[string]string{
		"ce-specversion": "1.0", "ce-id": "acme/nightly", "ce-type": j.EventType,
		"ce-source": "//b2brecs/scheduler/acme/nightly", "ce-subject": "nightly", "ce-tenant": "acme",
		"ce-datacontenttype": "application/json", "Content-Type": "application/json",
	}
	for k, v := range wantAttrs {
		if pt.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, pt.Attributes[k], v)
		}
	}
	// What Eventarc will deliver decodes into the expected event, and its
	// FireKey is the job plus the scheduled minute.
	inner, err := pubsubbus.DecodeMessage(pt.Data, pt.Attributes)
	if err != nil {
		t.Fatalf("the message Cloud Scheduler will publish does not decode: %v", err)
	}
	if inner.Type() != j.EventType || inner.Source() != "//b2brecs/scheduler/acme/nightly" {
		t.Errorf("decoded = %v", inner)
	}
	if c := f.count("CreateJob"); c != 1 || f.count("PauseJob") != 0 {
		t.Errorf("calls: create=%d pause=%d", c, f.count("PauseJob"))
	}

	// Upsert again, paused and with no time zone: update with a mask, then pause.
	j.Paused = true
	j.TimeZone = ""
	if err := s.Upsert(ctx, j); err != nil {
		t.Fatal(err)
	}
	pj = f.get(name)
	if f.count("UpdateJob") != 1 || f.count("PauseJob") != 1 || pj.State != schedulerpb.Job_PAUSED || pj.TimeZone != "UTC" {
		t.Errorf("after paused upsert: update=%d pause=%d state=%v tz=%q", f.count("UpdateJob"), f.count("PauseJob"), pj.State, pj.TimeZone)
	}
	// Same again: already paused, no second PauseJob (the fake rejects it).
	if err := s.Upsert(ctx, j); err != nil {
		t.Fatal(err)
	}
	j.Paused = false
	if err := s.Upsert(ctx, j); err != nil {
		t.Fatal(err)
	}
	if f.count("ResumeJob") != 1 || f.get(name).State != schedulerpb.Job_ENABLED {
		t.Errorf("resume: calls=%d state=%v", f.count("ResumeJob"), f.get(name).State)
	}
}

func TestNameCollisionFake(t *testing.T) {
	f := newFake()
	s := open(t, f)
	ctx := context.Background()
	// "a" + "b-c" and "a-b" + "c" map to the same Cloud Scheduler job id.
	if err := s.Upsert(ctx, schedtest.Job("a", "b-c", "0 * * * *", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, schedtest.Job("a-b", "c", "0 * * * *", "")); !errs.Is(err, errs.Conflict) {
		t.Errorf("colliding Upsert = %v, want conflict", err)
	}
	if err := s.Delete(ctx, "a-b", "c"); err != nil {
		t.Errorf("Delete of the colliding name = %v", err)
	}
	st, err := s.List(ctx, "a")
	if err != nil || len(st) != 1 || st[0].Name != "b-c" {
		t.Errorf("List(a) = %+v %v: the other tenant's call must not touch it", st, err)
	}
	if st, _ := s.List(ctx, "a-b"); len(st) != 0 {
		t.Errorf("List(a-b) = %+v, want none", st)
	}
}

func TestForeignJobsIgnoredFake(t *testing.T) {
	f := newFake()
	s := open(t, f)
	ctx := context.Background()
	// A job created by someone else in the same location.
	foreign := &schedulerpb.Job{
		Name: "projects/" + project + "/locations/" + location + "/jobs/acme-manual", Schedule: "* * * * *", TimeZone: "UTC",
		State: schedulerpb.Job_ENABLED,
		Target: &schedulerpb.Job_PubsubTarget{PubsubTarget: &schedulerpb.PubsubTarget{
			TopicName: "projects/" + project + "/topics/other", Data: []byte("x"),
		}},
	}
	f.jobs[foreign.Name] = foreign
	for _, n := range []string{"n1", "n2", "n3"} {
		if err := s.Upsert(ctx, schedtest.Job("acme", n, "0 * * * *", "")); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.List(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 || st[0].Name != "n1" || st[2].Name != "n3" {
		t.Errorf("List = %+v, want n1..n3 (paged, foreign job skipped)", st)
	}
	if f.count("ListJobs") < 2 {
		t.Errorf("ListJobs calls = %d, want paging", f.count("ListJobs"))
	}
}

func TestErrorKindsFake(t *testing.T) {
	cases := []struct {
		code codes.Code
		kind errs.Kind
	}{
		{codes.PermissionDenied, errs.Permission},
		{codes.Unauthenticated, errs.Unauthenticated},
		{codes.InvalidArgument, errs.Invalid},
		{codes.ResourceExhausted, errs.Transient},
		{codes.FailedPrecondition, errs.Conflict},
	}
	for _, c := range cases {
		f := newFake()
		s := open(t, f)
		f.failWith = c.code
		_, err := s.List(context.Background(), "acme")
		if errs.KindOf(err) != c.kind {
			t.Errorf("%v: List = %v, want kind %s", c.code, err, c.kind)
		}
		err = s.Upsert(context.Background(), schedtest.Job("acme", "x", "0 * * * *", ""))
		if errs.KindOf(err) != c.kind {
			t.Errorf("%v: Upsert = %v, want kind %s", c.code, err, c.kind)
		}
	}
}

func TestOpenURL(t *testing.T) {
	for _, u := range []string{"cloudscheduler://", "cloudscheduler://p", "cloudscheduler://p/l/x", "cloudscheduler://p/l?foo=1"} {
		if _, err := scheduler.Open(context.Background(), u); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q) = %v, want invalid", u, err)
		}
	}
}
