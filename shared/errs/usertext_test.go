package errs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// userTextFuncs are the constructors whose format is a message for users,
// with the index of that format argument.
var userTextFuncs = map[string]int{"Userf": 1, "Fieldf": 2, "WrapField": 3, "Explain": 1}

// Every message written for users in the module (the format of Userf,
// Fieldf, WrapField and Explain, and the User field of an Error literal)
// is free of Go package prefixes ("etl: ", "docstore: ") and of
// formatting that shows internal values as Go sees them (%v of a struct,
// %T, %#v).
func TestUserTextsAreForUsers(t *testing.T) {
	root := filepath.Join("..", "..")
	pkgs := map[string]bool{}
	var files []string
	for _, dir := range []string{"shared", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") {
				pkgs[filepath.Base(filepath.Dir(p))] = true
				if !strings.HasSuffix(p, "_test.go") {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for n := range pkgs {
		names = append(names, regexp.QuoteMeta(n))
	}
	prefix := regexp.MustCompile(`^(?:` + strings.Join(names, "|") + `): `)
	goVerbs := regexp.MustCompile(`%[+#]v|%T`)
	checked := 0
	check := func(fset *token.FileSet, e ast.Expr, what string) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return // built elsewhere ("%s" of a variable is checked where it is made)
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return
		}
		checked++
		pos := fset.Position(lit.Pos())
		if prefix.MatchString(s) {
			t.Errorf("%s: %s %q starts with a package prefix", pos, what, s)
		}
		if goVerbs.MatchString(s) {
			t.Errorf("%s: %s %q formats a Go value for users", pos, what, s)
		}
	}
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			continue // a file being edited; the build reports it
		}
		inErrs := f.Name.Name == "errs"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "errs" {
						name = fn.Sel.Name
					}
				case *ast.Ident:
					if inErrs {
						name = fn.Name
					}
				}
				if i, ok := userTextFuncs[name]; ok && len(n.Args) > i {
					check(fset, n.Args[i], "errs."+name+" message")
				}
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "errs" {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "User" {
									check(fset, kv.Value, "errs.Error User")
								}
							}
						}
					}
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Errorf("only %d user texts found in %d files: is the walk broken?", checked, len(files))
	}
}
