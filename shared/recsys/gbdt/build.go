package gbdt

import (
	"sync"
)

type builder struct {
	bins    [][]uint8
	cuts    [][]float32
	g, h    []float64
	cfg     Config
	nf      int
	feats   []int
	workers int
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

func (b *builder) newHist() hist {
	h := make(hist, b.nf)
	for _, f := range b.feats {
		h[f] = make([]binSum, len(b.cuts[f])+2)
	}
	return h
}

// fill builds the histogram of rows, features spread over the workers.
func (b *builder) fill(rows []int32) hist {
	h := b.newHist()
	// gather the gradients once so each feature pass reads them in order
	gg := make([]float64, len(rows))
	hh := make([]float64, len(rows))
	for k, r := range rows {
		gg[k], hh[k] = b.g[r], b.h[r]
	}
	var wg sync.WaitGroup
	for w := 0; w < b.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := w; k < len(b.feats); k += b.workers {
				f := b.feats[k]
				hf := h[f]
				bf := b.bins[f]
				for k, r := range rows {
					s := &hf[bf[r]]
					s.g += gg[k]
					s.h += hh[k]
					s.n++
				}
			}
		}(w)
	}
	wg.Wait()
	return h
}

func sub(parent, child hist, feats []int) hist {
	out := make(hist, len(parent))
	for _, f := range feats {
		o := make([]binSum, len(parent[f]))
		for i := range o {
			o[i] = binSum{parent[f][i].g - child[f][i].g, parent[f][i].h - child[f][i].h, parent[f][i].n - child[f][i].n}
		}
		out[f] = o
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
			r.hist = sub(n.hist, l.hist, b.feats)
		} else {
			r.hist = b.fill(rr)
			l.hist = sub(n.hist, r.hist, b.feats)
		}
		n.hist, n.rows = nil, nil
		grow(l)
		grow(r)
	}
	grow(root)
	return t
}
