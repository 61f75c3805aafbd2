package duckdbwh

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Query implements warehouse.Driver (see the package doc for the value
// types). Every @name in the SQL must have a Param; Params the SQL does not
// reference are ignored. maxRows > 0 stops reading after that many rows.
// SQL that reaches for host files, other databases, extensions or settings
// is refused (see External access in the package doc).
func (d *Driver) Query(ctx context.Context, query string, params []warehouse.Param, maxRows int) (res warehouse.Result, err error) {
	err = d.use(ctx, func(db *sql.DB) (err error) {
		res, err = runQuery(ctx, db, query, params, maxRows)
		return err
	})
	return res, explainRefusal(err)
}

func runQuery(ctx context.Context, db *sql.DB, query string, params []warehouse.Param, maxRows int) (warehouse.Result, error) {
	rewritten, names, err := warehouse.RewriteParams(warehouse.DuckDB, query, func(n string) string { return "$" + n })
	if err != nil {
		return warehouse.Result{}, err
	}
	// The Warehouse checked the parameters against the references and
	// normalised their values; an array binds as a LIST.
	byName := warehouse.ParamValues(params)
	args := make([]any, 0, len(names))
	for _, n := range names {
		args = append(args, sql.Named(n, byName[n]))
	}
	rows, err := db.QueryContext(ctx, rewritten, args...)
	if err != nil {
		return warehouse.Result{}, mapErr(err, "duckdbwh: query")
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return warehouse.Result{}, mapErr(err, "duckdbwh: query")
	}
	res := warehouse.Result{Columns: make([]warehouse.Column, len(cts))}
	dbTypes := make([]string, len(cts))
	for i, ct := range cts {
		dbTypes[i] = strings.ToUpper(ct.DatabaseTypeName())
		res.Columns[i] = warehouse.Column{Name: ct.Name(), Type: resultType(dbTypes[i]), Nullable: true}
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return warehouse.Result{}, mapErr(err, "duckdbwh: query")
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i], err = cell(v, dbTypes[i], res.Columns[i].Type)
			if err != nil {
				return warehouse.Result{}, errs.Wrap(errs.Unsupported, err, "duckdbwh: column %q", res.Columns[i].Name)
			}
		}
		res.Rows = append(res.Rows, row)
		if maxRows > 0 && len(res.Rows) >= maxRows {
			return res, nil
		}
	}
	if err := rows.Err(); err != nil {
		return warehouse.Result{}, mapErr(err, "duckdbwh: query")
	}
	return res, nil
}

// resultType is the port type of a result column with the given DuckDB type.
func resultType(dbType string) warehouse.Type {
	if strings.HasSuffix(dbType, "]") { // LIST or ARRAY, of any element type: DECIMAL(10,2)[]
		return warehouse.JSON
	}
	if t, ok := warehouse.NormalizeType(dbType); ok {
		return t
	}
	switch {
	case dbType == "INTERVAL", dbType == "BIT", dbType == "ENUM", dbType == "VARINT", dbType == "BIGNUM":
		return warehouse.String
	default: // LIST, ARRAY, STRUCT, MAP, UNION ...
		return warehouse.JSON
	}
}

// cell converts one scanned value to the port's Result value.
func cell(v any, dbType string, t warehouse.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if dbType == "JSON" {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		if t == warehouse.Numeric {
			return strconv.FormatInt(x, 10), nil
		}
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil // UBIGINT is NUMERIC
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, nil
	case float64:
		return x, nil
	case bool:
		return x, nil
	case string:
		return x, nil
	case *big.Int: // HUGEINT, UHUGEINT (NUMERIC); BIGNUM (STRING)
		return x.String(), nil
	case duckdb.Decimal:
		return warehouse.DecimalText(x.Value, int(x.Scale)), nil
	case time.Time:
		if t == warehouse.Time {
			return x.Format("15:04:05.999999"), nil
		}
		return x.UTC(), nil
	case []byte:
		if dbType == "UUID" && len(x) == 16 {
			h := hex.EncodeToString(x)
			return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
		}
		return append([]byte(nil), x...), nil
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros), nil
	case duckdb.UUID:
		return x.String(), nil
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonable turns a nested value (LIST, STRUCT, MAP) into what
// encoding/json renders as its content: DECIMALs as exact JSON numbers
// (not Go structs), MAP keys as text.
func jsonable(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(jsonable(k))] = jsonable(e)
		}
		return out
	case duckdb.Decimal:
		return json.Number(warehouse.DecimalText(x.Value, int(x.Scale)))
	}
	return v
}
