package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// GET /api/runs/summary answers exactly the documented shape, over the
// caller's runs in the window asked for; a window that is not 1 to 720
// hours is refused naming hours.
func TestRunsSummary(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	put := func(tenant, id string, status etl.RunStatus, finishedAgo time.Duration, loaded, rejected int64) {
		r := etl.Run{ID: id, Tenant: tenant, JobID: "j_1", Status: status, CreatedAt: now.Add(-finishedAgo - time.Minute),
			RowsLoaded: loaded, RowsRejected: rejected}
		if finishedAgo > 0 {
			done := now.Add(-finishedAgo)
			r.CompletedAt = &done
		}
		if _, err := docstore.Put(ctx, f.p.Store, docstore.Key{Tenant: tenant, Kind: etl.KindRun, ID: id}, r, docstore.Any); err != nil {
			t.Fatal(err)
		}
	}
	put(f.tenant.ID, "r_a", etl.StatusCompleted, time.Hour+2*time.Second, 100, 0)
	put(f.tenant.ID, "r_b", etl.StatusPartial, 5*time.Hour, 40, 2)
	put(f.tenant.ID, "r_c", etl.StatusFailed, 2*time.Hour, 0, 9)
	put(f.tenant.ID, "r_d", etl.StatusCompleted, 30*time.Hour, 1000, 0)
	put(f.tenant.ID, "r_e", etl.StatusRunning, 0, 0, 0)
	put("t_other", "r_x", etl.StatusCompleted, time.Hour, 555, 5)
	put("t_other", "r_y", etl.StatusPending, 0, 0, 0)

	get := func(query string) (response, map[string]json.RawMessage) {
		r := f.do(tenancy.RoleViewer, "GET", "/api/runs/summary"+query, nil, "")
		var raw map[string]json.RawMessage
		if r.status == 200 {
			r.json(t, &raw)
		}
		return r, raw
	}
	cases := []struct {
		query                     string
		hours                     time.Duration
		active, completed, failed int
		rowsLoaded, rowsRejected  int64
	}{
		{"", 24, 1, 2, 1, 140, 11},
		{"?hours=48", 48, 1, 3, 1, 1140, 11},
		{"?hours=1", 1, 1, 0, 0, 0, 0}, // r_a finished two seconds before the hour
		{"?hours=720", 720, 1, 3, 1, 1140, 11},
	}
	for _, c := range cases {
		r, raw := get(c.query)
		if r.status != 200 {
			t.Fatalf("%s = %d %s", c.query, r.status, r.body)
		}
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"active", "completed", "failed", "rowsLoaded", "rowsRejected", "windowEnd", "windowStart"}; !slices.Equal(keys, want) {
			t.Errorf("%s keys = %v, want %v", c.query, keys, want)
		}
		var got struct {
			WindowStart, WindowEnd    string
			Active, Completed, Failed int
			RowsLoaded, RowsRejected  int64
		}
		r.json(t, &got)
		start, err1 := time.Parse(time.RFC3339, got.WindowStart)
		end, err2 := time.Parse(time.RFC3339, got.WindowEnd)
		if err1 != nil || err2 != nil || end.Sub(start) != c.hours*time.Hour || end.Before(now.Truncate(time.Second)) || end.After(time.Now()) {
			t.Errorf("%s window %s .. %s, want %d hours ending now (RFC 3339)", c.query, got.WindowStart, got.WindowEnd, c.hours)
		}
		if got.Active != c.active || got.Completed != c.completed || got.Failed != c.failed || got.RowsLoaded != c.rowsLoaded || got.RowsRejected != c.rowsRejected {
			t.Errorf("%s = %s, want active %d completed %d failed %d rowsLoaded %d rowsRejected %d",
				c.query, r.body, c.active, c.completed, c.failed, c.rowsLoaded, c.rowsRejected)
		}
	}
	for _, bad := range []string{"0", "721", "-1", "1.5", "day", fmt.Sprint(1 << 40)} {
		r, _ := get("?hours=" + bad)
		kind, msg := r.errorOf(t)
		if r.status != 400 || kind != "invalid" || r.fieldOf(t) != "hours" || msg != "the query parameter hours must be a whole number from 1 to 720, not \""+bad+"\"" {
			t.Errorf("hours=%s = %d %s, want 400 naming hours", bad, r.status, r.body)
		}
	}
	if r := f.do("", "GET", "/api/runs/summary", nil, ""); r.status != 401 {
		t.Errorf("anonymous = %d, want 401", r.status)
	}
}
