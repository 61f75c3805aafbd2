package models

import (
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/linalg"
)

// EASE is Steck's "Embarrassingly Shallow Autoencoder" (WWW 2019): an
// item-item weight matrix B = I - P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, with a
// zero diagonal. The closed form needs a dense items × items inverse, so the
// catalogue is capped at MaxItems (about 8·MaxItems² bytes of memory); above
// it the model keeps the MaxItems most popular products as candidates and
// inputs (the others score lowest).
type EASE struct {
	x    *data.CSR
	w    []float32 // m×m over the kept items (float32: half the memory and model file)
	keep []int32   // kept item → catalogue item (nil: all)
	pos  []int32   // catalogue item → kept index or -1
	m    int
}

// DefaultEASEMaxItems is the catalogue size above which EASE keeps only the
// most popular products (20,000 items take 3.2 GB for the dense inverse).
const DefaultEASEMaxItems = 20000

// NewEASE trains EASE on x with regularisation lambda.
func NewEASE(x *data.CSR, lambda float64, maxItems int) (*EASE, error) {
	if lambda <= 0 {
		return nil, errs.Userf(errs.Invalid, "EASE needs lambda > 0 (got %g)", lambda)
	}
	if maxItems <= 0 {
		maxItems = DefaultEASEMaxItems
	}
	e := &EASE{x: x}
	xs := x
	if x.Cols > maxItems {
		e.keep, e.pos = topColumns(x, maxItems)
		xs = selectColumns(x, e.pos, len(e.keep))
	}
	m := xs.Cols
	g := Gram(xs)
	for i := 0; i < m; i++ {
		g[i*m+i] += lambda
	}
	if err := linalg.InvertSPD(g, m); err != nil {
		return nil, err
	}
	// B[i][j] = -P[i][j] / P[j][j], B[j][j] = 0
	diag := make([]float64, m)
	for j := 0; j < m; j++ {
		diag[j] = g[j*m+j]
	}
	w := make([]float32, m*m)
	for i := 0; i < m; i++ {
		row := g[i*m : i*m+m]
		out := w[i*m : i*m+m]
		for j := range row {
			out[j] = float32(-row[j] / diag[j])
		}
		out[i] = 0
	}
	e.w, e.m = w, m
	return e, nil
}

// Weights returns the kept item-item weight matrix (row-major, m×m) and m.
func (e *EASE) Weights() ([]float32, int) { return e.w, e.m }

// Score fills dst.
func (e *EASE) Score(u int, dst []float64) {
	if e.keep == nil {
		rowTimes32(e.x, u, e.w, e.m, dst)
		return
	}
	buf := make([]float64, e.m)
	idx, val := e.x.Row(u)
	for k, j := range idx {
		if p := e.pos[j]; p >= 0 {
			axpy32(val[k], e.w[int(p)*e.m:int(p)*e.m+e.m], buf)
		}
	}
	for i := range dst {
		dst[i] = -1e30
	}
	for p, i := range e.keep {
		dst[i] = buf[p]
	}
}

// topColumns keeps the n columns with the most entries, in catalogue order.
func topColumns(x *data.CSR, n int) (keep, pos []int32) {
	cnt := make([]int, x.Cols)
	for _, c := range x.Idx {
		cnt[c]++
	}
	order := make([]int32, x.Cols)
	for i := range order {
		order[i] = int32(i)
	}
	sortByDesc(order, func(i int32) float64 { return float64(cnt[i]) })
	chosen := make([]bool, x.Cols)
	for _, i := range order[:n] {
		chosen[i] = true
	}
	pos = make([]int32, x.Cols)
	for i := range pos {
		pos[i] = -1
		if chosen[i] {
			pos[i] = int32(len(keep))
			keep = append(keep, int32(i))
		}
	}
	return keep, pos
}

func selectColumns(x *data.CSR, pos []int32, m int) *data.CSR {
	out := &data.CSR{Rows: x.Rows, Cols: m, Ptr: make([]int32, x.Rows+1)}
	for r := 0; r < x.Rows; r++ {
		idx, val := x.Row(r)
		for k, c := range idx {
			if p := pos[c]; p >= 0 {
				out.Idx = append(out.Idx, p)
				out.Val = append(out.Val, val[k])
			}
		}
		out.Ptr[r+1] = int32(len(out.Idx))
	}
	return out
}
