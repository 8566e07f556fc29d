package archive

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/fileutil"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// An export is a BagIt 1.0 bag (RFC 8493):
//
//	bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
//	data/catalogue.json      the source unit, schema version, export time
//	data/records.jsonl       one line per record: {"record":{...},"history":[...]}
//	                         history events are the stored bytes, so the
//	                         hash chain survives the journey
//	data/totals.jsonl        results issued per unit and year
//	data/files/ab/<sha256>.pdf
//
// bagit.txt is written last: a bag without it is an unfinished export.
const (
	bagRecords   = "data/records.jsonl"
	bagTotals    = "data/totals.jsonl"
	bagCatalogue = "data/catalogue.json"
)

func bagFile(sum string) string { return "data/files/" + sum[:2] + "/" + sum + ".pdf" }

// bagLine is one line of data/records.jsonl.
type bagLine struct {
	Record  *Record           `json:"record"`
	History []json.RawMessage `json:"history"`
}

type bagCatalogueInfo struct {
	Unit       Unit      `json:"unit"`
	Schema     int       `json:"schema"`
	ExportedAt time.Time `json:"exported_at"`
	Records    int       `json:"records"`
}

// ExportSummary counts what an export wrote.
type ExportSummary struct {
	Records, Files int
	Bytes          int64
	// Unrecorded and Warning as in AuditSummary: the "exported" events
	// could not be written because another writer held the catalogue.
	Unrecorded int
	Warning    string
}

// manifestEntry is one line of a manifest.
type manifestEntry struct{ path, sum string }

// hashingWriter hashes and counts what goes through it to a file.
type hashingWriter struct {
	f *os.File
	w *bufio.Writer
	h hash.Hash
	n int64
}

func createHashed(p string) (*hashingWriter, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	hw := &hashingWriter{f: f, h: sha256.New()}
	hw.w = bufio.NewWriterSize(io.MultiWriter(f, hw.h), 1<<16)
	return hw, nil
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.n += int64(n)
	return n, err
}

func (hw *hashingWriter) close() (string, error) {
	err := hw.w.Flush()
	if err == nil {
		err = hw.f.Sync()
	}
	if cerr := hw.f.Close(); err == nil {
		err = cerr
	}
	return hex.EncodeToString(hw.h.Sum(nil)), err
}

