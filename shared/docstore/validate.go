package docstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// TimeFormat is the canonical text form of a time in a stored document:
// UTC, nanoseconds always written out, so that two canonical times compare
// as strings exactly as they compare as instants (for years 0000-9999).
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// ReservedPrefix starts the top-level field names drivers keep for their own
// metadata (e.g. the Firestore driver's version field). Data may not use it.
const ReservedPrefix = "_ds_"

// MaxIDLen bounds Tenant and ID (Firestore's document id limit is 1500 bytes).
const MaxIDLen = 512

// String formats the key as tenant/kind/id, for messages.
func (k Key) String() string { return k.Tenant + "/" + k.Kind + "/" + k.ID }

// ValidateKey checks that a key is usable by every driver: Tenant and ID are
// non-empty valid UTF-8 of at most MaxIDLen bytes, contain no '/' and are not
// "." or ".." or of the form __x__; Kind is a name like "etl_job"
// ([A-Za-z][A-Za-z0-9_.-]{0,63}).
func ValidateKey(k Key) error {
	if err := validateSegment("tenant", k.Tenant); err != nil {
		return err
	}
	if err := ValidateKind(k.Kind); err != nil {
		return err
	}
	return validateSegment("id", k.ID)
}

// ValidateKind checks a document kind (see ValidateKey).
func ValidateKind(kind string) error {
	if len(kind) == 0 || len(kind) > 64 || !isLetter(kind[0]) {
		return errs.E(errs.Invalid, "docstore: invalid kind %q", kind)
	}
	for i := 1; i < len(kind); i++ {
		c := kind[i]
		if !isLetter(c) && !isDigit(c) && c != '_' && c != '.' && c != '-' {
			return errs.E(errs.Invalid, "docstore: invalid kind %q", kind)
		}
	}
	return nil
}

func validateSegment(what, s string) error {
	switch {
	case s == "":
		return errs.E(errs.Invalid, "docstore: empty %s", what)
	case len(s) > MaxIDLen:
		return errs.E(errs.Invalid, "docstore: %s longer than %d bytes", what, MaxIDLen)
	case !utf8.ValidString(s):
		return errs.E(errs.Invalid, "docstore: %s is not valid UTF-8", what)
	case strings.ContainsAny(s, "/\x00"), s == ".", s == "..",
		len(s) >= 4 && strings.HasPrefix(s, "__") && strings.HasSuffix(s, "__"):
		return errs.E(errs.Invalid, "docstore: invalid %s %q", what, s)
	}
	return nil
}

// ValidateField checks a field name used in a filter or ordering: it must
// match [A-Za-z_][A-Za-z0-9_]{0,63} and not start with ReservedPrefix.
func ValidateField(name string) error {
	if len(name) == 0 || len(name) > 64 || !(isLetter(name[0]) || name[0] == '_') {
		return errs.E(errs.Invalid, "docstore: invalid field name %q", name)
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return errs.E(errs.Invalid, "docstore: invalid field name %q", name)
		}
	}
	if strings.HasPrefix(name, ReservedPrefix) {
		return errs.E(errs.Invalid, "docstore: field name %q uses the reserved prefix %q", name, ReservedPrefix)
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ValidateQuery checks a query's tenant, kind, fields, operators and values.
// Drivers call it before building a query.
func ValidateQuery(q Query) error {
	if err := validateSegment("tenant", q.Tenant); err != nil {
		return err
	}
	if err := ValidateKind(q.Kind); err != nil {
		return err
	}
	for _, f := range q.Filters {
		if err := ValidateField(f.Field); err != nil {
			return err
		}
		switch f.Op {
		case Eq, Lt, Le, Gt, Ge:
		default:
			return errs.E(errs.Invalid, "docstore: invalid operator %q on field %q", f.Op, f.Field)
		}
		if _, err := FilterValue(f.Value); err != nil {
			return err
		}
	}
	if q.OrderBy != "" {
		if err := ValidateField(q.OrderBy); err != nil {
			return err
		}
	}
	if q.Limit < 0 {
		return errs.E(errs.Invalid, "docstore: negative limit %d", q.Limit)
	}
	return nil
}

// FilterValue returns the canonical form of a filter value, the form drivers
// compare stored values with: a string, bool, int64 or float64. Other integer
// and float types are widened; a time.Time becomes its TimeFormat string, and
// so does a string that parses as an RFC 3339 time (see CanonicalData).
func FilterValue(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return canonicalString(x), nil
	case bool:
		return x, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case float32:
		return checkFloat(float64(x))
	case float64:
		return checkFloat(x)
	case time.Time:
		return FormatTime(x), nil
	default:
		return nil, errs.E(errs.Invalid, "docstore: unsupported filter value type %T", v)
	}
}

func checkFloat(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errs.E(errs.Invalid, "docstore: filter value %v is not a finite number", f)
	}
	return f, nil
}

// FormatTime formats t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// canonicalString rewrites an RFC 3339 time to TimeFormat and returns any
// other string unchanged.
func canonicalString(s string) string {
	// Cheap pre-check before parsing: "YYYY-MM-DDTHH:MM:SS..." .
	if len(s) < 20 || len(s) > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return s
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.UTC().Year() < 0 || t.UTC().Year() > 9999 {
		return s
	}
	return FormatTime(t)
}

// CanonicalData checks that data is a JSON object whose field names, at any
// depth, do not use ReservedPrefix, and returns it with every top-level string
// value that parses as an RFC 3339 time rewritten in TimeFormat, so stored
// times order correctly as strings (encoding/json writes time.Time as
// RFC 3339 with the value's own offset and trimmed fractions). The instant is
// unchanged; nested values and numbers are kept as written. The result is
// compact, with top-level fields sorted and duplicates removed (last wins).
// Invalid UTF-8 is rejected.
func CanonicalData(data json.RawMessage) (json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errs.E(errs.Invalid, "docstore: data is not valid UTF-8")
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errs.E(errs.Invalid, "docstore: data is not a JSON object")
	}
	if dec.More() {
		return nil, errs.E(errs.Invalid, "docstore: data has trailing content after the JSON object")
	}
	if bytes.Contains(data, []byte(`"`+ReservedPrefix)) {
		if err := checkNestedReserved(data); err != nil {
			return nil, err
		}
	}
	for k, v := range m {
		if strings.HasPrefix(k, ReservedPrefix) {
			return nil, errs.E(errs.Invalid, "docstore: field name %q uses the reserved prefix %q", k, ReservedPrefix)
		}
		if len(v) < 22 || v[0] != '"' {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "docstore: field %q", k)
		}
		if c := canonicalString(s); c != s {
			b, err := json.Marshal(c)
			if err != nil {
				return nil, fmt.Errorf("docstore: field %q: %w", k, err)
			}
			m[k] = b
		}
	}
	// Marshalling the map compacts the text, sorts the top-level fields and
	// keeps the last of duplicate fields, as every JSON decoder here does.
	out, err := json.Marshal(m)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "docstore: data")
	}
	return out, nil
}

// checkNestedReserved rejects object keys starting with ReservedPrefix at
// any depth (drivers may use such keys to encode values, e.g. Firestore's
// arrays inside arrays).
func checkNestedReserved(data json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return errs.Wrap(errs.Invalid, err, "docstore: data")
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, ReservedPrefix) {
					return errs.E(errs.Invalid, "docstore: field name %q uses the reserved prefix %q", k, ReservedPrefix)
				}
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v)
}
