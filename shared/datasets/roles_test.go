package datasets

import (
	"fmt"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestSuggestRoles(t *testing.T) {
	s, i, f := warehouse.String, warehouse.Int64, warehouse.Float64
	retail := RoleInput{Table: "online_retail", Primary: true, Columns: warehouse.Schema{
		{Name: "InvoiceNo", Type: s}, {Name: "StockCode", Type: s}, {Name: "Description", Type: s},
		{Name: "Quantity", Type: i}, {Name: "InvoiceDate", Type: warehouse.Timestamp}, {Name: "UnitPrice", Type: f},
		{Name: "CustomerID", Type: i}, {Name: "Country", Type: s},
	}, Stats: map[string]Cardinality{
		"InvoiceNo": {Rows: 541909, Distinct: 25900}, "StockCode": {Rows: 541909, Distinct: 4070},
		"Description": {Rows: 541909, Distinct: 4223}, "CustomerID": {Rows: 541909, Distinct: 4372},
		"Country": {Rows: 541909, Distinct: 38},
	}}
	tests := []struct {
		name   string
		tables []RoleInput
		want   []string // "role table.column confidence"
	}{
		{"online retail", []RoleInput{retail}, []string{
			"customer_id online_retail.CustomerID high",
			"product_id online_retail.StockCode high",
			"timestamp online_retail.InvoiceDate high",
			"revenue online_retail.UnitPrice high",
			"quantity online_retail.Quantity high",
			"category online_retail.Country high",
		}},
		{"ids in the primary table win; a unique id is a row id", []RoleInput{
			{Table: "orders", Primary: true, Columns: warehouse.Schema{{Name: "order_id", Type: s}, {Name: "user_id", Type: s}, {Name: "item_id", Type: i}, {Name: "created_at", Type: warehouse.Date}},
				Stats: map[string]Cardinality{"order_id": {Rows: 100, Distinct: 100}, "user_id": {Rows: 100, Distinct: 100}, "item_id": {Rows: 100, Distinct: 20}}},
			{Table: "users", Columns: warehouse.Schema{{Name: "user_id", Type: s}, {Name: "segment", Type: s}},
				Stats: map[string]Cardinality{"user_id": {Rows: 10, Distinct: 9}, "segment": {Rows: 10, Distinct: 3}}},
		}, []string{
			"customer_id users.user_id high",
			"product_id orders.item_id high",
			"timestamp orders.created_at high",
			"category users.segment high",
		}},
		{"types must fit: a text amount is no revenue, a text date no timestamp", []RoleInput{
			{Table: "t", Primary: true, Columns: warehouse.Schema{{Name: "amount", Type: s}, {Name: "date", Type: s}, {Name: "order_total", Type: warehouse.Numeric}}},
		}, []string{
			"revenue t.order_total high",
		}},
		{"hints give medium or low confidence", []RoleInput{
			{Table: "t", Primary: true, Columns: warehouse.Schema{{Name: "buyer_ref", Type: s}, {Name: "sale_price_eur", Type: f}, {Name: "when", Type: warehouse.Timestamp}}},
		}, []string{
			"customer_id t.buyer_ref medium",
			"timestamp t.when low",
			"revenue t.sale_price_eur medium",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range SuggestRoles(tc.tables) {
				got = append(got, fmt.Sprintf("%s %s %s", s.Role, s.Column, s.Confidence))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
