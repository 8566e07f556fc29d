package verify

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// hashAlone hashes a job's ranges on its own, the reference.
func hashAlone(data []byte, alg crypto.Hash, rs [][2]int64) []byte {
	h := newHash(alg)
	for _, rg := range rs {
		h.Write(data[rg[0]:rg[1]])
	}
	return h.Sum(nil)
}

// digestRanges shares hash state between jobs; it must give exactly what
// hashing each job's ranges on its own gives.
func TestDigestRangesSharedTrunk(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	data := make([]byte, 2*chunkSize+12345)
	rnd.Read(data)
	size := int64(len(data))
	for trial := 0; trial < 60; trial++ {
		var jobs []*digestJob
		for k := 0; k < 1+rnd.Intn(6); k++ {
			a := rnd.Int63n(size)
			b := a + rnd.Int63n(size-a+1)
			c := b + rnd.Int63n(size-b+1)
			j := &digestJob{ranges: [][2]int64{{0, a}, {b, c}}}
			switch rnd.Intn(5) {
			case 0:
				j.ranges = [][2]int64{{0, size}}
			case 1:
				if len(jobs) > 0 { // the same ranges as another job
					j.ranges = append([][2]int64(nil), jobs[rnd.Intn(len(jobs))].ranges...)
				}
			case 2:
				if len(jobs) > 0 { // a first range that stops where another's does
					o := jobs[rnd.Intn(len(jobs))].ranges
					j.ranges = [][2]int64{o[0], {o[0][1] + rnd.Int63n(size-o[0][1]+1), size}}
				}
			case 3: // a prefix of the whole file
				j.ranges = [][2]int64{{0, a}, {a, b}}
			}
			j.want(crypto.SHA256)
			if rnd.Intn(2) == 0 {
				j.want(crypto.SHA512)
			}
			if rnd.Intn(6) == 0 {
				j.want(hashSHAKE256)
			}
			jobs = append(jobs, j)
		}
		if _, err := digestRanges(context.Background(), bytes.NewReader(data), size, jobs, 1<<62); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			for _, alg := range j.hashes {
				if !bytes.Equal(j.sums[alg], hashAlone(data, alg, j.ranges)) {
					t.Fatalf("trial %d: %v over %v differs", trial, alg, j.ranges)
				}
			}
		}
	}
}

// zeros is a file of zeros that is never held in memory.
type zeros int64

func (z zeros) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(z) {
		return 0, io.EOF
	}
	n := min(int64(len(p)), int64(z)-off)
	clear(p[:n])
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// manySigJobs is red-team F4: n signatures whose ranges are
// [0 a_i] [b_i size], every b_i different, over a file of size bytes.
func manySigJobs(n int, size int64) []*digestJob {
	var jobs []*digestJob
	for i := 0; i < n; i++ {
		a := int64(1000 + 100*i)
		j := &digestJob{ranges: [][2]int64{{0, a}, {a + 50, size}}}
		j.want(crypto.SHA256)
		jobs = append(jobs, j)
	}
	return jobs
}

// Signatures whose second ranges all run to the end of the file from
// different places cannot share that hashing: the bytes hashed are bounded
// by the budget, and the signatures past it are not hashed, naming the
// limit.
func TestDigestRangesBudget(t *testing.T) {
	const size = 8 << 20
	lim := pdf.DefaultLimits
	budget := hashBudget(lim, size)
	jobs := manySigJobs(1000, size)
	hashed, err := digestRanges(context.Background(), zeros(size), size, jobs, budget)
	if err != nil {
		t.Fatal(err)
	}
	if hashed > budget {
		t.Fatalf("hashed %d bytes, past the budget of %d", hashed, budget)
	}
	done := 0
	for i, j := range jobs {
		var le *pdf.LimitError
		switch {
		case j.over == nil:
			if done != i {
				t.Fatalf("job %d hashed after a job past the budget", i)
			}
			done++
			if j.sums[crypto.SHA256] == nil {
				t.Fatalf("job %d within the budget has no digest", i)
			}
		case !errors.As(j.over, &le) || le.Limit != "MaxHashed":
			t.Fatalf("job %d: %v, not a MaxHashed LimitError", i, j.over)
		case j.sums[crypto.SHA256] != nil:
			t.Fatalf("job %d past the budget has a digest", i)
		}
	}
	// each signature costs about the whole file: the budget's multiple
	if want := int(budget / size); done < want-2 || done > want+2 {
		t.Fatalf("%d signatures hashed, want about %d", done, want)
	}
	t.Logf("%d of %d signatures hashed, %d bytes (budget %d, file %d)", done, len(jobs), hashed, budget, size)
}

