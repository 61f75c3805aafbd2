package etl

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Partitioning settings: a database run whose table (for an incremental
// run: the part of it from the watermark on) is estimated at FanoutRows
// rows or FanoutBytes bytes or more is read in partitions of about
// PartitionRows rows, each by its own etl.partition.requested delivery,
// at most Workers of them at once in one process.
type Partitioning struct {
	// FanoutRows and FanoutBytes are the thresholds (B2B_FANOUT_ROWS,
	// B2B_FANOUT_BYTES).
	FanoutRows  int64
	FanoutBytes int64
	// PartitionRows is the size a partition is planned at
	// (B2B_PARTITION_ROWS).
	PartitionRows int64
	// Workers bounds the partitions one process extracts at once
	// (B2B_PARTITION_WORKERS): the local platform's worker pool; a cloud
	// function instance takes one delivery at a time anyway.
	Workers int
}

// Defaults of the partitioning settings.
const (
	DefaultFanoutRows       = 1_000_000
	DefaultFanoutBytes      = 1 << 30
	DefaultPartitionRows    = 500_000
	DefaultPartitionWorkers = 1
)

// WithPartitioning sets the partitioning settings; zero fields keep their
// defaults.
func WithPartitioning(p Partitioning) Option {
	return func(s *Service) {
		if p.FanoutRows > 0 {
			s.parting.FanoutRows = p.FanoutRows
		}
		if p.FanoutBytes > 0 {
			s.parting.FanoutBytes = p.FanoutBytes
		}
		if p.PartitionRows > 0 {
			s.parting.PartitionRows = p.PartitionRows
		}
		if p.Workers > 0 {
			s.parting.Workers = p.Workers
		}
	}
}

func defaultPartitioning() Partitioning {
	return Partitioning{FanoutRows: DefaultFanoutRows, FanoutBytes: DefaultFanoutBytes, PartitionRows: DefaultPartitionRows, Workers: DefaultPartitionWorkers}
}

// partitionPlan is how a run's table is split: ranges of Column that
// meet, in order, the first open below and the last open above (rows
// written beyond the bounds after planning are read by the last).
type partitionPlan struct {
	column string
	ranges []sources.KeyRange
	// cutBy says how the ranges were cut, for the run's log.
	cutBy string
	// rows and bytes are the estimate the plan was made from.
	rows, bytes int64
}

// planPartitions decides whether a database run is read in partitions
// and plans them (nil: read in one piece, with a log line saying why when
// the reason is not simply its size; a table whose size or range cannot
// be read is read in one piece too, which reports a real problem). The range column is the job's
// timestamp column for an incremental job (the partitions cover
// [watermark, max]), else an integer primary key.
func (s *Service) planPartitions(ctx context.Context, run Run, src *sources.Source, job Job, plan dbPlan) (*partitionPlan, error) {
	why := func(reason string) (*partitionPlan, error) {
		s.log.InfoContext(ctx, "etl: database run read in one piece", "tenant", run.Tenant, "run", run.ID, "reason", reason)
		return nil, nil
	}
	if !src.CanPartition() {
		return why(fmt.Sprintf("%s sources cannot be read in partitions", src.Dialect()))
	}
	size, err := src.Estimate(ctx, plan.req.Schema, plan.req.Table)
	if err != nil {
		// The read in one piece reports a real problem with the table.
		return why("its size could not be estimated: " + err.Error())
	}
	if size.Rows < s.parting.FanoutRows && size.Bytes < s.parting.FanoutBytes {
		return nil, nil // small: the common case, not worth a line
	}
	column, reason := rangeColumn(job, plan.meta)
	if column == "" {
		return why(reason)
	}
	lo, hi, err := src.Bounds(ctx, plan.req.Schema, plan.req.Table, column)
	if err != nil {
		return why("the range of column " + column + " could not be read: " + err.Error())
	}
	if lo == nil || hi == nil {
		return why("column " + column + " has no values")
	}
	share := 1.0
	if plan.req.Since != nil && plan.req.TimestampColumn == column {
		// An incremental run reads [since, max]: its share of the table.
		if sources.Compare(plan.req.Since, hi) > 0 {
			return nil, nil
		}
		share = spanShare(lo, hi, plan.req.Since)
		// Rows crowd where a table grows: where the statistics tell the
		// share of rows above the watermark, the larger of the two counts.
		if stats, err := src.Quantiles(ctx, plan.req.Schema, plan.req.Table, column, shareBuckets); err == nil {
			share = max(share, statsShare(stats, plan.req.Since))
		}
		if sources.Compare(plan.req.Since, lo) > 0 {
			lo = plan.req.Since
		}
	}
	rows, bytes := scaled(size.Rows, share), scaled(size.Bytes, share)
	if rows < s.parting.FanoutRows && bytes < s.parting.FanoutBytes {
		return nil, nil
	}
	n := partitionCount(rows, bytes, s.parting)
	// Equal ranges of the values; where the source's statistics say how
	// the rows spread, their cuts instead (a skewed column: most rows in
	// recent times, a key with gaps), and equal ranges only beyond the
	// values the statistics knew (rows added since they were taken).
	pp := &partitionPlan{column: column, rows: size.Rows, bytes: size.Bytes, cutBy: "equal ranges of its values"}
	cuts := widthCuts(lo, hi, n)
	if stats := s.statisticsCuts(ctx, run, src, plan, column, lo, hi, n, share); len(stats) > 0 {
		cuts, pp.cutBy = mergeCuts(stats, beyond(cuts, stats)), "the table's statistics"
	}
	pp.ranges = cutRanges(column, cuts)
	if len(pp.ranges) < 2 {
		return why(fmt.Sprintf("the values of column %s span too little to split", column))
	}
	return pp, nil
}

// statisticsCuts are the cuts of column's values in (lo, hi] that split
// the rows read into about n groups of the same size, from the source's
// statistics (sources.Quantiler; nil when it has none). share is the
// share of the table the run reads (above lo): the statistics cover the
// whole table, so about n/share cuts are asked for.
func (s *Service) statisticsCuts(ctx context.Context, run Run, src *sources.Source, plan dbPlan, column string, lo, hi any, n int64, share float64) []any {
	ask := n
	if share > 0 && share < 1 {
		ask = int64(math.Ceil(float64(n) / share))
	}
	cuts, err := src.Quantiles(ctx, plan.req.Schema, plan.req.Table, column, int(min(ask, 100_000)))
	if err != nil {
		s.log.WarnContext(ctx, "etl: the table's statistics could not be read; partitions cut in equal ranges", "tenant", run.Tenant, "run", run.ID, "err", err)
		return nil
	}
	out := cuts[:0:0]
	for _, c := range cuts {
		if sources.Compare(c, lo) > 0 && sources.Compare(c, hi) <= 0 {
			out = append(out, c)
		}
	}
	return out
}

// partitionCount is how many partitions a read of about rows rows and
// bytes bytes (-1: unknown) is planned as: partitions of at most
// PartitionRows rows and of at most half of FanoutBytes (wide rows), at
// least 2.
func partitionCount(rows, bytes int64, p Partitioning) int64 {
	n := int64(2)
	if rows > 0 {
		n = max(n, ceilDiv(rows, p.PartitionRows))
	}
	if bytes > 0 {
		n = max(n, ceilDiv(bytes, max(p.FanoutBytes/2, 1)))
	}
	return n
}

// rangeColumn is the column a job's table is split on, or "" and why
// there is none: the timestamp column of an incremental job (integer or
// temporal), else a single-column integer primary key.
func rangeColumn(job Job, meta sources.TableMeta) (string, string) {
	typeOf := func(name string) (warehouse.Type, bool) {
		for _, c := range meta.Columns {
			if c.OriginalName == name {
				return c.Type, true
			}
		}
		return "", false
	}
	if job.incremental() {
		ts := job.Database.TimestampColumn
		switch t, _ := typeOf(ts); t {
		case warehouse.Int64, warehouse.Date, warehouse.DateTime, warehouse.Timestamp:
			return ts, ""
		}
		return "", "the incremental column " + ts + " is neither an integer nor a date or time"
	}
	pk := meta.Recommended.PrimaryKey
	if len(pk) != 1 {
		return "", "the table has no single-column primary key to split on"
	}
	if t, _ := typeOf(pk[0]); t != warehouse.Int64 {
		return "", "the primary key " + pk[0] + " is not an integer"
	}
	return pk[0], ""
}

// splitRange splits [lo, hi] of column into at most n ranges of equal
// width that meet (integers, or times at microsecond boundaries); the
// first is open below and the last open above.
func splitRange(column string, lo, hi any, n int64) []sources.KeyRange {
	return cutRanges(column, widthCuts(lo, hi, n))
}

// widthCuts are the values that split [lo, hi] into at most n ranges of
// equal width (nil when it cannot be split).
func widthCuts(lo, hi any, n int64) []any {
	var cuts []any
	switch a := lo.(type) {
	case int64:
		b, ok := hi.(int64)
		if !ok {
			return nil
		}
		span := b - a + 1
		n = min(n, span)
		for i := int64(1); i < n; i++ {
			cuts = append(cuts, a+int64(math.Round(float64(span)*float64(i)/float64(n))))
		}
	case time.Time:
		b, ok := hi.(time.Time)
		if !ok {
			return nil
		}
		span := b.Sub(a)
		n = min(n, int64(span/time.Microsecond))
		for i := int64(1); i < n; i++ {
			cuts = append(cuts, a.Add(time.Duration(float64(span)*float64(i)/float64(n))).Truncate(time.Microsecond))
		}
	}
	return cuts
}

// beyond keeps the cuts that lie more than one average gap of stats
// (ascending) above its last: the range the statistics did not cover.
func beyond(cuts, stats []any) []any {
	last := toFloat(stats[len(stats)-1])
	gap := 0.0
	if len(stats) > 1 {
		gap = (last - toFloat(stats[0])) / float64(len(stats)-1)
	}
	var out []any
	for _, c := range cuts {
		if toFloat(c) > last+gap {
			out = append(out, c)
		}
	}
	return out
}

// toFloat is a cut as a number (times in Unix nanoseconds).
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case time.Time:
		return float64(x.UnixNano())
	}
	return 0
}

