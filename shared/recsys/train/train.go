// Package train trains any model of the engine from its spec
// (`name[:key=value,...]`) on a data.Dataset and reports what it did: the
// hyperparameters it used, the wall time, the examples per second of the
// neural models. It is what `recs eval`, the local trainer and a worker
// call.
package train

import (
	"context"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/rank"
)

// Options apply to every model.
type Options struct {
	Seed uint64
	// Progress, when set, receives progress lines ("iteration 3/15", ...).
	Progress func(model, step string)
}

// Result is a trained model.
type Result struct {
	Spec    string
	Kind    string
	Scorer  eval.Scorer
	Params  map[string]any // the hyperparameters used, defaults included
	Seconds float64
	Extra   map[string]any // model-specific facts (epochs, examples/s, ...)
}

// All lists the specs `-models all` runs: every baseline and recommended.
func All() []string {
	return []string{"popularity", "popularity:days=30", "buy-again", "item-knn",
		"als:factors=64,reg=0.1,alpha=10,iters=15", "als:factors=128,reg=1,alpha=10,iters=15",
		"ease:lambda=200", "ease:lambda=500", "recommended"}
}

// Names are the model names a spec may use.
func Names() []string {
	return []string{"popularity", "buy-again", "item-knn", "als", "ease", "blend", "two-tower", "recommended"}
}

// Train trains the model a spec names.
func Train(ctx context.Context, ds *data.Dataset, spec string, opt Options) (*Result, error) {
	sp, err := models.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res := &Result{Spec: sp.Raw, Kind: sp.Name, Params: map[string]any{}, Extra: map[string]any{}}
	progress := func(step string) {
		if opt.Progress != nil {
			opt.Progress(sp.Raw, step)
		}
	}
	switch sp.Name {
	case "popularity":
		days, err := sp.Float("days", 0)
		if err != nil {
			return nil, err
		}
		if err := models.Range(sp, "days", days, 0, 36500); err != nil {
			return nil, err
		}
		since := int64(0)
		if days > 0 {
			since = ds.Cut - int64(days*86400)
		}
		res.Params["days"] = days
		res.Scorer = models.Popularity(ds, since)
	case "buy-again":
		res.Scorer = models.NewBuyAgain(ds, ds.Pairs())
	case "item-knn":
		res.Params["similarity"] = "cosine"
		res.Scorer = models.NewItemKNN(ds.Pairs().Matrix(data.MatrixOptions{Weighting: data.Binary}, ds.Cut))
	case "ease":
		res.Scorer, err = trainEASE(ds, sp, res.Params)
	case "als":
		res.Scorer, err = trainALS(ctx, ds, sp, opt, res.Params, progress)
	case "blend":
		res.Scorer, err = trainBlend(ctx, ds, sp, res.Params)
	case "two-tower", "twotower":
		err = trainTwoTower(ctx, ds, sp, res, opt, progress)
	case "recommended":
		var m *rank.Model
		cfg := rank.Config{Progress: progress}
		cfg.GBDT.Seed = opt.Seed
		m, err = rank.Train(ctx, ds, cfg)
		if m != nil {
			res.Scorer = m
			res.Params["config"] = m.Config()
			res.Extra["ranker_examples"] = m.Examples
		}
	default:
		return nil, errs.Userf(errs.Invalid, "unknown model %q (models: popularity, buy-again, item-knn, als, ease, blend, two-tower, recommended)", sp.Name)
	}
	if err != nil {
		return nil, err
	}
	if err := sp.Unused(); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func weighting(sp *models.Spec) (data.MatrixOptions, error) {
	days, err := sp.Float("tau", 30)
	if err != nil {
		return data.MatrixOptions{}, err
	}
	opt := data.MatrixOptions{Tau: days * 86400}
	switch w := sp.String("matrix", "binary"); w {
	case "binary":
		opt.Weighting = data.Binary
	case "counts":
		opt.Weighting = data.Counts
	case "log-counts", "logcounts", "log":
		opt.Weighting = data.LogCounts
	case "recency":
		opt.Weighting = data.Recency
	default:
		return opt, errs.Userf(errs.Invalid, "model %s: matrix=%q is not one of binary, counts, log-counts, recency", sp.Name, w)
	}
	return opt, nil
}

func trainEASE(ds *data.Dataset, sp *models.Spec, params map[string]any) (eval.Scorer, error) {
	lambda, err := sp.Float("lambda", 500)
	if err != nil {
		return nil, err
	}
	maxItems, err := sp.Int("max_items", models.DefaultEASEMaxItems)
	if err != nil {
		return nil, err
	}
	w, err := weighting(sp)
	if err != nil {
		return nil, err
	}
	params["lambda"], params["max_items"], params["matrix"] = lambda, maxItems, sp.String("matrix", "binary")
	return models.NewEASE(ds.Pairs().Matrix(w, ds.Cut), lambda, maxItems)
}

func trainALS(ctx context.Context, ds *data.Dataset, sp *models.Spec, opt Options, params map[string]any, progress func(string)) (eval.Scorer, error) {
	var cfg models.ALSConfig
	var err error
	if cfg.Factors, err = sp.Int("factors", 64); err != nil {
		return nil, err
	}
	if cfg.Reg, err = sp.Float("reg", 0.1); err != nil {
		return nil, err
	}
	if cfg.Alpha, err = sp.Float("alpha", 10); err != nil {
		return nil, err
	}
	if cfg.Iterations, err = sp.Int("iters", 15); err != nil {
		return nil, err
	}
	if cfg.CGSteps, err = sp.Int("cg", 3); err != nil {
		return nil, err
	}
	if err := models.Range(sp, "factors", cfg.Factors, 1, 1024); err != nil {
		return nil, err
	}
	if err := models.Range(sp, "iters", cfg.Iterations, 1, 1000); err != nil {
		return nil, err
	}
	w, err := weighting(sp)
	if err != nil {
		return nil, err
	}
	cfg.Seed = opt.Seed
	cfg.Progress = func(it int) { progress("iteration " + itoa(it)) }
	params["factors"], params["reg"], params["alpha"], params["iters"], params["cg"] = cfg.Factors, cfg.Reg, cfg.Alpha, cfg.Iterations, cfg.CGSteps
	return models.NewALS(ctx, ds.Pairs().Matrix(w, ds.Cut), cfg)
}
