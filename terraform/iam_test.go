package terraform_test

import (
	"bufio"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/b2brecs/b2brecs/shared/auth/idplatform"
	"github.com/b2brecs/b2brecs/shared/blobstore/gcsbucket"
	"github.com/b2brecs/b2brecs/shared/docstore/firestoredoc"
	"github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	"github.com/b2brecs/b2brecs/shared/gcpcall"
	"github.com/b2brecs/b2brecs/shared/scheduler/cloudscheduler"
	"github.com/b2brecs/b2brecs/shared/secrets/secretmanager"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
)

// driverCalls are the Google API calls of every cloud driver, from the
// lists kept beside their code.
func driverCalls() map[string][]gcpcall.Call {
	return map[string][]gcpcall.Call{
		"gcsbucket":      gcsbucket.GoogleCalls,
		"bigquerywh":     bigquerywh.GoogleCalls,
		"firestoredoc":   firestoredoc.GoogleCalls,
		"pubsubbus":      pubsubbus.GoogleCalls,
		"secretmanager":  secretmanager.GoogleCalls,
		"cloudscheduler": cloudscheduler.GoogleCalls,
		"idplatform":     idplatform.GoogleCalls,
	}
}

// predefinedRoles holds, for each predefined role the tenant grants, the
// permissions of it this deployment relies on (a subset of the role as
// Google's IAM role reference lists it).
var predefinedRoles = map[string][]string{
	"roles/bigquery.dataEditor": {"bigquery.datasets.get", "bigquery.tables.create", "bigquery.tables.delete", "bigquery.tables.get",
		"bigquery.tables.getData", "bigquery.tables.list", "bigquery.tables.update", "bigquery.tables.updateData"},
	"roles/bigquery.jobUser":               {"bigquery.jobs.create"},
	"roles/datastore.user":                 {"datastore.databases.get", "datastore.entities.create", "datastore.entities.delete", "datastore.entities.get", "datastore.entities.list", "datastore.entities.update"},
	"roles/storage.objectUser":             {"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"},
	"roles/storage.objectViewer":           {"storage.objects.get", "storage.objects.list"},
	"roles/pubsub.publisher":               {"pubsub.topics.publish"},
	"roles/secretmanager.secretAccessor":   {"secretmanager.versions.access"},
	"roles/iam.serviceAccountTokenCreator": {"iam.serviceAccounts.signBlob", "iam.serviceAccounts.getOpenIdToken"},
	"roles/run.invoker":                    {"run.routes.invoke"},
}

// iamRow is one row of the table in docs/cloud.md.
type iamRow struct {
	call, permission, role, resource string
	line                             int
}

const notGranted = "not granted"

// readIAMTable parses the table under the "## IAM" heading of docs/cloud.md.
func readIAMTable(t *testing.T) []iamRow {
	t.Helper()
	f, err := os.Open("../docs/cloud.md")
	if err != nil {
		t.Fatalf("docs/cloud.md: %v", err)
	}
	defer f.Close()
	var rows []iamRow
	in, header := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "## "):
			in = strings.HasPrefix(line, "## IAM")
			continue
		case !in || !strings.HasPrefix(line, "|"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if len(cells) != 4 {
			t.Errorf("docs/cloud.md:%d: want 4 cells (call, permission, role, resource), got %d", n, len(cells))
			continue
		}
		if !header {
			if !slices.Equal(cells, []string{"Call", "Permission", "Role", "Resource"}) {
				t.Fatalf("docs/cloud.md:%d: IAM table header = %v", n, cells)
			}
			header = true
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, iamRow{call: cells[0], permission: cells[1], role: cells[2], resource: cells[3], line: n})
	}
	if len(rows) == 0 {
		t.Fatal("docs/cloud.md has no IAM table under a \"## IAM\" heading")
	}
	return rows
}

// binding is one role granted to the functions' account on one resource:
// "project", "dataset raw_data", "dataset <each of datasets>", "bucket drop",
// "topic etl-run-requested", "service account functions".
type binding struct{ role, resource string }

const everyDataset = "every dataset"

