package nn

import (
	"math"
	"testing"
)

func TestSoftmaxRetrievalValues(t *testing.T) {
	// q = [1], [2]; c = [1], [0]: logits [[1, 0], [2, 0]]; row 0's positive
	// is column 0 (loss log(1+e^-1)), row 1's is column 1 (log(1+e^2)).
	q := Mat{Rows: 2, Cols: 1, Data: []float32{1, 2}}
	c := Mat{Rows: 2, Cols: 1, Data: []float32{1, 0}}
	dq, dc := NewMat(2, 1), NewMat(2, 1)
	cases := []struct {
		name string
		s    SoftmaxRetrieval
		ids  []int32
		want float64
	}{
		{"distinct", SoftmaxRetrieval{}, []int32{1, 2}, (math.Log1p(math.Exp(-1)) + math.Log1p(math.Exp(2))) / 2},
		// The same item twice: with masking each row sees only its positive.
		{"accidental hit masked", SoftmaxRetrieval{RemoveAccidentalHits: true}, []int32{7, 7}, 0},
		{"accidental hit kept", SoftmaxRetrieval{}, []int32{7, 7}, (math.Log1p(math.Exp(-1)) + math.Log1p(math.Exp(2))) / 2},
		// Temperature 0.5 doubles the logits.
		{"temperature", SoftmaxRetrieval{Temperature: 0.5}, []int32{1, 2}, (math.Log1p(math.Exp(-2)) + math.Log1p(math.Exp(4))) / 2},
	}
	for _, tc := range cases {
		got := tc.s.Loss(q, c, tc.ids, nil, nil, dq, dc)
		if math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: loss %.7f, want %.7f", tc.name, got, tc.want)
		}
	}
	// logQ = [log 2, 0]: row 0 logits [1-log2, 0], row 1 [2-log2, 0].
	s := SoftmaxRetrieval{}
	got := s.Loss(q, c, []int32{1, 2}, []float32{float32(math.Log(2)), 0}, nil, dq, dc)
	want := (math.Log1p(math.Exp(-(1 - math.Log(2)))) + math.Log(math.Exp(2-math.Log(2))+1) - 0) / 2
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("logQ: loss %.7f, want %.7f", got, want)
	}
}

func TestSoftmaxRetrievalGradients(t *testing.T) {
	cases := []struct {
		name    string
		s       SoftmaxRetrieval
		b, c    int
		ids     []int32
		logQ    bool
		weights bool
	}{
		{"plain", SoftmaxRetrieval{}, 5, 5, []int32{1, 2, 3, 4, 5}, false, false},
		{"hits masked temperature", SoftmaxRetrieval{Temperature: 0.5, RemoveAccidentalHits: true}, 5, 5, []int32{1, 2, 1, 3, 2}, false, false},
		{"sampled negatives logQ weights", SoftmaxRetrieval{RemoveAccidentalHits: true}, 4, 7, []int32{1, 2, 3, 4, 2, 9, 1}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, c := randMat(tc.b, 3, 31), randMat(tc.c, 3, 32)
			var logQ, w []float32
			if tc.logQ {
				logQ = randMat(1, tc.c, 33).Data
			}
			if tc.weights {
				w = []float32{1, 0.5, 2, 0}
			}
			dq, dc := NewMat(tc.b, 3), NewMat(tc.c, 3)
			tmpQ, tmpC := NewMat(tc.b, 3), NewMat(tc.c, 3)
			f := func() float64 { return tc.s.Loss(q, c, tc.ids, logQ, w, tmpQ, tmpC) }
			tc.s.Loss(q, c, tc.ids, logQ, w, dq, dc)
			checkSlice(t, "dq", f, q.Data, dq.Data, nil)
			checkSlice(t, "dc", f, c.Data, dc.Data, nil)
		})
	}
}

// TestSoftmaxRetrievalParallelDeterministic: the split over goroutines
// gives bit-identical results to a single worker.
func TestSoftmaxRetrievalParallelDeterministic(t *testing.T) {
	const b, d = 300, 8
	q, c := randMat(b, d, 41), randMat(b, d, 42)
	ids := make([]int32, b)
	for i := range ids {
		ids[i] = int32(i % 250)
	}
	run := func(workers int) (float64, Mat, Mat) {
		s := SoftmaxRetrieval{RemoveAccidentalHits: true, Workers: workers}
		dq, dc := NewMat(b, d), NewMat(b, d)
		return s.Loss(q, c, ids, nil, nil, dq, dc), dq, dc
	}
	l1, dq1, dc1 := run(1)
	l2, dq2, dc2 := run(2)
	if l1 != l2 {
		t.Errorf("loss differs: %v vs %v", l1, l2)
	}
	for i := range dq1.Data {
		if dq1.Data[i] != dq2.Data[i] || dc1.Data[i] != dc2.Data[i] {
			t.Fatalf("gradients differ at %d", i)
		}
	}
}

func TestRankingLossValues(t *testing.T) {
	d := make([]float32, 2)
	if l := MSE([]float32{1, 2}, []float32{0, 2}, nil, d); math.Abs(l-0.5) > 1e-7 || d[0] != 1 || d[1] != 0 {
		t.Errorf("MSE = %v, grad %v; want 0.5, [1 0]", l, d)
	}
	if l := Huber([]float32{0, 3}, []float32{0.5, 0}, nil, 1, d); math.Abs(l-1.3125) > 1e-7 || d[0] != -0.25 || d[1] != 0.5 {
		t.Errorf("Huber = %v, grad %v; want 1.3125, [-0.25 0.5]", l, d)
	}
	if l := BCEWithLogits([]float32{0, 0}, []float32{1, 0}, nil, d); math.Abs(l-math.Ln2) > 1e-7 || d[0] != -0.25 || d[1] != 0.25 {
		t.Errorf("BCE = %v, grad %v; want ln 2, [-0.25 0.25]", l, d)
	}
	// Stable for large logits: a confident right answer costs ~0, a
	// confident wrong one ~|logit|.
	if l := BCEWithLogits([]float32{100, -100}, []float32{1, 1}, []float32{1, 0}, d); l > 1e-9 {
		t.Errorf("BCE of a confident right answer = %v", l)
	}
	if l := BCEWithLogits([]float32{-100}, []float32{1}, nil, d[:1]); math.Abs(l-100) > 1e-6 {
		t.Errorf("BCE of a confident wrong answer = %v, want 100", l)
	}
}

func TestRankingLossGradients(t *testing.T) {
	pred := randMat(1, 8, 51).Data
	y := []float32{0, 1, 1, 0, 0.5, 1, 0, 1}
	w := []float32{1, 2, 0.5, 1, 1, 0, 3, 1}
	d := make([]float32, 8)
	cases := []struct {
		name string
		fn   func(pred, d []float32) float64
	}{
		{"mse", func(p, d []float32) float64 { return MSE(p, y, w, d) }},
		{"huber", func(p, d []float32) float64 { return Huber(p, y, w, 0.7, d) }},
		{"bce", func(p, d []float32) float64 { return BCEWithLogits(p, y, w, d) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmp := make([]float32, 8)
			tc.fn(pred, d)
			ga := append([]float32(nil), d...)
			checkSlice(t, tc.name, func() float64 { return tc.fn(pred, tmp) }, pred, ga, nil)
		})
	}
}
