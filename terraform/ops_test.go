package terraform_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/b2brecs/b2brecs/functions"
)

// TestFixedEgress: every function sends its traffic through the tenant's
// VPC (Direct VPC egress, all traffic), and Cloud NAT sends it out from one
// reserved static address, which the tenant and platform modules output.
func TestFixedEgress(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")

	sub := m.resources["google_compute_subnetwork.egress"]
	if sub == nil || m.resources["google_compute_network.egress"] == nil {
		t.Fatal("the egress network and subnetwork are missing")
	}
	if v, _ := attrLiteral(sub.Body, "private_ip_google_access"); v != "true" {
		t.Errorf("egress subnet needs private_ip_google_access (the functions reach Google APIs through it)")
	}
	if v := m.variables["egress_cidr"]; v == nil || len(blocks(v.Body, "validation")) == 0 {
		t.Errorf("variable egress_cidr needs a validation (/26 or larger)")
	}
	addr := m.resources["google_compute_address.egress"]
	if addr == nil {
		t.Fatal("google_compute_address.egress (the reserved static address) is missing")
	}
	if typ, _ := attrLiteral(addr.Body, "address_type"); typ != "EXTERNAL" {
		t.Errorf("egress address_type = %q, want EXTERNAL", typ)
	}
	nat := m.resources["google_compute_router_nat.egress"]
	if nat == nil {
		t.Fatal("google_compute_router_nat.egress is missing")
	}
	if v, _ := attrLiteral(nat.Body, "nat_ip_allocate_option"); v != "MANUAL_ONLY" {
		t.Errorf("NAT nat_ip_allocate_option = %q, want MANUAL_ONLY (only the reserved address)", v)
	}
	if a := attr(nat.Body, "nat_ips"); a == nil || !refersTo(a.Expr, "google_compute_address.egress") {
		t.Errorf("NAT nat_ips must be the reserved address")
	}
	if a := attr(block(nat.Body, "subnetwork"), "name"); a == nil || !refersTo(a.Expr, "google_compute_subnetwork.egress") {
		t.Errorf("NAT must serve the egress subnet")
	}

	n := 0
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_cloudfunctions2_function.") {
			continue
		}
		n++
		sc := block(r.Body, "service_config")
		if v, _ := attrLiteral(sc, "direct_vpc_egress"); v != "VPC_EGRESS_ALL_TRAFFIC" {
			t.Errorf("%s: direct_vpc_egress = %q, want VPC_EGRESS_ALL_TRAFFIC (everything leaves from the static address)", key, v)
		}
		ni := block(sc, "direct_vpc_network_interface")
		if a := attr(ni, "subnetwork"); a == nil || !refersTo(a.Expr, "google_compute_subnetwork.egress") {
			t.Errorf("%s: direct_vpc_network_interface must use the egress subnet", key)
		}
		if attr(sc, "vpc_connector") != nil {
			t.Errorf("%s: a VPC connector and Direct VPC egress exclude each other", key)
		}
	}
	if insts, _ := functionInstances(t, newEvaluator(t, m)); n != 1 || len(insts) != len(functions.Entrypoints()) {
		t.Errorf("checked %d function resources with %d instances, want one with %d", n, len(insts), len(functions.Entrypoints()))
	}
	if o := mustOutput(t, m.dir, "egress_ip"); !refersTo(o, "google_compute_address.egress") {
		t.Errorf("output egress_ip must be the reserved address")
	}
	if o := mustOutput(t, "modules/platform", "tenants"); !strings.Contains(string(exprSource(t, o)), "egress_ip") {
		t.Errorf("the platform's tenants output lacks egress_ip")
	}
}

