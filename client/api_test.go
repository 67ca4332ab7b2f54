package client_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The public API speaks wampkit's types only: no exported identifier of
// the user-facing packages has a nexus type in its signature, type or
// exported fields (nexus stays an implementation detail; the in-process
// link is reached through client/wamptest).
func TestNoNexusTypeInPublicAPI(t *testing.T) {
	for _, dir := range []string{".", "../callee", "../caller", "../metaclient", "wamptest", "wampotel"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range nexusLeaks(t, path, src) {
				t.Errorf("%s: %s", path, leak)
			}
		}
	}
}

// The check finds a leak where there is one.
func TestNoNexusTypeCheckFindsLeaks(t *testing.T) {
	src := `package p
import nx "github.com/gammazero/nexus/v3/wamp"
type Attacher interface{ Attach(nx.Peer) error }
type T struct{ Opts nx.Dict; hidden nx.List }
func (T) Method() []nx.ID { return nil }
func hidden(nx.Peer) {}
var V nx.URI
`
	got := nexusLeaks(t, "p.go", []byte(src))
	if len(got) != 4 {
		t.Errorf("found %d leaks %v, want Attacher, T.Opts, T.Method and V", len(got), got)
	}
}

// nexusLeaks names the exported declarations of a file that mention a type
// of a nexus package.
func nexusLeaks(t *testing.T, path string, src []byte) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	nexus := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.HasPrefix(p, "github.com/gammazero/nexus/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		nexus[name] = true
	}
	mentions := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && nexus[id.Name] {
					found = true
				}
			}
			return !found
		})
		return found
	}
	var leaks []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) && mentions(d.Type) {
				leaks = append(leaks, "func "+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							if (len(field.Names) == 0 || field.Names[0].IsExported()) && mentions(field.Type) {
								leaks = append(leaks, "field of "+s.Name.Name)
							}
						}
						continue
					}
					if mentions(s.Type) {
						leaks = append(leaks, "type "+s.Name.Name)
					}
				case *ast.ValueSpec:
					if s.Names[0].IsExported() && s.Type != nil && mentions(s.Type) {
						leaks = append(leaks, "var "+s.Names[0].Name)
					}
				}
			}
		}
	}
	return leaks
}

func exportedRecv(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
		case *ast.IndexExpr:
			typ = x.X
		case *ast.IndexListExpr:
			typ = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}
