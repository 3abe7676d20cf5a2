package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"research/pretrain"
	"research/world"
)

func init() { rootCmd.AddCommand(newPretrainCmd()) }

func newPretrainCmd() *cobra.Command {
	var worldDir, out string
	s := pretrain.DefaultShape
	cmd := &cobra.Command{
		Use:   "pretrain --world DIR --out DIR",
		Short: "Make the synthetic world's base policy: a small Qwen2 model trained from scratch",
		Long: `Pretrain makes the base policy of the synthetic-world experiment. From the
world in --world (written by research world) it builds a BM25 index of the
corpus (--out/index), trains a byte-level BPE tokenizer on the train world's
text, and trains a small Qwen2-architecture model from scratch as a language
model on the train world's passages and on ReSearch-format traces of the
train questions whose search decisions are noisy (--noise-*): the model
learns the format and to read results, but often searches the whole
question, answers too early or guesses. Copying exercises (--copies,
trained first at a constant --copy-lr) and reading drills (--drills:
one-step searches in a world of their own, whose finding can only be read
from the result, ending with the answer: --drill-answers) teach it to read
and to answer with what it read; conclusion drills (--conclusions) to set
the two values a comparison or yes/no question compares side by side and
answer from them. --from continues a base instead (its model and
tokenizer, no copying phase) on a random --share of the documents, as
when a new habit (--check-off, --guess-yesno) is taught to a base that
must keep the old ones. The defaults make the first stage of the demo's
shipped base policy (about 45 minutes on two cores); the second example
below continues it into the shipped base (about 11 minutes). Every 1,000
steps, and at the end,
the log reports how many answers of held-out dev questions the model reads
exactly out of a result. Held-out worlds are never trained on. --out then
holds config.json, model.safetensors, tokenizer.json and pretrain.json (the
settings, the loss per epoch and the held-out reading).`,
		Example: `  research world --seed 1 --out world
  research pretrain --world world --out base-stage1
  research pretrain --world world --from base-stage1 --out base --check-off --guess-yesno --share 0.5 --lr 5e-4 --seed 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if worldDir == "" || out == "" {
				return fmt.Errorf("pretrain: --world and --out are required")
			}
			if s.From != "" {
				for _, name := range []string{"vocab", "hidden", "layers", "heads", "kv-heads", "ffn", "copies", "copy-lr"} {
					if cmd.Flags().Changed(name) {
						return fmt.Errorf("pretrain: --%s does not apply to a base continued from %s", name, s.From)
					}
				}
				s.Copies = 0
			}
			wcfg, _, err := world.ReadGraphFile(filepath.Join(worldDir, "world.json"))
			if err != nil {
				return fmt.Errorf("pretrain: %w", err)
			}
			g, err := world.Generate(wcfg)
			if err != nil {
				return fmt.Errorf("pretrain: %w", err)
			}
			return pretrain.Build(g, out, s, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&worldDir, "world", "", "world directory written by research world")
	f.StringVar(&out, "out", "", "output directory")
	f.IntVar(&s.Vocab, "vocab", s.Vocab, "tokenizer vocabulary size")
	f.IntVar(&s.Hidden, "hidden", s.Hidden, "hidden size")
	f.IntVar(&s.Layers, "layers", s.Layers, "layers")
	f.IntVar(&s.Heads, "heads", s.Heads, "attention heads")
	f.IntVar(&s.KVHeads, "kv-heads", s.KVHeads, "key/value heads")
	f.IntVar(&s.FFN, "ffn", s.FFN, "MLP intermediate size")
	f.IntVar(&s.Epochs, "epochs", s.Epochs, "passes over the documents")
	f.Float64Var(&s.LR, "lr", s.LR, "peak learning rate (cosine decay)")
	f.IntVar(&s.Warmup, "warmup", s.Warmup, "warmup steps")
	f.Float64Var(&s.CopyLR, "copy-lr", s.CopyLR, "constant learning rate of the copying exercises")
	f.Float64Var(&s.Beta2, "beta2", s.Beta2, "AdamW's second-moment decay")
	f.IntVar(&s.BatchTokens, "batch-tokens", s.BatchTokens, "tokens per optimizer step")
	f.IntVar(&s.TopK, "top-k", s.TopK, "passages per search in the traces")
	f.IntVar(&s.Traces, "traces", s.Traces, "traces per train question")
	f.IntVar(&s.Copies, "copies", s.Copies, "copying exercises trained on first: a list of names, then the list again")
	f.IntVar(&s.Drills, "drills", s.Drills, "reading drills: one-step searches in a world of their own, the finding learnt from the result")
	f.BoolVar(&s.DrillAnswers, "drill-answers", s.DrillAnswers, "end each reading drill with the answer block, as a trace ends")
	f.IntVar(&s.Conclusions, "conclusions", s.Conclusions, "conclusion drills: a comparison or yes/no question's findings, then its conclusion and answer")
	f.Float64Var(&s.Noise.WholeQuestion, "noise-whole", s.Noise.WholeQuestion, "share of traces that search the whole question, then guess")
	f.Float64Var(&s.Noise.EarlyAnswer, "noise-early", s.Noise.EarlyAnswer, "share of traces that answer after the first step")
	f.Float64Var(&s.Noise.NoSearch, "noise-none", s.Noise.NoSearch, "share of traces that guess without searching")
	f.BoolVar(&s.Noise.GuessYesNo, "guess-yesno", s.Noise.GuessYesNo, `answer a yes/no question early with a guess, "yes" or "no" (false: with the first step's finding)`)
	f.Float64Var(&s.Instructions, "instructions", s.Instructions, "share of traces whose prompt carries the paper's instructions (the rest only the question's turn)")
	f.BoolVar(&s.Quote, "quote", s.Quote, "after each result, copy the supporting passage up to the answer (false: write the bare answer)")
	f.BoolVar(&s.CheckOff, "check-off", s.CheckOff, `conclude a yes/no question by checking each value off ("A: Shatri yes. B: Vemo no. So no.")`)
	f.StringVar(&s.From, "from", "", "continue this base policy's model and tokenizer instead of training from scratch")
	f.Float64Var(&s.Share, "share", s.Share, "share of the documents trained on, drawn at random (0: all)")
	f.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	return cmd
}
