package pubsubbus_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

func sample(t testing.TB) events.Event {
	e := cloudevents.New()
	e.SetID("evt-1")
	e.SetType("com.b2brecs.etl.run.requested.v1")
	e.SetSource("//b2brecs/scheduler/acme/nightly")
	e.SetSubject("jobs/nightly")
	e.SetTime(time.Date(2026, 3, 29, 0, 59, 59, 999000000, time.UTC))
	e.SetExtension("scheduledtime", "2026-03-29T01:00:00Z")
	if err := e.SetData("application/json", map[string]string{"tenant": "acme"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEncodeMessageAttributes(t *testing.T) {
	data, attrs, err := pubsubbus.EncodeMessage(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ce-specversion":     "1.0",
		"ce-id":              "evt-1",
		"ce-type":            "com.b2brecs.etl.run.requested.v1",
		"ce-source":          "//b2brecs/scheduler/acme/nightly",
		"ce-subject":         "jobs/nightly",
		"ce-time":            "2026-03-29T00:59:59.999Z",
		"ce-datacontenttype": "application/json",
		"Content-Type":       "application/json",
		"ce-scheduledtime":   "2026-03-29T01:00:00Z",
	}
	if len(attrs) != len(want) {
		t.Errorf("attributes = %v, want %v", attrs, want)
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
	if string(data) != `{"tenant":"acme"}` {
		t.Errorf("data = %s", data)
	}
	bad := sample(t)
	bad.SetSource("")
	if _, _, err := pubsubbus.EncodeMessage(bad); !errs.Is(err, errs.Invalid) {
		t.Errorf("EncodeMessage(no source) = %v, want invalid", err)
	}
}

func TestDecodeMessage(t *testing.T) {
	binary := map[string]string{
		"ce-specversion": "1.0", "ce-id": "a", "ce-type": "t.v1", "ce-source": "/s",
		"ce-time": "2026-01-02T03:04:05Z", "ce-datacontenttype": "application/json", "ce-tenant": "acme",
	}
	structured, err := json.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
			} else {
				out[kv[i]] = kv[i+1]
			}
		}
		return out
	}
	cases := []struct {
		name    string
		data    []byte
		attrs   map[string]string
		kind    errs.Kind // Unknown = success
		id, ct  string
		ext     string
		payload string
	}{
		{name: "binary", data: []byte(`{"x":1}`), attrs: binary, id: "a", ct: "application/json", ext: "acme", payload: `{"x":1}`},
		{name: "binary upper-case names", data: []byte(`{}`), attrs: map[string]string{"CE-SPECVERSION": "1.0", "Ce-Id": "b", "ce-TYPE": "t", "ce-source": "/s"}, id: "b", payload: `{}`},
		{name: "binary Content-Type attribute", data: []byte("hi"), attrs: with(binary, "ce-datacontenttype", "", "Content-Type", "text/plain"), id: "a", ct: "text/plain", ext: "acme", payload: "hi"},
		{name: "binary no data", attrs: binary, id: "a", ct: "application/json", ext: "acme"},
		{name: "structured by content type", data: structured, attrs: map[string]string{"Content-Type": "application/cloudevents+json; charset=utf-8"}, id: "evt-1", ct: "application/json", payload: `{"tenant":"acme"}`},
		{name: "structured without attributes", data: structured, id: "evt-1", ct: "application/json", payload: `{"tenant":"acme"}`},
		{name: "structured other format", data: structured, attrs: map[string]string{"Content-Type": "application/cloudevents+avro"}, kind: errs.Unsupported},
		{name: "missing id", data: []byte("{}"), attrs: with(binary, "ce-id", ""), kind: errs.Invalid},
		{name: "bad time", attrs: with(binary, "ce-time", "yesterday"), kind: errs.Invalid},
		{name: "bad extension name", attrs: with(binary, "ce-Tenant_ID", "x"), kind: errs.Invalid},
		{name: "old specversion", attrs: with(binary, "ce-specversion", "0.3"), kind: errs.Invalid},
		{name: "plain message", data: []byte(`{"hello":"world"}`), attrs: map[string]string{"origin": "other"}, kind: errs.Invalid},
		{name: "garbage", data: []byte{0xff, 0x00}, kind: errs.Invalid},
		{name: "structured invalid event", data: []byte(`{"specversion":"1.0","id":"x"}`), kind: errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := pubsubbus.DecodeMessage(c.data, c.attrs)
			if c.kind != errs.Unknown {
				if errs.KindOf(err) != c.kind {
					t.Fatalf("err = %v, want kind %s", err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ID() != c.id || e.DataContentType() != c.ct || string(e.Data()) != c.payload {
				t.Errorf("got id=%q ct=%q data=%q, want %q %q %q", e.ID(), e.DataContentType(), e.Data(), c.id, c.ct, c.payload)
			}
			if c.ext != "" && e.Extensions()["tenant"] != c.ext {
				t.Errorf("extension tenant = %v, want %q", e.Extensions()["tenant"], c.ext)
			}
		})
	}
}

// An Eventarc messagePublished request body as Cloud Functions receives it.
const eventarcBody = `{
  "specversion": "1.0",
  "id": "11111111111",
  "source": "//pubsub.googleapis.com/projects/acme-prod/topics/etl-run-requested",
  "type": "google.cloud.pubsub.topic.v1.messagePublished",
  "datacontenttype": "application/json",
  "time": "2026-03-29T01:00:00.5Z",
  "data": {
    "message": {
      "data": "eyJ0ZW5hbnQiOiJhY21lIiwiam9iX2lkIjoiNDIiLCJ0cmlnZ2VyIjoic2NoZWR1bGUifQ==",
      "attributes": {
        "ce-specversion": "1.0",
        "ce-id": "acme/nightly/1774746000",
        "ce-type": "com.b2brecs.etl.run.requested.v1",
        "ce-source": "//b2brecs/scheduler/acme/nightly",
        "ce-time": "2026-03-29T01:00:00Z",
        "ce-datacontenttype": "application/json"
      },
      "messageId": "11111111111",
      "publishTime": "2026-03-29T01:00:00.5Z"
    },
    "subscription": "projects/acme-prod/subscriptions/eventarc-europe-west1-run-requested-sub-123"
  }
}`

func TestFromMessagePublished(t *testing.T) {
	var outer events.Event
	if err := json.Unmarshal([]byte(eventarcBody), &outer); err != nil {
		t.Fatal(err)
	}
	e, err := pubsubbus.FromMessagePublished(outer)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() != "acme/nightly/1774746000" || e.Type() != "com.b2brecs.etl.run.requested.v1" ||
		e.Source() != "//b2brecs/scheduler/acme/nightly" || !e.Time().Equal(time.Unix(1774746000, 0)) {
		t.Errorf("inner event = %v", e)
	}
	var p struct{ Tenant, JobID, Trigger string }
	if err := json.Unmarshal(e.Data(), &p); err != nil || p.Tenant != "acme" || p.Trigger != "schedule" {
		t.Errorf("inner data %s: %+v %v", e.Data(), p, err)
	}

	// Structured mode inside the envelope.
	inner := sample(t)
	structured, _ := json.Marshal(inner)
	env, err := pubsubbus.ToMessagePublished("projects/p/topics/t", "projects/p/subscriptions/s", "m1", time.Now(), structured,
		map[string]string{"Content-Type": "application/cloudevents+json"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := pubsubbus.FromMessagePublished(env)
	if err != nil || got.ID() != inner.ID() || got.Subject() != inner.Subject() {
		t.Errorf("structured: %v %v", got, err)
	}

	// No ce-time (Cloud Scheduler): the publish time stands in.
	pt := time.Date(2026, 3, 29, 1, 0, 2, 0, time.UTC)
	env, err = pubsubbus.ToMessagePublished("projects/p/topics/t", "s", "m2", pt, []byte(`{}`), map[string]string{
		"ce-specversion": "1.0", "ce-id": "acme/nightly", "ce-type": "t.v1", "ce-source": "//b2brecs/scheduler/acme/nightly",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pubsubbus.FromMessagePublished(env); err != nil || !got.Time().Equal(pt) {
		t.Errorf("time without ce-time = %v (%v), want publish time %v", got.Time(), err, pt)
	}

	bad := []struct {
		name string
		mod  func(e *events.Event)
	}{
		{"wrong type", func(e *events.Event) { e.SetType("google.cloud.storage.object.v1.finalized") }},
		{"not json", func(e *events.Event) { e.DataEncoded = []byte("nope") }},
		{"no message", func(e *events.Event) { e.DataEncoded = []byte(`{"subscription":"s"}`) }},
		{"bad base64", func(e *events.Event) { e.DataEncoded = []byte(`{"message":{"data":"***"}}`) }},
		{"not a cloudevent", func(e *events.Event) {
			e.DataEncoded = []byte(`{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte("plain")) + `","attributes":{"k":"v"}}}`)
		}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			e := outer.Clone()
			b.mod(&e)
			if _, err := pubsubbus.FromMessagePublished(e); !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want invalid", err)
			}
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	data, attrs, _ := pubsubbus.EncodeMessage(sample(f))
	aj, _ := json.Marshal(attrs)
	f.Add(data, string(aj))
	structured, _ := json.Marshal(sample(f))
	f.Add(structured, "{}")
	f.Add([]byte("x"), `{"ce-specversion":"1.0","ce-time":"2026-13-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, data []byte, attrJSON string) {
		var attrs map[string]string
		_ = json.Unmarshal([]byte(attrJSON), &attrs)
		e, err := pubsubbus.DecodeMessage(data, attrs)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unsupported {
				t.Fatalf("error kind %s: %v", k, err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decoded event is invalid: %v", err)
		}
		// Re-encoding and decoding again is stable.
		d2, a2, err := pubsubbus.EncodeMessage(e)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		e2, err := pubsubbus.DecodeMessage(d2, a2)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if e2.ID() != e.ID() || e2.Type() != e.Type() || string(e2.Data()) != string(e.Data()) || !e2.Time().Equal(e.Time()) {
			t.Fatalf("unstable round trip: %v vs %v", e, e2)
		}
	})
}