// Export writes every record, its history and its files as a BagIt bag in
// dir, which must be empty or absent. Stored files are re-hashed as they are
// copied: a corrupt one stops the export. Each exported record gets an
// "exported" event when the bag is complete.
func (c *Catalogue) Export(ctx context.Context, dir string, jobs int) (ExportSummary, error) {
	var sum ExportSummary
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return sum, fail.Usage(fmt.Errorf("export folder %s is not empty", dir), "give a new folder to --out")
	}
	ioErr := func(err error) error { return fail.Run(fmt.Errorf("export %s: %w", dir, err), "") }
	if err := os.MkdirAll(filepath.Join(dir, "data", "files"), 0o755); err != nil {
		return sum, ioErr(err)
	}
	recs, err := createHashed(filepath.Join(dir, filepath.FromSlash(bagRecords)))
	if err != nil {
		return sum, ioErr(err)
	}
	defer recs.f.Close()
	var manifest []manifestEntry
	var ids []uint64
	enc := json.NewEncoder(recs)
	enc.SetEscapeHTML(false)
	for after := uint64(0); ; {
		var chunk []bagLine
		err := c.view(ctx, func(tx *bolt.Tx) error {
			cur := tx.Bucket(bucketRecords).Cursor()
			for k, v := cur.Seek(idKey(after + 1)); k != nil && len(chunk) < auditChunk; k, v = cur.Next() {
				r, err := decodeRecord(v)
				if err != nil {
					return fail.Run(fmt.Errorf("catalogue %s: record %d: %w", c.path, idOfKey(k), err), "")
				}
				line := bagLine{Record: r}
				for _, raw := range rawHistory(tx, r.ID) {
					line.History = append(line.History, raw)
				}
				chunk = append(chunk, line)
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		if len(chunk) == 0 {
			break
		}
		after = chunk[len(chunk)-1].Record.ID
		var contents []Content
		for _, l := range chunk {
			contents = append(contents, l.Record.Contents()...)
		}
		n, err := c.copyOut(ctx, dir, contents, jobs)
		if err != nil {
			return sum, err
		}
		sum.Bytes += n
		for _, content := range contents {
			manifest = append(manifest, manifestEntry{bagFile(content.SHA256), content.SHA256})
			sum.Files++
		}
		for _, l := range chunk {
			if err := enc.Encode(l); err != nil {
				return sum, ioErr(err)
			}
			ids = append(ids, l.Record.ID)
			sum.Records++
		}
	}
	recSum, err := recs.close()
	if err != nil {
		return sum, ioErr(err)
	}
	manifest = append(manifest, manifestEntry{bagRecords, recSum})

	var totals []Total
	if err := c.view(ctx, func(tx *bolt.Tx) error { totals, err = readAllTotals(tx); return err }); err != nil {
		return sum, err
	}
	extra := map[string]func(io.Writer) error{
		bagTotals: func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			for _, t := range totals {
				if err := enc.Encode(t); err != nil {
					return err
				}
			}
			return nil
		},
		bagCatalogue: func(w io.Writer) error {
			return json.NewEncoder(w).Encode(bagCatalogueInfo{Unit: c.unit, Schema: schemaVersion, ExportedAt: c.opts.Now(), Records: sum.Records})
		},
	}
	var payloadBytes = sum.Bytes
	for _, name := range []string{bagTotals, bagCatalogue} {
		hw, err := createHashed(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return sum, ioErr(err)
		}
		err = extra[name](hw)
		s, cerr := hw.close()
		if err == nil {
			err = cerr
		}
		if err != nil {
			return sum, ioErr(err)
		}
		manifest = append(manifest, manifestEntry{name, s})
		payloadBytes += hw.n
	}
	payloadBytes += recs.n
	if err := writeTagFiles(dir, c.unit, manifest, payloadBytes, c.opts.Now()); err != nil {
		return sum, ioErr(err)
	}
	// The bag is complete: say so in every record's history.
	now := c.opts.Now()
	for len(ids) > 0 {
		n := min(len(ids), 4096)
		part := ids[:n]
		err := c.updateAsWriter(ctx, c.opts.LockTimeout, func(tx *bolt.Tx) error {
			for _, id := range part {
				r, err := getRecord(tx, id)
				if err != nil || r == nil {
					continue
				}
				if err := appendEvent(tx, r, Event{Time: now, Type: EventExported, Actor: c.opts.Actor, Detail: "to " + dir}); err != nil {
					return err
				}
				if err := putRecord(tx, r); err != nil {
					return err
				}
			}
			if len(ids) == n {
				return putRun(tx, &Run{Type: "export", Time: now, Actor: c.opts.Actor, Checked: sum.Records, Detail: "to " + dir})
			}
			return nil
		})
		if err != nil {
			if !cannotWrite(err) {
				return sum, err
			}
			sum.Unrecorded = len(ids)
			sum.Warning = "the export was not written into the history: " + err.Error()
			break
		}
		ids = ids[n:]
	}
	return sum, nil
}

// copyOut copies stored contents into the bag, re-hashing each.
func (c *Catalogue) copyOut(ctx context.Context, dir string, contents []Content, jobs int) (int64, error) {
	var (
		mu    sync.Mutex
		first error
		total int64
		wg    sync.WaitGroup
	)
	work := make(chan Content)
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for content := range work {
				n, err := c.copyOne(dir, content)
				mu.Lock()
				total += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, content := range contents {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		work <- content
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return total, first
}

func (c *Catalogue) copyOne(dir string, content Content) (int64, error) {
	dst := filepath.Join(dir, filepath.FromSlash(bagFile(content.SHA256)))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fail.Run(fmt.Errorf("export %s: %w", dir, err), "")
	}
	src, err := os.Open(c.store.path(content.SHA256))
	if err != nil {
		return 0, fail.Run(fmt.Errorf("export: stored file %s: %w", content.SHA256, unwrapPath(err)),
			"run kyso archive audit to see what is missing, and restore the store from a backup")
	}
	defer src.Close()
	hw, err := createHashed(dst)
	if err != nil {
		return 0, fail.Run(fmt.Errorf("export %s: %w", dir, err), "")
	}
	_, err = io.CopyBuffer(hw, src, make([]byte, copyBufSize))
	got, cerr := hw.close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return hw.n, fail.Run(fmt.Errorf("export %s: %w", dir, err), "")
	}
	if got != content.SHA256 {
		return hw.n, fail.Run(fmt.Errorf("export: stored file %s is corrupt (its SHA-256 is now %s)", c.store.path(content.SHA256), got),
			"run kyso archive audit, and restore the store from a backup")
	}
	return hw.n, nil
}

// writeTagFiles writes the manifest, bag-info.txt, the tag manifest and,
// last, bagit.txt.
func writeTagFiles(dir string, unit Unit, manifest []manifestEntry, payloadBytes int64, now time.Time) error {
	sort.Slice(manifest, func(i, j int) bool { return manifest[i].path < manifest[j].path })
	var m bytes.Buffer
	for _, e := range manifest {
		fmt.Fprintf(&m, "%s  %s\n", e.sum, e.path)
	}
	info := fmt.Sprintf("Source-Organization: %s\nExternal-Identifier: %s\nExternal-Description: kyso catalogue export of %s (%s level)\n"+
		"Bagging-Date: %s\nBag-Software-Agent: kyso\nPayload-Oxum: %d.%d\n",
		oneLine(unit.Name), oneLine(unit.Code), oneLine(unit.Name), oneLine(unit.Level), now.Format(time.DateOnly), payloadBytes, len(manifest))
	bagit := "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
	tags := []struct{ name, body string }{{"manifest-sha256.txt", m.String()}, {"bag-info.txt", info}}
	var tm bytes.Buffer
	for _, t := range tags {
		if err := writeSynced(filepath.Join(dir, t.name), []byte(t.body)); err != nil {
			return err
		}
		s := sha256.Sum256([]byte(t.body))
		fmt.Fprintf(&tm, "%x  %s\n", s, t.name)
	}
	s := sha256.Sum256([]byte(bagit))
	tm.WriteString(fmt.Sprintf("%x  %s\n", s, "bagit.txt"))
	if err := writeSynced(filepath.Join(dir, "tagmanifest-sha256.txt"), tm.Bytes()); err != nil {
		return err
	}
	return writeSynced(filepath.Join(dir, "bagit.txt"), []byte(bagit))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ParseManifest reads a BagIt manifest: "<hex digest> <path>" lines. Paths
// must stay inside the bag.
func ParseManifest(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, p, ok := strings.Cut(line, " ")
		p = strings.TrimLeft(p, " *")
		if !ok || len(sum) != 64 || p == "" {
			return nil, fmt.Errorf("%s line %d: want \"<sha256> <path>\"", name, n)
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("%s line %d: %q is not a SHA-256", name, n, sum)
		}
		p = strings.ReplaceAll(p, "%0A", "\n")
		p = strings.ReplaceAll(p, "%0D", "\r")
		p = strings.ReplaceAll(p, "%25", "%")
		if clean := path.Clean(p); clean != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, `\`) {
			return nil, fmt.Errorf("%s line %d: path %q leaves the bag", name, n, p)
		}
		if _, dup := out[p]; dup {
			return nil, fmt.Errorf("%s line %d: %s is listed twice", name, n, p)
		}
		out[p] = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Import statuses.
const (
	StatusImported = "imported"
)

// ImportResult is the outcome for one record of a bag.
type ImportResult struct {
	SourceID uint64 `json:"source_id"`
	ID       uint64 `json:"id"`
	SHA256   string `json:"sha256"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
}

// ImportSummary counts the outcomes of an import.
type ImportSummary struct {
	Imported, Duplicate, Rejected int
	Totals                        int
	Source                        Unit
}

// Import loads a bag written by Export: every file is checked against the
// manifest while it is copied into the store, every history chain is checked,
// and each record keeps its fields and history, gaining an "imported" event
// and its origin. Records whose content is already here are duplicates;
// totals are added where this catalogue has none for that unit and year.
func (c *Catalogue) Import(ctx context.Context, dir string, report func(ImportResult) error) (ImportSummary, error) {
	var sum ImportSummary
	if c.lock == nil {
		return sum, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	bad := func(format string, a ...any) error {
		return fail.Input(fmt.Errorf("bag %s: "+format, append([]any{dir}, a...)...), "the export is incomplete or damaged: export it again")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "bagit.txt")); err != nil || !bytes.Contains(b, []byte("BagIt-Version:")) {
		return sum, bad("no bagit.txt: not a BagIt bag, or an unfinished export")
	}
	mf, err := os.Open(filepath.Join(dir, "manifest-sha256.txt"))
	if err != nil {
		return sum, bad("no manifest-sha256.txt")
	}
	manifest, err := ParseManifest(mf, filepath.Join(dir, "manifest-sha256.txt"))
	mf.Close()
	if err != nil {
		return sum, fail.Input(err, "")
	}
	// The small payload files are checked whole before they are believed.
	for _, name := range []string{bagCatalogue, bagRecords, bagTotals} {
		want, ok := manifest[name]
		if !ok {
			return sum, bad("%s is not in the manifest", name)
		}
		got, err := hashFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return sum, bad("%s: %v", name, unwrapPath(err))
		}
		if got != want {
			return sum, bad("%s does not match the manifest", name)
		}
	}
	var info bagCatalogueInfo
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(bagCatalogue))); err != nil || json.Unmarshal(b, &info) != nil {
		return sum, bad("%s is unreadable", bagCatalogue)
	}
	if info.Schema > schemaVersion {
		return sum, fail.Run(fmt.Errorf("bag %s: written with catalogue schema %d, this kyso reads up to %d: %w", dir, info.Schema, schemaVersion, ErrNewerSchema), "upgrade kyso")
	}
	sum.Source = info.Unit

	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(bagRecords)))
	if err != nil {
		return sum, bad("%s: %v", bagRecords, unwrapPath(err))
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	now := c.opts.Now()
	emit := func(r ImportResult) error {
		switch r.Status {
		case StatusImported:
			sum.Imported++
		case StatusDuplicate:
			sum.Duplicate++
		default:
			sum.Rejected++
		}
		if report != nil {
			return report(r)
		}
		return nil
	}
	for done := false; !done; {
		var batch []*importItem
		for len(batch) < commitMax {
			var l bagLine
			if err := dec.Decode(&l); err == io.EOF {
				done = true
				break
			} else if err != nil {
				return sum, bad("%s: %v", bagRecords, err)
			}
			if l.Record == nil {
				return sum, bad("%s: a line without a record", bagRecords)
			}
			batch = append(batch, &importItem{line: l, res: ImportResult{SourceID: l.Record.ID, SHA256: l.Record.SHA256}})
		}
		c.importFiles(ctx, dir, manifest, batch)
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := c.commitImport(ctx, batch, info.Unit, dir, now); err != nil {
			return sum, err
		}
		for _, it := range batch {
			for i, p := range it.pending {
				c.store.dropPending(p, it.line.Record.Contents()[i].SHA256)
			}
			if err := emit(it.res); err != nil {
				return sum, err
			}
		}
	}
	n, err := c.importTotals(ctx, dir, &info)
	sum.Totals = n
	return sum, err
}

