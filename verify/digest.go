package verify

import (
	"context"
	"crypto"
	"hash"
	"io"
	"sync"
)

// digestJob asks for the digests of the bytes in ranges ([start, end)
// pairs, in order) with each of hashes.
type digestJob struct {
	ranges [][2]int64
	hashes []crypto.Hash
	sums   map[crypto.Hash][]byte
	hs     []hash.Hash
}

func (j *digestJob) want(h crypto.Hash) {
	for _, x := range j.hashes {
		if x == h {
			return
		}
	}
	j.hashes = append(j.hashes, h)
}

const chunkSize = 1 << 20

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// digestRanges reads the file once, front to back, and feeds every byte to
// the hashes of each job whose ranges hold it: each signature's signed bytes
// are hashed exactly once, and nothing is held but one chunk.
func digestRanges(ctx context.Context, ra io.ReaderAt, size int64, jobs []*digestJob) error {
	lo, hi := size, int64(0)
	for _, j := range jobs {
		j.sums = map[crypto.Hash][]byte{}
		j.hs = j.hs[:0]
		for _, h := range j.hashes {
			if hashOK(h) {
				j.hs = append(j.hs, newHash(h))
			}
		}
		for _, rg := range j.ranges {
			lo = min(lo, rg[0])
			hi = max(hi, min(rg[1], size))
		}
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	for off := lo; off < hi; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(int64(len(buf)), hi-off))
		m, err := ra.ReadAt(buf[:n], off)
		if m < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		chunk := buf[:n]
		for _, j := range jobs {
			for _, rg := range j.ranges {
				s, e := max(rg[0], off), min(rg[1], off+int64(n))
				if s >= e {
					continue
				}
				for _, h := range j.hs {
					h.Write(chunk[s-off : e-off])
				}
			}
		}
		off += int64(n)
	}
	for _, j := range jobs {
		k := 0
		for _, h := range j.hashes {
			if hashOK(h) {
				j.sums[h] = j.hs[k].Sum(nil)
				k++
			}
		}
		j.hs = nil
	}
	return nil
}
