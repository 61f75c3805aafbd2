// Package nn is a small float32 neural-network toolkit for the recommendation
// engine: layers with explicit forward and backward passes, losses,
// optimizers and a finite-difference gradient checker. Matrix products go
// through gonum's BLAS (blas32), which splits large products over
// GOMAXPROCS goroutines.
//
// Layers keep the buffers of their last Forward call so that Backward can use
// them; a layer instance therefore serves one training goroutine at a time.
// Infer computes the inference output into fresh memory and is safe for
// concurrent use once training has stopped.
package nn

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Mat is a dense row-major float32 matrix.
type Mat struct {
	Rows, Cols int
	Data       []float32
}

// NewMat returns a zeroed rows×cols matrix.
func NewMat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i as a slice sharing the matrix memory.
func (m Mat) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Zero sets every element to 0.
func (m Mat) Zero() { clear(m.Data) }

// Clone returns a deep copy.
func (m Mat) Clone() Mat {
	return Mat{Rows: m.Rows, Cols: m.Cols, Data: append([]float32(nil), m.Data...)}
}

func (m Mat) general() blas32.General {
	return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: max(m.Cols, 1), Data: m.Data}
}

// Resize returns a rows×cols matrix that reuses m's memory when it is large
// enough. The contents are unspecified.
func Resize(m Mat, rows, cols int) Mat {
	n := rows * cols
	if cap(m.Data) < n {
		return NewMat(rows, cols)
	}
	return Mat{Rows: rows, Cols: cols, Data: m.Data[:n]}
}

// Gemv computes dst = m·x (dst has m.Rows elements, x has m.Cols).
func Gemv(dst []float32, m Mat, x []float32) {
	if m.Rows == 0 {
		return
	}
	blas32.Gemv(blas.NoTrans, 1, m.general(), blas32.Vector{N: len(x), Inc: 1, Data: x}, 0,
		blas32.Vector{N: len(dst), Inc: 1, Data: dst})
}

// Workers returns how many goroutines ParallelFor uses by default.
func Workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// ParallelFor splits [0, n) into at most workers contiguous chunks and calls
// fn on each in its own goroutine. The partition depends only on n and
// workers, so results that are reduced per chunk in chunk order are
// deterministic. It runs inline when one worker suffices.
func ParallelFor(n, workers int, fn func(chunk, lo, hi int)) {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for c := 0; c < workers; c++ {
		lo, hi := c*n/workers, (c+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(c, lo, hi)
		}()
	}
	wg.Wait()
}
