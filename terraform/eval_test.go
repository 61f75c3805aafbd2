package terraform_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// An evaluator evaluates a module's expressions offline, as Terraform would
// plan them for one tenant, without the provider: variables take their
// defaults (a variable without one is the marker string "var.NAME"),
// locals are evaluated, and a resource is an object holding its own
// attributes as evaluated plus, for every attribute the provider computes
// (an id, an e-mail, a URL), a marker string naming it:
// "google_pubsub_topic.dead_letter.id". A resource with for_each is a map
// of such objects by its expanded keys. So a for_each can be expanded and
// each instance's attributes compared with what the Go code expects.
type evaluator struct {
	t   *testing.T
	m   *module
	ctx *hcl.EvalContext
	// paths are the attribute paths referenced under each resource key
	// ("type.name" or "data.type.name"), from the module's traversals.
	paths map[string][][]hcl.Traverser
}

// computedPaths are attributes the provider computes that expressions reach
// through a value (each.value.function.service_config[0].uri) rather than
// a traversal from the resource, so they are not found by walking the
// module's references.
var computedPaths = map[string][]string{
	"google_cloudfunctions2_function": {"id", "name", "service_config[0].uri"},
	"google_pubsub_topic":             {"id", "name"},
}

// evalFuncs are the Terraform functions the evaluated expressions use.
var evalFuncs = map[string]function.Function{
	"lookup":     stdlib.LookupFunc,
	"merge":      stdlib.MergeFunc,
	"jsonencode": stdlib.JSONEncodeFunc,
	"coalesce":   stdlib.CoalesceFunc,
	"concat":     stdlib.ConcatFunc,
	"format":     stdlib.FormatFunc,
	"join":       stdlib.JoinFunc,
	"length":     stdlib.LengthFunc,
	"keys":       stdlib.KeysFunc,
	"values":     stdlib.ValuesFunc,
	"contains":   stdlib.ContainsFunc,
	"lower":      stdlib.LowerFunc,
	"replace":    stdlib.ReplaceFunc,
	"tostring":   stdlib.MakeToFunc(cty.String),
	"tonumber":   stdlib.MakeToFunc(cty.Number),
	"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
}

// reservedRoots are traversal roots that are not resources.
var reservedRoots = []string{"var", "local", "each", "count", "path", "module", "terraform", "self"}

func newEvaluator(t *testing.T, m *module) *evaluator {
	t.Helper()
	e := &evaluator{t: t, m: m, paths: map[string][][]hcl.Traverser{}}
	collect := func(x hclsyntax.Expression) {
		for _, tr := range x.Variables() {
			key, rest := resourceKey(tr)
			if key != "" {
				e.paths[key] = append(e.paths[key], rest)
			}
		}
	}
	for _, set := range []map[string]*hclsyntax.Block{m.resources, m.data, m.calls} {
		for _, b := range set {
			walkExprs(b.Body, collect)
		}
	}
	for _, a := range m.locals {
		collect(a.Expr)
	}

	vars := map[string]cty.Value{}
	for name, v := range m.variables {
		vars[name] = cty.StringVal("var." + name)
		if d := attr(v.Body, "default"); d != nil {
			if val, diags := d.Expr.Value(&hcl.EvalContext{Functions: evalFuncs}); !diags.HasErrors() {
				vars[name] = val
			}
		}
	}
	e.ctx = &hcl.EvalContext{Functions: evalFuncs, Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}

	// Locals and resources refer to each other (a local holding topics, a
	// for_each over that local): evaluate until nothing changes.
	locals := map[string]cty.Value{}
	for range 6 {
		e.ctx.Variables["local"] = cty.ObjectVal(locals)
		e.setResources()
		changed := false
		for name, a := range m.locals {
			v, diags := a.Expr.Value(e.ctx)
			if diags.HasErrors() || !v.IsWhollyKnown() {
				continue
			}
			if old, ok := locals[name]; !ok || !old.RawEquals(v) {
				locals[name], changed = v, true
			}
		}
		if !changed {
			break
		}
	}
	return e
}

