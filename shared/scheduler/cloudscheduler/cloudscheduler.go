// Package cloudscheduler is the Google Cloud Scheduler driver (scheme
// "cloudscheduler"): one Cloud Scheduler job per schedule, named
// projects/P/locations/L/jobs/<tenant>-<name>, that publishes to the Pub/Sub
// topic projects/P/topics/<Job.Topic> a message in CloudEvents binary mode.
//
// URL form: cloudscheduler://PROJECT/LOCATION[?endpoint=host:port]. With
// endpoint, the client talks plaintext gRPC without credentials (tests).
//
// Cloud Scheduler sends the same attributes on every fire, so the ce-id
// attribute is "<tenant>/<name>" for every fire and ce-time is absent:
// pubsubbus.FromMessagePublished sets the event time from the Pub/Sub
// publish time, and handlers de-duplicate with scheduler.FireKey (job plus
// scheduled minute), not with the event id.
package cloudscheduler

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	scheduler "cloud.google.com/go/scheduler/apiv1"
	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/errs/grpcerr"
	port "github.com/b2brecs/b2brecs/shared/scheduler"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Scheme is the URL scheme this driver registers.
const Scheme = "cloudscheduler"

func init() {
	port.Register(Scheme, func(ctx context.Context, u *url.URL) (port.Driver, error) {
		project := u.Host
		location := strings.Trim(u.Path, "/")
		if project == "" || location == "" || strings.Contains(location, "/") {
			return nil, errs.E(errs.Invalid, "cloudscheduler: URL must be cloudscheduler://PROJECT/LOCATION, got %q", u.Redacted())
		}
		var opts Options
		for k := range u.Query() {
			if k != "endpoint" {
				return nil, errs.E(errs.Invalid, "cloudscheduler: unknown URL parameter %q", k)
			}
		}
		if ep := u.Query().Get("endpoint"); ep != "" {
			opts.ClientOptions = InsecureEndpoint(ep)
		}
		return New(ctx, project, location, opts)
	})
}

