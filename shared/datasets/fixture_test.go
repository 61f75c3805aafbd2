package datasets

import (
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// The test tables: invoice lines joined to products on lines.stock_code =
// products.code (different names on the two sides) and to customers.
var testSchemas = Schemas{
	"lines": warehouse.Schema{
		{Name: "invoice_no", Type: warehouse.String},
		{Name: "customer_id", Type: warehouse.String},
		{Name: "stock_code", Type: warehouse.String},
		{Name: "invoice_ts", Type: warehouse.Timestamp},
		{Name: "invoice_day", Type: warehouse.Date},
		{Name: "quantity", Type: warehouse.Int64},
		{Name: "amount", Type: warehouse.Float64},
	},
	"products": warehouse.Schema{
		{Name: "code", Type: warehouse.String},
		{Name: "description", Type: warehouse.String},
		{Name: "category", Type: warehouse.String},
	},
	"customers": warehouse.Schema{
		{Name: "id", Type: warehouse.String},
		{Name: "country", Type: warehouse.String},
	},
}

func col(t, c string) ColumnRef { return ColumnRef{Table: t, Column: c} }

func fp(v float64) *float64 { return &v }

// baseDataset is lines ⋈ products (left) ⋈ customers (inner) with roles.
func baseDataset(filters ...Filter) *Dataset {
	return &Dataset{
		Name:      "retail",
		Primary:   TableRef{Dataset: "raw_data", Table: "lines"},
		Secondary: []TableRef{{Dataset: "raw_data", Table: "products"}, {Dataset: "raw_data", Table: "customers"}},
		Joins: []Join{
			{Left: col("lines", "stock_code"), Right: col("products", "code"), Type: LeftJoin},
			{Left: col("lines", "customer_id"), Right: col("customers", "id"), Type: InnerJoin},
		},
		Columns: []SelectedColumn{
			{ColumnRef: col("lines", "invoice_no")},
			{ColumnRef: col("lines", "customer_id"), Role: RoleCustomer},
			{ColumnRef: col("lines", "stock_code"), Alias: "product", Role: RoleProduct},
			{ColumnRef: col("lines", "invoice_ts"), Role: RoleTimestamp},
			{ColumnRef: col("lines", "amount"), Role: RoleRevenue},
			{ColumnRef: col("products", "category"), Role: RoleCategory},
		},
		Filters: filters,
		Split:   Split{Kind: SplitTimeHoldout, HoldoutDays: 14},
	}
}