type importItem struct {
	line    bagLine
	pending []string
	res     ImportResult
}

// importFiles copies each item's contents into the store in parallel,
// checking them against the manifest; a mismatch rejects the item.
func (c *Catalogue) importFiles(ctx context.Context, dir string, manifest map[string]string, batch []*importItem) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, it := range batch {
		if err := validateMeta(&it.line.Record.Meta); err != nil {
			it.res.Status, it.res.Reason = StatusRejected, err.Error()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, content := range it.line.Record.Contents() {
				if !reSHA256.MatchString(content.SHA256) {
					it.res.Status, it.res.Reason = StatusRejected, fmt.Sprintf("bad sha256 %q", content.SHA256)
					return
				}
				name := bagFile(strings.ToLower(content.SHA256))
				if manifest[name] != strings.ToLower(content.SHA256) {
					it.res.Status, it.res.Reason = StatusRejected, name+" is not in the manifest"
					return
				}
				src, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					it.res.Status, it.res.Reason = StatusRejected, fmt.Sprintf("%s: %v", name, unwrapPath(err))
					return
				}
				tmp, got, _, err := c.store.copyIn(ctx, src)
				src.Close()
				if err != nil {
					it.res.Status, it.res.Reason = StatusRejected, err.Error()
					return
				}
				if got != strings.ToLower(content.SHA256) {
					removeFile(tmp)
					it.res.Status, it.res.Reason = StatusRejected, name+" does not match the manifest: it was damaged"
					return
				}
				pending := ""
				if err = c.store.syncFile(tmp); err == nil {
					pending, err = c.store.seal(tmp, got)
				}
				if err != nil {
					removeFile(tmp)
					it.res.Status, it.res.Reason = StatusRejected, err.Error()
					return
				}
				it.pending = append(it.pending, pending)
			}
		}()
	}
	wg.Wait()
}

