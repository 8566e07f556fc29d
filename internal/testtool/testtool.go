// Package testtool lets tests use the independent tools that judge kyso's
// output (pdfsig, qpdf, openssl, softhsm2...). A missing tool skips the
// test with the reason, except where KYSO_REQUIRE_TOOLS=1 (CI, which
// installs them all): there it fails, so nothing is skipped unnoticed.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of tool or skips (fails under KYSO_REQUIRE_TOOLS).
func Need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if os.Getenv("KYSO_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is required (KYSO_REQUIRE_TOOLS=1) but not installed", tool)
	}
	t.Skipf("%s not installed (apt-get install %s)", tool, Package(tool))
	return ""
}

// Package names the Debian package that has tool.
func Package(tool string) string {
	switch tool {
	case "pdfsig", "pdftotext", "pdftoppm", "pdffonts":
		return "poppler-utils"
	case "mutool":
		return "mupdf-tools"
	case "zbarimg":
		return "zbar-tools"
	case "softhsm2-util":
		return "softhsm2"
	case "pkcs11-tool":
		return "opensc"
	}
	return tool
}

// Run runs tool with args and returns its combined output.
func Run(t testing.TB, tool string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(Need(t, tool), args...).CombinedOutput()
	return string(out), err
}
