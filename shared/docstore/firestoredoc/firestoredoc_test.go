package firestoredoc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/docstoretest"
	_ "github.com/b2brecs/b2brecs/shared/docstore/firestoredoc"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// TestConformanceEmulator runs the suite against the Firestore emulator, in
// a project of its own per run.
func TestConformanceEmulator(t *testing.T) {
	testenv.Require(t, testenv.Firestore)
	project := fmt.Sprintf("b2b-docstore-test-%d", time.Now().UnixNano())
	docstoretest.Run(t, func(t *testing.T) docstore.Driver {
		s, err := docstore.Open(context.Background(), "firestore://"+project)
		if err != nil {
			t.Fatal(err)
		}
		return s.Driver
	})
}
