package rank

import (
	"bytes"

	"context"
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
)

func retail(t *testing.T, split string) *data.Dataset {
	t.Helper()
	log, _, err := data.ReadFile(context.Background(), "../../../sample-data/uci_online_retail/online_retail.csv.gz", data.RetailColumns(), data.RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse("2006-01-02", split)
	ds, err := data.Split(log, at.Unix(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDeterministic trains twice with one seed on an early split (less
// data, faster) and expects identical metrics.
func TestDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice on real data")
	}
	ds := retail(t, "2011-03-01")
	task := eval.NewTask(ds)
	var got [2]eval.Metrics
	for k := range got {
		m, err := Train(context.Background(), ds, Config{GBDT: gbdtCfg(5)})
		if err != nil {
			t.Fatal(err)
		}
		if got[k], err = eval.Evaluate(context.Background(), task, m); err != nil {
			t.Fatal(err)
		}
	}
	if got[0] != got[1] {
		t.Fatalf("two runs differ:\n%+v\n%+v", got[0], got[1])
	}
}

func TestSaveLoadScoresIdentically(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real data")
	}
	ds := retail(t, "2011-03-01")
	m, err := Train(context.Background(), ds, Config{GBDT: gbdtCfg(2)})
	if err != nil {
		t.Fatal(err)
	}
	f := artifact.New("recommended", "recommended")
	if err := m.Save(f); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f2, err := artifact.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(f2)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float64, ds.NumItems()), make([]float64, ds.NumItems())
	for u := 0; u < ds.NumUsers(); u += 7 {
		m.Score(u, a)
		start := time.Now()
		m2.Score(u, b)
		if d := time.Since(start); d > time.Second {
			t.Errorf("scoring one customer took %v", d)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("user %d item %d: %g before saving, %g after", u, i, a[i], b[i])
			}
		}
	}
}

func TestCancel(t *testing.T) {
	ds := retail(t, "2011-03-01")
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	_, err := Train(ctx, ds, Config{Progress: func(string) {
		steps++
		cancel()
	}})
	if err == nil || steps != 1 {
		t.Fatalf("cancel at the first step: err %v after %d steps", err, steps)
	}
}
