// Package terraform_test checks the Terraform configuration offline.
// `terraform validate` needs the google provider, which cannot be downloaded
// here, so these tests parse every .tf file with HCL and check the structure
// that matters: every function of functions.Entrypoints() is deployed with
// the right entry point and trigger, nothing else is deployed, references
// resolve, and the buckets, dataset and topics the functions use exist.
package terraform_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/functions"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/scheduler/cloudscheduler"
)

// module is one directory of .tf files.
type module struct {
	dir       string
	variables map[string]*hclsyntax.Block
	locals    map[string]*hclsyntax.Attribute
	resources map[string]*hclsyntax.Block // "type.name"
	data      map[string]*hclsyntax.Block // "type.name"
	calls     map[string]*hclsyntax.Block // module calls by name
}

func newModule(dir string) *module {
	return &module{
		dir:       dir,
		variables: map[string]*hclsyntax.Block{},
		locals:    map[string]*hclsyntax.Attribute{},
		resources: map[string]*hclsyntax.Block{},
		data:      map[string]*hclsyntax.Block{},
		calls:     map[string]*hclsyntax.Block{},
	}
}

// loadModules parses every .tf file under root and groups the top-level
// blocks by directory. Any parse diagnostic fails the test.
func loadModules(t *testing.T, root string) map[string]*module {
	t.Helper()
	p := hclparse.NewParser()
	mods := map[string]*module{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir // .terraform
		}
		if d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return nil
		}
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() || len(diags) > 0 {
			t.Errorf("%s: %s", path, diags.Error())
			return nil
		}
		dir := filepath.Dir(path)
		m := mods[dir]
		if m == nil {
			m = newModule(dir)
			mods[dir] = m
		}
		body := f.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			key := strings.Join(b.Labels, ".")
			var dst map[string]*hclsyntax.Block
			switch b.Type {
			case "variable":
				dst = m.variables
			case "resource":
				dst = m.resources
			case "data":
				dst = m.data
			case "module":
				dst = m.calls
			case "locals":
				for name, a := range b.Body.Attributes {
					if _, dup := m.locals[name]; dup {
						t.Errorf("%s: local %q declared twice", path, name)
					}
					m.locals[name] = a
				}
				continue
			default:
				continue
			}
			if _, dup := dst[key]; dup {
				t.Errorf("%s: %s %q declared twice", path, b.Type, key)
			}
			dst[key] = b
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	if len(mods) == 0 {
		t.Fatalf("no .tf files under %s", root)
	}
	return mods
}

func mustModule(t *testing.T, mods map[string]*module, dir string) *module {
	t.Helper()
	m := mods[filepath.Clean(dir)]
	if m == nil {
		t.Fatalf("module %s not found", dir)
	}
	return m
}

// attr returns the attribute name of body, or nil.
func attr(b *hclsyntax.Body, name string) *hclsyntax.Attribute {
	if b == nil {
		return nil
	}
	return b.Attributes[name]
}

// blocks returns the nested blocks of body with the given type.
func blocks(b *hclsyntax.Body, typ string) []*hclsyntax.Block {
	if b == nil {
		return nil
	}
	var out []*hclsyntax.Block
	for _, nb := range b.Blocks {
		if nb.Type == typ {
			out = append(out, nb)
		}
	}
	return out
}

// block returns the single nested block of type typ, or nil.
func block(b *hclsyntax.Body, typ string) *hclsyntax.Body {
	bs := blocks(b, typ)
	if len(bs) == 0 {
		return nil
	}
	return bs[0].Body
}

// literal evaluates an expression that has no references (a literal or a
// template without interpolations) to a string; ok is false otherwise.
func literal(e hclsyntax.Expression) (string, bool) {
	if e == nil || len(e.Variables()) > 0 {
		return "", false
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), true
	case cty.Bool:
		return strconv.FormatBool(v.True()), true
	}
	return "", false
}

func attrLiteral(b *hclsyntax.Body, name string) (string, bool) {
	a := attr(b, name)
	if a == nil {
		return "", false
	}
	return literal(a.Expr)
}

// traversalPath renders a traversal as "root.attr.attr" (index steps
// dropped), e.g. "google_storage_bucket.drop.name".
func traversalPath(tr hcl.Traversal) string {
	parts := []string{tr.RootName()}
	for _, s := range tr[1:] {
		if a, ok := s.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// refs lists the traversals an expression refers to, rendered by
// traversalPath.
func refs(e hclsyntax.Expression) []string {
	var out []string
	for _, tr := range e.Variables() {
		out = append(out, traversalPath(tr))
	}
	return out
}

// refersTo reports whether e refers to the resource "type.name" (any of its
// attributes).
func refersTo(e hclsyntax.Expression, resource string) bool {
	for _, r := range refs(e) {
		if r == resource || strings.HasPrefix(r, resource+".") {
			return true
		}
	}
	return false
}

// objectItems resolves an expression to an object's items: an object
// constructor, a reference to a local holding one, or merge(...) of those.
func objectItems(t *testing.T, m *module, e hclsyntax.Expression) map[string]hclsyntax.Expression {
	t.Helper()
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		out := map[string]hclsyntax.Expression{}
		for _, it := range x.Items {
			k, ok := objectKey(it.KeyExpr)
			if !ok {
				t.Errorf("%s: object key is not a literal at %s", m.dir, it.KeyExpr.Range())
				continue
			}
			out[k] = it.ValueExpr
		}
		return out
	case *hclsyntax.ScopeTraversalExpr:
		p := traversalPath(x.Traversal)
		name, ok := strings.CutPrefix(p, "local.")
		if !ok {
			t.Errorf("%s: cannot resolve %s to an object", m.dir, p)
			return nil
		}
		a := m.locals[name]
		if a == nil {
			t.Errorf("%s: local.%s is not declared", m.dir, name)
			return nil
		}
		return objectItems(t, m, a.Expr)
	case *hclsyntax.FunctionCallExpr:
		if x.Name != "merge" {
			break
		}
		out := map[string]hclsyntax.Expression{}
		for _, arg := range x.Args {
			for k, v := range objectItems(t, m, arg) {
				out[k] = v
			}
		}
		return out
	}
	t.Errorf("%s: cannot resolve expression at %s to an object", m.dir, e.Range())
	return nil
}

func objectKey(e hclsyntax.Expression) (string, bool) {
	if k, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		if name := hcl.ExprAsKeyword(k.Wrapped); name != "" && !k.ForceNonLiteral {
			return name, true
		}
		return literal(k.Wrapped)
	}
	return literal(e)
}

