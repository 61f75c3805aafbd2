package train

import (
	"context"
	"fmt"
	"sort"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/twotower"
)

// trainTwoTower builds `two-tower[:preset=default|id-only,key=value,...]`:
// the preset's config with each key set through twotower.Config.Set
// (epochs, batch, lr, optimizer, dim, temperature, logq, history, ... or
// the config's JSON field names). Each epoch's loss and examples/s go to
// the progress callback and into the result.
func trainTwoTower(ctx context.Context, ds *data.Dataset, sp *models.Spec, res *Result, opt Options, progress func(string)) error {
	cfg, err := twotower.Preset(sp.String("preset", "default"))
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(sp.Params))
	for k := range sp.Params {
		if k != "preset" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := cfg.Set(k, sp.String(k, "")); err != nil {
			return err
		}
	}
	if _, ok := sp.Params["seed"]; !ok && opt.Seed != 0 {
		cfg.Seed = opt.Seed
	}
	var epochs []twotower.EpochStats
	m, err := twotower.Train(ctx, cfg, twotower.FromDataset(ds), twotower.TrainOptions{
		OnEpoch: func(e twotower.EpochStats) error {
			epochs = append(epochs, e)
			progress(fmt.Sprintf("epoch %d/%d: loss %.4f, %.0f examples/s", e.Epoch, cfg.Epochs, e.Loss, e.ExamplesPerSec))
			return nil
		},
	})
	if err != nil {
		return err
	}
	res.Scorer = m
	res.Params["config"] = m.Config()
	res.Extra["epochs"] = epochs
	if n := len(epochs); n > 0 {
		total := 0.0
		for _, e := range epochs {
			total += e.ExamplesPerSec
		}
		res.Extra["examples_per_sec"] = total / float64(n)
		res.Extra["examples"] = epochs[0].Examples
	}
	return nil
}
