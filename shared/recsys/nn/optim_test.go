package nn

import (
	"math"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// The expected weights follow the formulas in optim.go's comments, worked
// out for w = [1, -2], lr 0.1 and gradients [0.5, -1] then [0.2, 0.4]. The
// first steps check by hand: adagrad 1 - 0.1·0.5/sqrt(0.1+0.25) = 0.91548;
// adam moves each weight by lr on its first step (m̂/sqrt(v̂) = sign(g));
// sgd with momentum 0.9: m2 = 0.9·(-0.05) - 0.1·0.2 = -0.065.
var optimizerCases = []struct {
	cfg  OptimizerConfig
	want [2][2]float64
}{
	{OptimizerConfig{Name: "sgd", LearningRate: 0.1}, [2][2]float64{{0.95, -1.9}, {0.93, -1.94}}},
	{OptimizerConfig{Name: "sgd", LearningRate: 0.1, Momentum: 0.9}, [2][2]float64{{0.95, -1.9}, {0.885, -1.85}}},
	{OptimizerConfig{Name: "adagrad", LearningRate: 0.1}, [2][2]float64{{0.9154845866, -1.9046537454}, {0.8834589599, -1.9402885763}}},
	{OptimizerConfig{Name: "rmsprop", LearningRate: 0.1}, [2][2]float64{{0.6837728664, -1.6837723921}, {0.5609140749, -1.8066313575}}},
	{OptimizerConfig{Name: "adam", LearningRate: 0.1}, [2][2]float64{{0.9000006325, -1.9000003162}, {0.8101436399, -1.8654398330}}},
	{OptimizerConfig{Name: "adamw", LearningRate: 0.1}, [2][2]float64{{0.8996006325, -1.8992003162}, {0.8093837996, -1.8638801528}}},
	{OptimizerConfig{Name: "ftrl", LearningRate: 0.1}, [2][2]float64{{0.3809620907, -1.3016310519}, {0.3489364599, -1.3372658842}}},
	{OptimizerConfig{Name: "ftrl", LearningRate: 0.1, L1: 0.3, L2: 0.1}, [2][2]float64{{0.3194533414, -1.2492057552}, {0.2884215242, -1.2842167814}}},
}

var optimizerGrads = [2][2]float32{{0.5, -1}, {0.2, 0.4}}

func TestOptimizerStepsDense(t *testing.T) {
	for _, tc := range optimizerCases {
		t.Run(tc.cfg.Name, func(t *testing.T) {
			o, err := NewOptimizer(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := NewParam("p", 1, 2)
			p.W[0], p.W[1] = 1, -2
			for step, g := range optimizerGrads {
				copy(p.G, g[:])
				o.Step([]*Param{p}, nil)
				for i, w := range p.W {
					if math.Abs(float64(w)-tc.want[step][i]) > 2e-6 {
						t.Errorf("step %d w[%d] = %.8f, want %.8f", step+1, i, w, tc.want[step][i])
					}
				}
				if p.G[0] != 0 || p.G[1] != 0 {
					t.Errorf("gradient not cleared after step: %v", p.G)
				}
			}
		})
	}
}

// TestOptimizerStepsSparse checks the lazy row updates: a touched row moves
// exactly as a dense parameter would, untouched rows and their state stay.
func TestOptimizerStepsSparse(t *testing.T) {
	for _, tc := range optimizerCases {
		t.Run(tc.cfg.Name, func(t *testing.T) {
			o, err := NewOptimizer(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := NewEmbedding("e", 4, 2, 0, nil)
			for r := range 4 {
				e.Row(r)[0], e.Row(r)[1] = 1, -2
			}
			// Step 1 touches rows 1 and 3, step 2 only row 1.
			copy(e.GradRow(3), optimizerGrads[0][:])
			copy(e.GradRow(1), optimizerGrads[0][:])
			o.Step(nil, []*Embedding{e})
			copy(e.GradRow(1), optimizerGrads[1][:])
			o.Step(nil, []*Embedding{e})
			check := func(row int, want []float64) {
				t.Helper()
				for i, w := range e.Row(row) {
					if math.Abs(float64(w)-want[i]) > 2e-6 {
						t.Errorf("row %d w[%d] = %.8f, want %.8f", row, i, w, want[i])
					}
				}
			}
			check(0, []float64{1, -2})
			check(2, []float64{1, -2})
			check(1, tc.want[1][:])
			check(3, tc.want[0][:])
			if len(e.Touched()) != 0 {
				t.Errorf("touched rows not cleared: %v", e.Touched())
			}
		})
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	o, err := NewOptimizer(OptimizerConfig{Name: "sgd", LearningRate: 1, ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := NewParam("p", 1, 1)
	e := NewEmbedding("e", 3, 1, 0, nil)
	p.G[0] = 3
	e.GradRow(2)[0] = 4
	if norm := o.Step([]*Param{p}, []*Embedding{e}); math.Abs(norm-5) > 1e-9 {
		t.Errorf("global norm = %v, want 5", norm)
	}
	// Scaled by 1/5: w -= [0.6, 0.8].
	if math.Abs(float64(p.W[0])+0.6) > 1e-7 || math.Abs(float64(e.W[2])+0.8) > 1e-7 {
		t.Errorf("after clipping: dense %v, row %v; want -0.6 and -0.8", p.W[0], e.W[2])
	}
	// Below the threshold nothing is scaled.
	p.G[0] = 0.5
	o.Step([]*Param{p}, nil)
	if math.Abs(float64(p.W[0])+1.1) > 1e-7 {
		t.Errorf("unclipped step: w = %v, want -1.1", p.W[0])
	}
}

func TestNoTrainParamsAreNotUpdated(t *testing.T) {
	o, _ := NewOptimizer(OptimizerConfig{Name: "adam"})
	p := NewParam("moving", 1, 1)
	p.NoTrain = true
	p.W[0], p.G[0] = 2, 1
	o.Step([]*Param{p}, nil)
	if p.W[0] != 2 {
		t.Errorf("non-trainable state changed to %v", p.W[0])
	}
}

func TestOptimizerConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  OptimizerConfig
		want string
	}{
		{OptimizerConfig{Name: "lion"}, "optimizer.name"},
		{OptimizerConfig{Name: "adam", LearningRate: -1}, "optimizer.learning_rate"},
		{OptimizerConfig{Name: "adam", ClipNorm: -1}, "optimizer.clip_norm"},
		{OptimizerConfig{Name: "sgd", Momentum: 1}, "optimizer.momentum"},
		{OptimizerConfig{Name: "adam", Beta2: 1}, "optimizer.beta2"},
		{OptimizerConfig{Name: "ftrl", L1: -1}, "optimizer.l1"},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		if err == nil || errs.FieldOf(err) != tc.want || !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: error %v (field %q), want an invalid-input error on %s", tc.cfg, err, errs.FieldOf(err), tc.want)
		}
	}
	if err := (OptimizerConfig{Name: "ftrl", L1: 0.1}).Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// TestSparseManyRowsMatchesDense: a large set of touched rows (updated in
// two goroutines) moves exactly like the same rows as dense parameters.
func TestSparseManyRowsMatchesDense(t *testing.T) {
	const rows, dim = 1200, 3
	cfg := OptimizerConfig{Name: "adam", LearningRate: 0.01, ClipNorm: 5}
	sparse, _ := NewOptimizer(cfg)
	dense, _ := NewOptimizer(cfg)
	e := NewEmbedding("e", rows, dim, 1, NewRand(1, 1))
	p := NewParam("p", rows, dim)
	copy(p.W, e.W)
	rng := NewRand(2, 2)
	for range 3 {
		for r := 0; r < rows; r += 2 { // every other row
			g := e.GradRow(int32(r))
			for i := range g {
				g[i] = float32(rng.NormFloat64())
				p.G[r*dim+i] = g[i]
			}
		}
		sparse.Step(nil, []*Embedding{e})
		dense.Step([]*Param{p}, nil)
	}
	for i := range e.W {
		if e.W[i] != p.W[i] {
			t.Fatalf("element %d: sparse %v, dense %v", i, e.W[i], p.W[i])
		}
	}
}

// TestAdamVectorKernel: 37 elements go through the vector kernel (32) and
// the scalar tail (5); both must follow the documented formula.
func TestAdamVectorKernel(t *testing.T) {
	for _, name := range []string{"adam", "adamw"} {
		o, _ := NewOptimizer(OptimizerConfig{Name: name, LearningRate: 0.01})
		p := NewParam("p", 1, 37)
		Normal(p.W, 1, NewRand(1, 1))
		w := append([]float32(nil), p.W...)
		m, v := make([]float64, 37), make([]float64, 37)
		rng := NewRand(2, 2)
		for step := 1; step <= 3; step++ {
			for i := range p.G {
				p.G[i] = float32(rng.NormFloat64())
			}
			g := append([]float32(nil), p.G...)
			o.Step([]*Param{p}, nil)
			alpha := 0.01 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step)))
			keep := 1.0
			if name == "adamw" {
				keep = 1 - 0.01*0.004
			}
			for i := range w {
				m[i] += (float64(g[i]) - m[i]) * 0.1
				v[i] += (float64(g[i])*float64(g[i]) - v[i]) * 0.001
				want := float64(w[i])*keep - alpha*m[i]/(math.Sqrt(v[i])+1e-7)
				if math.Abs(float64(p.W[i])-want) > 1e-5 {
					t.Fatalf("%s step %d w[%d] = %v, want %v", name, step, i, p.W[i], want)
				}
				w[i] = p.W[i]
			}
		}
	}
}

func TestAxpy(t *testing.T) {
	for _, n := range []int{0, 3, 8, 19} {
		x, y := randMat(1, n, 1).Data, randMat(1, n+2, 2).Data
		want := append([]float32(nil), y...)
		for i := range x {
			want[i] += 0.7 * x[i]
		}
		Axpy(0.7, x, y)
		for i := range want {
			if y[i] != want[i] {
				t.Fatalf("n=%d: y[%d] = %v, want %v", n, i, y[i], want[i])
			}
		}
	}
}
