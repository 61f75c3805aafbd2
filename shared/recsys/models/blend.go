package models

import (
	"math"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
)

// Part is one weighted component of a blend.
type Part struct {
	Scorer eval.Scorer
	Weight float64
}

// Blend is a model made of others: the sum of each component's scores
// z-scored per user (mean 0, standard deviation 1 over the catalogue) times
// its weight, plus, on the customer's own products, Own × log(1 + invoice
// count) and Recent × exp(-days since the customer last bought it / RecentDays).
type Blend struct {
	Parts      []Part
	Own        float64
	Recent     float64
	RecentDays float64
	pairs      *data.PairStats
	cut        int64
	n          int
}

// NewBlend returns a blend over the dataset's catalogue.
func NewBlend(ds *data.Dataset, pairs *data.PairStats, parts []Part, own, recent, recentDays float64) *Blend {
	if recentDays <= 0 {
		recentDays = 90
	}
	return &Blend{Parts: parts, Own: own, Recent: recent, RecentDays: recentDays, pairs: pairs, cut: ds.Cut, n: ds.NumItems()}
}

// Score fills dst.
func (b *Blend) Score(u int, dst []float64) {
	clear(dst)
	buf := make([]float64, b.n)
	for _, p := range b.Parts {
		if p.Weight == 0 {
			continue
		}
		p.Scorer.Score(u, buf)
		ZScore(buf)
		axpy(p.Weight, buf, dst)
	}
	if b.Own == 0 && b.Recent == 0 {
		return
	}
	idx, cnt := b.pairs.Row(u)
	last := b.pairs.Last[b.pairs.Ptr[u]:b.pairs.Ptr[u+1]]
	for k, i := range idx {
		days := float64(b.cut-last[k]) / 86400
		dst[i] += b.Own*math.Log1p(cnt[k]) + b.Recent*math.Exp(-days/b.RecentDays)
	}
}

// ZScore standardises v in place (a flat vector becomes zeros).
func ZScore(v []float64) {
	m, sd := MeanStd(v)
	for i, x := range v {
		v[i] = (x - m) / sd
	}
}

// MeanStd returns the mean and the (population) standard deviation of v;
// the deviation is 1 for a flat vector, so dividing by it is always safe.
func MeanStd(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	sd = math.Sqrt(sd / float64(len(v)))
	if sd == 0 {
		sd = 1
	}
	return mean, sd
}