// resourceKey splits a traversal into the resource it starts at ("type.name"
// or "data.type.name") and the steps after it; key is "" for variables,
// locals and the like.
func resourceKey(tr hcl.Traversal) (key string, rest []hcl.Traverser) {
	root := tr.RootName()
	if slices.Contains(reservedRoots, root) {
		return "", nil
	}
	n := 2
	if root == "data" {
		n = 3
	}
	if len(tr) < n {
		return "", nil
	}
	parts := []string{root}
	for _, s := range tr[1:n] {
		a, ok := s.(hcl.TraverseAttr)
		if !ok {
			return "", nil
		}
		parts = append(parts, a.Name)
	}
	return strings.Join(parts, "."), tr[n:]
}

// setResources puts every resource and data source into the context.
func (e *evaluator) setResources() {
	byType := map[string]map[string]cty.Value{}
	add := func(typ, name string, v cty.Value) {
		if byType[typ] == nil {
			byType[typ] = map[string]cty.Value{}
		}
		byType[typ][name] = v
	}
	for key, b := range e.m.resources {
		add(b.Labels[0], b.Labels[1], e.resourceValue(key, b))
	}
	data := map[string]map[string]cty.Value{}
	for key, b := range e.m.data {
		if data[b.Labels[0]] == nil {
			data[b.Labels[0]] = map[string]cty.Value{}
		}
		data[b.Labels[0]][b.Labels[1]] = e.resourceValue("data."+key, b)
	}
	for typ, names := range byType {
		e.ctx.Variables[typ] = cty.ObjectVal(names)
	}
	dv := map[string]cty.Value{}
	for typ, names := range data {
		dv[typ] = cty.ObjectVal(names)
	}
	e.ctx.Variables["data"] = cty.ObjectVal(dv)
}

// resourceValue is a resource as expressions see it: one instance, or a
// map of instances by for_each key when for_each can be evaluated yet.
func (e *evaluator) resourceValue(key string, b *hclsyntax.Block) cty.Value {
	fe := attr(b.Body, "for_each")
	if fe == nil {
		return e.instance(key, "", b, cty.NilVal)
	}
	keys, ok := e.forEach(fe.Expr)
	if !ok {
		return cty.DynamicVal
	}
	out := map[string]cty.Value{}
	for k, each := range keys {
		out[k] = e.instance(key, k, b, each)
	}
	return cty.ObjectVal(out)
}

// forEach evaluates a for_each expression to its keys and each values.
func (e *evaluator) forEach(x hclsyntax.Expression) (map[string]cty.Value, bool) {
	v, diags := x.Value(e.ctx)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return nil, false
	}
	out := map[string]cty.Value{}
	switch {
	case v.Type().IsObjectType() || v.Type().IsMapType():
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = ev
		}
	case v.Type().IsSetType():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.Type() != cty.String {
				return nil, false
			}
			out[ev.AsString()] = ev
		}
	default:
		return nil, false
	}
	return out, true
}

// eachCtx is the context with each.key and each.value of one instance.
func (e *evaluator) eachCtx(key string, each cty.Value) *hcl.EvalContext {
	c := e.ctx.NewChild()
	c.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": each})}
	return c
}

// node is a value being built: a leaf, an object, or a list of blocks.
type node struct {
	leaf  *cty.Value
	attrs map[string]*node
	list  []*node
}

func (n *node) value() cty.Value {
	switch {
	case n.leaf != nil:
		return *n.leaf
	case n.list != nil:
		vs := make([]cty.Value, len(n.list))
		for i, c := range n.list {
			vs[i] = c.value()
		}
		return cty.TupleVal(vs)
	}
	vs := map[string]cty.Value{}
	for k, c := range n.attrs {
		vs[k] = c.value()
	}
	return cty.ObjectVal(vs)
}

// instance builds one resource instance (inst is its for_each key, "" for
// a resource without for_each): its attributes evaluated (with each), its
// blocks as lists of objects, and markers for the computed attributes
// expressions reach.
func (e *evaluator) instance(key, inst string, b *hclsyntax.Block, each cty.Value) cty.Value {
	ctx, marker := e.ctx, key
	if each != cty.NilVal {
		ctx, marker = e.eachCtx(inst, each), instanceName(key, inst)
	}
	n := e.bodyNode(b.Body, ctx)
	for _, p := range e.paths[key] {
		if len(p) > 0 && each != cty.NilVal {
			if _, ok := p[0].(hcl.TraverseIndex); ok {
				p = p[1:] // the instance key
			}
		}
		e.mark(n, p, marker)
	}
	typ := b.Labels[0]
	if strings.HasPrefix(key, "data.") {
		typ = ""
	}
	for _, p := range computedPaths[typ] {
		e.mark(n, parsePath(e.t, p), marker)
	}
	return n.value()
}

