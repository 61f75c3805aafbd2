package warehouse

import (
	"math/big"
	"strings"
)

// DecimalText is the exact decimal text of unscaled × 10^-scale, as
// Result carries NUMERIC cells: an optional '-', the integer digits, and a
// '.' with the fraction digits only if the fraction is not zero, without
// trailing zeros or an exponent ("1234.5", "-0.000000001", "0").
func DecimalText(unscaled *big.Int, scale int) string {
	digits := new(big.Int).Abs(unscaled).String()
	switch {
	case unscaled.Sign() == 0:
		return "0"
	case scale < 0:
		digits += strings.Repeat("0", -scale)
	case scale > 0:
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		whole, frac := digits[:len(digits)-scale], strings.TrimRight(digits[len(digits)-scale:], "0")
		digits = whole
		if frac != "" {
			digits += "." + frac
		}
	}
	if unscaled.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// RatText is r as exact decimal text (see DecimalText), and false if r has
// no finite decimal expansion (its denominator has a prime factor other
// than 2 and 5; NUMERIC and BIGNUMERIC values never do).
func RatText(r *big.Rat) (string, bool) {
	d := new(big.Int).Set(r.Denom())
	twos := int(d.TrailingZeroBits())
	d.Rsh(d, uint(twos))
	fives := 0
	five, q, m := big.NewInt(5), new(big.Int), new(big.Int)
	for d.Cmp(big.NewInt(1)) != 0 {
		if q.QuoRem(d, five, m); m.Sign() != 0 {
			return "", false
		}
		d.Set(q)
		fives++
	}
	scale := max(twos, fives)
	// r × 10^scale is an integer: the unscaled value.
	unscaled := new(big.Int).Mul(r.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	unscaled.Quo(unscaled, r.Denom())
	return DecimalText(unscaled, scale), true
}
