package tabular

import (
	"path"
	"strings"

	"github.com/b2brecs/b2brecs/shared/colname"
)

// MaxNameLen is the longest name SanitizeName returns.
const MaxNameLen = colname.MaxLen

// SanitizeName turns a column or table name into a warehouse identifier
// (see colname.SanitizeName).
func SanitizeName(s string) string { return colname.SanitizeName(s) }

// SanitizeNames sanitises names and resolves collisions (see
// colname.SanitizeNames).
func SanitizeNames(names []string) (out []string, mapping map[string]string) {
	return colname.SanitizeNames(names)
}

// TableNameFromObject derives a table name from an object name: its base
// name without compression and format extensions, sanitised.
// "uploads/Online Retail.csv.gz" → "online_retail".
func TableNameFromObject(objectName string) string {
	base := path.Base(strings.ReplaceAll(objectName, "\\", "/"))
	lower := strings.ToLower(base)
	for _, z := range []string{".gz", ".gzip"} {
		if strings.HasSuffix(lower, z) && len(lower) > len(z) {
			base, lower = base[:len(base)-len(z)], lower[:len(lower)-len(z)]
			break
		}
	}
	if ext := path.Ext(lower); ext != "" && ext != lower {
		base = base[:len(base)-len(ext)]
	}
	return SanitizeName(base)
}
