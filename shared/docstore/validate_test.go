package docstore_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestValidateField(t *testing.T) {
	for _, ok := range []string{"a", "_", "A_b9", "_x", strings.Repeat("z", 64), "ds_version"} {
		if err := docstore.ValidateField(ok); err != nil {
			t.Errorf("ValidateField(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "9a", "a.b", "a-b", "a b", "é", "a\x00", strings.Repeat("z", 65), "_ds_x", "__name__x.y"} {
		if err := docstore.ValidateField(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ValidateField(%q) = %v, want Invalid", bad, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, ok := range []docstore.Key{
		{Tenant: "acme", Kind: "etl_job", ID: "j1"},
		{Tenant: "a-b.c", Kind: "run.v1", ID: "user@example.com"},
		{Tenant: "t", Kind: "k", ID: "ü 😀 ,;:"},
	} {
		if err := docstore.ValidateKey(ok); err != nil {
			t.Errorf("ValidateKey(%+v) = %v", ok, err)
		}
	}
	for _, bad := range []docstore.Key{
		{Kind: "k", ID: "i"}, {Tenant: "t", ID: "i"}, {Tenant: "t", Kind: "k"},
		{Tenant: "t", Kind: "1k", ID: "i"}, {Tenant: "t", Kind: "k k", ID: "i"},
		{Tenant: "t", Kind: "k", ID: "a/b"}, {Tenant: ".", Kind: "k", ID: "i"},
		{Tenant: "t", Kind: "k", ID: "__id__"}, {Tenant: "t", Kind: "k", ID: strings.Repeat("x", docstore.MaxIDLen+1)},
		{Tenant: "t", Kind: "k", ID: "\xc3"},
	} {
		if err := docstore.ValidateKey(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ValidateKey(%+v) = %v, want Invalid", bad, err)
		}
	}
}

func TestFilterValue(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
	cases := []struct {
		in   any
		want any
	}{
		{"s", "s"},
		{true, true},
		{7, int64(7)},
		{int32(-7), int64(-7)},
		{uint16(7), int64(7)},
		{float32(0.5), 0.5},
		{at, "2026-05-06T06:08:09.000000010Z"},
		{"2026-05-06T07:08:09+01:00", "2026-05-06T06:08:09.000000000Z"},
		{"2026-05-06", "2026-05-06"},
	}
	for _, tc := range cases {
		got, err := docstore.FilterValue(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("FilterValue(%#v) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []any{nil, uint64(1), uint(1), math.NaN(), math.Inf(-1), []byte("x"), struct{}{}} {
		if _, err := docstore.FilterValue(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("FilterValue(%#v) = %v, want Invalid", bad, err)
		}
	}
}

// Canonical times order as strings exactly as they order as instants.
func TestTimeFormatOrders(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{
		base.Add(-time.Nanosecond), base, base.Add(time.Nanosecond), base.Add(500 * time.Millisecond),
		base.Add(time.Second), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, a := range times {
		for _, b := range times {
			sa, sb := docstore.FormatTime(a), docstore.FormatTime(b)
			if (sa < sb) != a.Before(b) || (sa == sb) != a.Equal(b) {
				t.Errorf("%s vs %s disagrees with %v vs %v", sa, sb, a, b)
			}
		}
	}
}

func TestCanonicalData(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{ "a" : 1 }`, `{"a":1}`},
		{`{"n":12345678901234567890123,"f":1.0}`, `{"f":1.0,"n":12345678901234567890123}`},
		{`{"s":"x","at":"2026-01-01T01:00:00+01:00"}`, `{"at":"2026-01-01T00:00:00.000000000Z","s":"x"}`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`{"at":"2026-01-01T00:00:00.123Z"}`, `{"at":"2026-01-01T00:00:00.123000000Z"}`},
		{`{"not":"2026-13-01T00:00:00Z"}`, `{"not":"2026-13-01T00:00:00Z"}`},
		{`{"deep":{"_x":[{"ok":1}]}}`, `{"deep":{"_x":[{"ok":1}]}}`},
	}
	for _, tc := range cases {
		got, err := docstore.CanonicalData(json.RawMessage(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("CanonicalData(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `null`, `{"a":}`, `{} {}`, `{"_ds_version":1}`, `{"a":[{"_ds_a":1}]}`, "{\"a\":\"\xff\"}"} {
		if _, err := docstore.CanonicalData(json.RawMessage(bad)); !errs.Is(err, errs.Invalid) {
			t.Errorf("CanonicalData(%s) = %v, want Invalid", bad, err)
		}
	}
}

// FuzzCanonicalData: never panics; accepted data is a JSON object that
// canonicalises to itself.
func FuzzCanonicalData(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"at":"2026-01-01T01:00:00.5+01:00"}`, `[1]`, `{"a":{"_ds_b":1}}`, `{"t":"0000-01-01T00:00:00-01:00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := docstore.CanonicalData(data)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil || m == nil {
			t.Fatalf("output %s is not a JSON object: %v", out, err)
		}
		again, err := docstore.CanonicalData(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %s -> %s (%v)", out, again, err)
		}
	})
}
