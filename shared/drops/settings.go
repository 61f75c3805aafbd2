package drops

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/blobstore"
)

// Upload modes (B2B_UPLOAD_MODE).
const (
	// ModeDirect: the file goes through the API (POST /api/files), as on
	// the local platform.
	ModeDirect = "direct"
	// ModeSigned: the browser puts the file straight into the tenant's
	// drop bucket through a signed resumable upload URL (the cloud, where
	// Cloud Functions cap a request at 32 MiB).
	ModeSigned = "signed"
)

// DefaultMaxBytes is the default upload limit (Settings.MaxBytes).
const DefaultMaxBytes = 2 << 30

// MaxUploadLimit is the largest B2B_UPLOAD_MAX_BYTES (Cloud Storage's
// object size limit).
const MaxUploadLimit = 5 << 40

// DefaultListLimit is how many files List returns at most by default.
const DefaultListLimit = 1000

// Settings configure uploads into the drop area and its listing
// (docs/api.md, "Uploads"). Zero fields take the defaults.
type Settings struct {
	// Mode is ModeDirect (default) or ModeSigned. B2B_UPLOAD_MODE; the
	// default is signed in cloud mode.
	Mode string
	// MaxBytes is the largest file accepted, in both modes.
	// B2B_UPLOAD_MAX_BYTES, default DefaultMaxBytes (2 GiB).
	MaxBytes int64
	// URLExpiry is how long a signed upload URL can start its upload.
	// B2B_UPLOAD_URL_EXPIRY, default 15m, at most 7 days.
	URLExpiry time.Duration
	// ListLimit is how many files a listing of the drop area shows at
	// most. B2B_DROP_LIST_LIMIT, default DefaultListLimit.
	ListLimit int
}

// WithDefaults fills the zero fields with the defaults.
func (s Settings) WithDefaults() Settings {
	if s.Mode == "" {
		s.Mode = ModeDirect
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = DefaultMaxBytes
	}
	if s.URLExpiry <= 0 {
		s.URLExpiry = blobstore.DefaultUploadURLExpiry
	}
	if s.ListLimit <= 0 {
		s.ListLimit = DefaultListLimit
	}
	return s
}

// SettingsFromEnv reads the settings from B2B_UPLOAD_* and
// B2B_DROP_LIST_LIMIT through getenv (os.Getenv); cloud selects the
// cloud's default mode. A value that does not parse is an error naming the
// variable.
func SettingsFromEnv(getenv func(string) string, cloud bool) (Settings, error) {
	s := Settings{Mode: ModeDirect}
	if cloud {
		s.Mode = ModeSigned
	}
	var all []error
	switch m := getenv("B2B_UPLOAD_MODE"); m {
	case "":
	case ModeDirect, ModeSigned:
		s.Mode = m
	default:
		all = append(all, fmt.Errorf("B2B_UPLOAD_MODE=%q is not %s or %s", m, ModeDirect, ModeSigned))
	}
	if v := getenv("B2B_UPLOAD_MAX_BYTES"); v != "" {
		n, err := ParseSize(v)
		if err != nil || n <= 0 || n > MaxUploadLimit {
			all = append(all, fmt.Errorf("B2B_UPLOAD_MAX_BYTES=%q is not a size between 1 byte and 5TiB (such as 2147483648, 500MiB or 2GiB)", v))
		}
		s.MaxBytes = n
	}
	if v := getenv("B2B_UPLOAD_URL_EXPIRY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > blobstore.MaxUploadURLExpiry {
			all = append(all, fmt.Errorf("B2B_UPLOAD_URL_EXPIRY=%q is not a duration between 1s and 168h (such as 15m)", v))
		}
		s.URLExpiry = d
	}
	if v := getenv("B2B_DROP_LIST_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			all = append(all, fmt.Errorf("B2B_DROP_LIST_LIMIT=%q is not a positive integer", v))
		}
		s.ListLimit = n
	}
	return s.WithDefaults(), errors.Join(all...)
}

// ParseSize reads a size in bytes: a whole number, optionally followed by
// KiB, MiB, GiB or TiB.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}}
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a size in bytes", s)
	}
	return n << shift, nil
}

// FormatSize writes n bytes for people: "2 GiB", "1 MiB", "512 bytes".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
