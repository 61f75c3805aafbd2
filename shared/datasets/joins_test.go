package datasets

import (
	"fmt"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestSuggestJoins(t *testing.T) {
	s := warehouse.String
	i := warehouse.Int64
	tests := []struct {
		name        string
		left, right TableColumns
		// want: the best suggestion as "left.col=right.col score confidence", "" for none
		want string
		// wantAbsent: pairs that must not be suggested
		wantAbsent []string
	}{
		{
			name:  "same name, same type, key-like",
			left:  TableColumns{Table: "lines", Columns: warehouse.Schema{{Name: "product_id", Type: s}, {Name: "qty", Type: i}}},
			right: TableColumns{Table: "products", Columns: warehouse.Schema{{Name: "Product_ID", Type: s}, {Name: "name", Type: s}}},
			want:  "lines.product_id=products.Product_ID 15 high",
		},
		{
			name:  "foreign-key pattern product_id to products.id",
			left:  TableColumns{Table: "lines", Columns: warehouse.Schema{{Name: "product_id", Type: i}, {Name: "customer_id", Type: i}}},
			right: TableColumns{Table: "products", Columns: warehouse.Schema{{Name: "id", Type: i}, {Name: "price", Type: warehouse.Float64}}},
			want:  "lines.product_id=products.id 13 high",
		},
		{
			name:  "foreign-key pattern the other way, categories to category_id",
			left:  TableColumns{Table: "categories", Columns: warehouse.Schema{{Name: "id", Type: i}}},
			right: TableColumns{Table: "products", Columns: warehouse.Schema{{Name: "category_id", Type: i}}},
			want:  "categories.id=products.category_id 13 high",
		},
		{
			name:  "key-like names of the same type: medium only with overlapping samples",
			left:  TableColumns{Table: "lines", Columns: warehouse.Schema{{Name: "stock_code", Type: s}}, Samples: map[string][]string{"stock_code": {"A", "B", "C", "A"}}},
			right: TableColumns{Table: "items", Columns: warehouse.Schema{{Name: "sku_code", Type: s}}, Samples: map[string][]string{"sku_code": {"A", "B", "C", "D", "E"}}},
			want:  "lines.stock_code=items.sku_code 11 medium",
		},
		{
			name:  "key-like names without samples: low",
			left:  TableColumns{Table: "lines", Columns: warehouse.Schema{{Name: "stock_code", Type: s}}},
			right: TableColumns{Table: "items", Columns: warehouse.Schema{{Name: "sku_code", Type: s}}},
			want:  "lines.stock_code=items.sku_code 5 low",
		},
		{
			name:  "samples with nothing in common sink a same-named pair",
			left:  TableColumns{Table: "a", Columns: warehouse.Schema{{Name: "code", Type: s}}, Samples: map[string][]string{"code": {"1", "2"}}},
			right: TableColumns{Table: "b", Columns: warehouse.Schema{{Name: "code", Type: s}}, Samples: map[string][]string{"code": {"x", "y"}}},
			want:  "a.code=b.code 6 medium",
		},
		{
			name:  "some overlap",
			left:  TableColumns{Table: "a", Columns: warehouse.Schema{{Name: "ref", Type: s}}, Samples: map[string][]string{"ref": {"1", "2", "3", "4"}}},
			right: TableColumns{Table: "b", Columns: warehouse.Schema{{Name: "other", Type: s}}, Samples: map[string][]string{"other": {"1", "9", "8", "7"}}},
			want:  "a.ref=b.other 5 low",
		},
		{
			name:       "types that cannot be compared are never suggested",
			left:       TableColumns{Table: "a", Columns: warehouse.Schema{{Name: "customer_id", Type: s}}},
			right:      TableColumns{Table: "b", Columns: warehouse.Schema{{Name: "customer_id", Type: i}}},
			want:       "",
			wantAbsent: []string{"a.customer_id=b.customer_id"},
		},
		{
			name:       "a shared type alone is no evidence; floats are not keys",
			left:       TableColumns{Table: "a", Columns: warehouse.Schema{{Name: "price", Type: warehouse.Float64}, {Name: "note", Type: s}}},
			right:      TableColumns{Table: "b", Columns: warehouse.Schema{{Name: "price", Type: warehouse.Float64}, {Name: "label", Type: s}}},
			want:       "",
			wantAbsent: []string{"a.price=b.price", "a.note=b.label"},
		},
		{
			name:  "the best pair first",
			left:  TableColumns{Table: "orders", Columns: warehouse.Schema{{Name: "customer_id", Type: s}, {Name: "id", Type: s}}},
			right: TableColumns{Table: "customers", Columns: warehouse.Schema{{Name: "id", Type: s}, {Name: "customer_id", Type: s}}},
			want:  "orders.customer_id=customers.customer_id 15 high",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SuggestJoins(tc.left, tc.right)
			best := ""
			if len(got) > 0 {
				best = fmt.Sprintf("%s=%s %d %s", got[0].Left, got[0].Right, got[0].Score, got[0].Confidence)
			}
			if best != tc.want {
				t.Errorf("best %q, want %q (all: %+v)", best, tc.want, got)
			}
			for _, g := range got {
				pair := g.Left.String() + "=" + g.Right.String()
				for _, a := range tc.wantAbsent {
					if pair == a {
						t.Errorf("%s suggested", a)
					}
				}
				if len(g.Reasons) == 0 || g.Score <= 0 {
					t.Errorf("%s: score %d reasons %v", pair, g.Score, g.Reasons)
				}
			}
		})
	}
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{"products": "product", "categories": "category", "boxes": "box", "addresses": "address", "item": "item", "class": "class"} {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
}
