// Package datasets is the model of a dataset — configuration only, no copy
// of data — and the one compiler that turns it into warehouse SQL for
// BigQuery and for DuckDB.
//
// # Model
//
// A Dataset names a primary table and secondary tables of the tenant's
// warehouse (never the platform's metadata dataset, MetaDataset), the joins
// between them, the selected columns with aliases and roles (customer id,
// product id, timestamp, revenue, quantity, category, other), the filters
// and the split setting. Validate checks the configuration on its own;
// Resolve checks it against the tables' schemas. Every error is
// errs.Invalid with the JSON path of the field (errs.Fieldf) and a message
// for a user.
//
// Tables are named by TableRef (warehouse dataset and table); their names
// are distinct within a dataset (case-insensitively), and ColumnRef and the
// Schemas given to Resolve and Compile name tables by table name alone.
//
// Joins may connect any two tables (not only a star around the primary):
// each Join adds the table of Right to the tables already joined (the
// primary table, or a table joined by an earlier join; the compiler orders
// the joins) on Left = Right, using the saved column of each side. Inner and
// left joins; key types must compare (equal types, or two numeric types).
//
// Output names: a column's alias, else its name, else (when the name is
// taken by an earlier column) <table>_<column>; names compare
// case-insensitively, as both warehouses do. No selected column means every
// column of the primary table. Names starting with ReservedPrefix are
// reserved for the compiler's helper columns.
//
// # Filters
//
// One typed model (Filter) for every filter:
//
//   - date: a rolling window of the last N days, counted back from the
//     latest value of the column in the joined data (not today): rows with
//     column > MAX(column) − N days (for a DATE column exactly N calendar
//     days); or fixed dates start ≤ column ≤ end (YYYY-MM-DD, inclusive,
//     each optional; timestamps from midnight UTC of the start to the end of
//     the end day). Date arithmetic follows the column type (DATE,
//     TIMESTAMP, DATETIME).
//   - category: include or exclude a list of values (STRING, INT64 or BOOL
//     columns); NULL rows are kept only with IncludeNulls.
//   - numeric: between (inclusive, each bound optional), gt, lt, eq;
//     IncludeNulls keeps NULL rows.
//   - top_share: the top N% products or customers by revenue (Pareto):
//     entities with positive total revenue ranked by revenue (ties by key,
//     so the result is deterministic); kept while the running total before
//     the entity is below N% of the total, so the entity that crosses N% is
//     included.
//   - entity_metric: products or customers whose number of transactions
//     (rows) or total revenue is within min..max (inclusive).
//
// Top-share and metric filters group by the columns with the product id or
// customer id role and sum the column with the revenue role. Row filters
// (date, category, numeric) apply first; each top-share or metric filter is
// computed over the rows that pass them, independently of the others; all
// filters are AND-ed. A column can be the subject of one row filter only,
// and the revenue column cannot be filtered row by row when a revenue-based
// filter aggregates it. Summary describes all filters as one numbered list.
//
// # SQL
//
// Compile emits, for either dialect from the same model:
//
//	WITH joined AS (SELECT t0."col" AS "name", ... FROM ... AS t0 LEFT JOIN ... AS t1 ON ...),
//	filtered AS (SELECT * FROM joined WHERE <row filters>),   -- when there are row filters
//	top_products AS (...), customer_transactions AS (...),    -- one per top-share/metric filter
//	SELECT "name", ... FROM filtered WHERE "pid" IN (SELECT k FROM top_products) AND ...
//
// CompileTraining wraps the same SQL for training: the timestamp-role
// column as whole Unix seconds, rows without a customer id, product id or
// timestamp dropped, and a split column from the split setting (time holdout
// of the last N days; strict train/validation/test day windows; random by a
// seeded hash of customer id, product id and timestamp, the same in every
// run: FARM_FINGERPRINT on BigQuery, hash on DuckDB).
//
// Identifiers come from the schemas and are quoted with warehouse.QuoteIdent;
// every value (dates, numbers, category values, day counts, percentages) is
// an @name parameter (warehouse.Param), never SQL text. A category list is
// one array parameter (warehouse.InArray: IN UNNEST on BigQuery, = ANY on
// DuckDB). The dialect differences are all in
// dialect.go.
//
// # Join and role suggestions
//
// SuggestJoins scores every column pair of two tables (same name, same type,
// key-like names, <singular table>_id ↔ id patterns, overlap of sample
// values) and rates each pair high, medium or low. SuggestRoles suggests
// column roles from names, types and statistics (distinct counts: ids
// repeat in a transaction table, a unique column is a row id, categories
// have few values). Both are pure functions: the caller reads the schemas,
// samples and statistics.
//
// # Limits
//
// MaxNameLen (255) characters in a name, MaxTables (16) tables, MaxColumns
// (500) selected columns, MaxFilters (50) filters, MaxFilterValue (1000)
// values in a category filter, MaxLastDays (36500) days in a rolling window.
package datasets
