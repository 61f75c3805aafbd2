package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/schedule"
	"github.com/b2brecs/b2brecs/shared/scheduler"
)

func intp(n int) *int { return &n }

func TestParse(t *testing.T) {
	// 2026-03-02 is a Monday.
	from := time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)
	tests := []struct {
		name  string
		spec  schedule.Spec
		cron  string
		label string
		next  []string // RFC 3339, UTC
	}{
		{"empty is manual", schedule.Spec{}, "", "Manual", nil},
		{"manual", schedule.Spec{Type: "Manual"}, "", "Manual", nil},
		{"hourly", schedule.Spec{Type: "hourly", Minute: intp(15)}, "15 * * * *", "Hourly at :15",
			[]string{"2026-03-02T11:15:00Z", "2026-03-02T12:15:00Z", "2026-03-02T13:15:00Z"}},
		{"hourly at :00", schedule.Spec{Type: "hourly", Minute: intp(0)}, "0 * * * *", "Hourly at :00",
			[]string{"2026-03-02T11:00:00Z"}},
		{"daily in a zone", schedule.Spec{Type: "daily", Time: "08:00", TimeZone: "Europe/Warsaw"}, "0 8 * * *", "Daily 08:00 Europe/Warsaw",
			[]string{"2026-03-03T07:00:00Z", "2026-03-04T07:00:00Z"}},
		{"weekly", schedule.Spec{Type: "weekly", DayOfWeek: "Mon", Time: "09:00"}, "0 9 * * 1", "Weekly Mon 09:00",
			[]string{"2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z"}},
		{"weekly sunday by full name", schedule.Spec{Type: "weekly", DayOfWeek: "sunday", Time: "23:59"}, "59 23 * * 0", "Weekly Sun 23:59",
			[]string{"2026-03-08T23:59:00Z"}},
		{"monthly", schedule.Spec{Type: "monthly", DayOfMonth: 1, Time: "06:00"}, "0 6 1 * *", "Monthly on the 1st 06:00",
			[]string{"2026-04-01T06:00:00Z", "2026-05-01T06:00:00Z"}},
		{"monthly 22nd", schedule.Spec{Type: "monthly", DayOfMonth: 22, Time: "00:05"}, "5 0 22 * *", "Monthly on the 22nd 00:05",
			[]string{"2026-03-22T00:05:00Z"}},
		{"cron", schedule.Spec{Type: "cron", Cron: " */30  9-17 * * MON-FRI ", TimeZone: "America/New_York"}, "*/30 9-17 * * MON-FRI", "Cron */30 9-17 * * MON-FRI America/New_York",
			[]string{"2026-03-02T14:00:00Z", "2026-03-02T14:30:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := schedule.Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ps.Cron != tc.cron || ps.Label != tc.label {
				t.Errorf("cron, label = %q, %q; want %q, %q", ps.Cron, ps.Label, tc.cron, tc.label)
			}
			if ps.Manual() != (tc.cron == "") {
				t.Errorf("Manual() = %v", ps.Manual())
			}
			next := ps.Next(from, len(tc.next))
			for i, want := range tc.next {
				if i >= len(next) || next[i].Format(time.RFC3339) != want {
					t.Fatalf("Next = %v, want %v", next, tc.next)
				}
			}
			if tc.cron == "" && len(ps.Next(from, 5)) != 0 {
				t.Errorf("manual schedule has fire times")
			}
		})
	}
}

