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
		typ, err := warehouse.ColumnType(wh.Dialect(), c.Type)
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
