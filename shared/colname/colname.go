// Package colname turns source column and table names into warehouse
// identifiers. Both the file reader (tabular) and the database sources use
// it, so a column keeps the same warehouse name whichever way it arrives.
package colname

import (
	"strconv"
	"strings"
)

// MaxLen is the longest name SanitizeName returns.
const MaxLen = 300

// SanitizeName turns a column or table name into a warehouse identifier,
// in this order: every rune outside [A-Za-z0-9_] becomes '_'; runs of '_'
// collapse to one; '_' is stripped from both ends; a leading digit gets the
// prefix "col_"; an empty result becomes "column"; the result is cut to 300
// bytes (and '_' stripped from its end again); and it is lower-cased.
// "DiscountApplied(%)" → "discountapplied", "2nd Address" → "col_2nd_address".
//
// The result matches ^[a-z_][a-z0-9_]*$ (in fact it never starts with '_')
// and SanitizeName is idempotent.
func SanitizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	lastUnderscore := true // drops leading '_'
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			lastUnderscore = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
			lastUnderscore = false
		default:
			if !lastUnderscore {
				b.WriteByte('_')
				lastUnderscore = true
			}
		}
	}
	out := strings.TrimRight(b.String(), "_")
	if out == "" {
		return "column"
	}
	if out[0] >= '0' && out[0] <= '9' {
		out = "col_" + out
	}
	if len(out) > MaxLen {
		out = strings.TrimRight(out[:MaxLen], "_")
	}
	return out
}

// SanitizeNames sanitises each name and resolves collisions: the first
// column to claim a name keeps it, later ones get "_2", "_3", ... (skipping
// any suffix that another column's name already is), still at most 300
// bytes. out[i] is the name of names[i]. mapping maps each original name to
// its sanitised name; when the same original name occurs twice it holds the
// first, so use out for positions.
func SanitizeNames(names []string) (out []string, mapping map[string]string) {
	out = make([]string, len(names))
	mapping = make(map[string]string, len(names))
	taken := make(map[string]bool, len(names))
	// First pass: every name that is the first to sanitise to its value
	// keeps it, so that an original "a_2" is not displaced by a renamed
	// duplicate "a".
	dup := make([]bool, len(names))
	for i, n := range names {
		s := SanitizeName(n)
		if taken[s] {
			dup[i] = true
			continue
		}
		taken[s] = true
		out[i] = s
	}
	for i, n := range names {
		if dup[i] {
			base := SanitizeName(n)
			for k := 2; ; k++ {
				suffix := "_" + strconv.Itoa(k)
				cand := base
				if len(cand)+len(suffix) > MaxLen {
					cand = strings.TrimRight(cand[:MaxLen-len(suffix)], "_")
				}
				cand += suffix
				if !taken[cand] {
					taken[cand] = true
					out[i] = cand
					break
				}
			}
		}
		if _, ok := mapping[n]; !ok {
			mapping[n] = out[i]
		}
	}
	return out, mapping
}
