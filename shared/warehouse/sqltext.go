package warehouse

import (
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// QuoteIdentDuckDB quotes one identifier for DuckDB (and standard SQL):
// the name in double quotes, with embedded double quotes doubled. Any string,
// including reserved words and names with spaces, becomes a valid identifier.
func QuoteIdentDuckDB(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteIdentBigQuery quotes one identifier for BigQuery standard SQL: the name
// in backticks, with backslashes and backticks escaped by a backslash.
func QuoteIdentBigQuery(name string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "`" + r.Replace(name) + "`"
}

// QuoteIdent quotes one identifier in the given dialect.
func QuoteIdent(d Dialect, name string) string {
	if d == BigQuery {
		return QuoteIdentBigQuery(name)
	}
	return QuoteIdentDuckDB(name)
}

// QuoteTable returns the quoted, qualified name dataset.table in the given
// dialect, each part quoted on its own ("ds"."t" or `ds`.`t`).
func QuoteTable(d Dialect, dataset, table string) string {
	if dataset == "" {
		return QuoteIdent(d, table)
	}
	return QuoteIdent(d, dataset) + "." + QuoteIdent(d, table)
}

// duckDBTypes are the DuckDB types the warehouse creates for the port's
// types (BigQuery's are the port's names).
var duckDBTypes = map[Type]string{
	String: "VARCHAR", Int64: "BIGINT", Float64: "DOUBLE", Numeric: "DECIMAL(38,9)", Bool: "BOOLEAN",
	Date: "DATE", Timestamp: "TIMESTAMPTZ", DateTime: "TIMESTAMP", Time: "TIME", JSON: "JSON", Bytes: "BLOB",
}

// ColumnType is the SQL type dialect d creates for a column of type t: in
// CREATE TABLE, ADD COLUMN and CAST, so that tables, added columns and
// compiled SQL agree. An unknown type is errs.Invalid.
func ColumnType(d Dialect, t Type) (string, error) {
	if !t.Valid() {
		return "", errs.E(errs.Invalid, "warehouse: unknown column type %q", t)
	}
	if d == DuckDB {
		return duckDBTypes[t], nil
	}
	return string(t), nil
}

// InArray returns the condition "expr is one of the values of the array
// parameter ref" (ref is "@name"; negate: "is none of them") in dialect d:
// expr IN UNNEST(@p) / expr NOT IN UNNEST(@p) for BigQuery, expr = ANY(@p) /
// expr <> ALL(@p) for DuckDB (see "Array parameters" in the package doc).
// expr is SQL the caller built (a quoted identifier); it is parenthesised.
func InArray(d Dialect, expr, ref string, negate bool) string {
	switch {
	case d == BigQuery && negate:
		return "(" + expr + ") NOT IN UNNEST(" + ref + ")"
	case d == BigQuery:
		return "(" + expr + ") IN UNNEST(" + ref + ")"
	case negate:
		return "(" + expr + ") <> ALL(" + ref + ")"
	default:
		return "(" + expr + ") = ANY(" + ref + ")"
	}
}

// RewriteParams returns query with every named parameter reference @name
// replaced by repl(name), and the distinct names in order of first appearance.
//
// A parameter reference is '@' followed by a letter or '_' and then letters,
// digits or '_', where the '@' is not itself preceded by '@' (so BigQuery's
// @@system_variables are left alone). References inside string literals
// ('...', "..." in BigQuery, triple-quoted strings, raw and bytes prefixes,
// DuckDB dollar-quoted $tag$...$tag$), quoted identifiers ("..." in DuckDB,
// `...`) and comments (-- ..., # ... in BigQuery, /* ... */) are not
// touched. An unterminated literal, identifier or block comment is
// errs.Invalid.
func RewriteParams(d Dialect, query string, repl func(name string) string) (string, []string, error) {
	var (
		out   strings.Builder
		names []string
		seen  = map[string]bool{}
	)
	out.Grow(len(query))
	i := 0
	n := len(query)
	for i < n {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			if c == '"' && d != BigQuery {
				// DuckDB quoted identifier, "" escapes a quote.
				end, err := scanDoubled(query, i, '"')
				if err != nil {
					return "", nil, err
				}
				out.WriteString(query[i:end])
				i = end
				continue
			}
			var end int
			var err error
			if d == BigQuery {
				end, err = scanBQString(query, i)
			} else {
				end, err = scanDoubled(query, i, '\'')
			}
			if err != nil {
				return "", nil, err
			}
			out.WriteString(query[i:end])
			i = end
		case c == '`':
			var end int
			var err error
			if d == BigQuery {
				end, err = scanBackslashQuoted(query, i, '`')
			} else {
				end, err = scanDoubled(query, i, '`')
			}
			if err != nil {
				return "", nil, err
			}
			out.WriteString(query[i:end])
			i = end
		case c == '-' && i+1 < n && query[i+1] == '-', c == '#' && d == BigQuery:
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = n
			} else {
				end += i
			}
			out.WriteString(query[i:end])
			i = end
		case c == '/' && i+1 < n && query[i+1] == '*':
			end, err := scanBlockComment(query, i, d != BigQuery)
			if err != nil {
				return "", nil, err
			}
			out.WriteString(query[i:end])
			i = end
		case c == '$' && d != BigQuery && (i == 0 || !isIdentByte(query[i-1])):
			end, ok, err := scanDollar(query, i)
			if err != nil {
				return "", nil, err
			}
			if !ok {
				out.WriteByte(c)
				i++
				continue
			}
			out.WriteString(query[i:end])
			i = end
		case c == '@' && i+1 < n && isIdentStart(query[i+1]) && (i == 0 || query[i-1] != '@'):
			j := i + 1
			for j < n && isIdentByte(query[j]) {
				j++
			}
			name := query[i+1 : j]
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
			out.WriteString(repl(name))
			i = j
		case isIdentByte(c):
			// Copy a whole word, so a string prefix (r'..', b'..', E'..')
			// is handled by the literal scanner that follows it, and the
			// word's characters never start a token.
			j := i
			for j < n && isIdentByte(query[j]) {
				j++
			}
			if d != BigQuery && j == i+1 && (c == 'e' || c == 'E') && j < n && query[j] == '\'' {
				// DuckDB escape string E'...': backslash escapes too.
				end, err := scanEscapeString(query, j)
				if err != nil {
					return "", nil, err
				}
				j = end
			}
			out.WriteString(query[i:j])
			i = j
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), names, nil
}

// ParamNames returns the distinct @name parameters referenced in query, in
// order of first appearance (see RewriteParams).
func ParamNames(d Dialect, query string) ([]string, error) {
	_, names, err := RewriteParams(d, query, func(name string) string { return "@" + name })
	return names, err
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

// scanDoubled scans a literal quoted with q in which qq stands for one q and
// returns the index just past the closing quote.
func scanDoubled(s string, i int, q byte) (int, error) {
	j := i + 1
	for j < len(s) {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			return j + 1, nil
		}
		j++
	}
	return 0, errs.E(errs.Invalid, "sql: unterminated %c at offset %d", q, i)
}

// scanBackslashQuoted scans a literal quoted with q in which a backslash
// escapes the next character.
func scanBackslashQuoted(s string, i int, q byte) (int, error) {
	j := i + 1
	for j < len(s) {
		switch s[j] {
		case '\\':
			j += 2
			continue
		case q:
			return j + 1, nil
		}
		j++
	}
	return 0, errs.E(errs.Invalid, "sql: unterminated %c at offset %d", q, i)
}

// scanEscapeString scans a DuckDB E'...' literal body starting at the quote:
// a doubled quote or a backslash escapes a quote.
func scanEscapeString(s string, i int) (int, error) {
	j := i + 1
	for j < len(s) {
		switch {
		case s[j] == '\\':
			j += 2
			continue
		case s[j] == '\'' && j+1 < len(s) && s[j+1] == '\'':
			j += 2
			continue
		case s[j] == '\'':
			return j + 1, nil
		}
		j++
	}
	return 0, errs.E(errs.Invalid, "sql: unterminated E' string at offset %d", i)
}

// scanBQString scans a BigQuery string or bytes literal starting at a quote:
// '...', "...", ”'...”' or """...""", with backslash escapes. (Raw
// literals also treat backslash-quote as not closing the literal, so the
// same scan is right for them.)
func scanBQString(s string, i int) (int, error) {
	q := s[i]
	if i+2 < len(s) && s[i+1] == q && s[i+2] == q {
		triple := strings.Repeat(string(q), 3)
		j := i + 3
		for j < len(s) {
			if s[j] == '\\' {
				j += 2
				continue
			}
			if strings.HasPrefix(s[j:], triple) {
				return j + 3, nil
			}
			j++
		}
		return 0, errs.E(errs.Invalid, "sql: unterminated %s at offset %d", triple, i)
	}
	return scanBackslashQuoted(s, i, q)
}

// scanBlockComment scans /* ... */; DuckDB (like PostgreSQL) nests them.
func scanBlockComment(s string, i int, nested bool) (int, error) {
	depth := 0
	j := i
	for j+1 < len(s) {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			if depth == 0 || nested {
				depth++
			}
			j += 2
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return j, nil
			}
		default:
			j++
		}
	}
	return 0, errs.E(errs.Invalid, "sql: unterminated block comment at offset %d", i)
}

