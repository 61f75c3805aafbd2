package models

import "sort"

// sortByDesc sorts ids by key descending, ties by id ascending.
func sortByDesc(ids []int32, key func(int32) float64) {
	sort.SliceStable(ids, func(a, b int) bool {
		ka, kb := key(ids[a]), key(ids[b])
		if ka != kb {
			return ka > kb
		}
		return ids[a] < ids[b]
	})
}
