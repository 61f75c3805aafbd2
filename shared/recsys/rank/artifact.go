package rank

import (
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
	"github.com/b2brecs/b2brecs/shared/recsys/gbdt"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
)

// meta is what the model file's header keeps of a recommended model.
type meta struct {
	Config    Config      `json:"config"`
	Cut       int64       `json:"train_end"`
	Items     int         `json:"items"`
	Users     int         `json:"users"`
	Countries int         `json:"countries"`
	Examples  int         `json:"ranker_examples"`
	Ranker    *gbdt.Model `json:"ranker"`
	Features  []string    `json:"features"`
}

// Save writes the model into f: the first stage (both EASE weight
// matrices, the purchase history, the statistics the features read) and
// the ranker.
func (m *Model) Save(f *artifact.File) error {
	s := m.s1
	if err := f.SetMeta(meta{Config: s.cfg, Cut: s.cut, Items: s.nItems, Users: len(s.userInvoices), Countries: len(s.countryPop),
		Examples: m.Examples, Ranker: m.ranker, Features: featureNames()}); err != nil {
		return err
	}
	models.PutPairs(f, "pairs", s.pairs)
	s.easeBin.Save(f, "ease_binary")
	s.easeRec.Save(f, "ease_recency")
	for name, v := range s.vectors() {
		f.PutF64(name, *v)
	}
	country := make([]float64, 0, len(s.countryPop)*s.nItems)
	for _, c := range s.countryPop {
		country = append(country, c...)
	}
	f.PutF64("pop_country", country)
	f.PutI32("user_country", s.userCountry)
	ptr, items := flatten(s.userLastInvoice)
	f.PutI32("last_invoice/ptr", ptr)
	f.PutI32("last_invoice/items", items)
	f.PutF32("sim", s.sim)
	f.PutF64("own_invoices_90d", s.recent90)
	return nil
}

// vectors names the per-item and per-user statistics.
func (s *stage1) vectors() map[string]*[]float64 {
	return map[string]*[]float64{
		"pop_all": &s.popAll, "pop_30d": &s.pop30, "pop_7d": &s.pop7,
		"item_price": &s.itemPrice, "item_first": &s.itemFirst, "item_last": &s.itemLast,
		"user_invoices": &s.userInvoices, "user_items": &s.userItems, "user_last": &s.userLast,
		"user_tenure": &s.userTenure, "user_gap": &s.userGap, "user_price": &s.userPrice,
	}
}

func flatten(lists [][]int32) (ptr, items []int32) {
	ptr = make([]int32, len(lists)+1)
	for k, l := range lists {
		items = append(items, l...)
		ptr[k+1] = int32(len(items))
	}
	return ptr, items
}

// Load reads a model written by Save.
func Load(f *artifact.File) (*Model, error) {
	var md meta
	if err := f.GetMeta(&md); err != nil {
		return nil, err
	}
	if md.Ranker == nil || len(md.Features) != len(featureNames()) {
		return nil, errs.Userf(errs.Invalid, "the model file was written by another version of the recommended model (its features differ): train the model again")
	}
	s := &stage1{cut: md.Cut, cfg: md.Config, nItems: md.Items}
	var err error
	if s.pairs, err = models.GetPairs(f, "pairs"); err != nil {
		return nil, err
	}
	if s.easeBin, err = models.LoadEASE(f, "ease_binary"); err != nil {
		return nil, err
	}
	if s.easeRec, err = models.LoadEASE(f, "ease_recency"); err != nil {
		return nil, err
	}
	for name, v := range s.vectors() {
		n := md.Items
		if name[:5] == "user_" {
			n = md.Users
		}
		if *v, err = f.F64(name, n); err != nil {
			return nil, err
		}
	}
	country, err := f.F64("pop_country", md.Countries*md.Items)
	if err != nil {
		return nil, err
	}
	for c := 0; c < md.Countries; c++ {
		s.countryPop = append(s.countryPop, country[c*md.Items:(c+1)*md.Items])
	}
	if s.userCountry, err = f.I32("user_country", md.Users); err != nil {
		return nil, err
	}
	for _, c := range s.userCountry {
		if c < -1 || int(c)+1 >= md.Countries {
			return nil, errs.Userf(errs.Invalid, "the model file is damaged (a country out of range): train the model again")
		}
	}
	ptr, err := f.I32("last_invoice/ptr", md.Users+1)
	if err != nil {
		return nil, err
	}
	items, err := f.I32("last_invoice/items", -1)
	if err != nil {
		return nil, err
	}
	s.userLastInvoice = make([][]int32, md.Users)
	for u := range s.userLastInvoice {
		if ptr[u] > ptr[u+1] || int(ptr[u+1]) > len(items) {
			return nil, errs.Userf(errs.Invalid, "the model file is damaged (bad last-invoice index): train the model again")
		}
		s.userLastInvoice[u] = items[ptr[u]:ptr[u+1]]
	}
	if s.sim, err = f.F32("sim", md.Items*md.Items); err != nil {
		return nil, err
	}
	if s.recent90, err = f.F64("own_invoices_90d", s.pairs.NNZ()); err != nil {
		return nil, err
	}
	m := &Model{s1: s, ranker: md.Ranker, Examples: md.Examples}
	m.pool.New = func() any { return s.newScratch() }
	return m, nil
}