// A real document signed 20 times, each signature in its own incremental
// update over a 10 MB scan, and a document timestamp: every one is hashed,
// the first ranges' common start once.
func TestDigestRangesRevisionsWithinBudget(t *testing.T) {
	const scan = 10 << 20
	var jobs []*digestJob
	var want int64
	end := int64(scan)
	for i := 0; i < 21; i++ {
		a := end + 2000 // the update's objects before /Contents
		b := a + 16384
		end = b + 3000
		j := &digestJob{ranges: [][2]int64{{0, a}, {b, end}}}
		j.want(crypto.SHA256)
		if i%2 == 1 {
			j.want(crypto.SHA512)
		}
		jobs = append(jobs, j)
		want += end - (b - a)
	}
	size := end
	whole := &digestJob{ranges: [][2]int64{{0, size}}}
	whole.want(crypto.SHA256)
	jobs = append([]*digestJob{whole}, jobs...)
	hashed, err := digestRanges(context.Background(), zeros(size), size, jobs, hashBudget(pdf.DefaultLimits, size))
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		if j.over != nil || len(j.sums) != len(j.hashes) {
			t.Fatalf("job %d not hashed: %v", i, j.over)
		}
	}
	// Every signature's second range is its own; the first ranges share
	// the scan per algorithm, the whole file's hash shares the SHA-256
	// one's start.
	if hashed >= want+size {
		t.Fatalf("hashed %d bytes, no less than hashing each alone (%d)", hashed, want+size)
	}
	// each algorithm's signatures are prefixes of each other but for the
	// placeholders they skip: about the file once per algorithm, and once
	// more for the whole file's hash (which does not skip them)
	if hashed > 3*size {
		t.Fatalf("hashed %d bytes, more than three times the file (%d)", hashed, size)
	}
	t.Logf("hashed %d bytes for %d signatures over %d bytes", hashed, len(jobs)-1, size)
}

// Identical ranges and ranges that are a prefix of others are hashed once.
func TestDigestRangesShareIdentical(t *testing.T) {
	const size = 4 << 20
	var jobs []*digestJob
	for i := 0; i < 100; i++ {
		j := &digestJob{ranges: [][2]int64{{0, 1000}, {2000, size}}}
		j.want(crypto.SHA256)
		jobs = append(jobs, j)
	}
	p := &digestJob{ranges: [][2]int64{{0, 1000}, {2000, size / 2}}}
	p.want(crypto.SHA256)
	jobs = append(jobs, p)
	hashed, err := digestRanges(context.Background(), zeros(size), size, jobs, size)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(size - 1000); hashed != want {
		t.Fatalf("hashed %d bytes, want %d", hashed, want)
	}
	data := make([]byte, size)
	for _, j := range jobs {
		if j.over != nil || !bytes.Equal(j.sums[crypto.SHA256], hashAlone(data, crypto.SHA256, j.ranges)) {
			t.Fatalf("job over %v: wrong digest (%v)", j.ranges, j.over)
		}
	}
}

// BenchmarkDigestManySignatures is red-team F4 (1000 signatures over 8 MiB)
// under the default budget.
func BenchmarkDigestManySignatures(b *testing.B) {
	const size = 8 << 20
	for b.Loop() {
		jobs := manySigJobs(1000, size)
		if _, err := digestRanges(context.Background(), zeros(size), size, jobs, hashBudget(pdf.DefaultLimits, size)); err != nil {
			b.Fatal(err)
		}
	}
}

// A signature past the hashing budget is not checked: indeterminate, with
// a reason that names the limit.
func TestSignaturePastHashBudget(t *testing.T) {
	jobs := manySigJobs(3, 1<<20)
	if _, err := digestRanges(context.Background(), zeros(1<<20), 1<<20, jobs, 2<<20); err != nil {
		t.Fatal(err)
	}
	s := &sigState{job: jobs[2], hash: crypto.SHA256, evidenceRev: -1}
	if s.job.over == nil {
		t.Fatal("the third signature is within the budget")
	}
	(&verifier{}).checkIntegrity(s)
	s.conclude()
	if s.out.Status != Indeterminate || len(s.out.Reasons) != 1 || !strings.Contains(s.out.Reasons[0], "(kyso's limit MaxHashed)") {
		t.Fatalf("status %s, reasons %q", s.out.Status, s.out.Reasons)
	}
	if len(s.findings) != 1 || s.findings[0].ID != "signed-bytes-were-not-hashed" {
		t.Fatalf("findings %+v", s.findings)
	}
}
