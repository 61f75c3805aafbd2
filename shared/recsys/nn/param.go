package nn

import (
	"math"
	"math/rand/v2"
)

// Param is a dense tensor: trainable weights with their gradient, or
// non-trainable state (NoTrain, e.g. BatchNorm's moving statistics) that is
// saved with the model but never touched by an optimizer.
type Param struct {
	Name       string
	Rows, Cols int
	W, G       []float32
	// L1 and L2 add L1·Σ|w| + L2·Σw² to the loss (Keras convention); the
	// layer owning the parameter adds their gradient in Backward.
	L1, L2  float32
	NoTrain bool
}

// NewParam returns a zeroed rows×cols parameter.
func NewParam(name string, rows, cols int) *Param {
	return &Param{Name: name, Rows: rows, Cols: cols, W: make([]float32, rows*cols), G: make([]float32, rows*cols)}
}

// Mat views the weights as a matrix.
func (p *Param) Mat() Mat { return Mat{Rows: p.Rows, Cols: p.Cols, Data: p.W} }

// GradMat views the gradient as a matrix.
func (p *Param) GradMat() Mat { return Mat{Rows: p.Rows, Cols: p.Cols, Data: p.G} }

// ZeroGrad clears the gradient.
func (p *Param) ZeroGrad() { clear(p.G) }

// Penalty returns L1·Σ|w| + L2·Σw².
func (p *Param) Penalty() float64 {
	if p.L1 == 0 && p.L2 == 0 {
		return 0
	}
	var l1, l2 float64
	for _, w := range p.W {
		l1 += math.Abs(float64(w))
		l2 += float64(w) * float64(w)
	}
	return float64(p.L1)*l1 + float64(p.L2)*l2
}

// addPenaltyGrad adds the gradient of Penalty to G.
func (p *Param) addPenaltyGrad() {
	if p.L1 == 0 && p.L2 == 0 {
		return
	}
	for i, w := range p.W {
		g := 2 * p.L2 * w
		switch {
		case w > 0:
			g += p.L1
		case w < 0:
			g -= p.L1
		}
		p.G[i] += g
	}
}

// GlorotUniform fills w with U(-l, l), l = sqrt(6/(fanIn+fanOut)), Keras'
// default kernel initializer.
func GlorotUniform(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	l := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * l)
	}
}

// Normal fills w with N(0, std²).
func Normal(w []float32, std float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// NewRand returns the package's seeded random source (PCG).
func NewRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}