// scanDollar scans a dollar-quoted string $tag$...$tag$ starting at i. ok is
// false when the '$' does not open one (e.g. a $1 or $name parameter).
func scanDollar(s string, i int) (end int, ok bool, err error) {
	j := i + 1
	for j < len(s) && isIdentByte(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return 0, false, nil
	}
	tag := s[i : j+1]
	if len(tag) > 2 && tag[1] >= '0' && tag[1] <= '9' {
		return 0, false, nil // $1$ is not a tag
	}
	k := strings.Index(s[j+1:], tag)
	if k < 0 {
		return 0, false, errs.E(errs.Invalid, "sql: unterminated %s string at offset %d", tag, i)
	}
	return j + 1 + k + len(tag), true, nil
}

// NormalizeType maps a type name reported by DuckDB or BigQuery (legacy or
// standard SQL names, any case, with or without parameters such as
// DECIMAL(18,3) or VARCHAR(10)) to the port's Type. ok is false for types the
// port does not model (lists, structs, maps, intervals ...).
func NormalizeType(name string) (t Type, ok bool) {
	s := strings.ToUpper(strings.TrimSpace(name))
	if k := strings.IndexByte(s, '('); k >= 0 {
		s = strings.TrimSpace(s[:k])
	}
	switch s {
	case "STRING", "VARCHAR", "TEXT", "CHAR", "BPCHAR", "UUID":
		return String, true
	case "INT64", "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "INT8", "INT4", "INT2", "INT1",
		"UTINYINT", "USMALLINT", "UINTEGER", "BYTEINT", "LONG", "SHORT":
		return Int64, true
	case "FLOAT64", "FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8":
		return Float64, true
	case "NUMERIC", "DECIMAL", "BIGNUMERIC", "BIGDECIMAL", "HUGEINT", "UBIGINT", "UHUGEINT":
		return Numeric, true
	case "BOOL", "BOOLEAN", "LOGICAL":
		return Bool, true
	case "DATE":
		return Date, true
	case "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_US":
		return Timestamp, true
	case "DATETIME", "TIMESTAMP WITHOUT TIME ZONE":
		return DateTime, true
	case "TIME", "TIMETZ", "TIME WITH TIME ZONE":
		return Time, true
	case "JSON":
		return JSON, true
	case "BYTES", "BLOB", "BYTEA", "VARBINARY", "BINARY":
		return Bytes, true
	}
	return "", false
}

// Valid reports whether t is one of the port's types.
func (t Type) Valid() bool {
	switch t {
	case String, Int64, Float64, Numeric, Bool, Date, Timestamp, DateTime, Time, JSON, Bytes:
		return true
	}
	return false
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}

// Lookup returns the column with the given name (exact match).
func (s Schema) Lookup(name string) (Column, bool) {
	for _, c := range s {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Validate checks that the schema is non-empty, its names are non-empty and
// distinct (case-insensitively, as both backends compare them) and its types
// are the port's.
func (s Schema) Validate() error {
	if len(s) == 0 {
		return errs.E(errs.Invalid, "warehouse: empty schema")
	}
	seen := map[string]bool{}
	for _, c := range s {
		if c.Name == "" {
			return errs.E(errs.Invalid, "warehouse: column with empty name")
		}
		k := strings.ToLower(c.Name)
		if seen[k] {
			return errs.E(errs.Invalid, "warehouse: duplicate column %q", c.Name)
		}
		seen[k] = true
		if !c.Type.Valid() {
			return errs.E(errs.Invalid, "warehouse: column %q has unknown type %q", c.Name, c.Type)
		}
	}
	return nil
}
