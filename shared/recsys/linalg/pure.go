//go:build !(cgo && openblas)

package linalg

const backend = "gonum"

func invertSPD(a []float64, n int) error { return invertSPDGonum(a, n) }
