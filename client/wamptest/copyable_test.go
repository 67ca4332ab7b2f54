package wamptest_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestExamplesImportPublicPackagesOnly: every Example file and every
// example program but the router's imports public packages only, so a
// reader can copy it into another module (examples/router and the SDK's own
// tests may use the internal router).
func TestExamplesImportPublicPackagesOnly(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "internal" || rel == "examples/router" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		example := strings.HasSuffix(rel, "example_test.go") ||
			strings.HasPrefix(rel, "examples/") && !strings.HasSuffix(rel, "_test.go") && strings.HasSuffix(rel, ".go")
		if !example {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/wampkit/wampkit/") && strings.Contains(p+"/", "/internal/") {
				t.Errorf("%s imports %s: a reader cannot copy it", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 8 {
		t.Errorf("checked %d files; the walk missed the examples", checked)
	}
}
