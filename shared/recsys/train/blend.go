package train

import (
	"context"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/twotower"
)

// trainBlend builds `blend:` specs. Component weights (0 = left out):
// ease (EASE on the binary matrix), ease_recency (EASE on the
// recency-weighted matrix, time constant tau days), ease_log (EASE on
// log-counts), knn (item-kNN), pop (popularity), pop_recent (popularity of
// the last `days` days), als (64 factors), two_tower (the default neural
// two-tower, tt_epochs epochs, 15); lambda is EASE's
// regularisation. own and recent weight log(1 + own invoice count) and
// exp(-days since own last purchase / recent_days).
func trainBlend(ctx context.Context, ds *data.Dataset, sp *models.Spec, params map[string]any) (eval.Scorer, error) {
	defaults := []struct {
		key string
		def float64
	}{{"lambda", 500}, {"tau", 30}, {"days", 30}, {"recent_days", 90}, {"ease", 0}, {"ease_recency", 0}, {"ease_log", 0},
		{"knn", 0}, {"pop", 0}, {"pop_recent", 0}, {"als", 0}, {"two_tower", 0}, {"tt_epochs", 15}, {"own", 0}, {"recent", 0}}
	for _, d := range defaults {
		v, err := sp.Float(d.key, d.def)
		if err != nil {
			return nil, err
		}
		params[d.key] = v
	}
	pairs := ds.Pairs()
	lambda := params["lambda"].(float64)
	var parts []models.Part
	add := func(key string, build func() (eval.Scorer, error)) error {
		w := params[key].(float64)
		if w == 0 {
			return nil
		}
		s, err := build()
		if err != nil {
			return err
		}
		parts = append(parts, models.Part{Scorer: s, Weight: w})
		return nil
	}
	ease := func(opt data.MatrixOptions) func() (eval.Scorer, error) {
		return func() (eval.Scorer, error) { return models.NewEASE(pairs.Matrix(opt, ds.Cut), lambda, 0) }
	}
	steps := []struct {
		key   string
		build func() (eval.Scorer, error)
	}{
		{"ease", ease(data.MatrixOptions{Weighting: data.Binary})},
		{"ease_recency", ease(data.MatrixOptions{Weighting: data.Recency, Tau: params["tau"].(float64) * 86400})},
		{"ease_log", ease(data.MatrixOptions{Weighting: data.LogCounts})},
		{"knn", func() (eval.Scorer, error) {
			return models.NewItemKNN(pairs.Matrix(data.MatrixOptions{Weighting: data.Binary}, ds.Cut)), nil
		}},
		{"pop", func() (eval.Scorer, error) { return models.Popularity(ds, 0), nil }},
		{"pop_recent", func() (eval.Scorer, error) {
			return models.Popularity(ds, ds.Cut-int64(params["days"].(float64)*86400)), nil
		}},
		{"two_tower", func() (eval.Scorer, error) {
			cfg := twotower.DefaultConfig()
			cfg.Epochs = int(params["tt_epochs"].(float64))
			return twotower.Train(ctx, cfg, twotower.FromDataset(ds), twotower.TrainOptions{})
		}},
		{"als", func() (eval.Scorer, error) {
			return models.NewALS(ctx, pairs.Matrix(data.MatrixOptions{Weighting: data.Binary}, ds.Cut),
				models.ALSConfig{Factors: 64, Reg: 0.1, Alpha: 10, Iterations: 15})
		}},
	}
	for _, s := range steps {
		if err := add(s.key, s.build); err != nil {
			return nil, err
		}
	}
	own, recent := params["own"].(float64), params["recent"].(float64)
	if len(parts) == 0 && own == 0 && recent == 0 {
		return nil, errs.Userf(errs.Invalid, "model blend has no component: give at least one weight (ease, ease_recency, ease_log, knn, pop, pop_recent, als, two_tower, own, recent)")
	}
	return models.NewBlend(ds, pairs, parts, own, recent, params["recent_days"].(float64)), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
