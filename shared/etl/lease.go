package etl

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// leaseTTL bounds how long a delivery may hold a run without renewing the
// lease (progress stamps renew it). A crashed holder's lease expires; the
// local platform also clears leases when it resumes runs at start.
const leaseTTL = 10 * time.Minute

// errBusy: another delivery holds the run; retry later.
var errBusy = errs.E(errs.Conflict, "etl: the run is being processed by another delivery")

// newLeaseToken names one handler invocation.
func newLeaseToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// claim takes the run's lease for token, or fails with errBusy while
// another live delivery holds it.
func (s *Service) claim(r *Run, token string) error {
	now := s.nowUTC()
	if r.LeaseOwner != "" && r.LeaseOwner != token && r.LeaseUntil != nil && now.Before(*r.LeaseUntil) {
		return errBusy
	}
	r.LeaseOwner = token
	r.LeaseUntil = ptr(now.Add(leaseTTL))
	return nil
}

// renew extends the lease if token still holds it.
func (s *Service) renew(r *Run, token string) {
	if r.LeaseOwner == token {
		r.LeaseUntil = ptr(s.nowUTC().Add(leaseTTL))
	}
}

// release drops the lease.
func release(r *Run) {
	r.LeaseOwner = ""
	r.LeaseUntil = nil
}
