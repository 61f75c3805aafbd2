package drops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/drops"
)

func TestSettingsFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	set := func(mode string, maxBytes int64, expiry time.Duration, list int) drops.Settings {
		return drops.Settings{Mode: mode, MaxBytes: maxBytes, URLExpiry: expiry, ListLimit: list}
	}
	cases := []struct {
		name  string
		env   func(string) string
		cloud bool
		want  drops.Settings
		err   string
	}{
		{"local defaults", env(), false, set("direct", 2<<30, 15*time.Minute, 1000), ""},
		{"cloud defaults", env(), true, set("signed", 2<<30, 15*time.Minute, 1000), ""},
		{"set", env("B2B_UPLOAD_MODE", "direct", "B2B_UPLOAD_MAX_BYTES", "500MiB", "B2B_UPLOAD_URL_EXPIRY", "1h", "B2B_DROP_LIST_LIMIT", "20"), true,
			set("direct", 500<<20, time.Hour, 20), ""},
		{"plain bytes", env("B2B_UPLOAD_MAX_BYTES", "1048576"), false, set("direct", 1<<20, 15*time.Minute, 1000), ""},
		{"bad mode", env("B2B_UPLOAD_MODE", "s3"), false, drops.Settings{}, "B2B_UPLOAD_MODE"},
		{"bad size", env("B2B_UPLOAD_MAX_BYTES", "lots"), false, drops.Settings{}, "B2B_UPLOAD_MAX_BYTES"},
		{"zero size", env("B2B_UPLOAD_MAX_BYTES", "0"), false, drops.Settings{}, "B2B_UPLOAD_MAX_BYTES"},
		{"over 5 TiB", env("B2B_UPLOAD_MAX_BYTES", "6TiB"), false, drops.Settings{}, "B2B_UPLOAD_MAX_BYTES"},
		{"expiry over a week", env("B2B_UPLOAD_URL_EXPIRY", "200h"), false, drops.Settings{}, "B2B_UPLOAD_URL_EXPIRY"},
		{"list limit not a number", env("B2B_DROP_LIST_LIMIT", "many"), false, drops.Settings{}, "B2B_DROP_LIST_LIMIT"},
		{"list limit zero", env("B2B_DROP_LIST_LIMIT", "0"), false, drops.Settings{}, "B2B_DROP_LIST_LIMIT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := drops.SettingsFromEnv(c.env, c.cloud)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("err = %v, want one naming %s", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("= %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"0", 0}, {"512", 512}, {"2GiB", 2 << 30}, {" 500 MiB ", 500 << 20}, {"1KiB", 1024}, {"5TiB", 5 << 40}} {
		if got, err := drops.ParseSize(c.in); err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "-1", "lots", "1.5GiB", "9999999TiB"} {
		if _, err := drops.ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
	for n, want := range map[int64]string{2 << 30: "2 GiB", 1 << 20: "1 MiB", 64 << 10: "64 KiB", 100: "100 bytes", 1500: "1500 bytes"} {
		if got := drops.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
