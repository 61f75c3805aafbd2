package datasets

import (
	"fmt"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Limits of the model (documented in the package doc).
const (
	MaxNameLen     = 255
	MaxTables      = 16
	MaxColumns     = 500
	MaxFilters     = 50
	MaxFilterValue = 1000 // values of one category filter
)

// ReservedPrefix starts the names of the helper columns the compiler adds;
// output names may not start with it.
const ReservedPrefix = "_b2b_"

// MetaDataset is the warehouse's internal metadata dataset, never a dataset
// table.
const MetaDataset = "_b2brecs_meta"

// TableRef names a warehouse table.
type TableRef struct {
	Dataset string `json:"dataset"`
	Table   string `json:"table"`
}

func (t TableRef) String() string { return t.Table }

// ColumnRef names a column of one of the dataset's tables; Table is the
// table's name (TableRef.Table).
type ColumnRef struct {
	Table  string `json:"table"`
	Column string `json:"column"`
}

func (c ColumnRef) String() string { return c.Table + "." + c.Column }

// JoinType is how a join keeps rows.
type JoinType string

// Join types.
const (
	InnerJoin JoinType = "inner"
	LeftJoin  JoinType = "left"
)

// Join joins the table of Right to the table of Left on Left = Right: the
// saved column of each side is used on that side. Left's table must already
// be part of the dataset's join tree (the primary table or a table joined
// before it); with a left join every row of that tree is kept.
type Join struct {
	Left  ColumnRef `json:"left"`
	Right ColumnRef `json:"right"`
	Type  JoinType  `json:"type"`
}

// Role is what a column means to the recommender.
type Role string

// Column roles.
const (
	RoleNone      Role = ""
	RoleCustomer  Role = "customer_id"
	RoleProduct   Role = "product_id"
	RoleTimestamp Role = "timestamp"
	RoleRevenue   Role = "revenue"
	RoleQuantity  Role = "quantity"
	RoleCategory  Role = "category"
	RoleOther     Role = "other"
)

// SelectedColumn is a column of the result: a table column, the name it has
// in the result (Alias, else the column's name; a later column whose name
// is taken becomes <table>_<column>) and its role.
type SelectedColumn struct {
	ColumnRef
	Alias string `json:"alias,omitempty"`
	Role  Role   `json:"role,omitempty"`
}

// SplitKind is how training data is split.
type SplitKind string

// Split kinds.
const (
	SplitTimeHoldout SplitKind = "time_holdout" // the last HoldoutDays are the test set (the B2B default)
	SplitStrictTime  SplitKind = "strict_time"  // consecutive train/validation/test day windows
	SplitRandom      SplitKind = "random"       // a hash of a stable key with Seed
)

// Split is the split setting of a dataset.
type Split struct {
	Kind         SplitKind `json:"kind"`
	HoldoutDays  int       `json:"holdout_days,omitempty"`
	TrainDays    int       `json:"train_days,omitempty"`
	ValDays      int       `json:"val_days,omitempty"`
	TestDays     int       `json:"test_days,omitempty"`
	TrainPercent int       `json:"train_percent,omitempty"`
	ValPercent   int       `json:"val_percent,omitempty"`
	Seed         int64     `json:"seed,omitempty"`
}

// Dataset is the configuration of a dataset: no data is copied; the SQL is
// generated from it (Compile).
type Dataset struct {
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Primary     TableRef         `json:"primary_table"`
	Secondary   []TableRef       `json:"secondary_tables,omitempty"`
	Joins       []Join           `json:"joins,omitempty"`
	Columns     []SelectedColumn `json:"columns,omitempty"`
	Filters     []Filter         `json:"filters,omitempty"`
	Split       Split            `json:"split"`
}

// Schemas gives the schema of each table the dataset may use, by table name.
type Schemas map[string]warehouse.Schema

// Validate checks the configuration on its own (names, shapes, limits), without
// table schemas. Errors are errs.Invalid with the field named (a JSON path
// such as "joins[0].type").
func (d *Dataset) Validate() error {
	if strings.TrimSpace(d.Name) == "" {
		return errs.Fieldf(errs.Invalid, "name", "give the dataset a name")
	}
	if len(d.Name) > MaxNameLen {
		return errs.Fieldf(errs.Invalid, "name", "the name is longer than %d characters", MaxNameLen)
	}
	if err := checkTableRef(d.Primary, "primary_table"); err != nil {
		return err
	}
	if len(d.Secondary)+1 > MaxTables {
		return errs.Fieldf(errs.Invalid, "secondary_tables", "a dataset can use at most %d tables", MaxTables)
	}
	seen := map[string]string{strings.ToLower(d.Primary.Table): "primary_table"}
	for i, t := range d.Secondary {
		f := fmt.Sprintf("secondary_tables[%d]", i)
		if err := checkTableRef(t, f); err != nil {
			return err
		}
		if _, dup := seen[strings.ToLower(t.Table)]; dup {
			return errs.Fieldf(errs.Invalid, f, "table %q is already part of the dataset", t.Table)
		}
		seen[strings.ToLower(t.Table)] = f
	}
	if len(d.Columns) > MaxColumns {
		return errs.Fieldf(errs.Invalid, "columns", "a dataset can select at most %d columns", MaxColumns)
	}
	if len(d.Filters) > MaxFilters {
		return errs.Fieldf(errs.Invalid, "filters", "a dataset can have at most %d filters", MaxFilters)
	}
	for i, j := range d.Joins {
		f := fmt.Sprintf("joins[%d]", i)
		if j.Type != InnerJoin && j.Type != LeftJoin {
			return errs.Fieldf(errs.Invalid, f+".type", "choose an inner or a left join")
		}
		if strings.EqualFold(j.Left.Table, j.Right.Table) {
			return errs.Fieldf(errs.Invalid, f, "a join must connect two different tables")
		}
	}
	roles := map[Role]string{}
	for i, c := range d.Columns {
		f := fmt.Sprintf("columns[%d]", i)
		switch c.Role {
		case RoleNone, RoleOther, RoleCategory:
		case RoleCustomer, RoleProduct, RoleTimestamp, RoleRevenue, RoleQuantity:
			if prev, dup := roles[c.Role]; dup {
				return errs.Fieldf(errs.Invalid, f+".role", "the role %s is already given to %s", roleWords(c.Role), prev)
			}
			roles[c.Role] = c.ColumnRef.String()
		default:
			return errs.Fieldf(errs.Invalid, f+".role", "unknown role %q", c.Role)
		}
		if strings.HasPrefix(strings.ToLower(c.Alias), ReservedPrefix) {
			return errs.Fieldf(errs.Invalid, f+".alias", "names starting with %q are reserved", ReservedPrefix)
		}
	}
	if err := d.Split.validate(); err != nil {
		return err
	}
	for i := range d.Filters {
		if err := d.Filters[i].validate(fmt.Sprintf("filters[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func checkTableRef(t TableRef, field string) error {
	if t.Table == "" {
		return errs.Fieldf(errs.Invalid, field, "choose a table")
	}
	if t.Dataset == "" {
		return errs.Fieldf(errs.Invalid, field, "the table %q has no warehouse dataset", t.Table)
	}
	if strings.EqualFold(t.Dataset, MetaDataset) || strings.HasPrefix(t.Dataset, "_") {
		return errs.Fieldf(errs.Invalid, field, "the platform's internal tables cannot be used in a dataset")
	}
	return nil
}

func (s Split) validate() error {
	pos := func(v int, field, what string) error {
		if v <= 0 || v > 3650 {
			return errs.Fieldf(errs.Invalid, "split."+field, "%s must be between 1 and 3650 days", what)
		}
		return nil
	}
	switch s.Kind {
	case SplitTimeHoldout:
		return pos(s.HoldoutDays, "holdout_days", "the holdout")
	case SplitStrictTime:
		for _, c := range []struct {
			v           int
			field, what string
		}{{s.TrainDays, "train_days", "the training window"}, {s.ValDays, "val_days", "the validation window"}, {s.TestDays, "test_days", "the test window"}} {
			if err := pos(c.v, c.field, c.what); err != nil {
				return err
			}
		}
		return nil
	case SplitRandom:
		if s.TrainPercent <= 0 || s.TrainPercent >= 100 {
			return errs.Fieldf(errs.Invalid, "split.train_percent", "the training share must be between 1 and 99 percent")
		}
		if s.ValPercent < 0 || s.TrainPercent+s.ValPercent >= 100 {
			return errs.Fieldf(errs.Invalid, "split.val_percent", "the training and validation shares must leave some rows for testing")
		}
		return nil
	}
	return errs.Fieldf(errs.Invalid, "split.kind", "choose a split: time_holdout, strict_time or random")
}

func roleWords(r Role) string {
	switch r {
	case RoleCustomer:
		return "customer id"
	case RoleProduct:
		return "product id"
	case RoleRevenue:
		return "revenue"
	}
	return string(r)
}