// functionsBindings lists what Terraform grants the functions' account.
func functionsBindings(t *testing.T, m *module) map[binding]string {
	t.Helper()
	customRoles := map[string]string{} // resource key => role_id
	for key, r := range m.resources {
		if name, ok := strings.CutPrefix(key, "google_project_iam_custom_role."); ok {
			id, _ := attrLiteral(r.Body, "role_id")
			customRoles["google_project_iam_custom_role."+name] = id
		}
	}
	topicNames := map[string]string{} // resource key => topic name
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_pubsub_topic.") {
			n, _ := attrLiteral(r.Body, "name")
			topicNames[key] = n
		}
	}
	roles := func(r *hclsyntax.Block) []string {
		a := attr(r.Body, "role")
		if v, ok := literal(a.Expr); ok {
			return []string{v}
		}
		if slices.Contains(refs(a.Expr), "each.value") {
			return objectOrSetStrings(t, m, attr(r.Body, "for_each"))
		}
		for k, id := range customRoles {
			if refersTo(a.Expr, k) {
				return []string{id}
			}
		}
		t.Errorf("cannot read the role of %s at %s", r.Labels, a.Expr.Range())
		return nil
	}
	out := map[binding]string{}
	for key, r := range m.resources {
		typ := r.Labels[0]
		if !strings.HasSuffix(typ, "_iam_member") {
			continue
		}
		mem := attr(r.Body, "member")
		if mem == nil || !slices.Contains(refs(mem.Expr), "local.functions_member") {
			continue
		}
		var resources []string
		switch typ {
		case "google_project_iam_member":
			resources = []string{"project"}
		case "google_bigquery_dataset_iam_member":
			ds := attr(r.Body, "dataset_id").Expr
			fe := attr(r.Body, "for_each")
			switch {
			case refersTo(ds, "google_bigquery_dataset.raw_data"):
				resources = []string{"dataset raw_data"}
			case fe != nil && refersTo(fe.Expr, "google_bigquery_dataset.tenant") && slices.Contains(refs(ds), "each.value.dataset_id"):
				resources = []string{"dataset <each of datasets>"}
			}
		case "google_storage_bucket_iam_member":
			for _, rf := range refs(attr(r.Body, "bucket").Expr) {
				if b, ok := strings.CutPrefix(rf, "google_storage_bucket."); ok {
					resources = append(resources, "bucket "+strings.Split(b, ".")[0])
				}
			}
		case "google_pubsub_topic_iam_member":
			topic := attr(r.Body, "topic").Expr
			fe := attr(r.Body, "for_each")
			if fe != nil && slices.Contains(refs(topic), "each.value.name") {
				for k := range objectItems(t, m, fe.Expr) {
					resources = append(resources, "topic "+k)
				}
			}
			for k, n := range topicNames {
				if refersTo(topic, k) {
					resources = append(resources, "topic "+n)
				}
			}
		case "google_service_account_iam_member":
			for _, rf := range refs(attr(r.Body, "service_account_id").Expr) {
				if sa, ok := strings.CutPrefix(rf, "google_service_account."); ok {
					resources = append(resources, "service account "+strings.Split(sa, ".")[0])
				}
			}
		}
		if len(resources) == 0 {
			t.Errorf("%s grants the functions' account a role on a resource this test cannot name", key)
			continue
		}
		for _, role := range roles(r) {
			for _, res := range resources {
				out[binding{role, res}] = key
			}
		}
	}
	return out
}

// expandResource turns a Resource cell into the bindings' resources.
func expandResource(cell string) []string {
	if cell == everyDataset {
		return []string{"dataset raw_data", "dataset <each of datasets>"}
	}
	for _, kind := range []string{"bucket ", "topic ", "service account ", "dataset "} {
		if rest, ok := strings.CutPrefix(cell, kind); ok {
			var out []string
			for _, name := range strings.Split(rest, ",") {
				out = append(out, kind+strings.TrimSpace(name))
			}
			return out
		}
	}
	return []string{cell}
}

// kindOf is the gcpcall resource kind a Resource cell names.
func kindOf(cell string) string {
	switch {
	case cell == everyDataset || strings.HasPrefix(cell, "dataset "):
		return gcpcall.Dataset
	case strings.HasPrefix(cell, "bucket "):
		return gcpcall.Bucket
	case strings.HasPrefix(cell, "topic "):
		return gcpcall.Topic
	case strings.HasPrefix(cell, "service account "):
		return gcpcall.ServiceAccount
	}
	return cell
}

