package twotower

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/nn"
)

// EpochStats reports one epoch of training.
type EpochStats struct {
	Epoch          int                `json:"epoch"` // 1-based
	Loss           float64            `json:"loss"`  // weighted total incl. L1/L2 penalties, mean over batches
	RetrievalLoss  float64            `json:"retrieval_loss,omitempty"`
	RankingLoss    float64            `json:"ranking_loss,omitempty"`
	Examples       int                `json:"examples"`
	Seconds        float64            `json:"seconds"` // training time of the epoch, without validation
	ExamplesPerSec float64            `json:"examples_per_sec"`
	Metrics        map[string]float64 `json:"metrics,omitempty"` // from TrainOptions.Validate
}

// TrainOptions are the caller's hooks into training.
type TrainOptions struct {
	// OnEpoch receives each epoch's statistics; an error stops training
	// and is returned.
	OnEpoch func(EpochStats) error
	// Validate computes validation metrics after each epoch on the model
	// as it stands (its scoring methods work inside the call).
	Validate func(ctx context.Context, m *Model) (map[string]float64, error)
	// Logger receives one debug line per epoch (nil: slog.Default()).
	Logger *slog.Logger
}

// Train builds a model for d and trains it. The context is checked before
// every batch; cancelling it stops training with the context's error
// wrapped.
func Train(ctx context.Context, cfg Config, d *Data, opts TrainOptions) (*Model, error) {
	m, err := newModel(cfg, d)
	if err != nil {
		return nil, err
	}
	t, err := newTrainer(m, d)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	order := make([]int32, len(d.User))
	for k := range order {
		order[k] = int32(k)
	}
	shuffle := nn.NewRand(cfg.Seed, 10)
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		shuffle.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		var sum, sumR, sumK float64
		batches := 0
		for lo := 0; lo < len(order); lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return nil, errs.Wrap(errs.Transient, err, "training stopped in epoch %d of %d", epoch, cfg.Epochs)
			}
			l, lr, lk := t.step(order[lo:min(lo+cfg.BatchSize, len(order))])
			sum, sumR, sumK = sum+l, sumR+lr, sumK+lk
			batches++
		}
		secs := time.Since(start).Seconds()
		if math.IsNaN(sum) || math.IsInf(sum, 0) {
			return nil, errs.Explain(errs.E(errs.Invalid, "two-tower training diverged in epoch %d (loss %v)", epoch, sum),
				"training diverged in epoch %d (the loss is no longer a number): lower the learning rate or turn on gradient clipping", epoch)
		}
		st := EpochStats{
			Epoch: epoch, Loss: sum / float64(batches), Examples: len(order), Seconds: secs,
			ExamplesPerSec: float64(len(order)) / math.Max(secs, 1e-9),
		}
		if cfg.Task != Ranking {
			st.RetrievalLoss = sumR / float64(batches)
		}
		if cfg.Task != Retrieval {
			st.RankingLoss = sumK / float64(batches)
		}
		if opts.Validate != nil {
			m.prepareScoring()
			if st.Metrics, err = opts.Validate(ctx, m); err != nil {
				return nil, errs.Wrap(errs.KindOf(err), err, "validation after epoch %d", epoch)
			}
		}
		m.epochs = append(m.epochs, st)
		log.Debug("two-tower epoch", "epoch", epoch, "loss", st.Loss, "examples_per_sec", int(st.ExamplesPerSec), "metrics", st.Metrics)
		if opts.OnEpoch != nil {
			if err := opts.OnEpoch(st); err != nil {
				return nil, err
			}
		}
	}
	m.prepareScoring()
	return m, nil
}

// trainer holds the state and buffers of a training run.
type trainer struct {
	m       *Model
	d       *Data
	cfg     Config
	opt     *nn.Optimizer
	params  []*nn.Param
	tables  []*nn.Embedding
	workers int

	exBags          bags
	logQItem        []float32 // per item, when LogQCorrection
	idDrop, negRand *rand.Rand
	loss            nn.SoftmaxRetrieval

	qb          queryBatch
	cand, catsI []int32
	xq, xi      nn.Mat
	dq, dv      nn.Mat
	labels, wts []float32
	logQ        []float32

	// Retrieval rows when some examples are not positives.
	pos      []int
	qp, cp   nn.Mat
	dqp, dcp nn.Mat
	posIDs   []int32
	posW     []float32
	headIn   nn.Mat
	dPred    []float32
}

