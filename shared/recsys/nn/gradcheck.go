package nn

import "math"

// NumericGrad returns the central finite difference (f(w+eps) -
// f(w-eps))/(2·eps) of f with respect to w[i], restoring w[i] afterwards.
func NumericGrad(f func() float64, w []float32, i int, eps float32) float64 {
	old := w[i]
	w[i] = old + eps
	fp := f()
	w[i] = old - eps
	fm := f()
	w[i] = old
	// The perturbation actually applied, after float32 rounding.
	return (fp - fm) / (float64(old+eps) - float64(old-eps))
}

// GradMismatch compares an analytic gradient with a numeric one and
// reports whether they disagree beyond rtol·max(|a|, |n|) + atol.
func GradMismatch(analytic, numeric, rtol, atol float64) bool {
	return math.Abs(analytic-numeric) > rtol*math.Max(math.Abs(analytic), math.Abs(numeric))+atol
}
