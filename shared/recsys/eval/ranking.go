package eval

import (
	"math"
	"sort"
)

// Regression returns RMSE and MAE of predictions against targets.
func Regression(pred, target []float64) (rmse, mae float64) {
	if len(pred) == 0 {
		return 0, 0
	}
	for i, p := range pred {
		d := p - target[i]
		rmse += d * d
		mae += math.Abs(d)
	}
	n := float64(len(pred))
	return math.Sqrt(rmse / n), mae / n
}

// AUC is the area under the ROC curve of scores for binary labels (the
// probability that a random positive outranks a random negative, ties
// counting one half). It is 0.5 when one class is missing.
func AUC(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// rank sum of positives with average ranks for ties
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks are 1-based
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
