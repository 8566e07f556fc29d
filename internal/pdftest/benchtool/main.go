// Command benchtool prepares what `make bench` measures: a reproducible
// corpus of scanned-style PDFs, and a TEST PKI whose OCSP responder and
// timestamp authority (with an optional delay, like a distant TSA) run on
// 127.0.0.1 until the process is stopped.
//
//	go run ./internal/pdftest/benchtool corpus -n 200 -o DIR
//	go run ./internal/pdftest/benchtool serve -dir PKI -delay 100ms -url-file F
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/kyso-project/kyso/internal/demo/samples"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/tsp"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool corpus|serve [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "corpus":
		err = corpus(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// corpus writes N files of 1-5 A4 pages at 200 dpi, JPEG like a scanner's
// output in three noise/quality profiles (about 0.3 to 1 MB a page), and
// big-50p.pdf; the same seed gives the same files.
func corpus(args []string) error {
	fs := flag.NewFlagSet("corpus", flag.ExitOnError)
	n := fs.Int("n", 200, "files")
	out := fs.String("o", "bench-corpus", "output folder")
	seed := fs.Int64("s", 42, "seed")
	big := fs.Int("big", 50, "pages of the big scan")
	fs.Parse(args)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	profiles := []struct{ noise, quality int }{{8, 78}, {16, 84}, {26, 88}}
	rnd := rand.New(rand.NewSource(*seed))
	type job struct {
		name string
		doc  samples.Doc
	}
	var jobs []job
	for i := 0; i < *n; i++ {
		p := profiles[rnd.Intn(len(profiles))]
		d := samples.Demo()[rnd.Intn(len(samples.Demo()))]
		d.Pages, d.Seed, d.JPEG, d.Noise = 1+rnd.Intn(5), *seed*10000+int64(i), p.quality, p.noise
		jobs = append(jobs, job{fmt.Sprintf("scan-%04d.pdf", i+1), d})
	}
	bd := samples.Demo()[2]
	bd.Pages, bd.Seed, bd.JPEG, bd.Noise = *big, *seed, 84, 16
	jobs = append(jobs, job{fmt.Sprintf("big-%dp.pdf", *big), bd})
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	work := make(chan job)
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				b, err := samples.Rendered(j.doc)
				if err == nil {
					err = os.WriteFile(filepath.Join(*out, j.name), b, 0o644)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

// serve writes a TEST PKI into -dir and serves its OCSP, CRLs and a TSA on
// 127.0.0.1 until SIGINT/SIGTERM; the base URL goes to -url-file.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "bench-pki", "PKI folder")
	delay := fs.Duration("delay", 0, "TSA answer delay")
	urlFile := fs.String("url-file", "", "write the base URL here")
	fs.Parse(args)
	_, base, stop, err := testpki.Start(testpki.Options{Dir: *dir}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain(), Delay: *delay}
	})
	if err != nil {
		return err
	}
	defer stop()
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(base), 0o644); err != nil {
			return err
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	time.Sleep(10 * time.Millisecond)
	return nil
}
