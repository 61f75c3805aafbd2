package models

import (
	"context"
	"math"
	"testing"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"gonum.org/v1/gonum/mat"
)

// csr builds a CSR from a dense users × items matrix.
func csr(rows [][]float64) *data.CSR {
	m := &data.CSR{Rows: len(rows), Cols: len(rows[0]), Ptr: make([]int32, len(rows)+1)}
	for r, row := range rows {
		for c, v := range row {
			if v != 0 {
				m.Idx = append(m.Idx, int32(c))
				m.Val = append(m.Val, v)
			}
		}
		m.Ptr[r+1] = int32(len(m.Idx))
	}
	return m
}

var tiny = [][]float64{
	{1, 1, 0, 0},
	{0, 1, 1, 0},
	{1, 1, 1, 0},
	{0, 0, 1, 1},
	{1, 0, 0, 1},
}

// TestEASEColumnRidge checks EASE against an independent closed form: each
// column j of B is the ridge regression of X_j on the other columns,
// B[-j, j] = (X₋ⱼᵀX₋ⱼ + λI)⁻¹ X₋ⱼᵀ X_j, with B[j, j] = 0.
func TestEASEColumnRidge(t *testing.T) {
	lambda := 0.7
	e, err := NewEASE(csr(tiny), lambda, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, n := e.Weights()
	X := mat.NewDense(len(tiny), n, nil)
	for r, row := range tiny {
		X.SetRow(r, row)
	}
	for j := 0; j < n; j++ {
		var others []int
		for c := 0; c < n; c++ {
			if c != j {
				others = append(others, c)
			}
		}
		Xo := mat.NewDense(len(tiny), n-1, nil)
		for k, c := range others {
			Xo.SetCol(k, mat.Col(nil, c, X))
		}
		var G mat.Dense
		G.Mul(Xo.T(), Xo)
		for k := 0; k < n-1; k++ {
			G.Set(k, k, G.At(k, k)+lambda)
		}
		var rhs mat.VecDense
		rhs.MulVec(Xo.T(), X.ColView(j))
		var b mat.VecDense
		if err := b.SolveVec(&G, &rhs); err != nil {
			t.Fatal(err)
		}
		for k, c := range others {
			if got := float64(w[c*n+j]); math.Abs(got-b.AtVec(k)) > 1e-5 {
				t.Fatalf("B[%d][%d] = %g, want %g", c, j, got, b.AtVec(k))
			}
		}
		if w[j*n+j] != 0 {
			t.Fatalf("B[%d][%d] = %g, want 0", j, j, w[j*n+j])
		}
	}
	// scores are x_u · B
	dst := make([]float64, n)
	e.Score(0, dst)
	for j := 0; j < n; j++ {
		want := float64(w[0*n+j] + w[1*n+j])
		if math.Abs(dst[j]-want) > 1e-6 {
			t.Fatalf("score[%d] = %g, want %g", j, dst[j], want)
		}
	}
}

func TestEASEMaxItemsKeepsPopular(t *testing.T) {
	e, err := NewEASE(csr(tiny), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, 4)
	e.Score(3, dst)
	// item 3 has the fewest buyers (2, tied with none above 3): it is dropped and scores lowest
	for i := 0; i < 3; i++ {
		if dst[i] <= dst[3] {
			t.Fatalf("kept item %d scores %g, not above the dropped item's %g", i, dst[i], dst[3])
		}
	}
}

func TestEASEBadLambda(t *testing.T) {
	if _, err := NewEASE(csr(tiny), 0, 0); err == nil {
		t.Fatal("lambda 0 accepted")
	}
}

// TestALSSweepExact checks one ALS half-step with enough CG steps to solve
// exactly against x_u = (YᵀC_uY + λI)⁻¹ YᵀC_u p_u.
func TestALSSweepExact(t *testing.T) {
	x := csr(tiny)
	k := 3
	cfg := ALSConfig{Factors: k, Reg: 0.3, Alpha: 4, Iterations: 1, CGSteps: 50}
	Y := []float64{0.3, -0.2, 0.5, 0.1, 0.4, -0.3, 0.2, 0.2, 0.1, -0.4, 0.3, 0.6}
	X := make([]float64, x.Rows*k)
	alsSweep(x, X, Y, k, cfg)
	Ym := mat.NewDense(4, k, Y)
	for u := 0; u < x.Rows; u++ {
		A := mat.NewDense(k, k, nil)
		A.Mul(Ym.T(), Ym)
		b := mat.NewVecDense(k, nil)
		for i := 0; i < 4; i++ {
			r := tiny[u][i]
			c := 1.0
			if r > 0 {
				c = cfg.Alpha * r
			}
			yi := Ym.RawRowView(i)
			for a := 0; a < k; a++ {
				for bb := 0; bb < k; bb++ {
					A.Set(a, bb, A.At(a, bb)+(c-1)*yi[a]*yi[bb])
				}
				if r > 0 {
					b.SetVec(a, b.AtVec(a)+c*yi[a])
				}
			}
		}
		for a := 0; a < k; a++ {
			A.Set(a, a, A.At(a, a)+cfg.Reg)
		}
		var want mat.VecDense
		if err := want.SolveVec(A, b); err != nil {
			t.Fatal(err)
		}
		for a := 0; a < k; a++ {
			if math.Abs(X[u*k+a]-want.AtVec(a)) > 1e-8 {
				t.Fatalf("user %d factor %d = %g, want %g", u, a, X[u*k+a], want.AtVec(a))
			}
		}
	}
}

func TestALSDeterministicAndCancellable(t *testing.T) {
	x := csr(tiny)
	cfg := ALSConfig{Factors: 2, Reg: 0.1, Alpha: 10, Iterations: 5, Seed: 7}
	a, err := NewALS(context.Background(), x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewALS(context.Background(), x, cfg)
	for i := range a.U {
		if a.U[i] != b.U[i] {
			t.Fatal("two runs with one seed differ")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	cfg.Progress = func(int) {
		calls++
		cancel()
	}
	if _, err := NewALS(ctx, x, cfg); err == nil || calls != 1 {
		t.Fatalf("cancel after the first iteration: err %v after %d iterations", err, calls)
	}
}

func TestItemKNN(t *testing.T) {
	m := NewItemKNN(csr(tiny))
	dst := make([]float64, 4)
	m.Score(3, dst) // user 3 bought items 2 and 3
	// cos(2,0) = |{2}|/sqrt(3·3) = 1/3; cos(3,0) = |{4}|/sqrt(2·3); item 2 itself: cos(3,2)
	want0 := 1.0/3 + 1/math.Sqrt(6)
	if math.Abs(dst[0]-want0) > 1e-6 { // similarities are float32
		t.Fatalf("score[0] = %g, want %g", dst[0], want0)
	}
	want2 := 1 / math.Sqrt(6) // cos(3,2): users {3}; |2|=3, |3|=2; the diagonal (2,2) is 0
	if math.Abs(dst[2]-want2) > 1e-6 {
		t.Fatalf("score[2] = %g, want %g", dst[2], want2)
	}
}

func TestZScore(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	ZScore(v)
	sd := math.Sqrt(1.25)
	for i, x := range []float64{-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd} {
		if math.Abs(v[i]-x) > 1e-12 {
			t.Fatalf("z = %v", v)
		}
	}
	flat := []float64{2, 2}
	ZScore(flat)
	if flat[0] != 0 || flat[1] != 0 {
		t.Fatalf("flat z = %v", flat)
	}
}

func TestParseSpec(t *testing.T) {
	sp, err := ParseSpec("ease:lambda=500,matrix=binary")
	if err != nil || sp.Name != "ease" || sp.Params["lambda"] != "500" || sp.Raw != "ease:lambda=500,matrix=binary" {
		t.Fatalf("spec %+v, %v", sp, err)
	}
	if l, _ := sp.Float("lambda", 0); l != 500 {
		t.Fatalf("lambda %g", l)
	}
	if err := sp.Unused(); err == nil {
		t.Fatal("matrix was not read but Unused said nothing")
	}
	for _, bad := range []string{"", ":x=1", "ease:lambda", "ease:lambda=1,lambda=2", "ease:=3"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
	sp, _ = ParseSpec("als:factors=x")
	if _, err := sp.Int("factors", 1); err == nil {
		t.Fatal("factors=x accepted")
	}
}

func TestSplitSpecs(t *testing.T) {
	got := SplitSpecs("popularity,buy-again,ease:lambda=500,matrix=binary,als:factors=64,reg=0.1,recommended")
	want := []string{"popularity", "buy-again", "ease:lambda=500,matrix=binary", "als:factors=64,reg=0.1", "recommended"}
	if len(got) != len(want) {
		t.Fatalf("SplitSpecs = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("SplitSpecs = %q, want %q", got, want)
		}
	}
}
