package etl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

// KindSchedule is the document kind of a job's schedule (id = job id).
const KindSchedule = "etl_schedule"

// Schedule types (the ETL wizard's choices, spec A5 step 5 and A10).
const (
	ScheduleManual  = "manual"
	ScheduleHourly  = "hourly"
	ScheduleDaily   = "daily"
	ScheduleWeekly  = "weekly"
	ScheduleMonthly = "monthly"
	ScheduleCron    = "cron"
)

// ScheduleSpec is a schedule as a user picks it. Only the fields of its
// type may be set: Minute for hourly; Time for daily, weekly and monthly;
// DayOfWeek for weekly; DayOfMonth for monthly; Cron for cron. TimeZone is
// an IANA name (empty = UTC) and applies to every type but manual.
type ScheduleSpec struct {
	Type string `json:"type"`
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

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // cron numbering

// ParsedSchedule is a validated spec with its cron expression.
type ParsedSchedule struct {
	Spec ScheduleSpec
	// Cron is the 5-field expression ("" for manual).
	Cron string
	// TimeZone is the IANA zone ("UTC" when the spec left it empty).
	TimeZone string
	// Label is the human form: "Hourly at :15", "Daily 08:00 Europe/Warsaw".
	Label string

	sched *scheduler.Schedule
}

// Manual reports whether the schedule never fires.
func (p ParsedSchedule) Manual() bool { return p.Cron == "" }

// Next returns up to n fire times strictly after t (UTC), none for manual.
func (p ParsedSchedule) Next(t time.Time, n int) []time.Time {
	out := []time.Time{}
	if p.sched == nil {
		return out
	}
	for len(out) < n {
		t = p.sched.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.UTC())
	}
	return out
}

func schedInvalid(field, format string, args ...any) error {
	return errs.Fieldf(errs.Invalid, "schedule."+field, format, args...)
}

// ParseScheduleSpec validates a spec and converts it. Errors are
// errs.Invalid and name the field ("schedule.time: ...").
func ParseScheduleSpec(spec ScheduleSpec) (ParsedSchedule, error) {
	spec.Type = strings.ToLower(strings.TrimSpace(spec.Type))
	spec.Time = strings.TrimSpace(spec.Time)
	spec.DayOfWeek = strings.ToLower(strings.TrimSpace(spec.DayOfWeek))
	spec.Cron = strings.Join(strings.Fields(spec.Cron), " ")
	spec.TimeZone = strings.TrimSpace(spec.TimeZone)
	if spec.Type == "" {
		spec.Type = ScheduleManual
	}
	allowed := map[string]bool{}
	switch spec.Type {
	case ScheduleManual:
	case ScheduleHourly:
		allowed["minute"] = true
	case ScheduleDaily:
		allowed["time"] = true
	case ScheduleWeekly:
		allowed["time"], allowed["day_of_week"] = true, true
	case ScheduleMonthly:
		allowed["time"], allowed["day_of_month"] = true, true
	case ScheduleCron:
		allowed["cron"] = true
	default:
		return ParsedSchedule{}, schedInvalid("type", "%q is not one of manual, hourly, daily, weekly, monthly, cron", spec.Type)
	}
	for field, set := range map[string]bool{
		"minute": spec.Minute != nil, "time": spec.Time != "", "day_of_week": spec.DayOfWeek != "",
		"day_of_month": spec.DayOfMonth != 0, "cron": spec.Cron != "",
	} {
		if set && !allowed[field] {
			return ParsedSchedule{}, schedInvalid(field, "does not apply to a %s schedule", spec.Type)
		}
	}
	if spec.Type == ScheduleManual {
		if spec.TimeZone != "" {
			return ParsedSchedule{}, schedInvalid("time_zone", "does not apply to a manual schedule")
		}
		return ParsedSchedule{Spec: spec, Label: "Manual"}, nil
	}
	tz := spec.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if tz == "Local" {
		return ParsedSchedule{}, schedInvalid("time_zone", "use an IANA name such as Europe/London")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return ParsedSchedule{}, schedInvalid("time_zone", "%q is not a known IANA time zone", tz)
	}
	var (
		cron, label string
		h, m        int
	)
	if allowed["time"] {
		var err error
		if h, m, err = parseHHMM(spec.Time); err != nil {
			return ParsedSchedule{}, schedInvalid("time", "%v", err)
		}
	}
	hm := fmt.Sprintf("%02d:%02d", h, m)
	switch spec.Type {
	case ScheduleHourly:
		if spec.Minute == nil {
			return ParsedSchedule{}, schedInvalid("minute", "is required for an hourly schedule (0-59)")
		}
		if *spec.Minute < 0 || *spec.Minute > 59 {
			return ParsedSchedule{}, schedInvalid("minute", "%d is not between 0 and 59", *spec.Minute)
		}
		cron = fmt.Sprintf("%d * * * *", *spec.Minute)
		label = fmt.Sprintf("Hourly at :%02d", *spec.Minute)
	case ScheduleDaily:
		cron = fmt.Sprintf("%d %d * * *", m, h)
		label = "Daily " + hm
	case ScheduleWeekly:
		d, ok := weekdayIndex(spec.DayOfWeek)
		if !ok {
			return ParsedSchedule{}, schedInvalid("day_of_week", "%q is not one of mon, tue, wed, thu, fri, sat, sun", spec.DayOfWeek)
		}
		spec.DayOfWeek = weekdays[d]
		cron = fmt.Sprintf("%d %d * * %d", m, h, d)
		label = "Weekly " + strings.ToUpper(weekdays[d][:1]) + weekdays[d][1:] + " " + hm
	case ScheduleMonthly:
		if spec.DayOfMonth < 1 || spec.DayOfMonth > 28 {
			return ParsedSchedule{}, schedInvalid("day_of_month", "%d is not between 1 and 28 (days every month has)", spec.DayOfMonth)
		}
		cron = fmt.Sprintf("%d %d %d * *", m, h, spec.DayOfMonth)
		label = "Monthly on the " + ordinal(spec.DayOfMonth) + " " + hm
	case ScheduleCron:
		if spec.Cron == "" {
			return ParsedSchedule{}, schedInvalid("cron", "is required for a cron schedule (5 fields: minute hour day-of-month month day-of-week)")
		}
		cron = spec.Cron
		label = "Cron " + cron
	}
	sched, err := scheduler.ParseSchedule(cron, tz)
	if err != nil {
		// Only a user's cron expression can fail here.
		return ParsedSchedule{}, errs.WrapField(errs.Invalid, err, "schedule.cron", "%q is not a valid 5-field cron expression that fires", cron)
	}
	if tz != "UTC" {
		label += " " + tz
	}
	spec.TimeZone = tz
	return ParsedSchedule{Spec: spec, Cron: cron, TimeZone: tz, Label: label, sched: sched}, nil
}

