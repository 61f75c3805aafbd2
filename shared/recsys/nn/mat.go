// Package nn is a small float32 neural-network toolkit for the recommendation
// engine: layers with explicit forward and backward passes, losses and
// optimizers. Matrix products go through gonum's BLAS (blas32).
package nn

import "gonum.org/v1/gonum/blas/blas32"

// Mat is a dense row-major float32 matrix.
type Mat struct {
	Rows, Cols int
	Data       []float32
}

// NewMat returns a zeroed rows×cols matrix.
func NewMat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

func (m Mat) general() blas32.General {
	return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: m.Cols, Data: m.Data}
}
