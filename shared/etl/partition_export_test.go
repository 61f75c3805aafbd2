package etl

import (
	"fmt"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// FaultHookFailPartition is a fault hook for tests: it fails the first
// attempts attempts of partition index of every partitioned run of s
// (after each has staged its parts) with a transient error, as a worker
// that loses its connection would.
func FaultHookFailPartition(s *Service, index, attempts int) {
	HookPartitionStaged(s, func(p Partition) error {
		if p.Index == index && p.Attempts <= attempts {
			return errs.E(errs.Transient, "fault hook: partition %d fails attempt %d", index, p.Attempts)
		}
		return nil
	})
}

// HookPartitionStaged is a test hook: f runs after each partition
// attempt of s has staged its parts (inside its worker slot); an error
// fails the attempt.
func HookPartitionStaged(s *Service, f func(p Partition) error) { s.partitionFault = f }

func TestSplitRange(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		lo, hi any
		n      int64
		cuts   []any
	}{
		{"ints", int64(1), int64(100), 4, []any{int64(26), int64(51), int64(76)}},
		{"fewer values than partitions", int64(5), int64(6), 4, []any{int64(6)}},
		{"one value", int64(7), int64(7), 4, nil},
		{"times", t0, t0.Add(3 * time.Hour), 3, []any{t0.Add(time.Hour), t0.Add(2 * time.Hour)}},
		{"times at microseconds", t0, t0.Add(10 * time.Microsecond), 3, []any{t0.Add(3 * time.Microsecond), t0.Add(6 * time.Microsecond)}},
		{"mixed types", int64(1), t0, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitRange("c", tc.lo, tc.hi, tc.n)
			if len(tc.cuts) == 0 {
				if got != nil {
					t.Fatalf("splitRange = %v, want nil", got)
				}
				return
			}
			if len(got) != len(tc.cuts)+1 || got[0].From != nil || got[len(got)-1].To != nil {
				t.Fatalf("splitRange = %v, want %d ranges open at both ends", got, len(tc.cuts)+1)
			}
			for i, c := range tc.cuts {
				if sources.Compare(got[i].To, c) != 0 || sources.Compare(got[i+1].From, c) != 0 {
					t.Errorf("cut %d: ranges %v and %v, want them to meet at %v", i, got[i], got[i+1], c)
				}
			}
		})
	}
}

func TestRangeColumn(t *testing.T) {
	meta := sources.TableMeta{Columns: []sources.ColumnMeta{
		{OriginalName: "id", Type: warehouse.Int64}, {OriginalName: "code", Type: warehouse.String}, {OriginalName: "at", Type: warehouse.Timestamp},
	}}
	withPK := func(pk ...string) sources.TableMeta { m := meta; m.Recommended.PrimaryKey = pk; return m }
	db := func(ts string, mode LoadMode) Job {
		return Job{SourceType: SourceDatabase, LoadMode: mode, Database: &DatabaseSource{TimestampColumn: ts}}
	}
	tests := []struct {
		name string
		job  Job
		meta sources.TableMeta
		want string
	}{
		{"incremental on its timestamp", db("at", Append), withPK("code"), "at"},
		{"incremental on a text column", db("code", Append), withPK("id"), ""},
		{"snapshot on an integer key", db("", Truncate), withPK("id"), "id"},
		{"snapshot on a text key", db("", Truncate), withPK("code"), ""},
		{"snapshot on a two-column key", db("", Truncate), withPK("id", "at"), ""},
		{"snapshot without a key", db("", Truncate), withPK(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := rangeColumn(tc.job, tc.meta)
			if got != tc.want || (got == "") == (why == "") {
				t.Errorf("rangeColumn = %q (%q), want %q and a reason only without a column", got, why, tc.want)
			}
		})
	}
}

func TestSpanShare(t *testing.T) {
	if got := spanShare(int64(0), int64(100), int64(75)); got != 0.25 {
		t.Errorf("spanShare ints = %v, want 0.25", got)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := spanShare(t0, t0.Add(4*time.Hour), t0.Add(time.Hour)); got != 0.75 {
		t.Errorf("spanShare times = %v, want 0.75", got)
	}
	if got := spanShare(int64(0), int64(100), "x"); got != 1 {
		t.Errorf("spanShare of mixed types = %v, want 1", got)
	}
}

func TestStatisticsCuts(t *testing.T) {
	tests := []struct {
		name         string
		width, stats []int64
		want         []int64
	}{
		{"statistics cover the range", []int64{250, 500, 750}, []int64{10, 20, 30}, []int64{10, 20, 30, 250, 500, 750}},
		{"width cuts within the statistics are dropped", []int64{25, 50, 75}, []int64{24, 51, 76}, []int64{24, 51, 76}},
		{"width cuts beyond the last statistic and its gap are kept", []int64{100, 200, 300}, []int64{10, 60, 110}, []int64{10, 60, 110, 200, 300}},
		{"one statistic", []int64{100, 200}, []int64{150}, []int64{150, 200}},
	}
	anys := func(v []int64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stats := anys(tc.stats)
			got := mergeCuts(stats, beyond(anys(tc.width), stats))
			if fmt.Sprint(got) != fmt.Sprint(anys(tc.want)) {
				t.Errorf("cuts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatsShare(t *testing.T) {
	cuts := []any{int64(10), int64(20), int64(30)} // four groups
	for _, tc := range []struct {
		since any
		want  float64
	}{
		{int64(5), 0.875}, {int64(25), 0.375}, {int64(30), 0.125}, {int64(99), 0.125},
	} {
		if got := statsShare(cuts, tc.since); got != tc.want {
			t.Errorf("statsShare(since %v) = %v, want %v", tc.since, got, tc.want)
		}
	}
	if got := statsShare(nil, int64(1)); got != 0 {
		t.Errorf("statsShare without cuts = %v, want 0", got)
	}
}

func TestPartitionCount(t *testing.T) {
	p := Partitioning{FanoutRows: 1_000_000, FanoutBytes: 1 << 30, PartitionRows: 500_000}
	for _, tc := range []struct {
		name        string
		rows, bytes int64
		want        int64
	}{
		{"rows decide", 2_000_000, 100 << 20, 4},
		{"a little more than the rows of 4", 2_000_001, 100 << 20, 5},
		{"wide rows: the bytes decide", 100_000, 10 << 30, 20},
		{"rows unknown", -1, 3 << 30, 6},
		{"at least two", 1_000_000, -1, 2},
	} {
		if got := partitionCount(tc.rows, tc.bytes, p); got != tc.want {
			t.Errorf("%s: partitionCount(%d, %d) = %d, want %d", tc.name, tc.rows, tc.bytes, got, tc.want)
		}
	}
}
