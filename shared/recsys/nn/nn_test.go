package nn

import (
	"math"
	"testing"
)

const (
	fdEps  = 1e-3
	fdRtol = 2e-2
	fdAtol = 2e-3
)

func randMat(rows, cols int, seed uint64) Mat {
	m := NewMat(rows, cols)
	Normal(m.Data, 1, NewRand(seed, 7))
	return m
}

// projLoss is Σ r_ij·y_ij in float64: a scalar whose gradient with respect
// to y is r.
func projLoss(y, r Mat) float64 {
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r.Data[i])
	}
	return s
}

// checkSlice compares the analytic gradient ga of f with respect to w
// against finite differences, element by element.
func checkSlice(t *testing.T, what string, f func() float64, w []float32, ga []float32, skip func(i int) bool) {
	t.Helper()
	bad := 0
	for i := range w {
		if skip != nil && skip(i) {
			continue
		}
		n := NumericGrad(f, w, i, fdEps)
		if GradMismatch(float64(ga[i]), n, fdRtol, fdAtol) {
			if bad < 5 {
				t.Errorf("%s[%d]: analytic %.6f, numeric %.6f", what, i, ga[i], n)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements disagree", what, bad, len(w))
	}
}

// TestLayerGradients checks every layer's input and parameter gradients
// against central finite differences.
func TestLayerGradients(t *testing.T) {
	const rows, in = 6, 5
	cases := []struct {
		name  string
		make  func() Layer
		train bool
		kink  bool // piecewise-linear: skip elements whose pre-activation is near a kink
	}{
		{"dense linear", func() Layer { return NewDense("d", in, 4, Linear, 0, 0, NewRand(1, 1)) }, true, false},
		{"dense relu", func() Layer { return NewDense("d", in, 4, ReLU, 0, 0, NewRand(2, 1)) }, true, true},
		{"dense tanh", func() Layer { return NewDense("d", in, 4, Tanh, 0, 0, NewRand(3, 1)) }, true, false},
		{"dense sigmoid", func() Layer { return NewDense("d", in, 4, Sigmoid, 0, 0, NewRand(4, 1)) }, true, false},
		{"dense gelu", func() Layer { return NewDense("d", in, 4, GELU, 0, 0, NewRand(5, 1)) }, true, false},
		{"dense l1 l2", func() Layer { return NewDense("d", in, 3, Tanh, 0.05, 0.1, NewRand(6, 1)) }, true, false},
		{"dropout train", func() Layer { return NewDropout(in, 0.3, NewRand(7, 1)) }, true, false},
		{"dropout inference", func() Layer { return NewDropout(in, 0.3, NewRand(7, 1)) }, false, false},
		{"batchnorm train", func() Layer { return randomized(NewBatchNorm("bn", in)) }, true, false},
		{"batchnorm inference", func() Layer { return randomized(NewBatchNorm("bn", in)) }, false, false},
		{"layernorm", func() Layer { return randomized(NewLayerNorm("ln", in, 1e-6)) }, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.make()
			x := randMat(rows, in, 11)
			r := randMat(rows, l.OutDim(), 12)
			var penalty func() float64
			if d, ok := l.(*Dense); ok {
				penalty = func() float64 { return d.W.Penalty() }
			}
			f := func() float64 {
				if d, ok := l.(*Dropout); ok {
					d.rng = NewRand(99, 1) // the same mask on every evaluation
				}
				v := projLoss(l.Forward(x, tc.train), r)
				if penalty != nil {
					v += penalty()
				}
				return v
			}
			f()
			for _, p := range l.Params() {
				p.ZeroGrad()
			}
			dx := l.Backward(r).Clone()
			skipX := func(int) bool { return false }
			if tc.kink {
				d := l.(*Dense)
				// An input element is unsafe when it feeds a unit whose
				// pre-activation is within reach of the perturbation.
				skipX = func(i int) bool {
					row := i / in
					for _, z := range d.z.Row(row) {
						if math.Abs(float64(z)) < 0.05 {
							return true
						}
					}
					return false
				}
			}
			checkSlice(t, "dx", f, x.Data, dx.Data, skipX)
			for _, p := range l.Params() {
				if p.NoTrain {
					continue
				}
				ga := append([]float32(nil), p.G...)
				var skip func(int) bool
				if p.L1 != 0 {
					skip = func(i int) bool { return math.Abs(float64(p.W[i])) < 2*fdEps }
				}
				if tc.kink {
					d := l.(*Dense)
					skip = func(int) bool {
						for _, z := range d.z.Data {
							if math.Abs(float64(z)) < 0.05 {
								return true
							}
						}
						return false
					}
				}
				checkSlice(t, p.Name, f, p.W, ga, skip)
			}
		})
	}
}

// randomized gives a normalisation layer non-trivial scale, shift and
// moving statistics so that their gradients are exercised.
func randomized(l Layer) Layer {
	rng := NewRand(21, 3)
	for _, p := range l.Params() {
		for i := range p.W {
			p.W[i] = float32(0.5 + rng.Float64())
			if p.Name == "bn.beta" || p.Name == "ln.beta" || p.Name == "bn.moving_mean" {
				p.W[i] -= 1
			}
		}
	}
	return l
}

// TestInferMatchesForward checks that the allocation-free inference path
// computes what Forward computes in inference mode.
func TestInferMatchesForward(t *testing.T) {
	rng := NewRand(3, 3)
	s := Sequential{
		NewDense("a", 5, 8, GELU, 0, 0, rng), NewDropout(8, 0.2, rng), randomized(NewBatchNorm("bn", 8)),
		NewDense("b", 8, 6, ReLU, 0, 0, rng), randomized(NewLayerNorm("ln", 6, 1e-6)), NewDense("c", 6, 3, Linear, 0, 0, rng),
	}
	x := randMat(7, 5, 4)
	a := s.Forward(x, false).Clone()
	b := s.Infer(x)
	for i := range a.Data {
		if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-6 {
			t.Fatalf("element %d: Forward %v, Infer %v", i, a.Data[i], b.Data[i])
		}
	}
}

// TestEmbeddingGradients checks Gather and BagMean (with an empty bag, a
// repeated item and padding) against finite differences, and that only
// touched rows carry gradient.
func TestEmbeddingGradients(t *testing.T) {
	const dim = 3
	e := NewEmbedding("emb", 6, dim, 1, NewRand(8, 8))
	idx := []int32{0, 2, 2, -1}
	off := []int32{0, 3, 3, 5, 6}
	items := []int32{1, 2, 2, 4, -1, 5}
	out := NewMat(4, 2*dim+1)
	r := randMat(4, 2*dim+1, 9)
	f := func() float64 {
		e.Gather(idx, out, 0)
		e.BagMean(off, items, out, dim)
		return projLoss(out, r)
	}
	f()
	e.ZeroGrad()
	e.ScatterGrad(idx, r, 0)
	e.BagMeanGrad(off, items, r, dim)
	dense := make([]float32, len(e.W))
	for k, row := range e.Touched() {
		copy(dense[int(row)*dim:], e.gradAt(k))
	}
	if got, want := len(e.Touched()), 5; got != want { // rows 0, 2, 1, 4, 5
		t.Errorf("touched rows: %v, want 5 distinct rows", e.Touched())
	}
	for i := range dense[3*dim : 4*dim] {
		if dense[3*dim+i] != 0 {
			t.Errorf("row 3 is in no input but has gradient %v", dense[3*dim:4*dim])
		}
	}
	checkSlice(t, "emb", f, e.W, dense, nil)
	// Row 3 of the output (padding id, empty-by-padding bag) is zero.
	e.Gather([]int32{-1}, out, 0)
	for _, v := range out.Row(0)[:dim] {
		if v != 0 {
			t.Errorf("padding row reads %v, want zeros", out.Row(0)[:dim])
		}
	}
}

func TestExp32(t *testing.T) {
	for x := -87.0; x < 88.5; x += 0.01 {
		got := float64(Exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("Exp32(%v) = %v, want %v", x, got, want)
		}
	}
	if Exp32(-100) != 0 || !math.IsInf(float64(Exp32(100)), 1) || Exp32(float32(math.Inf(-1))) != 0 {
		t.Errorf("Exp32 limits: %v %v %v", Exp32(-100), Exp32(100), Exp32(float32(math.Inf(-1))))
	}
}

// TestDeterministicForSeed: the same seed gives bit-identical weights after
// a few training steps through every layer type; another seed does not.
func TestDeterministicForSeed(t *testing.T) {
	train := func(seed uint64) []float32 {
		rng := NewRand(seed, 1)
		s := Sequential{
			NewDense("a", 6, 16, ReLU, 0, 0.01, rng), NewDropout(16, 0.2, rng), NewBatchNorm("bn", 16),
			NewDense("b", 16, 8, GELU, 0, 0, rng), NewLayerNorm("ln", 8, 1e-6), NewDense("c", 8, 4, Linear, 0, 0, rng),
		}
		emb := NewEmbedding("e", 10, 6, 0.1, rng)
		opt, _ := NewOptimizer(OptimizerConfig{Name: "adam", ClipNorm: 1})
		var loss SoftmaxRetrieval
		x := NewMat(128, 6)
		idx := make([]int32, 128)
		target := randMat(128, 4, seed)
		dq, dc := NewMat(128, 4), NewMat(128, 4)
		for step := range 5 {
			for i := range idx {
				idx[i] = int32((i*7 + step) % 10)
			}
			emb.Gather(idx, x, 0)
			y := s.Forward(x, true)
			loss.Loss(y, target, idx, nil, nil, dq, dc)
			emb.ScatterGrad(idx, s.Backward(dq), 0)
			opt.Step(s.Params(), []*Embedding{emb})
		}
		var out []float32
		for _, p := range s.Params() {
			out = append(out, p.W...)
		}
		return append(out, emb.W...)
	}
	a, b, c := train(5), train(5), train(6)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("weight %d differs between two runs with seed 5: %v vs %v", i, a[i], b[i])
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 5 and 6 gave identical weights")
	}
}

