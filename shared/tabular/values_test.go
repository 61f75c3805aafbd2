package tabular

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

var decimalSeeds = []string{
	"0", "-0", "+0", "0.0", "-0.0", "2.55", "17850.0", "-1", "123456789012345678", "9007199254740991",
	"9007199254740992", "900719925474099.3", ".5", "5.", "-.5", "0.1", "0.3", "1.7976931348623157",
	"0.0000000000000000000001", "0.00000000000000000000001", "1e5", "1.5E-3", "12a", "", ".", "-", "+.",
	"1.2.3", "00012.5000", "38970.00", "4.95", "0.001", "1234567890.12345678",
}

// decimalFast gives exactly what strconv.ParseFloat gives, or declines.
func checkDecimalFast(t *testing.T, s string) {
	f, ok := decimalFast(s)
	if !ok {
		return
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("decimalFast(%q) = %v, but strconv fails: %v", s, f, err)
	}
	if math.Float64bits(f) != math.Float64bits(want) {
		t.Fatalf("decimalFast(%q) = %v (%#x), strconv %v (%#x)", s, f, math.Float64bits(f), want, math.Float64bits(want))
	}
}

func TestDecimalFast(t *testing.T) {
	for _, s := range decimalSeeds {
		checkDecimalFast(t, s)
	}
	for _, c := range []struct {
		s  string
		ok bool
	}{{"2.55", true}, {"-0", true}, {"1e5", false}, {"9007199254740992", false}, {"1.2.3", false}, {"", false}, {".", false}} {
		if _, ok := decimalFast(c.s); ok != c.ok {
			t.Errorf("decimalFast(%q) ok = %v, want %v", c.s, ok, c.ok)
		}
	}
	// Random decimals of up to 18 digits with the point anywhere.
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 24)
	for range 200_000 {
		buf = buf[:0]
		if rng.IntN(3) == 0 {
			buf = append(buf, '-')
		}
		n := 1 + rng.IntN(18)
		point := rng.IntN(n + 1)
		for k := range n {
			if k == point {
				buf = append(buf, '.')
			}
			buf = append(buf, byte('0'+rng.IntN(10)))
		}
		checkDecimalFast(t, string(buf))
	}
	if f, _ := decimalFast("-0.0"); !math.Signbit(f) {
		t.Errorf("-0.0 lost its sign")
	}
}

func FuzzDecimalFast(f *testing.F) {
	for _, s := range decimalSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecimalFast(t, s) })
}

// parseNumeric's int64 path agrees with the big.Int one.
func TestParseNumericSmall(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1.5", "+2.000000001", "123456789.123456789", "-999999999.999999999",
		"1234567890.1", "0.000000001", "00042.4200", ".5", "5.", "12345678901234567890.123456789"} {
		got, ok := parseNumeric(s)
		if !ok {
			t.Errorf("parseNumeric(%q) failed", s)
			continue
		}
		// The reference: the digits scaled by 10^9 through big.Int.
		r := new(big.Rat)
		if _, ok := r.SetString(s); !ok {
			t.Fatalf("big.Rat(%q)", s)
		}
		r.Mul(r, new(big.Rat).SetInt64(1_000_000_000))
		if !r.IsInt() {
			t.Fatalf("%q has more than 9 decimals", s)
		}
		if want := decimal128.FromBigInt(r.Num()); got != want {
			t.Errorf("parseNumeric(%q) = %v, want %v", s, got.ToString(9), want.ToString(9))
		}
	}
}
