package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeOrders writes a small order-line file in the UCI Online Retail layout.
func writeOrders(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	inv := 0
	for month := 1; month <= 8; month++ {
		for c := 0; c < 12; c++ {
			inv++
			for k := 0; k < 3; k++ {
				p := 10000 + (c*3+k*month)%17
				fmt.Fprintf(&b, "%d,%d,item,%d,2011-%02d-%02d 10:00:00,1.5,%d.0,UK\n", 500000+inv, p, 1+k, month, 1+c, 12000+c)
			}
		}
	}
	f := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestEvalJSONContract checks `recs eval -json`: one object per model and
// line, the contract's keys first and in order, the model exactly as given.
func TestEvalJSONContract(t *testing.T) {
	f := writeOrders(t)
	var out, errOut bytes.Buffer
	specs := "popularity,popularity:days=30,buy-again,ease:lambda=10"
	err := runEval(context.Background(), []string{"-data", f, "-protocol", "or-temporal", "-split", "2011-07-01", "-models", specs, "-json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("recs eval: %v (%s)", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"popularity", "popularity:days=30", "buy-again", "ease:lambda=10"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	keys := []string{"model", "recall@10", "recall@50", "recall@100", "new_recall@10", "new_recall@50", "new_recall@100", "ndcg@10", "users", "new_users", "train_seconds", "peak_rss_mb"}
	for i, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil { // {
			t.Fatal(err)
		}
		var order []string
		obj := map[string]any{}
		for dec.More() {
			k, _ := dec.Token()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			order = append(order, k.(string))
			obj[k.(string)] = v
		}
		if len(order) < len(keys) || strings.Join(order[:len(keys)], ",") != strings.Join(keys, ",") {
			t.Fatalf("line %d keys %v, want the contract's %v first", i, order, keys)
		}
		if obj["model"] != want[i] {
			t.Fatalf("line %d model %v, want %q", i, obj["model"], want[i])
		}
		if r := obj["recall@100"].(float64); r <= 0 || r > 1 {
			t.Fatalf("line %d recall@100 %v", i, r)
		}
		if obj["users"].(float64) != 12 {
			t.Fatalf("line %d users %v, want 12", i, obj["users"])
		}
	}
}

func TestEvalBadSpec(t *testing.T) {
	f := writeOrders(t)
	var out, errOut bytes.Buffer
	err := runEval(context.Background(), []string{"-data", f, "-split", "2011-07-01", "-models", "ease:lambda=abc", "-json", "-quiet"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "lambda") {
		t.Fatalf("err %v", err)
	}
	err = runEval(context.Background(), []string{"-data", f, "-split", "2011-07-01", "-models", "magic", "-quiet"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Fatalf("err %v", err)
	}
}

func TestSubcommand(t *testing.T) {
	if c, rest := subcommand([]string{"eval", "-json"}); c != "eval" || len(rest) != 1 {
		t.Fatalf("%q %v", c, rest)
	}
	if c, _ := subcommand(nil); c != "" {
		t.Fatalf("%q", c)
	}
	if c, _ := subcommand([]string{"-x"}); c != "" {
		t.Fatalf("%q", c)
	}
}
