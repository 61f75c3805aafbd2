package tabular

import (
	"math"
	"strconv"
)

// This file holds the value parsers shared by inference and coercion. They
// work on strings without allocating.

// trimSpace strips ASCII spaces and tabs around s.
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseInt parses an integer: optional sign, digits, and optionally a
// fraction made only of zeros ("17850.0" is 17850; "17850.5" is not an
// integer). strict rejects leading zeros ("007"), which mark codes rather
// than numbers; inference is strict, coercion is not.
func parseInt(s string, strict bool) (int64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	i := 0
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i = 1
	}
	start := i
	var v uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(s[i]-'0')
		i++
	}
	nd := i - start
	if nd == 0 {
		return 0, false
	}
	if strict && nd > 1 && s[start] == '0' {
		return 0, false
	}
	if i < len(s) {
		if s[i] != '.' || i+1 == len(s) {
			return 0, false
		}
		for i++; i < len(s); i++ {
			if s[i] != '0' {
				return 0, false
			}
		}
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// isFloatSyntax reports whether s is a plain decimal number: optional
// sign, digits with an optional fraction (".5" and "5." allowed) and an
// optional exponent. strict rejects a leading zero before further integer
// digits ("007.5"). NaN, Inf, hex and digit separators are not numbers here.
func isFloatSyntax(s string, strict bool) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if strict && intDigits > 1 && s[start] == '0' {
		return false
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracDigits = i - fs
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == es {
			return false
		}
	}
	return i == len(s)
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFast parses a plain decimal without exponent ("-12.50") whose
// digits, read as an integer, are below 2^53 and whose fraction has at
// most 22 digits: the integer and the power of ten are then exact as
// float64 and one division rounds correctly, giving exactly what
// strconv.ParseFloat gives. ok is false for anything else (parse it with
// strconv).
func decimalFast(s string) (float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
		if digits > 18 {
			return 0, false
		}
	}
	if digits == 0 || m >= 1<<53 || frac > 22 {
		return 0, false
	}
	f := float64(m)
	if neg {
		f = -f
	}
	if frac > 0 {
		f /= pow10[frac]
	}
	return f, true
}

