package tabular

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Limits bound what one input may make the reader hold or do, so that a
// hostile or broken file (one 512 MiB line, a gzip bomb, a million
// columns, JSON nested a million levels deep) fails or is rejected with a
// reason instead of exhausting memory. A zero field takes its default.
//
// Past a limit, a row is rejected with the reason (its line, and the
// column for a value) when the rest of the file can still be read;
// otherwise the file fails with a message naming the limit and its
// setting.
type Limits struct {
	// MaxRecordBytes bounds one record: a CSV line or quoted multi-line
	// record, a JSON Lines line, an element of a JSON array. Default
	// 16 MiB (B2B_MAX_RECORD_BYTES). A longer record is rejected (the
	// reader skips it without holding it); in a JSON array, where the
	// next element cannot be found without reading this one, the file
	// fails.
	MaxRecordBytes int64
	// MaxFieldBytes bounds one value of a text file (a CSV field, a JSON
	// value). Default 8 MiB (B2B_MAX_FIELD_BYTES). The row is rejected,
	// naming the column.
	MaxFieldBytes int64
	// MaxColumns bounds the columns of a file (CSV fields, distinct JSON
	// keys, Parquet columns). Default 10,000 (B2B_MAX_COLUMNS). A header,
	// a first record or a Parquet schema beyond it fails the file; a later
	// CSV record beyond it is rejected.
	MaxColumns int
	// MaxJSONDepth bounds the nesting of a JSON record (an object at the
	// top is depth 1). Default 64 (B2B_MAX_JSON_DEPTH). The row is
	// rejected.
	MaxJSONDepth int
	// MaxDecompressedBytes bounds what a gzip-compressed input expands to.
	// Default 32 GiB (B2B_MAX_DECOMPRESSED_BYTES). The file fails.
	MaxDecompressedBytes int64
	// MaxCompressionRatio bounds decompressed bytes per compressed byte of
	// a gzip input, once more than 64 MiB have been decompressed (small
	// files of repeated values compress very well and are no threat).
	// Default 200 (B2B_MAX_COMPRESSION_RATIO); real CSV and JSON stay
	// well below 50. The file fails.
	MaxCompressionRatio int64
}

// Defaults of Limits.
const (
	DefaultMaxRecordBytes       = 16 << 20
	DefaultMaxFieldBytes        = 8 << 20
	DefaultMaxColumns           = 10_000
	DefaultMaxJSONDepth         = 64
	DefaultMaxDecompressedBytes = 32 << 30
	DefaultMaxCompressionRatio  = 200
	// ratioGrace is how many bytes a gzip input may expand to before the
	// compression ratio is checked.
	ratioGrace = 64 << 20
)

// The settings (environment variables) of the limits, as LimitsFromEnv
// reads them and as the messages of a limit name them.
const (
	SettingMaxRecordBytes       = "B2B_MAX_RECORD_BYTES"
	SettingMaxFieldBytes        = "B2B_MAX_FIELD_BYTES"
	SettingMaxColumns           = "B2B_MAX_COLUMNS"
	SettingMaxJSONDepth         = "B2B_MAX_JSON_DEPTH"
	SettingMaxDecompressedBytes = "B2B_MAX_DECOMPRESSED_BYTES"
	SettingMaxCompressionRatio  = "B2B_MAX_COMPRESSION_RATIO"
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

// withDefaults fills the zero fields with their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultMaxColumns
	}
	if l.MaxJSONDepth <= 0 {
		l.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if l.MaxDecompressedBytes <= 0 {
		l.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	if l.MaxCompressionRatio <= 0 {
		l.MaxCompressionRatio = DefaultMaxCompressionRatio
	}
	return l
}

// LimitsFromEnv reads the limits from their settings through getenv
// (os.Getenv): sizes in bytes, with an optional unit KiB, MiB or GiB (K,
// M, G and KB, MB, GB are read the same, as powers of 1024); counts as
// integers. Unset settings keep their defaults. A value that is not a
// positive number is errs.Invalid, naming the setting.
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	var l Limits
	for _, s := range []struct {
		name  string
		dst   *int64
		bytes bool
	}{
		{SettingMaxRecordBytes, &l.MaxRecordBytes, true},
		{SettingMaxFieldBytes, &l.MaxFieldBytes, true},
		{SettingMaxDecompressedBytes, &l.MaxDecompressedBytes, true},
		{SettingMaxCompressionRatio, &l.MaxCompressionRatio, false},
	} {
		v := strings.TrimSpace(getenv(s.name))
		if v == "" {
			continue
		}
		n, err := parseSize(v, s.bytes)
		if err != nil {
			return Limits{}, errs.Userf(errs.Invalid, "%s=%q: %v", s.name, v, err)
		}
		*s.dst = n
	}
	for _, s := range []struct {
		name string
		dst  *int
	}{
		{SettingMaxColumns, &l.MaxColumns},
		{SettingMaxJSONDepth, &l.MaxJSONDepth},
	} {
		v := strings.TrimSpace(getenv(s.name))
		if v == "" {
			continue
		}
		n, err := parseSize(v, false)
		if err != nil || n > 1<<30 {
			return Limits{}, errs.Userf(errs.Invalid, "%s=%q: want a positive whole number", s.name, v)
		}
		*s.dst = int(n)
	}
	return l.withDefaults(), nil
}

