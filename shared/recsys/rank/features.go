package rank

import (
	"context"
	"math"
	"sort"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
)

const day = 86400.0

// stage1 is the first stage for one time split: the candidate models and
// the per-user, per-item and per-pair statistics the ranker's features read.
// Every time feature is measured at the dataset's cut (the end of training).
type stage1 struct {
	cut     int64 // end of training, unix seconds
	pairs   *data.PairStats
	easeBin *models.EASE
	easeRec *models.EASE
	nItems  int
	cfg     Config

	popAll, pop30, pop7 []float64 // distinct buyers, share of users
	itemPrice           []float64 // mean unit price
	itemFirst, itemLast []float64 // days before the cut
	countryPop          [][]float64
	userCountry         []int32

	userInvoices    []float64
	userItems       []float64
	userLast        []float64 // days before the cut
	userTenure      []float64
	userGap         []float64 // mean days between invoices (NaN with one invoice)
	userLastInvoice [][]int32 // items of the user's last invoice
	userPrice       []float64 // mean unit price the user paid
	recent90        []float64 // invoices in the last 90 days, aligned with pairs
	sim             []float32 // item-item cosine on the binary matrix (for last-basket affinity)
}

func newStage1(ctx context.Context, ds *data.Dataset, cfg Config) (*stage1, error) {
	s := &stage1{cut: ds.Cut, cfg: cfg, nItems: ds.NumItems()}
	s.pairs = ds.Pairs()
	cut := ds.Cut
	bin := s.pairs.Matrix(data.MatrixOptions{Weighting: data.Binary}, cut)
	rec := s.pairs.Matrix(data.MatrixOptions{Weighting: data.Recency, Tau: cfg.RecencyDays * day}, cut)
	var err error
	if s.easeBin, err = models.NewEASE(bin, cfg.Lambda, cfg.MaxItems); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.easeRec, err = models.NewEASE(rec, cfg.Lambda, cfg.MaxItems); err != nil {
		return nil, err
	}
	nu := float64(ds.NumUsers())
	norm := func(v models.Vector) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x / nu
		}
		return out
	}
	s.popAll = norm(models.Popularity(ds, 0))
	s.pop30 = norm(models.Popularity(ds, cut-30*day))
	s.pop7 = norm(models.Popularity(ds, cut-7*day))

	n := s.nItems
	s.itemPrice = make([]float64, n)
	s.itemFirst = make([]float64, n)
	s.itemLast = make([]float64, n)
	cnt := make([]float64, n)
	for i := range s.itemFirst {
		s.itemFirst[i] = -1
		s.itemLast[i] = math.MaxFloat64
	}
	tr := &ds.Train
	for k, i := range tr.I {
		s.itemPrice[i] += float64(tr.Price[k])
		cnt[i]++
		age := float64(cut-tr.T[k]) / day
		s.itemFirst[i] = math.Max(s.itemFirst[i], age)
		s.itemLast[i] = math.Min(s.itemLast[i], age)
	}
	for i := range s.itemPrice {
		s.itemPrice[i] /= math.Max(cnt[i], 1)
	}

	// per-country popularity (distinct buyers of the item among the users of that country)
	s.userCountry = ds.UserCountry
	nc := ds.Log.Countries.Len()
	s.countryPop = make([][]float64, nc+1)
	countryUsers := make([]float64, nc+1)
	for u := range ds.Users {
		countryUsers[s.userCountry[u]+1]++
	}
	for c := range s.countryPop {
		s.countryPop[c] = make([]float64, n)
	}
	for u := 0; u < ds.NumUsers(); u++ {
		idx, _ := s.pairs.Row(u)
		c := s.userCountry[u] + 1
		for _, i := range idx {
			s.countryPop[c][i]++
		}
	}
	for c := range s.countryPop {
		for i := range s.countryPop[c] {
			s.countryPop[c][i] /= math.Max(countryUsers[c], 1)
		}
	}

	// users
	nu32 := ds.NumUsers()
	s.userInvoices = make([]float64, nu32)
	s.userItems = make([]float64, nu32)
	s.userLast = make([]float64, nu32)
	s.userTenure = make([]float64, nu32)
	s.userGap = make([]float64, nu32)
	s.userLastInvoice = make([][]int32, nu32)
	invTime := map[[2]int32]int64{} // (user, invoice) → time
	lastInv := make([]int32, nu32)
	lastT := make([]int64, nu32)
	for u := range lastInv {
		lastInv[u] = -1
		lastT[u] = math.MinInt64
	}
	for k, u := range tr.U {
		key := [2]int32{u, tr.Inv[k]}
		if _, ok := invTime[key]; !ok {
			invTime[key] = tr.T[k]
		}
		if tr.T[k] > lastT[u] || (tr.T[k] == lastT[u] && tr.Inv[k] != lastInv[u]) {
			lastT[u], lastInv[u] = tr.T[k], tr.Inv[k]
		}
	}
	times := make([][]int64, nu32)
	for key, t := range invTime {
		times[key[0]] = append(times[key[0]], t)
	}
	for u := 0; u < nu32; u++ {
		ts := times[u]
		sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
		s.userInvoices[u] = float64(len(ts))
		s.userItems[u] = float64(s.pairs.Ptr[u+1] - s.pairs.Ptr[u])
		s.userLast[u] = float64(cut-ts[len(ts)-1]) / day
		s.userTenure[u] = float64(cut-ts[0]) / day
		if len(ts) > 1 {
			s.userGap[u] = float64(ts[len(ts)-1]-ts[0]) / day / float64(len(ts)-1)
		} else {
			s.userGap[u] = math.NaN()
		}
	}
	for k, u := range tr.U {
		if tr.Inv[k] == lastInv[u] {
			s.userLastInvoice[u] = append(s.userLastInvoice[u], tr.I[k])
		}
	}
	s.sim = models.Cosine(bin)
	s.userPrice = make([]float64, nu32)
	ucnt := make([]float64, nu32)
	recent := map[[3]int32]struct{}{}
	s.recent90 = make([]float64, s.pairs.NNZ())
	for k, u := range tr.U {
		s.userPrice[u] += float64(tr.Price[k])
		ucnt[u]++
		if tr.T[k] >= cut-90*day {
			key := [3]int32{u, tr.I[k], tr.Inv[k]}
			if _, ok := recent[key]; !ok {
				recent[key] = struct{}{}
				s.recent90[s.pairIndex(int(u), tr.I[k])]++
			}
		}
	}
	for u := range s.userPrice {
		s.userPrice[u] /= math.Max(ucnt[u], 1)
	}
	return s, nil
}

