package data

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

const sample = `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1,85123A,A,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
1,POST,postage,1,2010-12-01 08:26:00,18,17850.0,United Kingdom
C2,85123A,A,-6,2010-12-01 09:00:00,2.55,17850.0,United Kingdom
3,71053,B,0,2010-12-02 10:00:00,3.39,13047.0,France
4,71053,B,2,2010-12-02 10:00:00,0,13047.0,France
5,71053,B,2,2010-12-02 11:00:00,3.39,,France
6,71053,B,2,2010-12-03 11:00:00,3.39,13047.0,France
7,22752,C,1,2011-01-10 11:00:00,7.65,17850.0,United Kingdom
8,99999,D,1,2011-01-11 11:00:00,1.00,12000.0,Germany
9,85123A,A,3,not a date,2.55,17850.0,United Kingdom
`

func TestRetailRules(t *testing.T) {
	log, st, err := ReadCSV(context.Background(), strings.NewReader(sample), RetailColumns(), RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 10 || st.Kept != 4 {
		t.Fatalf("stats %v, want 10 read 4 kept", st)
	}
	want := map[string]int{DropProduct: 1, DropCancelled: 1, DropQuantity: 1, DropPrice: 1, DropNoCustomer: 1, DropBadTime: 1}
	for k, v := range want {
		if st.Dropped[k] != v {
			t.Errorf("dropped %q = %d, want %d (all: %v)", k, st.Dropped[k], v, st.Dropped)
		}
	}
	if got := log.Customers.Names(); strings.Join(got, ",") != "17850,13047,12000" {
		t.Fatalf("customers %v (ids are integers)", got)
	}
	if log.Qty[1] != 2 || log.Price[1] != float32(3.39) {
		t.Fatalf("row 1 qty %g price %g", log.Qty[1], log.Price[1])
	}
}

func TestReadCSVMissingColumn(t *testing.T) {
	cols := RetailColumns()
	cols.Customer = "Buyer"
	_, _, err := ReadCSV(context.Background(), strings.NewReader(sample), cols, RetailRules())
	if err == nil || !strings.Contains(err.Error(), `"Buyer"`) {
		t.Fatalf("err = %v, want one naming the missing column", err)
	}
}

func TestSplitIndicesFollowFirstAppearance(t *testing.T) {
	log, _, err := ReadCSV(context.Background(), strings.NewReader(sample), RetailColumns(), RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	cut := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	ds, err := Split(log, cut, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ds.NumUsers() != 2 || ds.NumItems() != 2 || ds.UserID(0) != "17850" || ds.ItemID(1) != "71053" {
		t.Fatalf("users %d items %d", ds.NumUsers(), ds.NumItems())
	}
	if ds.Test.Len() != 2 || ds.Test.U[0] != 0 || ds.Test.I[0] != -1 || ds.Test.U[1] != -1 {
		t.Fatalf("test rows %+v (unknown product and customer are -1)", ds.Test)
	}
	users, truth := ds.Truth()
	if len(users) != 0 || len(truth) != 0 {
		t.Fatalf("truth %v %v: the test rows have no known (user, item) pair", users, truth)
	}
	if ds.UserIndex("13047") != 1 || ds.UserIndex("nobody") != -1 || ds.ItemIndex("85123A") != 0 {
		t.Fatal("index lookups")
	}
	if _, err := Split(log, 0, 0); err == nil {
		t.Fatal("a split before every row was accepted")
	}
}

func TestMatrixWeightings(t *testing.T) {
	log := NewLog()
	t0 := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(c, p, inv string, days int) {
		log.Append(Event{Customer: c, Product: p, Invoice: inv, Time: t0.AddDate(0, 0, days), Quantity: 1, Price: 2})
	}
	add("a", "x", "1", 0)
	add("a", "x", "2", 10)
	add("a", "x", "2", 10) // same invoice twice: one invoice
	add("a", "y", "2", 10)
	add("b", "y", "3", 20)
	cut := t0.AddDate(0, 0, 40).Unix()
	ds, _ := Split(log, cut, 0)
	p := ds.Pairs()
	if p.NNZ() != 3 || p.Val[0] != 2 || p.RowsCount[0] != 3 || p.Spend[0] != 6 {
		t.Fatalf("pairs %+v", p)
	}
	for _, tc := range []struct {
		w    Weighting
		want float64
	}{{Binary, 1}, {Counts, 2}, {LogCounts, math.Log(3)}, {Recency, math.Exp(-30.0 / 30)}} {
		m := p.Matrix(MatrixOptions{Weighting: tc.w}, cut)
		if math.Abs(m.Val[0]-tc.want) > 1e-12 {
			t.Errorf("weighting %d: (a, x) = %g, want %g", tc.w, m.Val[0], tc.want)
		}
	}
	tr := p.Matrix(MatrixOptions{}, cut).Transpose()
	if tr.Rows != 2 || tr.NNZ() != 3 {
		t.Fatalf("transpose %+v", tr)
	}
	if idx, _ := tr.Row(1); len(idx) != 2 || idx[0] != 0 || idx[1] != 1 {
		t.Fatalf("item y's users = %v", idx)
	}
}

// TestRetailProtocolCounts pins the protocol's published counts on the real data.
func TestRetailProtocolCounts(t *testing.T) {
	log, st, err := ReadFile(context.Background(), "../../../sample-data/uci_online_retail/online_retail.csv.gz", RetailColumns(), RetailRules())
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 541909 || st.Kept != 396337 {
		t.Fatalf("read %d kept %d, want 541,909 and 396,337", st.Read, st.Kept)
	}
	ds, err := Split(log, time.Date(2011, 11, 1, 0, 0, 0, 0, time.UTC).Unix(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ds.NumUsers() != 3970 || ds.NumItems() != 3607 {
		t.Fatalf("users %d items %d, want 3,970 and 3,607", ds.NumUsers(), ds.NumItems())
	}
	users, truth := ds.Truth()
	if len(users) != 1538 {
		t.Fatalf("test users %d, want 1,538", len(users))
	}
	own := map[[2]int32]bool{}
	for k, u := range ds.Train.U {
		own[[2]int32{u, ds.Train.I[k]}] = true
	}
	withNew := 0
	for k, u := range users {
		for _, i := range truth[k] {
			if !own[[2]int32{u, i}] {
				withNew++
				break
			}
		}
	}
	if withNew != 1440 {
		t.Fatalf("users with new truth %d, want 1,440", withNew)
	}
}
