// Command s3cp copies files into an S3 bucket with minio-go's PutObject,
// several at once: the plain client that scripts/bench-s3.sh measures kyso's
// ingest into an object store against. Endpoint and keys come from
// KYSO_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
//
//	s3cp [-j 4] [-mkbucket] s3://bucket/prefix FILE...
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	jobs := flag.Int("j", 4, "uploads at once")
	mk := flag.Bool("mkbucket", false, "create the bucket first (and nothing else)")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: s3cp [-j N] [-mkbucket] s3://bucket/prefix FILE...")
		os.Exit(2)
	}
	dst, err := url.Parse(flag.Arg(0))
	if err != nil || dst.Scheme != "s3" {
		fmt.Fprintln(os.Stderr, "s3cp: destination must be s3://bucket/prefix")
		os.Exit(2)
	}
	ep, _ := url.Parse(os.Getenv("KYSO_S3_ENDPOINT"))
	cl, err := minio.New(ep.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Secure: ep.Scheme == "https", Region: "us-east-1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3cp:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if *mk {
		if err := cl.MakeBucket(ctx, dst.Host, minio.MakeBucketOptions{ObjectLocking: os.Getenv("S3CP_LOCK") == "1"}); err != nil {
			fmt.Fprintln(os.Stderr, "s3cp:", err)
			os.Exit(1)
		}
		return
	}
	prefix := strings.Trim(dst.Path, "/")
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	sem := make(chan struct{}, *jobs)
	for _, p := range flag.Args()[1:] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f, err := os.Open(p)
			if err == nil {
				var fi os.FileInfo
				if fi, err = f.Stat(); err == nil {
					_, err = cl.PutObject(ctx, dst.Host, prefix+"/"+filepath.Base(p), f, fi.Size(), minio.PutObjectOptions{})
				}
				f.Close()
			}
			if err != nil {
				mu.Lock()
				failed++
				fmt.Fprintf(os.Stderr, "s3cp: %s: %v\n", p, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(1)
	}
}
