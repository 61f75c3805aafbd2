package models

import (
	"math"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"gonum.org/v1/gonum/floats"
)

// Vector is a scorer that gives every user the same item scores.
type Vector []float64

// Score copies the vector.
func (v Vector) Score(_ int, dst []float64) { copy(dst, v) }

// Popularity counts the distinct buyers of each item among the training rows
// at or after since (unix seconds; 0 = all of train).
func Popularity(ds *data.Dataset, since int64) Vector {
	p := ds.Pairs()
	v := make(Vector, ds.NumItems())
	for k, i := range p.Idx {
		if p.Last[k] >= since {
			v[i]++
		}
	}
	return v
}

// BuyAgain ranks a user's own products by the number of invoices they
// appeared on, then by the last time bought, then every other product by
// popularity.
type BuyAgain struct {
	pairs *data.PairStats
	pop   Vector
	t0    int64
}

// NewBuyAgain prepares the scorer.
func NewBuyAgain(ds *data.Dataset, pairs *data.PairStats) *BuyAgain {
	first, _ := ds.Log.Span()
	return &BuyAgain{pairs: pairs, pop: Popularity(ds, 0), t0: first}
}

// Score fills dst.
func (b *BuyAgain) Score(u int, dst []float64) {
	copy(dst, b.pop) // < 1e7
	idx, cnt := b.pairs.Row(u)
	last := b.pairs.Last[b.pairs.Ptr[u]:b.pairs.Ptr[u+1]]
	for k, i := range idx {
		// invoice count dominates, then recency in seconds since the log began (< 1e9)
		dst[i] = 1e13 + cnt[k]*1e9 + float64(last[k]-b.t0)
	}
}

// ItemKNN scores by the sum of cosine similarities (on the binary matrix)
// between a candidate and the user's products.
type ItemKNN struct {
	x   *data.CSR
	sim []float32 // items × items, row-major
	n   int
}

// NewItemKNN computes the item-item cosine similarities. The diagonal is
// kept at zero: a product does not recommend itself.
func NewItemKNN(x *data.CSR) *ItemKNN { return &ItemKNN{x: x, sim: Cosine(x), n: x.Cols} }

// Cosine returns the item-item cosine similarities of x's columns
// (row-major items × items, float32), with a zero diagonal.
func Cosine(x *data.CSR) []float32 {
	n := x.Cols
	g := Gram(x)
	norm := make([]float64, n)
	for i := 0; i < n; i++ {
		norm[i] = math.Sqrt(g[i*n+i])
	}
	sim := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j && norm[i] != 0 && norm[j] != 0 {
				sim[i*n+j] = float32(g[i*n+j] / (norm[i] * norm[j]))
			}
		}
	}
	return sim
}

// Score fills dst.
func (m *ItemKNN) Score(u int, dst []float64) { rowTimes32(m.x, u, m.sim, m.n, dst) }

// rowTimes32 sets dst = x[u,:] · w for a dense n×n float32 w.
func rowTimes32(x *data.CSR, u int, w []float32, n int, dst []float64) {
	clear(dst)
	idx, val := x.Row(u)
	for k, j := range idx {
		axpy32(val[k], w[int(j)*n:int(j)*n+n], dst)
	}
}

// AddF32 sets y += x for a float32 x.
func AddF32(y []float64, x []float32) { axpy32(1, x, y) }

// axpy32 sets y += a·x for a float32 x.
func axpy32(a float64, x []float32, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * float64(v)
	}
}

// axpy sets y += a·x (gonum's assembly kernel).
func axpy(a float64, x, y []float64) { floats.AddScaled(y[:len(x)], a, x) }

// Gram returns xᵀx as a dense items × items row-major matrix.
func Gram(x *data.CSR) []float64 {
	n := x.Cols
	g := make([]float64, n*n)
	for u := 0; u < x.Rows; u++ {
		idx, val := x.Row(u)
		for a, i := range idx {
			row := g[int(i)*n:]
			va := val[a]
			for b, j := range idx {
				row[j] += va * val[b]
			}
		}
	}
	return g
}
