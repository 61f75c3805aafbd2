package terraform_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// onboard runs scripts/onboard-tenant.sh in DRY_RUN mode (it edits the
// tenants file and prints the commands it would run) against envDir.
func onboard(t *testing.T, envDir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"../scripts/onboard-tenant.sh"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"DRY_RUN=1", "ENV_DIR=" + envDir}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type tenantsFile struct {
	Tenants map[string]struct {
		DisplayName   string `json:"display_name"`
		ProjectID     string `json:"project_id"`
		CreateProject bool   `json:"create_project"`
		WebDomain     string `json:"web_domain"`
	} `json:"tenants"`
}

// TestOnboardTenant: a tenant is one entry of tenants.auto.tfvars.json and
// one run of the script, which applies, bootstraps the tenant and its admin
// and prints the sign-in; a second tenant is another entry; two tenants on
// one project, a new tenant without a domain and bad names are refused.
func TestOnboardTenant(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	env := t.TempDir()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	read := func() tenantsFile {
		t.Helper()
		var f tenantsFile
		data, err := os.ReadFile(filepath.Join(env, "tenants.auto.tfvars.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	admin := "ADMIN_EMAIL=ops@acme.example"

	if out, err := onboard(t, env, []string{admin}, "acme", "acme-recs-prod"); err == nil || !strings.Contains(out, "set WEB_DOMAIN") {
		t.Fatalf("new tenant without WEB_DOMAIN: err %v, output %s", err, out)
	}
	out, err := onboard(t, env, []string{admin, "WEB_DOMAIN=recs.acme.example.com", "DISPLAY_NAME=ACME Supplies", "SKIP_PACKAGE=1"}, "acme", "acme-recs-prod")
	if err != nil {
		t.Fatalf("onboard acme: %v\n%s", err, out)
	}
	for _, want := range []string{
		"terraform -chdir=" + env + " init", "terraform -chdir=" + env + " apply",
		"go -C " + root + " run ./functions/cmd/recs tenant bootstrap -project acme-recs-prod -tenant acme -name ACME\\ Supplies -admin ops@acme.example",
		"gcloud storage rsync " + root + "/static/dist gs://acme-recs-prod-spa", "--exclude=\\^config\\\\.js\\$",
		"Web app:      https://recs.acme.example.com/", "First admin:  ops@acme.example",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f := read()
	if a := f.Tenants["acme"]; a.ProjectID != "acme-recs-prod" || a.WebDomain != "recs.acme.example.com" || a.DisplayName != "ACME Supplies" || a.CreateProject {
		t.Errorf("acme entry = %+v", a)
	}

	// Again: nothing changes.
	if out, err := onboard(t, env, []string{admin, "SKIP_PACKAGE=1"}, "acme", "acme-recs-prod"); err != nil || !strings.Contains(out, "already in the file") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	// A second tenant is one more entry.
	if out, err := onboard(t, env, []string{"ADMIN_EMAIL=it@globex.example", "WEB_DOMAIN=recs.globex.example", "CREATE_PROJECT=1", "SKIP_PACKAGE=1"}, "globex", "globex-recs"); err != nil {
		t.Fatalf("onboard globex: %v\n%s", err, out)
	}
	if f := read(); len(f.Tenants) != 2 || !f.Tenants["globex"].CreateProject || f.Tenants["acme"].ProjectID != "acme-recs-prod" {
		t.Errorf("tenants after the second = %+v", f.Tenants)
	}

	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{admin, "WEB_DOMAIN=x.example"}, []string{"initech", "acme-recs-prod"}, "already belongs to tenant acme"},
		{[]string{admin}, []string{"acme", "other-project"}, "is deployed in project acme-recs-prod"},
		{[]string{admin, "WEB_DOMAIN=x.example"}, []string{"Bad_Name", "some-project"}, "tenant name"},
		{[]string{admin, "WEB_DOMAIN=x.example"}, []string{"initech", "NOPE"}, "is not a Google Cloud project id"},
		{nil, []string{"initech", "initech-recs"}, "set ADMIN_EMAIL"},
		{[]string{admin}, []string{"initech"}, "usage:"},
	} {
		out, err := onboard(t, env, append(tc.env, "ADMIN_EMAIL_UNSET_GUARD=1"), tc.args...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("onboard %v: err %v, want a refusal mentioning %q; output:\n%s", tc.args, err, tc.want, out)
		}
	}
	if f := read(); len(f.Tenants) != 2 {
		t.Errorf("refused runs changed the tenants file: %+v", f.Tenants)
	}
}
