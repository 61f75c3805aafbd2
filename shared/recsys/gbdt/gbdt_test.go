package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestStumpLeafValues checks one depth-1 tree against the closed form:
// leaf = -lr · G / (H + λ), with G, H the sums of p-y and p(1-p) at the base
// log-odds.
func TestStumpLeafValues(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	y := []float32{0, 0, 0, 1, 1, 0}
	cfg := Config{Trees: 1, MaxDepth: 1, LearningRate: 0.5, Lambda: 1, MinLeafHess: 0.01}
	m, err := Train(context.Background(), Dataset{Features: [][]float32{x}, Labels: y}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := 2.0 / 6
	if math.Abs(m.Base-math.Log(p/(1-p))) > 1e-12 {
		t.Fatalf("base %g", m.Base)
	}
	tr := m.Trees[0]
	if tr.Feature[0] != 0 {
		t.Fatalf("root does not split: %+v", tr)
	}
	thr := tr.Threshold[0]
	// expected leaves for the chosen threshold
	var gl, hl, gr, hr float64
	for i, v := range x {
		g, h := p-float64(y[i]), p*(1-p)
		if v <= thr {
			gl, hl = gl+g, hl+h
		} else {
			gr, hr = gr+g, hr+h
		}
	}
	wantL, wantR := -0.5*gl/(hl+1), -0.5*gr/(hr+1)
	if math.Abs(float64(tr.Value[tr.Left[0]])-wantL) > 1e-6 || math.Abs(float64(tr.Value[tr.Right[0]])-wantR) > 1e-6 {
		t.Fatalf("leaves %g %g, want %g %g (threshold %g)", tr.Value[tr.Left[0]], tr.Value[tr.Right[0]], wantL, wantR, thr)
	}
	// the best single split separates {1,2,3} (all 0) from {4,5,6}
	if thr != 3 {
		t.Fatalf("threshold %g, want 3", thr)
	}
}

func TestLearnsXORAndMissing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 4000
	a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		a[i], b[i] = float32(r.IntN(2)), float32(r.IntN(2))
		c[i] = float32(r.Float64())
		if a[i] != b[i] {
			y[i] = 1
		}
		if i%10 == 0 { // missing b: the label is 1 exactly then
			b[i] = float32(math.NaN())
			y[i] = 1
		}
	}
	d := Dataset{Names: []string{"a", "b", "noise"}, Features: [][]float32{a, b, c}, Labels: y}
	m, err := Train(context.Background(), d, Config{Trees: 30, MaxDepth: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x    []float32
		want bool
	}{{[]float32{0, 0, .5}, false}, {[]float32{0, 1, .5}, true}, {[]float32{1, 0, .5}, true}, {[]float32{1, 1, .5}, false},
		{[]float32{1, float32(math.NaN()), .5}, true}} {
		if got := m.Predict(tc.x) > 0; got != tc.want {
			t.Errorf("Predict(%v) = %g", tc.x, m.Predict(tc.x))
		}
	}
	// deterministic for a seed
	m2, _ := Train(context.Background(), d, Config{Trees: 30, MaxDepth: 3, Seed: 3})
	for i := 0; i < 50; i++ {
		x := []float32{a[i], b[i], c[i]}
		if m.Predict(x) != m2.Predict(x) {
			t.Fatal("two runs with one seed differ")
		}
	}
}

func TestWeightsShiftTheBase(t *testing.T) {
	x := []float32{1, 1, 1, 1}
	y := []float32{1, 0, 0, 0}
	m, err := Train(context.Background(), Dataset{Features: [][]float32{x}, Labels: y, Weights: []float32{3, 1, 1, 1}}, Config{Trees: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Base) > 1e-12 { // weighted positive share 3/6
		t.Fatalf("base %g, want 0", m.Base)
	}
}

func TestBadInput(t *testing.T) {
	for name, d := range map[string]Dataset{
		"no features": {Labels: []float32{1}},
		"ragged":      {Features: [][]float32{{1, 2}}, Labels: []float32{1}},
		"weights":     {Features: [][]float32{{1}}, Labels: []float32{1}, Weights: []float32{1, 2}},
		"no rows":     {Features: [][]float32{{}}, Labels: []float32{}},
	} {
		if _, err := Train(context.Background(), d, Config{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Train(ctx, Dataset{Features: [][]float32{{1, 2, 3, 4}}, Labels: []float32{0, 1, 0, 1}}, Config{Trees: 100, Progress: func(int, float64) {
		n++
		cancel()
	}})
	if err == nil || n != 1 {
		t.Fatalf("err %v after %d trees", err, n)
	}
}
