package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"research/internal/progress"
	"research/tokenizer"
)

func init() { rootCmd.AddCommand(newTrainTokenizerCmd()) }

func newTrainTokenizerCmd() *cobra.Command {
	var f struct {
		output       string
		vocabSize    int
		special      []string
		pattern      string
		nfc          bool
		minFrequency int
	}
	cmd := &cobra.Command{
		Use:   "train-tokenizer --vocab-size N --output tokenizer.json [FILE|-]",
		Short: "Train a byte-level BPE tokenizer and write an HF tokenizer.json",
		Long: `train-tokenizer learns a byte-level BPE vocabulary from a corpus: text
lines, or JSON Lines with a "text" or "contents" field (FlashRAG corpora).
Ids 0-255 are the bytes, merged tokens follow, the special tokens come last.
The tokenizer.json written loads in HuggingFace tokenizers and encodes as
research does.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pattern tokenizer.Pattern
			switch f.pattern {
			case "qwen2":
				pattern = tokenizer.PatternQwen2
			case "gpt2":
				pattern = tokenizer.PatternGPT2
			default:
				return fmt.Errorf("--pattern %q: want qwen2 or gpt2", f.pattern)
			}
			var bar *progress.Bar
			tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{
				VocabSize: f.vocabSize, Special: f.special, Pattern: pattern, NFC: f.nfc, MinFrequency: f.minFrequency,
				Progress: func(done, total int) {
					if bar == nil {
						bar = progress.New(int64(total), "merges", "merges")
					}
					bar.Add(1)
				},
			})
			if err != nil {
				return err
			}
			err = mapLines(io.Discard, args, "reading", func(line []byte) (jsonObject, error) {
				text := string(line)
				if bytes.HasPrefix(line, []byte("{")) {
					var rec struct {
						Text     *string `json:"text"`
						Contents *string `json:"contents"`
					}
					if err := json.Unmarshal(line, &rec); err != nil {
						return nil, fmt.Errorf("want a JSON object: %w", err)
					}
					switch {
					case rec.Text != nil:
						text = *rec.Text
					case rec.Contents != nil:
						text = *rec.Contents
					default:
						return nil, fmt.Errorf(`missing field "text" or "contents"`)
					}
				}
				tr.Add(text)
				return nil, nil
			})
			if err != nil {
				return err
			}
			tk, err := tr.Train()
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			if err := tk.Save(f.output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d ids\n", f.output, tk.VocabSize())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "tokenizer.json to write (replaced atomically)")
	fl.IntVar(&f.vocabSize, "vocab-size", 0, "number of ids: 256 bytes + merges + special tokens")
	fl.StringSliceVar(&f.special, "special", []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, "special tokens, given the last ids in this order")
	fl.StringVar(&f.pattern, "pattern", "qwen2", "pre-tokenizer split pattern: qwen2 or gpt2")
	fl.BoolVar(&f.nfc, "nfc", true, "NFC-normalise text")
	fl.IntVar(&f.minFrequency, "min-frequency", 2, "stop when the most frequent pair is rarer than this")
	_ = cmd.MarkFlagRequired("output")
	_ = cmd.MarkFlagRequired("vocab-size")
	return cmd
}
