package verify

import (
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"time"
)

// words of the human-readable verdict, English and Vietnamese.
var words = map[string][2]string{
	"file":               {"File", "Tệp"},
	"signature":          {"Signature", "Chữ ký"},
	"signatures":         {"signatures", "chữ ký"},
	"field":              {"Field", "Trường ký"},
	"kind":               {"Kind", "Loại"},
	"signer":             {"Signer", "Người ký"},
	"issuer":             {"Issuer", "Tổ chức cấp chứng thư"},
	"serial":             {"Serial", "Số hiệu chứng thư"},
	"signing_time":       {"Signing time", "Thời gian ký"},
	"claimed":            {"claimed, not proven", "tự khai, chưa được chứng minh"},
	"timestamp":          {"Timestamp", "Dấu thời gian"},
	"integrity":          {"Integrity", "Toàn vẹn"},
	"validity":           {"Validity", "Hiệu lực chứng thư"},
	"verdict":            {"Verdict", "Kết luận"},
	"level":              {"PAdES level", "Mức PAdES"},
	"covers":             {"Covers", "Phạm vi ký"},
	"modification":       {"Changed after signing", "Thay đổi sau khi ký"},
	"chain":              {"Certificate chain", "Chuỗi chứng thư"},
	"revocation":         {"Revocation", "Thu hồi"},
	"reasons":            {"Reasons", "Lý do"},
	"warnings":           {"Warnings", "Cảnh báo"},
	"errors":             {"Errors", "Lỗi"},
	"revisions":          {"Revision history", "Lịch sử phiên bản"},
	"revision":           {"Revision", "Phiên bản"},
	"end":                {"Ends at byte", "Kết thúc tại byte"},
	"changes":            {"Changes", "Thay đổi"},
	"timestamps":         {"Timestamps", "Các dấu thời gian"},
	"tsa":                {"Timestamp authority", "Đơn vị cấp dấu thời gian"},
	"proves":             {"proves the time", "chứng minh thời gian"},
	"not_proves":         {"does not prove the time", "không chứng minh được thời gian"},
	"sha256":             {"SHA-256", "SHA-256"},
	"size":               {"Size", "Kích thước"},
	"bytes":              {"bytes", "byte"},
	"checked_at":         {"Checked at", "Thời điểm kiểm tra"},
	"report_title":       {"Signature verification report", "Báo cáo kiểm tra chữ ký số"},
	"summary":            {"Summary", "Tổng hợp"},
	"none":               {"none", "không có"},
	"no_timestamp":       {"none", "không có"},
	"Valid":              {"VALID", "HỢP LỆ"},
	"Invalid":            {"INVALID", "KHÔNG HỢP LỆ"},
	"Indeterminate":      {"INDETERMINATE", "CHƯA XÁC ĐỊNH"},
	"valid":              {"valid", "hợp lệ"},
	"invalid":            {"invalid", "không hợp lệ"},
	"indeterminate":      {"indeterminate", "chưa xác định"},
	"intact":             {"intact", "nguyên vẹn"},
	"altered":            {"altered", "đã bị thay đổi"},
	"trusted":            {"trusted", "tin cậy"},
	"untrusted":          {"untrusted", "không tin cậy"},
	"incomplete":         {"incomplete", "chưa đầy đủ"},
	"good":               {"not revoked", "chưa bị thu hồi"},
	"revoked":            {"revoked", "đã bị thu hồi"},
	"unknown":            {"unknown", "không rõ"},
	"whole":              {"the whole document", "toàn bộ tài liệu"},
	"partial":            {"part of the document", "một phần tài liệu"},
	"approval":           {"approval", "phê duyệt"},
	"certification":      {"certification", "chứng nhận"},
	"document-timestamp": {"document timestamp", "dấu thời gian tài liệu"},
	"archival":           {"validation data and timestamps only", "chỉ bổ sung dữ liệu kiểm tra và dấu thời gian"},
	"form-fill":          {"form filling", "điền biểu mẫu"},
	"annotation":         {"annotations", "chú thích"},
	"other":              {"other changes", "thay đổi khác"},
	"kind_signature":     {"signature timestamp", "dấu thời gian của chữ ký"},
	"kind_document":      {"document timestamp", "dấu thời gian tài liệu"},
	"rev_original":       {"original", "bản gốc"},
	"files":              {"files", "tệp"},
}

// Text returns the word for key in lang ("vi" or "en"); unknown keys come
// back as they are.
func Text(lang, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if lang == "vi" {
		return w[1]
	}
	return w[0]
}

// StatusText names a verdict in capitals (Text(lang, "Valid")...).
func StatusText(lang string, s Status) string {
	switch s {
	case Valid:
		return Text(lang, "Valid")
	case Indeterminate:
		return Text(lang, "Indeterminate")
	}
	return Text(lang, "Invalid")
}

// vnZone is Vietnam time, in which the decrees want times shown.
var vnZone = time.FixedZone("+07", 7*3600)

// FormatTime shows t in Vietnam time: "05/03/2025 09:30:45 +07:00" in
// Vietnamese, "2025-03-05 09:30:45 +07:00" in English.
func FormatTime(lang string, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	if lang == "vi" {
		return t.In(vnZone).Format("02/01/2006 15:04:05 -07:00")
	}
	return t.In(vnZone).Format("2006-01-02 15:04:05 -07:00")
}

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