// commitImport places a batch's files and records it in one transaction.
func (c *Catalogue) commitImport(ctx context.Context, batch []*importItem, source Unit, dir string, now time.Time) error {
	return c.update(ctx, func(tx *bolt.Tx) error {
		var files []placement
		for _, it := range batch {
			if it.res.Status != "" {
				continue
			}
			r := it.line.Record
			if id := lookupSHA(tx, r.SHA256); id != 0 {
				it.res.Status, it.res.ID = StatusDuplicate, id
				continue
			}
			for _, content := range r.Earlier {
				if id := lookupSHA(tx, content.SHA256); id != 0 {
					it.res.Status, it.res.Reason = StatusRejected, fmt.Sprintf("an earlier content %.12s... is already record %d here", content.SHA256, id)
					break
				}
			}
			if it.res.Status != "" {
				continue
			}
			raw := make([][]byte, len(it.line.History))
			for i, h := range it.line.History {
				raw[i] = h
			}
			if err := checkChain(raw, r.HistoryHead); err != nil {
				it.res.Status, it.res.Reason = StatusRejected, err.Error()
				continue
			}
			for i, p := range it.pending {
				files = append(files, placement{p, r.Contents()[i].SHA256})
			}
		}
		if err := c.placeAll(files); err != nil {
			return err
		}
		dossiers := tx.Bucket(bucketIdx).Bucket(idxDossier)
		for _, it := range batch {
			if it.res.Status != "" {
				continue
			}
			r := it.line.Record
			if r.Origin == nil {
				r.Origin = &Origin{Unit: source.Code, ID: r.ID}
			}
			id, err := tx.Bucket(bucketRecords).NextSequence()
			if err != nil {
				return err
			}
			r.ID, r.HistoryHead, r.Fixity = id, "", ""
			if r.Dossier != "" {
				r.Version = countPrefix(dossiers, joinKey(r.Dossier)) + 1
			}
			for _, h := range it.line.History {
				if err := putRawEvent(tx, r, h); err != nil {
					return err
				}
			}
			if err := appendEvent(tx, r, Event{Time: now, Type: EventImported, Actor: c.opts.Actor,
				Detail: fmt.Sprintf("from %s record %d (%s)", source.Code, it.res.SourceID, dir)}); err != nil {
				return err
			}
			if err := putRecord(tx, r); err != nil {
				return err
			}
			if err := putIndexes(tx, r, false); err != nil {
				return err
			}
			it.res.Status, it.res.ID = StatusImported, r.ID
		}
		return nil
	})
}

