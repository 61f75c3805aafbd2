package gbdt

import (
	"sync"
)

type builder struct {
	bins    [][]uint8
	rowBins []uint8 // the same bins row-major (rows × nf): one pass over a node's rows fills every feature
	off     []int   // feature f's bins start at off[f] in a flat histogram
	cuts    [][]float32
	g, h    []float64
	cfg     Config
	nf      int
	feats   []int
}

// hist is per-feature (grad, hess, count) sums by bin.
type hist [][]binSum

type binSum struct {
	g, h float64
	n    int32
}

type node struct {
	rows  []int32
	hist  hist
	g, h  float64
	depth int
	id    int32
}

// prepare lays the bins out row-major and sizes the flat histogram.
func (b *builder) prepare() {
	n := len(b.bins[0])
	b.rowBins = make([]uint8, n*b.nf)
	for f, col := range b.bins {
		for r, v := range col {
			b.rowBins[r*b.nf+f] = v
		}
	}
	b.off = make([]int, b.nf+1)
	for f := 0; f < b.nf; f++ {
		b.off[f+1] = b.off[f] + len(b.cuts[f]) + 2
	}
}

// view cuts a flat histogram into per-feature slices.
func (b *builder) view(flat []binSum) hist {
	h := make(hist, b.nf)
	for f := 0; f < b.nf; f++ {
		h[f] = flat[b.off[f]:b.off[f+1]]
	}
	return h
}

// fill builds the histogram of rows: each goroutine sums a contiguous share of
// the rows over every feature (row-major bins), then the shares are added.
func (b *builder) fill(rows []int32) hist {
	size := b.off[b.nf]
	// a fixed number of shares (not the CPU count), so the sums' order and
	// the model are the same on every machine
	workers := 4
	if len(rows) < 4096 {
		workers = 1
	}
	parts := make([][]binSum, workers)
	var wg sync.WaitGroup
	chunk := (len(rows) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(rows))
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			hw := make([]binSum, size)
			nf, off, rb := b.nf, b.off[:b.nf], b.rowBins
			for _, r := range rows[lo:hi] {
				g, h := b.g[r], b.h[r]
				base := int(r) * nf
				bins := rb[base : base+nf]
				for f, v := range bins {
					s := &hw[off[f]+int(v)]
					s.g += g
					s.h += h
					s.n++
				}
			}
			parts[w] = hw
		}(w, lo, hi)
	}
	wg.Wait()
	flat := parts[0]
	for _, p := range parts[1:] {
		for i := range flat {
			flat[i].g += p[i].g
			flat[i].h += p[i].h
			flat[i].n += p[i].n
		}
	}
	return b.view(flat)
}

func (b *builder) sub(parent, child hist) hist {
	flat := make([]binSum, b.off[b.nf])
	out := b.view(flat)
	for f := range out {
		o := out[f]
		for i := range o {
			o[i] = binSum{parent[f][i].g - child[f][i].g, parent[f][i].h - child[f][i].h, parent[f][i].n - child[f][i].n}
		}
	}
	return out
}

type split struct {
	gain     float64
	feature  int
	bin      int // rows with 1 <= bin <= this go left
	missLeft bool
	gl, hl   float64
}

func (b *builder) score(g, h float64) float64 { return g * g / (h + b.cfg.Lambda) }

func (b *builder) best(n *node) split {
	best := split{feature: -1}
	parent := b.score(n.g, n.h)
	for _, f := range b.feats {
		hf := n.hist[f]
		miss := hf[0]
		var gl, hl float64
		for bin := 1; bin < len(hf)-1; bin++ {
			gl += hf[bin].g
			hl += hf[bin].h
			for _, ml := range [2]bool{false, true} {
				GL, HL := gl, hl
				if ml {
					if miss.n == 0 {
						continue
					}
					GL += miss.g
					HL += miss.h
				}
				GR, HR := n.g-GL, n.h-HL
				if HL < b.cfg.MinLeafHess || HR < b.cfg.MinLeafHess {
					continue
				}
				gain := b.score(GL, HL) + b.score(GR, HR) - parent
				if gain > best.gain+1e-12 {
					best = split{gain: gain, feature: f, bin: bin, missLeft: ml, gl: GL, hl: HL}
				}
			}
		}
	}
	return best
}

func (b *builder) build(rows []int32) Tree {
	t := Tree{}
	add := func() int32 {
		t.Feature = append(t.Feature, -1)
		t.Threshold = append(t.Threshold, 0)
		t.Left = append(t.Left, -1)
		t.Right = append(t.Right, -1)
		t.Value = append(t.Value, 0)
		t.MissLeft = append(t.MissLeft, false)
		t.splitBin = append(t.splitBin, 0)
		return int32(len(t.Feature) - 1)
	}
	root := &node{rows: rows, id: add()}
	root.hist = b.fill(rows)
	for _, r := range rows {
		root.g += b.g[r]
		root.h += b.h[r]
	}
	var grow func(n *node)
	grow = func(n *node) {
		leaf := func() {
			t.Value[n.id] = float32(-n.g / (n.h + b.cfg.Lambda) * b.cfg.LearningRate)
		}
		if n.depth >= b.cfg.MaxDepth || n.h < 2*b.cfg.MinLeafHess {
			leaf()
			return
		}
		s := b.best(n)
		if s.feature < 0 || s.gain <= 0 {
			leaf()
			return
		}
		bf := b.bins[s.feature]
		var lr, rr []int32
		for _, r := range n.rows {
			bin := int(bf[r])
			if (bin == 0 && s.missLeft) || (bin != 0 && bin <= s.bin) {
				lr = append(lr, r)
			} else {
				rr = append(rr, r)
			}
		}
		t.Feature[n.id] = int32(s.feature)
		t.Threshold[n.id] = b.cuts[s.feature][s.bin-1]
		t.MissLeft[n.id] = s.missLeft
		t.splitBin[n.id] = uint8(s.bin)
		l := &node{rows: lr, g: s.gl, h: s.hl, depth: n.depth + 1, id: add()}
		r := &node{rows: rr, g: n.g - s.gl, h: n.h - s.hl, depth: n.depth + 1, id: add()}
		t.Left[n.id], t.Right[n.id] = l.id, r.id
		// histogram of the smaller child, the other by subtraction
		if len(lr) <= len(rr) {
			l.hist = b.fill(lr)
			r.hist = b.sub(n.hist, l.hist)
		} else {
			r.hist = b.fill(rr)
			l.hist = b.sub(n.hist, r.hist)
		}
		n.hist, n.rows = nil, nil
		grow(l)
		grow(r)
	}
	grow(root)
	return t
}
