package eval

import (
	"context"
	"math"
	"slices"
	"testing"
)

type fixed []float64

func (f fixed) Score(_ int, dst []float64) { copy(dst, f) }

func TestTopKTies(t *testing.T) {
	for _, tc := range []struct {
		scores  []float64
		k       int
		exclude []int32
		want    []int32
	}{
		{[]float64{1, 3, 3, 0, 2}, 3, nil, []int32{1, 2, 4}},
		{[]float64{1, 3, 3, 0, 2}, 5, nil, []int32{1, 2, 4, 0, 3}},
		{[]float64{1, 3, 3, 0, 2}, 2, []int32{1}, []int32{2, 4}},
		{[]float64{5, 5, 5, 5}, 2, nil, []int32{0, 1}},
		{[]float64{0, math.NaN(), 1}, 3, nil, []int32{2, 0, 1}},
		{[]float64{2, 1}, 5, []int32{0, 1}, []int32{}},
	} {
		got := TopK(append([]float64(nil), tc.scores...), tc.k, tc.exclude, nil)
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("TopK(%v, %d, %v) = %v, want %v", tc.scores, tc.k, tc.exclude, got, tc.want)
		}
	}
}

// TestEvaluateHandComputed ranks 120 items in index order (all scores equal
// except none: ties everywhere, so the order is the index order).
func TestEvaluateHandComputed(t *testing.T) {
	n := 120
	scores := make(fixed, n) // all equal: ties broken by index
	task := &Task{Users: []int32{0}, Truth: [][]int32{{0, 9, 10, 60, 110}}, Own: [][]int32{{0, 10}}, Items: n}
	m, err := Evaluate(context.Background(), task, scores)
	if err != nil {
		t.Fatal(err)
	}
	idcg := 0.0
	for r := 0; r < 5; r++ {
		idcg += 1 / math.Log2(float64(r+2))
	}
	want := Metrics{
		Recall:    [3]float64{2.0 / 5, 3.0 / 5, 4.0 / 5},
		NewRecall: [3]float64{1.0 / 3, 1.0 / 3, 2.0 / 3},
		NDCG10:    (1 + 1/math.Log2(11)) / idcg,
		Users:     1, NewUsers: 1,
	}
	if !metricsEqual(m, want) {
		t.Fatalf("metrics = %+v, want %+v", m, want)
	}
}

func TestEvaluateAveragesUsers(t *testing.T) {
	n := 100
	s := make(fixed, n)
	for i := range s {
		s[i] = float64(n - i)
	}
	// user 0: everything in the top 10; user 1: only own products (no new truth)
	task := &Task{Users: []int32{0, 1}, Truth: [][]int32{{1, 2}, {3}}, Own: [][]int32{nil, {3}}, Items: n}
	m, err := Evaluate(context.Background(), task, s)
	if err != nil {
		t.Fatal(err)
	}
	if m.Recall[0] != 1 || m.NewUsers != 1 || m.NewRecall[0] != 1 || m.Users != 2 {
		t.Fatalf("metrics = %+v", m)
	}
}

func metricsEqual(a, b Metrics) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	for j := 0; j < 3; j++ {
		if !eq(a.Recall[j], b.Recall[j]) || !eq(a.NewRecall[j], b.NewRecall[j]) {
			return false
		}
	}
	return eq(a.NDCG10, b.NDCG10) && a.Users == b.Users && a.NewUsers == b.NewUsers
}

func TestEvaluateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	task := &Task{Users: []int32{0}, Truth: [][]int32{{0}}, Own: [][]int32{nil}, Items: 3}
	if _, err := Evaluate(ctx, task, fixed{1, 2, 3}); err == nil {
		t.Fatal("a cancelled evaluation returned no error")
	}
}

// TestSmallCatalogue: with fewer items than K, recall@K counts every hit.
func TestSmallCatalogue(t *testing.T) {
	task := &Task{Users: []int32{0}, Truth: [][]int32{{2, 4}}, Own: [][]int32{{4}}, Items: 5}
	m, err := Evaluate(context.Background(), task, fixed{5, 4, 3, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Recall != [3]float64{1, 1, 1} || m.NewRecall != [3]float64{1, 1, 1} {
		t.Fatalf("metrics %+v", m)
	}
}
