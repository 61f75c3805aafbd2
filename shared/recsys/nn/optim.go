package nn

import (
	"math"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// OptimizerConfig chooses and tunes an optimizer. Zero fields take the
// Keras defaults listed on each field.
type OptimizerConfig struct {
	// Name is adagrad, adam, sgd, rmsprop, adamw or ftrl.
	Name string `json:"name"`
	// LearningRate; 0 takes DefaultLearningRate(Name).
	LearningRate float32 `json:"learning_rate,omitempty"`
	// ClipNorm rescales all gradients of a step together when their global
	// L2 norm exceeds it; 0 disables clipping.
	ClipNorm float32 `json:"clip_norm,omitempty"`
	// Momentum of sgd (default 0: plain SGD).
	Momentum float32 `json:"momentum,omitempty"`
	// Beta1 (0.9), Beta2 (0.999) and Epsilon (1e-7) of adam and adamw;
	// Epsilon also serves adagrad and rmsprop.
	Beta1   float32 `json:"beta1,omitempty"`
	Beta2   float32 `json:"beta2,omitempty"`
	Epsilon float32 `json:"epsilon,omitempty"`
	// Rho of rmsprop (0.9).
	Rho float32 `json:"rho,omitempty"`
	// WeightDecay of adamw (0.004), decoupled from the gradient.
	WeightDecay float32 `json:"weight_decay,omitempty"`
	// InitialAccumulator of adagrad and ftrl (0.1).
	InitialAccumulator float32 `json:"initial_accumulator,omitempty"`
	// L1 and L2 regularisation strengths of ftrl.
	L1 float32 `json:"l1,omitempty"`
	L2 float32 `json:"l2,omitempty"`
}

// OptimizerNames lists the supported optimizers.
func OptimizerNames() []string { return []string{"adagrad", "adam", "sgd", "rmsprop", "adamw", "ftrl"} }

// DefaultLearningRate is the learning rate an optimizer starts from when
// none is given (the original platform's auto-suggestions).
func DefaultLearningRate(name string) float32 {
	switch name {
	case "adagrad", "ftrl":
		return 0.1
	case "sgd":
		return 0.01
	default:
		return 0.001
	}
}

func orDefault(v, d float32) float32 {
	if v == 0 {
		return d
	}
	return v
}

// WithDefaults returns c with every zero field set to its default.
func (c OptimizerConfig) WithDefaults() OptimizerConfig {
	c.LearningRate = orDefault(c.LearningRate, DefaultLearningRate(c.Name))
	c.Beta1 = orDefault(c.Beta1, 0.9)
	c.Beta2 = orDefault(c.Beta2, 0.999)
	c.Epsilon = orDefault(c.Epsilon, 1e-7)
	c.Rho = orDefault(c.Rho, 0.9)
	if c.Name == "adamw" {
		c.WeightDecay = orDefault(c.WeightDecay, 0.004)
	}
	c.InitialAccumulator = orDefault(c.InitialAccumulator, 0.1)
	return c
}

// Validate reports the first invalid field as a user-facing error naming
// the field by its JSON path (optimizer.<key>).
func (c OptimizerConfig) Validate() error {
	known := false
	for _, n := range OptimizerNames() {
		known = known || n == c.Name
	}
	field := func(name, format string, args ...any) error {
		return errs.Fieldf(errs.Invalid, "optimizer."+name, format, args...)
	}
	switch {
	case !known:
		return field("name", "%q is not a supported optimizer: use adagrad, adam, sgd, rmsprop, adamw or ftrl", c.Name)
	case c.LearningRate < 0 || c.LearningRate > 10:
		return field("learning_rate", "the learning rate %g is out of range: use a value above 0 and at most 10 (0 picks the optimizer's default)", c.LearningRate)
	case c.ClipNorm < 0:
		return field("clip_norm", "the clipping norm %g must not be negative (0 disables clipping)", c.ClipNorm)
	case c.Momentum < 0 || c.Momentum >= 1:
		return field("momentum", "the momentum %g must be at least 0 and below 1", c.Momentum)
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return field("beta1", "beta1 %g must be at least 0 and below 1", c.Beta1)
	case c.Beta2 < 0 || c.Beta2 >= 1:
		return field("beta2", "beta2 %g must be at least 0 and below 1", c.Beta2)
	case c.Rho < 0 || c.Rho >= 1:
		return field("rho", "rho %g must be at least 0 and below 1", c.Rho)
	case c.Epsilon < 0:
		return field("epsilon", "epsilon %g must not be negative", c.Epsilon)
	case c.WeightDecay < 0:
		return field("weight_decay", "the weight decay %g must not be negative", c.WeightDecay)
	case c.InitialAccumulator < 0:
		return field("initial_accumulator", "the initial accumulator %g must not be negative", c.InitialAccumulator)
	case c.L1 < 0:
		return field("l1", "the L1 strength %g must not be negative", c.L1)
	case c.L2 < 0:
		return field("l2", "the L2 strength %g must not be negative", c.L2)
	}
	return nil
}

// rule is one optimizer's update of a slice of weights given its gradient
// and state slots (each as long as w).
type rule interface {
	slots() int
	initSlot(k int) float32
	// begin is called once per step, before the updates of that step.
	begin(t int)
	update(w, g []float32, s [][]float32, t int)
}

// Optimizer updates dense parameters and the touched rows of embedding
// tables (lazy sparse updates: the state of a row changes only when the row
// has a gradient; Adam's bias correction uses the global step, as TF's
// LazyAdam and PyTorch's SparseAdam do).
type Optimizer struct {
	Config OptimizerConfig
	r      rule
	t      int
	dense  map[*Param][][]float32
	sparse map[*Embedding][][]float32
}

// NewOptimizer validates cfg, fills its defaults and returns an optimizer.
func NewOptimizer(cfg OptimizerConfig) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.WithDefaults()
	var r rule
	switch c.Name {
	case "sgd":
		r = sgd{c}
	case "adagrad":
		r = adagrad{c}
	case "rmsprop":
		r = rmsprop{c}
	case "adam", "adamw":
		r = &adam{c: c}
	case "ftrl":
		r = ftrl{c}
	}
	return &Optimizer{Config: c, r: r, dense: map[*Param][][]float32{}, sparse: map[*Embedding][][]float32{}}, nil
}

