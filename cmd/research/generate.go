package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"research/generate"
	"research/internal/progress"
	"research/tokenizer"
)

func init() { rootCmd.AddCommand(newGenerateCmd()) }

func newGenerateCmd() *cobra.Command {
	var (
		dir       string
		dtype     string
		tokPath   string
		texts     []string
		prompts   []string
		stopStrs  []string
		n         int
		maxTokens int
		stopIDs   []int
		noEOS     bool
		batch     int
		samp      generate.Sampling
	)
	cmd := &cobra.Command{
		Use:   "generate --model DIR (--prompt TEXT | --ids 1,2,3) …",
		Short: "Continue prompts with a Qwen2 model",
		Long: `generate samples continuations of one or more prompts from the Qwen2-family
model in DIR (HF config.json + safetensors, or a .gguf file), all sequences
advancing together through one batched forward per step. Each --prompt (text, encoded with the tokenizer) and each --ids
(comma-separated token ids) is one prompt; --prompt prompts come first. It
prints one JSON object per sequence:
  {"prompt": i, "sample": j, "tokens": [...], "logprobs": [...], "finish": "stop"|"length",
   "stop_id": id, "stop": "string", "text": "..."}
logprobs are under softmax(logits / temperature) (temperature 1 when greedy).
Generation stops at the model's eos_token_id (unless --no-eos), at any
--stop-id, at any --stop string (its tokens stay in the output), or after
--max-tokens. Temperature 0 is greedy. The tokenizer (--tokenizer, default
DIR/tokenizer.json) is needed for --prompt and --stop, and adds "text".`,
		Example: `  research generate --model models/tiny --ids 10,200,33 --max-tokens 12
  research generate --model DIR --prompt "The capital of France is" --stop "." --max-tokens 32
  research generate --model DIR --ids 1,2 --ids 3,4,5 --n 4 --temperature 1 --top-p 0.95 --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || len(prompts)+len(texts) == 0 {
				return fmt.Errorf("generate: --model and at least one --prompt or --ids are required")
			}
			if n < 1 || maxTokens < 1 {
				return fmt.Errorf("generate: --n %d and --max-tokens %d must be ≥ 1", n, maxTokens)
			}
			m, err := loadModel(dir, dtype)
			if err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			defer m.Close()
			stops := append([]int(nil), stopIDs...)
			if !noEOS {
				stops = append(stops, m.Config.EOSTokenIDs...)
			}
			tok, err := loadTokenizer(dir, tokPath, len(texts) > 0 || len(stopStrs) > 0)
			if err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			var all [][]int
			for _, text := range texts {
				all = append(all, tok.Encode(text))
			}
			for i, p := range prompts {
				ids, err := parseTokenIDs(p)
				if err != nil {
					return fmt.Errorf("generate: --ids #%d: %w", i+1, err)
				}
				all = append(all, ids)
			}
			var reqs []generate.Request
			for _, ids := range all {
				for range n {
					reqs = append(reqs, generate.Request{Prompt: ids, MaxTokens: maxTokens, StopIDs: stops, StopStrings: stopStrs})
				}
			}
			opt := generate.Options{Sampling: samp, MaxBatch: batch}
			if tok != nil {
				opt.Decoder = decoderOf(tok)
			}
			b, err := generate.NewBatch(m, reqs, opt)
			if err != nil {
				return err
			}
			bar := progress.New(int64(len(reqs)*maxTokens), "generating", "tokens")
			made := make([]int, len(reqs))
			for !b.Done() {
				toks, err := b.Step()
				if err != nil {
					return err
				}
				for _, t := range toks {
					made[t.Seq]++
					bar.Add(1)
					if t.Done { // count the budget the sequence will not use
						bar.Add(maxTokens - made[t.Seq])
					}
				}
			}
			bar.Finish()
			enc := json.NewEncoder(cmd.OutOrStdout())
			for i, r := range b.Results() {
				out := generateLine{Prompt: i / n, Sample: i % n, Tokens: r.Tokens, Logprobs: r.Logprobs, Finish: r.Finish, Stop: r.StopString}
				if r.StopID >= 0 {
					out.StopID = &r.StopID
				}
				if tok != nil {
					out.Text = decoderOf(tok).Decode(r.Tokens)
				}
				if err := enc.Encode(out); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "model", "", "model directory (config.json + safetensors) or a .gguf file")
	f.StringVar(&dtype, "dtype", "f32", dtypeUsage)
	f.StringVar(&tokPath, "tokenizer", "", "tokenizer.json or a directory holding one (default: the model directory)")
	f.StringArrayVar(&texts, "prompt", nil, "a text prompt (repeat for more prompts)")
	f.StringArrayVar(&prompts, "ids", nil, "a prompt as comma-separated token ids (repeat for more prompts)")
	f.StringArrayVar(&stopStrs, "stop", nil, "a string that ends a sequence (repeatable)")
	f.IntVar(&n, "n", 1, "samples per prompt")
	f.IntVar(&maxTokens, "max-tokens", 64, "tokens to generate per sequence at most")
	f.IntSliceVar(&stopIDs, "stop-id", nil, "extra token ids that end a sequence")
	f.BoolVar(&noEOS, "no-eos", false, "do not stop at the config's eos_token_id")
	f.IntVar(&batch, "batch", 0, "sequences decoding at once (0: all)")
	f.Float64Var(&samp.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	f.IntVar(&samp.TopK, "top-k", 0, "sample among the k most likely tokens (0: all)")
	f.Float64Var(&samp.TopP, "top-p", 1, "nucleus sampling mass (1: all)")
	f.Uint64Var(&samp.Seed, "seed", 0, "random seed")
	return cmd
}

// generateLine is one sequence of generate's output.
type generateLine struct {
	Prompt   int       `json:"prompt"`
	Sample   int       `json:"sample"`
	Tokens   []int     `json:"tokens"`
	Logprobs []float64 `json:"logprobs"`
	Finish   string    `json:"finish"`
	StopID   *int      `json:"stop_id,omitempty"`
	Stop     string    `json:"stop,omitempty"`
	Text     string    `json:"text,omitempty"`
}

// loadTokenizer loads the tokenizer at path (default: the model directory).
// When none is needed, a missing one is not an error: the output just has
// no text.
func loadTokenizer(modelDir, path string, need bool) (*tokenizer.Tokenizer, error) {
	explicit := path != ""
	if !explicit {
		path = modelDir
	}
	tok, err := tokenizer.Load(path)
	if err != nil && (need || explicit) {
		return nil, fmt.Errorf("tokenizer (needed for --prompt and --stop; set --tokenizer): %w", err)
	}
	if err != nil {
		return nil, nil
	}
	return tok, nil
}

// decoderOf decodes with special tokens kept, so that stop strings can match
// them; ids outside the tokenizer's vocabulary decode to nothing.
func decoderOf(tok *tokenizer.Tokenizer) generate.Decoder {
	return generate.DecoderFunc(func(ids []int) string {
		s, err := tok.Decode(ids, false)
		if err != nil {
			return ""
		}
		return s
	})
}
