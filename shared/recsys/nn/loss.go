package nn

import (
	"math"
	"slices"
)

// SoftmaxRetrieval is the retrieval loss of a two-tower model: each query
// row i is classified against all candidate rows, the positive being
// candidate i (in-batch softmax cross-entropy, as TFRS's Retrieval task),
// averaged over the rows (weighted when weights are given).
//
// Candidates beyond the first len(queries) are extra negatives (for example
// sampled ones). A candidate whose id equals row i's positive id, other than
// candidate i itself, is an accidental hit; it is left out of row i's
// softmax when RemoveAccidentalHits is set. When logQ is given, logQ[j]
// (the log of candidate j's expected count in the candidate set) is
// subtracted from column j's logits: the sampling-bias correction of Yi et
// al. (2019).
type SoftmaxRetrieval struct {
	// Temperature divides the logits; 0 means 1.
	Temperature          float32
	RemoveAccidentalHits bool
	// Workers splits the softmax rows over goroutines; 0 means Workers().
	Workers int

	logits Mat
	order  []int32
	rowL   []float64
}

// Loss returns the mean loss of queries q (B×D) against candidates c (C×D,
// C ≥ B) and writes its gradients into dq (B×D) and dc (C×D), overwriting
// them. ids (len C) are the candidates' item ids; logQ (len C) and weights
// (len B) may be nil.
func (s *SoftmaxRetrieval) Loss(q, c Mat, ids []int32, logQ, weights []float32, dq, dc Mat) float64 {
	b, nc := q.Rows, c.Rows
	if b == 0 {
		dc.Zero()
		return 0
	}
	invT := float32(1)
	if s.Temperature > 0 {
		invT = 1 / s.Temperature
	}
	s.logits = Resize(s.logits, b, nc)
	MatMul(s.logits, q, c, false, true, invT, 0)

	// Group candidate columns by id for accidental-hit masking.
	var groupOf func(id int32) []int32
	if s.RemoveAccidentalHits {
		s.order = s.order[:0]
		for j := range nc {
			s.order = append(s.order, int32(j))
		}
		slices.SortFunc(s.order, func(x, y int32) int {
			if d := int(ids[x]) - int(ids[y]); d != 0 {
				return d
			}
			return int(x) - int(y)
		})
		groupOf = func(id int32) []int32 {
			lo, _ := slices.BinarySearchFunc(s.order, id, func(j, id int32) int { return int(ids[j]) - int(id) })
			hi := lo
			for hi < len(s.order) && ids[s.order[hi]] == id {
				hi++
			}
			return s.order[lo:hi]
		}
	}
	var wsum float64
	if weights == nil {
		wsum = float64(b)
	} else {
		for _, w := range weights[:b] {
			wsum += float64(w)
		}
	}
	if wsum == 0 {
		dq.Zero()
		dc.Zero()
		return 0
	}
	workers := s.Workers
	if workers <= 0 {
		workers = Workers()
	}
	if b < 64 {
		workers = 1
	}
	if cap(s.rowL) < b {
		s.rowL = make([]float64, b)
	}
	s.rowL = s.rowL[:b]
	negInf := float32(math.Inf(-1))
	ParallelFor(b, workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := s.logits.Row(i)
			if logQ != nil {
				for j, v := range logQ[:nc] {
					row[j] -= v
				}
			}
			if groupOf != nil {
				for _, j := range groupOf(ids[i]) {
					if int(j) != i {
						row[j] = negInf
					}
				}
			}
			m := rowMax(row)
			posShift := float64(row[i] - m)
			z := expShiftSum(row, m)
			w := float32(1)
			if weights != nil {
				w = weights[i]
			}
			// loss_i = log Σ_j exp(logit_j - m) - (logit_i - m)
			s.rowL[i] = float64(w) * (math.Log(z) - posShift)
			scale := w / float32(wsum) * invT
			invZ := float32(1 / z)
			for j, e := range row {
				row[j] = e * invZ * scale
			}
			row[i] -= scale
		}
	})
	var loss float64 // summed in row order: the same for any worker count
	for _, l := range s.rowL {
		loss += l
	}
	// The logits buffer now holds dL/dlogits·(1/T)·T = dL/d(q·cᵀ).
	MatMul(dq, s.logits, c, false, false, 1, 0)
	MatMul(dc, s.logits, q, true, false, 1, 0)
	return loss / wsum
}

// lossWeight returns the weight of example i and the weights' sum.
func lossWeights(w []float32, n int) (func(i int) float32, float64) {
	if w == nil {
		return func(int) float32 { return 1 }, float64(n)
	}
	var s float64
	for _, v := range w[:n] {
		s += float64(v)
	}
	return func(i int) float32 { return w[i] }, s
}

// MSE returns the weighted mean squared error and writes its gradient with
// respect to pred into d.
func MSE(pred, y, w, d []float32) float64 {
	wt, ws := lossWeights(w, len(pred))
	if ws == 0 {
		clear(d)
		return 0
	}
	var loss float64
	for i, p := range pred {
		e := p - y[i]
		loss += float64(wt(i)) * float64(e) * float64(e)
		d[i] = 2 * wt(i) * e / float32(ws)
	}
	return loss / ws
}

// Huber returns the weighted mean Huber loss (quadratic within delta,
// linear beyond; Keras' definition) and writes its gradient into d.
func Huber(pred, y, w []float32, delta float32, d []float32) float64 {
	wt, ws := lossWeights(w, len(pred))
	if ws == 0 {
		clear(d)
		return 0
	}
	var loss float64
	for i, p := range pred {
		e := p - y[i]
		a := float32(math.Abs(float64(e)))
		var l, g float32
		if a <= delta {
			l, g = 0.5*e*e, e
		} else {
			l = delta*a - 0.5*delta*delta
			g = delta
			if e < 0 {
				g = -delta
			}
		}
		loss += float64(wt(i)) * float64(l)
		d[i] = wt(i) * g / float32(ws)
	}
	return loss / ws
}

// BCEWithLogits returns the weighted mean binary cross-entropy of labels y
// in [0, 1] given logits, computed stably from the logits, and writes its
// gradient with respect to the logits into d. Serve SigmoidF(logit), the
// probability, never the logit.
func BCEWithLogits(logit, y, w, d []float32) float64 {
	wt, ws := lossWeights(w, len(logit))
	if ws == 0 {
		clear(d)
		return 0
	}
	var loss float64
	for i, x := range logit {
		xf := float64(x)
		// max(x,0) - x·y + log(1 + exp(-|x|))
		l := math.Max(xf, 0) - xf*float64(y[i]) + math.Log1p(math.Exp(-math.Abs(xf)))
		loss += float64(wt(i)) * l
		d[i] = wt(i) * (SigmoidF(x) - y[i]) / float32(ws)
	}
	return loss / ws
}