// walkExprs calls fn for every attribute expression in body, recursively.
func walkExprs(b *hclsyntax.Body, fn func(hclsyntax.Expression)) {
	for _, a := range b.Attributes {
		fn(a.Expr)
	}
	for _, nb := range b.Blocks {
		walkExprs(nb.Body, fn)
	}
}

// TestParseAndReferences parses every .tf file and checks that every var.,
// local., resource, data and module reference resolves inside its module.
func TestParseAndReferences(t *testing.T) {
	mods := loadModules(t, ".")
	for _, m := range mods {
		check := func(e hclsyntax.Expression) {
			for _, tr := range e.Variables() {
				p := traversalPath(tr)
				parts := strings.Split(p, ".")
				root := parts[0]
				switch {
				case root == "var":
					if len(parts) < 2 || m.variables[parts[1]] == nil {
						t.Errorf("%s: %s at %s: variable not declared", m.dir, p, tr.SourceRange())
					}
				case root == "local":
					if len(parts) < 2 || m.locals[parts[1]] == nil {
						t.Errorf("%s: %s at %s: local not declared", m.dir, p, tr.SourceRange())
					}
				case root == "module":
					if len(parts) < 2 || m.calls[parts[1]] == nil {
						t.Errorf("%s: %s at %s: module not declared", m.dir, p, tr.SourceRange())
					}
				case root == "data":
					if len(parts) < 3 || m.data[parts[1]+"."+parts[2]] == nil {
						t.Errorf("%s: %s at %s: data source not declared", m.dir, p, tr.SourceRange())
					}
				case strings.HasPrefix(root, "google_") || root == "terraform_data":
					if len(parts) < 2 || m.resources[root+"."+parts[1]] == nil {
						t.Errorf("%s: %s at %s: resource not declared", m.dir, p, tr.SourceRange())
					}
				}
			}
		}
		for _, blocks := range []map[string]*hclsyntax.Block{m.resources, m.data, m.calls, m.variables} {
			for _, b := range blocks {
				walkExprs(b.Body, check)
			}
		}
		for _, a := range m.locals {
			check(a.Expr)
		}
	}
}

// TestModuleCalls checks every module call against the called module's
// variables: no unknown arguments, no missing required ones.
func TestModuleCalls(t *testing.T) {
	mods := loadModules(t, ".")
	meta := map[string]bool{"source": true, "version": true, "for_each": true, "count": true, "depends_on": true, "providers": true}
	calls := 0
	for _, m := range mods {
		for name, call := range m.calls {
			src, ok := attrLiteral(call.Body, "source")
			if !ok || !strings.HasPrefix(src, ".") {
				t.Errorf("%s: module %q: source must be a local path, got %q", m.dir, name, src)
				continue
			}
			callee := mustModule(t, mods, filepath.Join(m.dir, src))
			calls++
			for arg := range call.Body.Attributes {
				if !meta[arg] && callee.variables[arg] == nil {
					t.Errorf("%s: module %q passes %q, which %s does not declare", m.dir, name, arg, callee.dir)
				}
			}
			for v, vb := range callee.variables {
				if attr(vb.Body, "default") == nil && call.Body.Attributes[v] == nil {
					t.Errorf("%s: module %q does not pass required variable %q of %s", m.dir, name, v, callee.dir)
				}
			}
		}
	}
	if calls < 2 {
		t.Errorf("want the example env to call platform and platform to call tenant, found %d module calls", calls)
	}
}

// functionResource is the one resource that declares the tenant's Cloud
// Functions, with for_each over the entry points.
const functionResource = "google_cloudfunctions2_function.function"

// functionInstances expands the functions' for_each: Cloud Function name
// => the context its body evaluates in, and the entry point it deploys.
func functionInstances(t *testing.T, e *evaluator) (map[string]*hcl.EvalContext, map[string]string) {
	t.Helper()
	for key := range e.m.resources {
		if strings.HasPrefix(key, "google_cloudfunctions2_function.") && key != functionResource {
			t.Errorf("%s: declare every function as an instance of %s (for_each over local.functions), not as a resource of its own", key, functionResource)
		}
	}
	insts := e.expand(t, functionResource)
	r := e.m.resources[functionResource]
	byEntry := map[string]string{}
	for _, name := range sortedKeys(insts) {
		ep := e.str(t, attr(block(r.Body, "build_config"), "entry_point").Expr, insts[name])
		if prev, dup := byEntry[ep]; dup {
			t.Errorf("entry point %q deployed twice (%s and %s)", ep, prev, name)
		}
		byEntry[ep] = name
	}
	return insts, byEntry
}

