package protocol

import (
	"context"
	"math"
	"testing"
)

const retail = "../../../sample-data/uci_online_retail/online_retail.csv.gz"

// TestQualityORTemporal runs every baseline and the recommended model on
// the protocol's split and pins the numbers: the reference table of
// eval-protocol.md (deterministic baselines within ±0.005, ALS within
// ±0.02) and the recommended model's own result (±0.01), which must reach
// recall@100 ≥ 0.48 and new_recall@100 ≥ 0.29.
func TestQualityORTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("quality run (about a minute)")
	}
	type want struct {
		r100, nr100, tol float64
	}
	pins := map[string]want{
		"popularity":         {0.193, 0.132, 0.005},
		"popularity:days=30": {0.239, 0.212, 0.005},
		"buy-again":          {0.422, 0.132, 0.005},
		"item-knn":           {0.310, 0.192, 0.005},
		"als:factors=64,reg=0.1,alpha=10,iters=15": {0.417, 0.226, 0.02},
		"ease:lambda=200":                          {0.435, 0.240, 0.005},
		"ease:lambda=500":                          {0.422, 0.252, 0.005},
		"recommended":                              {0.4929, 0.3122, 0.01},
	}
	var specs []string
	for s := range pins {
		specs = append(specs, s)
	}
	got := map[string]Line{}
	err := Run(context.Background(), Request{Data: retail, Protocol: "or-temporal", Split: "2011-11-01", Models: specs, Seed: 1},
		func(l Line) error {
			got[l.Model] = l
			t.Logf("%-45s recall@100 %.4f new_recall@100 %.4f (%.1f s, %.0f MB)", l.Model, l.Recall100, l.NewRecall100, l.TrainSeconds, l.PeakRSSMB)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	for spec, w := range pins {
		l, ok := got[spec]
		if !ok {
			t.Errorf("%s: no result", spec)
			continue
		}
		if l.Users != 1538 || l.NewUsers != 1440 {
			t.Errorf("%s: %d users, %d new users; want 1,538 and 1,440", spec, l.Users, l.NewUsers)
		}
		if math.Abs(l.Recall100-w.r100) > w.tol || math.Abs(l.NewRecall100-w.nr100) > w.tol {
			t.Errorf("%s: recall@100 %.4f new_recall@100 %.4f, want %.3f and %.3f ± %.3f", spec, l.Recall100, l.NewRecall100, w.r100, w.nr100, w.tol)
		}
	}
	rec := got["recommended"]
	if rec.Recall100 < 0.48 || rec.NewRecall100 < 0.29 {
		t.Errorf("recommended: recall@100 %.4f, new_recall@100 %.4f; the bar is 0.48 and 0.29", rec.Recall100, rec.NewRecall100)
	}
}
