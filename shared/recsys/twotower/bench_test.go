package twotower

import (
	"context"
	"testing"
)

// BenchmarkEpoch measures training throughput (examples/s) on synthetic
// data the size of the protocol's training set: 3,970 customers, 3,607
// products, ~300k examples.
func BenchmarkEpoch(b *testing.B) {
	d := synthData(3970, 3607, 40, 76, 0, 1)
	linear := DefaultConfig()
	linear.UserTower = []LayerSpec{Dense(linear.OutputDim, "linear")}
	linear.ItemTower = []LayerSpec{Dense(linear.OutputDim, "linear")}
	for name, cfg := range map[string]Config{"id-only": IDOnlyConfig(), "default": DefaultConfig(), "linear-towers": linear} {
		b.Run(name, func(b *testing.B) {
			cfg.Epochs = 1
			var eps float64
			for b.Loop() {
				m, err := Train(context.Background(), cfg, d, TrainOptions{})
				if err != nil {
					b.Fatal(err)
				}
				eps += m.Epochs()[0].ExamplesPerSec
			}
			b.ReportMetric(eps/float64(b.N), "examples/s")
		})
	}
}
