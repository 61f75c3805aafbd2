//go:build cgo && openblas

package linalg

/*
#cgo LDFLAGS: -lopenblas
extern void dpotrf_(char* uplo, int* n, double* a, int* lda, int* info);
extern void dpotri_(char* uplo, int* n, double* a, int* lda, int* info);
extern void dpotrs_(char* uplo, int* n, int* nrhs, double* a, int* lda, double* b, int* ldb, int* info);
*/
import "C"

import (
	"unsafe"

	"github.com/b2brecs/b2brecs/shared/errs"
)

const backend = "openblas"

// invertSPD: a row-major matrix is the column-major transpose; for a symmetric
// matrix that is the same matrix, so 'U' in LAPACK's column-major terms fills
// our row-major lower triangle.
func invertSPD(a []float64, n int) error {
	uplo := C.char('U')
	cn := C.int(n)
	var info C.int
	p := (*C.double)(unsafe.Pointer(&a[0]))
	C.dpotrf_(&uplo, &cn, p, &cn, &info)
	if info > 0 {
		return errNotSPD()
	}
	if info < 0 {
		return errs.Userf(errs.Invalid, "cholesky: bad argument %d", -info)
	}
	C.dpotri_(&uplo, &cn, p, &cn, &info)
	if info != 0 {
		return errNotSPD()
	}
	return nil
}

func solveSPD(a []float64, n int, b []float64, m int) error {
	// b is row-major n×m: column-major that is m×n, so solve X^T a = b^T: transpose through a copy.
	bt := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			bt[j*n+i] = b[i*m+j]
		}
	}
	uplo := C.char('U')
	cn, cm := C.int(n), C.int(m)
	var info C.int
	p := (*C.double)(unsafe.Pointer(&a[0]))
	C.dpotrf_(&uplo, &cn, p, &cn, &info)
	if info != 0 {
		return errNotSPD()
	}
	C.dpotrs_(&uplo, &cn, &cm, p, &cn, (*C.double)(unsafe.Pointer(&bt[0])), &cn, &info)
	if info != 0 {
		return errNotSPD()
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			b[i*m+j] = bt[j*n+i]
		}
	}
	return nil
}
