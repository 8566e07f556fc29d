package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"math/rand"
	"testing"
)

// digestRanges shares hash state between jobs; it must give exactly what
// hashing each job's ranges on its own gives.
func TestDigestRangesSharedTrunk(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	data := make([]byte, 3*chunkSize+12345)
	rnd.Read(data)
	size := int64(len(data))
	for trial := 0; trial < 50; trial++ {
		var jobs []*digestJob
		for k := 0; k < 1+rnd.Intn(4); k++ {
			a := rnd.Int63n(size)
			b := a + rnd.Int63n(size-a+1)
			c := b + rnd.Int63n(size-b+1)
			j := &digestJob{ranges: [][2]int64{{0, a}, {b, c}}}
			if rnd.Intn(3) == 0 {
				j.ranges = [][2]int64{{0, size}}
			}
			j.want(crypto.SHA256)
			if rnd.Intn(2) == 0 {
				j.want(crypto.SHA512)
			}
			jobs = append(jobs, j)
		}
		if err := digestRanges(context.Background(), bytes.NewReader(data), size, jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			h256, h512 := sha256.New(), sha512.New()
			for _, rg := range j.ranges {
				h256.Write(data[rg[0]:rg[1]])
				h512.Write(data[rg[0]:rg[1]])
			}
			if !bytes.Equal(j.sums[crypto.SHA256], h256.Sum(nil)) {
				t.Fatalf("trial %d: sha256 over %v differs", trial, j.ranges)
			}
			if s, ok := j.sums[crypto.SHA512]; ok && !bytes.Equal(s, h512.Sum(nil)) {
				t.Fatalf("trial %d: sha512 over %v differs", trial, j.ranges)
			}
		}
	}
}
