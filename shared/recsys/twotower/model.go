package twotower

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/nn"
)

// Model is a trained (or training) two-tower model. After Train, its
// scoring methods are safe for concurrent use; SetHistory and SetScoreTime
// are not and must happen before scoring starts.
type Model struct {
	cfg                Config
	numUsers, numItems int

	// Side-feature shapes and statistics.
	userCatCard, itemCatCard []int
	denseMean, denseStd      []float32

	userID, itemID, histTab *nn.Embedding // nil when off; histTab may be itemID
	userCat, itemCat        []*nn.Embedding
	userTower, itemTower    nn.Sequential
	head                    nn.Sequential
	userIn, itemIn          int // tower input widths

	// Scoring state.
	userCatVals [][]int32   // per feature, per user
	itemCatVals [][]int32   // per feature, per item
	itemDense   [][]float32 // per feature, per item, z-scored
	hist        bags        // per user: the history used when scoring
	itemVecs    nn.Mat      // NumItems × OutputDim, from the product tower
	scoreTime   int64

	epochs []EpochStats
}

// Config returns the configuration the model was built from.
func (m *Model) Config() Config { return m.cfg }

// NumUsers and NumItems are the vocabulary sizes.
func (m *Model) NumUsers() int { return m.numUsers }

// NumItems is the catalogue size.
func (m *Model) NumItems() int { return m.numItems }

// Epochs returns the per-epoch statistics of the training run.
func (m *Model) Epochs() []EpochStats { return m.epochs }

// ItemVectors returns the product vectors (NumItems × OutputDim), computed
// once after training. The matrix must not be modified.
func (m *Model) ItemVectors() nn.Mat { return m.itemVecs }

// ScoreTime is the time the cyclical time features take when scoring
// (by default the end of the training data).
func (m *Model) ScoreTime() int64 { return m.scoreTime }

// SetScoreTime sets the time used for the time features when scoring.
func (m *Model) SetScoreTime(t int64) { m.scoreTime = t }

// SetHistory replaces the purchase histories used when scoring (for
// example with the full training log after training on part of it).
func (m *Model) SetHistory(ev Events) error {
	for k, u := range ev.User {
		if u < 0 || int(u) >= m.numUsers || ev.Item[k] < 0 || int(ev.Item[k]) >= m.numItems {
			return errs.E(errs.Invalid, "purchase history entry %d (user %d, item %d) is outside the model's vocabularies", k, u, ev.Item[k])
		}
	}
	if m.cfg.Features.PurchaseHistory {
		m.hist = userBags(newUserLog(ev, m.numUsers), m.numUsers, m.numItems, m.cfg.Features.HistoryMax)
	}
	return nil
}

// dims are the resolved feature widths.
type dims struct {
	user, item, hist int
	userCat, itemCat []int
}

func (m *Model) resolveDims() (dims, error) {
	f, c := m.cfg.Features, m.cfg
	var d dims
	pick := func(set, card int, emptyTower bool) int {
		switch {
		case set > 0:
			return set
		case emptyTower:
			return c.OutputDim
		}
		return DimFor(card)
	}
	if f.UserID {
		d.user = pick(f.UserIDDim, m.numUsers, len(c.UserTower) == 0)
	}
	if f.ItemID {
		d.item = pick(f.ItemIDDim, m.numItems, len(c.ItemTower) == 0)
	}
	if f.PurchaseHistory {
		switch {
		case f.HistoryOwnTable:
			d.hist = pick(f.HistoryDim, m.numItems, false)
		case !f.ItemID:
			return d, invalid("features.purchase_history", "the history shares the product id table; enable item_id or set history_own_table")
		default:
			d.hist = d.item
		}
	}
	capDim := func(card int) int {
		v := DimFor(card)
		if f.CategoricalDimCap > 0 {
			v = min(v, f.CategoricalDimCap)
		}
		return v
	}
	if f.UserCategorical {
		for _, card := range m.userCatCard {
			d.userCat = append(d.userCat, capDim(card))
		}
	}
	if f.ItemCategorical {
		for _, card := range m.itemCatCard {
			d.itemCat = append(d.itemCat, capDim(card))
		}
	}
	return d, nil
}

