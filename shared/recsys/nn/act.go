package nn

import (
	"fmt"
	"math"
)

// Activation is an element-wise function applied after a Dense layer.
type Activation string

// The activations a Dense layer supports.
const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Tanh    Activation = "tanh"
	Sigmoid Activation = "sigmoid"
	GELU    Activation = "gelu"
)

// ParseActivation maps a configuration value to an Activation; the empty
// string and "none" mean Linear.
func ParseActivation(s string) (Activation, error) {
	switch Activation(s) {
	case "", "none":
		return Linear, nil
	case Linear, ReLU, Tanh, Sigmoid, GELU:
		return Activation(s), nil
	}
	return "", fmt.Errorf("unknown activation %q (use linear, relu, tanh, sigmoid or gelu)", s)
}

// needsInput reports whether the derivative needs the pre-activation value
// (otherwise it is computed from the output).
func (a Activation) needsInput() bool { return a == GELU }

// apply computes y = f(z) element-wise; y and z may alias.
func (a Activation) apply(y, z []float32) {
	switch a {
	case ReLU:
		for i, v := range z {
			y[i] = max(v, 0)
		}
	case Tanh:
		for i, v := range z {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case Sigmoid:
		for i, v := range z {
			y[i] = SigmoidF(v)
		}
	case GELU:
		for i, v := range z {
			x := float64(v)
			y[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	default:
		copy(y, z)
	}
}

// grad multiplies d (the gradient with respect to y) by f'(z) in place,
// given the output y and (for GELU) the input z.
func (a Activation) grad(d, y, z []float32) {
	switch a {
	case ReLU:
		// Branch-free: y is +0 or positive, and (bits-1)>>31 is 1 exactly
		// for +0.
		for i, v := range y {
			d[i] *= float32(1 - (math.Float32bits(v)-1)>>31)
		}
	case Tanh:
		for i, v := range y {
			d[i] *= 1 - v*v
		}
	case Sigmoid:
		for i, v := range y {
			d[i] *= v * (1 - v)
		}
	case GELU:
		for i, v := range z {
			x := float64(v)
			cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
			pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
			d[i] *= float32(cdf + x*pdf)
		}
	}
}

// SigmoidF is the logistic function, stable for large |x|.
func SigmoidF(x float32) float32 {
	if x >= 0 {
		return 1 / (1 + Exp32(-x))
	}
	e := Exp32(x)
	return e / (1 + e)
}

// Exp32 is a fast float32 exponential (Cephes expf polynomial, relative
// error below 2e-7 on the normal range). It returns 0 below -87.3 (where the
// result would be denormal) and +Inf above 88.7.
func Exp32(x float32) float32 {
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	case x != x:
		return x
	}
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*0.693359375 - n*-2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	if n > 127 {
		return p * 2 * math.Float32frombits(uint32(int32(n)+126)<<23)
	}
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// rowMax returns the largest element of a non-empty row without NaNs.
func rowMax(row []float32) float32 {
	m, start := row[0], 0
	if n8 := len(row) &^ 7; n8 > 0 && useKernels() {
		m, start = maxf(&row[0], n8), n8
	}
	for _, v := range row[start:] {
		if v > m {
			m = v
		}
	}
	return m
}

// expShiftSum sets row[j] = exp(row[j] - m) (m at least every element)
// and returns the sum of the results.
func expShiftSum(row []float32, m float32) float64 {
	var sum float64
	start := 0
	if n8 := len(row) &^ 7; n8 > 0 && useKernels() {
		sum, start = float64(expShift(&row[0], n8, m)), n8
	}
	for j, v := range row[start:] {
		e := Exp32(v - m)
		row[start+j] = e
		sum += float64(e)
	}
	return sum
}

// Axpy adds a·x to y (len(y) ≥ len(x)), eight elements at a time on amd64
// with AVX2; the result equals the scalar loop bit for bit.
func Axpy(a float32, x, y []float32) {
	start := 0
	if n8 := len(x) &^ 7; n8 > 0 && useKernels() {
		_ = y[len(x)-1]
		axpyK(a, &x[0], &y[0], n8)
		start = n8
	}
	y = y[:len(x)]
	for i := start; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
