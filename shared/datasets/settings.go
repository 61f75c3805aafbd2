package datasets

import (
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// SettingsPrefix starts the names of the datasets settings
// (docs/api.md, "Datasets settings").
const SettingsPrefix = "B2B_DATASET_"

// Limits bound the datasets a tenant may configure, at most the package's
// ceilings (MaxTables, MaxColumns, MaxFilters, MaxFilterValue); zero
// fields take the ceiling. They are settings: B2B_DATASET_MAX_TABLES,
// B2B_DATASET_MAX_COLUMNS, B2B_DATASET_MAX_FILTERS and
// B2B_DATASET_MAX_FILTER_VALUES.
type Limits struct {
	Tables       int `json:"tables"`
	Columns      int `json:"columns"`
	Filters      int `json:"filters"`
	FilterValues int `json:"filter_values"`
}

func (l Limits) withDefaults() Limits {
	pick := func(v, ceiling int) int {
		if v <= 0 || v > ceiling {
			return ceiling
		}
		return v
	}
	return Limits{pick(l.Tables, MaxTables), pick(l.Columns, MaxColumns), pick(l.Filters, MaxFilters), pick(l.FilterValues, MaxFilterValue)}
}

// check refuses a model over the limits, naming the field and the setting.
func (l Limits) check(d *Dataset) error {
	switch {
	case len(d.Secondary)+1 > l.Tables:
		return errs.Fieldf(errs.Invalid, "secondary_tables", "a dataset can use at most %d tables (setting B2B_DATASET_MAX_TABLES)", l.Tables)
	case len(d.Columns) > l.Columns:
		return errs.Fieldf(errs.Invalid, "columns", "a dataset can select at most %d columns (setting B2B_DATASET_MAX_COLUMNS)", l.Columns)
	case len(d.Filters) > l.Filters:
		return errs.Fieldf(errs.Invalid, "filters", "a dataset can have at most %d filters (setting B2B_DATASET_MAX_FILTERS)", l.Filters)
	}
	for i, f := range d.Filters {
		if len(f.Values) > l.FilterValues {
			return errs.Fieldf(errs.Invalid, "filters["+strconv.Itoa(i)+"].values", "choose at most %d values (setting B2B_DATASET_MAX_FILTER_VALUES)", l.FilterValues)
		}
	}
	return nil
}

// OptionsFromEnv reads the settings: B2B_DATASET_TOP_VALUES,
// B2B_DATASET_QUERY_TIMEOUT (a Go duration) and the data-quality
// thresholds B2B_DATASET_QUALITY_<NAME> (Thresholds). Unset variables keep
// the defaults; a value that does not parse is errs.Invalid naming it.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	t := &o.Quality
	ints := []struct {
		name string
		dst  *int
		max  int
	}{
		{"TOP_VALUES", &o.TopValues, 100}, {"QUALITY_COLD_START", &t.ColdStart, 1 << 30},
		{"MAX_TABLES", &o.Limits.Tables, MaxTables}, {"MAX_COLUMNS", &o.Limits.Columns, MaxColumns},
		{"MAX_FILTERS", &o.Limits.Filters, MaxFilters}, {"MAX_FILTER_VALUES", &o.Limits.FilterValues, MaxFilterValue},
	}
	for _, s := range ints {
		if v := strings.TrimSpace(getenv(SettingsPrefix + s.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > s.max {
				return Options{}, errs.Userf(errs.Invalid, "%s%s=%q: want a whole number from 1 to %d", SettingsPrefix, s.name, v, s.max)
			}
			*s.dst = n
		}
	}
	floats := []struct {
		name string
		dst  *float64
	}{
		{"QUALITY_MIN_PER_CUSTOMER", &t.MinPerCustomer}, {"QUALITY_MIN_PER_PRODUCT", &t.MinPerProduct},
		{"QUALITY_MAX_SPARSITY", &t.MaxSparsity}, {"QUALITY_MAX_COLD_SHARE", &t.MaxColdShare},
		{"QUALITY_MIN_SPAN_DAYS", &t.MinSpanDays}, {"QUALITY_MAX_FILTERED_SHARE", &t.MaxFilteredShare},
		{"QUALITY_MAX_DUPLICATE_SHARE", &t.MaxDuplicateShare},
	}
	for _, s := range floats {
		if v := strings.TrimSpace(getenv(SettingsPrefix + s.name)); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return Options{}, errs.Userf(errs.Invalid, "%s%s=%q: want a positive number", SettingsPrefix, s.name, v)
			}
			*s.dst = f
		}
	}
	if v := strings.TrimSpace(getenv(SettingsPrefix + "QUALITY_MIN_ROWS")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return Options{}, errs.Userf(errs.Invalid, "%sQUALITY_MIN_ROWS=%q: want a positive whole number", SettingsPrefix, v)
		}
		t.MinRows = n
	}
	if v := strings.TrimSpace(getenv(SettingsPrefix + "QUERY_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Options{}, errs.Userf(errs.Invalid, "%sQUERY_TIMEOUT=%q: want a duration such as 60s or 2m", SettingsPrefix, v)
		}
		o.QueryTimeout = d
	}
	return o, nil
}