// TestTenantFunctionsMatchEntrypoints is the contract between
// functions/entrypoints.go and modules/tenant: the functions' for_each,
// expanded, deploys exactly the entry points, each as the Go table says.
func TestTenantFunctionsMatchEntrypoints(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	e := newEvaluator(t, m)
	insts, byEntry := functionInstances(t, e)

	want := map[string]bool{}
	for _, ep := range functions.Entrypoints() {
		want[ep.Name] = true
		t.Run(ep.Name, func(t *testing.T) {
			name, ok := byEntry[ep.Name]
			if !ok {
				t.Fatalf("no instance of %s has build_config.entry_point = %q", functionResource, ep.Name)
			}
			checkFunction(t, e, ep, name, insts[name])
		})
	}
	for ep, name := range byEntry {
		if !want[ep] {
			t.Errorf("%s deploys entry point %q, which functions.Entrypoints() does not list", instanceName(functionResource, name), ep)
		}
	}
	if len(insts) != len(functions.Entrypoints()) {
		t.Errorf("%d functions deployed, want the %d entry points", len(insts), len(functions.Entrypoints()))
	}
}

// Function names are the entry point lower-cased with dashes (API -> api,
// FileDropped -> file-dropped).
func functionName(entry string) string {
	var b strings.Builder
	for i, r := range entry {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(entry[i-1] >= 'A' && entry[i-1] <= 'Z') {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func checkFunction(t *testing.T, e *evaluator, ep functions.Entrypoint, name string, ctx *hcl.EvalContext) {
	body := e.m.resources[functionResource].Body
	str := func(b *hclsyntax.Body, attrName string) string {
		t.Helper()
		a := attr(b, attrName)
		if a == nil {
			return ""
		}
		return e.str(t, a.Expr, ctx)
	}
	if got := str(body, "name"); got != functionName(ep.Name) || name != got {
		t.Errorf("name = %q (instance %q), want %q", got, name, functionName(ep.Name))
	}
	if str(body, "description") == "" {
		t.Errorf("no description")
	}
	bc := block(body, "build_config")
	if got := str(bc, "runtime"); got != e.str(t, attr(e.m.variables["go_runtime"].Body, "default").Expr, nil) {
		t.Errorf("build_config.runtime = %q, want var.go_runtime", got)
	}
	ss := block(block(bc, "source"), "storage_source")
	if ss == nil {
		t.Errorf("build_config.source.storage_source missing")
	} else {
		if a := attr(ss, "bucket"); a == nil || !refersTo(a.Expr, "google_storage_bucket.sources") {
			t.Errorf("storage_source.bucket must refer to google_storage_bucket.sources")
		}
		if attr(ss, "object") == nil {
			t.Errorf("storage_source.object missing")
		}
	}

	sc := block(body, "service_config")
	if sc == nil {
		t.Fatalf("service_config missing")
	}
	if got, want := str(sc, "service_account_email"), "google_service_account.functions.email"; got != want {
		t.Errorf("service_config.service_account_email = %q, want the functions runtime account (%s)", got, want)
	}
	timeout, err := strconv.Atoi(str(sc, "timeout_seconds"))
	if err != nil || timeout <= 0 {
		t.Errorf("service_config.timeout_seconds = %q, want a positive number", str(sc, "timeout_seconds"))
	}
	if str(sc, "available_memory") == "" {
		t.Errorf("service_config must set available_memory")
	}
	if n, err := strconv.Atoi(str(sc, "max_instance_count")); err != nil || n < 1 {
		t.Errorf("service_config.max_instance_count = %q, want at least 1", str(sc, "max_instance_count"))
	}
	envExpr := attr(sc, "environment_variables")
	if envExpr == nil {
		t.Errorf("service_config.environment_variables missing")
	} else {
		checkEnv(t, e.m, objectItems(t, e.m, envExpr.Expr))
	}

	// Eventarc triggers make their own subscriptions, which cannot have a
	// dead-letter policy: event functions are fed by the push
	// subscriptions checked in TestEventDeliveries instead.
	if triggers := blocks(body, "event_trigger"); len(triggers) != 0 {
		t.Errorf("function has an event_trigger (an Eventarc subscription has no dead-letter policy); feed it from a push subscription in deliveries.tf")
	}
	ingress := str(sc, "ingress_settings")
	if ep.Trigger == functions.TriggerHTTP {
		if ingress != "ALLOW_INTERNAL_AND_GCLB" {
			t.Errorf("ingress_settings = %q, want ALLOW_INTERNAL_AND_GCLB (only through the web app's load balancer)", ingress)
		}
		return
	}
	// Event functions run at most 540 s on Cloud Functions gen2.
	if timeout > 540 {
		t.Errorf("timeout_seconds = %d, want at most 540 for an event function", timeout)
	}
	if ingress != "ALLOW_INTERNAL_ONLY" {
		t.Errorf("ingress_settings = %q, want ALLOW_INTERNAL_ONLY (Pub/Sub push in the project is internal)", ingress)
	}
	switch ep.Trigger {
	case functions.TriggerGCS:
		if ep.EventType != "google.cloud.storage.object.v1.finalized" || ep.Topic == "" {
			t.Errorf("entry point table: GCS event type %q, topic %q", ep.EventType, ep.Topic)
		}
	case functions.TriggerPubSub:
		if ep.EventType != "google.cloud.pubsub.topic.v1.messagePublished" || ep.Topic == "" {
			t.Errorf("entry point table: Pub/Sub event type %q, topic %q", ep.EventType, ep.Topic)
		}
	default:
		t.Errorf("unknown trigger kind %q", ep.Trigger)
	}
}

// soleRef returns the one "type.name" resource an expression refers to.
func soleRef(t *testing.T, e hclsyntax.Expression) string {
	t.Helper()
	rs := refs(e)
	if len(rs) != 1 {
		t.Errorf("expression at %s refers to %v, want one resource", e.Range(), rs)
		return ""
	}
	parts := strings.Split(rs[0], ".")
	if len(parts) < 2 {
		return rs[0]
	}
	return parts[0] + "." + parts[1]
}

// TestEventDeliveries: every event function of functions.Entrypoints() is
// fed by exactly one push subscription, on its topic, pushing to its URL as
// the trigger account, with a retry policy and a dead-letter policy; the
// drop bucket's notifications feed FileDropped; deliveries given up on go to
// the dead-letter topic the DeadLettered function reads (its own to a topic
// kept for an operator); Pub/Sub's service agent may forward them.
func TestEventDeliveries(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	r := m.resources["google_pubsub_subscription.push"]
	if r == nil {
		t.Fatal("google_pubsub_subscription.push (the event functions' push subscriptions) is not declared")
	}

	// The resource: each item's function and topic, and the policies.
	body := r.Body
	if a := attr(body, "name"); a == nil || !slices.Contains(refs(a.Expr), "each.key") {
		t.Errorf("push subscription name must be each.key (the function's name: dead letters name their subscription)")
	}
	if a := attr(body, "topic"); a == nil || !slices.Contains(refs(a.Expr), "each.value.topic.id") {
		t.Errorf("push subscription topic must be each.value.topic.id")
	}
	pc := block(body, "push_config")
	if a := attr(pc, "push_endpoint"); a == nil || !slices.Contains(refs(a.Expr), "each.value.function.service_config.uri") ||
		!slices.Contains(refs(a.Expr), "each.value.topic.name") {
		t.Errorf("push_endpoint must be the function's URL with the /projects/P/topics/T path the functions framework reads the topic from")
	}
	oidc := block(pc, "oidc_token")
	if a := attr(oidc, "service_account_email"); a == nil || !refersTo(a.Expr, "google_service_account.trigger") {
		t.Errorf("push_config.oidc_token must sign as the trigger account")
	}
	if a := attr(oidc, "audience"); a == nil || !slices.Contains(refs(a.Expr), "each.value.function.service_config.uri") {
		t.Errorf("push_config.oidc_token.audience must be the function's URL")
	}
	dlp := block(body, "dead_letter_policy")
	if a := attr(dlp, "dead_letter_topic"); a == nil || !slices.Contains(refs(a.Expr), "each.value.dead_letter.id") {
		t.Errorf("every push subscription needs dead_letter_policy.dead_letter_topic = each.value.dead_letter.id")
	}
	if a := attr(dlp, "max_delivery_attempts"); a == nil || !refersTo(a.Expr, "var.max_delivery_attempts") {
		t.Errorf("dead_letter_policy.max_delivery_attempts must be var.max_delivery_attempts")
	}
	if v := m.variables["max_delivery_attempts"]; v == nil || len(blocks(v.Body, "validation")) == 0 {
		t.Errorf("variable max_delivery_attempts must exist with a validation (Pub/Sub accepts 5 to 100)")
	}
	rp := block(body, "retry_policy")
	if _, ok := attrLiteral(rp, "minimum_backoff"); !ok {
		t.Errorf("push subscriptions need a retry_policy with a backoff")
	}
	if ack, _ := attrLiteral(body, "ack_deadline_seconds"); ack != "600" {
		t.Errorf("ack_deadline_seconds = %q, want 600 (longer than an event function may run)", ack)
	}

	// Any other subscription that pushes somewhere needs the same.
	for key, sr := range m.resources {
		if strings.HasPrefix(key, "google_pubsub_subscription.") && key != "google_pubsub_subscription.push" &&
			block(sr.Body, "push_config") != nil && block(sr.Body, "dead_letter_policy") == nil {
			t.Errorf("%s pushes without a dead-letter policy", key)
		}
	}

	// The instances, expanded: one per event function, on its topic.
	e := newEvaluator(t, m)
	push := e.expand(t, "google_pubsub_subscription.push")
	_, byEntry := functionInstances(t, e)
	str := func(b *hclsyntax.Body, name string, ctx *hcl.EvalContext) string {
		t.Helper()
		if a := attr(b, name); a != nil {
			return e.str(t, a.Expr, ctx)
		}
		return ""
	}
	covered := map[string]bool{}
	deadLetterTopic := topicResource(t, m, eventschemas.TopicDeadLetter)
	deadLetterTopics := map[string]bool{} // where some subscription's dead letters go
	recorder := ""
	for _, ep := range functions.Entrypoints() {
		if ep.Trigger == functions.TriggerHTTP {
			if _, ok := push[functionName(ep.Name)]; ok {
				t.Errorf("%s is an HTTP function but has a push subscription", ep.Name)
			}
			continue
		}
		name := functionName(ep.Name)
		covered[name] = true
		ctx, ok := push[name]
		if !ok {
			t.Errorf("%s: no push subscription %q (google_pubsub_subscription.push has %v)", ep.Name, name, sortedKeys(push))
			continue
		}
		if byEntry[ep.Name] != name {
			t.Errorf("%s: deployed as function %q, but its push subscription is %q", ep.Name, byEntry[ep.Name], name)
		}
		fn := instanceName(functionResource, name)
		topic := topicResource(t, m, ep.Topic)
		if got := str(body, "name", ctx); got != name {
			t.Errorf("%s: subscription name = %q, want %q", ep.Name, got, name)
		}
		if got, want := str(body, "topic", ctx), topic+".id"; got != want {
			t.Errorf("%s: push subscription reads %s, want %s (named %q)", ep.Name, got, want, ep.Topic)
		}
		if got, want := str(pc, "push_endpoint", ctx), fn+".service_config.uri/projects/var.project_id/topics/"+ep.Topic; got != want {
			t.Errorf("%s: push_endpoint = %q, want %q", ep.Name, got, want)
		}
		if got, want := str(oidc, "audience", ctx), fn+".service_config.uri"; got != want {
			t.Errorf("%s: OIDC audience = %q, want %q", ep.Name, got, want)
		}
		if got, want := str(oidc, "service_account_email", ctx), "google_service_account.trigger.email"; got != want {
			t.Errorf("%s: push tokens signed as %q, want %q", ep.Name, got, want)
		}
		dl, _ := strings.CutSuffix(str(dlp, "dead_letter_topic", ctx), ".id")
		deadLetterTopics[dl] = true
		switch {
		case ep.DeadLetters:
			recorder = name
			if topic != deadLetterTopic {
				t.Errorf("%s records dead letters but reads %s, want %s", ep.Name, topic, deadLetterTopic)
			}
			if dl == deadLetterTopic || m.resources[dl] == nil {
				t.Errorf("%s: its own dead letters go to %s; want another declared topic (not its own, a loop)", ep.Name, dl)
			}
			checkKeptForOperator(t, m, dl)
		case dl != deadLetterTopic:
			t.Errorf("%s: dead letters go to %s, want %s (read by the dead-letter recorder)", ep.Name, dl, deadLetterTopic)
		}
		if ep.Trigger == functions.TriggerGCS {
			checkNotification(t, m, ep, topic)
		}
	}
	if recorder == "" {
		t.Errorf("no entry point records dead letters")
	}
	for key := range push {
		if !covered[key] {
			t.Errorf("push subscription %q feeds no event function of functions.Entrypoints()", key)
		}
	}

	// IAM: Pub/Sub's service agent publishes to every dead-letter topic,
	// acknowledges on every push subscription, and signs the push tokens;
	// the trigger account invokes every event function.
	agent := func(e hclsyntax.Expression) bool { return slices.Contains(refs(e), "local.pubsub_service_agent") }
	publishers := map[string]bool{}
	for key, ir := range m.resources {
		if !strings.HasPrefix(key, "google_pubsub_topic_iam_member.") {
			continue
		}
		if role, _ := attrLiteral(ir.Body, "role"); role == "roles/pubsub.publisher" && agent(attr(ir.Body, "member").Expr) {
			publishers[soleRef(t, attr(ir.Body, "topic").Expr)] = true
		}
	}
	for _, dl := range sortedKeys(deadLetterTopics) {
		if !publishers[dl] {
			t.Errorf("Pub/Sub's service agent may not publish to the dead-letter topic %s", dl)
		}
	}
	forEachPush := func(key, role string) {
		ir := m.resources[key]
		if ir == nil {
			t.Errorf("%s is not declared", key)
			return
		}
		if fe := attr(ir.Body, "for_each"); fe == nil || !refersTo(fe.Expr, "local.push_subscriptions") {
			t.Errorf("%s must have for_each = local.push_subscriptions", key)
		}
		if got, _ := attrLiteral(ir.Body, "role"); got != role {
			t.Errorf("%s role = %q, want %s", key, got, role)
		}
	}
	forEachPush("google_pubsub_subscription_iam_member.push_dead_letter_subscriber", "roles/pubsub.subscriber")
	if ir := m.resources["google_pubsub_subscription_iam_member.push_dead_letter_subscriber"]; ir != nil && !agent(attr(ir.Body, "member").Expr) {
		t.Errorf("the subscriber role on the push subscriptions must go to Pub/Sub's service agent")
	}
	forEachPush("google_cloud_run_v2_service_iam_member.trigger_invoker", "roles/run.invoker")
	if ir := m.resources["google_cloud_run_v2_service_iam_member.trigger_invoker"]; ir != nil && !slices.Contains(refs(attr(ir.Body, "member").Expr), "local.trigger_member") {
		t.Errorf("run.invoker on the event functions must go to the trigger account")
	}
	tokens := m.resources["google_service_account_iam_member.pubsub_push_tokens"]
	if tokens == nil || !refersTo(attr(tokens.Body, "service_account_id").Expr, "google_service_account.trigger") || !agent(attr(tokens.Body, "member").Expr) {
		t.Errorf("Pub/Sub's service agent needs roles/iam.serviceAccountTokenCreator on the trigger account (push OIDC tokens)")
	}
	if a := m.locals["pubsub_service_agent"]; a == nil || !slices.Contains(refs(a.Expr), "data.google_project.tenant.number") {
		t.Errorf("local.pubsub_service_agent must be service-<project number>@gcp-sa-pubsub")
	}
}

// checkNotification: the bucket of a storage entry point notifies its
// topic of finalized objects, with the object resource as payload, and
// Cloud Storage's service agent may publish there.
func checkNotification(t *testing.T, m *module, ep functions.Entrypoint, topic string) {
	t.Helper()
	bucket := "google_storage_bucket." + ep.Bucket
	if m.resources[bucket] == nil {
		t.Fatalf("%s (the %q bucket) is not declared", bucket, ep.Bucket)
	}
	found := false
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_storage_notification.") || !refersTo(attr(r.Body, "bucket").Expr, bucket) {
			continue
		}
		found = true
		if !refersTo(attr(r.Body, "topic").Expr, topic) {
			t.Errorf("%s notifies %v, want %s", key, refs(attr(r.Body, "topic").Expr), topic)
		}
		if pf, _ := attrLiteral(r.Body, "payload_format"); pf != "JSON_API_V1" {
			t.Errorf("%s payload_format = %q, want JSON_API_V1 (the handler reads the object resource)", key, pf)
		}
		if et := objectOrSetStrings(t, m, attr(r.Body, "event_types")); !slices.Equal(et, []string{"OBJECT_FINALIZE"}) {
			t.Errorf("%s event_types = %v, want [OBJECT_FINALIZE]", key, et)
		}
	}
	if !found {
		t.Errorf("no google_storage_notification on %s for %s", bucket, ep.Name)
	}
	ok := false
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_pubsub_topic_iam_member.") && refersTo(attr(r.Body, "topic").Expr, topic) &&
			refersTo(attr(r.Body, "member").Expr, "data.google_storage_project_service_account.gcs") {
			if role, _ := attrLiteral(r.Body, "role"); role == "roles/pubsub.publisher" {
				ok = true
			}
		}
	}
	if !ok {
		t.Errorf("Cloud Storage's service agent needs roles/pubsub.publisher on %s", topic)
	}
}