// weekdayIndex maps "mon" or "monday" to its cron number (sunday = 0).
func weekdayIndex(s string) (int, bool) {
	for i, w := range weekdays {
		if s == w || s == fullWeekdays[i] {
			return i, true
		}
	}
	return 0, false
}

var fullWeekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// parseHHMM parses "HH:MM" (also "H:MM") in 24 hours.
func parseHHMM(s string) (h, m int, err error) {
	if s == "" {
		return 0, 0, fmt.Errorf("is required (HH:MM, 24 hours)")
	}
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, 0, fmt.Errorf("%q is not HH:MM (24 hours)", s)
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || hs[0] == '+' || hs[0] == '-' || ms[0] == '+' || ms[0] == '-' || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, fmt.Errorf("%q is not a time between 00:00 and 23:59", s)
	}
	return h, m, nil
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// SchedulerJobName is the scheduler job of an ETL job: "etl-job-" and the
// job id lower-cased with every other character than [a-z0-9-] replaced by
// '-'. When that changes the id (or it is too long), a hash of the id is
// appended so that two ids never share a name; the result matches
// [a-z0-9-]{1,100}.
func SchedulerJobName(jobID string) string {
	const prefix = "etl-job-"
	var b strings.Builder
	for _, r := range strings.ToLower(jobID) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == jobID && len(prefix)+len(s) <= 100 {
		return prefix + s
	}
	sum := sha256.Sum256([]byte(jobID))
	h := hex.EncodeToString(sum[:])[:12]
	if max := 100 - len(prefix) - len(h) - 1; len(s) > max {
		s = s[:max]
	}
	return prefix + s + "-" + h
}

// JobSchedule is the stored schedule of a job (kind KindSchedule, id = the
// job id). Paused mirrors the job being disabled.
type JobSchedule struct {
	JobID     string       `json:"job_id"`
	Tenant    string       `json:"tenant"`
	Spec      ScheduleSpec `json:"spec"`
	Cron      string       `json:"cron"`
	TimeZone  string       `json:"time_zone"`
	Label     string       `json:"label"`
	Paused    bool         `json:"paused"`
	UpdatedAt time.Time    `json:"updated_at"`
}
