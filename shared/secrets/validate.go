package secrets

import (
	"github.com/b2brecs/b2brecs/shared/errs"
)

// MaxNameLen is the longest tenant or secret name.
const MaxNameLen = 200

// MaxValueLen is the largest secret value, in bytes (Secret Manager's limit).
const MaxValueLen = 64 << 10

// CheckNames reports, with errs.Invalid, a tenant or secret name that is not
// [A-Za-z0-9_-]{1,200}. Drivers call it before touching storage; the names
// then are safe as file and resource names. The message quotes a bad name
// (names are not secret) but never a value.
func CheckNames(tenant, name string) error {
	if err := checkName("tenant", tenant); err != nil {
		return err
	}
	return checkName("secret name", name)
}

func checkName(what, s string) error {
	if s == "" {
		return errs.E(errs.Invalid, "secrets: empty %s", what)
	}
	if len(s) > MaxNameLen {
		return errs.E(errs.Invalid, "secrets: %s is %d bytes, over the limit of %d", what, len(s), MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return errs.E(errs.Invalid, "secrets: %s %q has a character outside [A-Za-z0-9_-]", what, s)
		}
	}
	return nil
}

// CheckValue reports, with errs.Invalid, a value that is empty or over
// MaxValueLen bytes. The message gives the size only.
func CheckValue(value []byte) error {
	switch {
	case len(value) == 0:
		return errs.E(errs.Invalid, "secrets: empty value")
	case len(value) > MaxValueLen:
		return errs.E(errs.Invalid, "secrets: value is %d bytes, over the limit of %d", len(value), MaxValueLen)
	}
	return nil
}
