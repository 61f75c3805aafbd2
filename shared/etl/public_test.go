package etl_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/etl"
)

func TestRunPublicHidesInternalState(t *testing.T) {
	now := time.Now()
	r := etl.Run{ID: "r_1", Status: etl.StatusRunning, Parts: []string{"runs/r_1/part-00000.parquet"},
		RejectsObject: "runs/r_1/rejects.jsonl", LeaseOwner: "abc123", LeaseUntil: &now, RowsRead: 7}
	b, err := json.Marshal(r.Public())
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"part-00000", "rejects.jsonl", "abc123", "lease_until"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("public run shows %q: %s", leak, b)
		}
	}
	if !strings.Contains(string(b), `"rows_read":7`) || len(r.Parts) != 1 {
		t.Errorf("Public changed the wrong things: %s (original parts %v)", b, r.Parts)
	}
}
