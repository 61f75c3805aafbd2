// Package rank is the platform's recommended model for B2B order data: a
// two-stage recommender. The first stage (EASE on the binary and on a
// recency-weighted matrix, popularity) proposes candidates: every product
// the customer bought before, plus the best others. The second stage, a
// gradient-boosted tree ranker, orders them from features of the
// candidate (first-stage scores and ranks, the customer's own purchase
// count, recency and rhythm, popularity and its trend, popularity in the
// customer's country, price, product age, affinity with the last basket).
//
// Every weight is learned on a validation window inside the training
// period: the first stage is trained on the data before the window, the
// ranker learns which candidates were bought in the window, and then the
// first stage is retrained on all the data. Nothing looks at the test
// period.
package rank

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/gbdt"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
)

// Config is the recommended model's configuration. The zero value takes
// the defaults.
type Config struct {
	ValidationDays float64     `json:"validation_days"` // length of the validation window at the end of training (default 30)
	Windows        int         `json:"windows"`         // how many consecutive validation windows train the ranker (default 2)
	Candidates     int         `json:"candidates"`      // other products proposed per customer beside their own (default 150)
	Lambda         float64     `json:"lambda"`          // EASE regularisation (default 500)
	RecencyDays    float64     `json:"recency_days"`    // time constant of the recency-weighted matrix (default 30)
	MaxItems       int         `json:"max_items"`       // EASE catalogue limit (default models.DefaultEASEMaxItems)
	GBDT           gbdt.Config `json:"ranker"`
	// Progress, when set, receives one line per step.
	Progress func(step string) `json:"-"`
}

func (c *Config) defaults() {
	if c.ValidationDays <= 0 {
		c.ValidationDays = 30
	}
	if c.Windows <= 0 {
		c.Windows = 2
	}
	if c.Candidates <= 0 {
		c.Candidates = 150
	}
	if c.Lambda <= 0 {
		c.Lambda = 500
	}
	if c.RecencyDays <= 0 {
		c.RecencyDays = 30
	}
	if c.GBDT.Trees == 0 {
		c.GBDT.Trees = 150
	}
	if c.GBDT.MaxDepth == 0 {
		c.GBDT.MaxDepth = 6
	}
	if c.GBDT.LearningRate == 0 {
		c.GBDT.LearningRate = 0.1
	}
	if c.GBDT.MinLeafHess == 0 {
		c.GBDT.MinLeafHess = 5
	}
	if c.GBDT.Subsample == 0 {
		c.GBDT.Subsample = 0.5
	}
	if c.MaxItems <= 0 {
		c.MaxItems = models.DefaultEASEMaxItems
	}
	c.GBDT = c.GBDT.WithDefaults()
}

// Model is a trained recommended model.
type Model struct {
	s1     *stage1
	ranker *gbdt.Model
	pool   sync.Pool
	// Examples is the number of (customer, candidate) rows the ranker learned from.
	Examples int
}

// Train trains the model on ds (its training rows; ds.Test is not read).
func Train(ctx context.Context, ds *data.Dataset, cfg Config) (*Model, error) {
	cfg.defaults()
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf(format, args...))
		}
	}
	var train gbdt.Dataset
	train.Names = featureNames()
	train.Features = make([][]float32, len(train.Names))
	// the training log only: rows before the cut
	log := ds.Log.Filter(func(k int) bool { return ds.Log.Time[k] < ds.Cut })
	for w := 0; w < cfg.Windows; w++ {
		end := ds.Cut - int64(float64(w)*cfg.ValidationDays*day)
		start := end - int64(cfg.ValidationDays*day)
		vds, err := data.Split(log, start, end)
		if err != nil {
			return nil, errs.WrapField(errs.Invalid, err, "", "the training data is too short for a %g-day validation window", cfg.ValidationDays)
		}
		say("validation window %d: first stage on %d rows", w+1, vds.Train.Len())
		s1, err := newStage1(ctx, vds, cfg)
		if err != nil {
			return nil, err
		}
		n := appendExamples(ctx, s1, vds, &train)
		say("validation window %d: %d candidate rows", w+1, n)
	}
	if len(train.Labels) == 0 {
		return nil, errs.Userf(errs.Invalid, "no customer bought a known product in the validation window: the ranker has nothing to learn from")
	}
	// rows are weighted 1/|bought in the window| per customer, as recall averages per customer;
	// rescale so the weights sum to the number of rows (the leaf size limit stays meaningful)
	sum := 0.0
	for _, w := range train.Weights {
		sum += float64(w)
	}
	for k := range train.Weights {
		train.Weights[k] *= float32(float64(len(train.Weights)) / sum)
	}
	g := cfg.GBDT
	g.Progress = nil
	ranker, err := gbdt.Train(ctx, train, g)
	if err != nil {
		return nil, err
	}
	say("ranker: %d trees on %d rows", len(ranker.Trees), len(train.Labels))
	s1, err := newStage1(ctx, ds, cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{s1: s1, ranker: ranker, Examples: len(train.Labels)}
	m.pool.New = func() any { return s1.newScratch() }
	return m, nil
}

// appendExamples adds the candidate rows of every user with a purchase in
// the validation window, labelled 1 when the candidate was bought there.
func appendExamples(ctx context.Context, s1 *stage1, vds *data.Dataset, out *gbdt.Dataset) int {
	users, truth := vds.Truth()
	type part struct {
		cols            [][]float32
		labels, weights []float32
	}
	parts := make([]part, len(users))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sc := s1.newScratch()
			bought := make([]bool, s1.nItems)
			for k := w; k < len(users); k += workers {
				if ctx.Err() != nil {
					return
				}
				u := int(users[k])
				for _, i := range truth[k] {
					bought[i] = true
				}
				p := &parts[k]
				p.cols = make([][]float32, len(featureNames()))
				cands := s1.candidates(u, sc)
				w := float32(1 / float64(len(truth[k])))
				s1.features(u, cands, sc, func(i int32, f []float32) {
					p.weights = append(p.weights, w)
					for j, v := range f {
						p.cols[j] = append(p.cols[j], v)
					}
					if bought[i] {
						p.labels = append(p.labels, 1)
					} else {
						p.labels = append(p.labels, 0)
					}
				})
				for _, i := range truth[k] {
					bought[i] = false
				}
			}
		}(w)
	}
	wg.Wait()
	n := 0
	for _, p := range parts {
		for j := range p.cols {
			out.Features[j] = append(out.Features[j], p.cols[j]...)
		}
		out.Labels = append(out.Labels, p.labels...)
		out.Weights = append(out.Weights, p.weights...)
		n += len(p.labels)
	}
	return n
}

// Score fills dst with the model's scores: the ranked candidates first,
// then every other product by the first-stage blend.
func (m *Model) Score(u int, dst []float64) {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	cands := m.s1.candidates(u, sc)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range sc.blend {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	// non-candidates: the blend squeezed below every candidate
	for i, v := range sc.blend {
		dst[i] = -1e6 + (v-lo)/math.Max(hi-lo, 1e-12)
	}
	m.s1.features(u, cands, sc, func(i int32, f []float32) {
		dst[i] = m.ranker.Predict(f)
	})
}

// Config returns the configuration the model was trained with, defaults filled in.
func (m *Model) Config() Config { return m.s1.cfg }
