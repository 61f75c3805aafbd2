package platform

import (
	"context"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// B2B_SOURCE_SAMPLE_DOCS is read by FromEnv; a value out of range stops
// the platform, naming the setting.
func TestSourceSampleDocsFromEnv(t *testing.T) {
	t.Setenv("B2B_DATA_DIR", t.TempDir())
	t.Setenv("B2B_SOURCE_SAMPLE_DOCS", "250")
	if c := FromEnv(); c.SourceSampleErr != nil || c.SourceSampleDocs != 250 {
		t.Errorf("sample docs %d %v", c.SourceSampleDocs, c.SourceSampleErr)
	}
	t.Setenv("B2B_SOURCE_SAMPLE_DOCS", "0")
	_, err := Open(context.Background(), FromEnv(), Options{})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "B2B_SOURCE_SAMPLE_DOCS") {
		t.Errorf("Open with B2B_SOURCE_SAMPLE_DOCS=0: %v", err)
	}
}
