package archive

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"hash"
	"io"
	"os"
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
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
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
//	tagmanifest-sha256.txt.p7s   with export --sign: a detached CMS signature
//	                             over tagmanifest-sha256.txt (bagtrust.go)
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

// ExportOptions say how a bag is written.
type ExportOptions struct {
	// Jobs is how many files are copied at once (default: CPUs).
	Jobs int
	// Sign, when set, signs the bag: a detached CMS signature over
	// tagmanifest-sha256.txt, which names the exporting unit to the importer.
	Sign *keys.Key
}

// Export writes every record, its history and its files as a BagIt bag in
// dir, which must be empty or absent. Stored files are re-hashed as they are
// copied: a corrupt one stops the export. Each exported record gets an
// "exported" event when the bag is complete.
func (c *Catalogue) Export(ctx context.Context, dir string, o ExportOptions) (ExportSummary, error) {
	var sum ExportSummary
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return sum, fail.UsageWith(i18n.Errorf("export folder %s is not empty", dir), fail.RemedyNewExportFolder)
	}
	ioErr := func(err error) error { return fail.Run(i18n.Errorf("export %s: %v", dir, err), "") }
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
					return fail.Run(i18n.Errorf("catalogue %s: record %d: %v", c.path, idOfKey(k), err), "")
				}
				// A record edited outside kyso is not exported as if it
				// were sound: the export is refused (exit 5) before the
				// bag is finished, naming the record.
				if len(k) != 8 {
					return damagef("key %x is not a record id", k)
				}
				if err := recordSound(tx, idOfKey(k), v, r); err != nil {
					return err
				}
				line := bagLine{Record: r}
				for _, raw := range rawHistory(tx, r.ID) {
					if !json.Valid(raw) {
						return damagef("record %d: a history event does not decode", r.ID)
					}
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
	var signTM func([]byte) ([]byte, error)
	if o.Sign != nil {
		signTM = func(tm []byte) ([]byte, error) { return signTagManifest(ctx, o.Sign, tm) }
	}
	if err := writeTagFiles(dir, c.unit, manifest, payloadBytes, c.opts.Now(), signTM); err != nil {
		if fail.KindOf(err) != fail.KindNone {
			return sum, err
		}
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
				if err != nil {
					return fail.Run(i18n.Errorf("catalogue %s: record %d: %v", c.path, id, err), "")
				}
				if r == nil {
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
				n, err := c.copyOne(ctx, dir, content)
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

func (c *Catalogue) copyOne(ctx context.Context, dir string, content Content) (int64, error) {
	dst := filepath.Join(dir, filepath.FromSlash(bagFile(content.SHA256)))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fail.Run(i18n.Errorf("export %s: %v", dir, err), "")
	}
	src, err := c.openContent(ctx, content.SHA256)
	if err != nil {
		hint := "run kyso archive audit to see what is missing, and restore the store from a backup"
		if !errors.Is(err, ErrObjectMissing) {
			hint = "check that the content store can be read (for an object store: its endpoint, credentials and network)"
		}
		return 0, fail.Run(i18n.Errorf("export: stored file %s: %v", content.SHA256, unwrapPath(err)), hint)
	}
	defer src.Close()
	hw, err := createHashed(dst)
	if err != nil {
		return 0, fail.Run(i18n.Errorf("export %s: %v", dir, err), "")
	}
	_, err = io.CopyBuffer(hw, src, make([]byte, copyBufSize))
	got, cerr := hw.close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return hw.n, fail.Run(i18n.Errorf("export %s: %v", dir, err), "")
	}
	if got != content.SHA256 {
		return hw.n, fail.Run(i18n.Errorf("export: stored file %s is corrupt (its SHA-256 is now %s)", c.objects.ObjectName(content.SHA256), got),
			"run kyso archive audit, and restore the store from a backup")
	}
	return hw.n, nil
}

// writeTagFiles writes the manifest, bag-info.txt, the tag manifest and,
// last, bagit.txt.
func writeTagFiles(dir string, unit Unit, manifest []manifestEntry, payloadBytes int64, now time.Time, sign func([]byte) ([]byte, error)) error {
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
	if err := writeSynced(filepath.Join(dir, bagTagManifest), tm.Bytes()); err != nil {
		return err
	}
	if sign != nil {
		sig, err := sign(tm.Bytes())
		if err != nil {
			return err
		}
		if err := writeSynced(filepath.Join(dir, bagSignature), sig); err != nil {
			return err
		}
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

// ParseManifest reads a BagIt manifest: "<hex digest> <path>" lines of at
// most 64 KiB. Paths must stay inside the bag.
func ParseManifest(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
	err := scanManifest(r, name, func(n int, p, sum string) error {
		if _, dup := out[p]; dup {
			return i18n.Errorf("%s line %d: %s is listed twice", name, n, p)
		}
		out[p] = sum
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportStatus is what became of one record of a bag: the status of
// `kyso archive import --json`. The zero value, ImportUndecided, is a
// record still on its way through the import; no result is reported with
// it.
type ImportStatus string

// Import statuses.
const (
	ImportUndecided ImportStatus = ""
	ImportImported  ImportStatus = "imported"
	ImportDuplicate ImportStatus = "duplicate"
	ImportRejected  ImportStatus = "rejected"
)

// ImportOptions say how a bag is judged.
type ImportOptions struct {
	// Strict refuses records whose fresh verdict is indeterminate, as
	// ingest --strict does.
	Strict bool
	// Trust holds the anchors the bag's signature is checked against (the
	// catalogue's own, the same as its verifier's); nil: the signature is
	// checked but its chain is "untrusted".
	Trust *trust.Store
	// RequireSigned refuses a bag without a valid signature whose chain is
	// trusted.
	RequireSigned bool
}

// ImportResult is the outcome for one record of a bag: the contract of
// `kyso archive import --json`.
type ImportResult struct {
	SourceID uint64       `json:"source_id"`
	ID       uint64       `json:"id"`
	SHA256   string       `json:"sha256"`
	Status   ImportStatus `json:"status"`
	Reason   string       `json:"reason,omitempty"`
	// Claimed is the verdict the bag's record states; Verdict the one this
	// catalogue reached on the file, which is what is recorded.
	Claimed verify.Status `json:"claimed,omitempty"`
	Verdict verify.Status `json:"verdict,omitempty"`
	// Mismatches lists where the bag's claims differ from what was found.
	Mismatches []string `json:"mismatches,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// ImportSummary counts the outcomes of an import.
type ImportSummary struct {
	Imported, Duplicate, Rejected int
	// Mismatched counts records whose claims differ from the fresh verdict
	// (imported or not).
	Mismatched int
	Totals     int
	Source     Unit
	// Sender is who signed the bag; nil for an unsigned bag.
	Sender *BagSender
	// Missing counts the files manifest-sha256.txt lists and the bag does
	// not hold: the bag is incomplete (the records that need one are
	// rejected). MissingFiles names the first ten.
	Missing      int
	MissingFiles []string
	// HashedFiles and HashedBytes count the distinct files of the bag
	// import hashed and their bytes: at most what the bag holds, each file
	// once, whatever its manifests list. HashReused counts the entries
	// answered from a file already hashed (a hard link, a repeated entry).
	HashedFiles int
	HashedBytes int64
	HashReused  int
}

// Import loads a bag written by Export. The bag is checked first: only
// regular files, a tag manifest that matches, and its signature when it has
// one (bagtrust.go). Then every file is checked against the manifest while
// it is copied into the store and verified again with this catalogue's
// verifier, exactly as ingest does; the bag's verdicts are claims compared
// with the fresh ones, and the fresh ones are recorded. Every history chain
// is checked; each record keeps its fields and history, gaining an
// "imported" event and its origin. Records whose content is already here,
// or that the bag holds twice, are duplicates; totals are added where this
// catalogue has none for that unit and year. What the bag says is read
// within bounds (baglimits.go); files its manifest lists and it lacks are
// counted in the summary, and the records that need one are rejected.
func (c *Catalogue) Import(ctx context.Context, dir string, o ImportOptions, report func(ImportResult) error) (sum ImportSummary, err error) {
	if c.lock == nil {
		return sum, fail.Runf("catalogue %s: opened read-only", c.path)
	}
	if c.opts.Verify == nil {
		return sum, fail.Runf("archive: no verifier configured")
	}
	bad := func(format string, a ...any) error {
		return fail.Input(i18n.Errorf("bag %s: "+format, append([]any{dir}, a...)...), "the export is incomplete or damaged: export it again")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return sum, bad("not a folder")
	}
	if b, err := readRegular(filepath.Join(dir, "bagit.txt"), 1<<16); err != nil || !bytes.Contains(b, []byte("BagIt-Version:")) {
		return sum, bad("no bagit.txt: not a BagIt bag, or an unfinished export")
	}
	contents, err := walkBag(dir)
	if err != nil {
		return sum, err
	}
	// What is cheap comes first: the tag manifest (at most 1 MiB) and the
	// signature over it, so that a bag --require-signed refuses is refused
	// before any file it lists is read. Then each distinct file is hashed
	// once (bagHasher).
	tm, tagEntries, err := readTagManifest(dir)
	if err != nil {
		return sum, err
	}
	sender, err := checkBagSignature(dir, tm, o.Trust, c.opts.Now())
	if err != nil {
		return sum, err
	}
	sum.Sender = sender
	if o.RequireSigned && !sender.Trusted() {
		why := "it is not signed"
		if sender != nil {
			why = "its signer " + sender.Subject + " is " + sender.Chain
			if len(sender.Problems) > 0 {
				why += " (" + sender.Problems[0] + ")"
			}
		}
		return sum, refuse(dir, "a signature by a trusted sender is required and %s", why)
	}
	hasher := newBagHasher(dir)
	defer func() { sum.HashedFiles, sum.HashedBytes, sum.HashReused = hasher.files, hasher.bytes, hasher.reused }()
	if err := checkTagFiles(dir, tagEntries, hasher); err != nil {
		return sum, err
	}
	mf, err := openRegular(filepath.Join(dir, "manifest-sha256.txt"))
	if err != nil {
		return sum, bad("no manifest-sha256.txt")
	}
	manifest, err := readBagManifest(mf.Reader(), filepath.Join(dir, "manifest-sha256.txt"), dir, contents)
	mf.Close()
	if err != nil {
		return sum, fail.Input(err, "")
	}
	// Files the manifest lists and the bag does not hold make it
	// incomplete: the records that need one are rejected (as for a file
	// that does not match), the others are imported, and the whole is
	// reported.
	sum.Missing, sum.MissingFiles = manifest.missing, manifest.missingNamed
	// The small payload files are checked whole before they are believed.
	for _, name := range []string{bagCatalogue, bagRecords, bagTotals} {
		want, ok := manifest.small[name]
		if !ok {
			return sum, bad("%s is not in the manifest", name)
		}
		got, err := hasher.sum(name)
		if err != nil {
			return sum, bad("%s: %v", name, unwrapPath(err))
		}
		if got != want {
			return sum, bad("%s does not match the manifest", name)
		}
	}
	var info bagCatalogueInfo
	if b, err := readRegular(filepath.Join(dir, filepath.FromSlash(bagCatalogue)), 1<<20); err != nil || json.Unmarshal(b, &info) != nil {
		return sum, bad("%s is unreadable", bagCatalogue)
	}
	if info.Schema > schemaVersion {
		return sum, fail.Run(i18n.Errorf("bag %s: written with catalogue schema %d, this kyso reads up to %d: %v", dir, info.Schema, schemaVersion, ErrNewerSchema), "upgrade kyso")
	}
	sum.Source = info.Unit

	// Everything the bag states is checked against the limits before
	// anything is committed: a bag refused halfway would leave some
	// records in the catalogue, no totals and no run entry.
	totals, err := readTotals(dir)
	if err != nil {
		return sum, err
	}
	if err := eachBagRecord(dir, bad, func(bagLine, int) error { return nil }); err != nil {
		return sum, err
	}
	rr, err := openBagRecords(dir, bad)
	if err != nil {
		return sum, err
	}
	defer rr.close()
	now := c.opts.Now()
	emit := func(r ImportResult) error {
		switch r.Status {
		case ImportImported:
			sum.Imported++
		case ImportDuplicate:
			sum.Duplicate++
		default:
			sum.Rejected++
		}
		if len(r.Mismatches) > 0 {
			sum.Mismatched++
		}
		if report != nil {
			return report(r)
		}
		return nil
	}
	// A batch is at most commitMax records and maxBatchBytes of lines; a
	// batch whose records are all decided without the catalogue (rejected,
	// duplicates) commits nothing.
	for done := false; !done; {
		var batch []*importItem
		for start, values := rr.dec.InputOffset(), 0; len(batch) < commitMax && rr.dec.InputOffset()-start < maxBatchBytes && values < maxBatchValues; {
			l, n, eof, err := rr.next()
			if err != nil {
				return sum, err
			}
			if eof {
				done = true
				break
			}
			values += n
			compactHistory(l.History)
			it := &importItem{line: l, res: ImportResult{SourceID: l.Record.ID, SHA256: l.Record.SHA256}}
			// The claim is reported only when it is a verdict: a bag
			// whose record says anything else is refused below.
			claimOK := l.Record.Status == "" || l.Record.Status.Known()
			if claimOK {
				it.res.Claimed = l.Record.Status
			}
			// The content file is where a record the bag holds twice is
			// seen twice; a record whose file the bag lacks is rejected.
			cf := contents.find(l.Record.SHA256)
			if why := checkBagRecordHash(l.Record, info.Schema); why != "" {
				it.res.Status, it.res.Reason = ImportRejected, why
				it.res.Mismatches = append(it.res.Mismatches, "record_hash: "+why)
			} else if !claimOK {
				it.res.Status, it.res.Reason = ImportRejected, i18n.Sprintf("the bag's record says status %q, which is not a verdict", l.Record.Status)
			} else if cf != nil && cf.flags&contentClaimed != 0 {
				it.res.Status, it.res.Reason = ImportDuplicate, fmt.Sprintf("the bag holds this record twice (as record %d too)", cf.first)
			} else if cf != nil {
				cf.flags |= contentClaimed
				cf.first = l.Record.ID
			}
			if it.res.Status == ImportUndecided {
				useContents(it, contents)
			}
			batch = append(batch, it)
		}
		if err := c.importFiles(ctx, dir, contents, hasher, batch, o); err != nil {
			dropItems(c, batch)
			return sum, err
		}
		if err := ctx.Err(); err != nil {
			dropItems(c, batch)
			return sum, err
		}
		if err := c.commitImport(ctx, batch, info.Unit, sender, dir, now); err != nil {
			return sum, err
		}
		for _, it := range batch {
			for _, p := range it.pending {
				c.store.dropPending(p.pending, p.sum)
			}
			if err := emit(it.res); err != nil {
				return sum, err
			}
		}
	}
	n, err := c.storeTotals(ctx, dir, totals, &info, sender)
	sum.Totals = n
	return sum, err
}

// bagRecords reads records.jsonl one record at a time. Records are JSON
// values, one a line as export writes them or spread over lines (a bag
// re-indented by jq): each is read within a budget of maxRecordLine bytes,
// so a huge one is refused once that much of it is read.
type bagRecordReader struct {
	f      *fileutil.File
	budget *budgetReader
	dec    *json.Decoder
	nrec   int
	bad    func(format string, a ...any) error
}

func openBagRecords(dir string, bad func(format string, a ...any) error) (*bagRecordReader, error) {
	f, err := openRegular(filepath.Join(dir, filepath.FromSlash(bagRecords)))
	if err != nil {
		return nil, bad("%s: %v", bagRecords, unwrapPath(err))
	}
	budget := &budgetReader{r: bufio.NewReaderSize(f.Reader(), 64<<10)}
	return &bagRecordReader{f: f, budget: budget, dec: json.NewDecoder(budget), bad: bad}, nil
}

func (rr *bagRecordReader) close() { rr.f.Close() }

// next is the next record and the number of its JSON values; eof at the
// end. A record over a limit, or that is not a record, is an error that
// refuses the bag.
func (rr *bagRecordReader) next() (l bagLine, values int, eof bool, err error) {
	var raw json.RawMessage
	rr.nrec++
	rr.budget.left = maxRecordLine
	from := rr.dec.InputOffset()
	if err := rr.dec.Decode(&raw); err == io.EOF {
		return l, 0, true, nil
	} else if errors.Is(err, errLineTooLong) || (err == nil && len(raw) > maxRecordLine) {
		return l, 0, false, rr.bad("%s: record %d (from byte %d): more than %d MiB, the most a record may be", bagRecords, rr.nrec, from, maxRecordLine>>20)
	} else if err != nil {
		return l, 0, false, rr.bad("%s: record %d (from byte %d): %v", bagRecords, rr.nrec, from, unwrapPath(err))
	}
	values = jsonValues(raw)
	if values > maxRecordValues {
		return l, 0, false, rr.bad("%s: record %d (from byte %d): more than %d JSON values, the most a record may have", bagRecords, rr.nrec, from, maxRecordValues)
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return l, 0, false, rr.bad("%s: record %d (from byte %d): %v", bagRecords, rr.nrec, from, err)
	}
	if l.Record == nil {
		return l, 0, false, rr.bad("%s: record %d (from byte %d): not a record", bagRecords, rr.nrec, from)
	}
	return l, values, false, nil
}

// eachBagRecord reads every record of the bag's records.jsonl within the
// limits, passing each to fn: the pass that refuses a bag before anything
// of it is committed.
func eachBagRecord(dir string, bad func(format string, a ...any) error, fn func(bagLine, int) error) error {
	rr, err := openBagRecords(dir, bad)
	if err != nil {
		return err
	}
	defer rr.close()
	for {
		l, n, eof, err := rr.next()
		if err != nil || eof {
			return err
		}
		if err := fn(l, n); err != nil {
			return err
		}
	}
}

type importItem struct {
	line    bagLine
	pending []placement
	res     ImportResult
	rep     *verify.Report // the fresh verdict on the current content
	err     error          // stops the run
}

// useContents rejects a record that needs a content file another record
// of the bag needs too, or that lists one content twice: kyso never exports
// either (a content belongs to one record, once), and each use would copy
// and verify the file again. Otherwise it marks the record's content files
// used.
func useContents(it *importItem, files *bagContents) {
	contents := it.line.Record.Contents()
	for _, content := range contents {
		if f := files.find(content.SHA256); f != nil && f.flags&contentUsed != 0 {
			it.res.Status, it.res.Reason = ImportRejected, i18n.Sprintf("%s is used twice by the records of the bag: the bag was altered", bagFile(strings.ToLower(content.SHA256)))
			return
		}
	}
	for _, content := range contents {
		if f := files.find(content.SHA256); f != nil {
			if f.flags&contentUsed != 0 {
				it.res.Status, it.res.Reason = ImportRejected, i18n.Sprintf("%s is used twice by the records of the bag: the bag was altered", bagFile(strings.ToLower(content.SHA256)))
				return
			}
			f.flags |= contentUsed
		}
	}
}

// dropItems removes the pending files of items that will not be committed.
func dropItems(c *Catalogue, batch []*importItem) {
	for _, it := range batch {
		for _, p := range it.pending {
			removeFile(p.pending)
		}
		it.pending = nil
	}
}

// importFiles copies each item's contents into the store in parallel,
// checking them against the manifest, and verifies each as ingest does; a
// mismatch or an invalid document rejects the item. The first error that
// stops the run (the store, the verifier) is returned.
func (c *Catalogue) importFiles(ctx context.Context, dir string, contents *bagContents, hasher *bagHasher, batch []*importItem, o ImportOptions) error {
	var todo []*importItem
	for _, it := range batch {
		if it.res.Status != ImportUndecided {
			continue
		}
		if err := validateMeta(&it.line.Record.Meta); err != nil {
			it.res.Status, it.res.Reason = ImportRejected, err.Error()
			continue
		}
		todo = append(todo, it)
	}
	if len(todo) == 0 {
		return nil
	}
	// Content already here is a duplicate: no need to copy and verify it.
	// One read transaction for the batch.
	err := c.view(ctx, func(tx *bolt.Tx) error {
		for _, it := range todo {
			if known := lookupSHA(tx, it.line.Record.SHA256); known != 0 {
				it.res.Status, it.res.ID = ImportDuplicate, known
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, it := range todo {
		if it.res.Status != ImportUndecided {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.importItemFiles(ctx, dir, contents, hasher, it, o)
			if it.res.Status == ImportRejected || it.err != nil {
				for _, p := range it.pending {
					removeFile(p.pending)
				}
				it.pending = nil
			}
		}()
	}
	wg.Wait()
	for _, it := range batch {
		if it.err != nil {
			return it.err
		}
	}
	return nil
}

func (c *Catalogue) importItemFiles(ctx context.Context, dir string, files *bagContents, hasher *bagHasher, it *importItem, o ImportOptions) {
	r := it.line.Record
	reject := func(format string, a ...any) {
		it.res.Status, it.res.Reason = ImportRejected, fmt.Sprintf(format, a...)
	}
	contents := r.Contents()
	for i, content := range contents {
		current := i == len(contents)-1
		if !reSHA256.MatchString(content.SHA256) {
			reject("bad sha256 %q", content.SHA256)
			return
		}
		sum := strings.ToLower(content.SHA256)
		name := bagFile(sum)
		switch f := files.find(sum); {
		case f == nil:
			it.res.Status, it.res.Reason = ImportRejected, i18n.Sprintf("%s is not in the bag: the bag is incomplete", name)
			return
		case f.flags&contentListed == 0:
			reject("%s is not in the manifest", name)
			return
		}
		src, err := openRegular(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			reject("%s: %v", name, unwrapPath(err))
			return
		}
		// Each distinct file of the bag is read once: a content file that
		// is another entry of the bag too (a hard link) cannot match both
		// names, and is refused unread.
		if other, err := hasher.claim(src, name); err != nil || other != "" {
			src.Close()
			if err != nil {
				reject("%s: %v", name, unwrapPath(err))
			} else {
				it.res.Status, it.res.Reason = ImportRejected, i18n.Sprintf("%s is the same file as %s (a hard link): the bag was altered", name, other)
			}
			return
		}
		tmp, got, n, err := c.store.copyIn(ctx, src.Reader())
		hasher.done(n)
		if err == nil {
			if err = src.Unchanged(); err != nil {
				removeFile(tmp)
			}
		}
		src.Close()
		if err != nil {
			if fail.KindOf(err) == fail.KindRun || ctx.Err() != nil {
				it.err = err
			} else {
				reject("%s: %v", name, unwrapPath(err))
			}
			return
		}
		if got != sum {
			removeFile(tmp)
			if current {
				it.res.Mismatches = append(it.res.Mismatches, fmt.Sprintf("sha256: the bag says %s, the file is %s", sum, got))
			}
			reject("%s does not match the manifest and the record: it was altered", name)
			return
		}
		// The same judgement as ingest, with this catalogue's verifier.
		j := c.judge(ctx, tmp, o.Strict && current)
		if j.err != nil {
			removeFile(tmp)
			it.err = j.err
			return
		}
		reason := strings.ReplaceAll(sanitize(j.reject), tmp, name)
		if current {
			if j.rep != nil {
				it.res.Verdict = j.rep.Status
				it.res.Mismatches = append(it.res.Mismatches, compareClaims(r, j.rep)...)
				if _, mm, _, _ := importMeta(r.Meta, j.rep); len(mm) > 0 {
					it.res.Mismatches = append(it.res.Mismatches, mm...)
				}
			}
			it.res.Warnings = append(it.res.Warnings, j.warnings...)
		}
		if reason != "" {
			removeFile(tmp)
			if !current {
				reject("earlier version %s: %s", sum[:12], reason)
			} else if r.Status != "" && (j.rep == nil || r.Status != j.rep.Status) {
				reject("%s here (the bag says %s): %s", verdictWord(j.rep), r.Status, reason)
			} else {
				reject("%s", reason)
			}
			return
		}
		pending, err := c.store.seal(tmp, got)
		if err != nil {
			removeFile(tmp)
			it.err = err
			return
		}
		it.pending = append(it.pending, placement{pending, got})
		if current {
			it.rep = j.rep
		}
	}
}

func verdictWord(rep *verify.Report) string {
	if rep == nil {
		return "not verifiable"
	}
	return string(rep.Status)
}

// compareClaims lists where a bag's record differs from the fresh verdict:
// its status, and who signed it.
func compareClaims(r *Record, rep *verify.Report) []string {
	var out []string
	if r.Status != rep.Status {
		out = append(out, fmt.Sprintf("status: the bag says %s, verified here %s", orNone(string(r.Status)), rep.Status))
	}
	claimed, fresh := signerList(r.Signatures), signerList(summarise(rep))
	if claimed != fresh {
		out = append(out, fmt.Sprintf("signatures: the bag says [%s], verified here [%s]", claimed, fresh))
	}
	return out
}

func signerList(sigs []Signature) string {
	var parts []string
	for _, s := range sigs {
		// Who signed, and of what kind; the statuses are compared as the
		// record's status above.
		parts = append(parts, s.Kind+" "+s.Signer)
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// commitImport places a batch's files and records it in one transaction.
func (c *Catalogue) commitImport(ctx context.Context, batch []*importItem, source Unit, sender *BagSender, dir string, now time.Time) error {
	var staged []placement
	undecided := false
	for _, it := range batch {
		if it.res.Status == ImportUndecided {
			staged = append(staged, it.pending...)
			undecided = true
		}
	}
	if !undecided {
		// Nothing to write: no transaction, no commit.
		return nil
	}
	if err := c.upload(ctx, staged); err != nil {
		return err
	}
	return c.update(ctx, func(tx *bolt.Tx) error {
		var files []placement
		for _, it := range batch {
			if it.decidedIn(tx) {
				continue
			}
			r := it.line.Record
			for _, content := range r.Earlier {
				if id := lookupSHA(tx, content.SHA256); id != 0 {
					it.res.Status, it.res.Reason = ImportRejected, fmt.Sprintf("an earlier content %.12s... is already record %d here", content.SHA256, id)
					break
				}
			}
			if it.res.Status != ImportUndecided {
				continue
			}
			raw := make([][]byte, len(it.line.History))
			for i, h := range it.line.History {
				raw[i] = h
			}
			if err := checkChain(raw, r.HistoryHead); err != nil {
				it.res.Status, it.res.Reason = ImportRejected, err.Error()
				continue
			}
			files = append(files, it.pending...)
		}
		if err := c.placeAll(files); err != nil {
			return err
		}
		dossiers := tx.Bucket(bucketIdx).Bucket(idxDossier)
		for _, it := range batch {
			// Two records of the bag with the same content in one batch:
			// the first one stands.
			if it.decidedIn(tx) {
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
			r.ID, r.HistoryHead, r.Fixity, r.RecordHash = id, "", FixityUnaudited, ""
			// The metadata the document signs wins over the bag's claim.
			var mismatches, signedFields, claimedFields []string
			r.Meta, mismatches, signedFields, claimedFields = importMeta(r.Meta, it.rep)
			if r.Dossier != "" {
				r.Version = countPrefix(dossiers, joinKey(r.Dossier)) + 1
			}
			// The record holds this catalogue's verdict, not the bag's.
			claimed := r.Status
			r.Status, r.VerifiedAt, r.Signatures = it.rep.Status, verdictTime(it.rep, now), summarise(it.rep)
			for _, h := range it.line.History {
				if err := putRawEvent(tx, r, h); err != nil {
					return err
				}
			}
			detail := fmt.Sprintf("from %s record %d (%s); verdict here %s", source.Code, it.res.SourceID, filepath.ToSlash(dir), r.Status)
			if claimed != r.Status {
				detail += fmt.Sprintf(", the bag said %s", orNone(string(claimed)))
			}
			detail += "; " + metaOrigin(signedFields, claimedFields, sender)
			if err := appendEvent(tx, r, Event{Time: now, Type: EventImported, Actor: c.opts.Actor, Detail: detail}); err != nil {
				return err
			}
			for _, ev := range importMetaEvents(it.rep, mismatches, now, c.opts.Actor) {
				if err := appendEvent(tx, r, ev); err != nil {
					return err
				}
			}
			if err := putRecord(tx, r); err != nil {
				return err
			}
			if err := putIndexes(tx, r, false); err != nil {
				return err
			}
			it.res.Status, it.res.ID = ImportImported, r.ID
		}
		return nil
	})
}

// decidedIn says whether it needs no more work in tx: it was decided
// before, or its content is already a record here, which makes it a
// duplicate of that record.
func (it *importItem) decidedIn(tx *bolt.Tx) bool {
	if it.res.Status != ImportUndecided {
		return true
	}
	if id := lookupSHA(tx, it.line.Record.SHA256); id != 0 {
		it.res.Status, it.res.ID = ImportDuplicate, id
		return true
	}
	return false
}

// importTotals adds the bag's totals this catalogue lacks, and logs the run.
// readTotals reads and checks the bag's totals.jsonl within its limits.
func readTotals(dir string) ([]Total, error) {
	f, err := openRegular(filepath.Join(dir, filepath.FromSlash(bagTotals)))
	if err != nil {
		return nil, fail.Input(i18n.Errorf("bag %s: %s: %v", dir, bagTotals, unwrapPath(err)), "")
	}
	defer f.Close()
	var rows []Total
	budget := &budgetReader{r: bufio.NewReaderSize(f.Reader(), 64<<10)}
	dec := json.NewDecoder(budget)
	for {
		var t Total
		budget.left = maxTotalsLine
		from := dec.InputOffset()
		if err := dec.Decode(&t); err == io.EOF {
			break
		} else if errors.Is(err, errLineTooLong) || (err == nil && dec.InputOffset()-from > maxTotalsLine) {
			return nil, fail.Input(i18n.Errorf("bag %s: %s: row %d (from byte %d): more than %d bytes", dir, bagTotals, len(rows)+1, from, maxTotalsLine), "")
		} else if err != nil {
			return nil, fail.Input(i18n.Errorf("bag %s: %s: %v", dir, bagTotals, unwrapPath(err)), "")
		}
		if len(rows) == maxBagTotals || dec.InputOffset() > maxTotalsBytes {
			return nil, fail.Input(i18n.Errorf("bag %s: %s: more than %d rows or %d MiB", dir, bagTotals, maxBagTotals, maxTotalsBytes>>20), "")
		}
		if err := t.validate(); err != nil {
			return nil, fail.Input(i18n.Errorf("bag %s: %s: %v", dir, bagTotals, err), "")
		}
		rows = append(rows, t)
	}
	return rows, nil
}

// storeTotals adds the totals the catalogue lacks and the import's run entry.
func (c *Catalogue) storeTotals(ctx context.Context, dir string, rows []Total, info *bagCatalogueInfo, sender *BagSender) (int, error) {
	n := 0
	err := c.update(ctx, func(tx *bolt.Tx) error {
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
			Detail: "from " + info.Unit.Code + " (" + filepath.ToSlash(dir) + "), exported " + info.ExportedAt.Format(time.RFC3339) + ", " + strconv.Itoa(n) + " totals, " + senderText(sender)})
	})
	return n, err
}

func hashFile(p string) (string, error) {
	sum, _, err := fileutil.SHA256(p)
	return sum, err
}

// senderText says who signed a bag, for the run log.
func senderText(s *BagSender) string {
	if s == nil {
		return "unsigned"
	}
	return "signed by " + s.Subject + " (" + s.Chain + ")"
}
