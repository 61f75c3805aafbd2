package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// field is a Spec field that only some types take.
type field uint8

const (
	fieldMinute field = 1 << iota
	fieldTime
	fieldDayOfWeek
	fieldDayOfMonth
	fieldCron
)

// fields is a set of fields.
type fields uint8

func (f fields) has(x field) bool { return f&fields(x) != 0 }

// rule is what one type takes and how it becomes a cron expression and
// a label (at is the spec's time of day, for the types that take one).
type rule struct {
	fields fields
	build  func(spec *Spec, at clock) (cron, label string, err error)
}

var rules = map[Type]rule{
	Manual:  {},
	Hourly:  {fields(fieldMinute), hourly},
	Daily:   {fields(fieldTime), daily},
	Weekly:  {fields(fieldTime | fieldDayOfWeek), weekly},
	Monthly: {fields(fieldTime | fieldDayOfMonth), monthly},
	Cron:    {fields(fieldCron), cronExpr},
}

// onlyFieldsOf refuses a field set that the spec's type does not take.
func onlyFieldsOf(spec Spec, allowed fields) error {
	for _, f := range []struct {
		f    field
		name string
		set  bool
	}{
		{fieldMinute, "minute", spec.Minute != nil},
		{fieldTime, "time", spec.Time != ""},
		{fieldDayOfWeek, "day_of_week", spec.DayOfWeek != ""},
		{fieldDayOfMonth, "day_of_month", spec.DayOfMonth != 0},
		{fieldCron, "cron", spec.Cron != ""},
	} {
		if f.set && !allowed.has(f.f) {
			return invalid(f.name, "does not apply to a %s schedule", spec.Type)
		}
	}
	return nil
}

func hourly(spec *Spec, _ clock) (string, string, error) {
	if spec.Minute == nil {
		return "", "", invalid("minute", "is required for an hourly schedule (0-59)")
	}
	m := *spec.Minute
	if m < 0 || m > 59 {
		return "", "", invalid("minute", "%d is not between 0 and 59", m)
	}
	return fmt.Sprintf("%d * * * *", m), fmt.Sprintf("Hourly at :%02d", m), nil
}

func daily(_ *Spec, at clock) (string, string, error) {
	return fmt.Sprintf("%d %d * * *", at.m, at.h), "Daily " + at.String(), nil
}

func weekly(spec *Spec, at clock) (string, string, error) {
	d, ok := weekdayIndex(spec.DayOfWeek)
	if !ok {
		return "", "", invalid("day_of_week", "%q is not one of mon, tue, wed, thu, fri, sat, sun", spec.DayOfWeek)
	}
	spec.DayOfWeek = weekdays[d]
	day := strings.ToUpper(weekdays[d][:1]) + weekdays[d][1:]
	return fmt.Sprintf("%d %d * * %d", at.m, at.h, d), "Weekly " + day + " " + at.String(), nil
}

func monthly(spec *Spec, at clock) (string, string, error) {
	if spec.DayOfMonth < 1 || spec.DayOfMonth > 28 {
		return "", "", invalid("day_of_month", "%d is not between 1 and 28 (days every month has)", spec.DayOfMonth)
	}
	return fmt.Sprintf("%d %d %d * *", at.m, at.h, spec.DayOfMonth), "Monthly on the " + ordinal(spec.DayOfMonth) + " " + at.String(), nil
}

func cronExpr(spec *Spec, _ clock) (string, string, error) {
	if spec.Cron == "" {
		return "", "", invalid("cron", "is required for a cron schedule (5 fields: minute hour day-of-month month day-of-week)")
	}
	return spec.Cron, "Cron " + spec.Cron, nil
}

var (
	weekdays     = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // cron numbering
	fullWeekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
)

// weekdayIndex maps "mon" or "monday" to its cron number (sunday = 0).
func weekdayIndex(s string) (int, bool) {
	for i, w := range weekdays {
		if s == w || s == fullWeekdays[i] {
			return i, true
		}
	}
	return 0, false
}

// parseClock parses "HH:MM" (also "H:MM") in 24 hours.
func parseClock(s string) (clock, error) {
	if s == "" {
		return clock{}, fmt.Errorf("is required (HH:MM, 24 hours)")
	}
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return clock{}, fmt.Errorf("%q is not HH:MM (24 hours)", s)
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || hs[0] == '+' || hs[0] == '-' || ms[0] == '+' || ms[0] == '-' || h < 0 || h > 23 || m < 0 || m > 59 {
		return clock{}, fmt.Errorf("%q is not a time between 00:00 and 23:59", s)
	}
	return clock{h, m}, nil
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
