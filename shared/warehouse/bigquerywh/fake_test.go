package bigquerywh_test

import (
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
)

// fakeBQ is the request fake (bqfake) served for one test, in location EU;
// what it was sent that it did not expect fails the test.
type fakeBQ struct {
	*bqfake.Fake
	root string
}

type apiError = bqfake.APIError

func newFakeBQ(t *testing.T) *fakeBQ {
	f := &fakeBQ{Fake: bqfake.New(bqfake.Options{Project: "test-proj", Location: "EU"})}
	var stop func()
	f.root, stop = f.Start()
	t.Cleanup(func() {
		stop()
		for _, p := range f.Problems() {
			t.Errorf("BigQuery fake: %s", p)
		}
	})
	return f
}

// URL is the driver URL pointing at the fake.
func (f *fakeBQ) URL() string { return f.DriverURL(f.root) }
