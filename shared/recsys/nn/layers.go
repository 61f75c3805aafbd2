package nn

import (
	"math"
	"math/rand/v2"
)

// Layer is one step of a tower: Forward keeps what Backward needs,
// Backward accumulates parameter gradients and returns the gradient with
// respect to the layer's input.
type Layer interface {
	// Forward computes the output for a batch (rows are examples). In
	// training mode Dropout drops and BatchNorm uses batch statistics. The
	// returned matrix is owned by the layer and valid until the next call.
	Forward(x Mat, train bool) Mat
	// Backward takes the gradient with respect to the last Forward's
	// output and returns the gradient with respect to its input (owned by
	// the layer).
	Backward(dy Mat) Mat
	// Infer computes the inference-mode output into new memory without
	// touching the layer's buffers; safe for concurrent use.
	Infer(x Mat) Mat
	// Params lists the layer's tensors (trainable and state).
	Params() []*Param
	// OutDim is the output width.
	OutDim() int
}

// Dense is a fully connected layer y = f(x·W + b).
type Dense struct {
	W, B *Param // W is in×out, B is 1×out
	Act  Activation

	x, z, y, dz, dx Mat
}

// NewDense returns a Dense layer with Glorot-uniform weights and zero bias;
// l1 and l2 penalise the kernel.
func NewDense(name string, in, out int, act Activation, l1, l2 float32, rng *rand.Rand) *Dense {
	d := &Dense{W: NewParam(name+".kernel", in, out), B: NewParam(name+".bias", 1, out), Act: act}
	d.W.L1, d.W.L2 = l1, l2
	GlorotUniform(d.W.W, in, out, rng)
	return d
}

func (d *Dense) forward(x Mat, z, y Mat) {
	for i := 0; i < z.Rows; i++ {
		copy(z.Row(i), d.B.W)
	}
	MatMul(z, x, d.W.Mat(), false, false, 1, 1)
	d.Act.apply(y.Data, z.Data)
}

// Forward implements Layer.
func (d *Dense) Forward(x Mat, _ bool) Mat {
	d.x = x
	d.z = Resize(d.z, x.Rows, d.W.Cols)
	if d.Act == Linear || !d.Act.needsInput() {
		d.y = d.z // the activation works in place
	} else {
		d.y = Resize(d.y, x.Rows, d.W.Cols)
	}
	d.forward(x, d.z, d.y)
	return d.y
}

// Backward implements Layer.
func (d *Dense) Backward(dy Mat) Mat {
	d.dz = Resize(d.dz, dy.Rows, dy.Cols)
	copy(d.dz.Data, dy.Data)
	d.Act.grad(d.dz.Data, d.y.Data, d.z.Data)
	MatMul(d.W.GradMat(), d.x, d.dz, true, false, 1, 1)
	for i := 0; i < d.dz.Rows; i++ {
		for k, v := range d.dz.Row(i) {
			d.B.G[k] += v
		}
	}
	d.W.addPenaltyGrad()
	d.dx = Resize(d.dx, d.x.Rows, d.x.Cols)
	MatMul(d.dx, d.dz, d.W.Mat(), false, true, 1, 0)
	return d.dx
}

// Infer implements Layer.
func (d *Dense) Infer(x Mat) Mat {
	y := NewMat(x.Rows, d.W.Cols)
	d.forward(x, y, y)
	return y
}

// Params implements Layer.
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }

// OutDim implements Layer.
func (d *Dense) OutDim() int { return d.W.Cols }

// Dropout zeroes each input with probability Rate (in steps of 1/65536)
// during training and scales the survivors by 1/(1-Rate) (inverted
// dropout); at inference it is the identity.
type Dropout struct {
	Rate float32
	Dim  int
	rng  *rand.Rand

	mask, y, dx Mat
	train       bool
}

// NewDropout returns a Dropout layer drawing its masks from rng.
func NewDropout(dim int, rate float32, rng *rand.Rand) *Dropout {
	return &Dropout{Rate: rate, Dim: dim, rng: rng}
}

// Forward implements Layer.
func (d *Dropout) Forward(x Mat, train bool) Mat {
	d.train = train && d.Rate > 0
	if !d.train {
		return x
	}
	d.mask = Resize(d.mask, x.Rows, x.Cols)
	d.y = Resize(d.y, x.Rows, x.Cols)
	scale := 1 / (1 - d.Rate)
	// One 64-bit draw decides four elements: each is dropped when its
	// 16-bit field falls below Rate·65536.
	thr := uint64(d.Rate*65536 + 0.5)
	var bits uint64
	for i, v := range x.Data {
		if i%4 == 0 {
			bits = d.rng.Uint64()
		}
		// Branch-free: the top bit of field-thr is 1 exactly when the
		// field is below thr (dropped).
		m := scale * float32(1-((bits&0xffff)-thr)>>63)
		bits >>= 16
		d.mask.Data[i] = m
		d.y.Data[i] = v * m
	}
	return d.y
}

