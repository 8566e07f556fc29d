package archive

import (
	"fmt"
	"strings"

	"github.com/kyso-project/kyso/verify"
)

// basisNote says, for a record's history, what a verdict rested on besides
// the file: the validation policy, the trust anchors and the config file
// (verify.Basis), so a later auditor can tell which rules judged it.
func basisNote(rep *verify.Report) string {
	b := rep.Basis
	if b == nil || b.Policy == nil {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, " under policy %s", b.Policy.Name)
	if b.Policy.SHA256 != "" {
		fmt.Fprintf(&sb, " (sha256 %s)", b.Policy.SHA256)
	}
	switch {
	case len(b.Anchors) > 0:
		fps := make([]string, len(b.Anchors))
		for i, a := range b.Anchors {
			fps[i] = a.SHA256
		}
		fmt.Fprintf(&sb, ", trust anchors sha256 %s", strings.Join(fps, " "))
	case len(b.Trust) > 0:
		fmt.Fprintf(&sb, ", trust %s", strings.Join(b.Trust, " "))
	}
	if b.Config != "" {
		fmt.Fprintf(&sb, ", config %s", b.Config)
	}
	return sanitize(sb.String())
}