// Steps returns how many steps have been taken.
func (o *Optimizer) Steps() int { return o.t }

func (o *Optimizer) newState(n int) [][]float32 {
	s := make([][]float32, o.r.slots())
	for k := range s {
		s[k] = make([]float32, n)
		if v := o.r.initSlot(k); v != 0 {
			for i := range s[k] {
				s[k][i] = v
			}
		}
	}
	return s
}

// GlobalNorm returns the L2 norm of all gradients (trainable parameters and
// touched embedding rows).
func GlobalNorm(params []*Param, tables []*Embedding) float64 {
	var ss float64
	for _, p := range params {
		if p.NoTrain {
			continue
		}
		for _, g := range p.G {
			ss += float64(g) * float64(g)
		}
	}
	for _, e := range tables {
		for _, g := range e.g {
			ss += float64(g) * float64(g)
		}
	}
	return math.Sqrt(ss)
}

// Step clips the gradients by global norm (when ClipNorm > 0), updates the
// weights, clears the gradients and returns the norm before clipping.
func (o *Optimizer) Step(params []*Param, tables []*Embedding) float64 {
	o.t++
	o.r.begin(o.t)
	norm := GlobalNorm(params, tables)
	scale := float32(1)
	if c := float64(o.Config.ClipNorm); c > 0 && norm > c {
		scale = float32(c / norm)
	}
	for _, p := range params {
		if p.NoTrain {
			continue
		}
		st, ok := o.dense[p]
		if !ok {
			st = o.newState(len(p.W))
			o.dense[p] = st
		}
		if scale != 1 {
			for i := range p.G {
				p.G[i] *= scale
			}
		}
		o.r.update(p.W, p.G, st, o.t)
		p.ZeroGrad()
	}
	for _, e := range tables {
		st, ok := o.sparse[e]
		if !ok {
			st = o.newState(len(e.W))
			o.sparse[e] = st
		}
		// Rows are independent: large tables update in two halves at once.
		workers := 1
		if len(e.touched) >= 512 {
			workers = 2
		}
		ParallelFor(len(e.touched), workers, func(_, lo, hi int) {
			rows := make([][]float32, len(st))
			for k := lo; k < hi; k++ {
				r := e.touched[k]
				a, b := int(r)*e.Dim, int(r+1)*e.Dim
				g := e.gradAt(k)
				if scale != 1 {
					for i := range g {
						g[i] *= scale
					}
				}
				for s := range st {
					rows[s] = st[s][a:b]
				}
				o.r.update(e.W[a:b], g, rows, o.t)
			}
		})
		e.ZeroGrad()
	}
	return norm
}

// sgd: m = momentum·m - lr·g; w += m (w -= lr·g without momentum).
type sgd struct{ c OptimizerConfig }

func (o sgd) slots() int {
	if o.c.Momentum > 0 {
		return 1
	}
	return 0
}
func (sgd) initSlot(int) float32 { return 0 }
func (sgd) begin(int)            {}
func (o sgd) update(w, g []float32, s [][]float32, _ int) {
	lr := o.c.LearningRate
	if o.c.Momentum == 0 {
		for i, v := range g {
			w[i] -= lr * v
		}
		return
	}
	m := s[0]
	for i, v := range g {
		m[i] = o.c.Momentum*m[i] - lr*v
		w[i] += m[i]
	}
}

