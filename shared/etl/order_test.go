package etl_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
)

// TestOlderVersionEventArrivingLate: the event of version 1 of a file is
// delivered after version 2 was written and loaded. Version 1's run must
// not bring its rows back.
func TestOlderVersionEventArrivingLate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	bucket := e.p.Resources.BucketName(tenant, etl.BucketDrop)
	v1 := "sku\nA\nB\nC\n"
	v2 := "sku\nX\n"
	g1 := e.write(b, "stock.csv", v1)
	g2 := e.write(b, "stock.csv", v2)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "stock.csv", g2, v2)); err != nil {
		t.Fatal(err)
	}
	e.wait()
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "stock.csv", g1, v1)); err != nil {
		t.Fatal(err)
	}
	e.wait()
	old := e.runOf("stock.csv", g1)
	if old.Status != etl.StatusCompleted || old.RowsLoaded != 0 || !strings.HasPrefix(old.SkippedReason, "superseded:") {
		t.Errorf("old version's run = %s, %d rows, skipped %q; want completed, 0, superseded", old.Status, old.RowsLoaded, old.SkippedReason)
	}
	if got := e.query(`SELECT sku FROM raw_data.stock ORDER BY sku`); len(got) != 1 || got[0][0] != "X" {
		t.Errorf("table = %v, want only version 2's row X", got)
	}
}

// TestOlderVersionLoadFinishingLast: version 1 is extracted, its load is
// held up while version 2 is written, extracted and loaded; when version
// 1's load request is finally delivered it is superseded, not applied.
func TestOlderVersionLoadFinishingLast(t *testing.T) {
	e, held, release := newEnvHoldingFirstLoad(t)
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	bucket := e.p.Resources.BucketName(tenant, etl.BucketDrop)
	v1 := "sku\nA\nB\nC\n"
	g1 := e.write(b, "stock.csv", v1)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "stock.csv", g1, v1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("version 1's load was never requested")
	}
	v2 := "sku\nX\nY\n"
	g2 := e.write(b, "stock.csv", v2)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "stock.csv", g2, v2)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !e.runOf("stock.csv", g2).Terminal() {
		if time.Now().After(deadline) {
			t.Fatal("version 2's run did not finish while version 1's load was held")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	e.wait()
	if r := e.runOf("stock.csv", g2); r.Status != etl.StatusCompleted || r.RowsLoaded != 2 {
		t.Errorf("version 2's run = %s, %d rows (%s); want completed, 2", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	old := e.runOf("stock.csv", g1)
	if old.Status != etl.StatusCompleted || old.RowsLoaded != 0 || !strings.Contains(old.SkippedReason, "superseded") {
		t.Errorf("version 1's run = %s, %d rows, skipped %q; want completed, 0, superseded", old.Status, old.RowsLoaded, old.SkippedReason)
	}
	if got := e.query(`SELECT sku FROM raw_data.stock ORDER BY sku`); len(got) != 2 || got[0][0] != "X" || got[1][0] != "Y" {
		t.Errorf("table = %v, want version 2's rows X, Y", got)
	}
	// The next version loads normally: the ledger lease was released.
	v3 := "sku\nZ\n"
	g3 := e.write(b, "stock.csv", v3)
	if err := e.p.ETL.HandleObjectFinalized(ctx, storageEvent(bucket, "stock.csv", g3, v3)); err != nil {
		t.Fatal(err)
	}
	e.wait()
	if got := e.query(`SELECT sku FROM raw_data.stock`); len(got) != 1 || got[0][0] != "Z" {
		t.Errorf("after version 3: table = %v, want Z", got)
	}
}

// newEnvHoldingFirstLoad is newEnv whose first load request is held: held
// is closed when it arrives, and it is delivered once release is closed.
func newEnvHoldingFirstLoad(t *testing.T) (e *env, held, release chan struct{}) {
	t.Helper()
	held, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	e = newEnvWith(t, func(topic string, h events.Handler) events.Handler {
		if topic != eventschemas.TopicLoadRequested {
			return h
		}
		return func(ctx context.Context, ev events.Event) error {
			first := false
			once.Do(func() { first = true })
			if first {
				close(held)
				<-release
			}
			return h(ctx, ev)
		}
	})
	return e, held, release
}

// runOf finds the run of one version of an object.
func (e *env) runOf(name, gen string) etl.Run {
	e.t.Helper()
	runs, err := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range runs {
		if r.Object != nil && r.Object.Name == name && r.Object.Generation == gen {
			return r
		}
	}
	e.t.Fatalf("no run of %s generation %s", name, gen)
	return etl.Run{}
}
