package scheduler_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/scheduler"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

func TestFireKey(t *testing.T) {
	j := scheduler.Job{Tenant: "acme", Name: "nightly", Cron: "0 2 * * *", Topic: "etl-run-requested",
		EventType: "com.b2brecs.etl.run.requested.v1", Data: json.RawMessage(`{}`)}
	at := time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)
	local, err := scheduler.FireEvent(j, at)
	if err != nil {
		t.Fatal(err)
	}
	// As Cloud Scheduler publishes it: fixed id, no scheduledtime, time = publish time.
	cloud := cloudevents.New()
	cloud.SetID("acme/nightly")
	cloud.SetType(j.EventType)
	cloud.SetSource(scheduler.Source("acme", "nightly"))
	cloud.SetTime(at.Add(2300 * time.Millisecond))
	k1, ok1 := scheduler.FireKey(local)
	k2, ok2 := scheduler.FireKey(cloud)
	if !ok1 || !ok2 || k1 != k2 || k1 != "acme/nightly/1777597200" {
		t.Errorf("FireKey local=%q(%v) cloud=%q(%v), want both acme/nightly/1777597200", k1, ok1, k2, ok2)
	}
	other := cloudevents.New()
	other.SetSource("//b2brecs/etl")
	if _, ok := scheduler.FireKey(other); ok {
		t.Error("FireKey of a non-schedule event reported ok")
	}
}

func TestParseSource(t *testing.T) {
	cases := []struct {
		src, tenant, name string
		ok                bool
	}{
		{"//b2brecs/scheduler/acme/nightly", "acme", "nightly", true},
		{"//b2brecs/scheduler/a-b/c", "a-b", "c", true},
		{"//b2brecs/scheduler/acme", "", "", false},
		{"//b2brecs/scheduler/acme/x/y", "", "", false},
		{"//pubsub.googleapis.com/x", "", "", false},
	}
	for _, c := range cases {
		tn, n, ok := scheduler.ParseSource(c.src)
		if ok != c.ok || (ok && (tn != c.tenant || n != c.name)) {
			t.Errorf("ParseSource(%q) = %q %q %v", c.src, tn, n, ok)
		}
	}
}
