// Package importcheck lets a package's tests pin which of this module's
// packages it may import (the layering of docs/architecture: leaves stay
// leaves, decorators never reach into what they decorate).
package importcheck

import (
	"go/build"
	"strings"
	"testing"
)

// Module is this module's import path, with the trailing slash.
const Module = "github.com/rtcengine/rtcengine/"

// Only fails t for every package of this module that the package in the
// current directory (a test's working directory) imports, other than
// allowed (paths inside the module, such as "internal/trtc").
func Only(t testing.TB, allowed ...string) {
	t.Helper()
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[Module+a] = true
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, Module) && !ok[imp] {
			t.Errorf("package %s imports %s", pkg.Name, imp)
		}
	}
}
