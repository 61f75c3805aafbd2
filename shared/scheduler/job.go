package scheduler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/robfig/cron/v3"
)

var (
	tenantRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	nameRe   = regexp.MustCompile(`^[a-z0-9-]{1,100}$`)
	topicRe  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$`) // Pub/Sub topic id rules
)

// Extension attributes of the events a schedule publishes.
const (
	// ExtScheduledTime is the fire time the event is for (RFC 3339, UTC).
	// Only the local driver can set it per fire; see FireKey.
	ExtScheduledTime = "scheduledtime"
	// ExtTenant is the job's tenant.
	ExtTenant = "tenant"
)

// Source returns the CloudEvents source of the events a job publishes:
// //b2brecs/scheduler/<tenant>/<name>.
func Source(tenant, name string) string { return "//b2brecs/scheduler/" + tenant + "/" + name }

// ParseSource is the inverse of Source.
func ParseSource(src string) (tenant, name string, ok bool) {
	rest, ok := strings.CutPrefix(src, "//b2brecs/scheduler/")
	if !ok {
		return "", "", false
	}
	tenant, name, ok = strings.Cut(rest, "/")
	return tenant, name, ok && tenant != "" && name != "" && !strings.Contains(name, "/")
}

// ValidateTenant checks a tenant id as the scheduler accepts it.
func ValidateTenant(tenant string) error {
	if !tenantRe.MatchString(tenant) {
		return errs.E(errs.Invalid, "scheduler: tenant %q must match %s", tenant, tenantRe)
	}
	return nil
}

// Validate checks every field of j and returns its parsed schedule. Errors
// are errs.Invalid and name the offending field.
func Validate(j Job) (*Schedule, error) {
	if err := ValidateTenant(j.Tenant); err != nil {
		return nil, err
	}
	if !nameRe.MatchString(j.Name) {
		return nil, errs.E(errs.Invalid, "scheduler: name %q must match %s", j.Name, nameRe)
	}
	if !topicRe.MatchString(j.Topic) {
		return nil, errs.E(errs.Invalid, "scheduler: topic %q is not a valid topic name", j.Topic)
	}
	if strings.TrimSpace(j.EventType) == "" {
		return nil, errs.E(errs.Invalid, "scheduler: event_type is required")
	}
	if len(j.Data) > 0 && !json.Valid(j.Data) {
		return nil, errs.E(errs.Invalid, "scheduler: data is not valid JSON")
	}
	return ParseSchedule(j.Cron, j.TimeZone)
}

// Schedule is a parsed cron expression in a time zone.
//
// Daylight-saving rules follow Vixie cron: a job whose hour field is
// restricted (a daily "30 1 * * *", not an hourly "15 * * * *") fires once
// per local day even when the hour repeats, and a fire time that falls in
// the hour skipped by the spring change fires at the end of the gap (the
// first valid instant). Jobs with an hour wildcard follow real elapsed time.
type Schedule struct {
	spec      *cron.SpecSchedule
	loc       *time.Location
	wallClock bool // hour field restricted: apply the DST rules above
}

// ParseSchedule parses a standard 5-field cron expression (minute hour
// day-of-month month day-of-week; names such as MON and JAN allowed) and an
// IANA time zone name (empty means UTC). Descriptors (@daily), seconds
// fields and CRON_TZ= prefixes are rejected: the time zone goes in its own field.
func ParseSchedule(expr, timeZone string) (*Schedule, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, errs.E(errs.Invalid, "scheduler: cron %q must have 5 fields (minute hour day-of-month month day-of-week)", expr)
	}
	if strings.Contains(fields[0], "=") || strings.HasPrefix(fields[0], "@") {
		return nil, errs.E(errs.Invalid, "scheduler: cron %q: put the time zone in time_zone, not in the expression", expr)
	}
	parsed, err := cron.ParseStandard(strings.Join(fields, " "))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "scheduler: cron %q", expr)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, errs.E(errs.Invalid, "scheduler: cron %q is not a standard schedule", expr)
	}
	loc := time.UTC
	if timeZone != "" {
		// LoadLocation also accepts "Local", which would depend on the host.
		if timeZone == "Local" {
			return nil, errs.E(errs.Invalid, "scheduler: time_zone %q: use an IANA name such as Europe/London", timeZone)
		}
		if loc, err = time.LoadLocation(timeZone); err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "scheduler: time_zone %q is not a known IANA time zone", timeZone)
		}
	}
	const allHours = 1<<24 - 1
	s := &Schedule{spec: spec, loc: loc, wallClock: spec.Hour&allHours != allHours}
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, errs.E(errs.Invalid, "scheduler: cron %q never fires", expr)
	}
	return s, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first fire time strictly after t, in the schedule's
// time zone, or the zero time if there is none within five years.
func (s *Schedule) Next(t time.Time) time.Time {
	after := t.In(s.loc)
	for range 1000 {
		n := s.spec.Next(after)
		if n.IsZero() {
			return n
		}
		if !s.wallClock {
			return n
		}
		if g := s.gapFire(after, n); !g.IsZero() {
			return g
		}
		// Fall back: the same wall-clock time again (or an earlier one) is a
		// repeat of a local time that has already passed.
		if !wall(n).After(wall(after)) {
			after = n
			continue
		}
		return n
	}
	return time.Time{}
}

// gapFire returns the end of a spring-forward gap between after and n in
// which the schedule would have fired, or zero.
func (s *Schedule) gapFire(after, n time.Time) time.Time {
	t := after
	for range 12 {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(n) || !end.After(after) {
			return time.Time{}
		}
		_, before := end.Add(-time.Second).Zone()
		_, afterOff := end.Zone()
		if gap := time.Duration(afterOff-before) * time.Second; gap > 0 {
			// Wall times [end-in-old-offset, +gap) do not exist: did the
			// schedule want one of them?
			old := time.FixedZone("pre-transition", before)
			m := s.spec.Next(end.Add(-time.Second).In(old))
			if !m.IsZero() && m.Before(end.Add(gap)) {
				return end.In(s.loc)
			}
		}
		t = end
	}
	return time.Time{}
}

func wall(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.UTC)
}

// FireEvent is the CloudEvent a job publishes for the fire at scheduled:
// id "<tenant>/<name>/<unix seconds>", so that a duplicate fire is the same
// event; type EventType; source Source(tenant, name); time scheduled;
// extensions scheduledtime and tenant; data Job.Data as application/json.
func FireEvent(j Job, scheduled time.Time) (events.Event, error) {
	e := cloudevents.New()
	e.SetID(j.Tenant + "/" + j.Name + "/" + strconv.FormatInt(scheduled.Unix(), 10))
	e.SetType(j.EventType)
	e.SetSource(Source(j.Tenant, j.Name))
	e.SetSubject(j.Name)
	e.SetTime(scheduled.UTC())
	e.SetExtension(ExtScheduledTime, scheduled.UTC().Format(time.RFC3339))
	e.SetExtension(ExtTenant, j.Tenant)
	if len(j.Data) > 0 {
		e.SetDataContentType("application/json")
		e.DataEncoded = append([]byte(nil), j.Data...)
	}
	if err := e.Validate(); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "scheduler: event for job %s/%s", j.Tenant, j.Name)
	}
	return e, nil
}

// FireKey identifies the fire an event published by a schedule stands for,
// "<tenant>/<name>/<unix seconds>", for handlers to de-duplicate on with
// both drivers: it uses the scheduledtime extension when present (local
// cron), else the event time truncated to the minute (Cloud Scheduler fires
// on minute boundaries and its attributes are the same for every fire; the
// time comes from the Pub/Sub publish time, see pubsubbus.FromMessagePublished).
// ok is false for events that do not come from a schedule.
func FireKey(e events.Event) (key string, ok bool) {
	tenant, name, ok := ParseSource(e.Source())
	if !ok {
		return "", false
	}
	var at time.Time
	if v, err := e.Context.GetExtension(ExtScheduledTime); err == nil {
		if t, err := time.Parse(time.RFC3339, fmt.Sprint(v)); err == nil {
			at = t
		}
	}
	if at.IsZero() {
		if e.Time().IsZero() {
			return "", false
		}
		at = e.Time().Truncate(time.Minute)
	}
	return tenant + "/" + name + "/" + strconv.FormatInt(at.Unix(), 10), true
}
