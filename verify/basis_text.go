package verify

import (
	"fmt"
	"sort"
	"strings"
)

func init() {
	for k, w := range map[string][2]string{
		"basis":           {"Basis of the verdicts", "Căn cứ kiểm tra"},
		"config":          {"Configuration file", "Tệp cấu hình"},
		"trust_anchors":   {"Trust anchors", "Chứng thư gốc tin cậy"},
		"system_roots":    {"the system's root certificates", "chứng thư gốc của hệ thống"},
		"policy":          {"Validation policy", "Chính sách kiểm tra"},
		"signed_metadata": {"Signed TTHC metadata", "Thông tin TTHC đã ký"},
		"findings":        {"Findings", "Kết quả phát hiện"},
		"warning":         {"warning", "cảnh báo"},
	} {
		words[k] = w
	}
}

// basisOf is the Basis of a run: the same for every report of it.
func basisOf(reports []*Report) *Basis {
	for _, r := range reports {
		if r.Basis != nil {
			return r.Basis
		}
	}
	return nil
}

// describeDigests renders a policy's digests: "sha-256, sha-1 (until 2009-08-01 without proof)".
func describeDigests(p *Policy) string {
	names := make([]string, 0, len(p.Digests))
	for k := range p.Digests {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if s := p.Digests[k]; s != "" {
			names[i] = fmt.Sprintf("%s (sunset %s)", k, s)
		}
	}
	return strings.Join(names, ", ")
}
