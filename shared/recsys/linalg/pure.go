//go:build !(cgo && openblas)

package linalg

const backend = "gonum"

func invertSPD(a []float64, n int) error { return invertSPDGonum(a, n) }

func solveSPD(a []float64, n int, b []float64, m int) error { return solveSPDGonum(a, n, b, m) }
