package linalg

import (
	"testing"
	"time"
)

// BenchmarkInvertSPD inverts a 1,500-item Gram-like matrix with the linked
// backend and reports its speed against gonum's pure-Go code in the same
// process (speed-ratio = gonum time / backend time).
func BenchmarkInvertSPD(b *testing.B) {
	n := 1500
	a := spd(n, 9)
	work := make([]float64, len(a))
	var ref time.Duration
	for i := 0; i < b.N; i++ {
		copy(work, a)
		start := time.Now()
		if err := invertSPDGonum(work, n); err != nil {
			b.Fatal(err)
		}
		ref += time.Since(start)
	}
	var ours time.Duration
	for i := 0; i < b.N; i++ {
		copy(work, a)
		start := time.Now()
		if err := InvertSPD(work, n); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
	}
	b.ReportMetric(ref.Seconds()/ours.Seconds(), "speed-ratio")
	b.ReportMetric(ours.Seconds()/float64(b.N), backend+"-s/op")
	b.ReportMetric(ref.Seconds()/float64(b.N), "gonum-s/op")
}
