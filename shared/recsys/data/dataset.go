package data

import (
	"math"
	"sort"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Rows are interactions in the index space of a Dataset: U and I are user
// and item indices (-1 when the customer or product is not in the training
// catalogue), Inv indexes the log's invoice vocabulary.
type Rows struct {
	U, I, Inv []int32
	T         []int64
	Qty       []float32
	Price     []float32
}

// Len is the number of rows.
func (r *Rows) Len() int { return len(r.U) }

func (r *Rows) add(u, i, inv int32, t int64, q, p float32) {
	r.U = append(r.U, u)
	r.I = append(r.I, i)
	r.Inv = append(r.Inv, inv)
	r.T = append(r.T, t)
	r.Qty = append(r.Qty, q)
	r.Price = append(r.Price, p)
}

// Dataset is a time split of a log: the training rows (before Cut) define
// the users (customers seen in train) and the catalogue (products seen in
// train), each indexed in order of first appearance; the test rows are the
// lines at or after Cut (and before End when End is set).
type Dataset struct {
	Log      *Log
	Cut, End int64 // unix seconds; End 0 means no end

	Users, Items []int32 // index → log customer / product id
	userOf       []int32 // log customer id → user index or -1
	itemOf       []int32 // log product id → item index or -1

	Train, Test Rows

	// UserCountry is each user's country (the last seen in train), -1 when unknown.
	UserCountry []int32

	pairsOnce sync.Once
	pairs     *PairStats
}

// Split builds a dataset from the log: train is every line before cut, test
// every line at or after cut and before end (end 0: to the end of the log).
func Split(log *Log, cut, end int64) (*Dataset, error) {
	ds := &Dataset{Log: log, Cut: cut, End: end,
		userOf: fill(log.Customers.Len(), -1), itemOf: fill(log.Products.Len(), -1)}
	for k := range log.Cust {
		if log.Time[k] >= cut {
			continue
		}
		c, p := log.Cust[k], log.Prod[k]
		if ds.userOf[c] < 0 {
			ds.userOf[c] = int32(len(ds.Users))
			ds.Users = append(ds.Users, c)
			ds.UserCountry = append(ds.UserCountry, -1)
		}
		if ds.itemOf[p] < 0 {
			ds.itemOf[p] = int32(len(ds.Items))
			ds.Items = append(ds.Items, p)
		}
		u := ds.userOf[c]
		if log.Country[k] >= 0 {
			ds.UserCountry[u] = log.Country[k]
		}
		ds.Train.add(u, ds.itemOf[p], log.Inv[k], log.Time[k], log.Qty[k], log.Price[k])
	}
	if len(ds.Users) == 0 || len(ds.Items) == 0 {
		return nil, errs.Userf(errs.Invalid, "no purchases before the split date: choose a later split")
	}
	for k := range log.Cust {
		t := log.Time[k]
		if t < cut || (end > 0 && t >= end) {
			continue
		}
		ds.Test.add(ds.userOf[log.Cust[k]], ds.itemOf[log.Prod[k]], log.Inv[k], t, log.Qty[k], log.Price[k])
	}
	return ds, nil
}

func fill(n int, v int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// NumUsers is the number of training users.
func (d *Dataset) NumUsers() int { return len(d.Users) }

// NumItems is the size of the catalogue.
func (d *Dataset) NumItems() int { return len(d.Items) }

// UserID returns the customer id string of user u.
func (d *Dataset) UserID(u int) string { return d.Log.Customers.Name(d.Users[u]) }

// ItemID returns the product id string of item i.
func (d *Dataset) ItemID(i int) string { return d.Log.Products.Name(d.Items[i]) }

// UserIndex returns the user index of a customer id, or -1.
func (d *Dataset) UserIndex(customer string) int {
	c := d.Log.Customers.ID(customer)
	if c < 0 {
		return -1
	}
	return int(d.userOf[c])
}

// ItemIndex returns the item index of a product id, or -1.
func (d *Dataset) ItemIndex(product string) int {
	p := d.Log.Products.ID(product)
	if p < 0 {
		return -1
	}
	return int(d.itemOf[p])
}

// TrainEnd is the time training data ends: Cut.
func (d *Dataset) TrainEnd() int64 { return d.Cut }

// Truth returns, per test user, the distinct catalogue items bought in the
// test period (sorted), and the users in index order. Users without a test
// purchase of a catalogue item are left out.
func (d *Dataset) Truth() (users []int32, truth [][]int32) {
	per := make(map[int32]map[int32]struct{})
	for k, u := range d.Test.U {
		i := d.Test.I[k]
		if u < 0 || i < 0 {
			continue
		}
		s := per[u]
		if s == nil {
			s = map[int32]struct{}{}
			per[u] = s
		}
		s[i] = struct{}{}
	}
	for u := range per {
		users = append(users, u)
	}
	sort.Slice(users, func(a, b int) bool { return users[a] < users[b] })
	truth = make([][]int32, len(users))
	for k, u := range users {
		for i := range per[u] {
			truth[k] = append(truth[k], i)
		}
		sort.Slice(truth[k], func(a, b int) bool { return truth[k][a] < truth[k][b] })
	}
	return users, truth
}

// Weighting says how a user × item matrix counts interactions.
type Weighting int

// The weightings.
const (
	Binary    Weighting = iota // 1 for every pair that interacted
	Counts                     // number of distinct invoices of the pair
	LogCounts                  // log(1 + invoice count)
	Recency                    // exp(-age of the pair's last purchase / HalfLife), age measured at the train end
)

// MatrixOptions parameterise Matrix.
type MatrixOptions struct {
	Weighting Weighting
	// Tau is the recency time constant in seconds (default 30 days).
	Tau float64
}

// CSR is a sparse users × items matrix in compressed-row form.
type CSR struct {
	Rows, Cols int
	Ptr        []int32 // len Rows+1
	Idx        []int32 // column indices, ascending within a row
	Val        []float64
}

// Row returns the column indices and values of row r.
func (m *CSR) Row(r int) ([]int32, []float64) {
	return m.Idx[m.Ptr[r]:m.Ptr[r+1]], m.Val[m.Ptr[r]:m.Ptr[r+1]]
}

// NNZ is the number of stored entries.
func (m *CSR) NNZ() int { return len(m.Idx) }

// Transpose returns the items × users matrix.
func (m *CSR) Transpose() *CSR {
	t := &CSR{Rows: m.Cols, Cols: m.Rows, Ptr: make([]int32, m.Cols+1), Idx: make([]int32, len(m.Idx)), Val: make([]float64, len(m.Val))}
	for _, c := range m.Idx {
		t.Ptr[c+1]++
	}
	for c := 0; c < m.Cols; c++ {
		t.Ptr[c+1] += t.Ptr[c]
	}
	next := append([]int32(nil), t.Ptr[:m.Cols]...)
	for r := 0; r < m.Rows; r++ {
		for k := m.Ptr[r]; k < m.Ptr[r+1]; k++ {
			c := m.Idx[k]
			t.Idx[next[c]] = int32(r)
			t.Val[next[c]] = m.Val[k]
			next[c]++
		}
	}
	return t
}

// PairStats are per (user, item) aggregates of the training rows.
type PairStats struct {
	CSR               // Val holds the invoice count of the pair
	Last      []int64 // last purchase time of the pair, aligned with Idx
	First     []int64 // first purchase time of the pair
	Qty       []float64
	Spend     []float64
	RowsCount []int32 // number of order lines
}

// Pairs returns the training rows aggregated per (user, item), computed
// once per dataset. The result must not be modified.
func (d *Dataset) Pairs() *PairStats {
	d.pairsOnce.Do(func() { d.pairs = d.aggregatePairs() })
	return d.pairs
}

func (d *Dataset) aggregatePairs() *PairStats {
	type key struct{ u, i int32 }
	type agg struct {
		inv         map[int32]struct{}
		first, last int64
		qty, spend  float64
		rows        int32
	}
	m := make(map[key]*agg, d.Train.Len())
	tr := &d.Train
	for k := range tr.U {
		kk := key{tr.U[k], tr.I[k]}
		a := m[kk]
		if a == nil {
			a = &agg{inv: map[int32]struct{}{}, first: math.MaxInt64, last: math.MinInt64}
			m[kk] = a
		}
		a.inv[tr.Inv[k]] = struct{}{}
		a.first = min(a.first, tr.T[k])
		a.last = max(a.last, tr.T[k])
		a.qty += float64(tr.Qty[k])
		a.spend += float64(tr.Qty[k]) * float64(tr.Price[k])
		a.rows++
	}
	keys := make([]key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].u != keys[b].u {
			return keys[a].u < keys[b].u
		}
		return keys[a].i < keys[b].i
	})
	n := len(keys)
	p := &PairStats{CSR: CSR{Rows: d.NumUsers(), Cols: d.NumItems(), Ptr: make([]int32, d.NumUsers()+1),
		Idx: make([]int32, n), Val: make([]float64, n)},
		Last: make([]int64, n), First: make([]int64, n), Qty: make([]float64, n), Spend: make([]float64, n), RowsCount: make([]int32, n)}
	for k, kk := range keys {
		a := m[kk]
		p.Ptr[kk.u+1]++
		p.Idx[k] = kk.i
		p.Val[k] = float64(len(a.inv))
		p.Last[k], p.First[k] = a.last, a.first
		p.Qty[k], p.Spend[k], p.RowsCount[k] = a.qty, a.spend, a.rows
	}
	for u := 0; u < d.NumUsers(); u++ {
		p.Ptr[u+1] += p.Ptr[u]
	}
	return p
}

// Matrix builds the users × items matrix with the given weighting from the
// pair aggregates.
func (p *PairStats) Matrix(opt MatrixOptions, trainEnd int64) *CSR {
	tau := opt.Tau
	if tau <= 0 {
		tau = 30 * 86400
	}
	m := &CSR{Rows: p.Rows, Cols: p.Cols, Ptr: p.Ptr, Idx: p.Idx, Val: make([]float64, len(p.Val))}
	for k, c := range p.Val {
		switch opt.Weighting {
		case Binary:
			m.Val[k] = 1
		case Counts:
			m.Val[k] = c
		case LogCounts:
			m.Val[k] = math.Log1p(c)
		case Recency:
			m.Val[k] = math.Exp(-float64(trainEnd-p.Last[k]) / tau)
		}
	}
	return m
}
