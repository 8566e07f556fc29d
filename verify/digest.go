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
// are hashed once, and nothing is held but one chunk. Jobs whose ranges
// start at 0 with the same algorithm (every signature, and the whole-file
// hash) share one hash state up to the first point where they part, so a
// signed scan costs one hashing pass, not one per signature.
func digestRanges(ctx context.Context, ra io.ReaderAt, size int64, jobs []*digestJob) error {
	lo, hi := size, int64(0)
	var streams []*stream
	own := map[*digestJob][]*stream{}
	for _, j := range jobs {
		j.sums = map[crypto.Hash][]byte{}
		for _, h := range j.hashes {
			if hashOK(h) {
				st := &stream{alg: h, h: newHash(h), ranges: j.ranges}
				streams = append(streams, st)
				own[j] = append(own[j], st)
			}
		}
		for _, rg := range j.ranges {
			lo = min(lo, rg[0])
			hi = max(hi, min(rg[1], size))
		}
	}
	trunks := shareTrunks(streams)
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
		end := off + int64(n)
		for _, t := range trunks {
			if err := t.feed(chunk, off, end); err != nil {
				return err
			}
		}
		for _, st := range streams {
			for _, rg := range st.ranges {
				s, e := max(rg[0], off, st.from), min(rg[1], end)
				if s < e {
					st.h.Write(chunk[s-off : e-off])
				}
			}
		}
		off = end
	}
	for _, j := range jobs {
		for _, st := range own[j] {
			j.sums[st.alg] = st.h.Sum(nil)
		}
	}
	return nil
}

// stream is one hash over one job's ranges. from is where it starts
// writing for itself: until then a trunk hashes for it.
type stream struct {
	alg    crypto.Hash
	h      hash.Hash
	ranges [][2]int64
	from   int64
}

// trunk hashes [0, end) once for several streams, then hands each a copy
// of its state.
type trunk struct {
	h       hash.Cloner
	end     int64
	members []*stream
}

// shareTrunks finds, per algorithm, the streams whose first range starts
// at 0 and lets one hash serve them up to the shortest of those ranges.
func shareTrunks(streams []*stream) []*trunk {
	by := map[crypto.Hash][]*stream{}
	for _, st := range streams {
		if len(st.ranges) > 0 && st.ranges[0][0] == 0 && st.ranges[0][1] > 0 {
			by[st.alg] = append(by[st.alg], st)
		}
	}
	var out []*trunk
	for alg, members := range by {
		if len(members) < 2 {
			continue
		}
		c, ok := newHash(alg).(hash.Cloner)
		if !ok {
			continue
		}
		t := &trunk{h: c, end: members[0].ranges[0][1], members: members}
		for _, st := range members {
			t.end = min(t.end, st.ranges[0][1])
		}
		for _, st := range members {
			st.from = t.end
		}
		out = append(out, t)
	}
	return out
}

// feed hashes the part of chunk (at [off, end)) below the trunk's end and,
// on reaching it, gives each member the state.
func (t *trunk) feed(chunk []byte, off, end int64) error {
	if t.members == nil || off >= t.end {
		return nil
	}
	stop := min(end, t.end)
	t.h.Write(chunk[:stop-off])
	if stop < t.end {
		return nil
	}
	for _, st := range t.members {
		c, err := t.h.Clone()
		if err != nil {
			return err
		}
		st.h = c
	}
	t.members = nil
	return nil
}