// TestIAMTable: the table of docs/cloud.md lists exactly the Google API
// calls the drivers make (with the permission each needs), each role holds
// the permission of its row, Terraform grants it to the functions' account
// on every resource of the row, and the functions' account holds nothing
// the table does not name.
func TestIAMTable(t *testing.T) {
	rows := readIAMTable(t)
	m := mustModule(t, loadModules(t, "."), "modules/tenant")

	type callPerm struct{ call, permission string }
	want := map[callPerm]string{} // => resource kind
	for driver, calls := range driverCalls() {
		if len(calls) == 0 {
			t.Errorf("%s.GoogleCalls is empty", driver)
		}
		for _, c := range calls {
			want[callPerm{c.Method, c.Permission}] = c.On
		}
	}
	got := map[callPerm]bool{}
	for _, r := range rows {
		k := callPerm{r.call, r.permission}
		if got[k] {
			t.Errorf("docs/cloud.md:%d: %s / %s listed twice", r.line, r.call, r.permission)
		}
		got[k] = true
		on, ok := want[k]
		if !ok {
			t.Errorf("docs/cloud.md:%d: %s needing %s is not a call of any driver's GoogleCalls", r.line, r.call, r.permission)
			continue
		}
		if r.role == notGranted {
			if r.resource != notGranted {
				t.Errorf("docs/cloud.md:%d: a call that is not granted names no resource", r.line)
			}
			continue
		}
		if kindOf(r.resource) != on {
			t.Errorf("docs/cloud.md:%d: %s is checked on a %s, the row names %q", r.line, r.permission, on, r.resource)
		}
	}
	var missing []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k.call+" ("+k.permission+")")
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		t.Errorf("docs/cloud.md's IAM table lacks the call %s", k)
	}

	// Roles hold their permissions: predefined ones by the list above,
	// custom ones by their permissions in the HCL.
	perms := map[string][]string{}
	for r, ps := range predefinedRoles {
		perms[r] = ps
	}
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_project_iam_custom_role.") {
			id, _ := attrLiteral(r.Body, "role_id")
			perms[id] = objectOrSetStrings(t, m, attr(r.Body, "permissions"))
		}
	}
	granted := functionsBindings(t, m)
	used := map[binding]bool{}
	for _, r := range rows {
		if r.role == notGranted {
			continue
		}
		ps, ok := perms[r.role]
		if !ok {
			t.Errorf("docs/cloud.md:%d: role %s is neither a known predefined role nor a custom role of the tenant", r.line, r.role)
		} else if !slices.Contains(ps, r.permission) {
			t.Errorf("docs/cloud.md:%d: role %s does not hold %s", r.line, r.role, r.permission)
		}
		for _, res := range expandResource(r.resource) {
			b := binding{r.role, res}
			used[b] = true
			if _, ok := granted[b]; !ok {
				t.Errorf("docs/cloud.md:%d: Terraform does not grant the functions' account %s on %s", r.line, r.role, res)
			}
		}
	}
	for b, key := range granted {
		if !used[b] {
			t.Errorf("%s grants the functions' account %s on %s, for no call of docs/cloud.md's IAM table", key, b.role, b.resource)
		}
	}

	// Terraform makes every dataset; nothing grants project-wide create.
	for b, key := range granted {
		if ps := perms[b.role]; b.resource == "project" && slices.Contains(ps, "bigquery.datasets.create") {
			t.Errorf("%s grants bigquery.datasets.create on the project", key)
		}
	}
	if m.resources["google_bigquery_dataset.tenant"] == nil {
		t.Errorf("google_bigquery_dataset.tenant (the datasets variable) is not declared")
	}
}

// TestNoSchedulerAccount: Cloud Scheduler's Pub/Sub targets publish as its
// service agent; no account of ours pretends to run the jobs.
func TestNoSchedulerAccount(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	if m.resources["google_service_account.scheduler"] != nil {
		t.Errorf("google_service_account.scheduler: Cloud Scheduler jobs with Pub/Sub targets do not run as it")
	}
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_cloudfunctions2_function.") {
			continue
		}
		env := attr(block(r.Body, "service_config"), "environment_variables")
		if env == nil {
			continue
		}
		if _, ok := objectItems(t, m, env.Expr)["B2B_SCHEDULER_SA"]; ok {
			t.Errorf("%s sets B2B_SCHEDULER_SA, which no code reads", key)
		}
	}
}