// checkKeptForOperator: a topic has a pull subscription that keeps its
// messages (nothing is published to a topic without subscriptions).
func checkKeptForOperator(t *testing.T, m *module, topic string) {
	t.Helper()
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_pubsub_subscription.") && key != "google_pubsub_subscription.push" &&
			refersTo(attr(r.Body, "topic").Expr, topic) && block(r.Body, "push_config") == nil {
			return
		}
	}
	t.Errorf("%s has no pull subscription keeping its messages for an operator", topic)
}

// TestSweeperSchedule: the Cloud Scheduler job that runs the sweeper is the
// job etl.SweeperJob describes, with the attributes the cloudscheduler
// driver gives its jobs (evaluated for a tenant).
func TestSweeperSchedule(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	r := m.resources["google_cloud_scheduler_job.run_sweeper"]
	if r == nil {
		t.Fatal("google_cloud_scheduler_job.run_sweeper is not declared")
	}
	const tenant = "acme"
	want, err := etl.SweeperJob(tenant, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{"tenant_id": cty.StringVal(tenant)}),
	}}
	eval := func(e hclsyntax.Expression) cty.Value {
		v, diags := e.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("evaluate %s: %v", e.Range(), diags)
		}
		return v
	}
	if got := eval(attr(r.Body, "name").Expr).AsString(); got != tenant+"-"+want.Name {
		t.Errorf("name = %q, want %q (the cloudscheduler driver's <tenant>-<name>)", got, tenant+"-"+want.Name)
	}
	if tz, _ := attrLiteral(r.Body, "time_zone"); tz != want.TimeZone {
		t.Errorf("time_zone = %q, want %q", tz, want.TimeZone)
	}
	if a := attr(r.Body, "schedule"); a == nil || !refersTo(a.Expr, "var.sweep_schedule") {
		t.Errorf("schedule must be var.sweep_schedule")
	}
	if v := m.variables["sweep_schedule"]; v == nil {
		t.Errorf("variable sweep_schedule missing")
	} else if def, _ := attrLiteral(v.Body, "default"); def != want.Cron {
		t.Errorf("sweep_schedule default = %q, want %q (etl.DefaultSweepCron)", def, want.Cron)
	}
	pt := block(r.Body, "pubsub_target")
	if a := attr(pt, "topic_name"); a == nil || !refersTo(a.Expr, topicResource(t, m, want.Topic)) {
		t.Errorf("pubsub_target.topic_name must be the topic named %q", want.Topic)
	}
	attrs := map[string]string{}
	for k, e := range objectItems(t, m, attr(pt, "attributes").Expr) {
		attrs[k] = eval(e).AsString()
	}
	wantAttrs := cloudscheduler.Attributes(want)
	if len(attrs) != len(wantAttrs) {
		t.Errorf("attributes = %v, want %v", attrs, wantAttrs)
	}
	for k, v := range wantAttrs {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
	// data = base64encode(jsonencode({...})): the object must be the job's data.
	data, ok := attr(pt, "data").Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || data.Name != "base64encode" || len(data.Args) != 1 {
		t.Fatalf("pubsub_target.data must be base64encode(jsonencode({...}))")
	}
	inner, ok := data.Args[0].(*hclsyntax.FunctionCallExpr)
	if !ok || inner.Name != "jsonencode" || len(inner.Args) != 1 {
		t.Fatalf("pubsub_target.data must be base64encode(jsonencode({...}))")
	}
	obj := eval(inner.Args[0])
	var got map[string]string
	if err := json.Unmarshal(want.Data, &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range got {
		if !obj.Type().HasAttribute(k) || obj.GetAttr(k).AsString() != v {
			t.Errorf("data.%s = %v, want %q", k, obj, v)
		}
	}
	if n := len(obj.Type().AttributeTypes()); n != len(got) {
		t.Errorf("data has %d fields, want %d (%s)", n, len(got), want.Data)
	}
	// Cloud Scheduler publishes as its service agent (no grant of ours):
	// the job must not claim to run as an account.
	if pt != nil && attr(pt, "service_account_email") != nil {
		t.Errorf("pubsub_target has no service account: Cloud Scheduler publishes as its service agent")
	}
}

// topicResource returns "google_pubsub_topic.X" whose name is the literal
// name.
func topicResource(t *testing.T, m *module, name string) string {
	t.Helper()
	var found []string
	for key, r := range m.resources {
		if !strings.HasPrefix(key, "google_pubsub_topic.") {
			continue
		}
		if n, _ := attrLiteral(r.Body, "name"); n == name {
			found = append(found, key)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one google_pubsub_topic named %q, got %v", name, found)
	}
	return found[0]
}

// checkEnv checks the B2B_* variables every function gets: present, and each
// URL built from the resource or variable it names.
func checkEnv(t *testing.T, m *module, env map[string]hclsyntax.Expression) {
	type want struct {
		prefix string   // literal start of the template
		refs   []string // references it must contain
	}
	wants := map[string]want{
		"B2B_MODE":           {"cloud", nil},
		"B2B_PROJECT":        {"", []string{"var.project_id"}},
		"B2B_DROP_BUCKET":    {"", []string{"google_storage_bucket.drop.name"}},
		"B2B_STAGING_BUCKET": {"", []string{"google_storage_bucket.staging.name"}},
		"B2B_TENANT_ID":      {"", []string{"var.tenant_id"}},
		"B2B_CONFIG_URL":     {"firestore://", []string{"var.project_id"}},
		"B2B_WAREHOUSE_URL":  {"bigquery://", []string{"var.project_id", "var.region"}},
		"B2B_DROP_URL":       {"gs://", []string{"google_storage_bucket.drop.name"}},
		"B2B_STAGING_URL":    {"gs://", []string{"google_storage_bucket.staging.name"}},
		"B2B_ARTIFACTS_URL":  {"gs://", []string{"google_storage_bucket.artifacts.name"}},
		"B2B_EVENTS_URL":     {"pubsub://", []string{"var.project_id"}},
		"B2B_SECRETS_URL":    {"secretmanager://", []string{"var.project_id"}},
		"B2B_SCHEDULER_URL":  {"cloudscheduler://", []string{"var.project_id", "var.region"}},
		"B2B_AUTH_MODE":      {"identity-platform", nil},
	}
	names := make([]string, 0, len(wants))
	for k := range wants {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		w := wants[k]
		e, ok := env[k]
		if !ok {
			t.Errorf("environment variable %s not set", k)
			continue
		}
		got := refs(e)
		for _, r := range w.refs {
			if !slices.Contains(got, r) {
				t.Errorf("%s refers to %v, want it to use %s", k, got, r)
			}
		}
		if w.refs == nil {
			if v, ok := literal(e); !ok || v != w.prefix {
				t.Errorf("%s = %q, want literal %q", k, v, w.prefix)
			}
			continue
		}
		if w.prefix == "" {
			continue
		}
		tmpl, ok := e.(*hclsyntax.TemplateExpr)
		if !ok || len(tmpl.Parts) == 0 {
			t.Errorf("%s must be a string template", k)
			continue
		}
		if lit, _ := literal(tmpl.Parts[0]); lit != w.prefix {
			t.Errorf("%s starts with %q, want %q", k, lit, w.prefix)
		}
	}
	if tmpl, ok := env["B2B_WAREHOUSE_URL"].(*hclsyntax.TemplateExpr); ok {
		src := ""
		for _, p := range tmpl.Parts {
			if s, ok := literal(p); ok {
				src += s
			}
		}
		if !strings.Contains(src, "?location=") {
			t.Errorf("B2B_WAREHOUSE_URL lacks ?location=")
		}
	}
}

// TestTenantResources checks the storage, warehouse and messaging resources
// the functions rely on.
func TestTenantResources(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")

	ds := 0
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_bigquery_dataset.") {
			if id, _ := attrLiteral(r.Body, "dataset_id"); id == "raw_data" {
				ds++
			}
		}
	}
	if ds != 1 {
		t.Errorf("want one google_bigquery_dataset with dataset_id raw_data, got %d", ds)
	}

	for _, role := range []string{"drop", "staging", "artifacts", "spa"} {
		r := m.resources["google_storage_bucket."+role]
		if r == nil {
			t.Errorf("google_storage_bucket.%s missing", role)
			continue
		}
		if v, _ := attrLiteral(r.Body, "uniform_bucket_level_access"); v != "true" {
			t.Errorf("google_storage_bucket.%s: uniform_bucket_level_access must be true", role)
		}
		name := attr(r.Body, "name")
		if name == nil || !slices.Contains(refs(name.Expr), "var.project_id") {
			t.Errorf("google_storage_bucket.%s: name must include var.project_id (globally unique)", role)
		}
	}
	if st := m.resources["google_storage_bucket.staging"]; st != nil {
		ok := false
		for _, lr := range blocks(st.Body, "lifecycle_rule") {
			cond := block(lr.Body, "condition")
			if typ, _ := attrLiteral(block(lr.Body, "action"), "type"); typ == "Delete" && attr(cond, "age") != nil {
				ok = true
				// Rejected rows (rejects/) are kept as long as their run.
				var prefixes []string
				if p := attr(cond, "matches_prefix"); p != nil {
					if tup, ok := p.Expr.(*hclsyntax.TupleConsExpr); ok {
						for _, e := range tup.Exprs {
							if v, ok := literal(e); ok {
								prefixes = append(prefixes, v)
							}
						}
					}
				}
				if !slices.Equal(prefixes, []string{"runs/"}) {
					t.Errorf("staging bucket's lifecycle_rule deletes %v: it must delete only staged parts (matches_prefix = [\"runs/\"]), not the rejects files", prefixes)
				}
			}
		}
		if !ok {
			t.Errorf("staging bucket needs a lifecycle_rule deleting by age")
		}
	}
	if spa := m.resources["google_storage_bucket.spa"]; spa != nil {
		w := block(spa.Body, "website")
		for _, a := range []string{"main_page_suffix", "not_found_page"} {
			if v, _ := attrLiteral(w, a); v != "index.html" {
				t.Errorf("spa website.%s = %q, want index.html", a, v)
			}
		}
	}

	for _, name := range []string{"etl-run-requested", "etl-load-requested", "etl-run-finished"} {
		topicResource(t, m, name)
	}
	dl := false
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_pubsub_subscription.") && refersTo(attr(r.Body, "topic").Expr, "google_pubsub_topic.dead_letter") {
			dl = true
		}
	}
	if m.resources["google_pubsub_topic.dead_letter"] == nil || !dl {
		t.Errorf("want a dead-letter topic with a subscription")
	}

	fs := 0
	for key, r := range m.resources {
		if strings.HasPrefix(key, "google_firestore_database.") {
			fs++
			if n, _ := attrLiteral(r.Body, "name"); n != "(default)" {
				t.Errorf("%s name = %q, want (default)", key, n)
			}
			if typ, _ := attrLiteral(r.Body, "type"); typ != "FIRESTORE_NATIVE" {
				t.Errorf("%s type = %q, want FIRESTORE_NATIVE", key, typ)
			}
		}
	}
	if fs != 1 {
		t.Errorf("want one google_firestore_database, got %d", fs)
	}

	for _, sa := range []string{"functions", "trigger"} {
		if m.resources["google_service_account."+sa] == nil {
			t.Errorf("google_service_account.%s missing", sa)
		}
	}
	if m.data["google_storage_project_service_account.gcs"] == nil {
		t.Errorf("the GCS service agent (data google_storage_project_service_account) is not looked up")
	}

	services := objectOrSetStrings(t, m, m.locals["services"])
	for _, s := range []string{"cloudfunctions", "run", "pubsub", "firestore", "bigquery", "secretmanager", "cloudscheduler", "cloudbuild", "artifactregistry", "storage", "identitytoolkit", "aiplatform"} {
		if !slices.Contains(services, s+".googleapis.com") {
			t.Errorf("service %s.googleapis.com is not enabled", s)
		}
	}
}

