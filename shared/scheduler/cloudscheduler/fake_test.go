package cloudscheduler_test

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var (
	parentRe = regexp.MustCompile(`^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z]+-[a-z]+[0-9]$`)
	jobIDRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,500}$`)
	topicRe  = regexp.MustCompile(`^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][A-Za-z0-9._~%+-]{2,254}$`)
)

// fakeScheduler is an in-process Cloud Scheduler that stores jobs and
// rejects requests the real API would reject (or that we must never send).
type fakeScheduler struct {
	schedulerpb.UnimplementedCloudSchedulerServer

	mu       sync.Mutex
	jobs     map[string]*schedulerpb.Job
	calls    map[string]int
	failWith codes.Code // if set, every call fails with it
	now      func() time.Time
}

func newFake() *fakeScheduler {
	return &fakeScheduler{jobs: map[string]*schedulerpb.Job{}, calls: map[string]int{}, now: time.Now}
}

func (f *fakeScheduler) start(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	schedulerpb.RegisterCloudSchedulerServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func (f *fakeScheduler) enter(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	if f.failWith != codes.OK {
		return status.Error(f.failWith, "injected failure")
	}
	return nil
}

func (f *fakeScheduler) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeScheduler) get(name string) *schedulerpb.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[name]; ok {
		return proto.Clone(j).(*schedulerpb.Job)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// checkJob validates a job as Cloud Scheduler would, plus what b2brecs
// requires of every job it creates.
func checkJob(parent string, j *schedulerpb.Job) error {
	if j == nil {
		return invalid("job is required")
	}
	id, ok := cutPrefix(j.GetName(), parent+"/jobs/")
	if !ok || !jobIDRe.MatchString(id) {
		return invalid("job name %q is not %s/jobs/ID", j.GetName(), parent)
	}
	if j.GetSchedule() == "" {
		return invalid("schedule is required")
	}
	if j.GetTimeZone() == "" {
		return invalid("time_zone must be set explicitly")
	}
	if _, err := scheduler.ParseSchedule(j.GetSchedule(), j.GetTimeZone()); err != nil {
		return invalid("schedule %q / time_zone %q: %v", j.GetSchedule(), j.GetTimeZone(), err)
	}
	pt := j.GetPubsubTarget()
	if pt == nil {
		return invalid("pubsub_target is required")
	}
	if !topicRe.MatchString(pt.GetTopicName()) {
		return invalid("topic_name %q", pt.GetTopicName())
	}
	if len(pt.GetData()) == 0 && len(pt.GetAttributes()) == 0 {
		return invalid("a Pub/Sub target needs data or attributes")
	}
	for _, a := range []string{"ce-specversion", "ce-id", "ce-type", "ce-source"} {
		if pt.GetAttributes()[a] == "" {
			return invalid("attribute %s missing", a)
		}
	}
	if pt.GetAttributes()["ce-specversion"] != "1.0" {
		return invalid("ce-specversion must be 1.0")
	}
	if j.GetState() != schedulerpb.Job_STATE_UNSPECIFIED || j.GetScheduleTime() != nil {
		return invalid("output-only fields set")
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

func parentOf(name string) string {
	re := regexp.MustCompile(`^(projects/[^/]+/locations/[^/]+)/jobs/[^/]+$`)
	m := re.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return m[1]
}

func (f *fakeScheduler) refresh(j *schedulerpb.Job) {
	j.UserUpdateTime = timestamppb.New(f.now())
	if j.State == schedulerpb.Job_PAUSED {
		j.ScheduleTime = nil
		return
	}
	s, _ := scheduler.ParseSchedule(j.Schedule, j.TimeZone)
	j.ScheduleTime = timestamppb.New(s.Next(f.now()))
}

func (f *fakeScheduler) CreateJob(_ context.Context, req *schedulerpb.CreateJobRequest) (*schedulerpb.Job, error) {
	if err := f.enter("CreateJob"); err != nil {
		return nil, err
	}
	if !parentRe.MatchString(req.GetParent()) {
		return nil, invalid("parent %q", req.GetParent())
	}
	if err := checkJob(req.GetParent(), req.GetJob()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.jobs[req.GetJob().GetName()]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "job %s exists", req.GetJob().GetName())
	}
	j := proto.Clone(req.GetJob()).(*schedulerpb.Job)
	j.State = schedulerpb.Job_ENABLED
	f.refresh(j)
	f.jobs[j.Name] = j
	return proto.Clone(j).(*schedulerpb.Job), nil
}

func (f *fakeScheduler) UpdateJob(_ context.Context, req *schedulerpb.UpdateJobRequest) (*schedulerpb.Job, error) {
	if err := f.enter("UpdateJob"); err != nil {
		return nil, err
	}
	name := req.GetJob().GetName()
	parent := parentOf(name)
	if !parentRe.MatchString(parent) {
		return nil, invalid("job name %q", name)
	}
	if err := checkJob(parent, req.GetJob()); err != nil {
		return nil, err
	}
	allowed := map[string]bool{"description": true, "schedule": true, "time_zone": true, "pubsub_target": true}
	if len(req.GetUpdateMask().GetPaths()) == 0 {
		return nil, invalid("update_mask is required by b2brecs (no blind full replace)")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "job %s", name)
	}
	for _, p := range req.GetUpdateMask().GetPaths() {
		if !allowed[p] {
			return nil, invalid("update_mask path %q", p)
		}
		switch p {
		case "description":
			j.Description = req.GetJob().GetDescription()
		case "schedule":
			j.Schedule = req.GetJob().GetSchedule()
		case "time_zone":
			j.TimeZone = req.GetJob().GetTimeZone()
		case "pubsub_target":
			j.Target = proto.Clone(req.GetJob()).(*schedulerpb.Job).Target
		}
	}
	f.refresh(j)
	return proto.Clone(j).(*schedulerpb.Job), nil
}

func (f *fakeScheduler) GetJob(_ context.Context, req *schedulerpb.GetJobRequest) (*schedulerpb.Job, error) {
	if err := f.enter("GetJob"); err != nil {
		return nil, err
	}
	if !parentRe.MatchString(parentOf(req.GetName())) {
		return nil, invalid("name %q", req.GetName())
	}
	if j := f.get(req.GetName()); j != nil {
		return j, nil
	}
	return nil, status.Errorf(codes.NotFound, "job %s", req.GetName())
}

func (f *fakeScheduler) DeleteJob(_ context.Context, req *schedulerpb.DeleteJobRequest) (*emptypb.Empty, error) {
	if err := f.enter("DeleteJob"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.jobs[req.GetName()]; !ok {
		return nil, status.Errorf(codes.NotFound, "job %s", req.GetName())
	}
	delete(f.jobs, req.GetName())
	return &emptypb.Empty{}, nil
}

func (f *fakeScheduler) setState(method, name string, s schedulerpb.Job_State) (*schedulerpb.Job, error) {
	if err := f.enter(method); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "job %s", name)
	}
	if j.State == s {
		return nil, status.Errorf(codes.FailedPrecondition, "job %s is already %s", name, s)
	}
	j.State = s
	f.refresh(j)
	return proto.Clone(j).(*schedulerpb.Job), nil
}

func (f *fakeScheduler) PauseJob(_ context.Context, req *schedulerpb.PauseJobRequest) (*schedulerpb.Job, error) {
	return f.setState("PauseJob", req.GetName(), schedulerpb.Job_PAUSED)
}

func (f *fakeScheduler) ResumeJob(_ context.Context, req *schedulerpb.ResumeJobRequest) (*schedulerpb.Job, error) {
	return f.setState("ResumeJob", req.GetName(), schedulerpb.Job_ENABLED)
}

// ListJobs pages two jobs at a time so the client's paging is exercised.
func (f *fakeScheduler) ListJobs(_ context.Context, req *schedulerpb.ListJobsRequest) (*schedulerpb.ListJobsResponse, error) {
	if err := f.enter("ListJobs"); err != nil {
		return nil, err
	}
	if !parentRe.MatchString(req.GetParent()) {
		return nil, invalid("parent %q", req.GetParent())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.jobs {
		if parentOf(n) == req.GetParent() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start := 0
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(names) {
			return nil, invalid("page_token %q", tok)
		}
		start = n
	}
	end := min(start+2, len(names))
	resp := &schedulerpb.ListJobsResponse{}
	for _, n := range names[start:end] {
		resp.Jobs = append(resp.Jobs, proto.Clone(f.jobs[n]).(*schedulerpb.Job))
	}
	if end < len(names) {
		resp.NextPageToken = fmt.Sprint(end)
	}
	return resp, nil
}
