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
	}{{"TOP_VALUES", &o.TopValues}, {"QUALITY_COLD_START", &t.ColdStart}}
	for _, s := range ints {
		if v := strings.TrimSpace(getenv(SettingsPrefix + s.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return Options{}, errs.Userf(errs.Invalid, "%s%s=%q: want a positive whole number", SettingsPrefix, s.name, v)
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
