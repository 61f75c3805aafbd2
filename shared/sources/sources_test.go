package sources

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestParseURL(t *testing.T) {
	u, _ := url.Parse("postgres://alice:p%40ss%3Aword@db.example.com:6543/shop?sslmode=require&schema=sales&connect_timeout=3&application_name=etl")
	c, err := ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	want := Connection{Host: "db.example.com", Port: 6543, Database: "shop", Schema: "sales", Username: "alice", Password: "p@ss:word",
		SSLMode: "require", Params: map[string]string{"application_name": "etl"}, ConnectTimeout: 3 * time.Second}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("ParseURL = %#v, want %#v", c, want)
	}
	back, err := ParseURL(c.URL("postgres"))
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{"mysql://h:0/db", "mysql://h:99999/db", "mysql://h/db?connect_timeout=soon"} {
		u, _ := url.Parse(bad)
		if _, err := ParseURL(u); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseURL(%s): %v, want invalid", bad, err)
		}
	}
}

func TestNoPasswordInText(t *testing.T) {
	c := Connection{Host: "h", Port: 5432, Database: "d", Username: "u", Password: "Secr3t-pw"}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "conn", c)
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		if strings.Contains(s, "Secr3t") {
			t.Errorf("password in %q", s)
		}
	}
	if _, err := Open(context.Background(), "postgres://u:Secr3t-pw@h:bad port/d", nil); err == nil || strings.Contains(err.Error(), "Secr3t") {
		t.Errorf("Open with a bad URL: %v", err)
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	if _, err := Open(context.Background(), "oracle://h/db", nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown scheme: %v", err)
	}
}

func TestCompareAndFormat(t *testing.T) {
	tm := time.Date(2024, 3, 1, 12, 0, 0, 5000, time.UTC)
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{nil, nil, 0}, {nil, int64(1), -1}, {int64(1), nil, 1},
		{int64(1), int64(2), -1}, {"b", "a", 1}, {tm, tm.Add(time.Nanosecond), -1}, {tm, tm, 0}, {1.5, 1.5, 0},
	} {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%v, %v) = %d", tc.a, tc.b, got)
		}
	}
	for v, want := range map[any]string{nil: "NULL", int64(-3): "-3", 0.25: "0.25", true: "true", "x": "x",
		tm: "2024-03-01T12:00:00.000005Z", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC): "2024-03-01"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
	if got := FormatValue([]byte{0, 255}); got != "AP8=" {
		t.Errorf("bytes = %q", got)
	}
	if got := EncodeKey([]any{int64(1), "a,\"b", nil}); got != `"1","a,\"b",null` {
		t.Errorf("EncodeKey = %s", got)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h:5432/db?sslmode=disable&schema=s", "mysql://root@[::1]:3306/x?connect_timeout=2s&a=b", "mysql:///", "postgres://h/d%2Fe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		c, err := ParseURL(u)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ParseURL(%q): %v is not invalid", raw, err)
			}
			if c.Password != "" && strings.Contains(err.Error(), c.Password) {
				t.Fatalf("password in error")
			}
			return
		}
		back, err := ParseURL(c.URL("x"))
		if err != nil {
			t.Fatalf("ParseURL(URL(%+v)): %v", c, err)
		}
		if len(back.Params) == 0 && len(c.Params) == 0 {
			back.Params, c.Params = nil, nil
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip of %q: %#v != %#v (%s)", raw, back, c, c.Password)
		}
	})
}

func TestSampleDocsFromEnv(t *testing.T) {
	for _, c := range []struct {
		value string
		want  int
		ok    bool
	}{
		{"", 0, true}, {"1", 1, true}, {" 250 ", 250, true}, {"10000", 10000, true},
		{"0", 0, false}, {"10001", 0, false}, {"-5", 0, false}, {"lots", 0, false},
	} {
		n, err := SampleDocsFromEnv(func(k string) string {
			if k != SampleDocsSetting {
				t.Fatalf("read %s", k)
			}
			return c.value
		})
		if n != c.want || (err == nil) != c.ok {
			t.Errorf("%q: %d %v, want %d ok=%v", c.value, n, err, c.want, c.ok)
		}
		if err != nil && (!errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), "B2B_SOURCE_SAMPLE_DOCS")) {
			t.Errorf("%q: %v does not name the setting", c.value, err)
		}
	}
}
