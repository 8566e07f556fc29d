package main

import (
	"bytes"
	"context"
	"github.com/kyso-project/kyso/internal/i18n"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/sign"
)

// The PDF report is the HTML document printed by headless Chromium: it lays
// out Vietnamese text, tables and SVG as any browser shows them, with the
// system's fonts (Liberation Serif stands in for Times New Roman).

// chromiumNames are the names a Chromium-based browser has on PATH.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "msedge", "chrome"}

// findChromium returns $KYSO_CHROMIUM, else the first browser on PATH, else
// one in the usual Windows and macOS places.
func findChromium() (string, error) {
	if p := os.Getenv("KYSO_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fail.Run(i18n.Errorf("KYSO_CHROMIUM %s: %v", p, fileutil.UnwrapPath(err)), "")
		}
		return p, nil
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	var places []string
	switch runtime.GOOS {
	case "windows":
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)", "LocalAppData"} {
			if d := os.Getenv(env); d != "" {
				places = append(places, filepath.Join(d, `Google\Chrome\Application\chrome.exe`), filepath.Join(d, `Microsoft\Edge\Application\msedge.exe`))
			}
		}
	case "darwin":
		places = append(places, "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium")
	}
	for _, p := range places {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fail.Run(i18n.Errorf("no Chromium, Chrome or Edge found to print the PDF report"),
		"install one (Debian: apt-get install chromium) or set KYSO_CHROMIUM to its path; or use --format html and print it from a browser")
}

// printPDF prints an HTML page to PDF with headless Chromium, in a
// temporary folder that is removed afterwards. Chromium gets a filtered
// environment (childEnv), without the variables named in secretEnv.
func printPDF(ctx context.Context, html []byte, secretEnv ...string) ([]byte, error) {
	browser, err := findChromium()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kyso-report-")
	if err != nil {
		return nil, fail.Run(err, "")
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "report.html")
	out := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		return nil, fail.Run(err, "")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-crash-reporter", "--user-data-dir=" + filepath.Join(dir, "profile"),
		"--no-pdf-header-footer", "--print-to-pdf=" + out}
	if runtime.GOOS == "linux" && os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to run as root with its sandbox
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(page)}
	if runtime.GOOS == "windows" {
		u.Path = "/" + u.Path
	}
	cmd := exec.CommandContext(ctx, browser, append(args, u.String())...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	// no profile, cache or crash files left in the user's home; no secret
	// of kyso's environment handed to the browser
	cmd.Env = childEnv(secretEnv, "HOME="+dir)
	runErr := cmd.Run()
	pdf, err := os.ReadFile(out)
	if err != nil || len(pdf) < 5 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		msg := bytes.TrimSpace(stderr.Bytes())
		if len(msg) > 600 {
			msg = msg[len(msg)-600:]
		}
		return nil, fail.Run(i18n.Errorf("printing the report with %s failed (%v): %s", browser, runErr, msg), "")
	}
	return pdf, nil
}

// reportSigner signs the PDF report with the unit's key.
type reportSigner struct {
	key *keys.Key
	tsa []string
}

func openReportSigner(ctx context.Context, g *globalOptions, k *keyFlags, tsa []string) (*reportSigner, error) {
	key, err := k.load(ctx, g)
	if err != nil {
		return nil, err
	}
	if err := checkKeyUsable(key, nil); err != nil {
		if key.Close != nil {
			key.Close()
		}
		return nil, err
	}
	return &reportSigner{key: key, tsa: tsa}, nil
}

func (s *reportSigner) Close() {
	if s.key.Close != nil {
		s.key.Close()
	}
}

// signTo signs pdf (invisibly: the document's own signature block is the
// visible part) and writes the signed file to out, which is complete or
// absent.
func (s *reportSigner) signTo(ctx context.Context, pdf []byte, out string) error {
	dir, err := os.MkdirTemp("", "kyso-report-")
	if err != nil {
		return fail.Run(err, "")
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return fail.Run(err, "")
	}
	opts := sign.BatchOptions{Options: sign.Options{Key: s.key, Level: sign.LevelBB, Force: true}, Jobs: 1}
	if len(s.tsa) > 0 {
		opts.Level, opts.TSA = sign.LevelBT, &tsp.Client{URLs: s.tsa}
	}
	var res *sign.Result
	if err := sign.Batch(ctx, []sign.Job{{Input: in, Output: out}}, opts, func(r *sign.Result) { res = r }); err != nil {
		return err
	}
	if res == nil || res.Status != sign.StatusSigned {
		reason := "no result"
		if res != nil {
			reason = res.Error
		}
		return fail.Run(i18n.Errorf("signing the report %s: %s", out, reason), "")
	}
	return nil
}
