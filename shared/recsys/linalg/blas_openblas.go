//go:build cgo && openblas

package linalg

/*
#cgo LDFLAGS: -lopenblas
extern void dpotrf_(char* uplo, int* n, double* a, int* lda, int* info);
extern void dpotri_(char* uplo, int* n, double* a, int* lda, int* info);
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