// exprSource returns the source text of an expression.
func exprSource(t *testing.T, e hclsyntax.Expression) []byte {
	t.Helper()
	r := e.Range()
	src, err := os.ReadFile(r.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return src[r.Start.Byte:r.End.Byte]
}

// TestVertexAI: the account, pipeline root and image repository the
// experiments issue will use, with their grants, and nothing for the
// functions' account until code calls Vertex AI.
func TestVertexAI(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	for _, r := range []string{"google_service_account.vertex", "google_storage_bucket.pipelines", "google_artifact_registry_repository.ml"} {
		if m.resources[r] == nil {
			t.Errorf("%s is missing", r)
		}
	}
	if f, _ := attrLiteral(m.resources["google_artifact_registry_repository.ml"].Body, "format"); f != "DOCKER" {
		t.Errorf("repository format = %q, want DOCKER", f)
	}
	grants := map[string]bool{}
	for _, r := range m.resources {
		if !strings.HasSuffix(r.Labels[0], "_iam_member") {
			continue
		}
		if mem := attr(r.Body, "member"); mem != nil && slices.Contains(refs(mem.Expr), "local.vertex_member") {
			roles := []string{}
			if v, ok := attrLiteral(r.Body, "role"); ok {
				roles = append(roles, v)
			} else if fe := attr(r.Body, "for_each"); fe != nil && slices.Contains(refs(attr(r.Body, "role").Expr), "each.value") {
				roles = objectOrSetStrings(t, m, fe)
			} else {
				roles = append(roles, "(computed)")
			}
			for _, role := range roles {
				grants[r.Labels[0]+" "+role] = true
			}
		}
	}
	for _, want := range []string{
		"google_storage_bucket_iam_member roles/storage.objectUser",
		"google_artifact_registry_repository_iam_member roles/artifactregistry.reader",
		"google_bigquery_dataset_iam_member roles/bigquery.dataViewer",
		"google_project_iam_member roles/aiplatform.user",
		"google_project_iam_member roles/bigquery.jobUser",
	} {
		if !grants[want] {
			t.Errorf("the Vertex AI account lacks %s (has %v)", want, grants)
		}
	}
	if o := mustOutput(t, m.dir, "vertex"); !refersTo(o, "google_storage_bucket.pipelines") || !refersTo(o, "google_artifact_registry_repository.ml") {
		t.Errorf("output vertex must name the pipeline root and the repository")
	}
}

// TestAlerts: failed runs, dead letters and function errors are log-based
// metrics with an alert policy each, mailed to var.alert_emails; the log
// messages the filters match are the ones shared/etl writes, and the
// services they read are the deployed functions.
func TestAlerts(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	for _, r := range []string{"google_logging_metric.alert", "google_monitoring_alert_policy.alert", "google_monitoring_notification_channel.email"} {
		if m.resources[r] == nil {
			t.Fatalf("%s is missing", r)
		}
	}
	alerts := objectItems(t, m, m.locals["alerts"].Expr)
	for _, want := range []string{"failed-runs", "dead-letters", "function-errors"} {
		if alerts[want] == nil {
			t.Errorf("local.alerts lacks %s", want)
		}
	}

	// The messages the filters match exist in the code.
	var code strings.Builder
	files, _ := filepath.Glob("../shared/etl/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	msg := regexp.MustCompile(`jsonPayload\.msg(=~|=)\\"\^?([^\\]+)\\"`)
	found := 0
	for name, a := range alerts {
		filter := string(exprSource(t, objectItems(t, m, a)["filter"]))
		for _, mm := range msg.FindAllStringSubmatch(filter, -1) {
			found++
			if !strings.Contains(code.String(), `"`+mm[2]) {
				t.Errorf("alert %s matches log message %q, which shared/etl does not log", name, mm[2])
			}
		}
	}
	if found < 2 {
		t.Errorf("found %d message filters, want the failed-run and dead-letter ones", found)
	}

	// The services the logs come from are the functions.
	var names []string
	for it := newEvaluator(t, m).eval(t, m.locals["function_names"].Expr, nil).ElementIterator(); it.Next(); {
		_, v := it.Element()
		names = append(names, v.AsString())
	}
	var want []string
	for _, ep := range functions.Entrypoints() {
		want = append(want, functionName(ep.Name))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("local.function_names = %v, want the functions %v", names, want)
	}

	p := m.resources["google_monitoring_alert_policy.alert"]
	if a := attr(p.Body, "notification_channels"); a == nil || !refersTo(a.Expr, "google_monitoring_notification_channel.email") {
		t.Errorf("alert policies must notify the e-mail channels")
	}
	ct := block(block(p.Body, "conditions"), "condition_threshold")
	if a := attr(ct, "filter"); a == nil || !refersTo(a.Expr, "google_logging_metric.alert") {
		t.Errorf("alert condition must read the log-based metric")
	}
}

// TestBudget: each tenant project has a monthly budget on the platform's
// billing account that notifies the tenant's alert channels.
func TestBudget(t *testing.T) {
	p := mustModule(t, loadModules(t, "."), "modules/platform")
	b := p.resources["google_billing_budget.tenant"]
	if b == nil {
		t.Fatal("google_billing_budget.tenant is missing")
	}
	if fe := attr(b.Body, "for_each"); fe == nil || !refersTo(fe.Expr, "var.tenants") {
		t.Errorf("budget for_each must be var.tenants")
	}
	if a := attr(block(b.Body, "budget_filter"), "projects"); a == nil || !strings.Contains(string(exprSource(t, a.Expr)), "project_number") {
		t.Errorf("budget_filter.projects must be the tenant's project")
	}
	if a := attr(block(b.Body, "all_updates_rule"), "monitoring_notification_channels"); a == nil || !strings.Contains(string(exprSource(t, a.Expr)), "notification_channels") {
		t.Errorf("budget must notify the tenant's alert channels")
	}
	if len(blocks(b.Body, "threshold_rules"))+len(blocks(b.Body, "dynamic")) < 2 {
		t.Errorf("budget needs threshold rules")
	}
}

// TestFirestoreRecovery: point-in-time recovery and delete protection.
func TestFirestoreRecovery(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	db := m.resources["google_firestore_database.default"]
	if v, _ := attrLiteral(db.Body, "point_in_time_recovery_enablement"); v != "POINT_IN_TIME_RECOVERY_ENABLED" {
		t.Errorf("point_in_time_recovery_enablement = %q", v)
	}
	if v, _ := attrLiteral(db.Body, "delete_protection_state"); v != "DELETE_PROTECTION_ENABLED" {
		t.Errorf("delete_protection_state = %q", v)
	}
}

// labelled are the resource types of the tenant module that take labels,
// and the argument that holds them.
var labelled = map[string]string{
	"google_storage_bucket":                  "labels",
	"google_bigquery_dataset":                "labels",
	"google_pubsub_topic":                    "labels",
	"google_pubsub_subscription":             "labels",
	"google_cloudfunctions2_function":        "labels",
	"google_compute_global_forwarding_rule":  "labels",
	"google_compute_address":                 "labels",
	"google_artifact_registry_repository":    "labels",
	"google_monitoring_alert_policy":         "user_labels",
	"google_monitoring_notification_channel": "user_labels",
}

// TestLabels: every resource that takes labels carries the tenant's
// (app, tenant and the operator's), so costs split by tenant.
func TestLabels(t *testing.T) {
	m := mustModule(t, loadModules(t, "."), "modules/tenant")
	n := 0
	for key, r := range m.resources {
		arg, ok := labelled[r.Labels[0]]
		if !ok {
			continue
		}
		n++
		if a := attr(r.Body, arg); a == nil || !slices.Contains(refs(a.Expr), "local.labels") {
			t.Errorf("%s: %s must be local.labels", key, arg)
		}
	}
	if n < 20 {
		t.Errorf("checked only %d labelled resources", n)
	}
	l := m.locals["labels"]
	if l == nil || !strings.Contains(string(exprSource(t, l.Expr)), "tenant = var.tenant_id") {
		t.Errorf("local.labels must carry tenant = var.tenant_id")
	}
}