func newTrainer(m *Model, d *Data) (*trainer, error) {
	cfg := m.cfg
	opt, err := nn.NewOptimizer(cfg.Optimizer)
	if err != nil {
		return nil, err
	}
	t := &trainer{
		m: m, d: d, cfg: cfg, opt: opt, params: m.params(), tables: m.tables(),
		workers: cfg.Workers, idDrop: nn.NewRand(cfg.Seed, 11), negRand: nn.NewRand(cfg.Seed, 12),
		loss: nn.SoftmaxRetrieval{Temperature: cfg.Temperature, RemoveAccidentalHits: !cfg.KeepAccidentalHits, Workers: cfg.Workers},
	}
	if t.workers == 0 {
		t.workers = nn.Workers()
	}
	if m.histTab != nil {
		t.exBags = exampleBags(newUserLog(d.events(), d.NumUsers), d.User, d.Time, d.NumItems, cfg.Features.HistoryMax)
	}
	if cfg.LogQCorrection {
		freq := make([]float64, d.NumItems)
		var n float64
		for k, it := range d.Item {
			if d.Label == nil || d.Label[k] > 0 {
				freq[it]++
				n++
			}
		}
		t.logQItem = make([]float32, d.NumItems)
		for i, f := range freq {
			// Expected count of item i among a batch's candidates.
			e := float64(cfg.BatchSize)*f/math.Max(n, 1) + float64(cfg.SampledNegatives)/float64(d.NumItems)
			t.logQItem[i] = float32(math.Log(math.Max(e, 1e-12)))
		}
	}
	return t, nil
}

// step trains on one batch of example indices and returns the total,
// retrieval and ranking losses.
func (t *trainer) step(batch []int32) (total, retr, rank float64) {
	total, retr, rank = t.lossAndGrad(batch, true)
	t.opt.Step(t.params, t.tables)
	return total, retr, rank
}

// lossAndGrad runs the forward and backward passes of one batch: it
// returns the losses and leaves the gradients in the parameters and the
// tables' touched rows. train selects training mode (dropout, batch
// statistics, id dropout).
func (t *trainer) lossAndGrad(batch []int32, train bool) (total, retr, rank float64) {
	m, d, cfg := t.m, t.d, t.cfg
	b := len(batch)
	// Customer side.
	t.qb.reset(len(m.userCatVals))
	var cats []int32
	if len(m.userCatVals) > 0 {
		cats = make([]int32, len(m.userCatVals))
	}
	for _, e := range batch {
		u := d.User[e]
		for k, vals := range m.userCatVals {
			cats[k] = vals[u]
		}
		var bag []int32
		if m.histTab != nil {
			bag = t.exBags.items[t.exBags.start[e]:t.exBags.end[e]]
		}
		if f := cfg.Features.UserIDDropout; train && f > 0 && t.idDrop.Float32() < f {
			u = -1
		}
		t.qb.add(u, cats, bag, d.Time[e])
	}
	t.xq = nn.Resize(t.xq, b, m.userIn)
	m.queryInput(&t.qb, t.xq)

	// Product side: the batch's items, then sampled negatives.
	t.cand = t.cand[:0]
	for _, e := range batch {
		t.cand = append(t.cand, d.Item[e])
	}
	if cfg.Task != Ranking {
		for range cfg.SampledNegatives {
			t.cand = append(t.cand, int32(t.negRand.IntN(d.NumItems)))
		}
	}
	nc := len(t.cand)
	t.xi = nn.Resize(t.xi, nc, m.itemIn)
	m.itemInput(t.cand, t.xi, t.catsI)

	// Towers (in parallel when both have layers).
	var q, v nn.Mat
	t.both(len(m.userTower) > 0 && len(m.itemTower) > 0,
		func() { q = m.userTower.Forward(t.xq, train) },
		func() { v = m.itemTower.Forward(t.xi, train) })

	t.dq = nn.Resize(t.dq, b, cfg.OutputDim)
	t.dv = nn.Resize(t.dv, nc, cfg.OutputDim)
	t.dq.Zero()
	t.dv.Zero()
	if cfg.Task != Ranking && cfg.RetrievalWeight > 0 {
		retr = t.retrieval(batch, q, v)
		total += float64(cfg.RetrievalWeight) * retr
	}
	if cfg.Task != Retrieval && cfg.RankingWeight > 0 {
		rank = t.ranking(batch, q, v, train)
		total += float64(cfg.RankingWeight) * rank
	}
	total += m.userTower.Penalty() + m.itemTower.Penalty() + m.head.Penalty()

	var dxq, dxi nn.Mat
	t.both(len(m.userTower) > 0 && len(m.itemTower) > 0,
		func() { dxq = m.userTower.Backward(t.dq) },
		func() { dxi = m.itemTower.Backward(t.dv) })
	m.queryInputGrad(&t.qb, dxq)
	m.itemInputGrad(t.cand, dxi, t.catsI)
	return total, retr, rank
}

// both runs f and g, concurrently when parallel is set and workers allow.
func (t *trainer) both(parallel bool, f, g func()) {
	if !parallel || t.workers < 2 {
		f()
		g()
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g()
	}()
	f()
	wg.Wait()
}

