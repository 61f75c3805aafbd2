// Package eval measures a recommender the way protocol OR-temporal-v1 says:
// every test user ranks the whole catalogue; recall@K over the distinct
// catalogue products bought in the test period, new_recall@K with the
// user's own training products removed from ranking and truth, NDCG@10;
// ties in a score are broken by the lower item index (earlier first
// appearance in the training rows). Ranking metrics (RMSE, MAE, AUC) for
// rating and probability heads are in ranking.go.
package eval

import (
	"context"
	"math"
	"runtime"
	"sync"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
)

// Scorer scores the whole catalogue for one user: dst[i] is the score of
// item i (higher is better). Scorers must be safe for concurrent use.
type Scorer interface {
	Score(u int, dst []float64)
}

// Cutoffs are the K of recall@K, in the order of Metrics' arrays.
const (
	K10, K50, K100 = 10, 50, 100
)

// Metrics are the protocol's numbers for one model.
type Metrics struct {
	Recall    [3]float64 // at K10, K50, K100
	NewRecall [3]float64 // at K10, K50, K100
	NDCG10    float64
	Users     int // test users averaged over for recall and NDCG
	NewUsers  int // users with non-empty new truth
}

// Task is the evaluation input prepared once per dataset.
type Task struct {
	Users []int32   // test users
	Truth [][]int32 // their distinct test items, sorted
	Own   [][]int32 // their distinct train items, sorted
	Items int
}

// NewTask prepares the evaluation of ds.
func NewTask(ds *data.Dataset) *Task {
	users, truth := ds.Truth()
	pairs := ds.Pairs()
	own := make([][]int32, len(users))
	for k, u := range users {
		own[k], _ = pairs.Row(int(u)) // sorted item indices
	}
	return &Task{Users: users, Truth: truth, Own: own, Items: ds.NumItems()}
}

// Evaluate scores every test user with s and returns the metrics. Work is
// spread over the CPUs; the result does not depend on their number.
func Evaluate(ctx context.Context, t *Task, s Scorer) (Metrics, error) {
	type part struct {
		rec, nrec [3]float64
		ndcg      float64
		nusers    int
	}
	ks := [3]int{K10, K50, K100}
	workers := runtime.GOMAXPROCS(0)
	parts := make([]part, len(t.Users))
	var wg sync.WaitGroup
	next := make(chan int, len(t.Users))
	for k := range t.Users {
		next <- k
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores := make([]float64, t.Items)
			top := make([]int32, 0, ks[2])
			mark := make([]bool, t.Items)
			for k := range next {
				if ctx.Err() != nil {
					return
				}
				u := int(t.Users[k])
				s.Score(u, scores)
				truth, own := t.Truth[k], t.Own[k]
				p := &parts[k]
				top = TopK(scores, ks[2], nil, top[:0])
				for _, i := range truth {
					mark[i] = true
				}
				dcg := 0.0
				for r, i := range top {
					if mark[i] && r < 10 {
						dcg += 1 / math.Log2(float64(r+2))
					}
				}
				for j, K := range ks {
					p.rec[j] = float64(hitsIn(top, K, mark)) / float64(len(truth))
				}
				idcg := 0.0
				for r := 0; r < min(10, len(truth)); r++ {
					idcg += 1 / math.Log2(float64(r+2))
				}
				p.ndcg = dcg / idcg
				// new recall: remove own items from ranking and truth
				for _, i := range own {
					mark[i] = false
				}
				newTruth := 0
				for _, i := range truth {
					if mark[i] {
						newTruth++
					}
				}
				if newTruth > 0 {
					p.nusers = 1
					top = TopK(scores, ks[2], own, top[:0])
					for j, K := range ks {
						p.nrec[j] = float64(hitsIn(top, K, mark)) / float64(newTruth)
					}
				}
				for _, i := range truth {
					mark[i] = false
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Metrics{}, err
	}
	var m Metrics
	for _, p := range parts {
		for j := range ks {
			m.Recall[j] += p.rec[j]
			m.NewRecall[j] += p.nrec[j]
		}
		m.NDCG10 += p.ndcg
		m.NewUsers += p.nusers
	}
	m.Users = len(t.Users)
	for j := range ks {
		if m.Users > 0 {
			m.Recall[j] /= float64(m.Users)
		}
		if m.NewUsers > 0 {
			m.NewRecall[j] /= float64(m.NewUsers)
		}
	}
	if m.Users > 0 {
		m.NDCG10 /= float64(m.Users)
	}
	return m, nil
}

// hitsIn counts the marked items among the first k of top (all of top
// when the catalogue is smaller than k).
func hitsIn(top []int32, k int, mark []bool) int {
	n := 0
	for _, i := range top[:min(k, len(top))] {
		if mark[i] {
			n++
		}
	}
	return n
}

// TopK appends to dst the indices of the k highest scores, best first,
// skipping the sorted indices in exclude; ties go to the lower index. NaN
// scores rank last.
func TopK(scores []float64, k int, exclude []int32, dst []int32) []int32 {
	h := topHeap{s: scores, idx: dst[:0]}
	ex := 0
	for i, v := range scores {
		for ex < len(exclude) && int(exclude[ex]) < i {
			ex++
		}
		if ex < len(exclude) && int(exclude[ex]) == i {
			continue
		}
		if math.IsNaN(v) {
			v = math.Inf(-1)
			scores[i] = v
		}
		if len(h.idx) < k {
			h.push(int32(i))
			continue
		}
		// the root is the worst kept; a later index never beats an equal score
		if v > scores[h.idx[0]] {
			h.idx[0] = int32(i)
			h.down(0)
		}
	}
	// sort best first
	out := h.idx
	for n := len(out) - 1; n > 0; n-- {
		out[0], out[n] = out[n], out[0]
		h.idx = out[:n]
		h.down(0)
	}
	return out
}

// topHeap is a min-heap on (score, -index): the root is the worst kept item.
type topHeap struct {
	s   []float64
	idx []int32
}

func (h *topHeap) worse(a, b int32) bool {
	sa, sb := h.s[a], h.s[b]
	if sa != sb {
		return sa < sb
	}
	return a > b
}

func (h *topHeap) push(i int32) {
	h.idx = append(h.idx, i)
	c := len(h.idx) - 1
	for c > 0 {
		p := (c - 1) / 2
		if !h.worse(h.idx[c], h.idx[p]) {
			break
		}
		h.idx[c], h.idx[p] = h.idx[p], h.idx[c]
		c = p
	}
}

func (h *topHeap) down(p int) {
	n := len(h.idx)
	for {
		l := 2*p + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.worse(h.idx[r], h.idx[l]) {
			m = r
		}
		if !h.worse(h.idx[m], h.idx[p]) {
			return
		}
		h.idx[p], h.idx[m] = h.idx[m], h.idx[p]
		p = m
	}
}
