package platform

import (
	"context"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
)

// The input limits come from B2B_MAX_* settings; one that does not parse
// stops the platform, naming it.
func TestInputLimitsFromEnv(t *testing.T) {
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	t.Setenv("B2B_MAX_RECORD_BYTES", "1MiB")
	t.Setenv("B2B_MAX_COLUMNS", "")
	c := FromEnv()
	if c.InputErr != nil || c.Input.MaxRecordBytes != 1<<20 || c.Input.MaxColumns != tabular.DefaultMaxColumns {
		t.Errorf("limits %+v %v", c.Input, c.InputErr)
	}
	t.Setenv("B2B_MAX_COLUMNS", "lots")
	_, err := Open(context.Background(), FromEnv(), Options{})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "B2B_MAX_COLUMNS") {
		t.Errorf("Open with B2B_MAX_COLUMNS=lots: %v", err)
	}
}
