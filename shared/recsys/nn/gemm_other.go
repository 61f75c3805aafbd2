//go:build !amd64 || purego

package nn

func useKernels() bool { return false }

func kern4x16(int, *float32, int, *float32, int, *float32, int, float32) {
	panic("no matrix kernels on this platform")
}

func kern1x16(int, *float32, *float32, int, *float32, float32) {
	panic("no matrix kernels on this platform")
}

func expShift(*float32, int, float32) float32 { panic("no vector kernels on this platform") }

func maxf(*float32, int) float32 { panic("no vector kernels on this platform") }

func axpyK(float32, *float32, *float32, int) { panic("no vector kernels on this platform") }

func adamK(_, _, _, _ *float32, _ int, _ *[6]float32) { panic("no vector kernels on this platform") }
