package tokenizer

import "testing"

// TestAddedIDsAsHF: renumber.json lists wrong ids for its added tokens;
// HF renumbers them (renumber_hf.jsonl holds its encodings) and so must we.
func TestAddedIDsAsHF(t *testing.T) {
	tk, err := Load("testdata/renumber.json")
	if err != nil {
		t.Fatal(err)
	}
	checkEncodings(t, tk, readEncodings(t, "testdata/renumber_hf.jsonl"))
}
