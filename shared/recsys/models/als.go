package models

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"gonum.org/v1/gonum/floats"
)

// ALSConfig parameterises implicit ALS.
type ALSConfig struct {
	Factors    int
	Reg        float64 // L2 regularisation
	Alpha      float64 // confidence = alpha × matrix value
	Iterations int
	CGSteps    int // conjugate-gradient steps per row and sweep (default 3)
	Seed       uint64
	// Progress, when set, is called after each iteration.
	Progress func(iteration int)
}

// ALS is implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008)
// solved by alternating least squares with a few conjugate-gradient steps
// per row (Takács et al. 2011), as the `implicit` library does.
type ALS struct {
	U, V []float64 // users × k, items × k
	K    int
	n    int
}

// NewALS trains ALS on x (users × items).
func NewALS(ctx context.Context, x *data.CSR, cfg ALSConfig) (*ALS, error) {
	if cfg.Factors <= 0 || cfg.Iterations <= 0 || cfg.Reg < 0 || cfg.Alpha <= 0 {
		return nil, errs.Userf(errs.Invalid, "ALS needs factors > 0, iterations > 0, reg >= 0 and alpha > 0")
	}
	if cfg.CGSteps <= 0 {
		cfg.CGSteps = 3
	}
	k := cfg.Factors
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	m := &ALS{U: make([]float64, x.Rows*k), V: make([]float64, x.Cols*k), K: k, n: x.Cols}
	for i := range m.U {
		m.U[i] = r.Float64() * 0.01
	}
	for i := range m.V {
		m.V[i] = r.Float64() * 0.01
	}
	xt := x.Transpose()
	for it := 0; it < cfg.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		alsSweep(x, m.U, m.V, k, cfg)
		alsSweep(xt, m.V, m.U, k, cfg)
		if cfg.Progress != nil {
			cfg.Progress(it + 1)
		}
	}
	return m, nil
}

// alsSweep updates every row of X (rows of x) with Y fixed.
func alsSweep(x *data.CSR, X, Y []float64, k int, cfg ALSConfig) {
	// YtY + reg·I
	yty := make([]float64, k*k)
	ny := len(Y) / k
	for i := 0; i < ny; i++ {
		y := Y[i*k : i*k+k]
		for a := 0; a < k; a++ {
			ya := y[a]
			if ya == 0 {
				continue
			}
			row := yty[a*k : a*k+k]
			for b := range row {
				row[b] += ya * y[b]
			}
		}
	}
	for a := 0; a < k; a++ {
		yty[a*k+a] += cfg.Reg
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := make([]float64, k)
			p := make([]float64, k)
			ap := make([]float64, k)
			for u := w; u < x.Rows; u += workers {
				xu := X[u*k : u*k+k]
				idx, val := x.Row(u)
				// r = -YtY·x + Σ (c - (c-1)·y·x)·y
				symv(yty, xu, r, k)
				for a := range r {
					r[a] = -r[a]
				}
				for j, i := range idx {
					c := cfg.Alpha * val[j]
					y := Y[int(i)*k : int(i)*k+k]
					axpy(c-(c-1)*dot(y, xu), y, r)
				}
				copy(p, r)
				rs := dot(r, r)
				for s := 0; s < cfg.CGSteps; s++ {
					if rs < 1e-20 {
						break
					}
					symv(yty, p, ap, k)
					for j, i := range idx {
						c := cfg.Alpha * val[j]
						y := Y[int(i)*k : int(i)*k+k]
						axpy((c-1)*dot(y, p), y, ap)
					}
					a := rs / dot(p, ap)
					axpy(a, p, xu)
					axpy(-a, ap, r)
					rsNew := dot(r, r)
					for t := range p {
						p[t] = r[t] + rsNew/rs*p[t]
					}
					rs = rsNew
				}
			}
		}(w)
	}
	wg.Wait()
}

func symv(a, x, y []float64, k int) {
	for i := 0; i < k; i++ {
		y[i] = dot(a[i*k:i*k+k], x)
	}
}

func dot(a, b []float64) float64 { return floats.Dot(a, b[:len(a)]) }

// Score fills dst with uᵀv for every item.
func (m *ALS) Score(u int, dst []float64) {
	k := m.K
	xu := m.U[u*k : u*k+k]
	for i := 0; i < m.n; i++ {
		dst[i] = dot(m.V[i*k:i*k+k], xu)
	}
}