func (e *evaluator) bodyNode(body *hclsyntax.Body, ctx *hcl.EvalContext) *node {
	n := &node{attrs: map[string]*node{}}
	for name, a := range body.Attributes {
		if name == "for_each" || name == "count" || name == "depends_on" {
			continue
		}
		if v, diags := a.Expr.Value(ctx); !diags.HasErrors() {
			n.attrs[name] = &node{leaf: &v}
		}
	}
	for _, nb := range body.Blocks {
		if nb.Type == "lifecycle" {
			continue
		}
		c := n.attrs[nb.Type]
		if c == nil {
			c = &node{list: []*node{}}
			n.attrs[nb.Type] = c
		}
		c.list = append(c.list, e.bodyNode(nb.Body, ctx))
	}
	return n
}

// mark adds, along path, a marker leaf where n has no value: the string
// naming the attribute (marker + ".a.b", index steps dropped).
func (e *evaluator) mark(n *node, path []hcl.Traverser, marker string) {
	name := marker
	for i, s := range path {
		if n.leaf != nil {
			return // a value of its own (a literal attribute)
		}
		switch s := s.(type) {
		case hcl.TraverseAttr:
			name += "." + s.Name
			c := n.attrs[s.Name]
			if c == nil {
				if n.attrs == nil {
					return // a list: no attributes
				}
				c = &node{attrs: map[string]*node{}}
				if i+1 < len(path) {
					if _, idx := path[i+1].(hcl.TraverseIndex); idx {
						c = &node{list: []*node{}}
					}
				}
				n.attrs[s.Name] = c
			}
			n = c
		case hcl.TraverseIndex:
			if n.list == nil {
				return
			}
			if len(n.list) == 0 {
				n.list = append(n.list, &node{attrs: map[string]*node{}})
			}
			n = n.list[0]
		default:
			return
		}
	}
	if n.leaf == nil && len(n.attrs) == 0 && n.list == nil {
		v := cty.StringVal(name)
		n.leaf = &v
		n.attrs = nil
	}
}

// parsePath parses "a.b[0].c" into traversal steps.
func parsePath(t *testing.T, p string) []hcl.Traverser {
	tr, diags := hclsyntax.ParseTraversalAbs([]byte("x."+p), "", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse path %q: %v", p, diags)
	}
	return tr[1:]
}

// instanceName names an instance of a resource with for_each, as
// Terraform does: type.name["key"].
func instanceName(key, inst string) string { return fmt.Sprintf("%s[%q]", key, inst) }

// eval evaluates x, failing the test on an error.
func (e *evaluator) eval(t *testing.T, x hclsyntax.Expression, ctx *hcl.EvalContext) cty.Value {
	t.Helper()
	if ctx == nil {
		ctx = e.ctx
	}
	v, diags := x.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("evaluate %s: %v", x.Range(), diags)
	}
	return v
}

// expand returns the instances of a resource with for_each: each key with
// the context to evaluate its body in. It fails the test when the
// resource has no for_each that evaluates.
func (e *evaluator) expand(t *testing.T, key string) map[string]*hcl.EvalContext {
	t.Helper()
	b := e.m.resources[key]
	if b == nil {
		t.Fatalf("%s is not declared", key)
	}
	fe := attr(b.Body, "for_each")
	if fe == nil {
		t.Fatalf("%s has no for_each", key)
	}
	keys, ok := e.forEach(fe.Expr)
	if !ok {
		v, diags := fe.Expr.Value(e.ctx)
		t.Fatalf("%s: for_each does not evaluate to a map or set of strings: %#v %v", key, v, diags)
	}
	out := map[string]*hcl.EvalContext{}
	for k, v := range keys {
		out[k] = e.eachCtx(k, v)
	}
	return out
}

// str evaluates x in ctx to a string ("" for null), failing otherwise.
func (e *evaluator) str(t *testing.T, x hclsyntax.Expression, ctx *hcl.EvalContext) string {
	t.Helper()
	v := e.eval(t, x, ctx)
	if v.IsNull() {
		return ""
	}
	if !v.IsKnown() {
		t.Fatalf("%s is not known", x.Range())
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1)
	}
	if v.Type() != cty.String {
		t.Fatalf("%s is a %s, want a string", x.Range(), v.Type().FriendlyName())
	}
	return v.AsString()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