// pairIndex returns the position of (u, i) in the pair aggregates; the
// pair must exist (every training row has one).
func (s *stage1) pairIndex(u int, i int32) int {
	idx, _ := s.pairs.Row(u)
	return int(s.pairs.Ptr[u]) + sort.Search(len(idx), func(k int) bool { return idx[k] >= i })
}

// featureNames lists the ranker's features in order.
func featureNames() []string {
	return []string{
		"ease_bin", "ease_bin_z", "ease_bin_rank",
		"ease_rec", "ease_rec_z", "ease_rec_rank",
		"pop_all", "pop_30d", "pop_7d", "pop_trend", "pop_country",
		"own_invoices", "own_days_since_last", "own_days_since_first", "own_qty", "own_spend", "own_due",
		"user_invoices", "user_items", "user_days_since_last", "user_tenure", "user_gap",
		"item_price", "item_age", "item_days_since_last",
		"last_basket_sim", "blend", "ref_blend", "knn", "own_invoices_90d", "price_ratio",
	}
}

// scratch is per-goroutine working memory.
type scratch struct {
	bin, rec, blend, knn []float64
	tmp                  []float64
}

func (s *stage1) newScratch() *scratch {
	n := s.nItems
	return &scratch{bin: make([]float64, n), rec: make([]float64, n), blend: make([]float64, n), knn: make([]float64, n), tmp: make([]float64, n)}
}

// candidates returns the user's own items followed by the best-scoring
// other items by the first-stage blend, and fills sc with the first-stage
// scores.
func (s *stage1) candidates(u int, sc *scratch) []int32 {
	s.easeBin.Score(u, sc.bin)
	s.easeRec.Score(u, sc.rec)
	zb, zr, zp := zscore(sc.bin), zscore(sc.rec), zscore(s.pop30)
	for i := range sc.blend {
		sc.blend[i] = (sc.bin[i]-zb[0])/zb[1] + (sc.rec[i]-zr[0])/zr[1] + 0.2*(s.pop30[i]-zp[0])/zp[1]
	}
	idx, _ := s.pairs.Row(u)
	out := make([]int32, 0, len(idx)+s.cfg.Candidates)
	out = append(out, idx...)
	copy(sc.tmp, sc.blend)
	for _, i := range idx {
		sc.tmp[i] = math.Inf(-1)
	}
	top := topN(sc.tmp, s.cfg.Candidates)
	return append(out, top...)
}

