package twotower

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
	"github.com/b2brecs/b2brecs/shared/recsys/nn"
)

func TestDefaultConfigsAreValid(t *testing.T) {
	for name, c := range map[string]Config{"default": DefaultConfig(), "id-only": IDOnlyConfig(), "small": smallConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"epochs": 7, "optimizer": {"name": "adagrad"}, "features": {"purchase_history": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if c.Epochs != 7 || c.Optimizer.Name != "adagrad" || !c.Features.Time || !c.Features.PurchaseHistory || c.BatchSize != def.BatchSize {
		t.Errorf("decoded over the defaults: %+v", c)
	}
	// A given layer list replaces the default one, element by element too.
	c, err = ParseConfig([]byte(`{"user_tower": [{"type": "dense", "units": 64}]}`))
	if err != nil || len(c.UserTower) != 1 || c.UserTower[0].Activation != "" || len(c.ItemTower) != 3 {
		t.Errorf("layer list: %v %+v", err, c.UserTower)
	}
	_, err = ParseConfig([]byte(`{"epoch": 7}`))
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "epoch") {
		t.Errorf("unknown field: %v (user message %q)", err, errs.UserMessage(err))
	}
	// The JSON of a config decodes to the same config.
	b, _ := jsonMarshal(DefaultConfig())
	back, err := ParseConfig(b)
	if err != nil || !configsEqual(back, DefaultConfig()) {
		t.Errorf("round trip: %v\n%+v", err, back)
	}
}

func TestConfigValidationNamesTheField(t *testing.T) {
	cases := []struct {
		edit  func(*Config)
		field string
	}{
		{func(c *Config) { c.Task = "clustering" }, "task"},
		{func(c *Config) { c.OutputDim = 0 }, "output_dim"},
		{func(c *Config) { c.UserTower[2].Units = 16 }, "user_tower[2].units"},
		{func(c *Config) { c.ItemTower[2].Activation = "relu" }, "item_tower[2].activation"},
		{func(c *Config) { c.ItemTower[1].Rate = 0.95 }, "item_tower[1].rate"},
		{func(c *Config) { c.UserTower[0].Type = "conv" }, "user_tower[0].type"},
		{func(c *Config) { c.UserTower[0].Activation = "swish" }, "user_tower[0].activation"},
		{func(c *Config) { c.Optimizer.Name = "lion" }, "optimizer.name"},
		{func(c *Config) { c.BatchSize = 1 }, "batch_size"},
		{func(c *Config) { c.Epochs = 0 }, "epochs"},
		{func(c *Config) { c.Temperature = 0 }, "temperature"},
		{func(c *Config) { c.Features.PurchaseHistory, c.Features.HistoryMax = true, 0 }, "features.history_max"},
		{func(c *Config) { c.Features.UserIDDropout = 1 }, "features.user_id_dropout"},
		{func(c *Config) { c.Features = Features{ItemID: true} }, "features"},
		{func(c *Config) { c.Task, c.RankingWeight, c.RatingHead = Ranking, 1, []LayerSpec{Dense(8, "relu")} }, "rating_head"},
		{func(c *Config) {
			c.Task, c.RankingWeight, c.RatingHead = Ranking, 1, []LayerSpec{Dense(8, "relu"), Dense(1, "sigmoid")}
		}, "rating_head[1].activation"},
		{func(c *Config) { c.Task, c.RetrievalWeight = Multitask, 0 }, "retrieval_weight"},
		{func(c *Config) { c.Task, c.RankingWeight, c.RankingLoss = Ranking, 1, "hinge" }, "ranking_loss"},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != tc.field {
			t.Errorf("want an invalid-input error on %s, got %v (field %q)", tc.field, err, errs.FieldOf(err))
		}
	}
}

func TestEmptyTowerWidthMustMatch(t *testing.T) {
	c := IDOnlyConfig()
	c.Features.PurchaseHistory, c.Features.HistoryMax = true, 10
	_, err := Train(context.Background(), c, synthData(10, 20, 2, 4, 0, 1), TrainOptions{})
	if errs.FieldOf(err) != "user_tower" || !strings.Contains(errs.UserMessage(err), "add a dense layer") {
		t.Errorf("got %v", err)
	}
}

// TestPointInTimeHistory: a training example sees the distinct products its
// customer bought strictly before it, most recent first, at most
// history_max; a scoring history holds every purchase.
func TestPointInTimeHistory(t *testing.T) {
	ev := Events{
		User: []int32{0, 0, 0, 0, 0, 1},
		Item: []int32{5, 6, 5, 7, 8, 5},
		Time: []int64{10, 20, 30, 40, 40, 15},
	}
	l := newUserLog(ev, 2)
	b := exampleBags(l, []int32{0, 0, 0, 0, 1, 0}, []int64{10, 35, 40, 41, 16, 41}, 9, 3)
	bag := func(k int) []int32 { return b.items[b.start[k]:b.end[k]] }
	want := [][]int32{{}, {5, 6}, {5, 6}, {8, 7, 5}, {5}, {8, 7, 5}}
	for k, w := range want {
		if !slices.Equal(bag(k), w) {
			t.Errorf("example %d: history %v, want %v", k, bag(k), w)
		}
	}
	ub := userBags(l, 2, 9, 10)
	if got := ub.items[ub.start[0]:ub.end[0]]; !slices.Equal(got, []int32{8, 7, 5, 6}) {
		t.Errorf("scoring history of user 0: %v, want [8 7 5 6]", got)
	}
}

// gradCase builds a trainer for a configuration on small data.
func gradTrainer(t *testing.T, cfg Config, d *Data) *trainer {
	t.Helper()
	m, err := newModel(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrainer(m, d)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestModelGradients checks the gradient of the whole training loss (towers,
// feature plumbing, losses, multitask weights, penalties) with respect to
// the dense parameters and the touched embedding rows against finite
// differences, for every task and loss.
func TestModelGradients(t *testing.T) {
	full := func() Config {
		c := smallConfig()
		c.UserTower = []LayerSpec{{Type: LayerDense, Units: 12, Activation: "tanh", L2: 0.01}, {Type: LayerLayerNorm}, Dense(8, "linear")}
		c.ItemTower = []LayerSpec{{Type: LayerDense, Units: 12, Activation: "gelu", L1: 0.001}, {Type: LayerBatchNorm}, Dense(8, "linear")}
		c.RatingHead = []LayerSpec{Dense(6, "sigmoid"), Dense(1, "linear")}
		return c
	}
	cases := []struct {
		name string
		cfg  func() Config
		neg  int
		wts  bool
	}{
		{"id-only retrieval", func() Config { c := IDOnlyConfig(); c.OutputDim = 8; return c }, 0, false},
		{"all features retrieval, sampled negatives, logQ, weights", func() Config {
			c := full()
			c.SampledNegatives, c.LogQCorrection, c.Temperature = 5, true, 0.5
			return c
		}, 0, true},
		{"own history table", func() Config { c := full(); c.Features.HistoryOwnTable = true; return c }, 0, false},
		{"multitask bce", func() Config { c := full(); c.Task, c.RankingWeight, c.RetrievalWeight = Multitask, 0.7, 0.5; return c }, 2, false},
		{"ranking mse", func() Config { c := full(); c.Task, c.RankingWeight, c.RankingLoss = Ranking, 1, "mse"; return c }, 2, true},
		{"ranking huber", func() Config {
			c := full()
			c.Task, c.RankingWeight, c.RankingLoss, c.HuberDelta = Ranking, 1, "huber", 0.3
			return c
		}, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := synthData(6, 12, 3, 3, tc.neg, 5)
			if tc.wts {
				d.Weight = make([]float32, len(d.User))
				for k := range d.Weight {
					d.Weight[k] = 0.5 + float32(k%3)*0.5
				}
			}
			tr := gradTrainer(t, tc.cfg(), d)
			batch := make([]int32, min(len(d.User), 14))
			for k := range batch {
				batch[k] = int32((k * 5) % len(d.User))
			}
			zero := func() {
				for _, p := range tr.params {
					p.ZeroGrad()
				}
				for _, e := range tr.tables {
					e.ZeroGrad()
				}
			}
			f := func() float64 {
				zero()
				tr.negRand = nn.NewRand(1, 1) // the same sampled negatives every time
				l, _, _ := tr.lossAndGrad(batch, true)
				zero()
				return l
			}
			zero()
			tr.negRand = nn.NewRand(1, 1)
			tr.lossAndGrad(batch, true)
			type check struct {
				name string
				w    []float32
				g    []float32
			}
			var checks []check
			for _, p := range tr.params {
				if !p.NoTrain {
					checks = append(checks, check{p.Name, p.W, slices.Clone(p.G)})
				}
			}
			for _, e := range tr.tables {
				g := make([]float32, len(e.W))
				for k, r := range e.Touched() {
					copy(g[int(r)*e.Dim:], e.GradRow(r))
					_ = k
				}
				checks = append(checks, check{e.Name, e.W, g})
			}
			zero()
			for _, c := range checks {
				bad := 0
				for i := 0; i < len(c.w); i += max(1, len(c.w)/40) {
					n := nn.NumericGrad(f, c.w, i, 1e-3)
					if nn.GradMismatch(float64(c.g[i]), n, 3e-2, 3e-3) {
						if bad < 3 {
							t.Errorf("%s[%d]: analytic %.6f, numeric %.6f", c.name, i, c.g[i], n)
						}
						bad++
					}
				}
			}
		})
	}
}

// TestTrainLearnsGroups: on data where customers buy within their group,
// the trained model ranks the customer's group first.
func TestTrainLearnsGroups(t *testing.T) {
	d := synthData(60, 80, 4, 12, 0, 2)
	for name, cfg := range map[string]Config{"id-only": func() Config {
		c := IDOnlyConfig()
		c.OutputDim, c.BatchSize, c.Epochs, c.Optimizer.LearningRate = 8, 32, 15, 0.02
		return c
	}(), "all features": smallConfig()} {
		t.Run(name, func(t *testing.T) {
			var stats []EpochStats
			m, err := Train(context.Background(), cfg, d, TrainOptions{OnEpoch: func(s EpochStats) error {
				stats = append(stats, s)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(stats) != cfg.Epochs || stats[0].ExamplesPerSec <= 0 || stats[0].Examples != len(d.User) {
				t.Fatalf("epoch stats: %+v", stats)
			}
			if stats[len(stats)-1].Loss >= stats[0].Loss {
				t.Errorf("loss did not fall: first %.4f, last %.4f", stats[0].Loss, stats[len(stats)-1].Loss)
			}
			scores := make([]float32, d.NumItems)
			hits := 0
			for u := range d.NumUsers {
				if err := m.ScoreUser(u, scores); err != nil {
					t.Fatal(err)
				}
				for _, i := range topN(scores, 10) {
					if i%4 == u%4 {
						hits++
					}
				}
			}
			if f := float64(hits) / float64(10*d.NumUsers); f < 0.8 {
				t.Errorf("%.2f of the top-10 products are in the customer's group, want at least 0.8", f)
			}
		})
	}
}

func topN(s []float32, n int) []int {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case s[a] > s[b]:
			return -1
		case s[a] < s[b]:
			return 1
		}
		return 0
	})
	return idx[:n]
}

// TestDeterministicForSeed: two runs with one seed give bit-identical
// product vectors and scores, another seed does not.
func TestDeterministicForSeed(t *testing.T) {
	d := synthData(30, 40, 3, 8, 0, 3)
	run := func(seed uint64) []float32 {
		c := smallConfig()
		c.Seed = seed
		c.SampledNegatives = 3
		m, err := Train(context.Background(), c, d, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := make([]float32, d.NumItems)
		if err := m.ScoreUser(7, s); err != nil {
			t.Fatal(err)
		}
		return append(slices.Clone(m.ItemVectors().Data), s...)
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(a, b) {
		t.Error("two runs with seed 1 differ")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same model")
	}
}

// countdownCtx reports cancellation after its Err method has been asked
// n times: training checks it once per batch.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancelMidEpoch(t *testing.T) {
	d := synthData(30, 40, 3, 8, 0, 3)
	c := smallConfig()
	c.BatchSize = 16 // 15 batches per epoch
	epochs := 0
	_, err := Train(&countdownCtx{Context: context.Background(), n: 20}, c, d, TrainOptions{OnEpoch: func(EpochStats) error {
		epochs++
		return nil
	}})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "epoch 2 of 3") || epochs != 1 {
		t.Errorf("err %v after %d epochs; want context.Canceled in epoch 2", err, epochs)
	}
}

func TestOnEpochAndValidateHooks(t *testing.T) {
	d := synthData(20, 30, 3, 5, 0, 3)
	stop := errors.New("enough")
	c := smallConfig()
	calls := 0
	_, err := Train(context.Background(), c, d, TrainOptions{
		Validate: func(_ context.Context, m *Model) (map[string]float64, error) {
			s := make([]float32, m.NumItems())
			if err := m.ScoreUser(1, s); err != nil {
				return nil, err
			}
			calls++
			return map[string]float64{"score0": float64(s[0])}, nil
		},
		OnEpoch: func(s EpochStats) error {
			if _, ok := s.Metrics["score0"]; !ok {
				t.Errorf("epoch %d stats lack the validation metric: %+v", s.Epoch, s)
			}
			if s.Epoch == 2 {
				return stop
			}
			return nil
		},
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Errorf("err %v after %d validations, want the hook's error after 2", err, calls)
	}
}

// TestArtifactRoundTrip: a model read back from its file scores every
// customer exactly as before; damaged files are refused.
func TestArtifactRoundTrip(t *testing.T) {
	d := synthData(25, 30, 3, 6, 1, 4)
	c := smallConfig()
	c.Task, c.RankingWeight = Multitask, 0.5
	c.RatingHead = []LayerSpec{Dense(8, "relu"), Dense(1, "linear")}
	c.ItemTower = append([]LayerSpec{{Type: LayerBatchNorm}}, c.ItemTower...)
	m, err := Train(context.Background(), c, d, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	back, err := UnmarshalModel(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, d.NumItems), make([]float32, d.NumItems)
	for u := range d.NumUsers {
		m.ScoreUser(u, a)
		back.ScoreUser(u, b)
		if !slices.Equal(a, b) {
			t.Fatalf("user %d scores differ after the round trip", u)
		}
	}
	items := []int32{0, 5, 9}
	pa, pb := make([]float32, 3), make([]float32, 3)
	if err := m.PredictRatings(Query{User: 3}, items, pa); err != nil {
		t.Fatal(err)
	}
	back.PredictRatings(Query{User: 3}, items, pb)
	if !slices.Equal(pa, pb) {
		t.Errorf("predictions differ: %v vs %v", pa, pb)
	}
	if !configsEqual(back.Config(), m.Config()) || len(back.Epochs()) != c.Epochs {
		t.Errorf("config or epochs lost")
	}
	// Damage: a flipped value byte, a wrong version, a truncated file.
	flipped := slices.Clone(raw)
	flipped[len(flipped)-100] ^= 1
	version := slices.Clone(raw)
	version[8] = 9
	for name, tc := range map[string]struct {
		b    []byte
		kind errs.Kind
	}{"flipped": {flipped, errs.Invalid}, "version": {version, errs.Unsupported}, "truncated": {raw[:len(raw)/2], errs.Invalid}, "empty": {nil, errs.Invalid}} {
		_, err := UnmarshalModel(tc.b)
		if !errs.Is(err, tc.kind) || !strings.Contains(errs.UserMessage(err), "train the model again") {
			t.Errorf("%s: %v (user message %q)", name, err, errs.UserMessage(err))
		}
	}
}

// TestUnknownCustomerQuery: a customer without an id embedding is scored
// from the history and features given in the query.
func TestUnknownCustomerQuery(t *testing.T) {
	d := synthData(30, 40, 4, 10, 0, 6)
	c := smallConfig()
	// The history is then the only signal besides the id.
	c.Features.UserCategorical, c.Features.Time = false, false
	c.Features.UserIDDropout = 0.3
	c.Epochs = 8
	m, err := Train(context.Background(), c, d, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float32, d.NumItems)
	// History of group-1 products only.
	if err := m.ScoreQuery(Query{User: -1, History: []int32{1, 5, 9, 13}}, s); err != nil {
		t.Fatal(err)
	}
	hits := 0
	for _, i := range topN(s, 10) {
		if i%4 == 1 {
			hits++
		}
	}
	if hits < 6 {
		t.Errorf("%d of the top 10 products are in the history's group, want at least 6", hits)
	}
	if err := m.ScoreUser(30, s); !errs.Is(err, errs.NotFound) {
		t.Errorf("user out of range: %v", err)
	}
	if err := m.ScoreQuery(Query{User: -1, History: []int32{99}}, s); !errs.Is(err, errs.Invalid) {
		t.Errorf("history product out of range: %v", err)
	}
}

// TestRankingServesProbabilities: a bce head serves probabilities, higher
// for bought than for random products.
func TestRankingServesProbabilities(t *testing.T) {
	d := synthData(40, 40, 4, 8, 3, 7)
	c := smallConfig()
	c.Task, c.RankingWeight, c.RetrievalWeight = Multitask, 1, 0.2
	c.RatingHead = []LayerSpec{Dense(16, "relu"), Dense(1, "linear")}
	c.Epochs = 8
	m, err := Train(context.Background(), c, d, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pos, neg float64
	var np, nneg int
	p := make([]float32, 1)
	for k := range d.User {
		if err := m.PredictRatings(Query{User: d.User[k]}, d.Item[k:k+1], p); err != nil {
			t.Fatal(err)
		}
		if p[0] <= 0 || p[0] >= 1 || math.IsNaN(float64(p[0])) {
			t.Fatalf("prediction %v is not a probability", p[0])
		}
		if d.Label[k] > 0 {
			pos, np = pos+float64(p[0]), np+1
		} else {
			neg, nneg = neg+float64(p[0]), nneg+1
		}
	}
	if pos/float64(np) <= neg/float64(nneg)+0.1 {
		t.Errorf("mean probability of bought products %.3f, of random ones %.3f", pos/float64(np), neg/float64(nneg))
	}
	if err := (&Model{cfg: IDOnlyConfig()}).PredictRatings(Query{}, nil, nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("retrieval model predicted ratings: %v", err)
	}
}

func TestDataValidation(t *testing.T) {
	cases := map[string]func(d *Data){
		"user out of range":  func(d *Data) { d.User[3] = 99 },
		"item out of range":  func(d *Data) { d.Item[0] = -1 },
		"columns differ":     func(d *Data) { d.Time = d.Time[1:] },
		"negative weight":    func(d *Data) { d.Weight = make([]float32, len(d.User)); d.Weight[2] = -1 },
		"category too large": func(d *Data) { d.UserCat[0].Values[4] = 3 },
		"dense length":       func(d *Data) { d.ItemDense[0].Values = d.ItemDense[0].Values[:3] },
		"no examples":        func(d *Data) { d.User, d.Item, d.Time = nil, nil, nil },
		"history out of range": func(d *Data) {
			d.History = &Events{User: []int32{0}, Item: []int32{100}, Time: []int64{1}}
		},
	}
	for name, edit := range cases {
		d := synthData(10, 12, 2, 3, 0, 1)
		edit(d)
		if _, err := Train(context.Background(), smallConfig(), d, TrainOptions{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := smallConfig()
	c.Task, c.RankingWeight, c.RatingHead = Ranking, 1, []LayerSpec{Dense(1, "")}
	if _, err := Train(context.Background(), c, synthData(10, 12, 2, 3, 0, 1), TrainOptions{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("ranking without labels: %v", err)
	}
}

func TestPresetAndSet(t *testing.T) {
	c, err := Preset("default")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"epochs": "12", "dim": "48", "optimizer": "adagrad", "logq": "false", "history": "0", "batch": "256"} {
		if err := c.Set(k, v); err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Epochs != 12 || c.OutputDim != 48 || c.UserTower[2].Units != 48 || c.ItemTower[2].Units != 48 ||
		c.Optimizer.Name != "adagrad" || c.Optimizer.LearningRate != 0 || c.LogQCorrection || c.Features.PurchaseHistory || c.BatchSize != 256 {
		t.Errorf("settings not applied: %+v", c)
	}
	if err := c.Set("learning_rate", "0.01"); err != nil || c.Optimizer.LearningRate != 0.01 {
		t.Errorf("JSON name as key: %v, lr %v", err, c.Optimizer.LearningRate)
	}
	if err := c.Set("epochs", "many"); errs.FieldOf(err) != "epochs" {
		t.Errorf("bad number: %v", err)
	}
	if err := c.Set("depth", "3"); errs.FieldOf(err) != "depth" {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := Preset("huge"); errs.FieldOf(err) != "preset" {
		t.Errorf("unknown preset: %v", err)
	}
	if c, _ := Preset("id-only"); len(c.UserTower) != 0 || c.Features.PurchaseHistory {
		t.Errorf("id-only preset: %+v", c)
	}
}

func TestDivergenceIsReported(t *testing.T) {
	c := smallConfig()
	c.Optimizer = nn.OptimizerConfig{Name: "sgd", LearningRate: 10}
	c.Temperature = 0.01
	_, err := Train(context.Background(), c, synthData(30, 40, 3, 8, 0, 3), TrainOptions{})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "lower the learning rate") {
		t.Errorf("got %v", err)
	}
}

// TestPlatformArtifactRoundTrip: stored in the platform's model file, the
// model scores exactly as before.
func TestPlatformArtifactRoundTrip(t *testing.T) {
	d := synthData(20, 30, 3, 6, 0, 8)
	m, err := Train(context.Background(), smallConfig(), d, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := artifact.New("two-tower", "two-tower")
	if err := m.PutArtifact(f); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f2, err := artifact.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromArtifact(f2)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, d.NumItems), make([]float32, d.NumItems)
	for u := range d.NumUsers {
		m.ScoreUser(u, a)
		back.ScoreUser(u, b)
		if !slices.Equal(a, b) {
			t.Fatalf("user %d scores differ", u)
		}
	}
}

// TestSameResultOnAnyCPUCount: the parallel parts (matrix products, softmax
// rows, towers, optimizer rows) give bit-identical models on one CPU and on
// several.
func TestSameResultOnAnyCPUCount(t *testing.T) {
	d := synthData(300, 700, 10, 6, 0, 9)
	c := smallConfig()
	c.OutputDim, c.UserTower[2].Units, c.ItemTower[1].Units = 32, 32, 32
	c.BatchSize, c.Epochs = 256, 2
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m, err := Train(context.Background(), c, d, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return m.ItemVectors().Data
	}
	if a, b := run(1), run(4); !slices.Equal(a, b) {
		t.Error("one CPU and four CPUs trained different models")
	}
}
