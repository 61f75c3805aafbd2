package etl

import (
	"context"
	"fmt"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// addColumns adds the columns a run found new (AddedColumns, schema
// evolution add_columns) to its table as nullable columns of their staged
// type, before the load. ADD COLUMN IF NOT EXISTS makes a retried load
// (or a second run with the same new column) a no-op. A column is only
// ever added: none is dropped or retyped.
func (s *Service) addColumns(ctx context.Context, wh *warehouse.Warehouse, dest Dest, run Run) error {
	table := warehouse.QuoteTable(wh.Dialect(), dest.Dataset, dest.Table)
	for _, name := range run.AddedColumns {
		c, ok := run.Schema.Lookup(name)
		if !ok {
			return errs.E(errs.Invalid, "etl: run %s adds column %q that it did not stage", run.ID, name)
		}
		typ, err := columnType(wh.Dialect(), c.Type)
		if err != nil {
			return err
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", table, warehouse.QuoteIdent(wh.Dialect(), c.Name), typ)
		if _, err := wh.Query(ctx, q, nil, 0); err != nil {
			return errs.Explain(err, "column %q could not be added to table %s.%s", c.Name, dest.Dataset, dest.Table)
		}
	}
	return nil
}

// duckDBTypes are the DuckDB types of the port's types where the names
// differ (BigQuery's types are the port's names).
var duckDBTypes = map[warehouse.Type]string{
	warehouse.String: "VARCHAR", warehouse.Int64: "BIGINT", warehouse.Float64: "DOUBLE", warehouse.Numeric: "DECIMAL(38,9)",
	warehouse.Bool: "BOOLEAN", warehouse.Timestamp: "TIMESTAMPTZ", warehouse.DateTime: "TIMESTAMP", warehouse.Bytes: "BLOB",
	warehouse.Date: "DATE", warehouse.Time: "TIME", warehouse.JSON: "JSON",
}

// columnType is the SQL type of a column added to a table of dialect d,
// the type the warehouse creates for t in a new table.
func columnType(d warehouse.Dialect, t warehouse.Type) (string, error) {
	if !t.Valid() {
		return "", errs.E(errs.Invalid, "etl: column type %q", t)
	}
	if d == warehouse.DuckDB {
		return duckDBTypes[t], nil
	}
	return string(t), nil
}
