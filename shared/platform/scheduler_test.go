package platform

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/localcron"
)

func TestOpenScheduler(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	bus := &events.Bus{Driver: membus.New(membus.Options{Logger: log})}
	t.Cleanup(func() { _ = bus.Close() })

	s, err := scheduler.OpenMux(ctx, schedulerMux(nil, bus, log), "local://")
	if err != nil {
		t.Fatalf("local://: %v", err)
	}
	if _, ok := s.Driver.(*localcron.Cron); !ok {
		t.Fatalf("local:// driver = %T, want *localcron.Cron", s.Driver)
	}
	j := scheduler.Job{Tenant: "acme", Name: "etl-job-x", Cron: "0 3 * * *", Topic: eventschemas.TopicRunRequested, EventType: "x.y"}
	if err := s.Upsert(ctx, j); err != nil {
		t.Fatal(err)
	}
	if st, err := s.List(ctx, "acme"); err != nil || len(st) != 1 || st[0].Name != "etl-job-x" || st[0].Next.IsZero() {
		t.Fatalf("List = %+v, %v", st, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, u := range []string{"local://somewhere", "local:///path", "local://?x=1", "cloudscheduler://project-only", "nope://x", "::"} {
		if _, err := scheduler.OpenMux(ctx, schedulerMux(nil, bus, log), u); err == nil {
			t.Errorf("openScheduler(%q) = nil error", u)
		} else if u != "nope://x" && !errs.Is(err, errs.Invalid) {
			t.Errorf("openScheduler(%q) = %v, want invalid", u, err)
		}
	}
}

// TestCloudModeRefusesLocalScheduler: a cloud function left on the default
// local:// scheduler would keep schedules in a cron that dies with the
// instance; Open refuses and names the setting.
func TestCloudModeRefusesLocalScheduler(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Mode: ModeCloud, DataDir: dir, ConfigURL: "sqlite://" + dir + "/config.db", EventsURL: "mem://",
		SecretsURL: "local://" + dir + "/secrets", SchedulerURL: "local://"}
	log := slog.New(slog.DiscardHandler)
	_, err := Open(context.Background(), cfg, Options{Logger: log, Bus: &events.Bus{Driver: membus.New(membus.Options{Logger: log})}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "B2B_SCHEDULER_URL") {
		t.Fatalf("Open in cloud mode with local:// scheduler = %v, want invalid naming B2B_SCHEDULER_URL", err)
	}
}