// Backward implements Layer.
func (d *Dropout) Backward(dy Mat) Mat {
	if !d.train {
		return dy
	}
	d.dx = Resize(d.dx, dy.Rows, dy.Cols)
	for i, v := range dy.Data {
		d.dx.Data[i] = v * d.mask.Data[i]
	}
	return d.dx
}

// Infer implements Layer.
func (d *Dropout) Infer(x Mat) Mat { return x }

// Params implements Layer.
func (d *Dropout) Params() []*Param { return nil }

// OutDim implements Layer.
func (d *Dropout) OutDim() int { return d.Dim }

// BatchNorm normalises each feature with the batch's mean and variance in
// training and with moving averages at inference, then scales by Gamma and
// shifts by Beta (Keras defaults: momentum 0.99, epsilon 1e-3).
type BatchNorm struct {
	Gamma, Beta, MovingMean, MovingVar *Param
	Momentum, Eps                      float32

	x, xhat, y, dx Mat
	invStd         []float32
}

// NewBatchNorm returns a BatchNorm layer over dim features.
func NewBatchNorm(name string, dim int) *BatchNorm {
	b := &BatchNorm{
		Gamma: NewParam(name+".gamma", 1, dim), Beta: NewParam(name+".beta", 1, dim),
		MovingMean: NewParam(name+".moving_mean", 1, dim), MovingVar: NewParam(name+".moving_variance", 1, dim),
		Momentum: 0.99, Eps: 1e-3,
	}
	b.MovingMean.NoTrain, b.MovingVar.NoTrain = true, true
	for i := 0; i < dim; i++ {
		b.Gamma.W[i] = 1
		b.MovingVar.W[i] = 1
	}
	return b
}

