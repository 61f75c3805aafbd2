package etl

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestAppendJSONValue(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, c := range []struct {
		typ  warehouse.Type
		v    any
		want string
	}{
		{warehouse.Int64, nil, `null`},
		{warehouse.Int64, int64(-7), `-7`},
		{warehouse.Float64, 1.25, `1.25`},
		{warehouse.Float64, math.Inf(1), `"+Inf"`},
		{warehouse.Bool, true, `true`},
		{warehouse.Numeric, "12345.6700", `"12345.6700"`},
		{warehouse.String, "a\"b\nc", `"a\"b\nc"`},
		{warehouse.JSON, "{\"a\": [1,\n 2]}", `{"a":[1,2]}`},
		{warehouse.JSON, "not json", `"not json"`},
		{warehouse.Bytes, []byte{0, 1, 255}, `"AAH/"`},
		{warehouse.Date, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), `"2026-01-02"`},
		{warehouse.Timestamp, ts, `"2026-01-02T03:04:05.6Z"`},
		{warehouse.DateTime, ts, `"2026-01-02T03:04:05.6"`},
		{warehouse.Time, "25:00:01.5", `"25:00:01.5"`},
	} {
		if got := string(appendJSONValue(nil, c.typ, c.v)); got != c.want {
			t.Errorf("%s %#v = %s, want %s", c.typ, c.v, got, c.want)
		}
	}
}

func TestBehind(t *testing.T) {
	at := func(typ, v string) *IncrementalState {
		return &IncrementalState{Watermark: &Watermark{Type: typ, Value: v}}
	}
	for _, c := range []struct {
		next, cur *IncrementalState
		want      bool
	}{
		{at("int64", "5"), nil, false},
		{at("int64", "5"), &IncrementalState{}, false},
		{at("int64", "5"), at("int64", "5"), false},
		{at("int64", "6"), at("int64", "5"), false},
		{at("int64", "4"), at("int64", "5"), true},
		{&IncrementalState{}, at("int64", "5"), true},
		{at("timestamp", "2026-01-01T00:00:00Z"), at("timestamp", "2026-01-01T00:00:00.5Z"), true},
		{at("string", "4"), at("int64", "5"), false}, // the column changed type: take the new state
	} {
		if got := behind(c.next, c.cur); got != c.want {
			t.Errorf("behind(%+v, %+v) = %v, want %v", c.next.Watermark, c.cur, got, c.want)
		}
	}
}

// TestRunMessageIsForUsers: a failed run shows the user text of its error,
// or the failed step and a plain sentence, never the log text with its
// package prefixes and ids.
func TestRunMessageIsForUsers(t *testing.T) {
	for _, tc := range []struct {
		phase Phase
		err   error
		want  string
	}{
		{PhaseLoad, errs.E(errs.Transient, "duckdbwh: load r_0123 into raw_data.x: IO Error"), "the rows could not be loaded into the warehouse: the service is busy"},
		{PhaseExtraction, errs.Userf(errs.Invalid, "this looks like a binary file, not CSV text"), "this looks like a binary file, not CSV text"},
		{PhaseExtraction, errs.E(errs.Invalid, "etl: run r_1 has no object"), "the file could not be read: "},
		{"", errs.E(errs.NotFound, "docstore: etl_run/r_9 not found"), "the run failed: this was not found"},
	} {
		got := runMessage(tc.phase, tc.err)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("runMessage(%q, %v) = %q, want it to start %q", tc.phase, tc.err, got, tc.want)
		}
		for _, bad := range []string{"etl:", "duckdbwh:", "docstore:", "r_0123", "r_1", "r_9"} {
			if strings.Contains(got, bad) {
				t.Errorf("runMessage(%q, %v) = %q shows %q", tc.phase, tc.err, got, bad)
			}
		}
	}
}
