package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"research/model"
)

func init() { rootCmd.AddCommand(newLogitsCmd()) }

func newLogitsCmd() *cobra.Command {
	var (
		dir, ids, text, tokPath, dtype string
		all                            bool
	)
	cmd := &cobra.Command{
		Use:   "logits --model DIR (--ids 1,2,3 | --prompt TEXT)",
		Short: "Print a Qwen2 model's next-token logits for a prompt as JSON",
		Long: `logits runs one forward pass of the Qwen2-family model in DIR (HF config.json
and safetensors, F32/F16/BF16, single or sharded; or a llama.cpp .gguf file
with F32/F16 tensors) over the given token ids (or
the text of --prompt, encoded with --tokenizer, default DIR/tokenizer.json) and
prints {"ids": [...], "logits": [...]} with the logits of the last position, or
with --all one row per position. It is meant for checks from outside.`,
		Example: `  research logits --model models/tiny --ids 10,200,33,7
  research logits --model DIR --prompt "Hello" --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("logits: --model is required")
			}
			if (ids == "") == (text == "") {
				return fmt.Errorf("logits: give exactly one of --ids and --prompt")
			}
			var prompt []int
			if text != "" {
				tok, err := loadTokenizer(dir, tokPath, true)
				if err != nil {
					return fmt.Errorf("logits: %w", err)
				}
				if prompt = tok.Encode(text); len(prompt) == 0 {
					return fmt.Errorf("logits: --prompt encodes to no tokens")
				}
			} else {
				var err error
				if prompt, err = parseTokenIDs(ids); err != nil {
					return fmt.Errorf("logits: --ids: %w", err)
				}
			}
			m, err := loadModel(dir, dtype)
			if err != nil {
				return fmt.Errorf("logits: %w", err)
			}
			defer m.Close()
			out, err := m.Forward([]model.Input{{Cache: m.NewCache(len(prompt)), Tokens: prompt, AllLogits: all}})
			if err != nil {
				return fmt.Errorf("logits: %w", err)
			}
			res := map[string]any{"ids": prompt}
			if all {
				v := m.Config.VocabSize
				rows := make([][]float32, len(prompt))
				for i := range rows {
					rows[i] = out[0][i*v : (i+1)*v]
				}
				res["logits"] = rows
			} else {
				res["logits"] = out[0]
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		},
	}
	cmd.Flags().StringVar(&dir, "model", "", "model directory (config.json + safetensors) or a .gguf file")
	cmd.Flags().StringVar(&dtype, "dtype", "f32", dtypeUsage)
	cmd.Flags().StringVar(&ids, "ids", "", "prompt token ids, comma-separated")
	cmd.Flags().StringVar(&text, "prompt", "", "prompt text, encoded with the tokenizer")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer.json or a directory holding one (default: the model directory)")
	cmd.Flags().BoolVar(&all, "all", false, "print the logits of every position, not just the last")
	return cmd
}

// parseTokenIDs reads a comma-separated list of non-negative token ids.
func parseTokenIDs(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("no token ids given")
	}
	var ids []int
	for i, f := range strings.Split(s, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || id < 0 {
			return nil, fmt.Errorf("item %d %q is not a token id", i+1, f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
