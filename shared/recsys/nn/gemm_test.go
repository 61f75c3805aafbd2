package nn

import (
	"fmt"
	"math"
	"testing"
)

// TestMatMulKernelsMatchGonum compares the AVX2 kernels with gonum's
// blas32 over shapes with and without full 4×16 tiles, every transpose
// combination and several alpha/beta.
func TestMatMulKernelsMatchGonum(t *testing.T) {
	if !useKernels() {
		t.Skip("no AVX2/FMA on this machine")
	}
	shapes := [][3]int{{1, 1, 1}, {3, 17, 5}, {4, 16, 7}, {5, 33, 0}, {8, 32, 64}, {37, 70, 19}, {128, 512, 32}, {512, 32, 512}, {64, 76, 64}}
	coef := [][2]float32{{1, 0}, {0.5, 1}, {2, -0.5}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range coef {
					name := fmt.Sprintf("%dx%dx%d ta=%v tb=%v a=%v b=%v", m, n, k, ta, tb, ab[0], ab[1])
					var a, b Mat
					if ta {
						a = randMat(k, m, 1)
					} else {
						a = randMat(m, k, 1)
					}
					if tb {
						b = randMat(n, k, 2)
					} else {
						b = randMat(k, n, 2)
					}
					want := randMat(m, n, 3)
					got := want.Clone()
					matMulGonum(want, a, b, ta, tb, ab[0], ab[1])
					for _, workers := range []int{1, 2} {
						g := got.Clone()
						matMulKernels(g, a, b, ta, tb, ab[0], ab[1], workers)
						for i := range want.Data {
							if d := math.Abs(float64(g.Data[i] - want.Data[i])); d > 1e-4*(1+math.Abs(float64(want.Data[i]))) {
								t.Fatalf("%s workers=%d: element %d = %v, gonum %v", name, workers, i, g.Data[i], want.Data[i])
							}
						}
					}
				}
			}
		}
	}
}

func benchMatMul(b *testing.B, m, n, k int, ta, tb, kernels bool) {
	var x, y Mat
	if ta {
		x = randMat(k, m, 1)
	} else {
		x = randMat(m, k, 1)
	}
	if tb {
		y = randMat(n, k, 2)
	} else {
		y = randMat(k, n, 2)
	}
	c := NewMat(m, n)
	for b.Loop() {
		if kernels {
			matMulKernels(c, x, y, ta, tb, 1, 0, 2)
		} else {
			matMulGonum(c, x, y, ta, tb, 1, 0)
		}
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// The three products of an in-batch softmax step at batch 512, dim 32.
func BenchmarkMatMul(b *testing.B) {
	for _, kernels := range []bool{false, true} {
		if kernels && !useKernels() {
			continue
		}
		impl := map[bool]string{false: "gonum", true: "kernels"}[kernels]
		b.Run(impl+"/logits_NT", func(b *testing.B) { benchMatMul(b, 512, 512, 32, false, true, kernels) })
		b.Run(impl+"/dq_NN", func(b *testing.B) { benchMatMul(b, 512, 32, 512, false, false, kernels) })
		b.Run(impl+"/dc_TN", func(b *testing.B) { benchMatMul(b, 512, 32, 512, true, false, kernels) })
	}
}
