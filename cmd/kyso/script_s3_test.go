package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScriptsS3 runs testdata/script-s3 against the S3 server that
// scripts/test-s3.sh starts on 127.0.0.1 (make test-s3). Without one it
// skips, unless KYSO_REQUIRE_S3=1.
func TestScriptsS3(t *testing.T) {
	ep := os.Getenv("KYSO_TEST_S3_ENDPOINT")
	if ep == "" {
		if os.Getenv("KYSO_REQUIRE_S3") == "1" {
			t.Fatal("KYSO_REQUIRE_S3=1 but no S3 server: run make test-s3")
		}
		t.Skip("no S3 server (KYSO_TEST_S3_ENDPOINT); make test-s3 starts one")
	}
	access, secret := os.Getenv("KYSO_TEST_S3_ACCESS"), os.Getenv("KYSO_TEST_S3_SECRET")
	cl, err := minio.New(strings.TrimPrefix(ep, "http://"), &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	scripts := scriptParams(t)
	scripts.Dir = "testdata/script-s3"
	setup := scripts.Setup
	scripts.Setup = func(env *testscript.Env) error {
		env.Setenv("KYSO_S3_ENDPOINT", ep)
		env.Setenv("KYSO_S3_REGION", "us-east-1")
		env.Setenv("AWS_ACCESS_KEY_ID", access)
		env.Setenv("AWS_SECRET_ACCESS_KEY", secret)
		return setup(env)
	}
	buckets := map[string]string{}
	// s3bucket NAME [lock]: a fresh bucket (with Object Lock); sets $BUCKET.
	scripts.Cmds["s3bucket"] = func(ts *testscript.TestScript, neg bool, args []string) {
		name := fmt.Sprintf("kyso-%s-%d", args[0], time.Now().UnixNano()%1e9)
		lock := len(args) > 1 && args[1] == "lock"
		ts.Check(cl.MakeBucket(context.Background(), name, minio.MakeBucketOptions{ObjectLocking: lock}))
		buckets[args[0]] = name
		ts.Setenv("BUCKET", name)
	}
	// s3put NAME FILE: put FILE into the bucket's h26/ prefix under its
	// SHA-256, as a plain client (or an upload whose commit never came) would.
	scripts.Cmds["s3put"] = func(ts *testscript.TestScript, neg bool, args []string) {
		b, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		sum := sha256.Sum256(b)
		_, err = cl.PutObject(context.Background(), buckets[args[0]], "h26/"+hex.EncodeToString(sum[:]), strings.NewReader(string(b)), int64(len(b)), minio.PutObjectOptions{})
		ts.Check(err)
	}
	testscript.Run(t, scripts)
}
