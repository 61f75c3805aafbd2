package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

func spd(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < n; k++ {
				s += x[i*n+k] * x[j*n+k]
			}
			a[i*n+j] = s
		}
		a[i*n+i] += float64(n)
	}
	return a
}

func TestInvertSPD(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64, 130} {
		a := spd(n, uint64(n))
		inv := append([]float64(nil), a...)
		if err := InvertSPD(inv, n); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for k := 0; k < n; k++ {
					s += a[i*n+k] * inv[k*n+j]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(s-want) > 1e-9 {
					t.Fatalf("%s n=%d: (A·A⁻¹)[%d,%d] = %g, want %g", Backend(), n, i, j, s, want)
				}
			}
		}
	}
}

func TestInvertSPDClosedForm(t *testing.T) {
	// [[2,1],[1,2]]⁻¹ = 1/3 [[2,-1],[-1,2]]
	a := []float64{2, 1, 1, 2}
	if err := InvertSPD(a, 2); err != nil {
		t.Fatal(err)
	}
	want := []float64{2.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3}
	for i := range a {
		if math.Abs(a[i]-want[i]) > 1e-12 {
			t.Fatalf("inverse = %v, want %v", a, want)
		}
	}
}

func TestNotSPD(t *testing.T) {
	a := []float64{1, 2, 2, 1}
	if err := InvertSPD(a, 2); err == nil {
		t.Fatal("inverting an indefinite matrix succeeded")
	}
}

func TestBackendsAgree(t *testing.T) {
	n := 40
	a := spd(n, 5)
	x, y := append([]float64(nil), a...), append([]float64(nil), a...)
	if err := InvertSPD(x, n); err != nil {
		t.Fatal(err)
	}
	if err := invertSPDGonum(y, n); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			y[j*n+i] = y[i*n+j] // the gonum path fills the upper triangle too
		}
	}
	for i := range x {
		if math.Abs(x[i]-y[i]) > 1e-9 {
			t.Fatalf("%s and gonum differ at %d: %g vs %g", Backend(), i, x[i], y[i])
		}
	}
}
