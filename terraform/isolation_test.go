package terraform_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Tenants are isolated by project: modules/platform instantiates
// modules/tenant once per entry of var.tenants, each in its own project, and
// everything a tenant module makes and grants lives in var.project_id. These
// tests prove it on the HCL: no resource of the tenant module names another
// project, no IAM binding names a member that is not the tenant's own
// account or its own project's service agent (or allUsers, on the two
// public resources), no binding is made above the project (folder,
// organisation), and two tenants cannot share a project.

// allowedMemberRoots are what a tenant module's IAM members may refer to:
// its own service accounts and its own project's service agents.
var allowedMemberRoots = []string{
	"google_service_account.",                         // the tenant's accounts
	"data.google_storage_project_service_account.gcs", // Cloud Storage's agent of var.project_id
	"data.google_project.tenant",                      // the Pub/Sub agent (project number of var.project_id)
}

// publicBindings may name allUsers: the web app's bucket (the load balancer
// reads it anonymously) and the API's Cloud Run invoker (the API checks ID
// tokens itself).
var publicBindings = map[string]string{
	"google_storage_bucket_iam_member.spa_public":       "roles/storage.objectViewer",
	"google_cloud_run_v2_service_iam_member.api_public": "roles/run.invoker",
}

// memberRefs resolves an IAM member expression through locals to the
// resources it refers to.
func memberRefs(t *testing.T, m *module, e hclsyntax.Expression, depth int) []string {
	t.Helper()
	if depth > 5 {
		t.Fatalf("locals nest too deep at %s", e.Range())
	}
	var out []string
	for _, r := range refs(e) {
		if name, ok := strings.CutPrefix(r, "local."); ok {
			name = strings.Split(name, ".")[0]
			if a := m.locals[name]; a != nil {
				out = append(out, memberRefs(t, m, a.Expr, depth+1)...)
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

func TestTenantIsolation(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")

	for key, r := range m.resources {
		// Every project-scoped resource lives in the tenant's project.
		if a := attr(r.Body, "project"); a != nil && !slices.Equal(refs(a.Expr), []string{"var.project_id"}) {
			t.Errorf("%s: project = %v, want var.project_id", key, refs(a.Expr))
		}
		typ := r.Labels[0]
		for _, above := range []string{"google_folder_iam", "google_organization_iam", "google_billing_account_iam"} {
			if strings.HasPrefix(typ, above) {
				t.Errorf("%s: a tenant grants nothing above its project", key)
			}
		}
		if !strings.HasSuffix(typ, "_iam_member") && !strings.HasSuffix(typ, "_iam_binding") && !strings.HasSuffix(typ, "_iam_policy") {
			continue
		}
		if strings.HasSuffix(typ, "_iam_binding") || strings.HasSuffix(typ, "_iam_policy") {
			t.Errorf("%s: use _iam_member (authoritative bindings would drop other members of the project)", key)
			continue
		}
		// The bound resource is the tenant's own (a resource of this
		// module, or a for_each over the module's resources and locals).
		for _, target := range []string{"bucket", "dataset_id", "topic", "subscription", "service_account_id", "name", "secret_id"} {
			a := attr(r.Body, target)
			if a == nil || (target == "name" && typ != "google_cloud_run_v2_service_iam_member") {
				continue
			}
			if _, lit := literal(a.Expr); lit {
				t.Errorf("%s: %s is a literal name, not a resource of the tenant module", key, target)
			}
			for _, rf := range refs(a.Expr) {
				root := strings.Split(rf, ".")[0]
				if !(strings.HasPrefix(root, "google_") || root == "each" || root == "var" && rf == "var.project_id") {
					t.Errorf("%s: %s = %s, not a resource of the tenant module", key, target, rf)
				}
			}
		}
		mem := attr(r.Body, "member")
		if mem == nil {
			t.Errorf("%s has no member", key)
			continue
		}
		if v, ok := literal(mem.Expr); ok {
			role, _ := attrLiteral(r.Body, "role")
			if want, public := publicBindings[key]; !public || v != "allUsers" || role != want {
				t.Errorf("%s grants %s to the literal member %q: only the tenant's own accounts and agents may be members", key, role, v)
			}
			continue
		}
		rs := memberRefs(t, m, mem.Expr, 0)
		if len(rs) == 0 {
			t.Errorf("%s: member refers to nothing", key)
		}
		for _, rf := range rs {
			ok := false
			for _, root := range allowedMemberRoots {
				if strings.HasPrefix(rf, root) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: member refers to %s, which is not an account or service agent of the tenant's project", key, rf)
			}
		}
	}

	// Buckets are named after the tenant's project (globally unique, and
	// never another tenant's).
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_storage_bucket.") {
			if a := attr(r.Body, "name"); a == nil || !slices.Contains(refs(a.Expr), "var.project_id") {
				t.Errorf("%s: name must start with var.project_id", key)
			}
		}
	}

	// The data sources read the tenant's own project.
	for key, d := range m.data {
		a := attr(d.Body, "project")
		if a == nil {
			a = attr(d.Body, "project_id")
		}
		if a == nil || !slices.Equal(refs(a.Expr), []string{"var.project_id"}) {
			t.Errorf("data.%s must read var.project_id", key)
		}
	}
}

// TestPlatformIsolation: the platform module grants nothing itself, gives
// each tenant module its own project, and refuses two tenants on one
// project.
func TestPlatformIsolation(t *testing.T) {
	mods := loadModules(t, ".")
	p := mustModule(t, mods, "modules/platform")
	for key, r := range p.resources {
		if strings.Contains(r.Labels[0], "_iam_") {
			t.Errorf("%s: the platform module grants nothing (a binding there could cross tenants)", key)
		}
	}
	call := p.calls["tenant"]
	if call == nil {
		t.Fatal("modules/platform does not call modules/tenant")
	}
	if fe := attr(call.Body, "for_each"); fe == nil || !slices.Contains(refs(fe.Expr), "var.tenants") {
		t.Errorf("module tenant must have for_each = var.tenants (one instance per tenant)")
	}
	if a := attr(call.Body, "tenant_id"); a == nil || !slices.Contains(refs(a.Expr), "each.key") {
		t.Errorf("module tenant: tenant_id must be each.key")
	}

	v := p.variables["tenants"]
	if v == nil {
		t.Fatal("variable tenants missing")
	}
	// Evaluate the validations on two tenants sharing a project: one must fail.
	ctx := func(tenants map[string]cty.Value) *hcl.EvalContext {
		return &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
				"tenants":        cty.MapVal(tenants),
				"project_prefix": cty.StringVal("b2brecs"),
			})},
			Functions: hclFunctions(),
		}
	}
	tenant := func(project string) cty.Value {
		pv := cty.NullVal(cty.String)
		if project != "" {
			pv = cty.StringVal(project)
		}
		return cty.ObjectVal(map[string]cty.Value{"project_id": pv})
	}
	valid := func(tenants map[string]cty.Value) bool {
		for _, vb := range blocks(v.Body, "validation") {
			c, diags := attr(vb.Body, "condition").Expr.Value(ctx(tenants))
			if diags.HasErrors() {
				continue // a validation about other attributes
			}
			if c.False() {
				return false
			}
		}
		return true
	}
	if !valid(map[string]cty.Value{"acme": tenant(""), "globex": tenant("globex-prod")}) {
		t.Errorf("two tenants on two projects are refused")
	}
	if valid(map[string]cty.Value{"acme": tenant("shared-proj"), "globex": tenant("shared-proj")}) {
		t.Errorf("two tenants on one project are accepted: add a validation to var.tenants")
	}
	if valid(map[string]cty.Value{"acme": tenant(""), "globex": tenant("b2brecs-acme")}) {
		t.Errorf("a tenant whose project_id is another tenant's default project is accepted")
	}
}

// hclFunctions are the Terraform functions the validations use, from cty's
// standard library (Terraform's own function table is not importable).
func hclFunctions() map[string]function.Function {
	return map[string]function.Function{
		"length":   stdlib.LengthFunc,
		"distinct": stdlib.DistinctFunc,
		"coalesce": stdlib.CoalesceFunc,
		"keys":     stdlib.KeysFunc,
		"values":   stdlib.ValuesFunc,
		"concat":   stdlib.ConcatFunc,
		"lower":    stdlib.LowerFunc,
	}
}