// features writes the feature rows of the candidates (feature-major into
// cols, starting at row off).
func (s *stage1) features(u int, cands []int32, sc *scratch, emit func(i int32, f []float32)) {
	zb, zr := zscore(sc.bin), zscore(sc.rec)
	rb, rr := ranks(sc.bin, sc), ranks(sc.rec, sc)
	idx, cnt := s.pairs.Row(u)
	base := s.pairs.Ptr[u]
	ownAt := map[int32]int{}
	for k, i := range idx {
		ownAt[i] = int(base) + k
	}
	nan := float32(math.NaN())
	clear(sc.knn)
	for _, j := range idx {
		models.AddF32(sc.knn, s.sim[int(j)*s.nItems:int(j)*s.nItems+s.nItems])
	}
	c := s.userCountry[u] + 1
	f := make([]float32, len(featureNames()))
	for _, i := range cands {
		last := nan
		first := nan
		qty, spend, inv, due, refOwn, recent := float32(0), float32(0), float32(0), nan, 0.0, 0.0
		if k, ok := ownAt[i]; ok {
			recent = s.recent90[k]
			last = float32(float64(s.cut-s.pairs.Last[k]) / day)
			first = float32(float64(s.cut-s.pairs.First[k]) / day)
			qty = float32(s.pairs.Qty[k])
			spend = float32(s.pairs.Spend[k])
			inv = float32(cnt[k-int(base)])
			if inv > 1 {
				// days since last / the pair's mean gap between purchases
				gap := (float64(s.pairs.Last[k]-s.pairs.First[k]) / day) / float64(inv-1)
				due = float32(float64(last) / math.Max(gap, 1))
			}
			refOwn = 4*math.Log1p(float64(inv)) + 4*math.Exp(-float64(last)/90)
		}
		lb := 0.0
		for _, j := range s.userLastInvoice[u] {
			lb += float64(s.sim[int(j)*s.nItems+int(i)])
		}
		trend := s.pop30[i] / math.Max(s.popAll[i], 1e-9)
		f = f[:0]
		f = append(f,
			float32(sc.bin[i]), float32((sc.bin[i]-zb[0])/zb[1]), float32(rb[i]),
			float32(sc.rec[i]), float32((sc.rec[i]-zr[0])/zr[1]), float32(rr[i]),
			float32(s.popAll[i]), float32(s.pop30[i]), float32(s.pop7[i]), float32(trend), float32(s.countryPop[c][i]),
			inv, last, first, qty, spend, due,
			float32(s.userInvoices[u]), float32(s.userItems[u]), float32(s.userLast[u]), float32(s.userTenure[u]), float32(s.userGap[u]),
			float32(s.itemPrice[i]), float32(s.itemFirst[i]), float32(s.itemLast[i]),
			float32(lb), float32(sc.blend[i]), float32(sc.blend[i]+refOwn), float32(sc.knn[i]),
			float32(recent), float32(s.itemPrice[i]/math.Max(s.userPrice[u], 1e-9)),
		)
		emit(i, f)
	}
}

// zscore returns the mean and standard deviation (1 when flat).
func zscore(v []float64) [2]float64 {
	m, sd := models.MeanStd(v)
	return [2]float64{m, sd}
}

// ranks returns log2(1 + rank) of every item by v (0 = best); only the
// first 1,000 get their rank, the rest share 1,000.
func ranks(v []float64, sc *scratch) []float64 {
	out := make([]float64, len(v))
	top := topN(append(sc.tmp[:0], v...), 1000)
	for i := range out {
		out[i] = math.Log2(1 + 1000)
	}
	for r, i := range top {
		out[i] = math.Log2(1 + float64(r))
	}
	return out
}

// topN returns the indices of the n highest values, best first, ties to the lower index.
func topN(v []float64, n int) []int32 { return eval.TopK(v, n, nil, nil) }
