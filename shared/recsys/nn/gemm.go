package nn

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Matrix products. On amd64 with AVX2 and FMA, MatMul runs its own
// register-blocked kernels (4×16 tiles, about 10x gonum's SSE code on the
// shapes of two-tower training), splitting the columns over GOMAXPROCS
// goroutines for large products; elsewhere (and with the purego build tag)
// it calls
// gonum's blas32. Both give the same result up to float32 rounding; each
// output element is computed by one goroutine in a fixed order, so results
// are deterministic.

// MatMul computes dst = alpha·op(a)·op(b) + beta·dst, where op transposes
// its argument when the matching flag is set. The shapes must agree.
func MatMul(dst, a, b Mat, transA, transB bool, alpha, beta float32) {
	if useKernels() {
		matMulKernels(dst, a, b, transA, transB, alpha, beta, Workers())
		return
	}
	matMulGonum(dst, a, b, transA, transB, alpha, beta)
}

func matMulGonum(dst, a, b Mat, transA, transB bool, alpha, beta float32) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	if dst.Rows == 0 || dst.Cols == 0 {
		return
	}
	k := a.Cols
	if transA {
		k = a.Rows
	}
	if k == 0 {
		scale(dst.Data, beta)
		return
	}
	blas32.Gemm(ta, tb, alpha, a.general(), b.general(), beta, dst.general())
}

func scale(x []float32, beta float32) {
	switch beta {
	case 1:
	case 0:
		clear(x)
	default:
		for i := range x {
			x[i] *= beta
		}
	}
}

// scratchPool recycles the transpose buffers of MatMul (a process-wide
// cache like the runtime's own pools: it holds no state between calls).
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

func getScratch(n int) *[]float32 {
	p := scratchPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// transpose writes the cols×rows transpose of the rows×cols matrix src
// into dst.
func transpose(dst, src []float32, rows, cols int) {
	const blk = 32
	for i0 := 0; i0 < rows; i0 += blk {
		for j0 := 0; j0 < cols; j0 += blk {
			for i := i0; i < min(i0+blk, rows); i++ {
				for j := j0; j < min(j0+blk, cols); j++ {
					dst[j*rows+i] = src[i*cols+j]
				}
			}
		}
	}
}

func matMulKernels(dst, a, b Mat, transA, transB bool, alpha, beta float32, workers int) {
	m, n := dst.Rows, dst.Cols
	if m == 0 || n == 0 {
		return
	}
	k := a.Cols
	if transA {
		k = a.Rows
	}
	switch {
	case !transA && !transB:
		gemmNN(m, n, k, alpha, a.Data, a.Cols, b.Data, b.Cols, beta, dst.Data, n, workers)
	case !transA && transB:
		bt := getScratch(k * n)
		transpose(*bt, b.Data, n, k)
		gemmNN(m, n, k, alpha, a.Data, a.Cols, *bt, n, beta, dst.Data, n, workers)
		scratchPool.Put(bt)
	case transA && !transB && k*n+m*n < m*k:
		// C = Aᵀ·B as Cᵀ = Bᵀ·A: transposes B and C, cheaper than A
		// when A is the big operand (the softmax gradient).
		bt := getScratch(n * k)
		transpose(*bt, b.Data, k, n)
		ct := getScratch(n * m)
		gemmNN(n, m, k, 1, *bt, k, a.Data, a.Cols, 0, *ct, m, workers)
		c := dst.Data
		for i := range m {
			for j := range n {
				v := alpha * (*ct)[j*m+i]
				if beta != 0 {
					v += beta * c[i*n+j]
				}
				c[i*n+j] = v
			}
		}
		scratchPool.Put(bt)
		scratchPool.Put(ct)
	default:
		at := getScratch(m * k)
		transpose(*at, a.Data, k, m)
		MatMul(dst, Mat{Rows: m, Cols: k, Data: *at}, b, false, transB, alpha, beta)
		scratchPool.Put(at)
	}
}

// gemmNN computes C(m×n) = alpha·A(m×k)·B(k×n) + beta·C, row-major with
// strides lda, ldb, ldc.
func gemmNN(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, workers int) {
	for i := range m {
		scale(c[i*ldc:i*ldc+n], beta)
	}
	if k == 0 {
		return
	}
	blocks := n / 16
	// Split the 16-column blocks over goroutines when the product is big
	// enough to pay for them.
	if m*n*k < 1<<18 || blocks < 2 {
		workers = 1
	}
	ParallelFor(blocks, workers, func(_, lo, hi int) {
		for jb := lo; jb < hi; jb++ {
			j := jb * 16
			i := 0
			for ; i+4 <= m; i += 4 {
				kern4x16(k, &a[i*lda], lda, &b[j], ldb, &c[i*ldc+j], ldc, alpha)
			}
			for ; i < m; i++ {
				kern1x16(k, &a[i*lda], &b[j], ldb, &c[i*ldc+j], alpha)
			}
		}
	})
	// Columns beyond the last full block: B's tail is copied into a
	// zero-padded 16-wide strip and the kernels write a 16-wide scratch.
	if r := blocks * 16; r < n {
		w := n - r
		bp := getScratch(k * 16)
		cp := getScratch(m * 16)
		clear(*bp)
		clear(*cp)
		for kk := range k {
			copy((*bp)[kk*16:kk*16+w], b[kk*ldb+r:kk*ldb+n])
		}
		i := 0
		for ; i+4 <= m; i += 4 {
			kern4x16(k, &a[i*lda], lda, &(*bp)[0], 16, &(*cp)[i*16], 16, alpha)
		}
		for ; i < m; i++ {
			kern1x16(k, &a[i*lda], &(*bp)[0], 16, &(*cp)[i*16], alpha)
		}
		for i := range m {
			cr := c[i*ldc+r : i*ldc+n]
			for j, v := range (*cp)[i*16 : i*16+w] {
				cr[j] += v
			}
		}
		scratchPool.Put(bp)
		scratchPool.Put(cp)
	}
}