// parseSize reads a positive integer with an optional binary unit.
func parseSize(v string, units bool) (int64, error) {
	num, mult := v, int64(1)
	if units {
		u := strings.ToLower(strings.TrimLeft(v, "0123456789"))
		num = strings.TrimSpace(v[:len(v)-len(u)])
		switch strings.TrimSpace(u) {
		case "", "b":
		case "k", "kb", "kib":
			mult = 1 << 10
		case "m", "mb", "mib":
			mult = 1 << 20
		case "g", "gb", "gib":
			mult = 1 << 30
		default:
			return 0, fmt.Errorf("unknown unit %q (use KiB, MiB or GiB)", strings.TrimSpace(u))
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		if units {
			return 0, fmt.Errorf("want a positive size such as 16MiB")
		}
		return 0, fmt.Errorf("want a positive whole number")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

// sizeText renders a byte count for messages: "16 MiB", "1.5 GiB", "900 bytes".
func sizeText(n int64) string {
	units := []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}}
	for _, u := range units {
		if n >= u.size {
			if n%u.size == 0 {
				return strconv.FormatInt(n/u.size, 10) + " " + u.name
			}
			return strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64) + " " + u.name
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// countText renders a count with thousands separators: 10,000.
func countText(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// The reasons and messages of the limits, in a user's words.

func (l Limits) lineTooLong() string {
	return fmt.Sprintf("the line is longer than %s, the longest record allowed (setting %s)", sizeText(l.MaxRecordBytes), SettingMaxRecordBytes)
}

func (l Limits) rowTooLong() string {
	return fmt.Sprintf("the row is longer than %s, the longest record allowed (setting %s)", sizeText(l.MaxRecordBytes), SettingMaxRecordBytes)
}

func (l Limits) recordTooLong(from, to int) string {
	return fmt.Sprintf("the record on lines %d to %d is longer than %s, the longest record allowed (setting %s); is a quote left open? The lines after line %d were read again as rows of their own",
		from, to, sizeText(l.MaxRecordBytes), SettingMaxRecordBytes, from)
}

func (l Limits) fieldTooLong() string {
	return fmt.Sprintf("the value is longer than %s, the longest value allowed (setting %s)", sizeText(l.MaxFieldBytes), SettingMaxFieldBytes)
}

func (l Limits) tooManyFields() string {
	return fmt.Sprintf("the row has more than %s fields, the most columns allowed (setting %s)", countText(int64(l.MaxColumns)), SettingMaxColumns)
}

func (l Limits) tooManyColumns() error {
	return errs.Userf(errs.Invalid, "the file has more than %s columns, the most allowed (setting %s)", countText(int64(l.MaxColumns)), SettingMaxColumns)
}

func (l Limits) tooDeep() string {
	return fmt.Sprintf("the JSON is nested more than %d levels deep, the deepest allowed (setting %s)", l.MaxJSONDepth, SettingMaxJSONDepth)
}

func (l Limits) elementTooLongRow() string {
	return fmt.Sprintf("the JSON element is longer than %s, the longest record allowed (setting %s)", sizeText(l.MaxRecordBytes), SettingMaxRecordBytes)
}

func (l Limits) elementTooLong(line int64) error {
	return errs.Userf(errs.Invalid, "the JSON element starting at line %d is longer than %s, the longest record allowed (setting %s); the rest of the file cannot be read",
		line, sizeText(l.MaxRecordBytes), SettingMaxRecordBytes)
}

func (l Limits) decompressedTooLarge() error {
	return errs.Userf(errs.Invalid, "the file decompresses to more than %s, the most allowed (setting %s)", sizeText(l.MaxDecompressedBytes), SettingMaxDecompressedBytes)
}

func (l Limits) ratioTooHigh(out, in int64) error {
	return errs.Userf(errs.Invalid, "the file expands %d times when decompressed (%s from %s), more than the %d allowed (setting %s): it looks like a compression bomb",
		out/max(in, 1), sizeText(out), sizeText(in), l.MaxCompressionRatio, SettingMaxCompressionRatio)
}