func TestScheduleAcrossDST(t *testing.T) {
	ps, err := schedule.Parse(schedule.Spec{Type: "daily", Time: "08:30", TimeZone: "Europe/Warsaw"})
	if err != nil {
		t.Fatal(err)
	}
	next := ps.Next(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), 2)
	want := []string{"2026-03-29T06:30:00Z", "2026-03-30T06:30:00Z"} // CEST = UTC+2
	if len(next) != 2 || next[0].Format(time.RFC3339) != want[0] || next[1].Format(time.RFC3339) != want[1] {
		t.Fatalf("Next = %v, want %v", next, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		spec  schedule.Spec
		field string
	}{
		{"unknown type", schedule.Spec{Type: "yearly"}, "schedule.type"},
		{"hourly without minute", schedule.Spec{Type: "hourly"}, "schedule.minute"},
		{"minute 60", schedule.Spec{Type: "hourly", Minute: intp(60)}, "schedule.minute"},
		{"minute -1", schedule.Spec{Type: "hourly", Minute: intp(-1)}, "schedule.minute"},
		{"hourly with time", schedule.Spec{Type: "hourly", Minute: intp(1), Time: "10:00"}, "schedule.time"},
		{"daily without time", schedule.Spec{Type: "daily"}, "schedule.time"},
		{"daily 24:00", schedule.Spec{Type: "daily", Time: "24:00"}, "schedule.time"},
		{"daily 10:60", schedule.Spec{Type: "daily", Time: "10:60"}, "schedule.time"},
		{"daily 1000", schedule.Spec{Type: "daily", Time: "1000"}, "schedule.time"},
		{"daily +1:00", schedule.Spec{Type: "daily", Time: "+1:00"}, "schedule.time"},
		{"daily with day", schedule.Spec{Type: "daily", Time: "10:00", DayOfWeek: "mon"}, "schedule.day_of_week"},
		{"weekly without day", schedule.Spec{Type: "weekly", Time: "10:00"}, "schedule.day_of_week"},
		{"weekly bad day", schedule.Spec{Type: "weekly", Time: "10:00", DayOfWeek: "mo"}, "schedule.day_of_week"},
		{"monthly 29", schedule.Spec{Type: "monthly", Time: "10:00", DayOfMonth: 29}, "schedule.day_of_month"},
		{"monthly 0", schedule.Spec{Type: "monthly", Time: "10:00"}, "schedule.day_of_month"},
		{"cron missing", schedule.Spec{Type: "cron"}, "schedule.cron"},
		{"cron 6 fields", schedule.Spec{Type: "cron", Cron: "0 0 1 * * *"}, "schedule.cron"},
		{"cron never fires", schedule.Spec{Type: "cron", Cron: "0 0 31 2 *"}, "schedule.cron"},
		{"cron descriptor", schedule.Spec{Type: "cron", Cron: "@daily"}, "schedule.cron"},
		{"cron on daily", schedule.Spec{Type: "daily", Time: "10:00", Cron: "* * * * *"}, "schedule.cron"},
		{"bad zone", schedule.Spec{Type: "daily", Time: "10:00", TimeZone: "Mars/Olympus"}, "schedule.time_zone"},
		{"Local zone", schedule.Spec{Type: "daily", Time: "10:00", TimeZone: "Local"}, "schedule.time_zone"},
		{"manual with zone", schedule.Spec{Type: "manual", TimeZone: "UTC"}, "schedule.time_zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schedule.Parse(tc.spec)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			if !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("err = %q, want it to start with %q", err, tc.field+":")
			}
		})
	}
}

// FuzzParse checks that every accepted spec converts to a cron
// expression the scheduler accepts, that its fire times are in the future
// and increasing and keep the wall-clock fields of the spec, and that
// every refusal is errs.Invalid naming a schedule field.
func FuzzParse(f *testing.F) {
	f.Add("hourly", 15, "", "", 0, "", "")
	f.Add("daily", 0, "08:00", "", 0, "", "Europe/Warsaw")
	f.Add("weekly", 0, "09:00", "mon", 0, "", "America/New_York")
	f.Add("monthly", 0, "06:00", "", 1, "", "")
	f.Add("cron", 0, "", "", 0, "*/5 * * * *", "Asia/Kolkata")
	f.Add("cron", 0, "", "", 0, "0 0 30 2 *", "")
	f.Add("daily", 0, "2:3", "", 0, "", "")
	f.Fuzz(func(t *testing.T, typ string, minute int, hhmm, dow string, dom int, cron, tz string) {
		spec := schedule.Spec{Type: schedule.Type(typ), Time: hhmm, DayOfWeek: dow, DayOfMonth: dom, Cron: cron, TimeZone: tz}
		if typ == "hourly" {
			spec.Minute = &minute
		}
		ps, err := schedule.Parse(spec)
		if err != nil {
			if !errs.Is(err, errs.Invalid) || !strings.HasPrefix(err.Error(), "schedule.") {
				t.Fatalf("err = %v (kind %v), want invalid naming a schedule field", err, errs.KindOf(err))
			}
			return
		}
		if ps.Manual() {
			if ps.Label != "Manual" {
				t.Fatalf("manual label %q", ps.Label)
			}
			return
		}
		if _, err := scheduler.ParseSchedule(ps.Cron, ps.TimeZone); err != nil {
			t.Fatalf("accepted spec %+v gives cron %q the scheduler refuses: %v", spec, ps.Cron, err)
		}
		// The spec as accepted parses again to the same result.
		again, err := schedule.Parse(ps.Spec)
		if err != nil || again.Cron != ps.Cron || again.Label != ps.Label {
			t.Fatalf("re-parse of %+v = %q %q %v; want %q %q", ps.Spec, again.Cron, again.Label, err, ps.Cron, ps.Label)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		next := ps.Next(from, 3)
		if len(next) == 0 {
			t.Fatalf("accepted schedule %q never fires", ps.Cron)
		}
		loc, _ := time.LoadLocation(ps.TimeZone)
		prev := from
		for _, n := range next {
			if !n.After(prev) {
				t.Fatalf("fire times %v not increasing after %v", next, from)
			}
			prev = n
			local := n.In(loc)
			switch ps.Spec.Type {
			case schedule.Hourly:
				if local.Minute() != *ps.Spec.Minute && n.Minute() != *ps.Spec.Minute {
					t.Fatalf("hourly at :%02d fired at %v", *ps.Spec.Minute, local)
				}
			case schedule.Monthly:
				if local.Day() != ps.Spec.DayOfMonth {
					t.Fatalf("monthly on %d fired at %v", ps.Spec.DayOfMonth, local)
				}
			}
		}
	})
}