// importTotals adds the bag's totals this catalogue lacks, and logs the run.
func (c *Catalogue) importTotals(ctx context.Context, dir string, info *bagCatalogueInfo) (int, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(bagTotals)))
	if err != nil {
		return 0, fail.Input(fmt.Errorf("bag %s: %s: %w", dir, bagTotals, unwrapPath(err)), "")
	}
	defer f.Close()
	var rows []Total
	dec := json.NewDecoder(f)
	for {
		var t Total
		if err := dec.Decode(&t); err == io.EOF {
			break
		} else if err != nil {
			return 0, fail.Input(fmt.Errorf("bag %s: %s: %w", dir, bagTotals, err), "")
		}
		if err := t.validate(); err != nil {
			return 0, fail.Input(fmt.Errorf("bag %s: %s: %w", dir, bagTotals, err), "")
		}
		rows = append(rows, t)
	}
	n := 0
	err = c.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTotals)
		for _, t := range rows {
			k := t.key()
			if b.Get(k) != nil {
				continue
			}
			if err := b.Put(k, jsonMarshal(t)); err != nil {
				return err
			}
			n++
		}
		return putRun(tx, &Run{Type: "import", Time: c.opts.Now(), Actor: c.opts.Actor, Checked: info.Records,
			Detail: "from " + info.Unit.Code + " (" + dir + "), exported " + info.ExportedAt.Format(time.RFC3339) + ", " + strconv.Itoa(n) + " totals"})
	})
	return n, err
}

func hashFile(p string) (string, error) {
	sum, _, err := fileutil.SHA256(p)
	return sum, err
}
