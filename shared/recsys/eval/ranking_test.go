package eval

import (
	"math"
	"testing"
)

func TestRegression(t *testing.T) {
	rmse, mae := Regression([]float64{1, 2, 4}, []float64{1, 3, 2})
	if math.Abs(rmse-math.Sqrt(5.0/3)) > 1e-12 || math.Abs(mae-1) > 1e-12 {
		t.Fatalf("rmse %g mae %g", rmse, mae)
	}
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		s    []float64
		l    []bool
		want float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		{[]float64{1, 2, 3}, []bool{false, true, true}, 1},
		{[]float64{3, 2, 1}, []bool{false, true, true}, 0},
		{[]float64{1, 1}, []bool{false, true}, 0.5},
		{[]float64{1, 2}, []bool{true, true}, 0.5},
	} {
		if got := AUC(tc.s, tc.l); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %g, want %g", tc.s, tc.l, got, tc.want)
		}
	}
}