// adagrad: acc += g²; w -= lr·g/sqrt(acc + eps) (acc starts at
// InitialAccumulator).
type adagrad struct{ c OptimizerConfig }

func (adagrad) slots() int             { return 1 }
func (o adagrad) initSlot(int) float32 { return o.c.InitialAccumulator }
func (adagrad) begin(int)              {}
func (o adagrad) update(w, g []float32, s [][]float32, _ int) {
	acc := s[0]
	for i, v := range g {
		acc[i] += v * v
		w[i] -= o.c.LearningRate * v / float32(math.Sqrt(float64(acc[i]+o.c.Epsilon)))
	}
}

// rmsprop: ms = rho·ms + (1-rho)·g²; w -= lr·g/sqrt(ms + eps).
type rmsprop struct{ c OptimizerConfig }

func (rmsprop) slots() int           { return 1 }
func (rmsprop) initSlot(int) float32 { return 0 }
func (rmsprop) begin(int)            {}
func (o rmsprop) update(w, g []float32, s [][]float32, _ int) {
	ms := s[0]
	for i, v := range g {
		ms[i] = o.c.Rho*ms[i] + (1-o.c.Rho)*v*v
		w[i] -= o.c.LearningRate * v / float32(math.Sqrt(float64(ms[i]+o.c.Epsilon)))
	}
}

// adam (Keras): m += (g-m)(1-β1); v += (g²-v)(1-β2);
// w = w·(1 - lr·WeightDecay) - lr·sqrt(1-β2^t)/(1-β1^t) · m/(sqrt(v)+eps)
// (the decay is adamw's, 0 for adam). On amd64 with AVX2 the elements go
// eight at a time through a vector kernel that computes the same float32
// operations in the same order.
type adam struct {
	c OptimizerConfig
	k [6]float32 // 1-β1, 1-β2, alpha of the current step, eps, keep, unused
}

func (*adam) slots() int           { return 2 }
func (*adam) initSlot(int) float32 { return 0 }
func (o *adam) begin(t int) {
	b1, b2 := float64(o.c.Beta1), float64(o.c.Beta2)
	alpha := float32(float64(o.c.LearningRate) * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t))))
	o.k = [6]float32{1 - o.c.Beta1, 1 - o.c.Beta2, alpha, o.c.Epsilon, 1 - o.c.LearningRate*o.c.WeightDecay, 0}
}
func (o *adam) update(w, g []float32, s [][]float32, _ int) {
	m, v := s[0], s[1]
	start := 0
	if n8 := len(w) &^ 7; n8 > 0 && useKernels() {
		adamK(&w[0], &g[0], &m[0], &v[0], n8, &o.k)
		start = n8
	}
	c1, c2, alpha, eps, keep := o.k[0], o.k[1], o.k[2], o.k[3], o.k[4]
	for i := start; i < len(w); i++ {
		gi := g[i]
		m[i] += (gi - m[i]) * c1
		v[i] += (gi*gi - v[i]) * c2
		w[i] = w[i]*keep - alpha*m[i]/(float32(math.Sqrt(float64(v[i])))+eps)
	}
}

// ftrl (FTRL-Proximal as TF's ApplyFtrl, learning-rate power -0.5, beta 0):
// n' = n + g²; z += g - (sqrt(n') - sqrt(n))/lr · w;
// w = (sign(z)·l1 - z)/(sqrt(n')/lr + 2·l2) if |z| > l1, else 0.
// Like TF, the weights are recomputed from z, so FTRL suits tables that
// start near zero (linear/CTR-style features).
type ftrl struct{ c OptimizerConfig }

func (ftrl) slots() int { return 2 } // n (accumulator), z (linear)
func (ftrl) begin(int)  {}
func (o ftrl) initSlot(k int) float32 {
	if k == 0 {
		return o.c.InitialAccumulator
	}
	return 0
}
func (o ftrl) update(w, g []float32, s [][]float32, _ int) {
	n, z := s[0], s[1]
	lr, l1, l2 := float64(o.c.LearningRate), float64(o.c.L1), float64(o.c.L2)
	for i, gi := range g {
		g64 := float64(gi)
		nOld := float64(n[i])
		nNew := nOld + g64*g64
		zi := float64(z[i]) + g64 - (math.Sqrt(nNew)-math.Sqrt(nOld))/lr*float64(w[i])
		n[i], z[i] = float32(nNew), float32(zi)
		if math.Abs(zi) <= l1 {
			w[i] = 0
			continue
		}
		sign := 1.0
		if zi < 0 {
			sign = -1
		}
		w[i] = float32((sign*l1 - zi) / (math.Sqrt(nNew)/lr + 2*l2))
	}
}
