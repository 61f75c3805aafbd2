package train

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
)

// synthetic builds a small dataset: 60 customers in 3 groups buying from
// overlapping product ranges over 8 months.
func synthetic(t testing.TB) *data.Dataset {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	log := data.NewLog()
	t0 := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	inv := 0
	for day := 0; day < 240; day += 3 {
		for c := 0; c < 60; c++ {
			if r.IntN(4) != 0 {
				continue
			}
			inv++
			g := c % 3
			for k := 0; k < 1+r.IntN(4); k++ {
				p := g*10 + r.IntN(15)
				log.Append(data.Event{Customer: fmt.Sprint("C", c), Product: fmt.Sprint("P", p), Invoice: fmt.Sprint(inv),
					Country: []string{"UK", "FR"}[c%2], Time: t0.AddDate(0, 0, day), Quantity: float64(1 + r.IntN(5)), Price: 1 + float64(p)/10})
			}
		}
	}
	ds, err := data.Split(log, t0.AddDate(0, 0, 200).Unix(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestArtifactRoundTripEveryKind(t *testing.T) {
	ds := synthetic(t)
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	for _, spec := range []string{"popularity", "popularity:days=30", "buy-again", "item-knn", "ease:lambda=20",
		"ease:lambda=5,max_items=10", "als:factors=4,iters=3", "two-tower:epochs=2,batch=64", "two-tower:preset=id-only,epochs=1"} {
		res, err := Train(ctx, ds, spec, Options{Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		task := eval.NewTask(ds)
		m, err := eval.Evaluate(ctx, task, res.Scorer)
		if err != nil {
			t.Fatal(err)
		}
		key := "models/" + strings.ReplaceAll(spec, ":", "_") + ".b2bm"
		if err := Save(ctx, bucket, key, res, ds, &m); err != nil {
			t.Fatalf("%s: save: %v", spec, err)
		}
		loaded, err := Load(ctx, bucket, key)
		if err != nil {
			t.Fatalf("%s: load: %v", spec, err)
		}
		if loaded.Info.Spec != spec || loaded.Info.Metrics["recall@10"] != m.Recall[0] || len(loaded.Users) != ds.NumUsers() {
			t.Fatalf("%s: info %+v", spec, loaded.Info)
		}
		a, b := make([]float64, ds.NumItems()), make([]float64, ds.NumItems())
		for u := 0; u < ds.NumUsers(); u++ {
			res.Scorer.Score(u, a)
			loaded.Scorer.Score(u, b)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%s: user %d item %d scores %g before saving and %g after", spec, u, i, a[i], b[i])
				}
			}
		}
	}
}

func TestRecommend(t *testing.T) {
	ds := synthetic(t)
	res, err := Train(context.Background(), ds, "buy-again", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, res, ds, nil); err != nil {
		t.Fatal(err)
	}
	m, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	recs, known := m.Recommend("C3", 5, false)
	if !known || len(recs) != 5 {
		t.Fatalf("known %v recs %v", known, recs)
	}
	u := ds.UserIndex("C3")
	idx, _ := ds.Pairs().Row(u)
	bought := map[string]bool{}
	for _, i := range idx {
		bought[ds.ItemID(int(i))] = true
	}
	if !bought[recs[0].Product] {
		t.Fatalf("buy-again's first recommendation %s is not an own product", recs[0].Product)
	}
	fresh, _ := m.Recommend("C3", 5, true)
	for _, r := range fresh {
		if bought[r.Product] {
			t.Fatalf("excludeOwn recommended the bought %s", r.Product)
		}
	}
	anon, known := m.Recommend("nobody", 3, true)
	if known || len(anon) != 3 {
		t.Fatalf("unknown customer: known %v recs %v", known, anon)
	}
}

func TestReadDamaged(t *testing.T) {
	ds := synthetic(t)
	res, _ := Train(context.Background(), ds, "popularity", Options{})
	var buf bytes.Buffer
	if err := Write(&buf, res, ds, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-10],
		"flipped":   append(append([]byte(nil), b[:len(b)/2]...), append([]byte{b[len(b)/2] ^ 0xff}, b[len(b)/2+1:]...)...),
		"not ours":  []byte("PAR1 not a model"),
	} {
		if _, err := Read(bytes.NewReader(bad)); err == nil {
			t.Errorf("%s file was read", name)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	ds := synthetic(t)
	for _, tc := range []struct{ spec, want string }{
		{"nope", "unknown model"},
		{"ease:lamda=3", "no parameter lamda"},
		{"ease:lambda=0", "lambda > 0"},
		{"als:factors=0", "out of range"},
		{"ease:matrix=odd", "matrix"},
		{"blend", "no component"},
		{"popularity:days=-1", "out of range"},
	} {
		if _, err := Train(context.Background(), ds, tc.spec, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.spec, err, tc.want)
		}
	}
	res, err := Train(context.Background(), ds, "blend:ease=1,pop_recent=0.2,own=4,recent=4", Options{})
	if err != nil || res.Params["own"] != 4.0 {
		t.Fatalf("blend: %v %v", err, res)
	}
}