// mergeCuts merges two ascending lists of cuts into one, without repeats.
func mergeCuts(a, b []any) []any {
	out := make([]any, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		var next any
		switch {
		case len(b) == 0 || len(a) > 0 && sources.Compare(a[0], b[0]) <= 0:
			next, a = a[0], a[1:]
		default:
			next, b = b[0], b[1:]
		}
		if len(out) == 0 || sources.Compare(out[len(out)-1], next) < 0 {
			out = append(out, next)
		}
	}
	return out
}

// cutRanges are the ranges of column that ascending cuts make: they
// meet at the cuts, the first open below, the last open above (nil
// without cuts).
func cutRanges(column string, cuts []any) []sources.KeyRange {
	if len(cuts) == 0 {
		return nil
	}
	out := make([]sources.KeyRange, 0, len(cuts)+1)
	var from any
	for _, c := range cuts {
		out = append(out, sources.KeyRange{Column: column, From: from, To: c})
		from = c
	}
	return append(out, sources.KeyRange{Column: column, From: from})
}

// shareBuckets is how finely the statistics are asked for the share of
// rows above a watermark.
const shareBuckets = 100

// statsShare is the share of rows at or above since that equal-frequency
// cuts (ascending) tell: the groups above it, and half the one it falls
// in; 0 without cuts.
func statsShare(cuts []any, since any) float64 {
	if len(cuts) == 0 {
		return 0
	}
	below := 0
	for _, c := range cuts {
		if sources.Compare(c, since) <= 0 {
			below++
		}
	}
	groups := float64(len(cuts) + 1)
	return (groups - float64(below) - 0.5) / groups
}

// spanShare is the share of [lo, hi] that [from, hi] covers (1 when it
// cannot tell).
func spanShare(lo, hi, from any) float64 {
	var whole, part float64
	switch a := lo.(type) {
	case int64:
		b, ok1 := hi.(int64)
		f, ok2 := from.(int64)
		if !ok1 || !ok2 {
			return 1
		}
		whole, part = float64(b-a), float64(b-f)
	case time.Time:
		b, ok1 := hi.(time.Time)
		f, ok2 := from.(time.Time)
		if !ok1 || !ok2 {
			return 1
		}
		whole, part = float64(b.Sub(a)), float64(b.Sub(f))
	default:
		return 1
	}
	if whole <= 0 {
		return 1
	}
	return min(max(part/whole, 0), 1)
}

func scaled(n int64, share float64) int64 {
	if n < 0 {
		return n
	}
	return int64(math.Ceil(float64(n) * share))
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 1
	}
	return (a + b - 1) / b
}
