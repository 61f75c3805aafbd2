package twotower

import (
	"math"
	"slices"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
)

// FromDataset is the adapter from the engine's datasets: one example per distinct (customer,
// product, invoice) of the training rows; country as the customer feature;
// a price band (deciles of the median unit price) as the product feature;
// log price and log number of buyers as dense product features.
func FromDataset(ds *data.Dataset) *Data {
	d := &Data{NumUsers: ds.NumUsers(), NumItems: ds.NumItems()}
	type key struct{ u, i, inv int32 }
	seen := map[key]bool{}
	tr := ds.Train
	prices := make([][]float32, ds.NumItems())
	buyers := make([]map[int32]bool, ds.NumItems())
	for k := range tr.U {
		kk := key{tr.U[k], tr.I[k], tr.Inv[k]}
		prices[tr.I[k]] = append(prices[tr.I[k]], tr.Price[k])
		if buyers[tr.I[k]] == nil {
			buyers[tr.I[k]] = map[int32]bool{}
		}
		buyers[tr.I[k]][tr.U[k]] = true
		if seen[kk] {
			continue
		}
		seen[kk] = true
		d.User = append(d.User, tr.U[k])
		d.Item = append(d.Item, tr.I[k])
		d.Time = append(d.Time, tr.T[k])
	}
	country := Categorical{Name: "country", Card: ds.Log.Countries.Len(), Values: ds.UserCountry}
	d.UserCat = []Categorical{country}
	med := make([]float32, ds.NumItems())
	logPrice := make([]float32, ds.NumItems())
	logBuyers := make([]float32, ds.NumItems())
	for i, p := range prices {
		slices.Sort(p)
		med[i] = p[len(p)/2]
		logPrice[i] = float32(math.Log(float64(med[i])))
		logBuyers[i] = float32(math.Log1p(float64(len(buyers[i]))))
	}
	sorted := slices.Clone(med)
	slices.Sort(sorted)
	band := make([]int32, ds.NumItems())
	for i, p := range med {
		r, _ := slices.BinarySearch(sorted, p)
		band[i] = int32(r * 10 / len(sorted))
	}
	d.ItemCat = []Categorical{{Name: "price_band", Card: 10, Values: band}}
	d.ItemDense = []DenseFeature{{Name: "log_price", Values: logPrice}, {Name: "log_buyers", Values: logBuyers}}
	return d
}
