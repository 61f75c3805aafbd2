package twotower

import (
	"math"

	"github.com/b2brecs/b2brecs/shared/recsys/nn"
)

// synthData builds a small purchase log with structure: users and items
// fall into groups; a user buys mostly items of its group (90%), at
// increasing times. Customers have a categorical feature (group mod 3),
// items a category (their group) and a dense feature (group + noise).
// With negatives > 0, every positive gets that many label-0 examples of
// random items at the same time (for ranking).
func synthData(users, items, groups, perUser, negatives int, seed uint64) *Data {
	rng := nn.NewRand(seed, 99)
	d := &Data{NumUsers: users, NumItems: items}
	group := func(i int) int { return i % groups }
	const day = 86400
	base := int64(1_300_000_000)
	for u := range users {
		for k := range perUser {
			var it int
			if rng.Float64() < 0.9 {
				it = group(u) + groups*rng.IntN(items/groups)
			} else {
				it = rng.IntN(items)
			}
			t := base + int64(k)*7*day + rng.Int64N(7*day) // no user signal in the time
			d.User = append(d.User, int32(u))
			d.Item = append(d.Item, int32(it))
			d.Time = append(d.Time, t)
			if negatives > 0 {
				d.Label = append(d.Label, 1)
				for range negatives {
					d.User = append(d.User, int32(u))
					d.Item = append(d.Item, int32(rng.IntN(items)))
					d.Time = append(d.Time, t)
					d.Label = append(d.Label, 0)
				}
			}
		}
	}
	uc := Categorical{Name: "region", Card: 3, Values: make([]int32, users)}
	for u := range users {
		uc.Values[u] = int32(group(u) % 3)
	}
	uc.Values[0] = -1 // unknown
	ic := Categorical{Name: "category", Card: groups, Values: make([]int32, items)}
	df := DenseFeature{Name: "price", Values: make([]float32, items)}
	for i := range items {
		ic.Values[i] = int32(group(i))
		df.Values[i] = float32(group(i)) + float32(rng.NormFloat64()*0.1)
	}
	df.Values[1] = float32(math.NaN())
	d.UserCat = []Categorical{uc}
	d.ItemCat = []Categorical{ic}
	d.ItemDense = []DenseFeature{df}
	return d
}

// smallConfig is a fast configuration with every feature on.
func smallConfig() Config {
	c := DefaultConfig()
	c.OutputDim = 8
	c.UserTower = []LayerSpec{Dense(16, "relu"), Dropout(0.1), Dense(8, "linear")}
	c.ItemTower = []LayerSpec{Dense(16, "relu"), Dense(8, "linear")}
	c.Features.UserIDDim, c.Features.ItemIDDim = 8, 8
	c.Features.PurchaseHistory, c.Features.HistoryMax = true, 5
	c.BatchSize = 32
	c.Epochs = 3
	c.Optimizer.LearningRate = 0.01
	return c
}
