package etl

import (
	"bufio"
	"context"
	"encoding/json"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// RunRejects returns the first rejected rows of a run of the tenant (at
// most limit) from its rejects file, and how many rows the run rejected in
// all.
func (s *Service) RunRejects(ctx context.Context, tenant, runID string, limit int) ([]Reject, int64, error) {
	const op errs.Op = "etl.RunRejects"
	run, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return nil, 0, errs.At(op, err)
	}
	out := []Reject{}
	if run.RejectsObject == "" || run.RowsRejected == 0 {
		return out, run.RowsRejected, nil
	}
	b, err := s.res.Bucket(ctx, tenant, BucketStaging)
	if err != nil {
		return nil, 0, errs.At(op, err)
	}
	rd, err := b.NewReader(ctx, run.RejectsObject, nil)
	if err != nil {
		return nil, 0, blobstore.Wrap(err, "rejects of run %s", run.ID)
	}
	defer rd.Close()
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for len(out) < limit && sc.Scan() {
		var rej Reject
		if json.Unmarshal(sc.Bytes(), &rej) == nil {
			out = append(out, rej)
		}
	}
	return out, run.RowsRejected, nil
}