// TestExpShiftSum checks the vector exponential against math.Exp, with
// masked (-Inf) entries, values below the underflow limit and odd tails.
func TestExpShiftSum(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 64, 515} {
		row := make([]float32, n)
		rng := NewRand(uint64(n), 1)
		for j := range row {
			row[j] = float32(rng.NormFloat64() * 20)
			if j%5 == 3 {
				row[j] = float32(math.Inf(-1))
			}
		}
		orig := append([]float32(nil), row...)
		m := rowMax(row)
		wantMax := float32(math.Inf(-1))
		for _, v := range orig {
			wantMax = max(wantMax, v)
		}
		if m != wantMax {
			t.Fatalf("n=%d: rowMax = %v, want %v", n, m, wantMax)
		}
		sum := expShiftSum(row, m)
		var wantSum float64
		for j, v := range orig {
			want := math.Exp(float64(v - m))
			if float64(v-m) < -87.33654 {
				want = 0
			}
			wantSum += want
			if math.Abs(float64(row[j])-want) > 4e-7*want {
				t.Fatalf("n=%d: exp(%v) = %v, want %v", n, v-m, row[j], want)
			}
		}
		if math.Abs(sum-wantSum) > 1e-5*wantSum {
			t.Errorf("n=%d: sum %v, want %v", n, sum, wantSum)
		}
	}
}

func TestDropoutRateAndScale(t *testing.T) {
	d := NewDropout(1000, 0.3, NewRand(4, 4))
	x := NewMat(100, 1000)
	for i := range x.Data {
		x.Data[i] = 1
	}
	y := d.Forward(x, true)
	dropped := 0
	for _, v := range y.Data {
		switch {
		case v == 0:
			dropped++
		case math.Abs(float64(v)-1/0.7) > 1e-6:
			t.Fatalf("survivor scaled to %v, want 1/0.7", v)
		}
	}
	if f := float64(dropped) / float64(len(y.Data)); math.Abs(f-0.3) > 0.005 {
		t.Errorf("dropped fraction %.4f, want 0.3", f)
	}
	if y := d.Forward(x, false); y.Data[0] != 1 {
		t.Errorf("inference changed the input")
	}
}
