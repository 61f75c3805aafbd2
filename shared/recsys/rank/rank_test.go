package rank

import (
	"context"
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