// Forward implements Layer.
func (b *BatchNorm) Forward(x Mat, train bool) Mat {
	if !train || x.Rows < 2 {
		b.xhat = Mat{}
		b.x = x
		b.y = Resize(b.y, x.Rows, x.Cols)
		b.infer(x, b.y)
		return b.y
	}
	n, dim := x.Rows, x.Cols
	b.xhat = Resize(b.xhat, n, dim)
	b.y = Resize(b.y, n, dim)
	if cap(b.invStd) < dim {
		b.invStd = make([]float32, dim)
	}
	b.invStd = b.invStd[:dim]
	mean := make([]float64, dim)
	vr := make([]float64, dim)
	for i := 0; i < n; i++ {
		for k, v := range x.Row(i) {
			mean[k] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for k, v := range x.Row(i) {
			d := float64(v) - mean[k]
			vr[k] += d * d
		}
	}
	m := b.Momentum
	for k := range vr {
		vr[k] /= float64(n)
		b.invStd[k] = float32(1 / math.Sqrt(vr[k]+float64(b.Eps)))
		b.MovingMean.W[k] = m*b.MovingMean.W[k] + (1-m)*float32(mean[k])
		b.MovingVar.W[k] = m*b.MovingVar.W[k] + (1-m)*float32(vr[k])
	}
	for i := 0; i < n; i++ {
		xr, hr, yr := x.Row(i), b.xhat.Row(i), b.y.Row(i)
		for k, v := range xr {
			h := (v - float32(mean[k])) * b.invStd[k]
			hr[k] = h
			yr[k] = h*b.Gamma.W[k] + b.Beta.W[k]
		}
	}
	return b.y
}

func (b *BatchNorm) infer(x, y Mat) {
	for i := 0; i < x.Rows; i++ {
		xr, yr := x.Row(i), y.Row(i)
		for k, v := range xr {
			inv := 1 / float32(math.Sqrt(float64(b.MovingVar.W[k]+b.Eps)))
			yr[k] = (v-b.MovingMean.W[k])*inv*b.Gamma.W[k] + b.Beta.W[k]
		}
	}
}

// Backward implements Layer.
func (b *BatchNorm) Backward(dy Mat) Mat {
	n, dim := dy.Rows, dy.Cols
	b.dx = Resize(b.dx, n, dim)
	if b.xhat.Rows == 0 { // inference-mode forward: a fixed affine map
		for i := 0; i < n; i++ {
			xr := b.x.Row(i)
			for k, v := range dy.Row(i) {
				inv := 1 / float32(math.Sqrt(float64(b.MovingVar.W[k]+b.Eps)))
				b.Beta.G[k] += v
				b.Gamma.G[k] += v * (xr[k] - b.MovingMean.W[k]) * inv
				b.dx.Data[i*dim+k] = v * b.Gamma.W[k] * inv
			}
		}
		return b.dx
	}
	sumD := make([]float32, dim)
	sumDH := make([]float32, dim)
	for i := 0; i < n; i++ {
		hr := b.xhat.Row(i)
		for k, v := range dy.Row(i) {
			b.Beta.G[k] += v
			b.Gamma.G[k] += v * hr[k]
			dh := v * b.Gamma.W[k]
			sumD[k] += dh
			sumDH[k] += dh * hr[k]
		}
	}
	fn := float32(n)
	for i := 0; i < n; i++ {
		hr, dr := b.xhat.Row(i), b.dx.Row(i)
		for k, v := range dy.Row(i) {
			dh := v * b.Gamma.W[k]
			dr[k] = b.invStd[k] / fn * (fn*dh - sumD[k] - hr[k]*sumDH[k])
		}
	}
	return b.dx
}

// Infer implements Layer.
func (b *BatchNorm) Infer(x Mat) Mat {
	y := NewMat(x.Rows, x.Cols)
	b.infer(x, y)
	return y
}

// Params implements Layer.
func (b *BatchNorm) Params() []*Param {
	return []*Param{b.Gamma, b.Beta, b.MovingMean, b.MovingVar}
}

// OutDim implements Layer.
func (b *BatchNorm) OutDim() int { return b.Gamma.Cols }

// LayerNorm normalises each example over its features, then scales by
// Gamma and shifts by Beta.
type LayerNorm struct {
	Gamma, Beta *Param
	Eps         float32

	xhat, y, dx Mat
	invStd      []float32
}

// NewLayerNorm returns a LayerNorm layer over dim features.
func NewLayerNorm(name string, dim int, eps float32) *LayerNorm {
	l := &LayerNorm{Gamma: NewParam(name+".gamma", 1, dim), Beta: NewParam(name+".beta", 1, dim), Eps: eps}
	for i := range l.Gamma.W {
		l.Gamma.W[i] = 1
	}
	return l
}

func (l *LayerNorm) normRow(xr, hr []float32) float32 {
	var mean, vr float64
	for _, v := range xr {
		mean += float64(v)
	}
	mean /= float64(len(xr))
	for _, v := range xr {
		d := float64(v) - mean
		vr += d * d
	}
	vr /= float64(len(xr))
	inv := 1 / math.Sqrt(vr+float64(l.Eps))
	for k, v := range xr {
		hr[k] = float32((float64(v) - mean) * inv)
	}
	return float32(inv)
}

// Forward implements Layer.
func (l *LayerNorm) Forward(x Mat, _ bool) Mat {
	l.xhat = Resize(l.xhat, x.Rows, x.Cols)
	l.y = Resize(l.y, x.Rows, x.Cols)
	if cap(l.invStd) < x.Rows {
		l.invStd = make([]float32, x.Rows)
	}
	l.invStd = l.invStd[:x.Rows]
	for i := 0; i < x.Rows; i++ {
		hr, yr := l.xhat.Row(i), l.y.Row(i)
		l.invStd[i] = l.normRow(x.Row(i), hr)
		for k, h := range hr {
			yr[k] = h*l.Gamma.W[k] + l.Beta.W[k]
		}
	}
	return l.y
}

// Backward implements Layer.
func (l *LayerNorm) Backward(dy Mat) Mat {
	n, dim := dy.Rows, dy.Cols
	l.dx = Resize(l.dx, n, dim)
	fd := float32(dim)
	for i := 0; i < n; i++ {
		hr, dr, gr := l.xhat.Row(i), l.dx.Row(i), dy.Row(i)
		var sumD, sumDH float32
		for k, v := range gr {
			l.Beta.G[k] += v
			l.Gamma.G[k] += v * hr[k]
			dh := v * l.Gamma.W[k]
			sumD += dh
			sumDH += dh * hr[k]
		}
		for k, v := range gr {
			dh := v * l.Gamma.W[k]
			dr[k] = l.invStd[i] / fd * (fd*dh - sumD - hr[k]*sumDH)
		}
	}
	return l.dx
}

// Infer implements Layer.
func (l *LayerNorm) Infer(x Mat) Mat {
	y := NewMat(x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		yr := y.Row(i)
		l.normRow(x.Row(i), yr)
		for k, h := range yr {
			yr[k] = h*l.Gamma.W[k] + l.Beta.W[k]
		}
	}
	return y
}

// Params implements Layer.
func (l *LayerNorm) Params() []*Param { return []*Param{l.Gamma, l.Beta} }

// OutDim implements Layer.
func (l *LayerNorm) OutDim() int { return l.Gamma.Cols }

// Sequential chains layers.
type Sequential []Layer

// Forward runs every layer in order.
func (s Sequential) Forward(x Mat, train bool) Mat {
	for _, l := range s {
		x = l.Forward(x, train)
	}
	return x
}

// Backward runs every layer's backward pass in reverse order.
func (s Sequential) Backward(dy Mat) Mat {
	for i := len(s) - 1; i >= 0; i-- {
		dy = s[i].Backward(dy)
	}
	return dy
}

// Infer runs every layer in inference mode.
func (s Sequential) Infer(x Mat) Mat {
	for _, l := range s {
		x = l.Infer(x)
	}
	return x
}

// Params lists the tensors of every layer.
func (s Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Penalty sums the L1/L2 penalties of every parameter.
func (s Sequential) Penalty() float64 {
	var p float64
	for _, l := range s {
		for _, q := range l.Params() {
			p += q.Penalty()
		}
	}
	return p
}
