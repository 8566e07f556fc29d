package verify

import (
	"crypto/x509/pkix"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"
	"time"
)

// FormatTime shows t in Vietnam time: "05/03/2025 09:30:45 +07:00" in
// Vietnamese, "2025-03-05 09:30:45 +07:00" in English ("—" for none).
func FormatTime(lang string, t *time.Time) string {
	if t == nil {
		return "—"
	}
	return i18n.New(lang).Time(*t)
}

// englishWord is the English name of a Report value (a change class...),
// which the catalogue translates.
func englishWord(k string) string { return wordKey(k) }

// ShortName is the common name of a distinguished name as Signature.Signer
// holds it (pkix.Name String form), or the name whole if it has none.
func ShortName(dn string) string {
	for _, part := range splitDN(dn) {
		if v, ok := strings.CutPrefix(part, "CN="); ok {
			return v
		}
	}
	return dn
}

// splitDN splits an RFC 4514 string at unescaped commas.
func splitDN(dn string) []string {
	var parts []string
	var cur strings.Builder
	esc := false
	for _, r := range dn {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ',':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String())
}

// attrNames are the short names of the attribute types found in signer
// names; Go's pkix knows only some.
var attrNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
	"2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.97": "organizationIdentifier", "0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.1": "UID",
}

// formatDN writes a distinguished name as RFC 4514 does (most specific
// first), with string values shown as text rather than hex.
func formatDN(n pkix.Name) string {
	var sb strings.Builder
	for i := len(n.Names) - 1; i >= 0; i-- {
		a := n.Names[i]
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		k, ok := attrNames[a.Type.String()]
		if !ok {
			k = a.Type.String()
		}
		sb.WriteString(k)
		sb.WriteByte('=')
		v, isStr := a.Value.(string)
		if !isStr {
			v = fmt.Sprint(a.Value)
		}
		for _, r := range v {
			if strings.ContainsRune(",+\"\\<>;=", r) {
				sb.WriteByte('\\')
			}
			sb.WriteRune(r)
		}
	}
	if sb.Len() == 0 {
		return n.String()
	}
	return sanitize(sb.String())
}
