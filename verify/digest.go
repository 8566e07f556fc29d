package verify

import (
	"context"
	"crypto"
	"errors"
	"hash"
	"io"
	"sync"

	"github.com/kyso-project/kyso/internal/pdf"
)

// digestJob asks for the digests of the bytes in ranges ([start, end)
// pairs, in increasing order, not overlapping) with each of hashes.
type digestJob struct {
	ranges [][2]int64
	hashes []crypto.Hash
	sums   map[crypto.Hash][]byte
	// over says why the job was not hashed: the file's signatures ask for
	// more hashing than pdf.Limits.MaxHashed allows (a *pdf.LimitError).
	over error
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

// hashBudget is the bytes all the signatures of a file of size bytes may
// have hashed, under lim: MaxHashed + HashedPerByte × size.
func hashBudget(lim pdf.Limits, size int64) int64 {
	return lim.MaxHashed + lim.HashedPerByte*size
}

// errRangesOrder is a job whose ranges go backwards: a bug of the caller
// (prepare only makes ranges in order).
var errRangesOrder = errors.New("verify: digest ranges out of order")

// digestRanges reads the file once, front to back, and feeds every byte to
// the hashes of each job whose ranges hold it; nothing is held but one
// chunk. Jobs share hash state as long as the bytes they hash are the same
// bytes of the file (per algorithm, a tree of hash states: see digestTree),
// so identical ranges, ranges that are a prefix of others, and the common
// start of every signature's first range are hashed once.
//
// What cannot be shared costs its own hashing: N signatures whose second
// ranges start at N different places and run to the end of the file cost
// N times the file. So the bytes hashed for the file are bounded by
// budget: jobs are taken in order (the caller puts them in signing order)
// while what they add to the work fits; a job past it gets no sums and
// over set to a *pdf.LimitError. digestRanges returns the bytes hashed.
func digestRanges(ctx context.Context, ra io.ReaderAt, size int64, jobs []*digestJob, budget int64) (int64, error) {
	trees := map[crypto.Hash]*digestTree{}
	var algs []crypto.Hash // trees in the order first asked for
	var hashed int64
	lo, hi := size, int64(0)
	for _, j := range jobs {
		j.sums = map[crypto.Hash][]byte{}
		j.over = nil
		rs, ok := normalRanges(j.ranges, size)
		if !ok {
			return hashed, errRangesOrder
		}
		var cost int64
		for _, h := range j.hashes {
			if !hashOK(h) {
				continue
			}
			t := trees[h]
			if t == nil {
				t = newDigestTree(h)
				trees[h] = t
				algs = append(algs, h)
			}
			cost += t.cost(rs)
		}
		if hashed+cost > budget {
			j.over = pdf.LimitErrorf("MaxHashed", budget, "the signatures of the file ask for more than %d bytes of hashing", budget)
			continue
		}
		hashed += cost
		for _, h := range j.hashes {
			if hashOK(h) {
				trees[h].insert(rs, j)
			}
		}
		for _, rg := range rs {
			lo, hi = min(lo, rg[0]), max(hi, rg[1])
		}
	}
	var nodes []*digestNode // every tree's nodes, each after its parent
	for _, h := range algs {
		t := trees[h]
		t.root.h = newHash(h)
		nodes = t.root.preorder(nodes)
	}
	for _, n := range nodes {
		if len(n.seg) == 0 && n.h != nil {
			if err := n.complete(); err != nil {
				return hashed, err
			}
		}
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	for off := lo; off < hi; {
		if err := ctx.Err(); err != nil {
			return hashed, err
		}
		n := int(min(int64(len(buf)), hi-off))
		m, err := ra.ReadAt(buf[:n], off)
		if m < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return hashed, err
		}
		chunk := buf[:n]
		end := off + int64(n)
		for _, nd := range nodes {
			if err := nd.feed(chunk, off, end); err != nil {
				return hashed, err
			}
		}
		off = end
	}
	return hashed, nil
}

// normalRanges clips rs to the file, drops empty ranges and joins ranges
// that touch, so that two jobs hash the same bytes exactly when their
// ranges are equal; false when a range starts before the one it follows
// ends.
func normalRanges(rs [][2]int64, size int64) ([][2]int64, bool) {
	var out [][2]int64
	for _, rg := range rs {
		s, e := max(rg[0], 0), min(rg[1], size)
		if s >= e {
			continue
		}
		if k := len(out); k > 0 {
			switch {
			case s < out[k-1][1]:
				return nil, false
			case s == out[k-1][1]:
				out[k-1][1] = e
				continue
			}
		}
		out = append(out, [2]int64{s, e})
	}
	return out, true
}

// rangesLen is the bytes in rs.
func rangesLen(rs [][2]int64) int64 {
	var n int64
	for _, rg := range rs {
		n += rg[1] - rg[0]
	}
	return n
}

// commonPrefix is the bytes that normal ranges a and b hash alike from
// their start: they part at the first position where they differ.
func commonPrefix(a, b [][2]int64) int64 {
	var n int64
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k][0] != b[k][0] {
			return n
		}
		if a[k][1] != b[k][1] {
			return n + min(a[k][1], b[k][1]) - a[k][0]
		}
		n += a[k][1] - a[k][0]
	}
	return n
}

