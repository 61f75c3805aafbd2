package tenancy_test

import (
	"context"
	"testing"

	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/tenancy/tenancytest"
)

// TestDuplicateEmailSaysNothingAboutOtherTenants: an admin of one tenant
// cannot tell whether an email belongs to another tenant.
func TestDuplicateEmailSaysNothingAboutOtherTenants(t *testing.T) {
	ctx := context.Background()
	svc, _ := tenancytest.NewService(t)
	a, err := svc.CreateTenant(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateTenant(ctx, "B")
	if err != nil {
		t.Fatal(err)
	}
	nu := tenancy.NewUser{Email: "x@example.test", Role: tenancy.RoleViewer, Password: "long-enough-pw"}
	if _, err := svc.CreateUser(ctx, a.ID, nu); err != nil {
		t.Fatal(err)
	}
	_, sameTenant := svc.CreateUser(ctx, a.ID, nu)
	_, otherTenant := svc.CreateUser(ctx, b.ID, nu)
	if sameTenant == nil || otherTenant == nil || sameTenant.Error() != otherTenant.Error() {
		t.Errorf("duplicate in the same tenant: %v; in another tenant: %v; want the same error", sameTenant, otherTenant)
	}
}