// build creates the tables and layers for the given shapes.
func (m *Model) build() error {
	d, err := m.resolveDims()
	if err != nil {
		return err
	}
	c := m.cfg
	std := float64(c.EmbeddingInitStd)
	rng := func(stream uint64) *rand.Rand { return nn.NewRand(c.Seed, stream) }
	if d.user > 0 {
		m.userID = nn.NewEmbedding("user_id", m.numUsers, d.user, std, rng(1))
	}
	if d.item > 0 {
		m.itemID = nn.NewEmbedding("item_id", m.numItems, d.item, std, rng(2))
	}
	if d.hist > 0 {
		if c.Features.HistoryOwnTable {
			m.histTab = nn.NewEmbedding("history", m.numItems, d.hist, std, rng(3))
		} else {
			m.histTab = m.itemID
		}
	}
	m.userCat, m.itemCat = nil, nil
	for k, w := range d.userCat {
		m.userCat = append(m.userCat, nn.NewEmbedding(fmt.Sprintf("user_cat%d", k), m.userCatCard[k], w, std, rng(100+uint64(k))))
	}
	for k, w := range d.itemCat {
		m.itemCat = append(m.itemCat, nn.NewEmbedding(fmt.Sprintf("item_cat%d", k), m.itemCatCard[k], w, std, rng(200+uint64(k))))
	}
	m.userIn = d.user + d.hist
	for _, w := range d.userCat {
		m.userIn += w
	}
	if c.Features.Time {
		m.userIn += 4
	}
	m.itemIn = d.item
	for _, w := range d.itemCat {
		m.itemIn += w
	}
	if c.Features.ItemDense {
		m.itemIn += len(m.denseMean)
	}
	if m.userIn == 0 {
		return invalid("features", "the customer tower has no input: the data has no values for the enabled customer features")
	}
	if m.itemIn == 0 {
		return invalid("features", "the product tower has no input: the data has no values for the enabled product features")
	}
	if m.userTower, err = buildLayers("user_tower", c.UserTower, m.userIn, c.OutputDim, c.Seed, 1000); err != nil {
		return err
	}
	if m.itemTower, err = buildLayers("item_tower", c.ItemTower, m.itemIn, c.OutputDim, c.Seed, 2000); err != nil {
		return err
	}
	if c.Task != Retrieval {
		if m.head, err = buildLayers("rating_head", c.RatingHead, 2*c.OutputDim, 1, c.Seed, 3000); err != nil {
			return err
		}
	}
	return nil
}

func buildLayers(name string, specs []LayerSpec, in, out int, seed, stream uint64) (nn.Sequential, error) {
	if len(specs) == 0 && in != out {
		return nil, invalid(name, "the tower has no layers, so its inputs must add up to %d values, but they add up to %d; add a dense layer of %d units", out, in, out)
	}
	var s nn.Sequential
	w := in
	for i, l := range specs {
		lname := fmt.Sprintf("%s.%d", name, i)
		rng := nn.NewRand(seed, stream+uint64(i))
		switch l.Type {
		case LayerDense:
			act, _ := nn.ParseActivation(l.Activation)
			s = append(s, nn.NewDense(lname, w, l.Units, act, l.L1, l.L2, rng))
			w = l.Units
		case LayerDropout:
			s = append(s, nn.NewDropout(w, l.Rate, rng))
		case LayerBatchNorm:
			s = append(s, nn.NewBatchNorm(lname, w))
		case LayerLayerNorm:
			eps := l.Epsilon
			if eps == 0 {
				eps = 1e-6
			}
			s = append(s, nn.NewLayerNorm(lname, w, eps))
		}
	}
	if w != out {
		return nil, invalid(name, "the layers output %d values, but %d are needed: make the last dense layer %d units wide", w, out, out)
	}
	return s, nil
}

// tables lists the embedding tables once each.
func (m *Model) tables() []*nn.Embedding {
	var ts []*nn.Embedding
	for _, t := range []*nn.Embedding{m.userID, m.itemID} {
		if t != nil {
			ts = append(ts, t)
		}
	}
	if m.histTab != nil && m.histTab != m.itemID {
		ts = append(ts, m.histTab)
	}
	ts = append(ts, m.userCat...)
	return append(ts, m.itemCat...)
}

// params lists the dense tensors of the towers and the head.
func (m *Model) params() []*nn.Param {
	ps := m.userTower.Params()
	ps = append(ps, m.itemTower.Params()...)
	return append(ps, m.head.Params()...)
}

// queryBatch is the customer-side input of a batch.
type queryBatch struct {
	users  []int32   // -1: no id embedding
	cats   [][]int32 // per feature, per row
	bagOff []int32   // len rows+1
	bag    []int32
	times  []int64
}

func (q *queryBatch) reset(nCat int) {
	q.users = q.users[:0]
	if len(q.cats) != nCat {
		q.cats = make([][]int32, nCat)
	}
	for k := range q.cats {
		q.cats[k] = q.cats[k][:0]
	}
	q.bagOff = append(q.bagOff[:0], 0)
	q.bag = q.bag[:0]
	q.times = q.times[:0]
}

