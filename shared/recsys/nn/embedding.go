package nn

import "math/rand/v2"

// Embedding is a lookup table of Rows vectors of width Dim with sparse
// gradients: only the rows touched since the last optimizer step carry a
// gradient, and the optimizers update only those rows (lazy updates).
//
// Index -1 (or any negative index) stands for "no value": it reads as a zero
// vector and receives no gradient.
type Embedding struct {
	Name      string
	Rows, Dim int
	W         []float32

	touched []int32 // rows with a gradient, in first-touch order
	slot    []int32 // row -> position in touched, -1 when untouched
	g       []float32
}

// NewEmbedding returns a table initialised with N(0, std²).
func NewEmbedding(name string, rows, dim int, std float64, rng *rand.Rand) *Embedding {
	e := &Embedding{Name: name, Rows: rows, Dim: dim, W: make([]float32, rows*dim), slot: make([]int32, rows)}
	for i := range e.slot {
		e.slot[i] = -1
	}
	if std > 0 {
		Normal(e.W, std, rng)
	}
	return e
}

// Row returns row r of the table.
func (e *Embedding) Row(r int) []float32 { return e.W[r*e.Dim : (r+1)*e.Dim] }

// Touched lists the rows that carry a gradient.
func (e *Embedding) Touched() []int32 { return e.touched }

// GradRow returns the gradient of row r, registering the row as touched
// (with a zero gradient) on first use.
func (e *Embedding) GradRow(r int32) []float32 {
	s := e.slot[r]
	if s < 0 {
		s = int32(len(e.touched))
		e.slot[r] = s
		e.touched = append(e.touched, r)
		n := len(e.touched) * e.Dim
		if cap(e.g) < n {
			g := make([]float32, n, 2*n)
			copy(g, e.g)
			e.g = g
		} else {
			e.g = e.g[:n]
			clear(e.g[n-e.Dim:])
		}
	}
	return e.g[int(s)*e.Dim : int(s+1)*e.Dim]
}

// gradAt returns the gradient of the k-th touched row.
func (e *Embedding) gradAt(k int) []float32 { return e.g[k*e.Dim : (k+1)*e.Dim] }

// ZeroGrad forgets all row gradients.
func (e *Embedding) ZeroGrad() {
	for _, r := range e.touched {
		e.slot[r] = -1
	}
	e.touched = e.touched[:0]
	e.g = e.g[:0]
}

// Gather writes row idx[i] of the table into columns [col, col+Dim) of
// dst's row i.
func (e *Embedding) Gather(idx []int32, dst Mat, col int) {
	for i, r := range idx {
		out := dst.Data[i*dst.Cols+col : i*dst.Cols+col+e.Dim]
		if r < 0 {
			clear(out)
			continue
		}
		copy(out, e.W[int(r)*e.Dim:int(r+1)*e.Dim])
	}
}

// ScatterGrad adds columns [col, col+Dim) of dy's row i to the gradient of
// row idx[i]: the backward pass of Gather.
func (e *Embedding) ScatterGrad(idx []int32, dy Mat, col int) {
	for i, r := range idx {
		if r < 0 {
			continue
		}
		Axpy(1, dy.Data[i*dy.Cols+col:i*dy.Cols+col+e.Dim], e.GradRow(r))
	}
}

// BagMean writes, for each example i, the mean of the rows
// items[off[i]:off[i+1]] into columns [col, col+Dim) of dst's row i (zeros
// for an empty bag). Negative items are skipped and do not count.
func (e *Embedding) BagMean(off []int32, items []int32, dst Mat, col int) {
	for i := 0; i+1 < len(off); i++ {
		out := dst.Data[i*dst.Cols+col : i*dst.Cols+col+e.Dim]
		clear(out)
		n := 0
		for _, r := range items[off[i]:off[i+1]] {
			if r < 0 {
				continue
			}
			n++
			Axpy(1, e.W[int(r)*e.Dim:int(r+1)*e.Dim], out)
		}
		if n > 1 {
			inv := 1 / float32(n)
			for k := range out {
				out[k] *= inv
			}
		}
	}
}

// BagMeanGrad is the backward pass of BagMean: each item of bag i receives
// dy's row i (columns [col, col+Dim)) divided by the bag size.
func (e *Embedding) BagMeanGrad(off []int32, items []int32, dy Mat, col int) {
	for i := 0; i+1 < len(off); i++ {
		bag := items[off[i]:off[i+1]]
		n := 0
		for _, r := range bag {
			if r >= 0 {
				n++
			}
		}
		if n == 0 {
			continue
		}
		inv := 1 / float32(n)
		d := dy.Data[i*dy.Cols+col : i*dy.Cols+col+e.Dim]
		for _, r := range bag {
			if r < 0 {
				continue
			}
			Axpy(inv, d, e.GradRow(r))
		}
	}
}
