package etl

import (
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

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
