package models

import (
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
)

// PutCSR stores a sparse matrix under a name prefix.
func PutCSR(f *artifact.File, name string, m *data.CSR) {
	f.PutI64(name+"/shape", []int64{int64(m.Rows), int64(m.Cols)})
	f.PutI32(name+"/ptr", m.Ptr)
	f.PutI32(name+"/idx", m.Idx)
	f.PutF64(name+"/val", m.Val)
}

// GetCSR reads a sparse matrix stored by PutCSR, checking its structure.
func GetCSR(f *artifact.File, name string) (*data.CSR, error) {
	shape, err := f.I64(name+"/shape", 2)
	if err != nil {
		return nil, err
	}
	m := &data.CSR{Rows: int(shape[0]), Cols: int(shape[1])}
	if m.Ptr, err = f.I32(name+"/ptr", m.Rows+1); err != nil {
		return nil, err
	}
	if m.Idx, err = f.I32(name+"/idx", -1); err != nil {
		return nil, err
	}
	if m.Val, err = f.F64(name+"/val", len(m.Idx)); err != nil {
		return nil, err
	}
	for r := 0; r < m.Rows; r++ {
		if m.Ptr[r] > m.Ptr[r+1] || int(m.Ptr[r+1]) > len(m.Idx) {
			return nil, damaged("matrix %s has bad row pointers", name)
		}
	}
	for _, c := range m.Idx {
		if c < 0 || int(c) >= m.Cols {
			return nil, damaged("matrix %s has a column out of range", name)
		}
	}
	return m, nil
}

func damaged(format string, args ...any) error {
	return errs.Explain(errs.Userf(errs.Invalid, format, args...),
		"the model file is damaged or was written by another version of the platform: train the model again")
}

// PutPairs stores the purchase history aggregates.
func PutPairs(f *artifact.File, name string, p *data.PairStats) {
	PutCSR(f, name, &p.CSR)
	f.PutI64(name+"/last", p.Last)
	f.PutI64(name+"/first", p.First)
	f.PutF64(name+"/qty", p.Qty)
	f.PutF64(name+"/spend", p.Spend)
	f.PutI32(name+"/rows", p.RowsCount)
}

// GetPairs reads what PutPairs stored.
func GetPairs(f *artifact.File, name string) (*data.PairStats, error) {
	m, err := GetCSR(f, name)
	if err != nil {
		return nil, err
	}
	p := &data.PairStats{CSR: *m}
	n := len(m.Idx)
	if p.Last, err = f.I64(name+"/last", n); err != nil {
		return nil, err
	}
	if p.First, err = f.I64(name+"/first", n); err != nil {
		return nil, err
	}
	if p.Qty, err = f.F64(name+"/qty", n); err != nil {
		return nil, err
	}
	if p.Spend, err = f.F64(name+"/spend", n); err != nil {
		return nil, err
	}
	if p.RowsCount, err = f.I32(name+"/rows", n); err != nil {
		return nil, err
	}
	return p, nil
}

// Save stores the vector.
func (v Vector) Save(f *artifact.File, name string) { f.PutF64(name+"/scores", v) }

// LoadVector reads a vector model.
func LoadVector(f *artifact.File, name string, items int) (Vector, error) {
	v, err := f.F64(name+"/scores", items)
	return Vector(v), err
}

// Save stores the buy-again model.
func (b *BuyAgain) Save(f *artifact.File, name string) {
	PutPairs(f, name+"/pairs", b.pairs)
	b.pop.Save(f, name+"/pop")
	f.PutI64(name+"/t0", []int64{b.t0})
}

// LoadBuyAgain reads a buy-again model.
func LoadBuyAgain(f *artifact.File, name string) (*BuyAgain, error) {
	p, err := GetPairs(f, name+"/pairs")
	if err != nil {
		return nil, err
	}
	pop, err := LoadVector(f, name+"/pop", p.Cols)
	if err != nil {
		return nil, err
	}
	t0, err := f.I64(name+"/t0", 1)
	if err != nil {
		return nil, err
	}
	return &BuyAgain{pairs: p, pop: pop, t0: t0[0]}, nil
}

// Save stores the item-kNN model.
func (m *ItemKNN) Save(f *artifact.File, name string) {
	PutCSR(f, name+"/x", m.x)
	f.PutF32(name+"/sim", m.sim)
}

// LoadItemKNN reads an item-kNN model.
func LoadItemKNN(f *artifact.File, name string) (*ItemKNN, error) {
	x, err := GetCSR(f, name+"/x")
	if err != nil {
		return nil, err
	}
	sim, err := f.F32(name+"/sim", x.Cols*x.Cols)
	if err != nil {
		return nil, err
	}
	return &ItemKNN{x: x, sim: sim, n: x.Cols}, nil
}

// Save stores the EASE model: the user rows it scores and the item-item weights.
func (e *EASE) Save(f *artifact.File, name string) {
	PutCSR(f, name+"/x", e.x)
	f.PutF32(name+"/weights", e.w)
	f.PutI32(name+"/keep", e.keep)
}

// LoadEASE reads an EASE model.
func LoadEASE(f *artifact.File, name string) (*EASE, error) {
	x, err := GetCSR(f, name+"/x")
	if err != nil {
		return nil, err
	}
	keep, err := f.I32(name+"/keep", -1)
	if err != nil {
		return nil, err
	}
	e := &EASE{x: x, m: x.Cols}
	if len(keep) > 0 {
		e.keep, e.m = keep, len(keep)
		e.pos = make([]int32, x.Cols)
		for i := range e.pos {
			e.pos[i] = -1
		}
		for p, i := range keep {
			if i < 0 || int(i) >= x.Cols {
				return nil, damaged("EASE keeps an item out of range")
			}
			e.pos[i] = int32(p)
		}
	}
	if e.w, err = f.F32(name+"/weights", e.m*e.m); err != nil {
		return nil, err
	}
	return e, nil
}

// Save stores the ALS factors.
func (m *ALS) Save(f *artifact.File, name string) {
	f.PutI64(name+"/shape", []int64{int64(len(m.U) / m.K), int64(m.n), int64(m.K)})
	f.PutF64(name+"/users", m.U)
	f.PutF64(name+"/items", m.V)
}

// LoadALS reads ALS factors.
func LoadALS(f *artifact.File, name string) (*ALS, error) {
	shape, err := f.I64(name+"/shape", 3)
	if err != nil {
		return nil, err
	}
	users, items, k := int(shape[0]), int(shape[1]), int(shape[2])
	if k <= 0 || users < 0 || items < 0 {
		return nil, damaged("ALS has a bad shape")
	}
	m := &ALS{K: k, n: items}
	if m.U, err = f.F64(name+"/users", users*k); err != nil {
		return nil, err
	}
	if m.V, err = f.F64(name+"/items", items*k); err != nil {
		return nil, err
	}
	return m, nil
}
