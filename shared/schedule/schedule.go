// Package schedule is a job's schedule as a user picks it in the ETL
// wizard (manual, hourly, daily, weekly, monthly or a cron expression, in
// an IANA time zone): its validation, the cron expression it stands for,
// its label and its next fire times.
//
// A Spec is the choice (what a job stores); Parse checks it and returns
// the Schedule it means. Firing is not done here: the scheduler port
// (shared/scheduler) runs the cron expression.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// Type is the kind of a schedule.
type Type string

// Schedule types (the ETL wizard's choices, spec A5 step 5 and A10).
const (
	Manual  Type = "manual"
	Hourly  Type = "hourly"
	Daily   Type = "daily"
	Weekly  Type = "weekly"
	Monthly Type = "monthly"
	Cron    Type = "cron"
)

// Types lists the schedule types in the wizard's order.
var Types = []Type{Manual, Hourly, Daily, Weekly, Monthly, Cron}

// Spec is a schedule as a user picks it. Only the fields of its type may
// be set: Minute for hourly; Time for daily, weekly and monthly; DayOfWeek
// for weekly; DayOfMonth for monthly; Cron for cron. TimeZone is an IANA
// name (empty = UTC) and applies to every type but manual.
type Spec struct {
	Type Type `json:"type"`
	// Minute past the hour, 0-59 (hourly).
	Minute *int `json:"minute,omitempty"`
	// Time is the local time of day, HH:MM in 24 hours.
	Time string `json:"time,omitempty"`
	// DayOfWeek is mon, tue, wed, thu, fri, sat or sun (weekly).
	DayOfWeek string `json:"day_of_week,omitempty"`
	// DayOfMonth is 1-28, so that every month has it (monthly).
	DayOfMonth int `json:"day_of_month,omitempty"`
	// Cron is a 5-field cron expression (type cron).
	Cron     string `json:"cron,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
}

// Schedule is a checked Spec with what it means.
type Schedule struct {
	// Spec is the spec as accepted: trimmed, lower-cased, the day of the
	// week abbreviated and the time zone filled in ("UTC").
	Spec Spec `json:"spec"`
	// Cron is the 5-field expression ("" for manual).
	Cron string `json:"cron"`
	// TimeZone is the IANA zone ("UTC" when the spec left it empty; ""
	// for manual).
	TimeZone string `json:"time_zone"`
	// Label is the human form: "Hourly at :15", "Daily 08:00 Europe/Warsaw".
	Label string `json:"label"`

	fires *scheduler.Schedule
}

// Manual reports whether the schedule never fires.
func (s Schedule) Manual() bool { return s.Cron == "" }

// Next returns up to n fire times strictly after t (UTC), none for manual.
func (s Schedule) Next(t time.Time, n int) []time.Time {
	out := []time.Time{}
	if s.fires == nil {
		return out
	}
	for len(out) < n {
		t = s.fires.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.UTC())
	}
	return out
}

// invalid is a refusal naming the spec's field ("schedule.time").
func invalid(field, format string, args ...any) error {
	return errs.Fieldf(errs.Invalid, "schedule."+field, format, args...)
}

// Parse checks a spec and converts it. Errors are errs.Invalid and name
// the field ("schedule.time: ...").
func Parse(spec Spec) (Schedule, error) {
	spec = normalise(spec)
	rule, ok := rules[spec.Type]
	if !ok {
		return Schedule{}, invalid("type", "%q is not one of %s", spec.Type, typeList())
	}
	if err := onlyFieldsOf(spec, rule.fields); err != nil {
		return Schedule{}, err
	}
	if spec.Type == Manual {
		if spec.TimeZone != "" {
			return Schedule{}, invalid("time_zone", "does not apply to a manual schedule")
		}
		return Schedule{Spec: spec, Label: "Manual"}, nil
	}
	tz, err := zone(spec.TimeZone)
	if err != nil {
		return Schedule{}, err
	}
	spec.TimeZone = tz
	var at clock
	if rule.fields.has(fieldTime) {
		if at, err = parseClock(spec.Time); err != nil {
			return Schedule{}, invalid("time", "%v", err)
		}
	}
	cron, label, err := rule.build(&spec, at)
	if err != nil {
		return Schedule{}, err
	}
	fires, err := scheduler.ParseSchedule(cron, tz)
	if err != nil {
		// Only a user's cron expression can fail here.
		return Schedule{}, errs.WrapField(errs.Invalid, err, "schedule.cron", "%q is not a valid 5-field cron expression that fires", cron)
	}
	if tz != "UTC" {
		label += " " + tz
	}
	return Schedule{Spec: spec, Cron: cron, TimeZone: tz, Label: label, fires: fires}, nil
}

// normalise trims and folds the spec's fields; no type is manual.
func normalise(spec Spec) Spec {
	spec.Type = Type(strings.ToLower(strings.TrimSpace(string(spec.Type))))
	spec.Time = strings.TrimSpace(spec.Time)
	spec.DayOfWeek = strings.ToLower(strings.TrimSpace(spec.DayOfWeek))
	spec.Cron = strings.Join(strings.Fields(spec.Cron), " ")
	spec.TimeZone = strings.TrimSpace(spec.TimeZone)
	if spec.Type == "" {
		spec.Type = Manual
	}
	return spec
}

// zone checks an IANA time zone name ("" is UTC).
func zone(tz string) (string, error) {
	if tz == "" {
		tz = "UTC"
	}
	if tz == "Local" {
		return "", invalid("time_zone", "use an IANA name such as Europe/London")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", invalid("time_zone", "%q is not a known IANA time zone", tz)
	}
	return tz, nil
}

func typeList() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// clock is a time of day.
type clock struct{ h, m int }

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", c.h, c.m) }
