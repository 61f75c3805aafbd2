package platform

import (
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
)

func TestPartitioningSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want etl.Partitioning
		bad  string // the variable an error names
	}{
		{name: "unset", want: etl.Partitioning{}},
		{name: "all set", cfg: Config{FanoutRows: "2000000", FanoutBytes: "5368709120", PartitionRows: "250000", PartitionWorkers: "4"},
			want: etl.Partitioning{FanoutRows: 2_000_000, FanoutBytes: 5 << 30, PartitionRows: 250_000, Workers: 4}},
		{name: "fan-out rows too low", cfg: Config{FanoutRows: "999"}, bad: "B2B_FANOUT_ROWS"},
		{name: "fan-out bytes not a number", cfg: Config{FanoutBytes: "1GB"}, bad: "B2B_FANOUT_BYTES"},
		{name: "partition rows too high", cfg: Config{PartitionRows: "100000001"}, bad: "B2B_PARTITION_ROWS"},
		{name: "no workers", cfg: Config{PartitionWorkers: "0"}, bad: "B2B_PARTITION_WORKERS"},
		{name: "too many workers", cfg: Config{PartitionWorkers: "65"}, bad: "B2B_PARTITION_WORKERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.partitioning()
			if tt.bad != "" {
				if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("err = %v, want invalid naming %s", err, tt.bad)
				}
				if _, err := tt.cfg.RunOptions(); err == nil {
					t.Fatal("RunOptions accepts the bad setting")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("partitioning = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
