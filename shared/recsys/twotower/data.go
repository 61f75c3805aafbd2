package twotower

import (
	"cmp"
	"math"
	"slices"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Data is the input of Train, in index space: users are 0..NumUsers-1,
// items (products) 0..NumItems-1.
//
// Examples are parallel slices, one entry per interaction to learn from,
// typically one per distinct (customer, product, invoice). For retrieval
// every example with a label above 0 (or every example when Label is nil)
// is a positive; ranking learns Label.
type Data struct {
	NumUsers, NumItems int

	User   []int32   // user of each example
	Item   []int32   // item of each example
	Time   []int64   // unix seconds of each example (time features, point-in-time history)
	Label  []float32 // ranking target (nil: 1 for every example)
	Weight []float32 // example weight (nil: 1)

	// History is the purchase log the purchase-history feature reads: for
	// a training example at time t, the user's distinct items bought before
	// t, most recent first; when scoring, every purchase in it. Nil takes
	// the positive examples.
	History *Events

	// Side features (optional).
	UserCat   []Categorical  // values per user
	ItemCat   []Categorical  // values per item
	ItemDense []DenseFeature // values per item, z-scored by the model
}

// Events is a purchase log: parallel slices of user, item and unix time.
type Events struct {
	User, Item []int32
	Time       []int64
}

// Categorical is a categorical feature: Values[k] in [0, Card) for each
// user (or item) k, or -1 when unknown.
type Categorical struct {
	Name   string
	Card   int
	Values []int32
}

// DenseFeature is a numeric feature with one value per item (NaN: unknown,
// read as the mean).
type DenseFeature struct {
	Name   string
	Values []float32
}

// validate checks the shapes and index ranges.
func (d *Data) validate(cfg Config) error {
	n := len(d.User)
	switch {
	case d.NumUsers < 1 || d.NumItems < 1:
		return errs.E(errs.Invalid, "the training data has %d customers and %d products; both must be at least 1", d.NumUsers, d.NumItems)
	case n == 0:
		return errs.E(errs.Invalid, "the training data has no interactions")
	case len(d.Item) != n || len(d.Time) != n:
		return errs.E(errs.Invalid, "the training examples' user, item and time columns differ in length (%d, %d, %d)", n, len(d.Item), len(d.Time))
	case d.Label != nil && len(d.Label) != n:
		return errs.E(errs.Invalid, "the label column has %d values for %d examples", len(d.Label), n)
	case d.Weight != nil && len(d.Weight) != n:
		return errs.E(errs.Invalid, "the weight column has %d values for %d examples", len(d.Weight), n)
	}
	if cfg.Task != Retrieval && d.Label == nil {
		return errs.E(errs.Invalid, "a %s model needs a label for every example", cfg.Task)
	}
	for k := range n {
		if u := d.User[k]; u < 0 || int(u) >= d.NumUsers {
			return errs.E(errs.Invalid, "example %d has user %d outside [0, %d)", k, u, d.NumUsers)
		}
		if i := d.Item[k]; i < 0 || int(i) >= d.NumItems {
			return errs.E(errs.Invalid, "example %d has item %d outside [0, %d)", k, i, d.NumItems)
		}
		if d.Weight != nil && (d.Weight[k] < 0 || math.IsNaN(float64(d.Weight[k]))) {
			return errs.E(errs.Invalid, "example %d has weight %g; weights must be non-negative numbers", k, d.Weight[k])
		}
	}
	if h := d.History; h != nil {
		if len(h.Item) != len(h.User) || len(h.Time) != len(h.User) {
			return errs.E(errs.Invalid, "the purchase history's user, item and time columns differ in length")
		}
		for k, u := range h.User {
			if u < 0 || int(u) >= d.NumUsers || h.Item[k] < 0 || int(h.Item[k]) >= d.NumItems {
				return errs.E(errs.Invalid, "purchase history entry %d (user %d, item %d) is outside the vocabularies", k, u, h.Item[k])
			}
		}
	}
	for _, c := range d.UserCat {
		if err := c.validate("customer", d.NumUsers); err != nil {
			return err
		}
	}
	for _, c := range d.ItemCat {
		if err := c.validate("product", d.NumItems); err != nil {
			return err
		}
	}
	for _, f := range d.ItemDense {
		if len(f.Values) != d.NumItems {
			return errs.E(errs.Invalid, "product feature %q has %d values for %d products", f.Name, len(f.Values), d.NumItems)
		}
	}
	return nil
}

func (c Categorical) validate(who string, n int) error {
	if c.Card < 1 || len(c.Values) != n {
		return errs.E(errs.Invalid, "%s feature %q has %d values for %d %ss and cardinality %d", who, c.Name, len(c.Values), n, who, c.Card)
	}
	for k, v := range c.Values {
		if v < -1 || int(v) >= c.Card {
			return errs.E(errs.Invalid, "%s feature %q: value %d of %s %d is outside [0, %d)", who, c.Name, v, who, k, c.Card)
		}
	}
	return nil
}

// positives returns the log the history feature reads.
func (d *Data) events() Events {
	if d.History != nil {
		return *d.History
	}
	var ev Events
	for k := range d.User {
		if d.Label == nil || d.Label[k] > 0 {
			ev.User = append(ev.User, d.User[k])
			ev.Item = append(ev.Item, d.Item[k])
			ev.Time = append(ev.Time, d.Time[k])
		}
	}
	return ev
}

// userLog is a purchase log indexed by user, each user's events sorted by
// time.
type userLog struct {
	off  []int32 // len users+1
	item []int32
	time []int64
}

func newUserLog(ev Events, users int) *userLog {
	order := make([]int32, len(ev.User))
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		if c := cmp.Compare(ev.User[a], ev.User[b]); c != 0 {
			return c
		}
		return cmp.Compare(ev.Time[a], ev.Time[b])
	})
	l := &userLog{off: make([]int32, users+1), item: make([]int32, len(order)), time: make([]int64, len(order))}
	for k, e := range order {
		l.item[k], l.time[k] = ev.Item[e], ev.Time[e]
		l.off[ev.User[e]+1]++
	}
	for u := range users {
		l.off[u+1] += l.off[u]
	}
	return l
}

