package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
)

func TestSecretSource(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	notTTY, err := os.Open(write("stdin", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer notTTY.Close()
	t.Setenv("KYSO_TEST_SECRET", "từ env")
	t.Setenv("KYSO_TEST_EMPTY", "")

	tests := []struct {
		name   string
		src    SecretSource
		want   string
		kind   fail.Kind // of the error; KindNone = success
		inErr  string
		remedy fail.Remedy
	}{
		{name: "env", src: SecretSource{Env: "KYSO_TEST_SECRET"}, want: "từ env"},
		{name: "env wins over file", src: SecretSource{Env: "KYSO_TEST_SECRET", File: write("f0", "file\n")}, want: "từ env"},
		{name: "env empty", src: SecretSource{Env: "KYSO_TEST_EMPTY"}, kind: fail.KindUsage, inErr: "KYSO_TEST_EMPTY"},
		{name: "env unset", src: SecretSource{Env: "KYSO_TEST_UNSET_XYZ", What: "PIN"}, kind: fail.KindUsage, inErr: "PIN"},
		{name: "file newline", src: SecretSource{File: write("f1", "s3cret\n")}, want: "s3cret"},
		{name: "file crlf", src: SecretSource{File: write("f2", "s3cret\r\n")}, want: "s3cret"},
		{name: "file first line only", src: SecretSource{File: write("f3", "line1\nline2\n")}, want: "line1"},
		{name: "file no newline", src: SecretSource{File: write("f4", " spaces kept ")}, want: " spaces kept "},
		{name: "file missing", src: SecretSource{File: filepath.Join(dir, "missing")}, kind: fail.KindUsage, inErr: "missing"},
		{name: "no source, no terminal", src: SecretSource{Stdin: notTTY}, kind: fail.KindUsage, remedy: fail.RemedyPasswordNoTerminal},
		{name: "no PIN source, no terminal", src: SecretSource{Stdin: notTTY, What: "PIN"}, kind: fail.KindUsage, remedy: fail.RemedyPINNoTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.src.Read()
			if tt.kind == fail.KindNone {
				if err != nil || string(got) != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || fail.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want kind %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.inErr) || fail.RemedyOf(err) != tt.remedy {
				t.Errorf("error %q remedy %v; want %q / %v", err, fail.RemedyOf(err), tt.inErr, tt.remedy)
			}
		})
	}
}
