//go:build !purego

package nn

import "golang.org/x/sys/cpu"

// useKernels reports whether the AVX2/FMA kernels can run (x/sys/cpu
// reads the CPU features once at start-up).
func useKernels() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// kern4x16 computes C[0:4, 0:16] += alpha · A[0:4, 0:k] · B[0:k, 0:16]
// (row-major, strides in elements).
//
//go:noescape
func kern4x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32)

// kern1x16 computes C[0, 0:16] += alpha · A[0, 0:k] · B[0:k, 0:16].
//
//go:noescape
func kern1x16(k int, a *float32, b *float32, ldb int, c *float32, alpha float32)

// expShift sets x[i] = exp(x[i]-m) for i < n (n a multiple of 8, every
// x[i]-m <= 0; exactly 0 below -87.33654) and returns their sum.
//
//go:noescape
func expShift(x *float32, n int, m float32) float32

// maxf returns the maximum of x[0:n] (n a positive multiple of 8, no NaN).
//
//go:noescape
func maxf(x *float32, n int) float32

// axpyK adds a·x[0:n] to y[0:n] (n a multiple of 8).
//
//go:noescape
func axpyK(a float32, x *float32, y *float32, n int)

// adamK is the vector Adam step (see adam.update).
//
//go:noescape
func adamK(w, grad, mom, vel *float32, n int, c *[6]float32)
