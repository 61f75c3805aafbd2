package colname

import (
	"reflect"
	"strings"
	"testing"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("a", 299) + "_b"
	tests := []struct{ in, want string }{
		{"DiscountApplied(%)", "discountapplied"},
		{"Customer ID", "customer_id"},
		{"InvoiceNo", "invoiceno"},
		{"  unit--price  ", "unit_price"},
		{"__a__b__", "a_b"},
		{"2nd Address", "col_2nd_address"},
		{"123", "col_123"},
		{"", "column"},
		{"%%%", "column"},
		{"Größe", "gr_e"},
		{"naïve café", "na_ve_caf"},
		{"a.b.c", "a_b_c"},
		{"ALLCAPS", "allcaps"},
		{long, strings.Repeat("a", 299)},
		{strings.Repeat("x", 400), strings.Repeat("x", 300)},
		{"\xff\xfeabc", "abc"},
	}
	for _, tt := range tests {
		if got := SanitizeName(tt.in); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSanitizeNames(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"a", "A", "a "}, []string{"a", "a_2", "a_3"}},
		{[]string{"a", "a", "a_2"}, []string{"a", "a_3", "a_2"}},
		{[]string{"Price (€)", "Price ($)", "price"}, []string{"price", "price_2", "price_3"}},
		{[]string{"", ""}, []string{"column", "column_2"}},
		{[]string{"x", "y"}, []string{"x", "y"}},
	}
	for _, tt := range tests {
		got, mapping := SanitizeNames(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SanitizeNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if mapping[tt.in[0]] != tt.want[0] {
			t.Errorf("mapping[%q] = %q", tt.in[0], mapping[tt.in[0]])
		}
	}
	// Suffixes stay within the length limit.
	long := strings.Repeat("z", 300)
	got, _ := SanitizeNames([]string{long, long})
	if got[1] != strings.Repeat("z", 298)+"_2" {
		t.Errorf("long collision = %q", got[1])
	}
}