// add appends one row: user u (-1: unknown), its categorical values (nil:
// unknown), its history bag and time.
func (q *queryBatch) add(u int32, cats []int32, bag []int32, t int64) {
	q.users = append(q.users, u)
	for k := range q.cats {
		v := int32(-1)
		if cats != nil {
			v = cats[k]
		}
		q.cats[k] = append(q.cats[k], v)
	}
	q.bag = append(q.bag, bag...)
	q.bagOff = append(q.bagOff, int32(len(q.bag)))
	q.times = append(q.times, t)
}

// queryInput fills x (rows × userIn) from the batch.
func (m *Model) queryInput(q *queryBatch, x nn.Mat) {
	col := 0
	if m.userID != nil {
		m.userID.Gather(q.users, x, col)
		col += m.userID.Dim
	}
	for k, t := range m.userCat {
		t.Gather(q.cats[k], x, col)
		col += t.Dim
	}
	if m.histTab != nil {
		m.histTab.BagMean(q.bagOff, q.bag, x, col)
		col += m.histTab.Dim
	}
	if m.cfg.Features.Time {
		for i, t := range q.times {
			timeFeatures(t, x.Data[i*x.Cols+col:i*x.Cols+col+4])
		}
	}
}

// queryInputGrad sends the gradient of the query input to the tables.
func (m *Model) queryInputGrad(q *queryBatch, dx nn.Mat) {
	col := 0
	if m.userID != nil {
		m.userID.ScatterGrad(q.users, dx, col)
		col += m.userID.Dim
	}
	for k, t := range m.userCat {
		t.ScatterGrad(q.cats[k], dx, col)
		col += t.Dim
	}
	if m.histTab != nil {
		m.histTab.BagMeanGrad(q.bagOff, q.bag, dx, col)
	}
}

// itemInput fills x (len(items) × itemIn).
func (m *Model) itemInput(items []int32, x nn.Mat, cats []int32) {
	col := 0
	if m.itemID != nil {
		m.itemID.Gather(items, x, col)
		col += m.itemID.Dim
	}
	for k, t := range m.itemCat {
		cats = cats[:0]
		for _, it := range items {
			cats = append(cats, m.itemCatVals[k][it])
		}
		t.Gather(cats, x, col)
		col += t.Dim
	}
	if m.cfg.Features.ItemDense {
		for i, it := range items {
			for k, f := range m.itemDense {
				x.Data[i*x.Cols+col+k] = f[it]
			}
		}
	}
}

// itemInputGrad sends the gradient of the item input to the tables.
func (m *Model) itemInputGrad(items []int32, dx nn.Mat, cats []int32) {
	col := 0
	if m.itemID != nil {
		m.itemID.ScatterGrad(items, dx, col)
		col += m.itemID.Dim
	}
	for k, t := range m.itemCat {
		cats = cats[:0]
		for _, it := range items {
			cats = append(cats, m.itemCatVals[k][it])
		}
		t.ScatterGrad(cats, dx, col)
		col += t.Dim
	}
}

// prepareScoring computes the product vectors from the current weights.
func (m *Model) prepareScoring() {
	items := make([]int32, m.numItems)
	for i := range items {
		items[i] = int32(i)
	}
	x := nn.NewMat(m.numItems, m.itemIn)
	m.itemInput(items, x, nil)
	m.itemVecs = m.itemTower.Infer(x)
}

// Query describes a customer to score. The zero Time means ScoreTime.
type Query struct {
	// User is the user index, or -1 for a customer the model has no id
	// embedding for (the query then rests on History and Cat).
	User int32
	// History lists the customer's products, most recent first; nil
	// takes the stored history of User (none for User -1).
	History []int32
	// Cat gives the customer's categorical values in the order of
	// Data.UserCat (-1 unknown); nil takes the stored values of User.
	Cat  []int32
	Time int64
}

// UserVector returns the customer tower's output for q.
func (m *Model) UserVector(q Query) ([]float32, error) {
	if int(q.User) >= m.numUsers || q.User < -1 {
		return nil, errs.E(errs.NotFound, "customer index %d is not in the model (it knows %d customers)", q.User, m.numUsers)
	}
	for _, it := range q.History {
		if it < 0 || int(it) >= m.numItems {
			return nil, errs.E(errs.Invalid, "history product index %d is not in the model's catalogue of %d", it, m.numItems)
		}
	}
	var b queryBatch
	b.reset(len(m.userCatVals))
	hist := q.History
	if hist == nil && q.User >= 0 && m.histTab != nil {
		hist = m.hist.items[m.hist.start[q.User]:m.hist.end[q.User]]
	}
	if len(hist) > m.cfg.Features.HistoryMax {
		hist = hist[:m.cfg.Features.HistoryMax]
	}
	cats := q.Cat
	if cats == nil && q.User >= 0 {
		cats = make([]int32, len(m.userCatVals))
		for k, vals := range m.userCatVals {
			cats[k] = vals[q.User]
		}
	}
	if cats != nil && len(cats) != len(m.userCatVals) {
		return nil, errs.E(errs.Invalid, "the query gives %d customer features, the model has %d", len(cats), len(m.userCatVals))
	}
	t := q.Time
	if t == 0 {
		t = m.scoreTime
	}
	b.add(q.User, cats, hist, t)
	x := nn.NewMat(1, m.userIn)
	m.queryInput(&b, x)
	return m.userTower.Infer(x).Data, nil
}

