//go:build !amd64 || purego

package resample

func dot4(out *[4]int16, coef, buf []float32, off *[8]int, k int) {
	dot4Generic(out, coef, buf, off, k)
}