// objectOrSetStrings returns the literal strings of toset([...]) or [...].
func objectOrSetStrings(t *testing.T, m *module, a *hclsyntax.Attribute) []string {
	t.Helper()
	if a == nil {
		t.Errorf("%s: local not found", m.dir)
		return nil
	}
	e := a.Expr
	if fc, ok := e.(*hclsyntax.FunctionCallExpr); ok && fc.Name == "toset" && len(fc.Args) == 1 {
		e = fc.Args[0]
	}
	tc, ok := e.(*hclsyntax.TupleConsExpr)
	if !ok {
		t.Errorf("%s: %s is not a list literal", m.dir, a.Name)
		return nil
	}
	var out []string
	for _, x := range tc.Exprs {
		if s, ok := literal(x); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestGoRuntimeMatchesGoMod keeps the functions' runtime in step with the
// go directive of go.mod (go 1.26.x -> go126).
func TestGoRuntimeMatchesGoMod(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(gomod)
	if match == nil {
		t.Fatal("no go directive in go.mod")
	}
	want := "go" + string(match[1]) + string(match[2])
	v := m.variables["go_runtime"]
	if v == nil {
		t.Fatal("variable go_runtime missing")
	}
	if got, _ := attrLiteral(v.Body, "default"); got != want {
		t.Errorf("go_runtime default = %q, want %q (go.mod says go %s.%s)", got, want, match[1], match[2])
	}
}

// TestFmt runs `terraform fmt -check -recursive` when terraform is on PATH.
func TestFmt(t *testing.T) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not on PATH")
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "fmt", "-check", "-recursive", "-no-color", ".")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("terraform fmt -check -recursive: %v\nfiles to format:\n%s", err, out.String())
	}
}

