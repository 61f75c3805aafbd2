package linalg

import (
	"gonum.org/v1/gonum/mat"
)

// invertSPDGonum is the pure-Go inverse (always linked: the fallback, and
// the reference the OpenBLAS benchmark compares with).
func invertSPDGonum(a []float64, n int) error {
	s := mat.NewSymDense(n, a)
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		return errNotSPD()
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return errNotSPD()
	}
	raw := inv.RawSymmetric()
	for i := 0; i < n; i++ {
		copy(a[i*n+i:i*n+n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		for j := i + 1; j < n; j++ {
			a[j*n+i] = raw.Data[i*raw.Stride+j]
		}
	}
	return nil
}
