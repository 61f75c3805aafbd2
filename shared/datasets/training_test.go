package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

var trainingSplits = []struct {
	name  string
	split Split
}{
	{"time_holdout", Split{Kind: SplitTimeHoldout, HoldoutDays: 2}},
	{"strict_time", Split{Kind: SplitStrictTime, TrainDays: 30, ValDays: 14, TestDays: 2}},
	{"random", Split{Kind: SplitRandom, TrainPercent: 80, ValPercent: 10, Seed: 42}},
}

func trainingDataset(s Split, filters ...Filter) *Dataset {
	d := baseDataset(filters...)
	d.Split = s
	return d
}

func TestTrainingGolden(t *testing.T) {
	for _, tc := range trainingSplits {
		for _, dia := range []warehouse.Dialect{warehouse.BigQuery, warehouse.DuckDB} {
			t.Run(tc.name+"/"+string(dia), func(t *testing.T) {
				d := trainingDataset(tc.split, Filter{Kind: FilterTopShare, Entity: Product, Percent: 80})
				q, err := CompileTraining(d, testSchemas, dia)
				if err != nil {
					t.Fatal(err)
				}
				known := knownNames(d, testSchemas)
				known[SplitColumn] = true
				checkSQL(t, dia, q, known, filterValues(d))
				got := renderGolden(q)
				path := filepath.Join("testdata", "golden", "training_"+tc.name+"."+string(dia)+".sql")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update once to create it)", err)
				}
				if got != string(want) {
					t.Errorf("SQL differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

func TestTrainingBigQueryGrammar(t *testing.T) {
	var stmts []string
	for _, tc := range trainingSplits {
		q, err := CompileTraining(trainingDataset(tc.split), testSchemas, warehouse.BigQuery)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, q.SQL)
	}
	for i, msg := range bigQueryParseErrors(t, stmts) {
		if msg != "" {
			t.Errorf("%s: %s\n%s", trainingSplits[i].name, msg, stmts[i])
		}
	}
}

func TestTrainingErrors(t *testing.T) {
	d := trainingDataset(Split{Kind: SplitTimeHoldout, HoldoutDays: 1})
	d.Columns[3].Role = ""
	if _, err := CompileTraining(d, testSchemas, warehouse.DuckDB); errs.FieldOf(err) != "columns" || !strings.Contains(errs.UserMessage(err), "timestamp role") {
		t.Errorf("missing timestamp role: %v", err)
	}
	d = trainingDataset(Split{Kind: SplitTimeHoldout, HoldoutDays: 1})
	d.Columns[0].Alias = "Split"
	if _, err := CompileTraining(d, testSchemas, warehouse.DuckDB); errs.FieldOf(err) != "columns" {
		t.Errorf("a column named split: %v", err)
	}
}

// trainingRows runs the training query on DuckDB: invoice -> [unix seconds, split].
func trainingRows(t *testing.T, wh *warehouse.Warehouse, d *Dataset, schemas Schemas) map[string][2]int64 {
	t.Helper()
	q, err := CompileTraining(d, schemas, warehouse.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	res, err := wh.Query(context.Background(), q.SQL, q.Params, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, q.SQL)
	}
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	inv, ts, split := slices.Index(names, "invoice_no"), slices.Index(names, "invoice_ts"), slices.Index(names, SplitColumn)
	out := map[string][2]int64{}
	for _, r := range res.Rows {
		out[r[inv].(string)] = [2]int64{r[ts].(int64), splitCode(r[split])}
	}
	return out
}

func splitCode(v any) int64 {
	n, ok := toInt(v)
	if !ok {
		panic(fmt.Sprintf("split value %T", v))
	}
	return n
}

func TestTrainingDuckDB(t *testing.T) {
	wh := openDuckDB(t, retailSetup...)
	schemas := tableSchemas(t, wh, "lines", "products", "customers")
	unix := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}

	// Time holdout of 2 days: the latest timestamp is L1's 2024-03-31 12:00,
	// so the boundary is 2024-03-29 12:00: L1 and L2 are test.
	got := trainingRows(t, wh, trainingDataset(Split{Kind: SplitTimeHoldout, HoldoutDays: 2}), schemas)
	want := map[string][2]int64{
		"L1": {unix("2024-03-31 12:00"), SplitTest},
		"L2": {unix("2024-03-30 08:00"), SplitTest},
		"L3": {unix("2024-03-01 00:00"), SplitTrain},
		"L4": {unix("2024-02-15 10:00"), SplitTrain},
		"L5": {unix("2024-01-01 00:00"), SplitTrain},
		"L6": {unix("2023-12-01 00:00"), SplitTrain},
		"L9": {unix("2024-03-15 00:00"), SplitTrain},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("time holdout\n got %v\nwant %v", got, want)
	}

	// Strict windows: test after 03-30 12:00 (L1), validation after 03-16
	// 12:00 (L2), train after 02-15 12:00 (L3, L9); L4 (02-15 10:00) and
	// older are dropped.
	got = trainingRows(t, wh, trainingDataset(Split{Kind: SplitStrictTime, TestDays: 1, ValDays: 14, TrainDays: 30}), schemas)
	split := map[string]int64{}
	for k, v := range got {
		split[k] = v[1]
	}
	if fmt.Sprint(split) != fmt.Sprint(map[string]int64{"L1": SplitTest, "L2": SplitValidation, "L3": SplitTrain, "L9": SplitTrain}) {
		t.Errorf("strict windows: %v", split)
	}
}

// TestTrainingRandomSplit: the same seed gives the same split in two runs,
// another seed another split, and the shares are near the settings.
func TestTrainingRandomSplit(t *testing.T) {
	data, setup := randomRefData(newGen(3).r)
	_ = data
	wh := openDuckDB(t, setup...)
	schemas := tableSchemas(t, wh, "lines", "products", "customers")
	d := trainingDataset(Split{Kind: SplitRandom, TrainPercent: 70, ValPercent: 15, Seed: 7})
	first := trainingRows(t, wh, d, schemas)
	second := trainingRows(t, wh, d, schemas)
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Error("the same seed gave another split")
	}
	counts := map[int64]int{}
	for _, v := range first {
		counts[v[1]]++
	}
	n := len(first)
	if n < 100 || counts[SplitTrain] < n*55/100 || counts[SplitTrain] > n*85/100 || counts[SplitValidation] == 0 || counts[SplitTest] == 0 {
		t.Errorf("shares over %d rows: %v", n, counts)
	}
	d.Split.Seed = 8
	other := trainingRows(t, wh, d, schemas)
	changed := 0
	for k, v := range other {
		if first[k][1] != v[1] {
			changed++
		}
	}
	if changed == 0 {
		t.Error("another seed gave the same split")
	}
}
