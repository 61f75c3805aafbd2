// Package gbdt is a small gradient-boosted decision tree learner
// (histogram-based, depth-wise, binary log-loss), used as the platform's
// second-stage ranker: it orders candidate products for a customer from
// features such as the scores of the first-stage models, own purchase
// counts and recency. No maintained Go library trains boosted trees, so it
// is written here and tested against closed-form cases.
package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Config parameterises training.
type Config struct {
	Trees        int     `json:"trees"`         // boosting rounds (default 150)
	LearningRate float64 `json:"learning_rate"` // shrinkage (default 0.1)
	MaxDepth     int     `json:"max_depth"`     // depth of each tree (default 6)
	MinLeafHess  float64 `json:"min_leaf_hess"` // minimum hessian sum in a leaf (default 1)
	Lambda       float64 `json:"lambda"`        // L2 on leaf values (default 1)
	Bins         int     `json:"bins"`          // histogram bins per feature, at most 255 (default 63)
	Subsample    float64 `json:"subsample"`     // row fraction per tree (default 1)
	ColSample    float64 `json:"col_sample"`    // feature fraction per tree (default 1)
	Seed         uint64  `json:"seed"`
	// Progress, when set, is called after each tree with its number and the
	// training log-loss.
	Progress func(tree int, loss float64) `json:"-"`
}

// WithDefaults returns the config with every unset field at its default.
func (c Config) WithDefaults() Config {
	c.defaults()
	return c
}

func (c *Config) defaults() {
	if c.Trees <= 0 {
		c.Trees = 150
	}
	if c.LearningRate <= 0 {
		c.LearningRate = 0.1
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 6
	}
	if c.MinLeafHess <= 0 {
		c.MinLeafHess = 1
	}
	if c.Lambda < 0 {
		c.Lambda = 0
	} else if c.Lambda == 0 {
		c.Lambda = 1
	}
	if c.Bins <= 1 || c.Bins > 255 {
		c.Bins = 63
	}
	if c.Subsample <= 0 || c.Subsample > 1 {
		c.Subsample = 1
	}
	if c.ColSample <= 0 || c.ColSample > 1 {
		c.ColSample = 1
	}
}

// Dataset is the training input: Features[f][row] (NaN = missing),
// labels in {0, 1} and optional row weights (nil: all 1).
type Dataset struct {
	Names    []string
	Features [][]float32
	Labels   []float32
	Weights  []float32
}

// Model is a trained ensemble.
type Model struct {
	Names []string `json:"names"`
	Base  float64  `json:"base"` // initial log-odds
	Trees []Tree   `json:"trees"`
}

// Tree is a binary tree in arrays; node 0 is the root. A node with
// Feature < 0 is a leaf with value Value.
type Tree struct {
	Feature   []int32   `json:"f"`
	Threshold []float32 `json:"t"` // go left when x <= Threshold (missing goes left when MissingLeft)
	Left      []int32   `json:"l"`
	Right     []int32   `json:"r"`
	Value     []float32 `json:"v"`
	MissLeft  []bool    `json:"m"`

	splitBin []uint8 // the split's bin, during training
}

// Train fits a model.
func Train(ctx context.Context, d Dataset, cfg Config) (*Model, error) {
	cfg.defaults()
	nf := len(d.Features)
	if nf == 0 {
		return nil, errs.E(errs.Invalid, "gbdt: no features")
	}
	n := len(d.Labels)
	for f, col := range d.Features {
		if len(col) != n {
			return nil, errs.E(errs.Invalid, "gbdt: feature %d has %d rows, labels %d", f, len(col), n)
		}
	}
	if n == 0 {
		return nil, errs.E(errs.Invalid, "gbdt: no rows")
	}
	bins, cuts := binAll(d.Features, cfg.Bins)
	if d.Weights != nil && len(d.Weights) != n {
		return nil, errs.E(errs.Invalid, "gbdt: %d weights for %d rows", len(d.Weights), n)
	}
	weight := func(i int) float64 {
		if d.Weights == nil {
			return 1
		}
		return float64(d.Weights[i])
	}
	pos, tot := 0.0, 0.0
	for i, y := range d.Labels {
		pos += float64(y) * weight(i)
		tot += weight(i)
	}
	p0 := math.Min(math.Max(pos/tot, 1e-6), 1-1e-6)
	m := &Model{Names: d.Names, Base: math.Log(p0 / (1 - p0))}
	F := make([]float64, n)
	for i := range F {
		F[i] = m.Base
	}
	g := make([]float64, n)
	h := make([]float64, n)
	r := rand.New(rand.NewPCG(cfg.Seed, 0xb005))
	rows := make([]int32, 0, n)
	b := &builder{bins: bins, cuts: cuts, g: g, h: h, cfg: cfg, nf: nf}
	b.prepare()
	for t := 0; t < cfg.Trees; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loss := 0.0
		for i := range F {
			p := 1 / (1 + math.Exp(-F[i]))
			y := float64(d.Labels[i])
			w := weight(i)
			g[i] = (p - y) * w
			h[i] = math.Max(p*(1-p), 1e-12) * w
			if cfg.Progress == nil {
				continue
			}
			if y > 0 {
				loss -= w * math.Log(math.Max(p, 1e-15))
			} else {
				loss -= w * math.Log(math.Max(1-p, 1e-15))
			}
		}
		rows = rows[:0]
		for i := 0; i < n; i++ {
			if cfg.Subsample >= 1 || r.Float64() < cfg.Subsample {
				rows = append(rows, int32(i))
			}
		}
		b.feats = b.feats[:0]
		for f := 0; f < nf; f++ {
			if cfg.ColSample >= 1 || r.Float64() < cfg.ColSample {
				b.feats = append(b.feats, f)
			}
		}
		if len(b.feats) == 0 {
			b.feats = append(b.feats, r.IntN(nf))
		}
		tree := b.build(rows)
		// update all rows (not just the sample) with the tree
		for i := range F {
			F[i] += float64(tree.valueBinned(bins, i))
		}
		m.Trees = append(m.Trees, tree)
		if cfg.Progress != nil {
			cfg.Progress(t+1, loss/tot)
		}
	}
	return m, nil
}

