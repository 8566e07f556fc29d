package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/i18n"
)

// The audit summary never calls the chain "intact" beside a checkpoint
// that fails: with no broken link found, it says the chain is not proven
// intact and how many checkpoints fail; with all of them holding, intact.
func TestPrintChainFailingCheckpointIsNotIntact(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rep := &archive.ChainReport{Entries: 3, Records: 3, Head: "00112233445566778899",
		Checkpoints: []archive.CheckpointCheck{{Time: at, Seq: 2, TSA: "TSA", OK: true}, {Time: at, Seq: 3, TSA: "TSA", Reason: "the chain head differs"}}}
	var b bytes.Buffer
	printChain(&b, rep, i18n.New(i18n.EN))
	out := b.String()
	if strings.Contains(out, "intact\n") || !strings.Contains(out, ": NOT proven intact: 1 of 2 checkpoints fail\n") ||
		!strings.Contains(out, "FAILS: the chain head differs") {
		t.Errorf("summary:\n%s", out)
	}
	rep.Checkpoints[1].OK = true
	b.Reset()
	printChain(&b, rep, i18n.New(i18n.EN))
	if !strings.Contains(b.String(), "head 0011223344556677: intact\n") {
		t.Errorf("summary with every checkpoint holding:\n%s", b.String())
	}
}
