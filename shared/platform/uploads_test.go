package platform

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestConfigUploads(t *testing.T) {
	for _, k := range []string{"B2B_UPLOAD_MODE", "B2B_UPLOAD_MAX_BYTES", "B2B_UPLOAD_URL_EXPIRY", "B2B_DROP_LIST_LIMIT"} {
		t.Setenv(k, "")
	}
	cfg := tempLocalConfig(t)
	if up, err := cfg.Uploads(); err != nil || up != (drops.Settings{Mode: drops.ModeDirect, MaxBytes: drops.DefaultMaxBytes, URLExpiry: 15 * time.Minute, ListLimit: drops.DefaultListLimit}) {
		t.Errorf("local uploads = %+v, %v; want direct, 2 GiB", up, err)
	}
	cloud := cfg
	cloud.Mode = ModeCloud
	if up, err := cloud.Uploads(); err != nil || up.Mode != drops.ModeSigned {
		t.Errorf("cloud uploads = %+v, %v; want signed", up, err)
	}

	t.Setenv("B2B_UPLOAD_MAX_BYTES", "64MiB")
	t.Setenv("B2B_UPLOAD_URL_EXPIRY", "30m")
	if up, err := FromEnv().Uploads(); err != nil || up.MaxBytes != 64<<20 || up.URLExpiry != 30*time.Minute {
		t.Errorf("uploads from the environment = %+v, %v; want 64 MiB, 30m", up, err)
	}

	// A setting that does not parse stops the platform, naming it.
	t.Setenv("B2B_UPLOAD_MAX_BYTES", "a lot")
	p, err := Open(t.Context(), FromEnv(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		p.Close()
		t.Fatal("Open with B2B_UPLOAD_MAX_BYTES=\"a lot\" succeeded")
	}
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "B2B_UPLOAD_MAX_BYTES") {
		t.Errorf("Open: %v, want invalid naming B2B_UPLOAD_MAX_BYTES", err)
	}
}
