package etl_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/etl"
)

func TestSchedulerJobName(t *testing.T) {
	nameRe := regexp.MustCompile(`^[a-z0-9-]{1,100}$`)
	tests := []struct{ id, want string }{
		{"abc-123", "etl-job-abc-123"},
		{"j_0a1b", "etl-job-j-0a1b-"}, // prefix: a hash follows
		{"J-0A1B", "etl-job-j-0a1b-"},
		{strings.Repeat("x", 200), "etl-job-xxxx"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := etl.SchedulerJobName(tc.id)
		if !strings.HasPrefix(got, tc.want) || !nameRe.MatchString(got) {
			t.Errorf("SchedulerJobName(%q) = %q, want prefix %q matching %s", tc.id, got, tc.want, nameRe)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("ids %q and %q share %q", other, tc.id, got)
		}
		seen[got] = tc.id
	}
	if a, b := etl.SchedulerJobName("j_1"), etl.SchedulerJobName("j-1"); a == b {
		t.Errorf("j_1 and j-1 both map to %q", a)
	}
}