// splitRanges cuts rs after its first n bytes.
func splitRanges(rs [][2]int64, n int64) (head, tail [][2]int64) {
	for k, rg := range rs {
		l := rg[1] - rg[0]
		switch {
		case n >= l:
			head = append(head, rg)
			n -= l
		case n > 0:
			head = append(head, [2]int64{rg[0], rg[0] + n})
			tail = append(append(tail, [2]int64{rg[0] + n, rg[1]}), rs[k+1:]...)
			return head, tail
		default:
			return head, append(tail, rs[k:]...)
		}
	}
	return head, nil
}

// digestTree holds the jobs of one algorithm as a tree of hash states:
// each node hashes its seg after what its ancestors hashed, then hands a
// copy of its state to each child; a job's digest is the state of the node
// where its bytes end. The bytes hashed are the sum of the nodes' segs:
// each job adds only what it does not share with the jobs before it.
// An algorithm whose state cannot be copied shares nothing.
type digestTree struct {
	alg   crypto.Hash
	share bool
	root  *digestNode
}

type digestNode struct {
	alg      crypto.Hash
	seg      [][2]int64
	h        hash.Hash // nil until the parent hands it over
	children []*digestNode
	ends     []*digestJob // jobs whose bytes end here
	root     bool
	done     bool
}

func newDigestTree(alg crypto.Hash) *digestTree {
	_, share := newHash(alg).(hash.Cloner)
	return &digestTree{alg: alg, share: share, root: &digestNode{alg: alg, root: true}}
}

// cost is the bytes that inserting rs would add to the tree's work.
func (t *digestTree) cost(rs [][2]int64) int64 {
	if !t.share {
		return rangesLen(rs)
	}
	n := t.root
	for len(rs) > 0 {
		c := n.child(rs)
		if c == nil {
			return rangesLen(rs)
		}
		l := commonPrefix(c.seg, rs)
		if l < rangesLen(c.seg) {
			return rangesLen(rs) - l
		}
		_, rs = splitRanges(rs, l)
		n = c
	}
	return 0
}

// insert adds job j, whose normal ranges are rs, to the tree.
func (t *digestTree) insert(rs [][2]int64, j *digestJob) {
	n := t.root
	if !t.share {
		n.children = append(n.children, &digestNode{alg: t.alg, seg: rs, ends: []*digestJob{j}})
		return
	}
	for len(rs) > 0 {
		c := n.child(rs)
		if c == nil {
			n.children = append(n.children, &digestNode{alg: t.alg, seg: rs, ends: []*digestJob{j}})
			return
		}
		l := commonPrefix(c.seg, rs)
		if l < rangesLen(c.seg) {
			// c parts from rs after l bytes: c keeps them, a new node
			// the rest of c (its children and jobs).
			head, tail := splitRanges(c.seg, l)
			rest := &digestNode{alg: t.alg, seg: tail, children: c.children, ends: c.ends}
			c.seg, c.children, c.ends = head, []*digestNode{rest}, nil
		}
		_, rs = splitRanges(rs, l)
		n = c
	}
	n.ends = append(n.ends, j)
}

// child is the child of n whose bytes start where rs starts (at most one
// does: two would share their start and be one node).
func (n *digestNode) child(rs [][2]int64) *digestNode {
	for _, c := range n.children {
		if c.seg[0][0] == rs[0][0] {
			return c
		}
	}
	return nil
}

// preorder appends n and its descendants, each after its parent.
func (n *digestNode) preorder(out []*digestNode) []*digestNode {
	out = append(out, n)
	for _, c := range n.children {
		out = c.preorder(out)
	}
	return out
}

// feed hashes the part of chunk (at [off, end)) in n's seg and, on
// reaching the seg's end, completes n.
func (n *digestNode) feed(chunk []byte, off, end int64) error {
	if n.done || n.h == nil || len(n.seg) == 0 {
		return nil
	}
	for _, rg := range n.seg {
		s, e := max(rg[0], off), min(rg[1], end)
		if s < e {
			n.h.Write(chunk[s-off : e-off])
		}
	}
	if end < n.seg[len(n.seg)-1][1] {
		return nil
	}
	return n.complete()
}

// complete gives the jobs that end at n their digest and each child the
// state to go on from (a fresh hash under the root).
func (n *digestNode) complete() error {
	n.done = true
	for _, j := range n.ends {
		j.sums[n.alg] = n.h.Sum(nil)
	}
	for i, c := range n.children {
		switch {
		case n.root:
			c.h = newHash(n.alg)
		case i == len(n.children)-1:
			c.h = n.h
		default:
			h, err := n.h.(hash.Cloner).Clone()
			if err != nil {
				return err
			}
			c.h = h
		}
	}
	n.h = nil
	return nil
}