// parseFloat parses a finite decimal number (see isFloatSyntax).
func parseFloat(s string, strict bool) (float64, bool) {
	if !isFloatSyntax(s, strict) {
		return 0, false
	}
	if f, ok := decimalFast(s); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseFloatLoose is coercion into a FLOAT64 column: plain decimals plus
// Inf/Infinity (NaN is a null token, see Options.NullValues).
func parseFloatLoose(s string) (float64, bool) {
	if isFloatSyntax(s, false) {
		if f, ok := decimalFast(s); ok {
			return f, true
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	switch lowerASCII(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	return 0, false
}

// parseBool parses a boolean. Inference (strict) knows only true/false/t/f
// in any case, so that yes/no or Y/N flag columns and 0/1 columns are not
// turned into booleans by guesswork; coercion into a BOOL column also takes
// yes/no/y/n/1/0.
func parseBool(s string, strict bool) (v, ok bool) {
	if len(s) > 5 {
		return false, false
	}
	switch lowerASCII(s) {
	case "true", "t":
		return true, true
	case "false", "f":
		return false, true
	}
	if strict {
		return false, false
	}
	switch lowerASCII(s) {
	case "yes", "y", "1":
		return true, true
	case "no", "n", "0":
		return false, true
	}
	return false, false
}

// lowerASCII lower-cases ASCII letters of a short string; it allocates only
// when s has an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Date layouts of an inferred temporal column.
const (
	LayoutISO = ""      // YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]; also YYYY/MM/DD
	LayoutMDY = "M/D/Y" // M/D/YYYY[ H:MM[:SS]] (US, the Excel export)
	LayoutDMY = "D/M/Y" // D/M/YYYY or D.M.YYYY[ H:MM[:SS]] (most of Europe)
)

// timeVal is a parsed date or timestamp.
type timeVal struct {
	micros  int64 // since the Unix epoch, UTC
	hasTime bool  // a time of day was given
}

// num reads exactly n digits at s[i:].
func num(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// num12 reads one or two digits at s[i:] and returns the value and the
// index after them.
func num12(s string, i int) (int, int, bool) {
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, i, false
	}
	v := int(s[i] - '0')
	i++
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		i++
	}
	return v, i, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	dim := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && isLeap(y) {
		dim = 29
	}
	return d <= dim
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseClock parses H:MM[:SS[.ffffff]] (hour with one or two digits when
// oneDigitHour) at s[i:] and returns micros since midnight and the index
// after it. Fractions beyond microseconds are accepted only when the extra
// digits are zeros: nothing is rounded away silently.
func parseClock(s string, i int, oneDigitHour bool) (int64, int, bool) {
	var h int
	var ok bool
	if oneDigitHour {
		h, i, ok = num12(s, i)
	} else {
		h, ok = num(s, i, 2)
		i += 2
	}
	if !ok || h > 23 || i >= len(s) || s[i] != ':' {
		return 0, i, false
	}
	mi, ok := num(s, i+1, 2)
	if !ok || mi > 59 {
		return 0, i, false
	}
	i += 3
	sec := 0
	var frac int64
	if i < len(s) && s[i] == ':' {
		sec, ok = num(s, i+1, 2)
		if !ok || sec > 59 {
			return 0, i, false
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			fs := i
			scale := int64(100000)
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				d := int64(s[i] - '0')
				if i-fs < 6 {
					frac += d * scale
					scale /= 10
				} else if d != 0 {
					return 0, i, false
				}
				i++
			}
			if i == fs || i-fs > 9 {
				return 0, i, false
			}
		}
	}
	return (int64(h)*3600+int64(mi)*60+int64(sec))*1e6 + frac, i, true
}

// parseZone parses Z, ±HH, ±HHMM or ±HH:MM (or nothing) at the end of s
// from i and returns the offset in micros to subtract.
func parseZone(s string, i int) (int64, bool) {
	if i == len(s) {
		return 0, true
	}
	if (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s) {
		return 0, true
	}
	if s[i] == ' ' && s[i+1:] == "UTC" {
		return 0, true
	}
	if s[i] != '+' && s[i] != '-' {
		return 0, false
	}
	sign := int64(1)
	if s[i] == '-' {
		sign = -1
	}
	i++
	h, ok := num(s, i, 2)
	if !ok || h > 23 {
		return 0, false
	}
	i += 2
	m := 0
	if i < len(s) {
		if s[i] == ':' {
			i++
		}
		m, ok = num(s, i, 2)
		if !ok || m > 59 {
			return 0, false
		}
		i += 2
	}
	if i != len(s) {
		return 0, false
	}
	return sign * (int64(h)*3600 + int64(m)*60) * 1e6, true
}

// parseISO parses YYYY-MM-DD (or YYYY/MM/DD), optionally followed by ' ' or
// 'T' and a clock and a zone. Naive times are taken as UTC.
func parseISO(s string) (timeVal, bool) {
	if len(s) < 10 {
		return timeVal{}, false
	}
	y, ok1 := num(s, 0, 4)
	sep := s[4]
	m, ok2 := num(s, 5, 2)
	d, ok3 := num(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || (sep != '-' && sep != '/') || s[7] != sep || !validDate(y, m, d) {
		return timeVal{}, false
	}
	days := daysFromCivil(y, m, d)
	if len(s) == 10 {
		return timeVal{micros: days * 86400e6}, true
	}
	if s[10] != ' ' && s[10] != 'T' && s[10] != 't' {
		return timeVal{}, false
	}
	clock, i, ok := parseClock(s, 11, false)
	if !ok {
		return timeVal{}, false
	}
	off, ok := parseZone(s, i)
	if !ok {
		return timeVal{}, false
	}
	return timeVal{micros: days*86400e6 + clock - off, hasTime: true}, true
}

// parseSlash parses M/D/YYYY (mdy) or D/M/YYYY, D.M.YYYY (!mdy) with one
// or two digit day and month, optionally followed by ' ' and H:MM[:SS].
func parseSlash(s string, mdy bool) (timeVal, bool) {
	a, i, ok := num12(s, 0)
	if !ok || i >= len(s) {
		return timeVal{}, false
	}
	sep := s[i]
	if sep != '/' && (mdy || sep != '.') {
		return timeVal{}, false
	}
	b, j, ok := num12(s, i+1)
	if !ok || j >= len(s) || s[j] != sep {
		return timeVal{}, false
	}
	y, ok := num(s, j+1, 4)
	if !ok {
		return timeVal{}, false
	}
	m, d := a, b
	if !mdy {
		m, d = b, a
	}
	if !validDate(y, m, d) {
		return timeVal{}, false
	}
	days := daysFromCivil(y, m, d)
	k := j + 5
	if k == len(s) {
		return timeVal{micros: days * 86400e6}, true
	}
	if s[k] != ' ' {
		return timeVal{}, false
	}
	clock, e, ok := parseClock(s, k+1, true)
	if !ok || e != len(s) {
		return timeVal{}, false
	}
	return timeVal{micros: days*86400e6 + clock, hasTime: true}, true
}

// parseTemporal parses with the column's layout first, then ISO, then (for
// a column without a layout) M/D/Y.
func parseTemporal(s, layout string) (timeVal, bool) {
	switch layout {
	case LayoutMDY:
		if v, ok := parseSlash(s, true); ok {
			return v, true
		}
	case LayoutDMY:
		if v, ok := parseSlash(s, false); ok {
			return v, true
		}
	}
	if v, ok := parseISO(s); ok {
		return v, true
	}
	if layout == LayoutISO {
		return parseSlash(s, true)
	}
	return timeVal{}, false
}

// parseTimeOfDay parses HH:MM:SS[.ffffff] (seconds required) into micros
// since midnight.
func parseTimeOfDay(s string) (int64, bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	v, i, ok := parseClock(s, 0, false)
	return v, ok && i == len(s)
}