// TestFirestoreIndexes: the config store's composite queries (runs of a job
// and runs by status, newest first) have indexes, on the collection group
// the firestore driver stores runs in (the document kind).
func TestFirestoreIndexes(t *testing.T) {
	mods := loadModules(t, ".")
	m := mustModule(t, mods, "modules/tenant")
	if m.resources["google_firestore_index.config"] == nil {
		t.Fatal("google_firestore_index.config missing")
	}
	a := m.locals["firestore_indexes"]
	if a == nil {
		t.Fatal("local.firestore_indexes missing")
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("local.firestore_indexes is not a literal: %v", diags)
	}
	got := map[string]bool{}
	for it := v.ElementIterator(); it.Next(); {
		_, idx := it.Element()
		var fields []string
		for fit := idx.GetAttr("fields").ElementIterator(); fit.Next(); {
			_, f := fit.Element()
			fields = append(fields, f.Index(cty.NumberIntVal(0)).AsString()+" "+f.Index(cty.NumberIntVal(1)).AsString())
		}
		got[idx.GetAttr("collection").AsString()+": "+strings.Join(fields, ", ")] = true
	}
	for _, want := range []string{
		etl.KindRun + ": job_id ASCENDING, created_at DESCENDING",
		etl.KindRun + ": status ASCENDING, created_at DESCENDING",
	} {
		if !got[want] {
			t.Errorf("missing Firestore index %q (have %v)", want, got)
		}
	}
}
