package tinymodel

import (
	"path/filepath"
	"testing"

	"research/model"
	"research/tokenizer"
)

func TestCopyLoads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := Copy(dir, 4096); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MaxPositions != 4096 || tok.VocabSize() != m.Config.VocabSize {
		t.Errorf("positions %d, vocab %d vs %d", m.Config.MaxPositions, tok.VocabSize(), m.Config.VocabSize)
	}
	if id, _ := tok.TokenID("<|im_end|>"); id != IMEnd {
		t.Errorf("<|im_end|> is %d", id)
	}
	if got := tok.Encode("ab<|endoftext|>"); len(got) != 3 || got[0] != 'a' || got[2] != EndOfText {
		t.Errorf("encode %v", got)
	}
}