// InsecureEndpoint returns client options for a plaintext gRPC server
// without authentication (an in-process fake).
func InsecureEndpoint(hostPort string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(hostPort),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// Options configure a Driver.
type Options struct {
	ClientOptions []option.ClientOption
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Driver manages Cloud Scheduler jobs. It implements scheduler.Driver.
type Driver struct {
	project, location string
	client            *scheduler.CloudSchedulerClient
	log               *slog.Logger
}

// New connects to Cloud Scheduler for project and location (a region such
// as europe-west1).
func New(ctx context.Context, project, location string, opts Options) (*Driver, error) {
	if project == "" || location == "" {
		return nil, errs.E(errs.Invalid, "cloudscheduler: project and location are required")
	}
	c, err := scheduler.NewCloudSchedulerClient(ctx, opts.ClientOptions...)
	if err != nil {
		return nil, mapErr(err, "cloudscheduler: new client")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Driver{project: project, location: location, client: c, log: log.With("component", "cloudscheduler")}, nil
}

// Parent is "projects/P/locations/L".
func (d *Driver) Parent() string { return "projects/" + d.project + "/locations/" + d.location }

// JobName is the Cloud Scheduler name of a job: Parent()/jobs/<tenant>-<name>.
func (d *Driver) JobName(tenant, name string) string {
	return d.Parent() + "/jobs/" + tenant + "-" + name
}

func (d *Driver) topicName(topic string) string {
	return "projects/" + d.project + "/topics/" + topic
}

// Attributes returns the Pub/Sub attributes a job's messages carry: the
// CloudEvents binary-mode ce-* attributes that do not change between fires.
func Attributes(j port.Job) map[string]string {
	a := map[string]string{
		"ce-specversion":       "1.0",
		"ce-id":                j.Tenant + "/" + j.Name,
		"ce-type":              j.EventType,
		"ce-source":            port.Source(j.Tenant, j.Name),
		"ce-subject":           j.Name,
		"ce-" + port.ExtTenant: j.Tenant,
	}
	if len(j.Data) > 0 {
		a["ce-datacontenttype"] = "application/json"
		a["Content-Type"] = "application/json"
	}
	return a
}

func (d *Driver) toPB(j port.Job) *schedulerpb.Job {
	tz := j.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return &schedulerpb.Job{
		Name:        d.JobName(j.Tenant, j.Name),
		Description: "b2brecs schedule " + j.Tenant + "/" + j.Name,
		Schedule:    strings.Join(strings.Fields(j.Cron), " "),
		TimeZone:    tz,
		Target: &schedulerpb.Job_PubsubTarget{PubsubTarget: &schedulerpb.PubsubTarget{
			TopicName:  d.topicName(j.Topic),
			Data:       append([]byte(nil), j.Data...),
			Attributes: Attributes(j),
		}},
	}
}

// fromPB converts a Cloud Scheduler job back; ok is false for jobs this
// driver did not create.
func (d *Driver) fromPB(pj *schedulerpb.Job) (port.Status, bool) {
	pt := pj.GetPubsubTarget()
	if pt == nil {
		return port.Status{}, false
	}
	tenant, name, ok := port.ParseSource(pt.GetAttributes()["ce-source"])
	if !ok || pj.GetName() != d.JobName(tenant, name) {
		return port.Status{}, false
	}
	topic, ok := strings.CutPrefix(pt.GetTopicName(), "projects/"+d.project+"/topics/")
	if !ok {
		return port.Status{}, false
	}
	st := port.Status{Job: port.Job{
		Tenant: tenant, Name: name, Cron: pj.GetSchedule(), TimeZone: pj.GetTimeZone(),
		Topic: topic, EventType: pt.GetAttributes()["ce-type"],
		Paused: pj.GetState() == schedulerpb.Job_PAUSED,
	}}
	if len(pt.GetData()) > 0 {
		st.Data = append([]byte(nil), pt.GetData()...)
	}
	if !st.Paused && pj.GetScheduleTime() != nil {
		st.Next = pj.GetScheduleTime().AsTime()
		if loc, err := time.LoadLocation(st.TimeZone); err == nil {
			st.Next = st.Next.In(loc)
		}
	}
	return st, true
}

// owned checks that an existing job with j's Cloud Scheduler name belongs
// to j (tenant and name may both contain '-', so names can collide).
func (d *Driver) owned(pj *schedulerpb.Job, tenant, name string) error {
	st, ok := d.fromPB(pj)
	if !ok || st.Tenant != tenant || st.Name != name {
		return errs.E(errs.Conflict, "cloudscheduler: job %s exists and is not schedule %s/%s", pj.GetName(), tenant, name)
	}
	return nil
}

// Upsert creates the job, or updates it if it exists, then pauses or
// resumes it to match j.Paused.
func (d *Driver) Upsert(ctx context.Context, j port.Job) error {
	if _, err := port.Validate(j); err != nil {
		return err
	}
	want := d.toPB(j)
	got, err := d.client.CreateJob(ctx, &schedulerpb.CreateJobRequest{Parent: d.Parent(), Job: want})
	if status.Code(err) == codes.AlreadyExists {
		existing, gerr := d.client.GetJob(ctx, &schedulerpb.GetJobRequest{Name: want.Name})
		if gerr != nil {
			return mapErr(gerr, "cloudscheduler: get job %s", want.Name)
		}
		if err := d.owned(existing, j.Tenant, j.Name); err != nil {
			return err
		}
		got, err = d.client.UpdateJob(ctx, &schedulerpb.UpdateJobRequest{
			Job:        want,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description", "schedule", "time_zone", "pubsub_target"}},
		})
		if err != nil {
			return mapErr(err, "cloudscheduler: update job %s", want.Name)
		}
	} else if err != nil {
		return mapErr(err, "cloudscheduler: create job %s", want.Name)
	}
	switch {
	case j.Paused && got.GetState() != schedulerpb.Job_PAUSED:
		if _, err := d.client.PauseJob(ctx, &schedulerpb.PauseJobRequest{Name: want.Name}); err != nil {
			return mapErr(err, "cloudscheduler: pause job %s", want.Name)
		}
	case !j.Paused && got.GetState() == schedulerpb.Job_PAUSED:
		if _, err := d.client.ResumeJob(ctx, &schedulerpb.ResumeJobRequest{Name: want.Name}); err != nil {
			return mapErr(err, "cloudscheduler: resume job %s", want.Name)
		}
	}
	d.log.Info("job upserted", "job", want.Name, "cron", want.Schedule, "time_zone", want.TimeZone,
		"topic", j.Topic, "paused", j.Paused)
	return nil
}

// Delete removes the job; a missing job is not an error.
func (d *Driver) Delete(ctx context.Context, tenant, name string) error {
	jn := d.JobName(tenant, name)
	existing, err := d.client.GetJob(ctx, &schedulerpb.GetJobRequest{Name: jn})
	if status.Code(err) == codes.NotFound {
		return nil
	}
	if err != nil {
		return mapErr(err, "cloudscheduler: get job %s", jn)
	}
	if err := d.owned(existing, tenant, name); err != nil {
		return nil // another schedule's job: ours does not exist
	}
	if err := d.client.DeleteJob(ctx, &schedulerpb.DeleteJobRequest{Name: jn}); err != nil && status.Code(err) != codes.NotFound {
		return mapErr(err, "cloudscheduler: delete job %s", jn)
	}
	return nil
}

// List returns the tenant's jobs sorted by name. Next is the job's
// schedule_time (zero for paused jobs).
func (d *Driver) List(ctx context.Context, tenant string) ([]port.Status, error) {
	if err := port.ValidateTenant(tenant); err != nil {
		return nil, err
	}
	prefix := d.Parent() + "/jobs/" + tenant + "-"
	it := d.client.ListJobs(ctx, &schedulerpb.ListJobsRequest{Parent: d.Parent()})
	var out []port.Status
	for {
		pj, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, mapErr(err, "cloudscheduler: list jobs in %s", d.Parent())
		}
		if !strings.HasPrefix(pj.GetName(), prefix) {
			continue
		}
		if st, ok := d.fromPB(pj); ok && st.Tenant == tenant {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Close closes the client.
func (d *Driver) Close() error {
	if err := d.client.Close(); err != nil {
		return mapErr(err, "cloudscheduler: close")
	}
	return nil
}

// mapErr gives a Cloud Scheduler (gRPC) error its kind.
func mapErr(err error, format string, args ...any) error { return grpcerr.Wrap(err, format, args...) }

var _ port.Driver = (*Driver)(nil)