// Predict returns the log-odds for one row of raw features.
func (m *Model) Predict(x []float32) float64 {
	s := m.Base
	for k := range m.Trees {
		s += float64(m.Trees[k].value(x))
	}
	return s
}

func (t *Tree) value(x []float32) float32 {
	n := int32(0)
	for t.Feature[n] >= 0 {
		v := x[t.Feature[n]]
		if v != v { // NaN
			if t.MissLeft[n] {
				n = t.Left[n]
			} else {
				n = t.Right[n]
			}
			continue
		}
		if v <= t.Threshold[n] {
			n = t.Left[n]
		} else {
			n = t.Right[n]
		}
	}
	return t.Value[n]
}

// binned trees keep the bin of each split in Threshold's place during training
func (t *Tree) valueBinned(bins [][]uint8, row int) float32 {
	n := int32(0)
	for t.Feature[n] >= 0 {
		b := bins[t.Feature[n]][row]
		if b == 0 {
			if t.MissLeft[n] {
				n = t.Left[n]
			} else {
				n = t.Right[n]
			}
			continue
		}
		if int(b) <= int(t.bin(n)) {
			n = t.Left[n]
		} else {
			n = t.Right[n]
		}
	}
	return t.Value[n]
}

// bin returns the split bin of node n; it is stored during training in a
// side table (thresholds hold the real value).
func (t *Tree) bin(n int32) uint8 { return t.splitBin[n] }

// binAll quantises every feature: bin 0 is missing, bins 1..k follow the
// quantile cuts (value <= cuts[b-1] → bin b).
func binAll(feats [][]float32, maxBins int) ([][]uint8, [][]float32) {
	bins := make([][]uint8, len(feats))
	cuts := make([][]float32, len(feats))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for f := range feats {
		wg.Add(1)
		sem <- struct{}{}
		go func(f int) {
			defer wg.Done()
			defer func() { <-sem }()
			col := feats[f]
			cuts[f] = quantileCuts(col, maxBins)
			c := cuts[f]
			b := make([]uint8, len(col))
			for i, v := range col {
				if v != v {
					continue
				}
				b[i] = uint8(sort.Search(len(c), func(k int) bool { return v <= c[k] }) + 1)
			}
			bins[f] = b
		}(f)
	}
	wg.Wait()
	return bins, cuts
}

// quantileCuts returns up to maxBins-1 ascending cut values; the last bin
// holds everything above the last cut.
func quantileCuts(col []float32, maxBins int) []float32 {
	vals := make([]float32, 0, len(col))
	step := 1
	if len(col) > 200000 {
		step = len(col) / 200000
	}
	for i := 0; i < len(col); i += step {
		if v := col[i]; v == v {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	sort.Slice(vals, func(a, b int) bool { return vals[a] < vals[b] })
	// distinct values
	distinct := vals[:1]
	for _, v := range vals[1:] {
		if v != distinct[len(distinct)-1] {
			distinct = append(distinct, v)
		}
	}
	if len(distinct) <= maxBins-1 {
		return append([]float32(nil), distinct...)
	}
	var cuts []float32
	for k := 1; k < maxBins; k++ {
		v := vals[k*len(vals)/maxBins]
		if len(cuts) == 0 || v > cuts[len(cuts)-1] {
			cuts = append(cuts, v)
		}
	}
	return cuts
}