// ScoreQuery writes the retrieval score (dot product of the two towers'
// vectors) of every product for q into dst (len NumItems).
func (m *Model) ScoreQuery(q Query, dst []float32) error {
	if len(dst) != m.numItems {
		return errs.E(errs.Invalid, "the score buffer has %d entries for %d products", len(dst), m.numItems)
	}
	v, err := m.UserVector(q)
	if err != nil {
		return err
	}
	nn.Gemv(dst, m.itemVecs, v)
	return nil
}

// ScoreUser writes the retrieval score of every product for user u into
// dst (len NumItems), using u's stored history and features.
func (m *Model) ScoreUser(u int, dst []float32) error {
	if u < 0 || u >= m.numUsers {
		return errs.E(errs.NotFound, "customer index %d is not in the model (it knows %d customers)", u, m.numUsers)
	}
	return m.ScoreQuery(Query{User: int32(u)}, dst)
}

// Score implements the evaluation's Scorer (float64 scores); a user the
// model does not know gets zeros.
func (m *Model) Score(u int, dst []float64) {
	buf := make([]float32, m.numItems)
	if err := m.ScoreUser(u, buf); err != nil {
		clear(dst)
		return
	}
	for i, v := range buf {
		dst[i] = float64(v)
	}
}

// PredictRatings writes the rating head's prediction for q and each of
// items into dst: a probability for the bce loss, the raw prediction for
// mse and huber. Only ranking and multitask models have a head.
func (m *Model) PredictRatings(q Query, items []int32, dst []float32) error {
	if m.cfg.Task == Retrieval {
		return errs.E(errs.Invalid, "a retrieval model has no rating head")
	}
	if len(dst) != len(items) {
		return errs.E(errs.Invalid, "the prediction buffer has %d entries for %d products", len(dst), len(items))
	}
	v, err := m.UserVector(q)
	if err != nil {
		return err
	}
	d := m.cfg.OutputDim
	x := nn.NewMat(len(items), 2*d)
	for i, it := range items {
		if it < 0 || int(it) >= m.numItems {
			return errs.E(errs.Invalid, "product index %d is not in the model's catalogue of %d", it, m.numItems)
		}
		copy(x.Data[i*2*d:], v)
		copy(x.Data[i*2*d+d:], m.itemVecs.Row(int(it)))
	}
	y := m.head.Infer(x)
	for i := range dst {
		dst[i] = m.output(y.Data[i])
	}
	return nil
}

// output maps the head's raw output to the served prediction.
func (m *Model) output(v float32) float32 {
	if m.cfg.RankingLoss == "bce" {
		return nn.SigmoidF(v)
	}
	return v
}

// newModel validates the inputs and builds an untrained model.
func newModel(cfg Config, d *Data) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := d.validate(cfg); err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, numUsers: d.NumUsers, numItems: d.NumItems}
	for _, c := range d.UserCat {
		m.userCatCard = append(m.userCatCard, c.Card)
		m.userCatVals = append(m.userCatVals, c.Values)
	}
	for _, c := range d.ItemCat {
		m.itemCatCard = append(m.itemCatCard, c.Card)
		m.itemCatVals = append(m.itemCatVals, c.Values)
	}
	if !cfg.Features.UserCategorical {
		m.userCatCard, m.userCatVals = nil, nil
	}
	if !cfg.Features.ItemCategorical {
		m.itemCatCard, m.itemCatVals = nil, nil
	}
	if cfg.Features.ItemDense {
		m.denseMean, m.denseStd = denseStats(d.ItemDense)
		for k, f := range d.ItemDense {
			z := make([]float32, len(f.Values))
			for i, v := range f.Values {
				if !math.IsNaN(float64(v)) {
					z[i] = (v - m.denseMean[k]) / m.denseStd[k]
				}
			}
			m.itemDense = append(m.itemDense, z)
		}
	}
	for _, t := range d.Time {
		m.scoreTime = max(m.scoreTime, t+1)
	}
	if err := m.build(); err != nil {
		return nil, err
	}
	if err := m.SetHistory(d.events()); err != nil {
		return nil, err
	}
	return m, nil
}