// retrieval computes the in-batch softmax over the batch's positive
// examples and adds its weighted gradient into dq and dv.
func (t *trainer) retrieval(batch []int32, q, v nn.Mat) float64 {
	d, cfg := t.d, t.cfg
	b, nc, dim := len(batch), v.Rows, cfg.OutputDim
	w := float32(cfg.RetrievalWeight)
	t.pos = t.pos[:0]
	for k, e := range batch {
		if d.Label == nil || d.Label[e] > 0 {
			t.pos = append(t.pos, k)
		}
	}
	if len(t.pos) == 0 {
		return 0
	}
	// Candidate columns: the positives' items, then the sampled negatives.
	t.posIDs = t.posIDs[:0]
	t.posW = t.posW[:0]
	for _, k := range t.pos {
		t.posIDs = append(t.posIDs, t.cand[k])
		if d.Weight != nil {
			t.posW = append(t.posW, d.Weight[batch[k]])
		}
	}
	t.posIDs = append(t.posIDs, t.cand[b:]...)
	var weights []float32
	if d.Weight != nil {
		weights = t.posW
	}
	var logQ []float32
	if t.logQItem != nil {
		t.logQ = t.logQ[:0]
		for _, it := range t.posIDs {
			t.logQ = append(t.logQ, t.logQItem[it])
		}
		logQ = t.logQ
	}
	np, ncp := len(t.pos), len(t.posIDs)
	if np == b { // every example is a positive: no copies
		t.dqp = nn.Resize(t.dqp, b, dim)
		t.dcp = nn.Resize(t.dcp, nc, dim)
		l := t.loss.Loss(q, v, t.posIDs, logQ, weights, t.dqp, t.dcp)
		nn.Axpy(w, t.dqp.Data, t.dq.Data)
		nn.Axpy(w, t.dcp.Data, t.dv.Data)
		return l
	}
	t.qp = nn.Resize(t.qp, np, dim)
	t.cp = nn.Resize(t.cp, ncp, dim)
	rowOf := func(j int) int { // candidate column j → row of v
		if j < np {
			return t.pos[j]
		}
		return b + j - np
	}
	for j, k := range t.pos {
		copy(t.qp.Row(j), q.Row(k))
	}
	for j := range ncp {
		copy(t.cp.Row(j), v.Row(rowOf(j)))
	}
	t.dqp = nn.Resize(t.dqp, np, dim)
	t.dcp = nn.Resize(t.dcp, ncp, dim)
	l := t.loss.Loss(t.qp, t.cp, t.posIDs, logQ, weights, t.dqp, t.dcp)
	for j, k := range t.pos {
		nn.Axpy(w, t.dqp.Row(j), t.dq.Row(k))
	}
	for j := range ncp {
		nn.Axpy(w, t.dcp.Row(j), t.dv.Row(rowOf(j)))
	}
	return l
}

// ranking runs the rating head on [q, v] for every example of the batch
// and adds its weighted gradient into dq and dv.
func (t *trainer) ranking(batch []int32, q, v nn.Mat, train bool) float64 {
	d, cfg, m := t.d, t.cfg, t.m
	b, dim := len(batch), cfg.OutputDim
	t.headIn = nn.Resize(t.headIn, b, 2*dim)
	for k := range b {
		copy(t.headIn.Data[k*2*dim:], q.Row(k))
		copy(t.headIn.Data[k*2*dim+dim:], v.Row(k))
	}
	out := m.head.Forward(t.headIn, train)
	t.labels, t.wts = t.labels[:0], t.wts[:0]
	for _, e := range batch {
		t.labels = append(t.labels, d.Label[e])
		if d.Weight != nil {
			t.wts = append(t.wts, d.Weight[e])
		}
	}
	var wts []float32
	if d.Weight != nil {
		wts = t.wts
	}
	if cap(t.dPred) < b {
		t.dPred = make([]float32, b)
	}
	t.dPred = t.dPred[:b]
	var l float64
	switch cfg.RankingLoss {
	case "mse":
		l = nn.MSE(out.Data, t.labels, wts, t.dPred)
	case "huber":
		l = nn.Huber(out.Data, t.labels, wts, cfg.HuberDelta, t.dPred)
	default:
		l = nn.BCEWithLogits(out.Data, t.labels, wts, t.dPred)
	}
	w := cfg.RankingWeight
	for k := range t.dPred {
		t.dPred[k] *= w
	}
	dIn := m.head.Backward(nn.Mat{Rows: b, Cols: 1, Data: t.dPred})
	for k := range b {
		nn.Axpy(1, dIn.Data[k*2*dim:k*2*dim+dim], t.dq.Row(k))
		nn.Axpy(1, dIn.Data[k*2*dim+dim:(k+1)*2*dim], t.dv.Row(k))
	}
	return l
}
