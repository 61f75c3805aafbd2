package datasets

import (
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Split codes: the values of the training query's split column.
const (
	SplitTrain      = 0
	SplitValidation = 1
	SplitTest       = 2
)

// SplitColumn names the split column of the training query.
const SplitColumn = "split"

// CompileTraining returns the training query of the dataset: the dataset's
// rows (Compile) with the timestamp-role column as whole Unix seconds, rows
// without a customer id, product id or timestamp dropped, and a split
// column (SplitTrain, SplitValidation, SplitTest) from the split setting:
//
//   - time_holdout: rows in the last HoldoutDays (counted back from the
//     latest timestamp, as a rolling window) are test, the rest train;
//   - strict_time: the last TestDays test, the ValDays before validation,
//     the TrainDays before train; older rows are dropped;
//   - random: a hash of Seed, customer id, product id and timestamp gives a
//     bucket 0..99: below TrainPercent train, below TrainPercent+ValPercent
//     validation, else test. The same seed gives the same split every run.
//
// It needs the customer id, product id and timestamp roles.
func CompileTraining(d *Dataset, schemas Schemas, dia warehouse.Dialect) (Query, error) {
	c, err := compile(d, schemas, dia)
	if err != nil {
		return Query{}, err
	}
	p, b, x := c.p, c.b, c.b.x
	for _, r := range []Role{RoleCustomer, RoleProduct, RoleTimestamp} {
		if p.roles[r] == nil {
			return Query{}, errs.Fieldf(errs.Invalid, "columns", "the training data needs a selected column with the %s role", roleWords(r))
		}
	}
	var cols []string
	for _, col := range p.cols {
		if !col.selected {
			continue
		}
		if strings.EqualFold(col.name, SplitColumn) {
			return Query{}, errs.Fieldf(errs.Invalid, "columns", "the name %q is used by the split column of the training data: rename the column", col.name)
		}
		id := x.ident(col.name)
		if col == p.roles[RoleTimestamp] {
			id = x.unixSeconds(id) + " AS " + id
		}
		cols = append(cols, id)
	}
	ts := p.roles[RoleTimestamp]
	tsID := x.ident(ts.name)
	cid, pid := x.ident(p.roles[RoleCustomer].name), x.ident(p.roles[RoleProduct].name)
	latest := "(SELECT MAX(" + tsID + ") FROM base)"
	after := func(days int) string {
		return tsID + " > " + x.minusDays(latest, b.param(int64(days)), ts.typ)
	}
	where := []string{cid + " IS NOT NULL", pid + " IS NOT NULL", tsID + " IS NOT NULL"}
	var split string
	s := d.Split
	switch s.Kind {
	case SplitTimeHoldout:
		split = "CASE WHEN " + after(s.HoldoutDays) + " THEN 2 ELSE 0 END"
	case SplitStrictTime:
		split = "CASE WHEN " + after(s.TestDays) + " THEN 2 WHEN " + after(s.TestDays+s.ValDays) + " THEN 1 ELSE 0 END"
		where = append(where, after(s.TestDays+s.ValDays+s.TrainDays))
	case SplitRandom:
		bucket := x.bucket(b.param(s.Seed), cid, pid, tsID)
		split = "CASE WHEN " + bucket + " < " + b.param(int64(s.TrainPercent)) + " THEN 0 WHEN " + bucket + " < " + b.param(int64(s.TrainPercent+s.ValPercent)) + " THEN 1 ELSE 2 END"
	}
	sql := c.with + ",\nbase AS (\n" + c.sel + "\n)\nSELECT " + strings.Join(cols, ", ") + ",\n  " + split + " AS " + x.ident(SplitColumn) +
		"\nFROM base\nWHERE " + strings.Join(where, "\n  AND ")
	return Query{SQL: sql, Params: b.params}, nil
}
