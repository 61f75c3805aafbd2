package warehouse

import (
	"fmt"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// The answers a driver gives about the catalog itself, in the port's words:
// a driver that finds (by its own lookup) that a table or dataset is not
// there, or is there already, returns one of these rather than attaching a
// kind of its own. Errors of the backend are classified by
// Driver.ErrorKind instead.

// TableNotFound is errs.NotFound for dataset.table.
func TableNotFound(dataset, table string) error {
	return errs.E(errs.NotFound, "warehouse: table %q.%q not found", dataset, table)
}

// DatasetNotFound is errs.NotFound for a dataset.
func DatasetNotFound(dataset string) error {
	return errs.E(errs.NotFound, "warehouse: dataset %q not found", dataset)
}

// TableExists is errs.Conflict for dataset.table.
func TableExists(dataset, table string) error {
	return errs.E(errs.Conflict, "warehouse: table %q.%q already exists", dataset, table)
}

// checkNames checks the dataset and table names of a call (table may be
// omitted): present and free of NUL. Errors are errs.Invalid.
func checkNames(dataset string, table ...string) error {
	for i, n := range append([]string{dataset}, table...) {
		what := "dataset"
		if i > 0 {
			what = "table"
		}
		switch {
		case n == "":
			return errs.E(errs.Invalid, "warehouse: empty %s name", what)
		case strings.ContainsRune(n, 0):
			return errs.E(errs.Invalid, "warehouse: %s name %q contains NUL", what, n)
		}
	}
	return nil
}

// checkParams checks a query's parameters against the @name references
// of sql in dialect d: each parameter given once, every reference given a
// value, every value of a supported type (see Param). Parameters sql does
// not reference are allowed. It returns the parameters with their values
// normalised for binding (normalizeValue). Errors are errs.Invalid.
func checkParams(d Dialect, sql string, params []Param) ([]Param, error) {
	names, err := ParamNames(d, sql)
	if err != nil {
		return nil, err
	}
	given := make(map[string]bool, len(params))
	out := make([]Param, len(params))
	for i, p := range params {
		if given[p.Name] {
			return nil, errs.E(errs.Invalid, "warehouse: parameter @%s given twice", p.Name)
		}
		given[p.Name] = true
		v, err := normalizeValue(p.Name, p.Value)
		if err != nil {
			return nil, err
		}
		out[i] = Param{Name: p.Name, Value: v}
	}
	for _, n := range names {
		if !given[n] {
			return nil, errs.E(errs.Invalid, "warehouse: query parameter @%s has no value", n)
		}
	}
	return out, nil
}

// ParamValues returns the parameters' values by name, for a driver binding
// the references of a query the Warehouse has checked (checkParams).
func ParamValues(params []Param) map[string]any {
	m := make(map[string]any, len(params))
	for _, p := range params {
		m[p.Name] = p.Value
	}
	return m
}

// WithOp adds the operation to a driver's error for the logs, leaving its
// kind to Driver.ErrorKind (the Warehouse asks it). nil stays nil; an
// error that has a kind already (the port's answers) is returned as is.
func WithOp(err error, format string, args ...any) error {
	if err == nil || errs.KindOf(err) != errs.Unknown {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// KindWith is err's kind for a driver's own decisions (is a table there?
// was it created meanwhile?): the kind err carries, else what the driver's
// classifier says of it.
func KindWith(err error, classify func(error) errs.Kind) errs.Kind {
	if k := errs.KindOf(err); k != errs.Unknown {
		return k
	}
	return classify(err)
}