// recent appends to dst the distinct items u bought strictly before t
// (all of them when t is 0), most recent first, at most max; seen is a
// scratch array of NumItems stamps and stamp a value not yet used in it.
func (l *userLog) recent(dst []int32, u int32, t int64, limit int, seen []int32, stamp int32) []int32 {
	lo, hi := int(l.off[u]), int(l.off[u+1])
	end := hi
	if t != 0 {
		end = lo + sortSearch(hi-lo, func(k int) bool { return l.time[lo+k] >= t })
	}
	n := 0
	for k := end - 1; k >= lo && n < limit; k-- {
		it := l.item[k]
		if seen[it] == stamp {
			continue
		}
		seen[it] = stamp
		dst = append(dst, it)
		n++
	}
	return dst
}

func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// bags holds one purchase-history bag per example (or per user), as ranges
// into a shared item array: examples of the same user and time share one.
type bags struct {
	start, end []int32
	items      []int32
}

// exampleBags computes the point-in-time history of every example.
func exampleBags(l *userLog, users []int32, times []int64, numItems, limit int) bags {
	b := bags{start: make([]int32, len(users)), end: make([]int32, len(users))}
	type key struct {
		u int32
		t int64
	}
	done := map[key][2]int32{}
	seen := make([]int32, numItems)
	for i := range seen {
		seen[i] = -1
	}
	stamp := int32(0)
	for k, u := range users {
		kk := key{u, times[k]}
		if r, ok := done[kk]; ok {
			b.start[k], b.end[k] = r[0], r[1]
			continue
		}
		s := int32(len(b.items))
		b.items = l.recent(b.items, u, times[k], limit, seen, stamp)
		stamp++
		b.start[k], b.end[k] = s, int32(len(b.items))
		done[kk] = [2]int32{s, b.end[k]}
	}
	return b
}

// userBags computes every user's full history (for scoring).
func userBags(l *userLog, users, numItems, limit int) bags {
	b := bags{start: make([]int32, users), end: make([]int32, users)}
	seen := make([]int32, numItems)
	for i := range seen {
		seen[i] = -1
	}
	for u := range users {
		s := int32(len(b.items))
		b.items = l.recent(b.items, int32(u), 0, limit, seen, int32(u))
		b.start[u], b.end[u] = s, int32(len(b.items))
	}
	return b
}

// timeFeatures writes the cyclical encoding of t (month of year and day of
// week as sin/cos pairs) into dst[0:4].
func timeFeatures(t int64, dst []float32) {
	const day = 86400
	days := float64(t) / day
	// Day of week: 1970-01-01 was a Thursday; the phase does not matter.
	dow := 2 * math.Pi * math.Mod(days, 7) / 7
	// Month of year as the fraction of a mean Gregorian year.
	year := 2 * math.Pi * math.Mod(days, 365.2425) / 365.2425
	dst[0], dst[1] = float32(math.Sin(year)), float32(math.Cos(year))
	dst[2], dst[3] = float32(math.Sin(dow)), float32(math.Cos(dow))
}

// denseStats returns the mean and standard deviation of each dense item
// feature (NaN values ignored).
func denseStats(fs []DenseFeature) (mean, std []float32) {
	for _, f := range fs {
		var s, ss float64
		n := 0
		for _, v := range f.Values {
			if math.IsNaN(float64(v)) {
				continue
			}
			s += float64(v)
			ss += float64(v) * float64(v)
			n++
		}
		m, sd := 0.0, 1.0
		if n > 0 {
			m = s / float64(n)
			if v := ss/float64(n) - m*m; v > 1e-12 {
				sd = math.Sqrt(v)
			}
		}
		mean = append(mean, float32(m))
		std = append(std, float32(sd))
	}
	return mean, std
}
